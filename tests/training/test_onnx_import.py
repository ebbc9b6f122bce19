"""A shipped network back in PyTorch from its ONNX graph, fine-tuned with its batch norms fixed, alone or in a pair."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

torch = pytest.importorskip("torch")
onnxruntime = pytest.importorskip("onnxruntime")

from smoke_run import DATA_DIR, REPO_ROOT, load_script  # noqa: E402

from spotcheck.classifier.labels import DIAGNOSES  # noqa: E402
from spotcheck.training.calibration import malignant_probability  # noqa: E402
from spotcheck.training.config import TrainConfig  # noqa: E402
from spotcheck.training.export import export_onnx, store_weights_as_float16  # noqa: E402
from spotcheck.training.network import build_network, load_network  # noqa: E402
from spotcheck.training.onnx_import import OnnxImportError, load_folded_weights  # noqa: E402
from spotcheck.training.pipeline import run_training  # noqa: E402
from spotcheck.training.trainer import LabelledImages, predict_logits, train_network  # noqa: E402

pytestmark = pytest.mark.training

SMALL = TrainConfig(height=64, width=64).input_spec


def _trained_looking(seed: int, *, height: int = 64, width: int = 64) -> torch.nn.Module:
    """A Lite0 whose batch norms are not identities, as after training."""
    torch.manual_seed(seed)
    network = build_network(num_classes=len(DIAGNOSES), height=height, width=width, pretrained=False, dropout=0.0)
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    return network.eval()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.nn.Module, Path]:
    network = _trained_looking(0)
    path = tmp_path_factory.mktemp("onnx") / "network.onnx"
    export_onnx(network, SMALL, path, output_names=("logits",))
    return network, path


def test_an_exported_network_comes_back_with_its_outputs(exported: tuple[torch.nn.Module, Path]) -> None:
    original, path = exported
    restored = build_network(num_classes=len(DIAGNOSES), height=64, width=64, pretrained=False, dropout=0.0)
    load_folded_weights(restored, path)
    pixels = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        expected, found = original(pixels), restored.eval()(pixels)
    torch.testing.assert_close(found, expected, atol=1e-4, rtol=1e-4)
    # The batch norms were folded away: they are identities that add the bias now.
    norms = [m for m in restored.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all(float(m.running_mean.abs().max()) == 0.0 for m in norms)


def test_float16_weights_come_back_too(exported: tuple[torch.nn.Module, Path], tmp_path: Path) -> None:
    original, path = exported
    half = tmp_path / "half.onnx"
    half.write_bytes(path.read_bytes())
    assert store_weights_as_float16(half, min_elements=64) > 0  # as the shipped files store them
    restored = build_network(num_classes=len(DIAGNOSES), height=64, width=64, pretrained=False, dropout=0.0)
    load_folded_weights(restored, half)
    pixels = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(restored.eval()(pixels), original(pixels), atol=5e-2, rtol=5e-2)


def test_a_network_of_another_shape_is_refused(exported: tuple[torch.nn.Module, Path]) -> None:
    _, path = exported
    other_head = build_network(num_classes=3, height=64, width=64, pretrained=False, dropout=0.0)
    with pytest.raises(OnnxImportError, match="dense head"):
        load_folded_weights(other_head, path)
    bigger = build_network(
        num_classes=len(DIAGNOSES), height=64, width=64, pretrained=False, dropout=0.0, backbone="efficientnet-lite2"
    )
    with pytest.raises(OnnxImportError, match="the graph has 49 convolutions"):
        load_folded_weights(bigger, path)


def _images(count: int) -> LabelledImages:
    rng = np.random.default_rng(0)
    classes = np.array([DIAGNOSES.index("mel"), DIAGNOSES.index("nv")] * (count // 2))
    return LabelledImages(
        pixels=rng.integers(0, 256, (count, 64, 64, 3), dtype=np.uint8),
        classes=classes,
        malignant=(classes == DIAGNOSES.index("mel")).astype(np.int64),
        phone=np.zeros(count, bool),
        binary=np.ones(count, bool),
    )


def _statistics(network: torch.nn.Module) -> list[torch.Tensor]:
    norms = [m for m in network.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    return [t.detach().clone() for m in norms for t in (m.running_mean, m.running_var)]


@pytest.mark.parametrize("frozen_batchnorm", [True, False])
def test_frozen_batchnorm_keeps_the_statistics_and_still_learns(frozen_batchnorm: bool, tmp_path: Path) -> None:
    network = _trained_looking(1)
    statistics, head = _statistics(network), network._fc.weight.detach().clone()
    config = TrainConfig(
        height=64, width=64, epochs=1, batch_size=4, lr=1e-3, bf16=False, frozen_batchnorm=frozen_batchnorm
    )
    train_network(
        network,
        train=_images(8),
        val=_images(4),
        spec=SMALL,
        malignant_indices=[DIAGNOSES.index("mel")],
        config=config,
        device=torch.device("cpu"),
        run_dir=tmp_path,
    )
    kept = [torch.equal(before, after) for before, after in zip(statistics, _statistics(network), strict=True)]
    assert all(kept) is frozen_batchnorm
    assert not torch.equal(head, network._fc.weight)


@pytest.fixture(scope="module")
def imported_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 150x200 network exported as the releases are, and the run folder the script makes of it."""
    if not (DATA_DIR / "metadata.csv").is_file():
        pytest.skip(f"the shared data set is not at {DATA_DIR}")
    scratch = tmp_path_factory.mktemp("import")
    graph = scratch / "shipped.onnx"
    export_onnx(_trained_looking(2, height=150, width=200), TrainConfig().input_spec, graph, output_names=("logits",))
    store_weights_as_float16(graph)
    out = scratch / "runs" / "network0"
    script = load_script("network_from_onnx")
    recipe = REPO_ROOT / "configs" / "release.toml"
    options = ["--input", "pixels", "--output", "logits", "--recipe", str(recipe), "--out", str(out)]
    assert script.main([str(graph), *options, "-o", f"data_dir={DATA_DIR}"]) == 0
    return graph, out


