"""`touchpoint serve --with-worker`: one process for a small service and the demo: the
webhooks, and the scheduler and outbox running inside it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.channel_helpers import replies_of
from tests.schedule_processes import cluster, phone, scheduled, wait_for

pytestmark = pytest.mark.slow


def test_one_process_runs_the_webhooks_and_the_worker(db_url: str, tmp_path: Path) -> None:
    with cluster(db_url, tmp_path) as c:
        [pid] = c.enrol(1, **scheduled())
        c.due_now([pid])
        c.serve("--with-worker")
        c.wait_healthy()
        wait_for(lambda: len(c.twilio.sent) == 1, 30, "the check-in")
        [sms] = c.twilio.sent
        assert sms.to == phone(0)
        assert "How have things been" in sms.body
        with httpx.Client(timeout=15) as client:
            answer = c.text(client, c.ports[0], phone(0), "8", "SM" + "8" * 32)
        assert answer.status_code == 200
        assert "gone well" in "\n".join(replies_of(answer.text))
        [job, _next] = c.jobs([pid])
        assert (job.status, job.outcome) == ("done", "sent")
