"""The scheduling docs name every option of the commands that schedule, from the parser."""

from __future__ import annotations

import argparse

import pytest

from bot.cli import _parser
from bot.settings import PROJECT_ROOT

DOC = (PROJECT_ROOT / "docs" / "scheduling.md").read_text(encoding="utf-8")
DEPLOYMENT = (PROJECT_ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")


def _options(*path: str) -> list[str]:
    parser = _parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return [
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]


@pytest.mark.parametrize("option", _options("participant", "schedule"))
def test_every_schedule_option_is_documented(option: str) -> None:
    assert f"{option}" in DOC


@pytest.mark.parametrize("option", ["--lease", "--batch", "--lanes", "--sweep-every", "--once"])
def test_the_worker_options_are_documented(option: str) -> None:
    assert option in _options("worker")
    assert f"`{option}`" in DOC


def test_serve_with_worker_and_several_processes_are_documented() -> None:
    assert "--with-worker" in _options("serve")
    assert "`touchpoint serve --with-worker`" in DOC
    assert "## Several processes behind a load balancer" in DEPLOYMENT
    assert "python -m bench.dispatch" in DOC
