"""Fine-tunes of one network averaged into one run folder that loads as a network."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from spotcheck.classifier.labels import DIAGNOSES  # noqa: E402
from spotcheck.training.averaging import average_runs  # noqa: E402
from spotcheck.training.config import TrainConfig  # noqa: E402
from spotcheck.training.network import build_network, load_network  # noqa: E402

pytestmark = pytest.mark.training

_CONFIG = TrainConfig(height=64, width=64, dropout=0.0)
_MANIFEST = "image_id,split\na,train\nb,val\n"


def _run(folder: Path, state: dict[str, torch.Tensor], *, manifest: str = _MANIFEST) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(_CONFIG.model_dump_json())
    (folder / "split_manifest.csv").write_text(manifest)
    torch.save({"epoch": 1, "state_dict": state}, folder / "best.pt")
    return folder


def _fine_tune(seed: int) -> dict[str, torch.Tensor]:
    """A Lite0's weights, moved a little away from one shared start, as fine-tuning would."""
    torch.manual_seed(0)
    state = build_network(num_classes=len(DIAGNOSES), height=64, width=64, pretrained=False, dropout=0.0).state_dict()
    generator = torch.Generator().manual_seed(seed)
    return {
        key: value + 0.01 * torch.randn(value.shape, generator=generator) if value.is_floating_point() else value + seed
        for key, value in state.items()
    }


def test_the_average_is_the_mean_of_the_weights_and_loads_as_a_network(tmp_path: Path) -> None:
    states = [_fine_tune(1), _fine_tune(2), _fine_tune(3)]
    runs = [_run(tmp_path / f"run{i}", state) for i, state in enumerate(states)]
    out = average_runs(runs, tmp_path / "soup")
    network = load_network(out)
    averaged = network.state_dict()
    weight = "_fc.weight"
    assert torch.allclose(averaged[weight], (states[0][weight] + states[1][weight] + states[2][weight]) / 3, atol=1e-6)
    assert not torch.allclose(averaged[weight], states[0][weight])
    counters = [key for key, value in averaged.items() if not value.is_floating_point()]
    assert counters and all(torch.equal(averaged[key], states[0][key]) for key in counters)
    assert (out / "split_manifest.csv").read_text() == _MANIFEST
    assert TrainConfig.of_run(out) == _CONFIG


def test_runs_on_other_splits_or_networks_are_refused(tmp_path: Path) -> None:
    state = _fine_tune(1)
    first = _run(tmp_path / "first", state)
    other_split = _run(tmp_path / "other-split", state, manifest="image_id,split\na,val\nb,train\n")
    with pytest.raises(ValueError, match="another split manifest"):
        average_runs([first, other_split], tmp_path / "soup")
    smaller = {key: value[:1] if key == "_fc.weight" else value for key, value in state.items()}
    other_network = _run(tmp_path / "other-network", smaller)
    with pytest.raises(ValueError, match="another network"):
        average_runs([first, other_network], tmp_path / "soup")
    with pytest.raises(ValueError, match="at least two"):
        average_runs([first], tmp_path / "soup")
