"""Lists and contacts: the steps of a question answered one item at a time.

Each item is echoed; natural endings and slips of DONE/SKIP end the list
(bot/engine/listwords.py); REMOVE works while adding; DONE keeps the list and reads it
back in one line in front of the next question (bot/engine/readback.py); SKIP keeps
what was sent; a contact without a number waits for "keep it as written?".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import plans
from bot.engine import answers, readback
from bot.engine.compiler import CompiledDialog
from bot.engine.listwords import ListWord, is_nod, parse_list_word
from bot.engine.spec import AnswerKind, ItemKind, StateSpec
from bot.engine.turn import Turn
from bot.language import words
from bot.wording import Wording
from store.models import Conversation

MAX_ITEMS = 30


class ListSteps:
    """The list and contact steps of bot/engine/runner.py's Engine, which inherits them."""

    wording: Wording

    if TYPE_CHECKING:  # what the Engine provides

        def answer(self, turn: Turn, conv: Conversation, text: str) -> None: ...
        def reprompt(self, turn: Turn, conv: Conversation) -> None: ...
        def _drop_hold(self, conv: Conversation) -> None: ...
        def _move(self, turn: Turn, conv: Conversation, event: str) -> None: ...
        def _save(self, turn: Turn, conv: Conversation, state: StateSpec, value: Any) -> None: ...
        def _bad(self, turn: Turn, conv: Conversation, state: StateSpec, error: str) -> None: ...
        def _prompt(self, turn: Turn, conv: Conversation, state: StateSpec) -> str: ...
        def _state(self, conv: Conversation) -> StateSpec: ...
        def _dialog(self, conv: Conversation) -> CompiledDialog: ...
        @staticmethod
        def _data(conv: Conversation) -> dict[str, Any]: ...
        @staticmethod
        def _items(conv: Conversation) -> list[dict[str, Any]]: ...
        def _set_phase(self, conv: Conversation, phase: str | None) -> None: ...

    def skip(self, turn: Turn, conv: Conversation) -> None:
        self._drop_hold(conv)
        state = self._state(conv)
        dialog = self._dialog(conv)
        if not state.optional or not dialog.can(conv.state, "skip"):
            turn.say(self.wording.render("answers/cannot_skip", turn.participant.locale))
            return
        if conv.data.get("phase") == "contact_confirm":  # a contact waiting is kept (H21)
            in_list = state.answer is AnswerKind.LIST
            self._keep_pending_contact(turn, conv, state, in_list=in_list)
            if not in_list:
                return  # kept as the answer, and moved on
        if state.answer is AnswerKind.LIST and self._items(conv):
            # What they sent is theirs: SKIP leaves the question, never their words.
            self._keep_list(turn, conv, state, skipped=True)
            return
        self._move(turn, conv, "skip")

    def done(self, turn: Turn, conv: Conversation) -> None:
        self._drop_hold(conv)
        state = self._state(conv)
        if conv.data.get("phase") == "contact_confirm":
            # "Keep it without a number?" answered with DONE: the contact is kept, never
            # dropped (docs/clinical-safety.md, H16).
            self._keep_pending_contact(turn, conv, state, in_list=state.answer is AnswerKind.LIST)
            if state.answer is not AnswerKind.LIST:
                return
        if state.answer is not AnswerKind.LIST:
            self.reprompt(turn, conv)
            return
        if self._items(conv) or conv.data.get("emptied"):
            self._keep_list(turn, conv, state, skipped=False)
        elif state.optional:
            self.skip(turn, conv)
        else:
            turn.say(self.wording.render("answers/list_empty", turn.participant.locale))

    # -- lists ---------------------------------------------------------------------

    def _list_answer(self, turn: Turn, conv: Conversation, state: StateSpec, text: str) -> None:
        phase = conv.data.get("phase")
        loc = turn.participant.locale
        if phase == "contact_confirm":
            self._contact_confirm(turn, conv, state, text, in_list=True)
            return
        said = words.for_list(text, loc)  # "dyna ni" ends a list; the item stays as sent
        if phase is not None:
            self._set_phase(conv, None)
            if phase == "confirming" and answers.parse_yes_no(said).value is True:
                self.done(turn, conv)  # a read-back from before lists kept at DONE
                return
        remove = answers.parse_remove(said)
        if remove is not None:
            self._remove_item(turn, conv, remove)
            return
        if is_nod(said):
            # "ok", "yes", "thanks" are nods, not items: ask again (briefly, once started).
            if self._items(conv):
                turn.say(self.wording.render("answers/list_nod", loc))
            else:
                turn.say(self._prompt(turn, conv, state))
            return
        word = parse_list_word(said)
        if word is ListWord.DONE:
            self.done(turn, conv)
            return
        if word is ListWord.SKIP:
            self.skip(turn, conv)
            return
        if word is ListWord.LATER:
            turn.say(self.wording.render("answers/later", loc))
            return
        if len(self._items(conv)) >= MAX_ITEMS:
            turn.say(self.wording.render("answers/list_full", loc, limit=MAX_ITEMS))
            return
        if state.item is ItemKind.CONTACT:
            parsed = answers.parse_contact(text, turn.team.region)
            if not parsed.ok:
                if parsed.error == "no_phone":
                    self._ask_keep_contact(turn, conv, parsed.value)
                    return
                self._bad(turn, conv, state, parsed.error or "invalid")
                return
            assert isinstance(parsed.value, answers.Contact)
            entry = self._contact_item(parsed.value)
        else:
            parsed = answers.parse_text(text)
            if not parsed.ok:
                self._bad(turn, conv, state, parsed.error or "invalid")
                return
            entry = plans.item(str(parsed.value))
        self._add_item(conv, entry)
        self._echo(turn, entry)

    def _echo(self, turn: Turn, entry: dict[str, Any]) -> None:
        item = readback.shorten(str(entry.get("text", "")), readback.ECHO_CHARS)
        turn.say(self.wording.render("answers/list_added", turn.participant.locale, item=item))

    def _add_item(self, conv: Conversation, entry: dict[str, Any]) -> None:
        data = self._data(conv)
        data["items"] = [*data.get("items", []), entry]
        data["bad"] = 0
        conv.data = data

    def _remove_item(self, turn: Turn, conv: Conversation, number: int) -> None:
        data = self._data(conv)
        items: list[dict[str, Any]] = data.get("items", [])
        loc = turn.participant.locale
        if not 1 <= number <= len(items):
            turn.say(self.wording.render("answers/no_such_item", loc, count=len(items)))
            return
        removed = items.pop(number - 1)
        data["items"] = items
        data["emptied"] = not items  # DONE now keeps the list empty
        conv.data = data
        gone = readback.shorten(str(removed.get("text", "")), readback.ECHO_CHARS)
        turn.say(
            readback.fit(
                lambda texts, hidden: self.wording.render(
                    "answers/list_removed", loc, removed=gone, texts=texts, hidden=hidden
                ),
                items,
            )
        )

    def _keep_list(
        self, turn: Turn, conv: Conversation, state: StateSpec, *, skipped: bool
    ) -> None:
        """Save the list and go on, its short read-back in front of the next question."""
        items = self._data(conv).get("items", [])
        loc = turn.participant.locale
        self._save(turn, conv, state, items)
        said = len(turn.replies)
        self._move(turn, conv, "next")
        after = turn.replies[said] if len(turn.replies) > said else ""

        def render(texts: list[str], hidden: int) -> str:
            kept = self.wording.render(
                "answers/list_kept",
                loc,
                texts=texts,
                hidden=hidden,
                count=len(items),
                skipped=skipped,
            )
            return f"{kept}\n\n{after}" if after else kept

        # The read-back gets what room the next question leaves in two segments.
        joined = readback.fit(render, items)
        if after:
            turn.replies[said] = joined
        else:
            turn.say(joined)

    # -- contacts ------------------------------------------------------------------

    def _ask_keep_contact(self, turn: Turn, conv: Conversation, contact: object) -> None:
        data = self._data(conv)
        raw = contact.raw if isinstance(contact, answers.Contact) else ""
        data["phase"], data["pending"] = "contact_confirm", raw
        conv.data = data
        turn.say(self.wording.render("answers/contact_no_phone", turn.participant.locale))

    def _contact_confirm(
        self, turn: Turn, conv: Conversation, state: StateSpec, text: str, *, in_list: bool
    ) -> None:
        loc = turn.participant.locale
        if in_list and parse_list_word(words.for_list(text, loc)) is not None:
            self.done(turn, conv)  # "that's it" while a contact waits: it is kept (H21)
            return
        data = self._data(conv)
        pending = str(data.get("pending", ""))
        yes_no = answers.parse_yes_no(words.for_parser(text, loc, "yes_no"))
        if yes_no.ok:
            data.pop("phase", None)
            data.pop("pending", None)
            conv.data = data
            if not yes_no.value:
                turn.say(self.wording.render("answers/contact_again", turn.participant.locale))
                return
            self._keep_contact(turn, conv, state, pending, in_list=in_list, quiet=False)
            return
        # Anything else is taken as a new try at the contact.
        data.pop("phase", None)
        data.pop("pending", None)
        conv.data = data
        if in_list:
            self._list_answer(turn, conv, state, text)
        else:
            self.answer(turn, conv, text)

    def _keep_pending_contact(
        self, turn: Turn, conv: Conversation, state: StateSpec, *, in_list: bool
    ) -> None:
        data = self._data(conv)
        pending = str(data.pop("pending", ""))
        data.pop("phase", None)
        conv.data = data
        if pending.strip():
            self._keep_contact(turn, conv, state, pending, in_list=in_list, quiet=in_list)

    def _keep_contact(
        self,
        turn: Turn,
        conv: Conversation,
        state: StateSpec,
        pending: str,
        *,
        in_list: bool,
        quiet: bool,
    ) -> None:
        entry = plans.item(pending, name=pending, phone=None)
        if in_list:
            self._add_item(conv, entry)
            if not quiet:
                self._echo(turn, entry)
        else:
            self._save(turn, conv, state, entry)
            self._move(turn, conv, "next")

    @staticmethod
    def _contact_item(contact: answers.Contact) -> dict[str, Any]:
        return plans.item(contact.raw, name=contact.name.strip(), phone=contact.phone)
