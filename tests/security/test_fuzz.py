"""Nothing from outside makes the server fail: any request to either webhook, and to every
admin route as each role, gets an answer below 500. Hypothesis writes the requests."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update
from starlette.routing import Route

from bot.admin import sessions, throttle
from bot.admin.app import build_admin
from bot.assistant import Assistant
from bot.channels.sms import INBOUND_PATH
from bot.delivery import STATUS_PATH
from bot.fakes.telegram import text_update
from bot.fakes.twilio import sign
from bot.settings import PROJECT_ROOT, Settings
from bot.web.app import TELEGRAM_PATH
from store.db import Database
from store.models import Alert, Participant, Practitioner, SigninFailure, Team
from tests.admin_support import Browser
from tests.channel_helpers import AUTH_TOKEN, WEBHOOK_SECRET, sms_form
from tests.security.conftest import Served

pytestmark = pytest.mark.slow

ROLES = ("practitioner", "team_lead", "admin")
TEAM = "Fuzzing team"
FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Every field name an admin form has, and those the edit form makes up per item.
FORM_NAMES = sorted(
    set(
        re.findall(
            r'name="([a-z_0-9]+)"',
            "".join(p.read_text() for p in (PROJECT_ROOT / "templates" / "admin").glob("*.html")),
        )
    )
    | {"t-coping-0", "p-coping-0", "s-coping-0", "n-coping-0", "np-coping-0", "t-people-0"}
)
QUERY_NAMES = ["page", "q", "sort", "record_id", "actor", "action", "record_type", "since",
               "until", "days", "unanswered", "next", "done", "message"]  # fmt: skip
AWKWARD = [
    "", " ", "0", "-1", "1", "2", "2147483648", "9223372036854775808", "1" * 40, "²", "٣",
    "1e309", "NaN", "2026-02-30", "2026-02-03", "0000-01-01", "9999-12-31", "25:61", "09:00",
    "Europe/Nowhere", "Europe/London", "\x00", "a\x00b", "crisis", "care", "yes", "on",
    "admin", "team_lead", "practitioner", "every", "weekdays", "off", "mon", "/admin/",
    "//evil.example", "<script>x</script>", "x" * 5000, "\u202e\u2066", "\ud7ff", "+447400123456",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(max_size=40),
    st.from_regex(r"-?[0-9]{1,30}", fullmatch=True),
)
BIG = [0, 1, 2, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30]


ADMIN_FUZZ = settings(FUZZ, max_examples=3)


def _admin_routes() -> list[tuple[str, str]]:
    """Every admin route, read from the admin app itself (which needs no database to list)."""
    plain = Settings(database_url="sqlite://")
    db = Database(plain.database_url)
    try:
        app = build_admin(
            settings=plain, db=db, assistant=Assistant(plain, db), clock=lambda: datetime.now(UTC)
        )
    finally:
        db.dispose()
    found = []
    for route in app.routes:
        assert isinstance(route, Route)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append((method, route.path))
    return found


ADMIN_ROUTES = _admin_routes()


@dataclass
class Admin:
    served: Served
    emails: dict[str, str]
    ids: dict[str, list[int]]
    team_id: int
    browsers: dict[str, Browser] = field(default_factory=dict)

    def __repr__(self) -> str:
        return "Admin()"

    def browser(self, role: str) -> Browser:
        """A browser signed in as `role`, signing in again if an example signed it out."""
        found = self.browsers.get(role)
        if found is not None and not found.client.is_closed:
            return found
        # Examples may have asked the team for codes, or guessed at the password on the
        # change-password form: put the account back as it was.
        email = self.emails[role]
        with self.served.db.write() as session:
            session.execute(update(Team).where(Team.id == self.team_id).values(require_totp=False))
            session.execute(
                update(Practitioner)
                .where(Practitioner.email == email)
                .values(totp_secret=None, active=True, role=role, team_id=self.team_id)
            )
            key = throttle.account_key(email)
            session.execute(delete(SigninFailure).where(SigninFailure.account_key == key))
        self.browsers[role] = self.served.signed_in(email)
        return self.browsers[role]


@pytest.fixture(scope="module")
def admin(served: Served) -> Admin:
    emails: dict[str, str] = {}
    ids: dict[str, int] = {}
    for role in ROLES:
        ids[role], emails[role] = served.practitioner(role, team=TEAM)
    spare, _ = served.practitioner(team=TEAM)
    pid = served.participant(ids["practitioner"], "Fen", items=("Walk", "Call Mo"))
    demo = served.participant(ids["practitioner"], "Demo")
    with served.db.write() as session:
        session.execute(update(Participant).where(Participant.id == demo).values(is_demo=True))
        alert = Alert(participant_id=pid, kind="risk_language", created_at=datetime.now(UTC))
        session.add(alert)
        session.flush()
        alert_id = alert.id
        team_id = session.get(Practitioner, spare).team_id  # type: ignore[union-attr]
    return Admin(
        served,
        emails,
        {"pid": [pid, demo], "id": [spare], "aid": [alert_id], "tid": [team_id], "number": [1]},
        team_id,
    )


def _path(template: str, ids: dict[str, list[int]], draw: Any) -> str:
    def fill(match: re.Match[str]) -> str:
        name, kind = match[1], match[2]
        if kind == "int":
            return str(draw(st.sampled_from(ids.get(name, []) + BIG)))
        word = draw(st.one_of(st.sampled_from(["crisis", "care", "checkin"]), st.text(max_size=12)))
        return quote(word, safe="") or "x"

    return "/admin" + re.sub(r"\{(\w+):(\w+)\}", fill, template)


def _fields(names: list[str], draw: Any) -> dict[str, str]:
    """Either every name with one awkward value (each number-reading path meets it at
    once), or a few names with values of their own."""
    if draw(st.booleans()):
        value = draw(st.sampled_from(AWKWARD))
        return dict.fromkeys(names, value)
    return dict(draw(st.dictionaries(st.sampled_from(names), VALUES, max_size=6)))


@pytest.mark.parametrize(
    ("method", "template"), ADMIN_ROUTES, ids=[f"{m} {p}" for m, p in ADMIN_ROUTES]
)
@given(data=st.data())
@ADMIN_FUZZ
def test_no_admin_request_is_a_server_error(
    admin: Admin, method: str, template: str, data: st.DataObject
) -> None:
    role = data.draw(st.sampled_from(ROLES))
    path = _path(template, admin.ids, data.draw)
    query = {name: value[:1000] for name, value in _fields(QUERY_NAMES, data.draw).items()}
    form = _fields(FORM_NAMES, data.draw)
    browser = admin.browser(role)
    if method == "GET":
        response = browser.client.get(path, params=query)
    else:
        token = browser.client.cookies.get("tp_session", "")
        form["csrf"] = sessions.csrf_token(token)
        response = browser.client.post(path, params=query, data=form)
    assert response.status_code < 500, (role, method, path, response.text[:300])
    if "/sign-in" in response.headers.get("location", ""):
        del admin.browsers[role]  # signed out (or sent back to a sign-in step)


TWILIO_NAMES = [
    "Body", "From", "To", "MessageSid", "SmsSid", "SmsMessageSid", "NumMedia", "MediaUrl0",
    "MediaContentType0", "AccountSid", "MessageStatus", "ErrorCode",
]  # fmt: skip


@given(data=st.data())
@FUZZ
def test_no_sms_webhook_request_is_a_server_error(served: Served, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from([INBOUND_PATH, STATUS_PATH]))
    query = data.draw(st.sampled_from(["", "message=1", "message=99999999999999999999"]))
    sid = data.draw(st.one_of(st.from_regex(r"(SM|MM)[0-9a-f]{32}", fullmatch=True), VALUES))
    form = sms_form(data.draw(VALUES), "SM" + "0" * 32, from_=data.draw(VALUES)) | {
        "MessageSid": sid
    }
    form |= data.draw(st.dictionaries(st.sampled_from(TWILIO_NAMES), VALUES, max_size=4))
    url = served.url + path + (f"?{query}" if query else "")
    signed = data.draw(st.booleans())
    headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, form) if signed else "bm9wZQ=="}
    response = httpx.post(url, data=form, headers=headers, timeout=20)
    assert response.status_code < 500, (form, response.text[:300])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | VALUES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(VALUES, inner, max_size=3),
    max_leaves=12,
)
UPDATE_KINDS = ["message", "edited_message", "channel_post", "edited_channel_post",
                "callback_query", "my_chat_member", "poll", "business_message"]  # fmt: skip
MESSAGE_KEYS = ["text", "caption", "chat", "from", "date", "message_id", "edit_date",
                "entities", "photo", "sticker", "contact", "reply_to_message"]  # fmt: skip


@given(data=st.data())
@FUZZ
def test_no_telegram_update_is_a_server_error(served: Served, data: st.DataObject) -> None:
    update_id = data.draw(st.integers(min_value=-(2**70), max_value=2**70))
    update: Any = text_update(1, data.draw(st.integers(-(2**70), 2**70)), data.draw(VALUES))
    update["update_id"] = update_id
    key = data.draw(st.sampled_from(["message", "edited_message"]))
    update[key] = update.pop("message")
    update[key] |= data.draw(st.dictionaries(st.sampled_from(MESSAGE_KEYS), JSON, max_size=3))
    other_kinds = st.sampled_from(UPDATE_KINDS) | VALUES
    update |= data.draw(st.dictionaries(other_kinds, JSON | st.just(update[key]), max_size=2))
    response = httpx.post(
        served.url + TELEGRAM_PATH,
        content=json.dumps(update).encode(),
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
        timeout=20,
    )
    assert response.status_code < 500, (update, response.text[:300])
