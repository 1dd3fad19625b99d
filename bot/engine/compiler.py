"""Dialog files checked as a whole and compiled, once, into shared `transitions` machines."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from transitions import Machine

from bot.engine.spec import (
    AnswerKind,
    DialogFileError,
    DialogSpec,
    LoadedDialog,
    Problem,
    StateSpec,
    load_dialog,
)

TemplateExists = Callable[[str], bool]


def edges(state: StateSpec) -> list[tuple[str, str]]:
    """(event, destination) pairs leaving a state."""
    found: list[tuple[str, str]] = []
    if state.next is not None:
        found.append(("next", state.next))
    found.extend((answer, dest) for answer, dest in state.on.items())
    found.extend((f"choose_{opt.key}", opt.next) for opt in state.options if opt.next)
    if state.optional and (state.skip or state.next):
        found.append(("skip", state.skip or state.next or ""))
    return found


class _Model:
    """The lightweight per-message model a shared machine is driven through."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


@dataclass
class CompiledDialog:
    loaded: LoadedDialog
    machine: Machine = field(repr=False)

    @property
    def spec(self) -> DialogSpec:
        return self.loaded.spec

    @property
    def name(self) -> str:
        return self.spec.dialog

    def state(self, name: str) -> StateSpec:
        return self.spec.states[name]

    def can(self, state: str, event: str) -> bool:
        ev = self.machine.events.get(event)
        return ev is not None and state in ev.transitions

    def fire(self, state: str, event: str) -> str:
        """Where `event` takes a conversation that is in `state`."""
        model = _Model(state)
        self.machine.events[event].trigger(model)
        return model.state

    def mermaid(self) -> str:
        lines = ["stateDiagram-v2", f"    [*] --> {self.spec.start}"]
        for event in self.machine.events.values():
            for source, transitions in event.transitions.items():
                for transition in transitions:
                    lines.append(f"    {source} --> {transition.dest}: {event.name}")
        for name, state in self.spec.states.items():
            if state.end:
                lines.append(
                    f"    {name} --> [*]" + (f": start {state.then}" if state.then else "")
                )
            lines.extend(
                f"    {name} --> [*]: start {opt.start}" for opt in state.options if opt.start
            )
        return "\n".join(lines) + "\n"


def _build_machine(spec: DialogSpec) -> Machine:
    transitions = [
        {"trigger": event, "source": name, "dest": dest}
        for name, state in spec.states.items()
        for event, dest in edges(state)
    ]
    return Machine(
        model=None,
        states=list(spec.states),
        transitions=transitions,
        initial=spec.start,
        auto_transitions=False,
    )


def check_dialog(
    loaded: LoadedDialog,
    *,
    actions: Iterable[str],
    template_exists: TemplateExists,
    dialog_names: Iterable[str],
) -> list[Problem]:
    spec, path = loaded.spec, loaded.path
    known_actions, known_dialogs = set(actions), set(dialog_names)
    problems: list[Problem] = []

    def problem(message: str, *loc: str | int) -> None:
        problems.append(Problem(path, loaded.line_of(*loc), message))

    if path.stem != spec.dialog:
        problem(f"the dialog is called {spec.dialog!r} but the file is {path.name}", "dialog")
    if spec.start not in spec.states:
        problem(f"start: unknown state {spec.start!r}", "start")
    for name, state in spec.states.items():
        here = ("states", name)
        for event, dest in edges(state):
            if dest not in spec.states:
                problem(f"state {name!r}: {event} goes to unknown state {dest!r}", *here)
        for opt in state.options:
            if opt.start is not None and opt.start not in known_dialogs:
                problem(f"state {name!r}: option {opt.key!r} starts unknown dialog", *here)
        if state.then is not None and state.then not in known_dialogs:
            problem(f"state {name!r}: `then` starts unknown dialog {state.then!r}", *here)
        if state.then is not None and not state.end:
            problem(f"state {name!r}: `then` needs `end: true`", *here)
        for action in state.do:
            if action not in known_actions:
                choices = ", ".join(sorted(known_actions))
                problem(f"state {name!r}: unknown action {action!r} (known: {choices})", *here)
        if not template_exists(state.prompt):
            problem(f"state {name!r}: missing template {state.prompt!r}", *here, "prompt")
        if state.section is not None and (state.plan or spec.plan) is None:
            problem(f"state {name!r}: has a section but the dialog has no `plan`", *here)
        problems.extend(_shape_problems(loaded, name, state))
    if not problems:
        problems.extend(_graph_problems(loaded))
    return problems


