from __future__ import annotations

import numpy as np
from PIL import Image

from spotcheck.classifier import InputSpec
from spotcheck.classifier.preprocess import normalise, resize_rgb

SPEC = InputSpec(height=15, width=20, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))


def test_resize_gives_rgb_at_the_input_size() -> None:
    for image in (Image.new("RGB", (200, 150)), Image.new("L", (7, 90)), Image.new("RGBA", (20, 15))):
        pixels = resize_rgb(image, SPEC)
        assert pixels.shape == (15, 20, 3)
        assert pixels.dtype == np.uint8


def test_image_at_the_input_size_is_not_resampled() -> None:
    original = np.random.default_rng(1).integers(0, 256, size=(15, 20, 3), dtype=np.uint8)
    np.testing.assert_array_equal(resize_rgb(Image.fromarray(original), SPEC), original)


def test_normalise_scales_transposes_and_keeps_channel_order() -> None:
    batch = np.zeros((2, 15, 20, 3), dtype=np.uint8)
    batch[1, :, :, 0] = 255  # second image: pure red
    out = normalise(batch, SPEC)
    assert out.shape == (2, 3, 15, 20)
    assert out.dtype == np.float32
    assert out.flags["C_CONTIGUOUS"]
    mean, std = np.array(SPEC.mean), np.array(SPEC.std)
    np.testing.assert_allclose(out[0, :, 0, 0], -mean / std, rtol=1e-6)
    np.testing.assert_allclose(out[1, :, 3, 4], ([1.0, 0.0, 0.0] - mean) / std, rtol=1e-6)
