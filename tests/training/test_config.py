from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

pytest.importorskip("torch")

from smoke_run import REPO_ROOT

from spotcheck.training.config import TrainConfig, load_config

pytestmark = pytest.mark.training


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    path = tmp_path / "recipe.toml"
    path.write_text('run_name = "trial"\nepochs = 3\nlr = 2e-4\nbf16 = false\n')
    return path


def test_toml_then_overrides(recipe: Path) -> None:
    config = load_config(
        recipe,
        ["epochs=5", "batch-size = 8", "mean=[0.485, 0.456, 0.406]", "data_dir=/data/ham 10000", "limit_images=70"],
    )
    assert (config.run_name, config.lr, config.bf16) == ("trial", 2e-4, False)
    assert (config.epochs, config.batch_size, config.limit_images) == (5, 8, 70)
    assert config.mean == (0.485, 0.456, 0.406)
    assert config.data_dir == Path("/data/ham 10000")
    assert config.seed == TrainConfig().seed


def test_names_that_look_like_numbers_stay_text(recipe: Path) -> None:
    config = load_config(recipe, ["run_name=2024", "version=1.5", "output_dir=7"])
    assert (config.run_name, config.version, config.output_dir) == ("2024", "1.5", Path("7"))
    assert load_config(recipe, ['run_name="quoted"']).run_name == "quoted"


def test_unknown_keys_are_rejected(recipe: Path, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"epoch\n.*Extra inputs are not permitted"):
        load_config(recipe, ["epoch=4"])
    bad = tmp_path / "bad.toml"
    bad.write_text("learning_rate = 0.1\n")
    with pytest.raises(ValidationError, match="learning_rate"):
        load_config(bad, [])


def test_override_must_be_key_equals_value(recipe: Path) -> None:
    with pytest.raises(ValueError, match="override 'epochs' is not of the form key=value"):
        load_config(recipe, ["epochs"])


def test_values_are_validated(recipe: Path) -> None:
    with pytest.raises(ValidationError, match="epochs"):
        load_config(recipe, ["epochs=0"])
    with pytest.raises(ValidationError, match="bf16"):
        load_config(recipe, ["bf16=maybe"])
    with pytest.raises(ValidationError, match=r"phone_fold 4 is not one of 0\.\.3"):
        load_config(recipe, ["phone_folds=4", "phone_fold=4"])


def test_shipped_recipes_load() -> None:
    release = load_config(REPO_ROOT / "configs" / "release.toml", [])
    smoke = load_config(REPO_ROOT / "configs" / "smoke.toml", [])
    assert (release.run_name, release.limit_images) == ("release", None)
    assert smoke.epochs == 1
    assert smoke.limit_images is not None


@pytest.mark.parametrize("recipes", sorted((REPO_ROOT / "configs").glob("gpu-*.txt")), ids=lambda p: p.name)
def test_every_gpu_round_line_is_a_valid_recipe(recipes: Path) -> None:
    """A typo in a round's overrides would only show on the GPU machine, after its time is spent."""
    lines = [line.split() for line in recipes.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert lines
    for name, *words in lines:
        assert words[::2] == ["-o"] * (len(words) // 2) and len(words) % 2 == 0, name
        config = load_config(REPO_ROOT / "configs" / "release-phone.toml", [f"run_name={name}", *words[1::2]])
        assert config.run_name == name


def test_config_round_trips_through_its_json(recipe: Path) -> None:
    config = load_config(recipe, ["epochs=2"])
    assert TrainConfig.model_validate_json(config.model_dump_json()) == config


@pytest.mark.parametrize(
    "override", ["run_name=../escape", "run_name=/tmp/elsewhere", "run_name=..", "bootstrap_samples=0"]
)
def test_a_run_stays_in_output_dir_and_bootstraps_at_least_once(override: str) -> None:
    with pytest.raises(ValidationError):
        load_config(None, [override])
