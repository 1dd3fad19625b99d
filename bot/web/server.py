"""`touchpoint serve`: check the configuration and the database, then run uvicorn."""

from __future__ import annotations

import gc
import re
import sys

import uvicorn
from starlette.applications import Starlette

from bot.assistant import Assistant
from bot.metrics import shared_between_processes
from bot.settings import Settings, get_settings
from bot.web.app import create_app
from bot.web.proxies import BadProxySetting, trusted_networks
from store.db import Database

_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def config_problems(settings: Settings) -> list[str]:
    """Sentences saying what is missing for each channel that is configured."""
    problems: list[str] = []
    twilio = (
        settings.twilio_account_sid or settings.twilio_from_number or settings.twilio_whatsapp_from
    )
    if twilio and settings.twilio_auth_token is None:
        problems.append(
            "Twilio is configured but TWILIO_AUTH_TOKEN is not set, so Touchpoint can't "
            "check that SMS and WhatsApp webhooks really come from Twilio. Set "
            "TWILIO_AUTH_TOKEN to the "
            "Auth Token in the Twilio Console and start again."
        )
    if settings.telegram_bot_token is not None:
        secret = settings.telegram_webhook_secret
        if secret is None:
            problems.append(
                "Telegram is configured but TELEGRAM_WEBHOOK_SECRET is not set, so Touchpoint "
                "can't check that webhook calls really come from Telegram. Set it to a random "
                "string of letters, digits, _ and - (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`), then run `touchpoint telegram "
                "set-webhook` and start again."
            )
        elif not _TELEGRAM_SECRET.fullmatch(secret.get_secret_value()):
            problems.append(
                "TELEGRAM_WEBHOOK_SECRET may only hold letters, digits, _ and - "
                "(1 to 256 of them); Telegram refuses anything else. Choose another one."
            )
    try:
        trusted_networks(settings.trusted_proxies)
    except BadProxySetting as exc:
        problems.append(str(exc))
    return problems


def serve(
    settings: Settings, *, host: str, port: int, workers: int, with_worker: bool = False
) -> int:
    problems = config_problems(settings)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 2
    db = Database(settings.database_url)
    try:
        db.check_migrated()  # DatabaseNotReady says what to run
    finally:
        db.dispose()
    with shared_between_processes(workers):
        uvicorn.run(
            "bot.web.server:app_with_worker"
            if with_worker
            else "bot.web.server:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            # Signatures use TOUCHPOINT_PUBLIC_URL, never the proxy's headers; the app
            # reads X-Forwarded-For itself, from TOUCHPOINT_TRUSTED_PROXIES only.
            proxy_headers=False,
            server_header=False,
        )
    return 0


def app_from_environment() -> Starlette:
    """What each uvicorn worker process runs: settings read, database and assistant made once."""
    settings = get_settings()
    db = Database(settings.database_url)
    db.check_migrated()
    return _settled(create_app(settings, db, Assistant(settings, db), on_close=db.dispose))


def app_with_worker() -> Starlette:
    """The same, with the worker's loops (scheduler and outbox) running inside it."""
    from bot.worker import background

    settings = get_settings()
    db = Database(settings.database_url)
    db.check_migrated()
    assistant = Assistant(settings, db)
    return _settled(
        create_app(
            settings,
            db,
            assistant,
            on_close=db.dispose,
            background=lambda: background(settings, db, assistant),
        )
    )


def _settled(app: Starlette) -> Starlette:
    """Everything made at start-up (dialogs, templates, the phrase list, the libraries'
    modules: ~136,000 objects) lives as long as the process. Frozen out of the garbage
    collector's generations, a full collection no longer walks them all (65-72 ms,
    measured) while a message, or a CRISIS reply, waits."""
    gc.collect()
    gc.freeze()
    return app
