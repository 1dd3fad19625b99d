"""A practitioner's own account: password, sign-in codes, signing out other browsers."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.admin import auth, sessions, throttle
from bot.admin.context import Ctx
from bot.admin.endpoint import limits
from bot.admin.qr import svg_data_uri
from store.models import Practitioner


def _me(ctx: Ctx, session: Session) -> Practitioner:
    found = session.get(Practitioner, ctx.user.id)
    assert found is not None
    return found


def show(
    ctx: Ctx, *, error: str | None = None, totp_error: str | None = None, secret: str | None = None
) -> Response:
    with ctx.admin.db.read() as session:
        me = _me(ctx, session)
        has_totp = me.totp_secret is not None
        required = me.team.require_totp
        team_name = me.team.name
    qr = None
    if not has_totp:
        secret = secret or auth.new_totp_secret()
        qr = svg_data_uri(auth.provisioning_uri(secret, ctx.user.email))
    return ctx.render(
        "account.html",
        title="Your account",
        has_totp=has_totp,
        required=required,
        team_name=team_name,
        secret=secret,
        qr=qr,
        error=error,
        totp_error=totp_error,
        totp_error_for="totp-error",
        min_length=auth.MIN_LENGTH,
    )


def password_form(ctx: Ctx, *, error: str | None = None) -> Response:
    return ctx.render(
        "password.html",
        title="Choose a new password",
        error=error,
        forced=ctx.stage == sessions.PASSWORD,
        min_length=auth.MIN_LENGTH,
    )


WRONG_CURRENT = "Your current password isn't right. Type it again."
CHANGED_MEANWHILE = "Your password was changed somewhere else just now. Type it again."


def _new_password_problem(
    current: str, new: str, again: str, *, email: str, name: str
) -> str | None:
    if new != again:
        return "The two new passwords are different. Type the same one twice."
    if new == current:
        return "Choose a password different from the one you have now."
    try:
        auth.check_policy(new, email=email, name=name)
    except auth.PasswordRejected as exc:
        return str(exc)
    return None


def change_password(ctx: Ctx) -> Response:
    current, new, again = ctx.field("current"), ctx.field("new"), ctx.field("again")
    now = ctx.now()
    device = ctx.request.cookies.get(ctx.admin.cookie("device"), "")
    # Verifying and hashing take tens of milliseconds each, so they happen between a read
    # and the write, never holding the write lock. Wrong current passwords count against
    # the account like failed sign-ins: a borrowed session can't guess the password here.
    with ctx.admin.db.read() as session:
        me = _me(ctx, session)
        checked, email, name = me.password_hash, me.email, me.name
        key = throttle.account_key(email)
        trusted = sessions.is_trusted(session, me.id, device, now)
        allowed = throttle.allowed(session, key, ctx.address, trusted=trusted, now=now)
    if not allowed or not auth.verify_password(checked, current):
        with ctx.admin.db.write() as session:
            if allowed:
                throttle.failed(session, key, ctx.address, trusted=trusted, now=now)
            action = "password.change_failed" if allowed else "password.change_throttled"
            ctx.audit(session, action, "practitioner", ctx.user.id)
        return password_form(ctx, error=WRONG_CURRENT if allowed else throttle.THROTTLED)
    error = _new_password_problem(current, new, again, email=email, name=name)
    if error is None:
        error = _store_password(ctx, checked, auth.hash_password(new), key)
    if error is not None:
        return password_form(ctx, error=error)
    return ctx.redirect("/account", done="password")


def _store_password(ctx: Ctx, checked: str | None, new_hash: str, key: str) -> str | None:
    """Store the new hash if the stored one is still the one checked; else what to say.
    Every other session ends and every trusted browser is forgotten; this one is signed
    in again, and trusted again."""
    now = ctx.now()
    with ctx.admin.db.write() as session:
        me = _me(ctx, session)
        if me.password_hash != checked:
            return CHANGED_MEANWHILE
        me.password_hash = new_hash
        me.password_changed_at = now
        sessions.end_all(session, me.id)
        sessions.revoke_devices(session, me.id)
        throttle.succeeded(session, key, ctx.address)
        token = sessions.start(session, me.id, sessions.OK, now, limits(ctx.admin), ctx.address)
        ctx.set_cookie(ctx.admin.cookie("session"), token)
        device = sessions.trust_device(session, me.id, now)
        ctx.set_cookie(ctx.admin.cookie("device"), device, sessions.DEVICE_COOKIE_SECONDS)
        ctx.audit(session, "password.change", "practitioner", me.id)
    return None


def enable_totp(ctx: Ctx) -> Response:
    secret = ctx.field("secret")
    if not (16 <= len(secret) <= 64 and secret.isalnum()):
        return show(ctx)
    now = ctx.now()
    with ctx.admin.db.write() as session:
        me = _me(ctx, session)
        step = auth.accept_code(secret, ctx.field("code"), me.totp_last_step, now)
        if step is not None:
            me.totp_secret = secret
            me.totp_last_step = step
            ctx.audit(session, "totp.enable", "practitioner", me.id)
    if step is None:
        return show(
            ctx,
            secret=secret,
            totp_error="That code didn't work. Type the newest code from your app.",
        )
    return ctx.redirect("/account", done="totp_on")


def disable_totp(ctx: Ctx) -> Response:
    with ctx.admin.db.read() as session:
        me = _me(ctx, session)
        checked, required = me.password_hash, me.team.require_totp
    # Outside the write lock; the write checks the team's rule again.
    right = not required and auth.verify_password(checked, ctx.field("current"))
    with ctx.admin.db.write() as session:
        me = _me(ctx, session)
        if me.team.require_totp:
            error: str | None = "Your team requires sign-in codes, so they can't be turned off."
        elif not right:
            error = "Your password isn't right. Type it again to turn codes off."
        elif me.password_hash != checked:
            error = CHANGED_MEANWHILE
        else:
            me.totp_secret = None
            me.totp_last_step = None
            ctx.audit(session, "totp.disable", "practitioner", me.id)
            error = None
    if error is not None:
        return show(ctx, totp_error=error)
    return ctx.redirect("/account", done="totp_off")


def end_other_sessions(ctx: Ctx) -> Response:
    now = ctx.now()
    with ctx.admin.db.write() as session:
        ended = sessions.end_all(session, ctx.user.id)
        token = sessions.start(
            session, ctx.user.id, sessions.OK, now, limits(ctx.admin), ctx.address
        )
        ctx.set_cookie(ctx.admin.cookie("session"), token)
        ctx.audit(session, "sessions.end_all", "practitioner", ctx.user.id, ended=ended)
    return ctx.redirect("/account", done="sessions")
