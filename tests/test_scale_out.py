"""Scale-out on PostgreSQL: two `touchpoint serve` and two `touchpoint worker` processes,
signed webhooks for 200 people at once (several from the same person at the same time,
and duplicate deliveries), and scheduled check-ins going out meanwhile."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from store.models import Conversation, Job, Message
from tests.schedule_processes import Cluster, cluster, phone, scheduled, wait_for

pytestmark = [pytest.mark.slow]

PEOPLE = 200
EACH = 3  # messages per person, sent at the same time
DUPLICATED = 60  # people one of whose messages Twilio delivers twice (to the other server)
SCHEDULED = 100


def _in_the_agenda_question(c: Cluster, ids: list[int]) -> None:
    """Each person in the check-in's list question: every message adds one item."""
    with c.db.write() as session:
        for pid in ids:
            session.add(
                Conversation(
                    participant_id=pid,
                    dialog="check_in",
                    state="agenda",
                    status="active",
                    data={"answers": {"rating": 6}, "history": ["rating"], "items": []},
                    created_at=datetime.now(UTC),
                    updated_at=datetime.now(UTC),
                )
            )


def _settled(c: Cluster, scheduled_ids: list[int]) -> bool:
    with c.db.read() as session:
        busy = session.scalar(
            select(func.count()).where(
                Message.direction == "out", Message.status.in_(("queued", "sending"))
            )
        )
    done = [j for j in c.jobs(scheduled_ids) if j.status == "done"]
    return busy == 0 and len(done) == SCHEDULED


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_two_servers_and_two_workers(db_url: str, tmp_path: Path) -> None:
    rng = random.Random(5)
    with cluster(db_url, tmp_path) as c:
        texters = c.enrol(PEOPLE)
        _in_the_agenda_question(c, texters)
        planned = c.enrol(SCHEDULED, first=1000, **scheduled())
        c.serve()
        c.serve()
        c.wait_healthy()
        c.worker("worker-a", "--lease", "10", "--batch", "20")
        c.worker("worker-b", "--lease", "10", "--batch", "20")
        c.due_now(planned)

        deliveries: list[tuple[int, str, str, int]] = []  # (person, body, sid, port)
        for n in range(PEOPLE):
            for k in range(1, EACH + 1):
                deliveries.append((n, f"p{n} item {k}", f"SM{n:016d}{k:016d}", c.ports[k % 2]))
        for n in rng.sample(range(PEOPLE), DUPLICATED):
            person, body, sid, port = deliveries[n * EACH + rng.randrange(EACH)]
            other = c.ports[1] if port == c.ports[0] else c.ports[0]
            deliveries.append((person, body, sid, other))
        rng.shuffle(deliveries)

        def deliver(item: tuple[int, str, str, int]) -> tuple[str, int]:
            person, body, sid, port = item
            with httpx.Client(timeout=30) as client:
                return sid, c.text(client, port, phone(person), body, sid).status_code

        with ThreadPoolExecutor(max_workers=48) as pool:
            answers = list(pool.map(deliver, deliveries))

        statuses = Counter(status for _, status in answers)
        assert statuses == Counter({200: len(deliveries)}), statuses
        wait_for(lambda: _settled(c, planned), 90, "the scheduled check-ins to go out")

        with c.db.read() as session:
            inbound = session.execute(
                select(Message.participant_id, Message.external_id, Message.body)
                .where(Message.direction == "in")
                .order_by(Message.id)
            ).all()
            conversations = {
                conv.participant_id: conv
                for conv in session.scalars(
                    select(Conversation).where(Conversation.participant_id.in_(texters))
                )
            }
            replies = session.execute(
                select(Message.participant_id, Message.body)
                .where(Message.direction == "out", Message.participant_id.in_(texters))
                .order_by(Message.id)
            ).all()
            running = session.scalar(select(func.count()).where(Job.status == "running"))
            claimed = session.scalar(
                select(func.count()).where(Job.claimed_until.is_not(None), Job.status != "done")
            )

        # Every acknowledged message is stored once.
        stored = Counter(sid for _, sid, _ in inbound)
        acknowledged = {sid for sid, status in answers if status == 200}
        assert {sid: stored[sid] for sid in acknowledged} == dict.fromkeys(acknowledged, 1)
        assert len(inbound) == PEOPLE * EACH

        # Each conversation advanced exactly once per message, in arrival order per person.
        arrived: dict[int, list[str]] = {}
        for pid, _sid, body in inbound:
            assert pid is not None
            arrived.setdefault(pid, []).append(body)
        said: dict[int, list[str]] = {}
        for pid, body in replies:
            assert pid is not None
            said.setdefault(pid, []).append(body)
        for pid in texters:
            items = [item["text"] for item in conversations[pid].data["items"]]
            assert items == arrived[pid], pid
            assert sorted(items) == [f"p{pid - texters[0]} item {k}" for k in range(1, EACH + 1)]
            assert conversations[pid].version == 1 + EACH
            assert [body.split("\n")[0] for body in said[pid]] == [
                f"Added: {item}" for item in arrived[pid]
            ]

        # No scheduled prompt was sent twice; nothing is left claimed.
        sent_to = Counter(sms.to for sms in c.twilio.sent)
        assert sent_to == Counter({phone(n): 1 for n in range(1000, 1000 + SCHEDULED)})
        assert Counter(j.outcome for j in c.jobs(planned) if j.status == "done") == Counter(
            {"sent": SCHEDULED}
        )
        assert (running, claimed) == (0, 0)
