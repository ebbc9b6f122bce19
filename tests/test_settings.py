"""Settings of the OpenID provider, of local passwords and of the model server: refused at start-up when
they cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from spotcheck.config import Settings


def test_by_default_passwords_are_on_and_there_is_no_provider(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.local_accounts is True
    assert settings.oidc_issuer is None


def test_the_provider_name_comes_from_the_issuer_host_unless_given(tmp_path: Path) -> None:
    issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC"
    settings = Settings(data_dir=tmp_path, oidc_issuer=issuer, oidc_client_id="web")
    assert settings.oidc_display_name == "cognito-idp.eu-west-1.amazonaws.com"
    named = Settings(data_dir=tmp_path, oidc_issuer=issuer, oidc_client_id="web", oidc_name="Acme ID")
    assert named.oidc_display_name == "Acme ID"


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
    assert settings.oidc_issuer == f"http://{host}:9000"
