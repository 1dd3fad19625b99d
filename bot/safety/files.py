"""Reading the screen's YAML files, with errors that name the file and say what to fix."""

from __future__ import annotations

from pathlib import Path

import yaml

# libyaml's parser when PyYAML was built with it (about ten times faster to load).
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def bad(path: Path, sentence: str) -> ValueError:
    return ValueError(f"{path}: {sentence}")


def read(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise bad(path, f"the file could not be read ({exc}).") from exc
    try:
        _refuse_repeated_keys(path, yaml.compose(text, Loader=_LOADER))
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise bad(path, f"is not valid YAML: {exc}. Fix the marked line.") from exc


def _refuse_repeated_keys(path: Path, root: yaml.Node | None) -> None:
    # Plain YAML lets a second "phrases:" silently replace the first.
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[object] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value in seen:
                    raise bad(
                        path,
                        f"line {key.start_mark.line + 1}: {key.value!r} is written "
                        "twice in the same block; merge the two.",
                    )
                seen.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def mapping(
    path: Path,
    where: str,
    value: object,
    required: frozenset[str],
    optional: frozenset[str] = frozenset(),
) -> dict[str, object]:
    if not isinstance(value, dict):
        raise bad(path, f"{where} must be a block of 'key: value' lines.")
    keys = set(value)
    if missing := required - keys:
        raise bad(path, f"{where} needs {', '.join(sorted(missing))}.")
    if unknown := keys - required - optional:
        raise bad(
            path,
            f"{where} has unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"the keys are {', '.join(sorted(required | optional))}.",
        )
    return value


def strings(path: Path, where: str, value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        raise bad(path, f"{where} must be a non-empty list.")
    for item in value:
        if not isinstance(item, str):
            raise bad(path, f"{where}: {item!r} is not text; put it in quotes.")
    return value


def text_map(path: Path, where: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise bad(path, f"{where} must map each word to what it stands for.")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str | int) or not isinstance(key, str | int):
            raise bad(path, f"{where}: {key!r}: {item!r} must be text; put it in quotes.")
        out[str(key)] = str(item)
    return out
