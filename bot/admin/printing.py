"""The print view's running header and footer: CSS paged media margin boxes (name, NHS
number, plan and version, status, when printed, page x of y) on every printed page.

Served as a stylesheet of its own, made for the version being printed: the pages' CSP
allows styles only from our own URLs, and margin boxes take their words from CSS."""

from __future__ import annotations

from starlette.responses import Response

from bot.admin import access
from bot.admin.context import Ctx
from bot.admin.render import when
from bot.admin.sections import STATUS_NAMES, plan_name
from bot.records.nhs_number import shown

_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.:()-")
_SMALL = "font-size: 9pt; color: #1b1f23;"
_LOUD = "font-size: 12pt; font-weight: 700; color: #9a3412;"


def css_string(text: str) -> str:
    """`text` as a CSS string literal; anything but letters, digits and plain punctuation
    is a hex escape, so nothing a person typed can end the string or the rule."""
    return '"' + "".join(ch if ch in _PLAIN else f"\\{ord(ch):06x}" for ch in text) + '"'


def margin_boxes(
    *, name: str, nhs_number: str | None, plan: str, status: str, printed: str, approved: bool
) -> str:
    who = f"{name}, NHS number {shown(nhs_number)}" if nhs_number else f"{name}, no NHS number"
    boxes = [
        f"@top-left {{ content: {css_string(who)}; {_SMALL} }}",
        f"@top-right {{ content: {css_string(f'{plan}: {status}')}; {_SMALL} }}",
        f"@bottom-left {{ content: {css_string(f'Printed {printed}')}; {_SMALL} }}",
        f'@bottom-right {{ content: "Page " counter(page) " of " counter(pages); {_SMALL} }}',
    ]
    if not approved:
        loud = css_string("NOT APPROVED")
        boxes += [
            f"@top-center {{ content: {loud}; {_LOUD} }}",
            f"@bottom-center {{ content: {loud}; {_LOUD} }}",
        ]
    inner = "\n  ".join(boxes)
    return f"@page {{\n  margin: 20mm 14mm;\n  {inner}\n}}\n"


def stylesheet(ctx: Ctx) -> Response:
    pid, kind, number = int(ctx.param("pid")), str(ctx.param("kind")), int(ctx.param("number"))
    with ctx.admin.db.read() as session:
        person, _plan, version = access.version(session, ctx.user, pid, kind, number)
        css = margin_boxes(
            name=person.display_name,
            nhs_number=person.nhs_number,
            plan=f"{plan_name(kind).capitalize()}, version {number}",
            status=STATUS_NAMES.get(version.status, version.status),
            printed=when(ctx.now(), ctx.user.timezone),
            approved=version.status == "approved",
        )
    return Response(
        css, media_type="text/css; charset=utf-8", headers={"Cache-Control": "no-store"}
    )
