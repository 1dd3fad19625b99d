"""The benchmark runs, start to end, on a tiny load. No timing is asserted: the figures
of a tiny run on a test machine mean nothing; docs/performance.md has real ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.run import main

pytestmark = pytest.mark.slow


def test_the_benchmark_runs_on_a_tiny_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "figures.json"
    code = main(
        [
            "--quick",
            "--seconds", "1",
            "--connections", "4",
            "--participants", "12",
            "--probe-rate", "10",
            "--scale-participants", "200",
            "--scale-messages", "2000",
            "--data-dir", str(tmp_path / "data"),
            "--json", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    for heading in ("SMS", "TELEGRAM", "SCALE", "ratio", "CRISIS at half load", "peak RSS"):
        assert heading in printed
    figures = json.loads(out.read_text())
    for channel in ("sms", "telegram"):
        result = figures["results"][channel]
        assert result["floor"]["rate"] > 0
        assert result["touchpoint"]["rate"] > 0
        # Every request was a real step: stored, answered, and never the fallback reply.
        checked = result["touchpoint"]["checked"]
        assert checked["inbound"] >= result["touchpoint"]["requests"]
        assert checked["replies"] >= checked["inbound"]
        assert checked["fallback_replies"] == 0
        assert result["half_load"]["crisis_count"] > 0
        assert result["half_load"]["failures"] == 0
    # The CRISIS target is judged on the server's own histogram of CRISIS replies.
    sms_half = figures["results"]["sms"]["half_load"]
    assert sms_half["server_crisis_p99_ms"] is not None
    assert 0 <= sms_half["server_crisis_within_25ms"] <= 1  # a share, not a timing target
    assert figures["results"]["scale"]["ratio"] > 0
