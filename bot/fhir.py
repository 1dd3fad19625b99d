"""A plan version as an HL7 FHIR R4 CarePlan (validated with fhir.resources' R4B models,
whose CarePlan is R4's), so it can go into an electronic patient record.

Each item is an activity with the words exactly as written; who wrote it is the
activity's progress note, authored by the Patient or the Practitioner. The Patient (NHS
number and local id) is contained in a CarePlan downloaded on its own, and an entry of
the Bundle beside the CarePlans in a subject access export (bot/records/export.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import plans
from bot.admin.sections import SECTION_TITLES, plan_name
from bot.records.nhs_number import FHIR_SYSTEM as NHS_NUMBER_SYSTEM
from bot.supporters.records import fhir_care_team
from store.models import Participant, PlanVersion, Supporter

FHIR_JSON = "application/fhir+json"
STATUS = {
    "draft": "draft",
    "submitted": "draft",
    "changes_requested": "draft",
    "approved": "active",
    "superseded": "revoked",
}
CATEGORY = {
    "crisis": ("Crisis plan", "736366004", "Mental health crisis plan"),
    "care": ("Care plan", "718347000", "Mental health care plan"),
}


@dataclass(frozen=True)
class Export:
    participant: Participant
    kind: str
    version: PlanVersion
    replaces: PlanVersion | None
    practitioners: dict[int, str]  # id -> name, for everyone who wrote or reviewed
    base_url: str
    # True: the Patient goes inside the CarePlan; False: it is a Bundle entry beside it.
    contained: bool = True
    supporters: tuple[Supporter, ...] = ()  # listed as its care team (RelatedPerson)


CONTAINED_PATIENT = "patient"


def patient(participant: Participant, base_url: str, *, contained: bool = False) -> dict[str, Any]:
    """The person as a FHIR Patient: NHS number (when known) and our own id."""
    identifiers = []
    if participant.nhs_number:
        identifiers.append({"system": NHS_NUMBER_SYSTEM, "value": participant.nhs_number})
    identifiers.append(
        {"system": f"{base_url.rstrip('/')}/fhir/Patient", "value": str(participant.id)}
    )
    return {
        "resourceType": "Patient",
        "id": CONTAINED_PATIENT if contained else str(participant.id),
        "identifier": identifiers,
        "active": participant.status != "discharged",
        "name": [{"use": "usual", "text": participant.display_name}],
    }


def resource_id(plan_id: int, number: int) -> str:
    return f"touchpoint-plan-{plan_id}-v{number}"


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _author(by: str, export: Export) -> dict[str, str]:
    if by.startswith("practitioner:") and by[13:].isdigit():
        pid = int(by[13:])
        return {
            "reference": f"Practitioner/{pid}",
            "display": export.practitioners.get(pid, f"Practitioner {pid}"),
        }
    return _patient(export)


def _patient(export: Export) -> dict[str, str]:
    person = export.participant
    reference = f"#{CONTAINED_PATIENT}" if export.contained else f"Patient/{person.id}"
    return {"reference": reference, "display": person.display_name}


def _activity(section: str, entry: dict[str, Any], export: Export) -> dict[str, Any]:
    description = str(entry.get("text", ""))
    if entry.get("phone"):
        description = f"{description} (phone {entry['phone']})"
    steps = [str(s.get("text", "")) for s in entry.get("steps") or []]
    progress = [
        {
            "authorReference": _author(str(entry.get("by", "participant")), export),
            "text": "Written by the service user in their own words"
            if str(entry.get("by", "participant")) == "participant"
            else "Written by a practitioner",
        }
    ]
    progress += [
        {
            "authorReference": _author(str(s.get("by", "participant")), export),
            "text": f"Step: {text}",
        }
        for s, text in zip(entry.get("steps") or [], steps, strict=True)
    ]
    return {
        "detail": {
            "code": {"text": SECTION_TITLES.get(section, section)},
            "status": "in-progress" if export.version.status == "approved" else "not-started",
            "description": description,
        },
        "progress": progress,
    }


def care_plan(export: Export) -> dict[str, Any]:
    version = export.version
    contributors = {"participant"}
    activities = []
    # In the plan's own order: PostgreSQL's JSONB does not keep the order keys were written.
    known = plans.SECTIONS.get(export.kind, ())
    order = [*known, *sorted(k for k in version.sections if k not in known)]
    for section in order:
        for entry in version.sections.get(section) or []:
            activities.append(_activity(section, entry, export))
            contributors.add(str(entry.get("by", "participant")))
            contributors.update(str(s.get("by", "participant")) for s in entry.get("steps") or [])
    if version.reviewed_by is not None:
        contributors.add(f"practitioner:{version.reviewed_by}")
    label, code, display = CATEGORY[export.kind]
    data: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": resource_id(version.plan_id, version.number),
        "contained": [patient(export.participant, export.base_url, contained=True)]
        if export.contained
        else None,
        "identifier": [
            {
                "system": f"{export.base_url.rstrip('/')}/fhir/CarePlan",
                "value": resource_id(version.plan_id, version.number),
            }
        ],
        "status": STATUS.get(version.status, "unknown"),
        "intent": "plan",
        "category": [
            {
                "coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}],
                "text": label,
            }
        ],
        "title": f"{export.participant.display_name}'s {plan_name(export.kind)}",
        "subject": _patient(export),
        "period": {
            "start": _time(version.reviewed_at or version.submitted_at or version.created_at)
        },
        "created": _time(version.created_at),
        "author": _author(f"practitioner:{version.reviewed_by}", export)
        if version.reviewed_by is not None
        else _patient(export),
        "contributor": [_author(by, export) for by in sorted(contributors)],
        "activity": activities,
        "note": [
            {
                "authorReference": _patient(export),
                "text": "Co-produced: each activity is in the words of the person who wrote "
                "it, named in its progress note.",
            }
        ],
    }
    if version.review_note:
        reviewer = _author(f"practitioner:{version.reviewed_by}", export)
        data["note"].append(
            {
                "authorReference": reviewer,
                "time": _time(version.reviewed_at),
                "text": f"Review note: {version.review_note}",
            }
        )
    if export.replaces is not None:
        data["replaces"] = [
            {
                "reference": "CarePlan/"
                + resource_id(export.replaces.plan_id, export.replaces.number)
            }
        ]
    contained, care_team = fhir_care_team(list(export.supporters), _patient(export))
    if contained:
        data["contained"], data["careTeam"] = contained, care_team
    # Imported here, not at the top: fhir.resources' pydantic models take ~9 MiB and
    # ~130 ms to build, and an export is rare; every web process would carry them.
    from fhir.resources.R4B.careplan import CarePlan

    validated = CarePlan.model_validate(_drop_none(data))
    out: dict[str, Any] = json.loads(validated.model_dump_json())
    return out


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def dumps(resource: dict[str, Any]) -> str:
    return json.dumps(resource, indent=2, ensure_ascii=False)
