"""The fine-tuning loop: mixed precision on CPU or CUDA, cosine schedule, best epoch by validation AUC."""

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

from spotcheck.classifier.metadata import InputSpec
from spotcheck.training.augment import augment_batch
from spotcheck.training.calibration import malignant_probability
from spotcheck.training.config import TrainConfig

__all__ = ["LabelledImages", "predict_logits", "train_network"]


@dataclass(frozen=True)
class LabelledImages:
    pixels: np.ndarray  # uint8 (N, H, W, 3)
    classes: np.ndarray  # int64 (N,), index into DIAGNOSES
    malignant: np.ndarray  # int64 (N,), 1 for malignant


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
) -> Path:
    """Fine-tune ``network`` in place; write per-epoch metrics; return the best checkpoint's path."""
    network.to(device).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    optimiser = torch.optim.AdamW(network.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(train.pixels) / config.batch_size)
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
    step = 0
    with (run_dir / "metrics.jsonl").open("w") as log:
        for epoch in range(1, config.epochs + 1):
            network.train()
            started = time.perf_counter()
            order = torch.randperm(len(train.pixels), generator=generator).numpy()
            losses = []
            bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{config.epochs}", unit="batch")
            for b in bar:
                idx = np.sort(order[b * config.batch_size : (b + 1) * config.batch_size])
                if len(idx) < 2:
                    continue
                images = augment_batch(_to_float(train.pixels[idx], device), generator)
                targets = torch.from_numpy(train.classes[idx]).to(device)
                for group in optimiser.param_groups:
                    group["lr"] = _lr_at(step, total_steps, warmup, config.lr)
                with torch.autocast(device.type, dtype=amp_dtype, enabled=config.bf16):
                    logits = network(_normalised(images, spec))
                loss = F.cross_entropy(logits.float(), targets, label_smoothing=config.label_smoothing)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                optimiser.step()
                if ema is not None:
                    ema.update_parameters(network)
                losses.append(loss.item())
                step += 1
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
            val_logits = predict_logits(evaluated, val.pixels, spec, device)
            val_scores = malignant_probability(val_logits, 1.0, malignant_indices)
            record = {
                "epoch": epoch,
                "train_loss": float(np.mean(losses)),
                "val_loss": float(F.cross_entropy(torch.from_numpy(val_logits), torch.from_numpy(val.classes))),
                "val_roc_auc": float(roc_auc_score(val.malignant, val_scores)),
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
