"""Batched augmentation: reproducible from the seed, valid pixel values, a different view each draw."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

import torch

from spotcheck.training.augment import augment_batch


def _images() -> torch.Tensor:
    return torch.rand((6, 3, 30, 40), generator=torch.Generator().manual_seed(0))


def test_same_seed_same_augmentations() -> None:
    first = augment_batch(_images(), torch.Generator().manual_seed(7))
    again = augment_batch(_images(), torch.Generator().manual_seed(7))
    assert torch.equal(first, again)


def test_each_draw_is_a_new_view_within_the_pixel_range() -> None:
    generator = torch.Generator().manual_seed(7)
    first, second = augment_batch(_images(), generator), augment_batch(_images(), generator)
    assert first.shape == second.shape == (6, 3, 30, 40)
    assert not torch.allclose(first, second)
    assert float(first.min()) >= 0.0 and float(first.max()) <= 1.0


def test_the_images_device_is_kept() -> None:
    # "meta" tensors carry shape and device but no data: enough to show no step moves the batch.
    out = augment_batch(torch.empty((4, 3, 30, 40), device="meta"), torch.Generator().manual_seed(7))
    assert out.device.type == "meta" and out.shape == (4, 3, 30, 40)
