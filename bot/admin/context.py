"""What every admin page works with: the app's parts, who is signed in, this request."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.admin import audit, notices, problems
from bot.admin.render import Pages
from bot.assistant import Assistant
from bot.settings import Settings
from store.db import Database

PRACTITIONER = "practitioner"
LEAD = "team_lead"
ADMIN = "admin"
ROLES = (PRACTITIONER, LEAD, ADMIN)
ROLE_NAMES = {PRACTITIONER: "Practitioner", LEAD: "Team lead", ADMIN: "Administrator"}
SHOWN_FOR = 600  # seconds a page reached by redirect_showing can be reloaded


@dataclass(frozen=True)
class Who:
    """The signed-in practitioner, as read when the request started."""

    id: int
    name: str
    email: str
    role: str
    team_id: int
    timezone: str = "Europe/London"

    @property
    def actor(self) -> str:
        return f"practitioner:{self.id}"

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def is_lead(self) -> bool:
        return self.role in (LEAD, ADMIN)


@dataclass
class Admin:
    """The admin app's parts, made once."""

    settings: Settings
    db: Database
    assistant: Assistant
    clock: Callable[[], datetime]
    pages: Pages
    secure: bool

    def cookie(self, name: str) -> str:
        # __Host- cookies are only sent over https, for the whole site, by this host.
        return f"__Host-tp_{name}" if self.secure else f"tp_{name}"


@dataclass
class Ctx:
    """One request to one admin page."""

    admin: Admin
    request: Request
    root: str
    address: str
    csrf: str
    who: Who | None = None
    token: str | None = None
    stage: str = "ok"
    form: FormData = field(default_factory=FormData)
    cookies_out: list[tuple[str, str, int | None]] = field(default_factory=list)

    @property
    def user(self) -> Who:
        assert self.who is not None, "this page needs a signed-in practitioner"
        return self.who

    def now(self) -> datetime:
        return self.admin.clock()

    def param(self, name: str) -> Any:
        return self.request.path_params[name]

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def field(self, name: str) -> str:
        value = self.form.get(name)
        return value if isinstance(value, str) else ""

    def fields(self, name: str) -> list[str]:
        return [v for v in self.form.getlist(name) if isinstance(v, str)]

    def path(self, path: str, **query: object) -> str:
        shown = {k: v for k, v in query.items() if v not in (None, "")}
        return f"{self.root}{path}" + (f"?{urlencode(shown)}" if shown else "")

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        refused = problems.summary(context)
        body = self.admin.pages.render(
            template,
            root=self.root,
            user=self.who if self.stage == "ok" else None,
            csrf=self.csrf,
            notice=context.pop("notice", None) or notices.notice(self.query("done")),
            path=self.path,
            tz=self.who.timezone if self.who else "Europe/London",
            error_summary=refused,
            **context,
        )
        return self._finish(HTMLResponse(body, status_code=status))

    def redirect(self, path: str, **query: object) -> Response:
        return self.redirect_url(self.path(path, **query))

    def redirect_url(self, url: str) -> Response:
        return self._finish(RedirectResponse(url, status_code=303))

    def redirect_showing(self, name: str, value: str, path: str) -> Response:
        """Post/redirect/get for what is shown once (a new link, a temporary password):
        `value` rides to `path` in a short-lived HTTP-only cookie, so a reload of that page
        shows it again and never repeats the POST. Read there with `shown`."""
        self.set_cookie(self.admin.cookie(name), value, SHOWN_FOR)
        return self.redirect(path)

    def shown(self, name: str, pattern: re.Pattern[str]) -> re.Match[str] | None:
        """What `redirect_showing` carried under `name`, if it is still there and whole."""
        return pattern.fullmatch(self.request.cookies.get(self.admin.cookie(name), ""))

    def set_cookie(self, name: str, value: str, max_age: int | None = None) -> None:
        self.cookies_out.append((name, value, max_age))

    def _finish(self, response: Response) -> Response:
        for name, value, max_age in self.cookies_out:
            if value:
                response.set_cookie(
                    name,
                    value,
                    max_age=max_age,
                    path="/",
                    secure=self.admin.secure,
                    httponly=True,
                    samesite="lax",
                )
            else:
                response.delete_cookie(
                    name, path="/", secure=self.admin.secure, httponly=True, samesite="lax"
                )
        return response

    def audit(
        self,
        session: Session,
        action: str,
        record_type: str | None = None,
        record_id: int | None = None,
        *,
        actor: str | None = None,
        **detail: Any,
    ) -> None:
        audit.record(
            session,
            actor=actor or (self.who.actor if self.who else "anonymous"),
            action=action,
            record_type=record_type,
            record_id=record_id,
            address=self.address,
            now=self.now(),
            **detail,
        )

    def record_view(
        self,
        action: str,
        record_type: str | None = None,
        record_id: int | None = None,
        **detail: Any,
    ) -> None:
        """Audit a page that only reads: one row in a write of its own, so the page's reading
        never holds the writer (docs/performance.md)."""
        with self.admin.db.write() as session:
            self.audit(session, action, record_type, record_id, **detail)
