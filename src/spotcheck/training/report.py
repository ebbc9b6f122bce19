"""Write an evaluation as JSON, Markdown and PNG plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_curve

__all__ = ["write_report"]


def _plot_roc(y: np.ndarray, scores: np.ndarray, metrics: dict[str, Any], path: Path) -> None:
    fpr, tpr, _ = roc_curve(y, scores)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(fpr, tpr, label=f"AUC {metrics['roc_auc']:.3f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    ax.scatter(
        [1 - metrics["specificity"]],
        [metrics["sensitivity"]],
        color="red",
        zorder=3,
        label=f"threshold {metrics['threshold']:.3f}",
    )
    ax.set(xlabel="1 - specificity", ylabel="sensitivity", title="ROC, malignant vs benign")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_reliability(y: np.ndarray, scores: np.ndarray, metrics: dict[str, Any], path: Path) -> None:
    observed, predicted = calibration_curve(y, scores, n_bins=10, strategy="uniform")
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8, label="perfect calibration")
    ax.plot(predicted, observed, marker="o", label=f"model (ECE {metrics['expected_calibration_error']:.3f})")
    ax.set(xlabel="predicted malignant probability", ylabel="observed malignant fraction", title="Reliability diagram")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _markdown(metrics: dict[str, Any], title: str) -> str:
    cm = metrics["confusion_matrix"]
    low, high = metrics["roc_auc_ci95"]
    lines = [
        f"# {title}",
        "",
        f"Images: {metrics['images']} ({metrics['malignant']} malignant, {metrics['benign']} benign); "
        f"AUC interval from {metrics.get('bootstrap_resamples', 'images')} resampled",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| ROC AUC (95% bootstrap CI) | {metrics['roc_auc']:.3f} ({low:.3f}-{high:.3f}) |",
        f"| threshold | {metrics['threshold']:.4f} |",
        f"| sensitivity at threshold | {metrics['sensitivity']:.3f} |",
        f"| specificity at threshold | {metrics['specificity']:.3f} |",
        f"| specificity at sensitivity 0.90 | {metrics['specificity_at_sensitivity_0.90']:.3f} |",
        f"| specificity at sensitivity 0.95 | {metrics['specificity_at_sensitivity_0.95']:.3f} |",
        f"| expected calibration error (10 bins) | {metrics['expected_calibration_error']:.3f} |",
    ]
    if "balanced_accuracy_7class" in metrics:
        lines.append(f"| balanced accuracy, 7 classes | {metrics['balanced_accuracy_7class']:.3f} |")
    lines += [
        "",
        "Confusion matrix at the threshold:",
        "",
        "| | predicted MALIGNANT | predicted BENIGN |",
        "| --- | --- | --- |",
        f"| truly malignant | {cm['tp']} | {cm['fn']} |",
        f"| truly benign | {cm['fp']} | {cm['tn']} |",
        "",
    ]
    if "flagged_by_diagnosis" in metrics:
        lines += [
            "Sent to further examination (MALIGNANT) at the threshold, by diagnosis:",
            "",
            "| diagnosis | group | images | flagged | share |",
            "| --- | --- | --- | --- | --- |",
        ]
        for dx, counts in metrics["flagged_by_diagnosis"].items():
            group = "pre-malignant" if dx == "ACK" else "malignant" if counts["malignant"] else "benign"
            share = counts["flagged"] / counts["images"]
            lines.append(f"| {dx} | {group} | {counts['images']} | {counts['flagged']} | {share:.3f} |")
        lines.append("")
    for key, name in (("flagged_by_fitzpatrick", "Fitzpatrick skin type"), ("flagged_by_sex", "sex")):
        if key in metrics:
            lines += [
                f"By {name} (all images of this kind, actinic keratoses included):",
                "",
                f"| {name} | images | flagged | malignant | malignant flagged |",
                "| --- | --- | --- | --- | --- |",
            ]
            for value, counts in metrics[key].items():
                lines.append(
                    f"| {value} | {counts['images']} | {counts['flagged']} | {counts['malignant']} "
                    f"| {counts['malignant_flagged']} |"
                )
            lines.append("")
    if "with_ack_as_malignant" in metrics:
        ack = metrics["with_ack_as_malignant"]
        low, high = ack["roc_auc_ci95"]
        lines += [
            "Actinic keratoses (ACK) are left out of the figures above. Counted as needing examination: "
            f"{ack['images']} images, ROC AUC {ack['roc_auc']:.3f} ({low:.3f}-{high:.3f}), sensitivity "
            f"{ack['sensitivity']:.3f}, specificity {ack['specificity']:.3f}.",
            "",
        ]
    lines += [
        "![ROC curve](roc.png) ![Reliability diagram](reliability.png)",
        "",
    ]
    return "\n".join(lines)


def write_report(out_dir: Path, *, y: np.ndarray, scores: np.ndarray, metrics: dict[str, Any], title: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "evaluation.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (out_dir / "evaluation.md").write_text(_markdown(metrics, title))
    _plot_roc(y, scores, metrics, out_dir / "roc.png")
    _plot_reliability(y, scores, metrics, out_dir / "reliability.png")
