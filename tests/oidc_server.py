"""A real OpenID provider for tests: the certified npm `oidc-provider` (tests/oidc/provider.js) on loopback.

Started once per test session (``npm ci`` first when tests/oidc/node_modules is missing), with
signing keys the tests make, so that tests can also sign tokens with the provider's own key and
change one claim at a time (expired, another issuer, another audience). ``OpenIdProvider.sign_in``
runs the authorization code flow with PKCE as a client would and returns the tokens it got.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from live_server import free_port

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "RESOURCE", "OpenIdProvider", "ProviderTokens", "oidc_provider"]

PROVIDER_DIR = Path(__file__).parent / "oidc"
CLIENT_ID = "spotcheck-test"
CLIENT_SECRET = "spotcheck-test-client-secret-" + "c" * 20
RESOURCE = "https://spotcheck.test/api"
# Any port: the client is a "native" one, whose loopback redirect URIs ignore the port (RFC 8252).
REDIRECT_URI = "http://127.0.0.1:1/auth/oidc/callback"
START_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class ProviderTokens:
    id_token: str
    access_token: str


def _pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class OpenIdProvider:
    """``node provider.js`` in a subprocess; its signing keys are in ``keys`` (private parts included)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.log_path = root / "oidc-provider.log"
        self.keys = KeySet(
            [
                RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig", "alg": "RS256"}),
                ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig", "alg": "ES256"}),
            ]
        )
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> OpenIdProvider:
        _install()
        jwks_file = self.root / "jwks.json"
        jwks_file.write_text(json.dumps(self.keys.as_dict(private=True)))
        env = {
            **os.environ,
            "OIDC_PORT": str(self.port),
            "OIDC_JWKS_FILE": str(jwks_file),
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_RESOURCE": RESOURCE,
        }
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("the OpenID provider tests need Node.js (node) on PATH")
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [node, str(PROVIDER_DIR / "provider.js")], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"oidc-provider exited with {self._process.returncode}:\n{self._log()}")
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"oidc-provider not ready after {START_TIMEOUT}s:\n{self._log()}")

    def _log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else "(no log)"

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)
        self._process = None

    def env(self, **extra: str) -> dict[str, str]:
        """``SPOTCHECK_*`` variables that make a `spotcheck` process trust this provider."""
        return {
            "SPOTCHECK_OIDC_ISSUER": self.issuer,
            "SPOTCHECK_OIDC_CLIENT_ID": CLIENT_ID,
            "SPOTCHECK_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "SPOTCHECK_OIDC_AUDIENCE": RESOURCE,
            **extra,
        }

    def sign(self, claims: Mapping[str, Any], *, kid: str = "rsa-1", alg: str = "RS256") -> str:
        """A token signed with the provider's own published key: only the claims can be wrong."""
        return jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, dict(claims), self.keys.get_by_kid(kid))

    def claims(self, username: str, **changes: Any) -> dict[str, Any]:
        """The claims of a valid access token for ``username``, with ``changes`` applied."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": username,
            "aud": RESOURCE,
            "iat": now,
            "exp": now + 300,
            "client_id": CLIENT_ID,
            "scope": "api",
        }
        claims.update(changes)
        return {name: value for name, value in claims.items() if value is not None}

    def complete_sign_in(self, authorization_url: str, username: str) -> str:
        """Sign in as ``username`` at ``authorization_url``, as a browser would; the redirect back to the client."""
        with httpx.Client(timeout=10.0) as browser:
            page = browser.get(authorization_url, follow_redirects=True)
            assert page.status_code == 200, page.text
            action = re.search(r'action="([^"]+)"', page.text)
            assert action is not None, page.text
            answer = browser.post(f"{self.issuer}{action.group(1)}", data={"username": username})
            return _follow_to_client(answer, browser)

    def sign_in(self, username: str, *, opaque: bool = False) -> ProviderTokens:
        """The code flow with PKCE, as a client does it: the provider's own ID and access tokens.

        The access token is a JWT for SpotCheck's resource, or with ``opaque`` one only the provider reads.
        """
        verifier, challenge = _pkce_pair()
        resource = {} if opaque else {"resource": RESOURCE}
        query = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid email" if opaque else "openid email api",
            **resource,
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        redirect = self.complete_sign_in(f"{self.issuer}/auth?{urlencode(query)}", username)
        code = parse_qs(urlsplit(redirect).query)["code"][0]
        with httpx.Client(base_url=self.issuer, timeout=10.0) as browser:
            tokens = browser.post(
                "/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT_URI,
                    "code_verifier": verifier,
                    **resource,
                },
                auth=(CLIENT_ID, CLIENT_SECRET),
            )
        assert tokens.status_code == 200, tokens.text
        body = tokens.json()
        return ProviderTokens(id_token=body["id_token"], access_token=body["access_token"])


def _follow_to_client(response: httpx.Response, browser: httpx.Client) -> str:
    """Follow the provider's redirects up to the one back to the client (which nothing answers here)."""
    for _ in range(10):
        location = response.headers.get("location", "")
        if "/auth/oidc/callback" in location:
            return location
        if response.status_code not in (302, 303):
            break
        response = browser.get(urljoin(str(response.url), location))
    raise AssertionError(f"the provider did not redirect to the client: {response.status_code} {response.text[:500]}")


def _install() -> None:
    """``npm ci`` once: node_modules is not in git, and a fresh clone must install it."""
    if (PROVIDER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("the OpenID provider tests need npm to install tests/oidc (npm ci --prefix tests/oidc)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", str(PROVIDER_DIR)], check=True)


_PROVIDER = pytest.StashKey["OpenIdProvider | str"]()


@pytest.fixture(scope="session")
def oidc_provider(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> OpenIdProvider:
    """The session's one running provider, started on first use and stopped at the end."""
    config = request.config
    if _PROVIDER not in config.stash:
        provider = OpenIdProvider(tmp_path_factory.mktemp("oidc-provider"))
        config.add_cleanup(provider.stop)
        try:
            config.stash[_PROVIDER] = provider.start()
        except (RuntimeError, subprocess.CalledProcessError) as error:
            config.stash[_PROVIDER] = str(error)
    provider_or_error = config.stash[_PROVIDER]
    if isinstance(provider_or_error, str):
        pytest.fail(provider_or_error, pytrace=False)
    return provider_or_error
