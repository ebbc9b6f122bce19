"""Continued fine-tuning on a CPU: melanomas drawn more often, early layers frozen."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from spotcheck.classifier.labels import DIAGNOSES  # noqa: E402
from spotcheck.training.network import GATE_TAPS, build_network, freeze_early_layers  # noqa: E402
from spotcheck.training.trainer import LabelledImages, _draw_weights  # noqa: E402

pytestmark = pytest.mark.training

MEL, NV = DIAGNOSES.index("mel"), DIAGNOSES.index("nv")


def _images(classes: list[int], phone: list[bool]) -> LabelledImages:
    n = len(classes)
    return LabelledImages(
        pixels=np.zeros((n, 2, 2, 3), np.uint8),
        classes=np.array(classes),
        malignant=np.array([int(c == MEL) for c in classes]),
        phone=np.array(phone),
        binary=np.ones(n, bool),
    )


def test_melanomas_are_drawn_more_often_within_each_kind_of_photo() -> None:
    train = _images([MEL, NV, NV, NV, MEL, NV], [False, False, False, False, True, True])
    weights = _draw_weights(train, phone_share=0.4, melanoma_draws=3.0).numpy()
    assert weights.sum() == pytest.approx(1.0)
    assert weights[train.phone].sum() == pytest.approx(0.4)  # the kinds' shares are kept
    assert weights[0] == pytest.approx(3 * weights[1])
    assert weights[4] == pytest.approx(3 * weights[5])


def test_without_a_boost_every_image_of_a_kind_is_equally_likely() -> None:
    train = _images([MEL, NV, NV], [False, False, False])
    weights = _draw_weights(train, phone_share=0.4, melanoma_draws=1.0).numpy()
    assert np.allclose(weights, 1 / 3)


def test_frozen_layers_and_their_batch_norm_statistics_stay_fixed() -> None:
    network = build_network(num_classes=len(DIAGNOSES), height=64, width=64, pretrained=False, dropout=0.0)
    blocks = max(GATE_TAPS) + 1
    frozen = freeze_early_layers(network, blocks)
    before = [t.detach().clone() for m in frozen for t in [*m.parameters(), *m.buffers()]]
    optimiser = torch.optim.SGD([p for p in network.parameters() if p.requires_grad], lr=0.1)
    network.train()
    for module in frozen:
        module.eval()
    loss = network(torch.randn(2, 3, 64, 64)).sum()
    loss.backward()
    optimiser.step()
    after = [t.detach() for m in frozen for t in [*m.parameters(), *m.buffers()]]
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))
    assert all(p.grad is None for m in frozen for p in m.parameters())
    assert network._fc.weight.grad is not None  # the head still learns
