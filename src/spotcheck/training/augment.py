"""Batched data augmentation on uint8 image tensors."""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

__all__ = ["augment_batch"]


def augment_batch(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random flips, rotation, scale, shift and colour jitter for float images in [0, 1], (N, 3, H, W).

    Dermatoscopic lesions have no canonical orientation, so every flip and rotation is a valid view.
    The random draws come from ``generator`` on the CPU, so a seed gives the same augmentations
    whether the images sit on the CPU or on a GPU; the arithmetic runs where the images are.
    """
    n = images.shape[0]

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=generator).to(images.device)

    flips_h = rand(n) < 0.5
    flips_v = rand(n) < 0.5
    images = torch.where(flips_h[:, None, None, None], images.flip(3), images)
    images = torch.where(flips_v[:, None, None, None], images.flip(2), images)

    angle = (rand(n) * 2 - 1) * math.pi / 6
    scale = 1.0 / (0.85 + rand(n) * 0.35)
    shift = (rand(n, 2) * 2 - 1) * 0.08
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    images = F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    brightness = 1 + (rand(n, 1, 1, 1) * 2 - 1) * 0.2
    contrast = 1 + (rand(n, 1, 1, 1) * 2 - 1) * 0.2
    saturation = 1 + (rand(n, 1, 1, 1) * 2 - 1) * 0.2
    images = images * brightness
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    images = (images - mean) * contrast + mean
    grey = images.mean(dim=1, keepdim=True)
    images = (images - grey) * saturation + grey
    return images.clamp(0.0, 1.0)
