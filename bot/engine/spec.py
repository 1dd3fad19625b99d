"""The shape of a dialog file, validated on load, with the line of every node kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class AnswerKind(StrEnum):
    TEXT = "text"
    LIST = "list"
    YES_NO = "yes_no"
    SCALE = "scale"
    CONTACT = "contact"
    TIME = "time"
    CHOICE = "choice"
    NAME = "name"  # the name a person wants to be called (bot/engine/names.py)
    NONE = "none"  # an end state: says its message and finishes the dialog


class ItemKind(StrEnum):
    TEXT = "text"
    CONTACT = "contact"


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    next: str | None = None
    start: str | None = None  # start (or resume) another dialog instead

    @model_validator(mode="after")
    def _one_target(self) -> Option:
        if (self.next is None) == (self.start is None):
            raise ValueError("an option needs exactly one of `next` or `start`")
        return self


class StateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str
    answer: AnswerKind = AnswerKind.TEXT
    item: ItemKind = ItemKind.TEXT  # what one entry of a list is
    next: str | None = None
    on: dict[str, str] = Field(default_factory=dict)  # yes_no: {"yes": ..., "no": ...}
    options: tuple[Option, ...] = ()
    optional: bool = False
    skip: str | None = None  # where SKIP goes; the `next` state by default
    save: str | None = None  # keep the answer under this name in the conversation
    section: str | None = None  # write the answer into this section of the plan draft
    append: bool = False  # add the answer to the section instead of replacing it
    plan: str | None = None  # the plan its section belongs to, when not the dialog's
    do: tuple[str, ...] = ()  # actions run when the state is entered
    end: bool = False
    then: str | None = None  # an end state: start (or resume) this dialog next


class DialogSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dialog: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    plan: str | None = None  # which plan kind its sections write to
    start: str
    states: dict[str, StateSpec]


@dataclass(frozen=True)
class Problem:
    """One mistake in a dialog file, with where it is."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class DialogFileError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class LoadedDialog:
    path: Path
    spec: DialogSpec
    lines: dict[tuple[str | int, ...], int]

    def line_of(self, *loc: str | int) -> int:
        """The line of the deepest node of `loc` that the file has (1-based)."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. `on`, `yes` and `no` stay words."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _scalar(node: yaml.Node) -> Any:
    return yaml.load(yaml.serialize(node), Loader=Yaml12Loader)  # noqa: S506 - a safe loader


def _to_python(
    node: yaml.Node, loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]
) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node))
            lines[(*loc, key)] = key_node.start_mark.line + 1
            result[key] = _to_python(value_node, (*loc, key), lines)
            lines[(*loc, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*loc, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def load_dialog(path: Path) -> LoadedDialog:
    """Parse and validate one dialog file; raise DialogFileError naming file and line."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=Yaml12Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise DialogFileError([Problem(path, line, f"not valid YAML: {exc}")]) from exc
    if node is None:
        raise DialogFileError([Problem(path, 1, "the file is empty")])
    lines: dict[tuple[str | int, ...], int] = {}
    data = _to_python(node, (), lines)
    try:
        spec = DialogSpec.model_validate(data)
    except ValidationError as exc:
        loaded = LoadedDialog(path, DialogSpec(dialog="x", start="x", states={}), lines)
        raise DialogFileError(list(_validation_problems(loaded, exc))) from exc
    return LoadedDialog(path, spec, lines)


def _validation_problems(loaded: LoadedDialog, exc: ValidationError) -> Iterator[Problem]:
    for error in exc.errors():
        loc = tuple(error["loc"])
        where = ".".join(str(part) for part in loc) or "the file"
        message = error["msg"]
        if error["type"] == "enum":
            allowed = error.get("ctx", {}).get("expected", "")
            message = f"unknown value {error.get('input')!r}; expected {allowed}"
        yield Problem(loaded.path, loaded.line_of(*loc), f"{where}: {message}")
