"""/metrics: only for the holder of TOUCHPOINT_METRICS_TOKEN, and the same numbers from
every worker process."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.channels.sms import INBOUND_PATH
from bot.fakes.twilio import sign
from tests.channel_helpers import AUTH_TOKEN, sms_form
from tests.security.conftest import METRICS_TOKEN, Served

pytestmark = pytest.mark.slow

_SMS_IN = re.compile(r'^touchpoint_messages_in_total\{channel="sms"\} (\S+)$', re.MULTILINE)


def test_metrics_need_the_token(served: Served) -> None:
    with served.client() as client:
        assert client.get("/metrics").status_code == 401
        for given in (
            f"Bearer {METRICS_TOKEN}x",
            f"Bearer {METRICS_TOKEN[:-1]}",
            f"Basic {METRICS_TOKEN}",
            METRICS_TOKEN,
            "Bearer",
        ):
            refused = client.get("/metrics", headers={"Authorization": given})
            assert refused.status_code == 401, given
            assert "touchpoint_" not in refused.text
        allowed = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert allowed.status_code == 200
        assert "touchpoint_safety_alerts" in allowed.text


def _sms_in(url: str) -> float:
    # A new connection each time, so the scrapes reach both worker processes.
    with httpx.Client(base_url=url, timeout=20) as client:
        page = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    found = _SMS_IN.search(page.text)
    return float(found[1]) if found else 0.0


def test_every_worker_process_reports_the_counts_of_all(served: Served) -> None:
    before = _sms_in(served.url)
    owner, _ = served.practitioner()
    numbers = [served.phone() for _ in range(16)]
    for number in numbers:
        served.participant(owner, "Robin", phone=number)
    url = served.url + INBOUND_PATH

    def text(n: int) -> int:
        form = sms_form("hello", f"SM{n:08d}{'f' * 24}", from_=numbers[n])
        headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, form)}
        with httpx.Client(timeout=20) as client:  # one connection each: spread over workers
            return client.post(url, data=form, headers=headers).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(text, range(len(numbers)))) == {200}
    scraped = {_sms_in(served.url) - before for _ in range(8)}
    assert scraped == {len(numbers)}
