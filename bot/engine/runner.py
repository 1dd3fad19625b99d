"""One step of a dialog: validate the answer, save it, move on, say the next prompt."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from sqlalchemy import bindparam, select

from bot import plans
from bot.engine import answers, readback
from bot.engine.actions import ACTIONS
from bot.engine.compiler import CompiledDialog, DialogSet
from bot.engine.greetings import is_greeting, is_return
from bot.engine.hold import MAX_HELD_CHARS, HoldChoice, parse_hold
from bot.engine.lists import ListSteps
from bot.engine.names import parse_name
from bot.engine.spec import AnswerKind, StateSpec
from bot.engine.turn import Turn
from bot.language import words
from bot.wording import Wording
from store.models import Conversation

# Answers that may keep words the safety screen stopped, if the person says so.
_KEEPABLE = frozenset({AnswerKind.TEXT, AnswerKind.LIST, AnswerKind.CONTACT})
STUCK_AFTER = 3  # bad answers in a row before we offer a way out instead of asking again
MAX_HISTORY = 50

# Built once: building a statement costs more than running it on SQLite.
_ACTIVE = (
    select(Conversation)
    .where(
        Conversation.participant_id == bindparam("participant_id"),
        Conversation.status == "active",
    )
    .order_by(Conversation.id.desc())
    .limit(1)
)
_SUSPENDED = (
    select(Conversation)
    .where(
        Conversation.participant_id == bindparam("participant_id"),
        Conversation.status == "suspended",
    )
    .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
)


class Engine(ListSteps):
    """Drives conversations through the compiled dialogs. Holds no per-person state."""

    def __init__(self, dialogs: DialogSet, wording: Wording) -> None:
        self.dialogs = dialogs
        self.wording = wording

    # -- conversations -------------------------------------------------------------

    def active(self, turn: Turn) -> Conversation | None:
        params = {"participant_id": turn.participant.id}
        return turn.session.scalars(_ACTIVE, params).one_or_none()

    def suspended(self, turn: Turn) -> list[Conversation]:
        params = {"participant_id": turn.participant.id}
        return list(turn.session.scalars(_SUSPENDED, params))

    def start(self, turn: Turn, dialog_name: str) -> Conversation:
        """Start a dialog, or resume it where it was left; the one in progress is kept."""
        if turn.participant.more:
            turn.participant.more = []  # the crisis reply's pages are not for a new dialog
        current = self.active(turn)
        if current is not None:
            if current.dialog == dialog_name:
                self.reprompt(turn, current)
                return current
            current.status = "suspended" if current.dialog != "menu" else "completed"
        for conv in self.suspended(turn):
            if conv.dialog == dialog_name:
                conv.status = "active"
                self.reprompt(turn, conv)
                return conv
        dialog = self.dialogs[dialog_name]
        conv = Conversation(
            participant_id=turn.participant.id,
            dialog=dialog_name,
            state=dialog.spec.start,
            status="active",
            data={"answers": {}, "history": []},
        )
        turn.session.add(conv)
        self._enter(turn, conv, dialog.spec.start, remember=False)
        return conv

    def reprompt(self, turn: Turn, conv: Conversation) -> None:
        """Say the current question again (after a pause, a resume, or a restart)."""
        self._drop_hold(conv)
        state = self._state(conv)
        turn.say(self._prompt(turn, conv, state))

    # -- the step --------------------------------------------------------------------

    def hold(self, turn: Turn, conv: Conversation, text: str) -> None:
        """Risk language arrived while a question was open (the safety message has been
        said): the words wait, and the person is asked, calmly, how to go on."""
        state = self._state(conv)
        data = self._data(conv)
        data["held"] = text[:MAX_HELD_CHARS]
        conv.data = data
        turn.say(
            self.wording.render(
                "answers/held", turn.participant.locale, keepable=state.answer in _KEEPABLE
            )
        )

    def _resolve_hold(self, turn: Turn, conv: Conversation, text: str) -> bool:
        """The message after a hold: KEEP, carry on, or (False) an answer as ever."""
        data = self._data(conv)
        held = str(data.pop("held", ""))
        conv.data = data
        choice = parse_hold(words.for_hold(text, turn.participant.locale))
        if choice is HoldChoice.KEEP and self._state(conv).answer in _KEEPABLE:
            self.answer(turn, conv, held)
            return True
        if choice is not None:  # carry on (or KEEP where words cannot be kept)
            turn.say(self.wording.render("answers/carry_on", turn.participant.locale))
            self.reprompt(turn, conv)
            return True
        return False

    def _drop_hold(self, conv: Conversation) -> None:
        if conv.data and "held" in conv.data:
            data = self._data(conv)
            data.pop("held", None)
            conv.data = data

    def answer(self, turn: Turn, conv: Conversation, text: str) -> None:
        if conv.data and "held" in conv.data and self._resolve_hold(turn, conv, text):
            return
        if is_return(text, self._away(turn)):
            # "hi sorry I've been rubbish at replying" is not what went well: the
            # question is asked again, quoted in full.
            loc = turn.participant.locale
            name = turn.participant.display_name
            sorry = not is_greeting(text)
            turn.say(self.wording.render("answers/hello_again", loc, name=name, sorry=sorry))
            self.reprompt(turn, conv)
            return
        state = self._state(conv)
        kind = state.answer
        if kind is AnswerKind.LIST:
            self._list_answer(turn, conv, state, text)
            return
        if conv.data.get("phase") is not None:
            if kind is AnswerKind.CONTACT and conv.data.get("phase") == "contact_confirm":
                self._contact_confirm(turn, conv, state, text, in_list=False)
                return
            self._set_phase(conv, None)  # left over from another kind of question
        parsed = self._parse(turn, state, kind, text)
        if not parsed.ok:
            if kind is AnswerKind.CONTACT and parsed.error == "no_phone":
                self._ask_keep_contact(turn, conv, parsed.value)
                return
            self._bad(turn, conv, state, parsed.error or "invalid")
            return
        if kind is AnswerKind.CHOICE:
            option = state.options[int(parsed.value)]  # type: ignore[call-overload]
            self._save(turn, conv, state, option.key)
            if option.start is not None:
                self._finish(turn, conv, resume=False)
                self.start(turn, option.start)
                return
            self._move(turn, conv, f"choose_{option.key}")
            return
        value = self._jsonable(parsed.value)
        self._save(turn, conv, state, value)
        if kind is AnswerKind.YES_NO and state.on:
            self._move(turn, conv, "yes" if parsed.value else "no")
        else:
            self._move(turn, conv, "next")

    @staticmethod
    def _away(turn: Turn) -> timedelta | None:
        """How long since their message before this one. The row was read before this
        message's arrival was written (a Core UPDATE does not refresh it)."""
        last = turn.participant.last_inbound_at
        return None if last is None else turn.now - last

    def question(self, turn: Turn, conv: Conversation) -> str:
        """The question waiting for an answer, as it would be asked now (for reminders)."""
        return self._prompt(turn, conv, self._state(conv))

    def back(self, turn: Turn, conv: Conversation) -> None:
        self._drop_hold(conv)
        data = self._data(conv)
        history: list[str] = data.get("history", [])
        if conv.data.get("phase") in ("confirming", "contact_confirm"):
            data.pop("phase", None)
            data.pop("pending", None)
            conv.data = data
            turn.say(self._prompt(turn, conv, self._state(conv)))
            return
        if not history:
            turn.say(self.wording.render("answers/back_at_start", turn.participant.locale))
            self.reprompt(turn, conv)
            return
        previous = history.pop()
        data["history"] = history
        conv.data = data
        self._enter(turn, conv, previous, remember=False)

    # -- moving --------------------------------------------------------------------

    def _move(self, turn: Turn, conv: Conversation, event: str) -> None:
        dialog = self._dialog(conv)
        if not dialog.can(conv.state, event):
            event = "next"
        if not dialog.can(conv.state, event):
            self.reprompt(turn, conv)  # nothing leaves this state that way: ask again
            return
        destination = dialog.fire(conv.state, event)
        self._enter(turn, conv, destination, remember=True)

    def _enter(self, turn: Turn, conv: Conversation, name: str, *, remember: bool) -> None:
        dialog = self._dialog(conv)
        data = self._data(conv)
        if remember and conv.state != name:
            data["history"] = [*data.get("history", []), conv.state][-MAX_HISTORY:]
        for scratch in ("phase", "pending", "items", "bad", "held", "emptied"):
            data.pop(scratch, None)
        state = dialog.state(name)
        conv.state = name
        if state.answer is AnswerKind.LIST:
            data["items"] = self._existing_items(turn, conv, state, data)
        conv.data = data
        plan = state.plan or dialog.spec.plan
        for action in state.do:
            ACTIONS[action](turn, conv, plan)
        turn.say(self._prompt(turn, conv, state))
        if state.end:
            self._finish(turn, conv, resume=state.then is None)
            if state.then is not None:
                self.start(turn, state.then)

    def _finish(self, turn: Turn, conv: Conversation, *, resume: bool) -> None:
        conv.status = "completed"
        if not resume:
            return
        waiting = self.suspended(turn)
        if waiting:
            back_to = waiting[0]
            back_to.status = "active"
            turn.say(
                self.wording.render(
                    "system/resuming", turn.participant.locale, dialog=back_to.dialog
                )
            )
            self.reprompt(turn, back_to)

    def _existing_items(
        self, turn: Turn, conv: Conversation, state: StateSpec, data: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """A list question asked again starts from what the person already said."""
        if state.section is not None:
            plan = state.plan or self._dialog(conv).spec.plan
            if plan is not None:
                version = turn.current_plan(plan)
                if version is not None:
                    section, _, sub = state.section.partition(".")
                    found = version.sections.get(section) or []
                    if sub:
                        found = (found[-1].get(sub) or []) if found else []
                    return plans.copy_json(list(found))
        if state.save is not None:
            saved = data.get("answers", {}).get(state.save)
            if isinstance(saved, list):
                return plans.copy_json(saved)
        return []

    # -- saving --------------------------------------------------------------------

    def _save(self, turn: Turn, conv: Conversation, state: StateSpec, value: Any) -> None:
        data = self._data(conv)
        data["bad"] = 0
        if state.save is not None:
            data.setdefault("answers", {})[state.save] = value
        conv.data = data
        if state.section is None:
            return
        plan = state.plan or self._dialog(conv).spec.plan
        assert plan is not None  # checked when the dialogs were loaded
        version = turn.draft_plan(plan)
        section, _, sub = state.section.partition(".")
        items = self._as_items(value)
        if sub == "steps":
            plans.set_steps(version, section, items)
        elif state.append:
            for entry in items:
                plans.append_item(version, section, entry)
        else:
            plans.set_section(version, section, items)

    @staticmethod
    def _as_items(value: Any) -> list[dict[str, Any]]:
        if isinstance(value, list):
            return [v if isinstance(v, dict) else plans.item(str(v)) for v in value]
        if isinstance(value, dict):
            return [value]
        if isinstance(value, bool):
            return [plans.item("yes" if value else "no")]
        return [plans.item(str(value))]

    @staticmethod
    def _jsonable(value: object) -> Any:
        if isinstance(value, time):
            return value.strftime("%H:%M")
        if isinstance(value, answers.Contact):
            return Engine._contact_item(value)
        return value

    # -- bad answers ---------------------------------------------------------------

    def _bad(self, turn: Turn, conv: Conversation, state: StateSpec, error: str) -> None:
        data = self._data(conv)
        data["bad"] = int(data.get("bad", 0)) + 1
        conv.data = data
        loc = turn.participant.locale
        if data["bad"] >= STUCK_AFTER:
            turn.say(
                self.wording.render(
                    "answers/stuck", loc, optional=state.optional, kind=state.answer.value
                )
            )
            return
        template = f"answers/{error}"
        if not self.wording.exists(template):
            template = "answers/invalid"
        turn.say(self.wording.render(template, loc, kind=state.answer.value))

    def _parse(self, turn: Turn, state: StateSpec, kind: AnswerKind, text: str) -> answers.Parsed:
        text = words.for_parser(text, turn.participant.locale, kind.value)  # "ie" is "yes"
        if kind is AnswerKind.YES_NO:
            return answers.parse_yes_no(text)
        if kind is AnswerKind.SCALE:
            return answers.parse_scale(text)
        if kind is AnswerKind.TIME:
            return answers.parse_time_of_day(text)
        if kind is AnswerKind.CONTACT:
            return answers.parse_contact(text, turn.team.region)
        if kind is AnswerKind.CHOICE:
            return answers.parse_choice(text, [o.key.replace("_", " ") for o in state.options])
        if kind is AnswerKind.NAME:
            return parse_name(text)
        return answers.parse_text(text)

    # -- small things ----------------------------------------------------------------

    def _prompt(self, turn: Turn, conv: Conversation, state: StateSpec) -> str:
        dialog = self._dialog(conv)
        plan_kind = state.plan or dialog.spec.plan
        sections = plans.Sections()
        if plan_kind is not None:
            version = turn.current_plan(plan_kind)
            sections = plans.Sections(version.sections if version is not None else {})
        data = conv.data or {}
        suspended = [c.dialog for c in self.suspended(turn)] if dialog.name == "menu" else []

        def render(texts: list[str], hidden: int) -> str:
            return self.wording.render(
                state.prompt,
                turn.participant.locale,
                name=turn.participant.display_name,
                team=turn.team,
                answers=data.get("answers", {}),
                items=[{"text": text} for text in texts],
                hidden=hidden,
                sections=sections,
                suspended=suspended,
            )

        # The list so far is shown within two segments, however long it has grown.
        return readback.fit(render, data.get("items", []))

    def _dialog(self, conv: Conversation) -> CompiledDialog:
        return self.dialogs[conv.dialog]

    def _state(self, conv: Conversation) -> StateSpec:
        return self._dialog(conv).state(conv.state)

    @staticmethod
    def _data(conv: Conversation) -> dict[str, Any]:
        """A copy to change and assign back (a change in place would not be saved)."""
        return plans.copy_json(conv.data or {})

    @staticmethod
    def _items(conv: Conversation) -> list[dict[str, Any]]:
        """The list in progress, to read only: no copy."""
        items: list[dict[str, Any]] = (conv.data or {}).get("items", [])
        return items

    def _set_phase(self, conv: Conversation, phase: str | None) -> None:
        data = self._data(conv)
        if phase is None:
            data.pop("phase", None)
        else:
            data["phase"] = phase
        conv.data = data
