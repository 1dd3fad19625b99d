"""A reply is never lost and never sent twice: `touchpoint serve` as a real process, a
client (standing in for Twilio) that drops the connection right after the commit, then
retries; `touchpoint worker` handing over the replies nothing confirmed."""

from __future__ import annotations

import shutil
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select, update

from bot.channels.sms import INBOUND_PATH
from bot.fakes.twilio import new_sid, sign
from bot.inline import CONFIRM_WITHIN
from store.models import Message
from tests.channel_helpers import AUTH_TOKEN, TWILIO_NUMBER, replies_of, sms_form
from tests.schedule_processes import PUBLIC_URL, Cluster, cluster, phone, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("lost-replies")
    shutil.copyfile(migrated_template, folder / "touchpoint.db")
    with cluster(f"sqlite:///{folder / 'touchpoint.db'}", folder) as c:
        c.serve()
        c.wait_healthy()
        yield c


def _dropped_after_commit(c: Cluster, sender: str, body: str, sid: str) -> None:
    """POST the signed webhook, wait until its replies are committed, then reset the
    connection without reading the answer: Twilio's timeout, or a proxy restarting."""
    form = sms_form(body, sid, from_=sender)
    payload = urlencode(form).encode()
    signature = sign(AUTH_TOKEN, PUBLIC_URL + INBOUND_PATH, form)
    head = (
        f"POST {INBOUND_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", c.ports[0])) as sock:
        sock.sendall(head.encode() + payload)
        wait_for(lambda: bool(_replies_to(c, sid)), 15, "the replies to be committed")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _replies_to(c: Cluster, sid: str) -> list[Message]:
    with c.db.read() as session:
        inbound = select(Message.id).where(Message.external_id == sid).scalar_subquery()
        return list(
            session.scalars(
                select(Message).where(Message.reply_to_id == inbound).order_by(Message.id)
            )
        )


def _retry(c: Cluster, sender: str, body: str, sid: str) -> httpx.Response:
    with httpx.Client(timeout=15) as client:
        response = c.text(client, c.ports[0], sender, body, sid)
    assert response.status_code == 200, response.text
    return response


def _inbound_count(c: Cluster, sid: str) -> int:
    with c.db.read() as session:
        return len(list(session.scalars(select(Message.id).where(Message.external_id == sid))))


def _age(c: Cluster, rows: list[Message]) -> None:
    """As if the replies had been given longer ago than a status callback takes."""
    earlier = datetime.now(UTC) - CONFIRM_WITHIN - timedelta(seconds=5)
    with c.db.write() as session:
        session.execute(
            update(Message).where(Message.id.in_([m.id for m in rows])).values(created_at=earlier)
        )


def _worker_once(c: Cluster) -> None:
    worked = c.worker("worker-once", "--once")
    worked.popen.wait(timeout=60)
    assert worked.popen.returncode == 0, worked.output()


def test_a_retry_after_a_dropped_answer_gets_the_same_replies(served: Cluster) -> None:
    c, person, sid = served, phone(1), new_sid()
    c.enrol(1, first=1)
    _dropped_after_commit(c, person, "CRISIS", sid)
    stored = _replies_to(c, sid)

    first, second = _retry(c, person, "CRISIS", sid), _retry(c, person, "CRISIS", sid)

    assert first.text == second.text
    assert replies_of(first.text) == [m.body for m in stored]
    assert "999" in replies_of(first.text)[0]
    assert _inbound_count(c, sid) == 1
    # Twilio reports on each reply at the URL the TwiML names for it: it is confirmed.
    for reply in stored:
        url = f"{PUBLIC_URL}/webhooks/twilio/status?message={reply.id}"
        assert url.replace("&", "&amp;") in first.text
        form = {"MessageSid": new_sid(), "MessageStatus": "sent", "To": person}
        headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, form)}
        local = url.replace(PUBLIC_URL, f"http://127.0.0.1:{c.ports[0]}")
        assert httpx.post(local, data=form, headers=headers, timeout=15).status_code == 200
    assert {m.status for m in _replies_to(c, sid)} == {"sent"}
    _age(c, stored)
    _worker_once(c)
    assert c.twilio.sent == []  # confirmed: never sent again


