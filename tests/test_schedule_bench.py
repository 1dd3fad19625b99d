"""bench/dispatch.py runs start to end on a tiny load (no timing is asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.dispatch import main

pytestmark = pytest.mark.slow


def test_the_dispatch_benchmark_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figures.json"
    assert main(["--sqlite", "--messages", "40", "--workers", "1", "2", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 worker" in printed
    assert "2 workers" in printed
    assert "ratio 2 workers / 1" in printed
    runs = json.loads(out.read_text())["runs"]
    assert [r["workers"] for r in runs] == [1, 2]
    assert all(r["sent_once"] and r["rate"] > 0 for r in runs)
