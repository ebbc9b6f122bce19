"""The fine-tuning loop: mixed precision on CPU or CUDA, cosine schedule, best epoch by validation AUC.

With phone photos beside the dermatoscopic images, each epoch draws a fixed share of its images
from the phone photos, and the best epoch is the one with the best mean of both kinds' AUCs.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from torch import nn
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from spotcheck.classifier.labels import DIAGNOSES
from spotcheck.classifier.metadata import InputSpec
from spotcheck.training.augment import augment_batch, phone_style
from spotcheck.training.calibration import malignant_probability
from spotcheck.training.config import TrainConfig
from spotcheck.training.network import freeze_early_layers

__all__ = ["LabelledImages", "domain_aucs", "predict_logits", "train_network"]

MELANOMA_INDEX = DIAGNOSES.index("mel")


@dataclass(frozen=True)
class LabelledImages:
    pixels: np.ndarray  # uint8 (N, H, W, 3)
    classes: np.ndarray  # int64 (N,), index into DIAGNOSES
    malignant: np.ndarray  # int64 (N,), 1 for malignant
    phone: np.ndarray  # bool (N,), a phone photo (else dermatoscopic)
    # bool (N,): counts in malignant-vs-benign figures. Actinic keratoses on phone photos do not:
    # pre-malignant, they are reported on their own.
    binary: np.ndarray
    teacher: np.ndarray | None = None  # float32 (N, classes): a teacher's logits to distil, if any


def _distillation_loss(logits: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL divergence from the teacher's softened distribution, scaled by T^2 (Hinton et al., 2015)."""
    student = F.log_softmax(logits / temperature, dim=1)
    target = F.softmax(teacher / temperature, dim=1)
    return F.kl_div(student, target, reduction="batchmean") * temperature**2


def domain_aucs(data: LabelledImages, scores: np.ndarray) -> dict[str, float]:
    """ROC AUC of each kind of photo present, over the images that count in binary figures."""
    aucs = {}
    for name, mask in (("dermatoscopic", ~data.phone), ("smartphone", data.phone)):
        mask = mask & data.binary
        if mask.any() and 0 < data.malignant[mask].sum() < mask.sum():
            aucs[name] = float(roc_auc_score(data.malignant[mask], scores[mask]))
    return aucs


def _draw_weights(train: LabelledImages, phone_share: float, melanoma_draws: float) -> torch.Tensor:
    """Per-image chance of being drawn: phone photos make up ``phone_share`` of the draws, and
    within each kind of photo a melanoma is drawn ``melanoma_draws`` times as often as another image."""
    relative = np.where(train.classes == MELANOMA_INDEX, melanoma_draws, 1.0)
    phones = int(train.phone.sum())
    if phones == 0 or phones == len(train.phone):
        return torch.from_numpy(relative / relative.sum())
    phone_part = np.where(train.phone, relative, 0.0)
    derm_part = np.where(train.phone, 0.0, relative)
    weights = phone_share * phone_part / phone_part.sum() + (1 - phone_share) * derm_part / derm_part.sum()
    return torch.from_numpy(weights)


