"""The README's shell blocks, run as written against a real `spotcheck serve` (a doc test).

Shell blocks run in order in one bash session at the repository root, as a reader pastes them into
one shell, with the server's address in place of ``http://127.0.0.1:8000`` and the venv's ``bin``
first on the path (the README's set-up made it). The rules for blocks are in `readme_blocks.py`; the
Python block about direct uploads needs the scaled stack, so `test_serve_scaled.py` runs it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from live_server import LiveServer
from readme_blocks import README_API, assert_matches, json_values, readme_blocks
from spotcheck.classifier.packaged import packaged_model_path

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"


def test_readme_blocks_are_found() -> None:
    blocks = readme_blocks()
    shells = [b for b in blocks if b.kind == "shell"]
    assert len(shells) >= 3, "the walk-through, the refused photo and the spots blocks"
    assert sum(b.expected is not None for b in blocks) >= 2
    assert any(b.kind == "python" for b in blocks)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(data_dir=tmp_path / "data", model_path=packaged_model_path(), jwt_secret="x" * 48) as live:
        yield live


@pytest.mark.skipif(not DATASETS.is_dir(), reason="the README's example photos live in ../shared/datasets")
def test_readme_shell_blocks_run_as_written(server: LiveServer) -> None:
    shells = [b for b in readme_blocks() if b.kind == "shell"]
    script = ["set -eo pipefail"]
    for index, block in enumerate(shells):
        script += [f"echo '@@block {index}@@'", block.code.replace(README_API, server.url)]
    before = set(os.listdir(ROOT))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    outputs = re.split(r"^@@block \d+@@\n", result.stdout, flags=re.MULTILINE)[1:]
    assert len(outputs) == len(shells)
    for block, output in zip(shells, outputs, strict=True):
        assert "}{" not in output, f"README line {block.line}: answers run together on one line"
        if block.expected is not None:
            printed = json_values(output)
            assert printed, f"README line {block.line} printed no JSON:\n{output}"
            assert_matches(printed[-1], block.expected, f"README line {block.line}")
    assert set(os.listdir(ROOT)) <= before, "a README block wrote into the clone"
