"""The admin page as one Starlette sub-application, mounted by the web app at /admin."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.admin import (
    account,
    alerts,
    assign,
    auditlog,
    caseload,
    conversation,
    dashboard,
    editing,
    enrol,
    export,
    languages,
    participant,
    practitioners,
    printing,
    privacy,
    records,
    report,
    review,
    schedule,
    signin,
    simulator,
    suggest,
    teams,
)
from bot.admin.context import ADMIN, LEAD, ROLES, Admin
from bot.admin.endpoint import ALL_STAGES, Handler, page
from bot.admin.headers import SecurityHeaders, server_error
from bot.admin.render import Pages
from bot.admin.sessions import CODE, OK, PASSWORD, SETUP
from bot.assistant import Assistant
from bot.settings import Settings
from store.db import Database

PLAN = "/participants/{pid:int}/plans/{kind:str}"
VERSION = PLAN + "/versions/{number:int}"


def build_admin(
    *, settings: Settings, db: Database, assistant: Assistant, clock: Callable[[], datetime]
) -> Starlette:
    admin = Admin(
        settings=settings,
        db=db,
        assistant=assistant,
        clock=clock,
        pages=Pages(settings.templates_dir),
        secure=settings.public_url.lower().startswith("https://"),
    )

    def route(method: str) -> Callable[..., Route]:
        def make(
            path: str,
            handler: Handler,
            *,
            roles: Sequence[str] = ROLES,
            stages: Sequence[str] = (OK,),
            public: bool = False,
        ) -> Route:
            endpoint = page(admin, handler, roles=roles, stages=stages, public=public)
            return Route(path, endpoint, methods=[method])

        return make

    get, post = route("GET"), route("POST")
    leads: dict[str, Any] = {"roles": (LEAD, ADMIN)}
    admins: dict[str, Any] = {"roles": (ADMIN,)}

    async def stylesheet(_request: Request) -> Response:
        return Response(
            admin.pages.css, media_type="text/css", headers={"Cache-Control": "max-age=3600"}
        )

    async def not_found(request: Request, _exc: Exception) -> Response:
        root = str(request.scope.get("root_path", ""))
        body = admin.pages.render(
            "missing.html",
            root=root,
            title="Page not found",
            user=None,
            csrf="",
            notice=None,
            tz="Europe/London",
        )
        return HTMLResponse(body, status_code=404)

    routes = [
        Route("/static/admin.css", stylesheet, methods=["GET"]),
        get("/sign-in", signin.form, public=True),
        post("/sign-in", signin.submit, public=True),
        get("/sign-in/code", signin.code_form, stages=(CODE,)),
        post("/sign-in/code", signin.code_submit, stages=(CODE,)),
        get("/sign-in/setup", signin.setup_form, stages=(SETUP,)),
        post("/sign-in/setup", signin.setup_submit, stages=(SETUP,)),
        post("/sign-out", signin.sign_out, stages=ALL_STAGES),
        get("/", dashboard.show),
        get("/account", account.show),
        get("/account/password", account.password_form, stages=(PASSWORD, OK)),
        post("/account/password", account.change_password, stages=(PASSWORD, OK)),
        post("/account/codes", account.enable_totp),
        post("/account/codes/off", account.disable_totp),
        post("/account/sessions/end", account.end_other_sessions),
        get("/participants", caseload.show),
        get("/participants/new", enrol.form),
        post("/participants/new", enrol.submit),
        get("/participants/{pid:int}", participant.show),
        get("/participants/{pid:int}/conversation", conversation.show),
        post("/participants/{pid:int}/appointment", participant.set_appointment),
        post("/participants/{pid:int}/schedule", schedule.save),
        post("/participants/{pid:int}/telegram-link", enrol.telegram_link),
        post("/participants/{pid:int}/whatsapp-link", enrol.whatsapp_link_page),
        get("/participants/{pid:int}/enrolled", enrol.enrolled),
        post("/participants/{pid:int}/practitioner", assign.save, **leads),
        post("/participants/{pid:int}/nhs-number", participant.set_nhs_number),
        post("/participants/{pid:int}/language", languages.participant_language),
        get("/participants/{pid:int}/export", records.export, **leads),
        post("/participants/{pid:int}/discharge", records.discharge),
        get("/participants/{pid:int}/erase", records.erase_form, **admins),
        post("/participants/{pid:int}/erase", records.erase, **admins),
        post("/participants/{pid:int}/pin/reset", privacy.reset_pin),
        get(PLAN, review.history),
        get(PLAN + "/review", review.show),
        get(VERSION, review.version),
        get(VERSION + "/print", review.print_view),
        get(VERSION + "/print.css", printing.stylesheet),
        get(VERSION + "/fhir", export.care_plan),
        post(VERSION + "/approve", review.approve),
        post(VERSION + "/send-back", review.send_back),
        get(VERSION + "/edit", editing.form),
        post(VERSION + "/edit", editing.submit),
        post(VERSION + "/suggestions", suggest.propose),
        post(VERSION + "/suggestions/send", suggest.send_back),
        post(VERSION + "/suggestions/{sid:int}/withdraw", suggest.withdraw),
        get("/reports/appointments", report.show, **leads),
        get("/reports/appointments.csv", report.download, **leads),
        get("/alerts", alerts.show),
        get("/alerts/{aid:int}", alerts.one),
        post("/alerts/{aid:int}/acknowledge", alerts.acknowledge),
        get("/teams", teams.index, **leads),
        post("/teams", teams.create, **admins),
        get("/teams/{tid:int}", teams.show, **leads),
        post("/teams/{tid:int}", teams.save, **leads),
        post("/teams/{tid:int}/languages", languages.team_languages, **leads),
        get("/practitioners", practitioners.index, **admins),
        post("/practitioners", practitioners.create, **admins),
        get("/practitioners/{id:int}", practitioners.show, **admins),
        post("/practitioners/{id:int}", practitioners.save, **admins),
        post("/practitioners/{id:int}/reset-password", practitioners.reset_password, **admins),
        get("/practitioners/{id:int}/password", practitioners.password_once, **admins),
        post("/practitioners/{id:int}/reset-codes", practitioners.reset_codes, **admins),
        get("/audit", auditlog.show, **leads),
        get("/simulator", simulator.index),
        post("/simulator", simulator.create),
        get("/simulator/{pid:int}", simulator.show),
        post("/simulator/{pid:int}", simulator.send),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders, https=admin.secure)],
        exception_handlers={
            404: not_found,
            405: not_found,
            500: server_error(https=admin.secure),
        },
    )
    app.state.admin = admin
    return app
