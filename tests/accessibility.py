"""axe-core (through axe-playwright-python) on the page a browser test is showing: WCAG 2.2
level A and AA, and zero violations, or the test fails naming each rule and element."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

_AXE = Axe()
WCAG_22_AA = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}


def _described(violation: dict[str, Any]) -> str:
    where = [" ".join(map(str, node.get("target", []))) for node in violation.get("nodes", [])]
    return f"{violation['id']} ({violation.get('impact')}): {violation['help']} at {where[:5]}"


def violations(page: Page) -> list[str]:
    results = _AXE.run(page, options=WCAG_22_AA)
    return [_described(v) for v in results.response["violations"]]


def check(page: Page, name: str) -> None:
    found = violations(page)
    assert found == [], f"{name} ({page.url}) breaks WCAG 2.2 AA:\n" + "\n".join(found)