def _logits(graph: Path, pixels: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"pixels": pixels})[0])


def test_the_script_writes_a_run_folder_that_gives_the_graphs_logits(imported_run: tuple[Path, Path]) -> None:
    graph, out = imported_run
    config = TrainConfig.of_run(out)
    assert config.data_dir == DATA_DIR and (config.height, config.width) == (150, 200)
    pixels = np.random.default_rng(1).normal(size=(3, 3, 150, 200)).astype(np.float32)
    with torch.no_grad():
        found = load_network(out)(torch.from_numpy(pixels)).numpy()
    np.testing.assert_allclose(found, _logits(graph, pixels), atol=1e-3)


def test_the_route_script_exports_a_run_folder_as_its_expert(imported_run: tuple[Path, Path], tmp_path: Path) -> None:
    graph, out = imported_run
    route = load_script("add_dermatoscopic_route")
    expert = tmp_path / "expert.onnx"
    assert route._cut_expert(argparse.Namespace(expert=out), expert) == "network0 (best epoch 0), one view"
    pixels = np.random.default_rng(2).normal(size=(2, 3, 150, 200)).astype(np.float32)
    np.testing.assert_allclose(_logits(expert, pixels), _logits(graph, pixels), atol=5e-3)


def test_with_a_route_partner_the_pair_is_trained_and_validated(tmp_path: Path) -> None:
    network, partner = _trained_looking(3), _trained_looking(4)
    partner_weights = [p.detach().clone() for p in partner.parameters()]
    head = network._fc.weight.detach().clone()
    config = TrainConfig(height=64, width=64, epochs=1, batch_size=4, lr=1e-3, bf16=False, frozen_batchnorm=True)
    val = _images(16)
    train_network(
        network,
        train=_images(8),
        val=val,
        spec=SMALL,
        malignant_indices=[DIAGNOSES.index("mel")],
        config=config,
        device=torch.device("cpu"),
        run_dir=tmp_path,
        partner=partner,
    )
    assert not torch.equal(head, network._fc.weight)  # this network learns
    assert all(torch.equal(a, b) for a, b in zip(partner_weights, partner.parameters(), strict=True))  # not its partner
    logged = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[0])
    cpu = torch.device("cpu")
    pair = (predict_logits(network, val.pixels, SMALL, cpu) + predict_logits(partner, val.pixels, SMALL, cpu)) / 2
    scores = malignant_probability(pair, 1.0, [DIAGNOSES.index("mel")])
    assert logged["val_roc_auc"] == pytest.approx(roc_auc_score(val.malignant, scores))


def test_a_route_partner_with_another_input_is_refused(imported_run: tuple[Path, Path], tmp_path: Path) -> None:
    _, partner = imported_run
    config = TrainConfig(data_dir=DATA_DIR, output_dir=tmp_path, height=75, width=100, route_partner=partner)
    with pytest.raises(ValueError, match="takes another input than this run"):
        run_training(config, stop_after_training=True)
