"""A person's supporters as their record shows them: the participant page's panel, the
FHIR CarePlan's care team (RelatedPerson), and the subject access export."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.supporters import people
from store.models import Supporter

STATUS_NAMES = {
    "invited": "invited, waiting for their YES",
    "active": "agreed",
    "declined": "said no",
    "stopped": "sent STOP",
    "removed": "removed",
}
CONSENT_NAMES = {
    "chosen": "chosen by them",
    "share_update": "chosen again (latest plan)",
    "sections": "parts they may see",
    "notify_crisis": "told when they text CRISIS",
    "invitation": "the supporter's answer to the invitation",
    "stop": "the supporter sent STOP",
    "removed": "removed",
}


def panel(session: Session, participant_id: int) -> dict[str, Any]:
    """What `_supporters.html` shows, for the participant page."""
    rows = people.of(session, participant_id)
    consents = people.consents(session, [s.id for s in rows])
    titles = dict(people.section_titles())
    return {
        "supporters": [
            {
                "row": s,
                "status": STATUS_NAMES.get(s.status, s.status),
                "sections": [titles[k] for k in s.sections if k in titles],
                "consents": [
                    (CONSENT_NAMES.get(c.what, c.what), c.given, c.by, c.detail, c.at)
                    for c in consents
                    if c.supporter_id == s.id
                ],
            }
            for s in rows
        ]
    }


def for_export(session: Session, participant_id: int) -> list[dict[str, Any]]:
    """Every supporter and every consent about them, for the subject access export."""
    rows = people.of(session, participant_id)
    consents = people.consents(session, [s.id for s in rows])
    return [
        {
            "name": s.name,
            "phone": s.phone,
            "status": s.status,
            "sections": list(s.sections),
            "told_on_crisis": s.notify_crisis,
            "chosen_at": s.created_at.isoformat(),
            "consents": [
                {
                    "what": c.what,
                    "given": c.given,
                    "by": c.by,
                    "detail": c.detail,
                    "at": c.at.isoformat(),
                }
                for c in consents
                if c.supporter_id == s.id
            ],
        }
        for s in rows
    ]


def fhir_care_team(
    supporters: list[Supporter], patient: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Contained RelatedPerson resources and a CareTeam naming them, and the CarePlan's
    `careTeam` reference to it; only supporters who agreed (replied YES)."""
    agreed = [s for s in supporters if s.status == "active"]
    if not agreed:
        return [], []
    related = [
        {
            "resourceType": "RelatedPerson",
            "id": f"supporter-{s.id}",
            "patient": {"reference": patient["reference"]},
            "active": True,
            "name": [{"text": s.name}],
            "telecom": [{"system": "sms", "value": s.phone}],
        }
        for s in agreed
    ]
    team = {
        "resourceType": "CareTeam",
        "id": "supporters",
        "status": "active",
        "name": "People the service user chose to hold a copy of their crisis plan",
        "subject": {"reference": patient["reference"]},
        "participant": [
            {"member": {"reference": f"#supporter-{s.id}", "display": s.name}} for s in agreed
        ],
    }
    return [*related, team], [{"reference": "#supporters"}]
