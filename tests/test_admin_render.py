"""The small pieces the practitioner's pages are made of: the error summary, what changed
in a review, authorship word by word, and phone numbers as people read them."""

from __future__ import annotations

from bot.admin.diff import Piece, compare, merged, summary
from bot.admin.problems import Problem
from bot.admin.problems import summary as problems
from bot.admin.render import phone, phone_needed
from bot.plans import CRISIS_SECTIONS, item


def test_every_kind_of_refusal_becomes_a_linked_line_of_the_summary() -> None:
    assert problems({"error": None, "errors": {}}) == []
    assert problems({"error": "Give a date.", "error_for": "next_appointment"}) == [
        Problem("Give a date.", "next_appointment")
    ]
    assert problems({"error": "Wrong password."}) == [Problem("Wrong password.", "form-error")]
    assert problems({"errors": {"t-coping-0": "Too long."}, "problem": "Someone else"}) == [
        Problem("Someone else", ""),
        Problem("Too long.", "t-coping-0"),
    ]
    assert problems({"errors": ["A", "B"], "errors_for": "team-errors"}) == [
        Problem("A", "team-errors"),
        Problem("B", "team-errors"),
    ]
    assert problems({"suggest_error": "Add one.", "suggest_error_for": "suggest-error"}) == [
        Problem("Add one.", "suggest-error")
    ]


def test_the_review_summary_counts_items_not_words() -> None:
    old = {"coping": [item("Walk"), item("Bath")], "reasons": [item("My dog")]}
    new = {"coping": [item("Walk by the river"), item("Bath")], "safer_surroundings": [item("x")]}
    sections = compare(old, new, CRISIS_SECTIONS)
    assert summary(sections, first=False) == "1 item added, 1 changed, 1 removed; 1 unchanged"
    assert summary(compare(old, old, CRISIS_SECTIONS), first=False) == (
        "No items changed; 3 unchanged"
    )
    assert summary(compare({}, old, CRISIS_SECTIONS), first=True) == (
        "3 items, all new: nothing was approved before"
    )


def test_a_practitioners_change_reads_against_the_persons_words() -> None:
    assert merged("Call my sister", "Call my sister Jo") == (
        Piece("Call my sister", "same"),
        Piece(" Jo", "added"),
    )
    pieces = merged("Ring mum at home", "Ring Jo at home")
    assert [(p.text, p.kind) for p in pieces if p.kind != "same"] == [
        ("mum", "removed"),
        ("Jo", "added"),
    ]
    assert "".join(p.text for p in pieces if p.kind != "removed") == "Ring Jo at home"


def test_phone_numbers_are_spaced_and_shown_once() -> None:
    assert phone("+447400123456") == "+44 7400 123456"
    assert phone("not a number") == "not a number"
    assert phone(None) == ""
    assert phone_needed("Mum", "+447400123456")
    assert not phone_needed("Mum 07400 123456", "+447400123456")
    assert not phone_needed("Mum", None)
