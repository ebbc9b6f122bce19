"""The deployment mode is explicit: shared parts need one JWT secret, and a database server means shared."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TEST_SECRET
from spotcheck.config import DeploymentError, Settings, check_deployment

PG = "postgresql+psycopg://spotcheck@db.internal/spotcheck"


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_embedded_sqlite_needs_no_secret(tmp_path: Path) -> None:
    check_deployment(_settings(tmp_path))


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"deployment": "shared", "database_url": PG}, "SPOTCHECK_DEPLOYMENT=shared needs SPOTCHECK_JWT_SECRET"),
        ({"storage_backend": "s3"}, "an S3 store (SPOTCHECK_STORAGE_BACKEND=s3) needs SPOTCHECK_JWT_SECRET"),
        ({"database_url": PG, "jwt_secret": TEST_SECRET}, "set SPOTCHECK_DEPLOYMENT=shared"),
        ({"deployment": "shared", "jwt_secret": TEST_SECRET}, "needs a database server"),
        ({"queue": "procrastinate", "jwt_secret": TEST_SECRET}, "SPOTCHECK_QUEUE=procrastinate runs on PostgreSQL"),
        (
            {"deployment": "shared", "database_url": PG, "jwt_secret": TEST_SECRET, "worker_process": True},
            "SPOTCHECK_WORKER_PROCESS is for the embedded default",
        ),
    ],
)
def test_refused(tmp_path: Path, values: dict[str, object], needle: str) -> None:
    with pytest.raises(DeploymentError) as refused:
        check_deployment(_settings(tmp_path, **values))
    assert needle in str(refused.value)


def test_shared_and_s3_with_a_secret_are_accepted(tmp_path: Path) -> None:
    check_deployment(_settings(tmp_path, deployment="shared", database_url=PG, jwt_secret=TEST_SECRET))
    check_deployment(_settings(tmp_path, storage_backend="s3", jwt_secret=TEST_SECRET))


def test_serve_refuses_to_start_with_a_clear_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTCHECK_")}
    env |= {"SPOTCHECK_DATA_DIR": str(tmp_path), "SPOTCHECK_DEPLOYMENT": "shared", "SPOTCHECK_DATABASE_URL": PG}
    done = subprocess.run(
        [sys.executable, "-m", "spotcheck", "serve"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "needs SPOTCHECK_JWT_SECRET" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("settings", "command", "says"),
    [
        ({"SPOTCHECK_DATABASE_URL": "garbage"}, "serve", "the database URL cannot be read"),
        ({"SPOTCHECK_DATABASE_URL": "garbage"}, "db", "the database URL cannot be read"),
        (
            {"SPOTCHECK_DEPLOYMENT": "shared", "SPOTCHECK_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x"},
            "worker",
            "cannot reach the database",
        ),
        ({"SPOTCHECK_DATA_DIR": "{tmp}/a-file/data"}, "serve", "Not a directory"),
        ({"SPOTCHECK_S3_ENDPOINT_URL": "notaurl", "SPOTCHECK_STORAGE_BACKEND": "s3"}, "serve", "is not a URL"),
    ],
)
def test_start_up_failures_an_operator_fixes_are_one_line_not_a_traceback(
    tmp_path: Path, settings: dict[str, str], command: str, says: str
) -> None:
    (tmp_path / "a-file").write_text("a file where the data folder should be")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTCHECK_")}
    env |= {"SPOTCHECK_DATA_DIR": str(tmp_path / "data"), "SPOTCHECK_JWT_SECRET": TEST_SECRET}
    env |= {"SPOTCHECK_S3_ACCESS_KEY_ID": "k", "SPOTCHECK_S3_SECRET_ACCESS_KEY": "s"}
    env |= {key: value.replace("{tmp}", str(tmp_path)) for key, value in settings.items()}
    args = {"serve": ["serve", "--port", "0"], "worker": ["worker"], "db": ["db", "upgrade"]}[command]
    done = subprocess.run(
        [sys.executable, "-m", "spotcheck", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
