"""bench.admin runs, start to end, on tiny databases: every page in every role answers,
and the delivery burst delivers everything with CRISIS texts and audit paging going on.
No timing is asserted (docs/performance.md has real figures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.admin import main

pytestmark = pytest.mark.slow


def test_the_admin_benchmark_runs_on_tiny_databases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "figures.json"
    code = main(
        [
            "--quick",
            "--small", str(tmp_path / "small.db"),
            "--big", str(tmp_path / "big.db"),
            "--burst", "200",
            "--json", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "ADMIN PAGES" in printed
    assert "DELIVERY BURST" in printed
    figures = json.loads(out.read_text())
    roles = {f["role"] for f in figures["pages"]}
    assert roles == {"practitioner", "team lead", "admin"}
    assert len(figures["pages"]) > 40
    burst = figures["burst"]["sqlite"]
    assert burst["messages"] == 200
    assert burst["crisis_count"] > 0  # CRISIS was answered during the burst