def _shape_problems(loaded: LoadedDialog, name: str, state: StateSpec) -> list[Problem]:
    messages: list[str] = []
    if state.end and state.answer is not AnswerKind.NONE:
        messages.append("an end state takes no answer: use `answer: none`")
    if not state.end and state.answer is AnswerKind.NONE:
        messages.append("`answer: none` is only for end states (`end: true`)")
    if state.answer is AnswerKind.YES_NO and state.next is None and set(state.on) != {"yes", "no"}:
        messages.append("a yes_no state needs `next`, or `on` with both `yes` and `no`")
    if state.on and state.answer is not AnswerKind.YES_NO:
        messages.append("`on` is only for yes_no answers")
    if state.answer is AnswerKind.CHOICE and not state.options:
        messages.append("a choice state needs `options`")
    if state.options and state.answer is not AnswerKind.CHOICE:
        messages.append("`options` are only for choice answers")
    if not state.end and not edges(state) and not state.options:
        messages.append("dead end: nothing leaves this state and it is not an end state")
    if state.optional and state.skip is None and state.next is None:
        messages.append("an optional state needs `skip` or `next` for SKIP to go to")
    line = loaded.line_of("states", name)
    return [Problem(loaded.path, line, f"state {name!r}: {m}") for m in messages]


def _graph_problems(loaded: LoadedDialog) -> list[Problem]:
    spec = loaded.spec
    forward = {name: {dest for _, dest in edges(state)} for name, state in spec.states.items()}
    seen, queue = {spec.start}, deque([spec.start])
    while queue:
        for dest in forward[queue.popleft()] - seen:
            seen.add(dest)
            queue.append(dest)
    problems = [
        Problem(loaded.path, loaded.line_of("states", name), f"state {name!r} is unreachable")
        for name in spec.states
        if name not in seen
    ]
    # A state from which no way out (an end state, or starting another dialog) is reachable.
    exits = {
        name
        for name, state in spec.states.items()
        if state.end or any(opt.start for opt in state.options)
    }
    backward: dict[str, set[str]] = {name: set() for name in spec.states}
    for source, dests in forward.items():
        for dest in dests:
            backward[dest].add(source)
    finishing, queue = set(exits), deque(exits)
    while queue:
        for source in backward[queue.popleft()] - finishing:
            finishing.add(source)
            queue.append(source)
    problems.extend(
        Problem(
            loaded.path,
            loaded.line_of("states", name),
            f"dead end: state {name!r} can never reach the end of the dialog",
        )
        for name in spec.states
        if name in seen and name not in finishing
    )
    return problems


class DialogSet:
    """Every dialog of a folder, checked and compiled once at start-up."""

    def __init__(self, dialogs: dict[str, CompiledDialog]) -> None:
        self.dialogs = dialogs

    def __getitem__(self, name: str) -> CompiledDialog:
        return self.dialogs[name]

    def __contains__(self, name: object) -> bool:
        return name in self.dialogs

    @classmethod
    def load(
        cls, folder: Path, *, actions: Iterable[str], template_exists: TemplateExists
    ) -> DialogSet:
        loaded, problems = load_all(folder)
        names = [d.spec.dialog for d in loaded]
        action_names = list(actions)
        for dialog in loaded:
            problems.extend(
                check_dialog(
                    dialog,
                    actions=action_names,
                    template_exists=template_exists,
                    dialog_names=names,
                )
            )
        if problems:
            raise DialogFileError(problems)
        return cls({d.spec.dialog: CompiledDialog(d, _build_machine(d.spec)) for d in loaded})


def load_all(folder: Path) -> tuple[list[LoadedDialog], list[Problem]]:
    loaded: list[LoadedDialog] = []
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            loaded.append(load_dialog(path))
        except DialogFileError as exc:
            problems.extend(exc.problems)
    if not loaded and not problems:
        problems.append(Problem(folder, 1, "no dialog files (*.yaml) in this folder"))
    return loaded, problems
