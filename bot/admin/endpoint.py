"""Every admin route goes through `page`: session, CSRF, role, 404 with an audit entry.

The page's own work (database, templates) runs in a thread, off the event loop."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot.admin import access, csrf, sessions, whole
from bot.admin.context import ROLES, Admin, Ctx, Who

Handler = Callable[[Ctx], Response]
Endpoint = Callable[[Request], Awaitable[Response]]
STAGE_PAGES = {
    sessions.CODE: "/sign-in/code",
    sessions.SETUP: "/sign-in/setup",
    sessions.PASSWORD: "/account/password",
    sessions.OK: "/",
}
ALL_STAGES = tuple(STAGE_PAGES)
# A number in an address that no column can hold is a record that isn't there (the
# database would raise instead).
_LARGEST = {"number": whole.LARGEST_NUMBER}


def limits(admin: Admin) -> sessions.Limits:
    return sessions.Limits(
        idle=timedelta(minutes=admin.settings.session_idle_minutes),
        absolute=timedelta(hours=admin.settings.session_max_hours),
    )


def page(
    admin: Admin,
    handler: Handler,
    *,
    roles: Sequence[str] = ROLES,
    stages: Sequence[str] = (sessions.OK,),
    public: bool = False,
) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        form = FormData()
        if request.method == "POST":
            form = await request.form(max_files=0, max_fields=2000)
        return await run_in_threadpool(_serve, admin, request, form, handler, roles, stages, public)

    endpoint.__name__ = handler.__name__
    return endpoint


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _serve(
    admin: Admin,
    request: Request,
    form: FormData,
    handler: Handler,
    roles: Sequence[str],
    stages: Sequence[str],
    public: bool,
) -> Response:
    ctx = _context(admin, request, form)
    if not public:
        if ctx.who is None:
            if request.method == "GET":
                return ctx.redirect("/sign-in", next=request.url.path)
            return ctx.redirect("/sign-in")
        if ctx.stage not in stages:
            return ctx.redirect(STAGE_PAGES[ctx.stage])
    if request.method == "POST" and not (
        csrf.same_origin(request, admin.settings.public_url)
        and csrf.valid(ctx.csrf, ctx.field(csrf.FIELD))
    ):
        with admin.db.write() as session:
            ctx.audit(session, "csrf.refused", path=request.url.path)
        return ctx.render("refused.html", status=403, title="Not done")
    try:
        if ctx.who is not None and ctx.who.role not in roles:
            raise access.NotFound("page")
        _check_numbers(request)
        return handler(ctx)
    except access.NotFound as missing:
        with admin.db.write() as session:
            ctx.audit(
                session,
                "access.denied",
                missing.record_type,
                missing.record_id if isinstance(missing.record_id, int) else None,
                path=request.url.path,
            )
        return ctx.render("not_found.html", status=404, title="Page not found")


def _check_numbers(request: Request) -> None:
    for name, value in request.path_params.items():
        if isinstance(value, int) and not whole.in_range(
            value, _LARGEST.get(name, whole.LARGEST_ID)
        ):
            raise access.NotFound("page")


def _context(admin: Admin, request: Request, form: FormData) -> Ctx:
    root = str(request.scope.get("root_path", ""))
    address = client_address(request)
    token = request.cookies.get(admin.cookie("session"), "")
    found = None
    who = None
    if token:
        now, bounds = admin.clock(), limits(admin)
        with admin.db.read() as session:
            write = sessions.needs_write(session, token, now, bounds)
        # Most views only read it; once a minute (or at its end) it is written.
        with admin.db.write() if write else admin.db.read() as session:
            found = sessions.load(session, token, now, bounds)
            if found is not None:
                p = found.practitioner
                who = Who(
                    id=p.id,
                    name=p.name,
                    email=p.email,
                    role=p.role,
                    team_id=p.team_id,
                    timezone=p.team.timezone,
                )
    if found is not None:
        return Ctx(
            admin,
            request,
            root,
            address,
            sessions.csrf_token(token),
            who=who,
            token=token,
            stage=found.stage,
            form=form,
        )
    # Signed out: the sign-in form's CSRF token is tied to a pre-session cookie.
    pre = request.cookies.get(admin.cookie("pre"), "")
    fresh = not (0 < len(pre) <= 64)
    if fresh:
        pre = secrets.token_urlsafe(32)
    ctx = Ctx(admin, request, root, address, sessions.csrf_token(pre), form=form)
    if fresh:
        ctx.set_cookie(admin.cookie("pre"), pre)
    if token:
        ctx.set_cookie(admin.cookie("session"), "")  # ended or expired: forget it
    return ctx
