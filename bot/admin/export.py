"""A plan version as a FHIR R4 CarePlan, to download into an electronic patient record."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response

from bot import fhir
from bot.admin import access, decide
from bot.admin.context import Ctx
from bot.records import held
from bot.supporters import people
from store.models import Practitioner


def care_plan(ctx: Ctx) -> Response:
    pid, kind, number = int(ctx.param("pid")), str(ctx.param("kind")), int(ctx.param("number"))
    # Built and validated in a read: validation (and, the first time, loading the FHIR
    # models) is slow, and nothing should wait on the write lock meanwhile. The export is
    # only sent once its audit entry is written.
    with ctx.admin.db.read() as session:
        person, _plan, version = access.version(session, ctx.user, pid, kind, number)
        ids = held.authors(version)
        if version.reviewed_by:
            ids.add(version.reviewed_by)
        names = dict(
            session.execute(
                select(Practitioner.id, Practitioner.name).where(Practitioner.id.in_(ids))
            ).all()
        )
        resource = fhir.care_plan(
            fhir.Export(
                participant=person,
                kind=kind,
                version=version,
                replaces=decide.previous_approved(session, version),
                practitioners=names,
                base_url=ctx.admin.settings.public_url,
                supporters=tuple(people.of(session, pid)) if kind == "crisis" else (),
            )
        )
        version_id, person_id = version.id, person.id
    with ctx.admin.db.write() as session:
        ctx.audit(
            session,
            "plan.export",
            "plan_version",
            version_id,
            participant=person_id,
            kind=kind,
            number=number,
            format="fhir-r4",
        )
    filename = f"careplan-{resource['id']}.json"
    return Response(
        fhir.dumps(resource),
        media_type=fhir.FHIR_JSON,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
