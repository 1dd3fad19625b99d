"""Signing in (password, then a one-time code if the account or team has them) and out."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.admin import auth, sessions, throttle
from bot.admin.context import Ctx
from bot.admin.endpoint import STAGE_PAGES, limits
from bot.admin.qr import svg_data_uri
from store.models import Practitioner

WRONG = "That email address and password don't match an account. Check them and try again."
THROTTLED = throttle.THROTTLED
WRONG_CODE = "That code didn't work. Codes change every 30 seconds: try the newest one."


def _next(ctx: Ctx) -> str:
    """Where to go after signing in: only a page of this app."""
    wanted = ctx.field("next") or ctx.query("next")
    if wanted.startswith(f"{ctx.root}/") and not wanted.startswith("//") and "\\" not in wanted:
        return wanted
    return f"{ctx.root}/"


def _after_password(practitioner: Practitioner) -> str:
    if practitioner.totp_secret:
        return sessions.CODE
    if practitioner.team.require_totp:
        return sessions.SETUP
    return _after_code(practitioner)


def _after_code(practitioner: Practitioner) -> str:
    return sessions.PASSWORD if practitioner.password_changed_at is None else sessions.OK


def _go(ctx: Ctx, stage: str) -> Response:
    if stage == sessions.OK:
        return ctx.redirect_url(_next(ctx))
    return ctx.redirect(STAGE_PAGES[stage], next=_next(ctx))


def form(ctx: Ctx) -> Response:
    if ctx.who is not None:
        return _go(ctx, ctx.stage)
    return ctx.render("sign_in.html", title="Sign in", email="", error=None, next=_next(ctx))


def _account(session: Session, email: str) -> Practitioner | None:
    return session.scalars(
        select(Practitioner).where(func.lower(Practitioner.email) == email.lower())
    ).one_or_none()


def submit(ctx: Ctx) -> Response:
    email = ctx.field("email").strip()[:320]
    password = ctx.field("password")
    key = throttle.account_key(email)
    now = ctx.now()
    device = ctx.request.cookies.get(ctx.admin.cookie("device"), "")
    # Look up, check the password (tens of milliseconds), then write: the check never
    # holds the write lock. The write re-reads everything and decides again; a check
    # only counts if the hash it checked is still the stored one.
    with ctx.admin.db.read() as session:
        found = _account(session, email)
        checked = found.password_hash if found is not None else None
        trusted = sessions.is_trusted(session, found.id if found else None, device, now)
        allowed = throttle.allowed(session, key, ctx.address, trusted=trusted, now=now)
    right = allowed and auth.verify_password(checked, password)
    upgraded = None
    if right and checked is not None and auth.needs_rehash(checked):
        upgraded = auth.hash_password(password)
    stage: str | None = None
    with ctx.admin.db.write() as session:
        throttle.purge(session, now)
        sessions.purge(session, now, limits(ctx.admin))
        found = _account(session, email)
        found_id = found.id if found is not None else None
        trusted = sessions.is_trusted(session, found_id, device, now)
        if not throttle.allowed(session, key, ctx.address, trusted=trusted, now=now):
            ctx.audit(session, "signin.throttled", "practitioner", found_id)
            error = THROTTLED
        elif right and found is not None and found.active and found.password_hash == checked:
            if upgraded is not None:
                found.password_hash = upgraded
            throttle.succeeded(session, key, ctx.address)
            stage = _after_password(found)
            token = sessions.start(session, found.id, stage, now, limits(ctx.admin), ctx.address)
            ctx.set_cookie(ctx.admin.cookie("session"), token)
            if stage != sessions.CODE and not trusted:
                ctx.set_cookie(
                    ctx.admin.cookie("device"),
                    sessions.trust_device(session, found.id, now),
                    sessions.DEVICE_COOKIE_SECONDS,
                )
            ctx.audit(
                session,
                "signin.ok" if stage == sessions.OK else "signin.password_ok",
                "practitioner",
                found.id,
                actor=f"practitioner:{found.id}",
                stage=stage,
            )
            error = None
        else:
            throttle.failed(session, key, ctx.address, trusted=trusted, now=now)
            ctx.audit(session, "signin.failed", "practitioner", found_id)
            error = WRONG
    if stage is not None:
        return _go(ctx, stage)
    return ctx.render(
        "sign_in.html", status=200, title="Sign in", email=email, error=error, next=_next(ctx)
    )


def sign_out(ctx: Ctx) -> Response:
    with ctx.admin.db.write() as session:
        if ctx.token:
            sessions.end(session, ctx.token)
        ctx.audit(session, "signout", "practitioner", ctx.user.id)
    ctx.set_cookie(ctx.admin.cookie("session"), "")
    return ctx.redirect("/sign-in", done="signed_out")


def code_form(ctx: Ctx) -> Response:
    return ctx.render("sign_in_code.html", title="Enter your code", error=None, next=_next(ctx))


def _code_checked(ctx: Ctx, session: Session, secret: str, code: str) -> str | None:
    """Check a code against the throttle; None if it was right, else what to say."""
    practitioner = session.get(Practitioner, ctx.user.id)
    assert practitioner is not None
    key = throttle.account_key(practitioner.email)
    now = ctx.now()
    device = ctx.request.cookies.get(ctx.admin.cookie("device"), "")
    trusted = sessions.is_trusted(session, practitioner.id, device, now)
    if not throttle.allowed(session, key, ctx.address, trusted=trusted, now=now):
        ctx.audit(session, "signin.throttled", "practitioner", practitioner.id, factor="totp")
        return THROTTLED
    step = auth.accept_code(secret, code, practitioner.totp_last_step, now)
    if step is None:
        throttle.failed(session, key, ctx.address, trusted=trusted, now=now)
        ctx.audit(session, "signin.code_failed", "practitioner", practitioner.id)
        return WRONG_CODE
    practitioner.totp_secret = secret
    practitioner.totp_last_step = step
    stage = _after_code(practitioner)
    assert ctx.token is not None
    token = sessions.advance(session, ctx.token, stage, now, limits(ctx.admin), ctx.address)
    ctx.set_cookie(ctx.admin.cookie("session"), token)
    if not trusted:
        ctx.set_cookie(
            ctx.admin.cookie("device"),
            sessions.trust_device(session, practitioner.id, now),
            sessions.DEVICE_COOKIE_SECONDS,
        )
    ctx.stage = stage
    ctx.audit(session, "signin.ok", "practitioner", practitioner.id, factor="totp")
    return None


def code_submit(ctx: Ctx) -> Response:
    with ctx.admin.db.write() as session:
        secret = session.get(Practitioner, ctx.user.id).totp_secret  # type: ignore[union-attr]
        problem = _code_checked(ctx, session, secret or "", ctx.field("code"))
    if problem is None:
        return _go(ctx, ctx.stage)
    return ctx.render("sign_in_code.html", title="Enter your code", error=problem, next=_next(ctx))


def setup_form(ctx: Ctx, *, secret: str | None = None, error: str | None = None) -> Response:
    secret = secret or auth.new_totp_secret()
    uri = auth.provisioning_uri(secret, ctx.user.email)
    return ctx.render(
        "sign_in_setup.html",
        title="Set up sign-in codes",
        secret=secret,
        qr=svg_data_uri(uri),
        error=error,
        next=_next(ctx),
    )


def setup_submit(ctx: Ctx) -> Response:
    secret = ctx.field("secret")
    if not (16 <= len(secret) <= 64 and secret.isalnum()):
        return setup_form(ctx)
    with ctx.admin.db.write() as session:
        problem = _code_checked(ctx, session, secret, ctx.field("code"))
        if problem is None:
            ctx.audit(session, "totp.enable", "practitioner", ctx.user.id)
    if problem is None:
        return _go(ctx, ctx.stage)
    return setup_form(ctx, secret=secret, error=problem)
