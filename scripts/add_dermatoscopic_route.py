"""Give the shipped model a dermatoscopic route: a second network for dermatoscopic photos only.

    git show 04ad702:src/spotcheck/model/spotcheck-lesion.onnx > runs/first-release.onnx
    python scripts/add_dermatoscopic_route.py src/spotcheck/model/spotcheck-lesion.onnx \\
        --expert runs/first-release.onnx --out runs/dermatoscopic-route

The expert is one member of the first release (two EfficientNet-Lite0 networks trained on HAM10000
alone, on the same lesion split; ``--expert-input``/``--expert-output`` name the member's input
and logits in that graph, one mirror view), or a training run's folder (its ``best.pt``, exported
here; for instance that member fine-tuned again, ``configs/cpu-expert.toml``). Every choice is made
on the validation split, by the rule written before the figures were seen (MODEL_CARD.md, "The
dermatoscopic route"):

1. the kind head (``spotcheck.training.dermatoscopic_route``) is fitted on the photo gate's features
   of the training photos (dermatoscopic against phone); a photo at or above ``--cut`` is routed;
2. the routed photos' temperature is fitted on the dermatoscopic validation photos;
3. their threshold is the highest whose validation sensitivity has a 95 % Wilson lower bound of at
   least ``--sensitivity-goal``;
4. phone photos keep the shipped network, temperature and threshold; the script stops if any
   validation phone photo is routed, or if any unrouted photo's outputs change.

``--validation-only`` stops there, before the test split is touched. Otherwise it evaluates the
result once on the test split (reports in ``--out``) and writes the model, its metadata (test
figures, a new version) and ``summary.json`` there. Copy the two model files into
``src/spotcheck/model/`` to ship it. Needs the ``[train]`` extra (onnx, scikit-learn).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import utils
from sklearn.metrics import roc_auc_score

from spotcheck.classifier.labels import DIAGNOSES, MALIGNANT_DIAGNOSES
from spotcheck.classifier.metadata import DermatoscopicRoute, ModelMetadata
from spotcheck.classifier.metric_keys import KEY_METRICS, metric_key
from spotcheck.classifier.onnx import OnnxClassifier, metadata_path_for
from spotcheck.classifier.preprocess import normalise
from spotcheck.training.calibration import fit_temperature, malignant_probability
from spotcheck.training.config import TrainConfig
from spotcheck.training.dataset import Domain, LesionImage, load_images
from spotcheck.training.dermatoscopic_route import (
    add_dermatoscopic_route,
    fit_kind_head,
    tap_names,
    threshold_with_confidence,
)
from spotcheck.training.evaluation import evaluate_records
from spotcheck.training.export import export_onnx, store_weights_as_float16
from spotcheck.training.network import load_network
from spotcheck.training.publish import release_version
from spotcheck.training.release_split import release_split
from spotcheck.training.route_heatmap import add_expert_to_heatmap

_DATA = Path("../shared/datasets")
_FIRST_RELEASE_VIEWS = "/network/Concat_output_0"  # the first release's views, before its networks


def _taps(model: onnx.ModelProto, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(logits, photo gate features) of the shipped graph for normalised ``pixels``."""
    names = tap_names(model)
    tapped = onnx.ModelProto()
    tapped.CopyFrom(model)
    for name in names:
        tapped.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    session = ort.InferenceSession(tapped.SerializeToString(), providers=["CPUExecutionProvider"])
    runs = [session.run(list(names), {"pixels": pixels[i : i + 64]}) for i in range(0, len(pixels), 64)]
    return np.concatenate([r[0] for r in runs]), np.concatenate([r[1] for r in runs])


def _logits(model: onnx.ModelProto, pixels: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: pixels[i : i + 64]})[0] for i in range(0, len(pixels), 64)])


def _cut_expert(args: argparse.Namespace, path: Path) -> str:
    """Write the expert network alone to ``path``; return its description for the metadata."""
    if args.expert.is_dir():
        network = load_network(args.expert)
        export_onnx(network, TrainConfig.of_run(args.expert).input_spec, path, output_names=("logits",))
        store_weights_as_float16(path)
        checkpoint = torch.load(args.expert / "best.pt", map_location="cpu", weights_only=True)
        return f"{args.expert.name} (best epoch {checkpoint['epoch']}), one view"
    utils.extract_model(str(args.expert), str(path), [args.expert_input], [args.expert_output])
    return str(args.expert_name)


