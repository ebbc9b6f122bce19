"""Run axe-core (npm, pinned in package.json, installed by scripts/test.sh) on a playwright page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

__all__ = ["AXE_JS", "serious_violations"]

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page: Page) -> list[str]:
    """axe's violations of impact serious or critical, one line each (rule, impact, first targets).

    The page's CSP allows no injected script, so the context running this must be made with
    ``bypass_csp=True``.
    """
    if not AXE_JS.is_file():
        pytest.skip(f"{AXE_JS} is missing: run `npm ci` (scripts/test.sh does)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
