"""The web page is served at / with strict security headers, beside an unshadowed API."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from spotcheck.api.headers import API_CONTENT_SECURITY_POLICY
from spotcheck.classifier.labels import Classification
from spotcheck.recommendation import recommendation_for
from spotcheck.web import STATIC_DIR

_JS_BUDGET_GZIP_BYTES = 200_000


def _csp(client: TestClient, path: str) -> dict[str, str]:
    response = client.get(path)
    assert response.status_code == 200, path
    directives = (part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    return {name: value for name, value in directives}


def test_page_is_served_at_root_as_html(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>SpotCheck" in response.text
    assert "A screening aid, not a diagnosis." in response.text


@pytest.mark.parametrize("path", ["/", "/static/js/main.js", "/static/app.css"])
def test_page_and_assets_carry_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    csp = _csp(client, path)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["img-src"] == "'self' blob: data:"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert "unsafe" not in response.headers["content-security-policy"]


def test_modules_are_served_as_javascript(client: TestClient) -> None:
    response = client.get("/static/js/main.js")
    assert response.headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript"}


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("inline <style>")
        self.problems.extend(
            f"{name} attribute on <{tag}>" for name in names if name == "style" or name.startswith("on")
        )


@pytest.mark.parametrize("page", ["index.html", "share.html"])
def test_page_has_no_inline_script_or_style_for_the_csp_to_block(page: str) -> None:
    finder = _InlineFinder()
    finder.feed((STATIC_DIR / page).read_text())
    assert finder.problems == []


def test_share_links_open_the_read_only_page_with_the_page_headers(client: TestClient) -> None:
    response = client.get("/share/some-token_with-dashes")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/js/share.js">' in response.text
    assert "upload" not in response.text.lower() and "delete" not in response.text.lower()
    assert response.headers["referrer-policy"] == "no-referrer"  # the token never leaks in a Referer
    assert _csp(client, "/share/x")["script-src"] == "'self'"


def test_the_page_shows_the_fixed_recommendations_word_for_word() -> None:
    source = (STATIC_DIR / "js" / "format.js").read_text()
    block = source[source.index("export const RECOMMENDATIONS") :]
    block = block[: block.index("};")]
    joined = re.sub(r'"\s*\+\s*"', "", block)  # the JS joins each text from two literals
    for label in Classification:
        assert f'{label.value}:\n    "{recommendation_for(label)}"' in joined, label


def test_the_disclaimer_is_said_once_inside_the_main_landmark() -> None:
    html = (STATIC_DIR / "index.html").read_text()
    assert html.count("A screening aid, not a diagnosis.") == 1
    main = html[html.index("<main") : html.index("</main>")]
    assert 'id="disclaimer"' in main and 'id="status"' in main


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_polling_starts_fast_and_backs_off_to_retry_after() -> None:
    script = f"""
      import {{ pollDelay, FIRST_MS }} from "{(STATIC_DIR / "js" / "polling.js").as_uri()}";
      const free = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => pollDelay(n));
      const capped = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => pollDelay(n, 1000));
      const tiny = pollDelay(3, 0);
      console.log(JSON.stringify({{ FIRST_MS, free, capped, tiny }}));
    """
    out = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True, timeout=30
    )
    schedule = json.loads(out.stdout)
    assert 150 <= schedule["FIRST_MS"] <= 250
    assert schedule["free"][0] == schedule["FIRST_MS"]
    assert schedule["free"] == sorted(schedule["free"]) and schedule["free"][-1] == 2000
    assert max(schedule["capped"]) == 1000  # never longer than the server's Retry-After
    assert schedule["capped"][0] == schedule["FIRST_MS"]
    assert schedule["tiny"] == schedule["FIRST_MS"]  # Retry-After: 0 does not make the page spin


def test_first_load_javascript_is_well_under_budget() -> None:
    scripts = sorted((STATIC_DIR / "js").glob("*.js"))
    assert scripts, "no modules found"
    total = sum(len(gzip.compress(path.read_bytes())) for path in scripts)
    assert total < _JS_BUDGET_GZIP_BYTES


def test_every_module_import_resolves() -> None:
    for path in (STATIC_DIR / "js").glob("*.js"):
        for target in re.findall(r'(?:from |import\()"(\./[^"]+)"', path.read_text()):  # static and dynamic
            assert (path.parent / target).is_file(), f"{path.name} imports missing {target}"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/healthz", 200), ("/openapi.json", 200), ("/docs", 404), ("/images", 401), ("/detect/x.jpg", 401)],
)
def test_api_routes_are_not_shadowed_by_the_page(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    # The API's own policy (nothing may run), not the page's; /docs is off unless SPOTCHECK_API_DOCS.
    assert response.headers["content-security-policy"] == API_CONTENT_SECURITY_POLICY


def test_unknown_static_file_is_404(client: TestClient) -> None:
    assert client.get("/static/nope.js").status_code == 404
    assert client.get("/static/../config.py").status_code == 404


def test_session_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/ui/session"]) == {"get", "post", "delete"}
    assert "/" not in paths


@pytest.mark.parametrize("path", ["/", "/static/js/result.js", "/static/app.css", "/openapi.json"])
def test_text_answers_are_gzipped(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]


def test_small_answers_are_not_gzipped(client: TestClient) -> None:
    response = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers


@pytest.mark.parametrize("path", ["/app/check", "/app/result/abc.jpg", "/app/spots", "/app/spots/3f2a", "/app/account"])
def test_every_screen_address_is_the_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/js/main.js">' in response.text
    assert _csp(client, path)["script-src"] == "'self'"


def test_the_page_says_when_the_request_had_no_session_cookie(client: TestClient) -> None:
    client.cookies.clear()
    assert "data-signed-out" in client.get("/").text
    client.cookies.set("spotcheck_session", "anything")
    assert "data-signed-out" not in client.get("/app/spots").text
    assert "Cookie" in client.get("/").headers["vary"]
    client.cookies.clear()


def test_the_manifest_and_the_service_worker_are_served_for_the_whole_site(client: TestClient) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert (body["display"], body["start_url"]) == ("standalone", "/app/check")
    assert {icon["sizes"] for icon in body["icons"]} == {"192x192", "512x512"}
    for icon in body["icons"]:
        assert client.get(icon["src"]).headers["content-type"] == "image/png"
    worker = client.get("/sw.js")
    assert worker.headers["content-type"].split(";")[0] == "text/javascript"
    assert "caches" in worker.text
    csp = _csp(client, "/")
    assert (csp["manifest-src"], csp["worker-src"]) == ("'self'", "'self'")
    assert client.get("/").headers["permissions-policy"] == "camera=(self), microphone=(), geolocation=()"


def test_the_service_worker_keeps_every_module_of_the_shell() -> None:
    worker = (STATIC_DIR / "sw.js").read_text()
    for path in (STATIC_DIR / "js").glob("*.js"):
        if path.name != "share.js":  # the share view is not part of the installed app
            assert f'"{path.stem}"' in worker, f"sw.js does not keep {path.name}"
