"""Plain names for plans and their sections, as a practitioner reads them."""

from __future__ import annotations

SECTION_TITLES = {
    "warning_signs": "Warning signs",
    "coping": "Things I can do on my own",
    "distractions": "People and places that take my mind off things",
    "people_help": "People I can ask for help",
    "professionals": "Professionals and services I can contact",
    "safer_surroundings": "Making my surroundings safer",
    "reasons": "What matters to me, my reasons to keep going",
    "unwell_helps": "When I'm unwell: what helps",
    "unwell_not_helpful": "When I'm unwell: what doesn't help",
    "unwell_tell": "When I'm unwell: who to tell and who not to",
    "unwell_practical": "When I'm unwell: practical things to take care of",
    "matters": "What matters to me",
    "going": "How things are going",
    "goals": "My goals",
    "keeps_well": "What keeps me well day to day",
    "from_team": "What I'd like from my team",
    "appointment_topics": "For my next appointment",
}
PLAN_NAMES = {"crisis": "crisis plan", "care": "care plan"}
STATUS_NAMES = {
    "draft": "being written",
    "submitted": "waiting for review",
    "approved": "approved",
    "changes_requested": "sent back for changes",
    "superseded": "replaced by a newer version",
}


def plan_name(kind: str) -> str:
    return PLAN_NAMES.get(kind, kind)
