"""The docs name every setting, endpoint and channel command the code has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.routing import Route

from bot.assistant import Assistant
from bot.settings import PROJECT_ROOT, Settings
from bot.web.app import create_app
from store.db import Database
from tests.channel_helpers import channel_settings

DOCS = PROJECT_ROOT / "docs"


def _aliases() -> list[str]:
    names: list[str] = []
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        choices = getattr(alias, "choices", [alias])
        names.extend(str(choice) for choice in choices)
    return names


@pytest.mark.parametrize("name", _aliases())
def test_every_setting_is_in_the_configuration_doc(name: str) -> None:
    assert f"`{name}`" in (DOCS / "configuration.md").read_text(encoding="utf-8")


def test_every_endpoint_is_in_the_deployment_doc(db_url: str) -> None:
    settings = channel_settings(db_url, telegram_bot_token=None)
    db = Database(db_url)
    try:
        app = create_app(settings, db, Assistant(settings, db))
        paths = [r.path for r in app.routes if isinstance(r, Route)]
    finally:
        db.dispose()
    text = (DOCS / "deployment.md").read_text(encoding="utf-8")
    assert paths
    for path in paths:
        assert path in text, path


@pytest.mark.parametrize(
    ("doc", "pattern"),
    [
        ("README.md", r"touchpoint serve"),
        ("README.md", r"touchpoint worker"),
        ("README.md", r"touchpoint telegram set-webhook"),
        ("README.md", r"touchpoint invite telegram --participant"),
        ("docs/configuration.md", r"`--poll-interval`"),
        ("docs/configuration.md", r"`--lease`"),
        ("docs/configuration.md", r"`--workers`"),
        ("docs/deployment.md", r"## Delivery guarantee"),
    ],
)
def test_the_channel_commands_are_documented(doc: str, pattern: str) -> None:
    assert re.search(pattern, (Path(PROJECT_ROOT) / doc).read_text(encoding="utf-8"))
