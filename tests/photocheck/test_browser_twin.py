"""The page's photocheck.js must measure and judge as photocheck/quality.py does, with its limits."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from spotcheck.photocheck.quality import (
    BROWSER_LIMITS,
    DEFAULT_LIMITS,
    judge_quality,
    limits_document,
    measure_grey,
)

STATIC = Path(__file__).resolve().parents[2] / "src" / "spotcheck" / "web" / "static"
NODE = shutil.which("node")


def _greys() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    blocks = np.kron(rng.uniform(60, 200, size=(15, 20)), np.ones((10, 10)))
    textured = np.clip(blocks + rng.normal(0, 5, blocks.shape), 0, 255).astype(np.uint8)
    soft = np.clip(np.kron(rng.uniform(90, 160, size=(5, 7)), np.ones((30, 30)))[:150, :200], 0, 255)
    return {
        "textured": textured,
        "soft": soft.astype(np.uint8),
        "dark": (textured // 12).astype(np.uint8),
        "blown": np.clip(textured.astype(np.int32) * 3, 0, 255).astype(np.uint8),
        "flat": np.full((200, 120), 128, np.uint8),
        "sliver": np.full((200, 3), 40, np.uint8),
    }


def test_photo_limits_json_holds_the_python_defaults() -> None:
    stored = json.loads((STATIC / "photo-limits.json").read_text())
    assert stored == limits_document(), (
        "static/photo-limits.json is stale: PYTHONPATH=src python scripts/bench_photo_gate_quality.py --write-limits"
    )


def test_the_page_is_more_lenient_than_the_server() -> None:
    browser = BROWSER_LIMITS
    assert browser.min_sharpness <= DEFAULT_LIMITS.min_sharpness
    assert browser.min_bright_level <= DEFAULT_LIMITS.min_bright_level
    assert browser.max_white_fraction >= DEFAULT_LIMITS.max_white_fraction


@pytest.mark.skipif(NODE is None, reason="needs Node.js to run the page's module")
def test_javascript_measures_and_judges_like_python(tmp_path: Path) -> None:
    # Node treats a .js file outside a "type": "module" package as CommonJS; a .mjs copy is ESM.
    module = tmp_path / "photocheck.mjs"
    shutil.copy(STATIC / "js" / "photocheck.js", module)
    greys = _greys()
    cases = {name: {"grey": g.ravel().tolist(), "width": g.shape[1], "height": g.shape[0]} for name, g in greys.items()}
    (tmp_path / "cases.json").write_text(json.dumps({"cases": cases, "constants": limits_document()}))
    script = """
        import { readFileSync } from "node:fs";
        import { measureGrey, judge } from "./photocheck.mjs";
        const { cases, constants } = JSON.parse(readFileSync("cases.json", "utf8"));
        const out = {};
        for (const [name, c] of Object.entries(cases)) {
          const stats = measureGrey(Uint8Array.from(c.grey), c.width, c.height, constants);
          out[name] = { ...stats, reason: judge(stats, constants.server) };
        }
        console.log(JSON.stringify(out));
    """
    (tmp_path / "run.mjs").write_text(script)
    assert NODE is not None
    done = subprocess.run([NODE, "run.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True)
    measured = json.loads(done.stdout)

    reasons = set()
    for name, grey in greys.items():
        expected = measure_grey(grey)
        got = measured[name]
        assert got["sharpness"] == pytest.approx(expected.sharpness, rel=1e-9, abs=1e-12), name
        assert got["meanLevel"] == pytest.approx(expected.mean_level, rel=1e-12), name
        assert got["brightLevel"] == pytest.approx(expected.bright_level, rel=1e-12), name
        assert got["whiteFraction"] == pytest.approx(expected.white_fraction, rel=1e-12), name
        verdict = judge_quality(expected, DEFAULT_LIMITS)
        assert got["reason"] == (verdict.value if verdict else None), name
        reasons.add(got["reason"])
    assert reasons == {None, "blurry", "too-dark", "too-bright"}  # every branch of judge is compared


def test_rgba_to_grey_rounds_as_pillow_does(tmp_path: Path) -> None:
    if NODE is None:
        pytest.skip("needs Node.js to run the page's module")
    from PIL import Image

    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)
    expected = np.asarray(Image.fromarray(rgb).convert("L")).ravel().tolist()
    rgba = np.concatenate([rgb, np.full((16, 16, 1), 255, np.uint8)], axis=2).ravel().tolist()
    shutil.copy(STATIC / "js" / "photocheck.js", tmp_path / "photocheck.mjs")
    (tmp_path / "run.mjs").write_text(
        'import { greyFromRgba } from "./photocheck.mjs";\n'
        f"console.log(JSON.stringify(Array.from(greyFromRgba(Uint8Array.from({json.dumps(rgba)})))));\n"
    )
    done = subprocess.run([NODE, "run.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == expected