def _normalised(batch: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    mean = torch.tensor(spec.mean, device=batch.device).view(1, 3, 1, 1)
    std = torch.tensor(spec.std, device=batch.device).view(1, 3, 1, 1)
    return ((batch - mean) / std).contiguous(memory_format=torch.channels_last)


def _to_float(pixels: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(pixels).to(device).permute(0, 3, 1, 2).float().div_(255.0)


@torch.no_grad()
def predict_logits(
    network: nn.Module, pixels: np.ndarray, spec: InputSpec, device: torch.device, batch_size: int = 128
) -> np.ndarray:
    network.eval()
    out = []
    for start in range(0, len(pixels), batch_size):
        batch = _normalised(_to_float(pixels[start : start + batch_size], device), spec)
        out.append(network(batch).float().cpu().numpy())
    return np.concatenate(out)


def _lr_at(step: int, total: int, warmup: int, peak: float) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(total - warmup, 1)
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


def _batch_norms(network: nn.Module) -> list[nn.Module]:
    return [module for module in network.modules() if isinstance(module, nn.modules.batchnorm._BatchNorm)]


def train_network(
    network: nn.Module,
    *,
    train: LabelledImages,
    val: LabelledImages,
    spec: InputSpec,
    malignant_indices: list[int],
    config: TrainConfig,
    device: torch.device,
    run_dir: Path,
    partner: nn.Module | None = None,
) -> Path:
    """Fine-tune ``network`` in place; write per-epoch metrics; return the best checkpoint's path.

    With a ``partner`` (a fixed network, ``TrainConfig.route_partner``), the loss and the validation
    figures are those of the mean of both networks' logits.
    """
    network.to(device).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    frozen = freeze_early_layers(network, config.frozen_blocks)
    trainable = [parameter for parameter in network.parameters() if parameter.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=config.lr, weight_decay=config.weight_decay)
    epoch_images = config.epoch_images or len(train.pixels)
    steps_per_epoch = math.ceil(epoch_images / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    warmup = max(1, int(config.warmup_epochs * steps_per_epoch))
    generator = torch.Generator().manual_seed(config.seed)
    amp_dtype = torch.bfloat16 if config.bf16 else torch.float32
    best_path = run_dir / "best.pt"
    best_auc = -1.0
    # An exponential moving average of the weights (and batch-norm statistics) is what gets
    # evaluated and saved when ema_decay is set: it smooths the epoch-to-epoch noise of fine-tuning.
    ema = (
        AveragedModel(
            network,
            multi_avg_fn=get_ema_multi_avg_fn(config.ema_decay),  # type: ignore[no-untyped-call]
            use_buffers=True,
        )
        if config.ema_decay
        else None
    )
    evaluated: nn.Module = ema.module if ema is not None else network
    if partner is not None:
        partner.to(device).eval().requires_grad_(False)
        partner_val = predict_logits(partner, val.pixels, spec, device)
    draw_weights = _draw_weights(train, config.phone_share, config.melanoma_draws)
    weighted_draws = bool(train.phone.any()) or config.melanoma_draws != 1.0 or epoch_images != len(train.pixels)
    step = 0
    with (run_dir / "metrics.jsonl").open("w") as log:
        for epoch in range(1, config.epochs + 1):
            network.train()
            for module in frozen + (_batch_norms(network) if config.frozen_batchnorm else []):
                module.eval()
            started = time.perf_counter()
            if weighted_draws:
                order = torch.multinomial(draw_weights, epoch_images, replacement=True, generator=generator)
            else:
                # Dermatoscopic images alone: every image once per epoch, as the first releases trained.
                order = torch.randperm(len(train.pixels), generator=generator)
            losses = []
            bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{config.epochs}", unit="batch")
            for b in bar:
                idx = np.sort(order[b * config.batch_size : (b + 1) * config.batch_size].numpy())
                if len(idx) < 2:
                    continue
                images = _to_float(train.pixels[idx], device)
                if config.phone_style > 0:
                    draws = torch.rand(len(idx), generator=generator) < config.phone_style
                    chosen = draws & torch.from_numpy(~train.phone[idx])
                    images = phone_style(images, chosen.to(device), generator)
                images = augment_batch(images, generator)
                targets = torch.from_numpy(train.classes[idx]).to(device)
                for group in optimiser.param_groups:
                    group["lr"] = _lr_at(step, total_steps, warmup, config.lr)
                pixels = _normalised(images, spec)
                with torch.autocast(device.type, dtype=amp_dtype, enabled=config.bf16):
                    logits = network(pixels)
                    if partner is not None:
                        with torch.no_grad():
                            fixed = partner(pixels)
                        logits = (logits + fixed) / 2
                loss = F.cross_entropy(logits.float(), targets, label_smoothing=config.label_smoothing)
                if train.teacher is not None:
                    teacher = torch.from_numpy(train.teacher[idx]).to(device)
                    distilled = _distillation_loss(logits.float(), teacher, config.distill_temperature)
                    loss = (1 - config.distill_weight) * loss + config.distill_weight * distilled
                optimiser.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                optimiser.step()
                if ema is not None:
                    ema.update_parameters(network)
                losses.append(loss.item())
                step += 1
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
            val_logits = predict_logits(evaluated, val.pixels, spec, device)
            if partner is not None:
                val_logits = (val_logits + partner_val) / 2
            val_scores = malignant_probability(val_logits, 1.0, malignant_indices)
            aucs = domain_aucs(val, val_scores)
            record = {
                "epoch": epoch,
                "train_loss": float(np.mean(losses)),
                "val_loss": float(F.cross_entropy(torch.from_numpy(val_logits), torch.from_numpy(val.classes))),
                # The mean over both kinds of photo, so that neither is given up for the other.
                "val_roc_auc": float(np.mean(list(aucs.values()))),
                **{f"val_roc_auc_{name}": auc for name, auc in aucs.items()},
                "val_balanced_accuracy_7class": float(balanced_accuracy_score(val.classes, val_logits.argmax(1))),
                "seconds": time.perf_counter() - started,
            }
            log.write(json.dumps(record) + "\n")
            log.flush()
            tqdm.write(json.dumps(record))
            if record["val_roc_auc"] > best_auc:
                best_auc = record["val_roc_auc"]
                torch.save({"epoch": epoch, "state_dict": evaluated.state_dict()}, best_path)
    return best_path
