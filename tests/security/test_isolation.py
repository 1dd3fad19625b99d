"""A service user's words, with direction-changing characters in them, never reorder
the page around them: they are isolated (<bdi>) wherever they are shown."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from bot.channels.sms import INBOUND_PATH
from bot.fakes.twilio import sign
from store.models import Participant
from tests.admin_html import Node, fields, form
from tests.channel_helpers import AUTH_TOKEN, sms_form
from tests.security.conftest import Served

pytestmark = pytest.mark.slow

RLO, FSI, PDI = "\u202e", "\u2068", "\u2069"
NAME = f"Sam{RLO}ti"
ITEM = f"{RLO}I phone my sister"


def _fenced(text: str) -> bool:
    """Every override in `text` sits inside FSI ... PDI (how a <title> isolates)."""
    depth = 0
    for char in text:
        depth += char == FSI
        depth -= char == PDI and depth > 0
        if char == RLO and depth == 0:
            return False
    return True


def _exposed(node: Node, isolated: bool = False) -> list[str]:
    """Text holding an override that nothing isolates from what follows it."""
    found: list[str] = []
    for child in node.children:
        if isinstance(child, str):
            if RLO in child and not isolated and not _fenced(child):
                found.append(child)
        elif child.tag != "textarea":  # a form control is a box of its own
            found.extend(_exposed(child, isolated or child.tag == "bdi"))
    return found


def test_participant_text_is_isolated_on_every_page(served: Served) -> None:
    owner, email = served.practitioner("team_lead")
    phone = served.phone()
    pid = served.participant(owner, NAME, phone=phone, items=(ITEM, "Go for a walk"))
    url = served.url + INBOUND_PATH
    for n, text in enumerate([f"{RLO}hello there", f"I want to die {RLO}tonight"]):
        message = sms_form(text, f"SM{pid:016x}{n:016x}", from_=phone)
        sent = httpx.post(
            url, data=message, headers={"X-Twilio-Signature": sign(AUTH_TOKEN, url, message)}
        )
        assert sent.status_code == 200
    lead = served.signed_in(email)
    lead.get("/admin/simulator")
    lead.client.post(
        "/admin/simulator",
        data={"csrf": fields(form(lead.page, "/sign-out"))["csrf"]},  # type: ignore[arg-type]
    )
    with served.db.write() as session:
        demo = session.query(Participant).filter_by(is_demo=True, practitioner_id=owner).one()
        demo.display_name = NAME
        demo_id = demo.id
    lead.submit(f"/simulator/{demo_id}", {"text": f"{RLO}MENU"}, page=f"/admin/simulator/{demo_id}")
    plan = f"/admin/participants/{pid}/plans/crisis"
    pages = [
        "/admin/",
        "/admin/participants",
        "/admin/alerts",
        f"/admin/participants/{pid}",
        f"/admin/participants/{pid}/conversation",
        f"/admin/participants/{pid}/conversation?q={quote(RLO + 'hello')}",  # the words echoed
        plan,
        f"{plan}/review",
        f"{plan}/versions/1",
        f"{plan}/versions/1/print",
        f"{plan}/versions/1/edit",
        "/admin/simulator",
        f"/admin/simulator/{demo_id}",
    ]
    for path in pages:
        response = lead.get(path)
        assert response.status_code == 200, path
        assert RLO in response.text, f"{path} does not show the words tested"
        assert lead.page is not None
        assert _exposed(lead.page) == [], path
