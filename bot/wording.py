"""What the assistant says: Jinja2 templates in templates/messages/<locale>/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateNotFound

from bot.language import plurals

DEFAULT_LOCALE = "en"
SUFFIX = ".txt"


class Wording:
    """Renders message templates; one Environment per process, templates cached."""

    def __init__(self, templates_dir: Path) -> None:
        self.root = templates_dir / "messages"
        self.env = Environment(
            loader=FileSystemLoader(self.root),
            undefined=StrictUndefined,
            autoescape=False,  # noqa: S701 - plain text for SMS and Telegram, never HTML
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
        )
        self.env.globals["plural"] = plurals.plural  # Babel's plural rules (bot/language)
        self.locales = sorted(p.name for p in self.root.iterdir() if p.is_dir())
        # (locale, name) -> the template it renders with, the fallback to DEFAULT_LOCALE
        # resolved. Templates are never reloaded (auto_reload=False); this saves the
        # environment's locked LRU look-up and the fallback's exception on every render.
        self._templates: dict[tuple[str, str], Template] = {}

    def exists(self, name: str) -> bool:
        return all((self.root / loc / f"{name}{SUFFIX}").is_file() for loc in self.locales)

    def render(self, template_name: str, locale: str = DEFAULT_LOCALE, /, **context: Any) -> str:
        if locale not in self.locales:
            locale = DEFAULT_LOCALE
        template = self._templates.get((locale, template_name))
        if template is None:
            try:
                template = self.env.get_template(f"{locale}/{template_name}{SUFFIX}")
            except TemplateNotFound:
                template = self.env.get_template(f"{DEFAULT_LOCALE}/{template_name}{SUFFIX}")
            self._templates[(locale, template_name)] = template
        return _tidy(template.render(**context))

    def names(self, locale: str = DEFAULT_LOCALE) -> list[str]:
        base = self.root / locale
        return sorted(str(p.relative_to(base))[: -len(SUFFIX)] for p in base.rglob(f"*{SUFFIX}"))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy)
