"""Whole conversations in Welsh and Polish (tests/transcripts/languages/*.yaml), through
the real stack: the same steps as tests/test_transcripts.py, with the person's language
(`participant: {language: cy}`; with a `phone` they text by SMS, and `gsm7: true` on a step
checks its first reply is spelt in GSM-7 within three segments) and the languages their
team offers (`team_languages`, enabled as an admin acknowledging they are unreviewed)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot import crisis, gsm
from bot.engine.spec import Yaml12Loader
from bot.enrolment import e164
from bot.language import offer
from bot.types import Channel
from store.models import Participant, Team
from tests.conftest import Stack
from tests.test_transcripts import START, _check_store, _Clock, _expect

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts" / "languages").glob("*.yaml"))


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_language_transcript(path: Path, stack: Stack) -> None:
    script = yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader)  # noqa: S506
    who = script.get("participant", {})
    clock = _Clock(START)
    stack.clock = clock
    stack.restart()
    phone = who.get("phone")
    pid = stack.add_participant(
        who.get("name", "Alex"), onboarded=who.get("onboarded", True), phone=phone
    )
    with stack.db.write() as session:
        person = session.get(Participant, pid)
        assert person is not None
        team = session.scalars(select(Team).where(Team.id == person.team_id)).one()
        for code in script.get("team_languages", ["cy", "pl"]):
            offer.enable(
                session, team, code, actor="admin", admin=True, acknowledged=True, now=clock.now
            )
        offer.set_language(
            session, person, team, who.get("language", "en"), actor="test", now=clock.now
        )
    for number, step in enumerate(script["steps"], start=1):
        where = f"{path.name} step {number}"
        if "check" in step:
            _check_store(stack, pid, step["check"], where)
            continue
        if "wait" in step:
            clock.now += timedelta(**step["wait"])
            continue
        sent = str(step["send"])
        clock.now += timedelta(seconds=20)
        if phone:  # by SMS, as a phone sends it (replies are counted in its encoding)
            replies = stack.send(pid, sent, channel=Channel.SMS, address=e164(phone, "GB")).replies
        else:
            replies = stack.send(pid, sent).replies
        if step.get("gsm7"):  # the crisis reply or the safety message: the first reply
            assert gsm.is_gsm7(replies[0]), f"{where}: not GSM-7: {replies[0]}"
            assert gsm.segments(replies[0]) <= crisis.MAX_SEGMENTS, f"{where}: {replies[0]}"
        if step.get("silent"):
            assert not replies, f"{where}: expected silence after {sent!r}, got {replies}"
            continue
        assert replies, f"{where}: no reply to {sent!r}"
        _expect(where, repr(sent), list(replies), step)
