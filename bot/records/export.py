"""The subject access export: one zip with a readable HTML summary, a JSON of everything
held about the person, and a FHIR R4 Bundle (their Patient and every plan version)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from bot import fhir, plans
from bot.admin.sections import SECTION_TITLES, STATUS_NAMES, plan_name
from bot.records.held import Held, as_json, gather
from bot.records.nhs_number import shown
from store.models import Participant, PlanVersion

SUMMARY, DATA, BUNDLE = "summary.html", "everything-held.json", "fhir-bundle.json"


def filename(participant_id: int, now: datetime) -> str:
    return f"touchpoint-participant-{participant_id}-{now:%Y%m%d}.zip"


def build(
    session: Session, participant: Participant, *, templates_dir: Path, base_url: str, now: datetime
) -> bytes:
    """The zip, built in `session` (a read is enough)."""
    held = gather(session, participant)
    data = as_json(held) | {"exported_at": now.isoformat()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(SUMMARY, summary(held, templates_dir, now))
        archive.writestr(DATA, json.dumps(data, indent=2, ensure_ascii=False))
        archive.writestr(BUNDLE, fhir.dumps(bundle(held, base_url, now)))
    return out.getvalue()


def bundle(held: Held, base_url: str, now: datetime) -> dict[str, Any]:
    """A FHIR R4 collection Bundle, validated: the Patient, then every plan version."""
    base = base_url.rstrip("/")
    person = held.participant
    entries = [
        {
            "fullUrl": f"{base}/fhir/Patient/{person.id}",
            "resource": fhir.patient(person, base_url),
        }
    ]
    kinds = {p.id: p.kind for p in held.plans}
    for version in held.versions:
        resource = fhir.care_plan(
            fhir.Export(
                participant=person,
                kind=kinds[version.plan_id],
                version=version,
                replaces=_replaces(held.versions, version),
                practitioners=held.practitioners,
                base_url=base_url,
                contained=False,
            )
        )
        entries.append({"fullUrl": f"{base}/fhir/CarePlan/{resource['id']}", "resource": resource})
    data = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": entries,
    }
    from fhir.resources.R4B.bundle import Bundle  # slow to import: see bot/fhir.py

    validated: dict[str, Any] = json.loads(Bundle.model_validate(data).model_dump_json())
    return validated


def _replaces(versions: list[PlanVersion], version: PlanVersion) -> PlanVersion | None:
    """As bot.admin.decide.previous_approved, over versions already read."""
    earlier = [
        v
        for v in versions
        if v.plan_id == version.plan_id
        and v.number < version.number
        and v.status in ("approved", "superseded")
        and v.reviewed_at is not None
    ]
    return max(earlier, key=lambda v: v.number, default=None)


def summary(held: Held, templates_dir: Path, now: datetime) -> str:
    env = Environment(
        loader=FileSystemLoader(templates_dir / "records"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda value: value.strftime("%-d %b %Y, %H:%M UTC") if value else ""
    kinds = {p.id: p.kind for p in held.plans}
    versions = [
        (plan_name(kinds[v.plan_id]), v, _sections(kinds[v.plan_id], v)) for v in held.versions
    ]
    labels = {f"practitioner:{k}": f"{v} (practitioner)" for k, v in held.practitioners.items()}
    labels["participant"] = f"{held.participant.display_name} (service user)"
    return env.get_template("summary.html").render(
        held=held,
        person=held.participant,
        nhs_number=shown(held.participant.nhs_number),
        versions=versions,
        labels=labels,
        status_names=STATUS_NAMES,
        now=now,
        files=(SUMMARY, DATA, BUNDLE),
    )


def _sections(kind: str, version: PlanVersion) -> list[tuple[str, list[dict[str, Any]]]]:
    known = plans.SECTIONS.get(kind, ())
    order = [*known, *sorted(k for k in version.sections if k not in known)]
    return [(SECTION_TITLES.get(k, k), version.sections.get(k) or []) for k in order]
