"""`spotcheck events`: the consumer command, fed S3 event notifications on standard input."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

import s3_server
from conftest import TEST_SECRET
from images import RED, image_bytes
from s3_server import S3Endpoint
from spotcheck.cli import app
from spotcheck.clock import utc_now
from spotcheck.config import Settings
from spotcheck.ingest import notification_json
from spotcheck.runtime import build_runtime
from spotcheck.storage.keys import object_key_for

s3_endpoint = s3_server.s3_endpoint
s3_bucket = s3_server.s3_bucket


def test_events_needs_exactly_one_source() -> None:
    result = CliRunner().invoke(app, ["events"])
    assert result.exit_code == 2
    assert "--filer" in result.output and "--stdin" in result.output


def test_events_refuses_the_local_backend(tmp_path: Path, tiny_model_path: Path) -> None:
    env = {"SPOTCHECK_MODEL_PATH": str(tiny_model_path), "SPOTCHECK_JWT_SECRET": TEST_SECRET}
    result = CliRunner().invoke(app, ["events", "--stdin", "--data-dir", str(tmp_path)], env=env, input="")
    assert result.exit_code == 2
    assert "SPOTCHECK_STORAGE_BACKEND=s3" in result.output


@pytest.mark.s3
def test_events_from_stdin_take_in_a_raw_object(
    s3_endpoint: S3Endpoint, s3_bucket: str, tmp_path: Path, tiny_model_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {
        **s3_endpoint.env(s3_bucket),
        "SPOTCHECK_MODEL_PATH": str(tiny_model_path),
        "SPOTCHECK_JWT_SECRET": TEST_SECRET,
    }
    settings = Settings(
        data_dir=tmp_path, model_path=tiny_model_path, jwt_secret=SecretStr(TEST_SECRET), storage_backend="local"
    )
    runtime = build_runtime(settings)
    owner = runtime.accounts.register(email="ada@example.org", password="correct horse battery").id
    runtime.stop()
    key = object_key_for(owner, "mole photo.png")
    s3_endpoint.client().put_object(Bucket=s3_bucket, Key=key, Body=image_bytes(RED, fmt="PNG"))
    event = notification_json(
        bucket=s3_bucket, key=key, size=1, etag="", sequencer="01", event_time=utc_now(), event_name="Put"
    )
    lines = "not json\n" + json.dumps(event) + "\n"

    with caplog.at_level(logging.INFO, logger="spotcheck.ingest"):
        result = CliRunner().invoke(
            app, ["events", "--stdin", "--reconcile-seconds", "0", "--data-dir", str(tmp_path)], env=env, input=lines
        )
    assert result.exit_code == 0, result.output
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("skipped a bucket event: not JSON") for m in messages), messages
    # Handled from the line (the start-up reconciliation may have been first: then it was already recorded).
    assert f"{key}: recorded" in messages or f"{key}: already-recorded" in messages, messages
    stored = s3_endpoint.client().head_object(Bucket=s3_bucket, Key=key)
    assert stored["ContentType"] == "image/jpeg" and "upload-id" in stored["Metadata"]