def test_a_reply_whose_answer_never_arrived_is_sent_once_by_the_worker(served: Cluster) -> None:
    c, person, sid = served, phone(2), new_sid()
    c.enrol(1, first=2)
    _dropped_after_commit(c, person, "hello", sid)  # and Twilio gives up: no retry
    stored = _replies_to(c, sid)
    assert stored
    assert {m.status for m in stored} == {"inline"}

    _age(c, stored)  # (too soon, they stay: tests/test_inline.py)
    _worker_once(c)
    _worker_once(c)

    sent = [s for s in c.twilio.sent if s.to == person]
    assert [s.body for s in sent] == [m.body for m in stored]
    assert {(m.status, m.external_id) for m in _replies_to(c, sid)} == {
        ("sent", s.sid) for s in sent
    }


def test_a_reply_twilio_sent_but_never_reported_is_not_sent_again(served: Cluster) -> None:
    c, person, sid = served, phone(3), new_sid()
    c.enrol(1, first=3)
    answer = _retry(c, person, "SOS", sid)  # answered; Twilio's status callbacks get lost
    [reply] = _replies_to(c, sid)
    assert replies_of(answer.text) == [reply.body]
    # Twilio did send it (what the TwiML asked for is in its message log).
    with httpx.Client(timeout=15) as client:
        created = client.post(
            f"{c.twilio.url}/2010-04-01/Accounts/{c.twilio.account_sid}/Messages.json",
            data={"To": person, "From": TWILIO_NUMBER, "Body": reply.body},
            auth=(c.twilio.account_sid, c.twilio.auth_token),
        )
    assert created.status_code == 201
    _age(c, [reply])

    _worker_once(c)

    assert len([s for s in c.twilio.sent if s.to == person]) == 1  # the one from the TwiML
    [after] = _replies_to(c, sid)
    assert (after.status, after.external_id) == ("sent", created.json()["sid"])


def test_kill_9_under_load_loses_and_doubles_no_reply(served: Cluster) -> None:
    """Three senders texting while `serve` is killed with SIGKILL and started again;
    Twilio sends each message that got no answer once more. Counted: answered, stored
    once, lost (the answer Twilio finally got is not the stored replies), doubled."""
    c = served
    c.enrol(3, first=100)
    answers: dict[str, str] = {}
    retry: list[tuple[str, str]] = []

    def texting(person: str) -> None:
        with httpx.Client(timeout=15) as client:
            for _ in range(MESSAGES // 3):
                sid = new_sid()
                try:
                    answers[sid] = c.text(client, c.ports[-1], person, "MENU", sid).text
                except httpx.TransportError:
                    retry.append((person, sid))
                    time.sleep(0.05)

    senders = [threading.Thread(target=texting, args=(phone(100 + n),)) for n in range(3)]
    for thread in senders:
        thread.start()
    wait_for(lambda: len(answers) >= MESSAGES // 3, 60, "traffic")
    serving = next(p for p in c.processes if p.name.startswith("serve"))
    serving.kill()
    c.processes.remove(serving)
    c.serve()  # on a new port, which the senders use from now on
    del c.ports[0]
    c.wait_healthy()
    for thread in senders:
        thread.join(60)
    committed = sum(_inbound_count(c, sid) for _, sid in retry)
    with httpx.Client(timeout=15) as client:
        for person, sid in retry:  # Twilio's retry of what it got no answer to
            answers[sid] = c.text(client, c.ports[-1], person, "MENU", sid).text

    assert retry, "the kill landed on no request"
    counts = _count(c, answers)
    print(
        f"kill -9 under load: {counts}; {len(retry)} requests cut off and retried, "
        f"{committed} of them already committed (answered from the stored replies)"
    )
    assert counts == {"answered": MESSAGES, "stored": MESSAGES, "lost": 0, "doubled": 0}


MESSAGES = 150


def _count(c: Cluster, answers: dict[str, str]) -> dict[str, int]:
    with c.db.read() as session:
        rows = list(session.scalars(select(Message).where(Message.external_id.in_(answers))))
    stored = Counter(m.external_id for m in rows)
    lost = 0
    for sid, answer in answers.items():
        given = [m.body for m in _replies_to(c, sid)]
        lost += int(not given or replies_of(answer) != given)
    return {
        "answered": len(answers),
        "stored": len(stored),
        "lost": lost,
        "doubled": sum(n - 1 for n in stored.values()),
    }
