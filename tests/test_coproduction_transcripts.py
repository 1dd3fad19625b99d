"""Co-production as whole conversations (tests/transcripts/coproduction/*.yaml): the
practitioner acts on the real admin pages, the worker runs the jobs that are due, and
the person answers through the real assistant; the plan, the suggestions and the
overrides are checked in the store.

Steps: `plan` (a version of a plan: status, sections), `suggest` / `send_back` /
`override` / `appointment` / `review` (the practitioner, through the admin pages), `clock`
(move it to an ISO time), `worker` (run what is due; `expect` / `reject` / `silent`
on what it sent), `send` (the person; `expect` / `reject`), `check` (the store)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from bot import plans
from bot.engine.spec import Yaml12Loader
from bot.schedule.outreach import Outreach
from bot.schedule.scheduler import Scheduler
from store.models import Message, Override, Plan, PlanVersion, Suggestion
from tests.admin_support import Browser, World, admin_world

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts" / "coproduction").glob("*.yaml"))
WHO = "alex"


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        yield w


class Run:
    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.name = name
        self.pid = world.ids[WHO]
        self.browser: Browser | None = None
        self.seen = self._last_out()
        self.scheduler = Scheduler(
            world.db,
            Outreach(world.db, world.assistant.engine, world.assistant.wording, world.clock),
            world.clock,
        )

    def practitioner(self) -> Browser:
        if self.browser is None:
            self.browser = self.world.signed_in("pat")
        return self.browser

    def _last_out(self) -> int:
        with self.world.db.read() as session:
            found = session.scalar(
                select(Message.id)
                .where(Message.participant_id == self.pid, Message.direction == "out")
                .order_by(Message.id.desc())
                .limit(1)
            )
            return int(found or 0)

    def sent_since(self) -> list[str]:
        """What was queued for the person since last asked (not replies to them)."""
        with self.world.db.read() as session:
            rows = session.scalars(
                select(Message)
                .where(
                    Message.participant_id == self.pid,
                    Message.direction == "out",
                    Message.id > self.seen,
                    Message.status == "queued",
                )
                .order_by(Message.id)
            ).all()
            bodies = [m.body for m in rows]
        self.seen = self._last_out()
        return bodies

    def review_page(self, kind: str) -> Browser:
        browser = self.practitioner()
        browser.get(f"/admin/participants/{self.pid}/plans/{kind}/review")
        return browser


def _load(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader)  # noqa: S506
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    assert "steps" in data, f"{path.name}: needs `steps`"
    return data


def _items(raw: dict[str, list[Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for section, entries in raw.items():
        out[section] = [
            plans.item(**e) if isinstance(e, dict) else plans.item(str(e)) for e in entries
        ]
    return out


def _said(where: str, step: dict[str, Any], said: list[str], what: str) -> None:
    text = "\n---\n".join(said)
    if step.get("silent"):
        assert not said, f"{where}: expected nothing after {what}, got:\n{text}"
        return
    assert said, f"{where}: nothing after {what}"
    for expected in _as_list(step.get("expect")):
        assert str(expected).casefold() in text.casefold(), (
            f"{where}: after {what} expected {expected!r} in:\n{text}"
        )
    for rejected in _as_list(step.get("reject")):
        assert str(rejected).casefold() not in text.casefold(), (
            f"{where}: after {what} did not expect {rejected!r} in:\n{text}"
        )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_coproduction_transcript(path: Path, world: World) -> None:
    script = _load(path)
    run = Run(world, path.name)
    for number, step in enumerate(script["steps"], start=1):
        where = f"{path.name} step {number}"
        if "clock" in step:
            world.clock.now = datetime.fromisoformat(str(step["clock"]))
            run.browser = None  # hours later: signed out for idleness, signs in again
        elif "plan" in step:
            spec = step["plan"]
            world.plan_version(
                WHO,
                spec.get("kind", "crisis"),
                sections=_items(spec["sections"]),
                status=spec.get("status", "submitted"),
                by=world.ids["pat"],
            )
        elif "suggest" in step:
            spec = step["suggest"]
            browser = run.review_page(spec.get("kind", "crisis"))
            browser.submit("/suggestions", {k: str(v) for k, v in spec.items() if k != "kind"})
            for expected in _as_list(spec.get("page")):
                found = _joined(expected) in _joined(browser.text)
                assert found, f"{where}: {expected!r} not on the page"
        elif "send_back" in step:
            spec = step["send_back"]
            browser = run.review_page(spec.get("kind", "crisis"))
            browser.submit("/suggestions/send", {"note": str(spec.get("note", ""))})
            assert "Sent back with your suggestions" in browser.text, f"{where}: {browser.text}"
            assert run.sent_since() == [], f"{where}: nothing goes before the worker's turn"
        elif "override" in step:
            spec = step["override"]
            browser = run.practitioner()
            number_ = int(spec["version"])
            browser.get(f"/admin/participants/{run.pid}/plans/{spec.get('kind', 'crisis')}/review")
            browser.get(
                f"/admin/participants/{run.pid}/plans/{spec.get('kind', 'crisis')}"
                f"/versions/{number_}/edit"
            )
            browser.submit(
                f"/versions/{number_}/edit", {k: str(v) for k, v in spec["fields"].items()}
            )
            _said(where, step, run.sent_since(), "the override")
        elif "review" in step:  # what the practitioner sees before approving
            spec = step["review"]
            browser = run.review_page(spec.get("kind", "crisis"))
            for expected in _as_list(spec.get("expect")):
                assert _joined(expected) in _joined(browser.text), (
                    f"{where}: {expected!r} not in {browser.text}"
                )
        elif "appointment" in step:
            browser = run.practitioner()
            browser.submit(
                "/appointment",
                {"next_appointment": str(step["appointment"])},
                page=f"/admin/participants/{run.pid}",
            )
        elif "worker" in step:
            run.scheduler.run_until_idle()
            _said(where, step, run.sent_since(), "the worker's turn")
        elif "send" in step:
            replies = world.say(WHO, str(step["send"]))
            _said(where, step, [replies] if replies else [], repr(step["send"]))
            run.seen = run._last_out()
        elif "check" in step:
            _check(world, run.pid, step["check"], where)
        else:
            raise AssertionError(f"{where}: unknown step {step}")


def _check(world: World, pid: int, check: dict[str, Any], where: str) -> None:
    with world.db.read() as session:
        for kind, expected in check.get("plans", {}).items():
            plan = session.scalars(
                select(Plan).where(Plan.participant_id == pid, Plan.kind == kind)
            ).one()
            versions = list(
                session.scalars(
                    select(PlanVersion)
                    .where(PlanVersion.plan_id == plan.id)
                    .order_by(PlanVersion.number)
                )
            )
            if "statuses" in expected:
                got = [v.status for v in versions]
                assert got == expected["statuses"], f"{where}: {kind} statuses {got}"
            latest = versions[-1]
            for section, texts in expected.get("sections", {}).items():
                got = [i["text"] for i in latest.sections.get(section, [])]
                assert got == texts, f"{where}: {kind}.{section} is {got}"
            for section, phones in expected.get("phones", {}).items():
                got = [i.get("phone") for i in latest.sections.get(section, [])]
                assert got == phones, f"{where}: {kind}.{section} phones {got}"
            for section, credits in expected.get("credits", {}).items():
                got = [_credit(i) for i in latest.sections.get(section, [])]
                assert got == credits, f"{where}: {kind}.{section} credits {got}"
        if "suggestions" in check:
            rows = session.scalars(
                select(Suggestion).where(Suggestion.participant_id == pid).order_by(Suggestion.id)
            ).all()
            got = [{"status": r.status, "answer": r.answer} for r in rows]
            want = [
                {"status": s["status"], "answer": s.get("answer")} for s in check["suggestions"]
            ]
            assert got == want, f"{where}: suggestions {got}"
        if "overrides" in check:
            rows = session.scalars(select(Override).where(Override.participant_id == pid)).all()
            got = [
                {"undone": r.undone_at is not None, "removed_safety": r.removed_safety}
                for r in rows
            ]
            assert got == check["overrides"], f"{where}: overrides {got}"


def _credit(entry: dict[str, Any]) -> str:
    if entry.get("agreed"):
        return "agreed"
    if entry.get("suggestion"):
        return "their own words"
    return "practitioner" if str(entry.get("by", "")).startswith("practitioner") else "theirs"


def _joined(text: str) -> str:
    """The page's text as a reader sees it: the parsed-HTML helper puts spaces around
    each <bdi> (a person's words), which a browser does not."""
    return text.replace("\u201c ", "\u201c").replace(" \u201d", "\u201d").replace(" :", ":")
