"""`touchpoint dialogs check` names the file and line of each mistake; graph prints Mermaid."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from transitions import Machine

from bot.engine.actions import ACTIONS
from bot.engine.compiler import DialogSet
from bot.engine.spec import DialogFileError
from bot.settings import PROJECT_ROOT
from bot.wording import Wording
from tests.conftest import Stack

WORDING = Wording(PROJECT_ROOT / "templates")

GOOD = """\
dialog: sample
start: ask
states:
  ask:
    prompt: check_in/went_well
    answer: text
    next: bye
  bye:
    prompt: check_in/thanks
    answer: none
    end: true
"""


def _check(tmp_path: Path, text: str, name: str = "sample") -> list[str]:
    (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    try:
        DialogSet.load(tmp_path, actions=ACTIONS, template_exists=WORDING.exists)
    except DialogFileError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_a_good_dialog_loads(tmp_path: Path) -> None:
    assert _check(tmp_path, GOOD) == []


@pytest.mark.parametrize(
    ("change", "line", "words"),
    [
        (("next: bye", "next: byee"), 4, "unknown state 'byee'"),
        (("answer: text", "answer: essay"), 6, "unknown value 'essay'"),
        (("prompt: check_in/thanks", "prompt: check_in/thanx"), 9, "missing template"),
        (
            (
                "    end: true\n",
                "    end: true\n  lost:\n    prompt: check_in/thanks\n"
                "    answer: none\n    end: true\n",
            ),
            12,
            "'lost' is unreachable",
        ),
        (("    next: bye\n", "    next: ask\n"), 4, "dead end"),
        (("    answer: text\n    next: bye\n", "    answer: text\n"), 4, "dead end"),
        (("answer: text", "answer: text\n    do: [fly_to_moon]"), 4, "unknown action"),
        (("answer: none\n    end: true", "answer: text\n    end: true"), 8, "end state"),
        (("start: ask", "start: begin"), 2, "start: unknown state 'begin'"),
        (("    next: bye\n", "    next: bye\n    colour: red\n"), 8, "Extra inputs"),
    ],
)
def test_each_mistake_is_named_with_file_and_line(
    tmp_path: Path, change: tuple[str, str], line: int, words: str
) -> None:
    problems = _check(tmp_path, GOOD.replace(*change))
    assert problems, "the mistake was not found"
    assert any(f"sample.yaml:{line}:" in p and words in p for p in problems), problems


def test_bad_yaml_is_named(tmp_path: Path) -> None:
    problems = _check(tmp_path, "dialog: sample\nstates: [unclosed\n")
    assert problems
    assert "sample.yaml:" in problems[0]
    assert "not valid YAML" in problems[0]


def test_the_shipped_dialogs_pass_the_check_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "dialogs", "check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("onboarding", "crisis_plan", "care_plan", "check_in", "review", "menu"):
        assert name in done.stdout


def test_the_check_command_reports_mistakes(tmp_path: Path) -> None:
    folder = tmp_path / "dialogs"
    shutil.copytree(PROJECT_ROOT / "dialogs", folder)
    (folder / "sample.yaml").write_text(GOOD.replace("next: bye", "next: nowhere"))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "dialogs", "check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={"TOUCHPOINT_DIALOGS_DIR": str(folder), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    assert "sample.yaml:4: state 'ask': next goes to unknown state 'nowhere'" in done.stdout


def test_graph_prints_mermaid_of_the_compiled_machine() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "dialogs", "graph", "crisis_plan"],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("stateDiagram-v2\n")
    assert "    [*] --> warning_signs" in done.stdout
    assert "    warning_signs --> coping: skip" in done.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "dialogs", "graph", "nope"],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
    )
    assert missing.returncode == 1
    assert "There is no dialog called 'nope'" in missing.stderr


def test_no_machine_is_built_per_message(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    original = Machine.__init__

    def counting(self: Machine, *args: object, **kwargs: object) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Machine, "__init__", counting)
    pid = stack.add_participant()
    for text in ("MENU", "1", "yes", "Not sleeping", "DONE", "yes", "BACK", "CRISIS"):
        stack.send(pid, text)
    assert built == []
