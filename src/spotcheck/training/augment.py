"""Batched data augmentation on uint8 image tensors."""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

__all__ = ["augment_batch", "phone_style"]


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


def _gaussian_blur(images: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Blur each image with its own sigma (pixels; 0 leaves it as it is), separably."""
    radius = 4
    offsets = torch.arange(-radius, radius + 1, device=images.device, dtype=images.dtype)
    safe = sigma.clamp(min=1e-3)[:, None]
    kernels = torch.exp(-(offsets[None, :] ** 2) / (2 * safe**2))
    kernels = kernels / kernels.sum(dim=1, keepdim=True)  # (N, K)
    n, c, h, w = images.shape
    flat = images.reshape(1, n * c, h, w)
    row = kernels.repeat_interleave(c, dim=0)
    flat = F.conv2d(F.pad(flat, (radius, radius, 0, 0), mode="replicate"), row[:, None, None, :], groups=n * c)
    flat = F.conv2d(F.pad(flat, (0, 0, radius, radius), mode="replicate"), row[:, None, :, None], groups=n * c)
    return flat.reshape(n, c, h, w)


def phone_style(images: torch.Tensor, chosen: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Make the ``chosen`` dermatoscopic images look taken with a phone's camera, images in [0, 1].

    A dermatoscope presses a magnifying lens onto the skin under even, white light. A phone photo
    sees the lesion smaller, from further away, with soft focus, coloured and uneven room light and
    sensor noise. These changes are drawn per image: zoom out (more surrounding skin), blur, a
    colour cast, a light gradient across the frame, a lower resolution and noise.
    """
    n, _, h, w = images.shape
    if not bool(chosen.any()):
        return images

    def rand(*shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=generator).to(images.device)

    styled = images
    # Zoom out: the picture shrinks to 60-95 % of the frame, and the space around it takes the mean
    # colour of its outer edge (skin), so that no mirrored or smeared copy of the lesion appears there.
    zoom = 1.0 / (0.6 + rand(n) * 0.35)
    zeros = torch.zeros_like(zoom)
    theta = torch.stack([torch.stack([zoom, zeros, zeros], 1), torch.stack([zeros, zoom, zeros], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    inside = F.grid_sample(torch.ones_like(images[:, :1]), grid, mode="bilinear", align_corners=False)
    edge = torch.ones_like(images[:, :1])
    edge[:, :, h // 10 : h - h // 10, w // 10 : w - w // 10] = 0
    skin = (images * edge).sum(dim=(2, 3), keepdim=True) / edge.sum(dim=(2, 3), keepdim=True)
    # The picture fades into that colour over its outer pixels: a hard edge would look like a
    # print laid on skin, a cue no real phone photo has.
    fade = inside
    for _ in range(2):
        fade = F.avg_pool2d(fade, kernel_size=15, stride=1, padding=7, count_include_pad=True)
    fade = fade * inside
    shrunk = F.grid_sample(styled, grid, mode="bilinear", padding_mode="border", align_corners=False)
    styled = shrunk * fade + skin * (1 - fade)
    # Lower resolution: down to 45-100 % of the size and back up.
    factor = float(0.45 + rand(1).item() * 0.55)
    if factor < 0.95:
        small = F.interpolate(styled, size=(max(8, int(h * factor)), max(8, int(w * factor))), mode="area")
        styled = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    styled = _gaussian_blur(styled, rand(n) * 1.2)
    cast = 1 + (rand(n, 3, 1, 1) * 2 - 1) * 0.12
    styled = styled * cast
    angle = rand(n) * 2 * math.pi
    ys = torch.linspace(-1, 1, h, device=images.device)[None, :, None]
    xs = torch.linspace(-1, 1, w, device=images.device)[None, None, :]
    ramp = torch.cos(angle)[:, None, None] * xs + torch.sin(angle)[:, None, None] * ys
    strength = rand(n)[:, None, None] * 0.35
    styled = styled * (1 + strength * ramp)[:, None]
    styled = styled + torch.randn(styled.shape, generator=generator).to(images.device) * (rand(n, 1, 1, 1) * 0.03)
    styled = styled.clamp(0.0, 1.0)
    return torch.where(chosen[:, None, None, None], styled, images)
