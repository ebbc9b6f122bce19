"""Settings: read from flat ``SPOTCHECK_*`` variables into groups; refused at start-up when they cannot work
(the OpenID provider, local passwords, the model server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from spotcheck.cli import app
from spotcheck.config import Settings, explain_settings_error


def test_by_default_passwords_are_on_and_there_is_no_provider(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.accounts.local_accounts is True
    assert settings.oidc.issuer is None


def test_the_provider_name_comes_from_the_issuer_host_unless_given(tmp_path: Path) -> None:
    issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC"
    settings = Settings(data_dir=tmp_path, oidc_issuer=issuer, oidc_client_id="web")
    assert settings.oidc.display_name == "cognito-idp.eu-west-1.amazonaws.com"
    named = Settings(data_dir=tmp_path, oidc_issuer=issuer, oidc_client_id="web", oidc_name="Acme ID")
    assert named.oidc.display_name == "Acme ID"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"oidc_issuer": "http://id.example.org/realms/x", "oidc_client_id": "web"}, "must use https"),
        ({"oidc_issuer": "id.example.org", "oidc_client_id": "web"}, "is not an issuer URL"),
        ({"oidc_issuer": "https://id.example.org/realms/x"}, "needs SPOTCHECK_OIDC_CLIENT_ID"),
        ({"local_accounts": False}, "leaves no way to sign in"),
        ({"model_url": "model-server:8080"}, "is not a URL like http://127.0.0.1:8080"),
        ({"model_url": "http://m:8080", "sagemaker_endpoint": "spotcheck"}, "not both"),
        ({"model_timeout_seconds": 0}, "greater than 0"),
    ],
)
def test_settings_that_cannot_work_are_refused(tmp_path: Path, changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(data_dir=tmp_path, **changes)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_plain_http_is_allowed_on_loopback_only(tmp_path: Path, host: str) -> None:
    settings = Settings(data_dir=tmp_path, oidc_issuer=f"http://{host}:9000", oidc_client_id="web")
    assert settings.oidc.issuer == f"http://{host}:9000"


def test_flat_variables_fill_their_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOTCHECK_S3_BUCKET", "photos")
    monkeypatch.setenv("spotcheck_max_upload_bytes", "1000")  # names are not case-sensitive
    monkeypatch.setenv("SPOTCHECK_SIGN_IN_FAILURE_LIMIT_PER_ACCOUNT", "3/hour")
    monkeypatch.setenv("SPOTCHECK_METRICS", "false")
    monkeypatch.setenv("SPOTCHECK_JOB_LEASE_SECONDS", "7.5")
    settings = Settings(data_dir=tmp_path, s3_region="eu-west-1")
    assert (settings.storage.bucket, settings.storage.region) == ("photos", "eu-west-1")
    assert settings.uploads.max_upload_bytes == 1000
    assert settings.throttle.sign_in_failures_per_account == "3/hour"
    assert settings.monitoring.metrics is False
    assert settings.jobs.lease_seconds == 7.5
    assert len(Settings.model_fields) <= 15


def test_a_keyword_wins_over_the_environment_and_updated_checks_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTCHECK_MAX_SPOTS_PER_ACCOUNT", "7")
    settings = Settings(data_dir=tmp_path, max_spots_per_account=9)
    assert settings.uploads.max_spots_per_account == 9
    changed = settings.updated(api_docs=True)
    assert (changed.server.api_docs, changed.uploads.max_spots_per_account, changed.data_dir) == (True, 9, tmp_path)
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        settings.updated(max_spots_per_account=0)
    with pytest.raises(TypeError, match="no such settings: max_spot"):
        settings.updated(max_spot=1)


def test_a_refusal_names_the_variable_and_never_shows_a_secret(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(data_dir=tmp_path, max_upload_bytes=0, jwt_secret="changeme", storage_backend="ftp")
    text = explain_settings_error(refused.value)
    assert "SPOTCHECK_MAX_UPLOAD_BYTES: Input should be greater than 0 (got 0)" in text
    assert "SPOTCHECK_STORAGE_BACKEND: Input should be 'local' or 's3' (got 'ftp')" in text
    assert "SPOTCHECK_JWT_SECRET must be a random value" in text
    assert "changeme" not in text


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["events", "--stdin"], ["db", "upgrade"]])
def test_a_command_refuses_a_bad_variable_in_one_line_naming_it(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTCHECK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SPOTCHECK_JOB_LEASE_SECONDS", "-1")
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2
    assert "SPOTCHECK_JOB_LEASE_SECONDS: Input should be greater than 0 (got '-1')" in result.output
    assert "Traceback" not in result.output and not list(tmp_path.iterdir())  # refused before anything started


@pytest.mark.parametrize(
    ("changes", "cores", "labelling_process", "threads"),
    [
        ({}, 2, True, 2),
        ({}, 16, True, 2),
        ({}, 1, False, 1),
        ({"worker_concurrency": 3}, 2, True, 3),
        ({"worker_concurrency": 0}, 2, False, 0),
        ({"worker_process": False}, 2, False, 1),
        ({"worker_process": True}, 1, True, 2),
        ({"deployment": "shared", "database_url": "postgresql+psycopg://db/spotcheck"}, 2, False, 1),
        ({"model_url": "http://127.0.0.1:8080"}, 2, False, 1),  # the pass runs in the model server
        ({"sagemaker_endpoint": "spotcheck-lesion"}, 2, False, 1),
    ],
)
def test_unset_the_embedded_server_labels_in_a_labelling_process_on_two_cores_or_more(
    tmp_path: Path, changes: dict[str, object], cores: int, labelling_process: bool, threads: int
) -> None:
    jobs = Settings(data_dir=tmp_path, **changes).with_worker_layout(cores=cores).jobs
    assert (jobs.worker_process, jobs.threads) == (labelling_process, threads)


def test_unset_settings_built_in_code_keep_the_workers_in_their_own_process(tmp_path: Path) -> None:
    jobs = Settings(data_dir=tmp_path).jobs  # as tests and embedders build them: no layout decided
    assert (bool(jobs.worker_process), jobs.threads) == (False, 1)
