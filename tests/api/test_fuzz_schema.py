"""Schemathesis against a real server: every operation, signed in, with zero server errors.

Runs its CLI (all four phases: schema examples, coverage of edge values and unlisted methods,
random fuzzing, and stateful sequences over the links it infers) with every check, so the
schema must say what the API really accepts and answers.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import TEST_SECRET, register_and_sign_in
from live_server import LiveServer

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 12  # per operation and phase: about 25 s on 2 CPU cores


@pytest.fixture
def live(tmp_path: Path, tiny_model_path: Path) -> Iterator[LiveServer]:
    generous = "10000/minute"  # the fuzzer, not throttling, is under test here (tests/api/test_throttling.py)
    env = {
        "SPOTCHECK_MAX_UPLOAD_BYTES": "200000",
        "SPOTCHECK_SIGN_IN_LIMIT_PER_ADDRESS": generous,
        "SPOTCHECK_SIGN_IN_FAILURE_LIMIT_PER_ACCOUNT": generous,
        "SPOTCHECK_REGISTER_LIMIT_PER_ADDRESS": generous,
        "SPOTCHECK_REGISTER_LIMIT_PER_ACCOUNT": generous,
    }
    with LiveServer(data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=env) as server:
        yield server


def test_schemathesis_finds_no_server_error_and_no_schema_violation(live: LiveServer, tmp_path: Path) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        auth = register_and_sign_in(client, "fuzz@example.org")
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", f"{live.url}/openapi.json",
        "--checks", "all",
        "--header", f"Authorization:{auth['Authorization']}",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", "20261126",
        "--workers", "1",
        "--generation-database", "none",
        "--request-timeout", "10",
        "--no-color",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    report = result.stdout + result.stderr
    print(report)  # pytest shows it with -s or on failure
    assert result.returncode == 0, report
    assert "Stateful" in report and "generated" in report
    log = live.log_path.read_text()
    assert "Traceback" not in log and " 500 " not in log, log[-5000:]
