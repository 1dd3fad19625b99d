"""The print view as Chromium prints it: the running header and footer on every page of
the PDF, and NOT APPROVED on every page of a version nobody approved."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader

from tests.test_browser import _sign_in, chromium, page, site  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _pages(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]


def test_every_printed_page_says_whose_plan_which_version_and_page_x_of_y(
    page: Page,  # noqa: F811
    site: dict[str, object],  # noqa: F811
) -> None:
    base, ids = site["base"], site["ids"]
    _sign_in(page, base, "pat@example.org")
    plan = f"{base}/admin/participants/{ids['alex']}/plans/crisis/versions"
    for number, approved in ((1, True), (2, False)):
        page.goto(f"{plan}/{number}/print")
        # A small sheet, so the plan runs over several pages.
        pdf = page.pdf(width="105mm", height="120mm")
        pages = _pages(pdf)
        assert len(pages) >= 2
        for n, text in enumerate(pages, start=1):
            assert "Alex, no NHS number" in text, text
            assert f"Crisis plan, version {number}" in text, text
            assert "Printed" in text, text
            assert f"Page {n} of {len(pages)}" in text, text
            assert ("NOT APPROVED" in text) is not approved, text