def _pixels(records: list[LesionImage], metadata: ModelMetadata) -> np.ndarray:
    return normalise(load_images(records, metadata.input), metadata.input)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, help="the shipped ONNX file (its .json beside it)")
    parser.add_argument(
        "--expert", type=Path, required=True, help="the ONNX graph the expert network is cut from, or a run folder"
    )
    parser.add_argument("--expert-input", default=_FIRST_RELEASE_VIEWS)
    parser.add_argument("--expert-output", default="/network/network/networks.0/_fc/Gemm_output_0")
    parser.add_argument("--expert-name", default="lite0-ham10000-x2-20261126-54de1df8, network 0, one view")
    parser.add_argument("--dermatoscopic", type=Path, default=_DATA / "ham10000-200x150")
    parser.add_argument("--phone", type=Path, default=_DATA / "pad-ufes-20-partial")
    parser.add_argument("--cut", type=float, default=0.5)
    parser.add_argument("--sensitivity-goal", type=float, default=0.93)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--validation-only", action="store_true", help="stop after the validation figures")
    args = parser.parse_args(argv)

    metadata = ModelMetadata.read(metadata_path_for(args.model))
    if metadata.dermatoscopic_route is not None:
        parser.error(f"{args.model} already has a dermatoscopic route")
    args.out.mkdir(parents=True, exist_ok=True)
    expert_path = args.out / "expert.onnx"
    expert_name = _cut_expert(args, expert_path)
    shipped, expert = onnx.load(args.model), onnx.load(expert_path)
    expert_path.unlink()

    records, split_of = release_split(args.dermatoscopic, args.phone)
    train = [r for r in records if split_of[r.image_id] == "train"]
    val = [r for r in records if split_of[r.image_id] == "val"]
    _logits_train, features_train = _taps(shipped, _pixels(train, metadata))
    head = fit_kind_head(features_train, np.array([r.domain is Domain.DERMATOSCOPIC for r in train]))

    val_pixels = _pixels(val, metadata)
    first, features_val = _taps(shipped, val_pixels)
    dermatoscopic = np.array([r.domain is Domain.DERMATOSCOPIC for r in val])
    routed = head.probability(features_val) >= args.cut
    if (routed & ~dermatoscopic).any():
        raise SystemExit(f"{int((routed & ~dermatoscopic).sum())} validation phone photos would be routed: stopped")
    both = (first[dermatoscopic] + _logits(expert, val_pixels[dermatoscopic])) / 2
    classes = np.array([DIAGNOSES.index(r.dx) for r in val])[dermatoscopic]
    temperature = fit_temperature(both, classes)
    malignant_indices = metadata.malignant_indices
    scores = malignant_probability(both, temperature, malignant_indices)
    is_malignant = np.isin(classes, [DIAGNOSES.index(d) for d in MALIGNANT_DIAGNOSES])
    threshold = threshold_with_confidence(scores[is_malignant], goal=args.sensitivity_goal)
    validation_auc = float(roc_auc_score(is_malignant, scores))
    print(
        f"validation: ROC AUC {validation_auc:.4f}; "
        f"{int(routed[dermatoscopic].sum())} of {int(dermatoscopic.sum())} dermatoscopic and "
        f"{int(routed[~dermatoscopic].sum())} of {int((~dermatoscopic).sum())} phone photos routed; temperature "
        f"{temperature:.4f}; threshold {threshold:.4f}: sensitivity {(scores[is_malignant] >= threshold).mean():.3f}, "
        f"specificity {(scores[~is_malignant] < threshold).mean():.3f}"
    )

    if args.validation_only:
        return 0

    model = add_dermatoscopic_route(shipped, expert, head=head, cut=args.cut, temperature=temperature)
    model_bytes = model.SerializeToString()
    check = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    before = ort.InferenceSession(args.model.read_bytes(), providers=["CPUExecutionProvider"])
    for start in range(0, len(val_pixels), 64):
        batch = val_pixels[start : start + 64]
        old, new = before.run(None, {"pixels": batch}), check.run(None, {"pixels": batch})
        kept = new[-1] < args.cut
        if not (np.array_equal(old[0][kept], new[0][kept]) and np.array_equal(old[1], new[1])):
            raise SystemExit("an unrouted photo's outputs changed: stopped")

    # The version names the route's answers: the heatmap's surgery below changes no answer.
    fingerprint = hashlib.sha256(model_bytes).hexdigest()
    heatmap = metadata.heatmap
    if heatmap is not None:
        expert_maps = add_expert_to_heatmap(model, classes=len(metadata.classes))
        heatmap = heatmap.model_copy(update={"routed_feature_maps": (expert_maps,)})
        model_bytes = model.SerializeToString()
    routed_metadata = metadata.model_copy(
        update={
            "name": metadata.name.replace("(EfficientNet-Lite0)", "(EfficientNet-Lite0, dermatoscopic route)"),
            "version": release_version("lite0-ham-pad-route", fingerprint),
            "dermatoscopic_route": DermatoscopicRoute(
                cut=args.cut, threshold=threshold, temperature=temperature, expert=expert_name
            ),
            "heatmap": heatmap,
        }
    )
    model_path = args.out / "model.onnx"
    model_path.write_bytes(model_bytes)
    routed_metadata.write(metadata_path_for(model_path))

    test = [r for r in records if split_of[r.image_id] == "test"]
    classifier = OnnxClassifier(model_path)
    figures = evaluate_records(classifier, test, out_dir=args.out, title=f"Evaluation of {routed_metadata.version}")
    metrics = {metric_key(m, kind): float(figures[kind][m]) for kind in figures for m in KEY_METRICS}
    routed_metadata.model_copy(update={"metrics": metrics}).write(metadata_path_for(model_path))
    summary = {
        "version": routed_metadata.version,
        "from": metadata.version,
        "route": routed_metadata.dermatoscopic_route.model_dump() if routed_metadata.dermatoscopic_route else None,
        "validation_dermatoscopic": {
            "roc_auc": validation_auc,
            "sensitivity": float((scores[is_malignant] >= threshold).mean()),
            "specificity": float((scores[~is_malignant] < threshold).mean()),
        },
        "validation_routed": {
            "dermatoscopic": int(routed[dermatoscopic].sum()),
            "phone": int(routed[~dermatoscopic].sum()),
        },
        "test": figures,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
    for kind, found in figures.items():
        print(
            f"test {kind}: ROC AUC {found['roc_auc']:.4f} sensitivity {found['sensitivity']:.3f} "
            f"specificity {found['specificity']:.3f} ECE {found['expected_calibration_error']:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
