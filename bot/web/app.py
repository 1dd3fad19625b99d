"""The Starlette app: webhooks, health, metrics and the admin pages, on one assistant."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from bot.admin.headers import SecurityHeaders, server_error
from bot.assistant import Assistant, Clock, utc_now
from bot.channels.outage import Outage
from bot.channels.sms import INBOUND_PATH, SmsWebhook
from bot.channels.telegram import TelegramWebhook
from bot.channels.whatsapp import WHATSAPP_PATH, WhatsAppWebhook
from bot.delivery import STATUS_PATH, Dispatcher, build_senders
from bot.metrics import CONTENT_TYPE, Metrics
from bot.outbox import Policy
from bot.replay import keep_replaying
from bot.settings import Settings
from bot.staff.metrics import AlertCollector
from bot.web.proxies import behind_proxies
from store.db import Database
from store.spool import Spool

try:
    from bot.admin.app import build_admin  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # the admin package is not there yet
    build_admin = None  # type: ignore[assignment,unused-ignore]

TELEGRAM_PATH = "/webhooks/telegram"


def create_app(
    settings: Settings,
    db: Database,
    assistant: Assistant,
    clock: Clock = utc_now,
    *,
    on_close: Callable[[], None] | None = None,
    policy: Policy | None = None,
    background: Callable[[], AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    """The app. Telegram replies are sent from here right after each update (when a bot
    token is set); `on_close` runs when the app shuts down (e.g. disposing `db`);
    `background` runs for the app's lifetime (`serve --with-worker`: the worker's loops)."""
    metrics = Metrics()
    metrics.watch_outbox(db)
    metrics.registry.register(AlertCollector(db, clock))
    senders = build_senders(settings, channels=("telegram",))
    dispatcher = (
        Dispatcher(db, senders, clock=clock, policy=policy, metrics=metrics) if senders else None
    )
    spool = Spool(settings.spool_dir)
    outage = Outage(assistant, spool)
    sms = SmsWebhook(settings, assistant, metrics, clock, outage)
    whatsapp = WhatsAppWebhook(settings, assistant, metrics, clock, outage)
    sms.whatsapp = whatsapp.answer  # a WhatsApp sender may post to the SMS path too
    telegram = TelegramWebhook(settings, assistant, dispatcher, metrics, clock, outage)

    async def healthz(_request: Request) -> Response:
        try:
            await run_in_threadpool(_ping, db)
        except SQLAlchemyError:
            return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    async def metrics_page(request: Request) -> Response:
        if settings.metrics_token is None:
            return PlainTextResponse("Not Found", status_code=404)
        if not _bearer_matches(request, settings.metrics_token.get_secret_value()):
            return PlainTextResponse("", status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return Response(await run_in_threadpool(metrics.render), media_type=CONTENT_TYPE)

    routes: list[BaseRoute] = [
        Route(INBOUND_PATH, sms.inbound, methods=["POST"]),
        Route(WHATSAPP_PATH, whatsapp.inbound, methods=["POST"]),
        Route(STATUS_PATH, sms.status, methods=["POST"]),
        Route(TELEGRAM_PATH, telegram.update, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]
    if build_admin is not None:
        admin = build_admin(settings=settings, db=db, assistant=assistant, clock=clock)
        routes.append(Mount("/admin", app=admin))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # What was spooled while the database was unavailable goes in once it is back.
        stop = asyncio.Event()
        replaying = asyncio.create_task(keep_replaying(assistant, spool, stop))
        try:
            async with background() if background is not None else nullcontext():
                yield
        finally:
            stop.set()
            await replaying
            if dispatcher is not None:
                await dispatcher.close()
            if on_close is not None:
                on_close()

    https = settings.public_url.lower().startswith("https://")
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        # Every response, webhooks' and errors' too, carries the security headers; the
        # client's address comes from X-Forwarded-For only through a trusted proxy.
        middleware=[
            Middleware(SecurityHeaders, https=https),
            Middleware(behind_proxies, setting=settings.trusted_proxies),
        ],
        exception_handlers={500: server_error(https=https)},
    )
    app.state.settings = settings
    app.state.db = db
    app.state.assistant = assistant
    app.state.metrics = metrics
    app.state.dispatcher = dispatcher
    return app


def _bearer_matches(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    expected = token.encode()
    # compare_digest takes as long whatever the value, so the token can't be guessed
    # a character at a time; the scheme is not a secret.
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), expected)


def _ping(db: Database) -> None:
    with db.read() as session:
        session.execute(text("SELECT 1"))
