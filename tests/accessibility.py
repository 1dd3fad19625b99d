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


# What axe files under best practice, and we ask of every page: headings that go down one
# level at a time from one <h1>, and no two buttons that say the same thing.
_HOUSE_RULES = r"""() => {
  const found = [];
  const headings = [...document.querySelectorAll("main h1, main h2, main h3, main h4")]
    .filter(h => !h.closest(".error-summary"));  // NHS.UK's summary: an h2 above the h1
  let level = 0;
  for (const h of headings) {
    const now = Number(h.tagName[1]);
    const text = h.innerText.trim();
    if (now > level + 1) found.push(`heading-order: ${h.tagName} "${text}" after h${level}`);
    level = now;
  }
  if (document.querySelectorAll("main h1").length !== 1) found.push("one <h1> in main");
  const seen = new Map();
  for (const b of document.querySelectorAll("main button")) {
    const name = (b.getAttribute("aria-label") || b.innerText).replace(/\s+/g, " ").trim();
    seen.set(name, (seen.get(name) || 0) + 1);
  }
  for (const [name, n] of seen) if (n > 1) found.push(`${n} buttons say "${name}"`);
  return found;
}"""


def house_rules(page: Page) -> list[str]:
    found: list[str] = page.evaluate(_HOUSE_RULES)
    return found


def check(page: Page, name: str) -> None:
    found = violations(page) + house_rules(page)
    assert found == [], f"{name} ({page.url}) breaks WCAG 2.2 AA:\n" + "\n".join(found)
