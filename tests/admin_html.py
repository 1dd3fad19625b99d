"""HTML for tests, parsed with the standard library: find elements, read forms, and the
checks every admin page must pass (labels, no script, no inline style)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        return self.attrs.get(name, default)

    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text())
        return " ".join(" ".join(parts).split())

    def iter(self) -> list[Node]:
        out: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                out.append(child)
                out.extend(child.iter())
        return out

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        def matches(node: Node) -> bool:
            if tag is not None and node.tag != tag:
                return False
            for key, value in attrs.items():
                key = key.rstrip("_").replace("_", "-")
                if key == "class":
                    if value not in node.get("class").split():
                        return False
                elif node.attrs.get(key) != value:
                    return False
            return True

        return [node for node in self.iter() if matches(node)]

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        if not found:
            raise AssertionError(f"no <{tag}> with {attrs}")
        return found[0]

    def has(self, tag: str | None = None, **attrs: str) -> bool:
        return bool(self.find_all(tag, **attrs))


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def form(doc: Node, action: str) -> Node:
    """The form posting to `action` (a path ending)."""
    for node in doc.find_all("form"):
        if node.get("action").endswith(action):
            return node
    raise AssertionError(f"no form posting to {action}")


def fields(form_node: Node) -> dict[str, Any]:
    """What the browser would send without anyone typing: hidden inputs, values, selections.
    A name used by several fields (the team page's rows of lines) sends all their values."""
    out: dict[str, Any] = {}
    seen: dict[str, list[str]] = {}
    for node in form_node.iter():
        name = node.get("name")
        if not name:
            continue
        if node.tag == "input":
            kind = node.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in node.attrs:
                continue
            if kind in ("submit", "button"):
                continue
            out[name] = node.get("value")
        elif node.tag == "textarea":
            out[name] = node.text()
        elif node.tag == "select":
            options = node.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            out[name] = chosen[0].get("value") if chosen else ""
        else:
            continue
        seen.setdefault(name, []).append(out[name])
    for name, values in seen.items():
        if len(values) > 1:
            out[name] = values
    return out


def unlabelled(doc: Node) -> list[str]:
    """Fields a person can fill in that no <label for> names."""
    labels = {node.get("for") for node in doc.find_all("label")}
    missing = []
    for node in doc.iter():
        if node.tag not in ("input", "select", "textarea"):
            continue
        if node.tag == "input" and node.get("type") in ("hidden", "submit", "button"):
            continue
        if node.get("aria-label") or (node.get("id") and node.get("id") in labels):
            continue
        missing.append(f"<{node.tag} name={node.get('name')!r}>")
    return missing


def page_problems(doc: Node) -> list[str]:
    """What no admin page may have: script, inline styles or handlers, unlabelled fields,
    javascript: links, a form that changes something without a CSRF token."""
    problems = [f"unlabelled {f}" for f in unlabelled(doc)]
    for node in doc.iter():
        if node.tag == "script":
            problems.append("a <script> element")
        if "style" in node.attrs or node.tag == "style":
            problems.append(f"inline style on <{node.tag}>")
        problems.extend(f"{k} on <{node.tag}>" for k in node.attrs if k.startswith("on"))
        for attr in ("href", "src", "action"):
            if node.get(attr).strip().lower().startswith("javascript:"):
                problems.append(f"javascript: {attr}")
    for node in doc.find_all("form"):
        if node.get("method", "get").lower() == "post" and "csrf" not in fields(node):
            problems.append(f"POST form to {node.get('action')} without a CSRF token")
    if not doc.has("main"):
        problems.append("no <main>")
    return problems
