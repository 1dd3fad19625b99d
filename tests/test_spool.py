"""The spool on its own: durable files, one per provider id, and a replay that a file it
can't use does not hold up."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.replay import Replayed, replay
from store.spool import Spool, Spooled
from tests.channel_helpers import PHONE, messages
from tests.conftest import Stack

EARLIER = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def _message(
    sid: str, text: str = "hello", at: datetime = EARLIER, channel: str = "sms"
) -> Spooled:
    return Spooled(channel, PHONE, text, sid, at)


def test_a_message_is_kept_once_by_its_owner_only(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    first = spool.append(_message("SM1", "first"))
    again = spool.append(_message("SM1", "first", EARLIER + timedelta(seconds=30)))
    spool.append(_message("SM0", "earlier", EARLIER - timedelta(seconds=1)))

    assert first == again
    assert [m.external_id for _, m in spool.take()] == ["SM0", "SM1"]  # oldest first
    assert [m.received_at for _, m in spool.take()][1] == EARLIER  # the first copy kept
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "spool").stat().st_mode) == 0o700
    assert not list((tmp_path / "spool").glob(".*"))  # no temporary file left


def test_a_file_that_cant_be_used_is_set_aside_and_the_rest_goes_in(
    stack: Stack, tmp_path: Path
) -> None:
    stack.add_participant(phone=PHONE)
    spool = Spool(tmp_path / "spool")
    spool.append(_message("SM1", "CRISIS"))
    spool.append(_message("SM2", "hello", EARLIER + timedelta(seconds=1), channel="fax"))
    broken = spool.folder / "sms-broken.json"
    broken.write_text("{not json")
    spool.append(_message("SM3", "MENU", EARLIER + timedelta(seconds=2)))

    assert replay(stack.assistant, spool) == Replayed(stored=2, duplicates=0, left=0)

    stored = messages(stack.db, direction="in")
    later = EARLIER + timedelta(seconds=2)
    assert [(m.external_id, m.created_at) for m in stored] == [("SM1", EARLIER), ("SM3", later)]
    assert not spool.waiting()
    assert len(list((spool.folder / "damaged").iterdir())) == 2
