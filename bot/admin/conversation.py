"""A person's whole conversation, newest page first, searchable by a word or phrase."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.responses import Response

from bot.admin import access
from bot.admin.context import Ctx
from store.models import Message

PAGE = 50
LATEST = 5  # what the participant page shows of it
MAX_SEARCH = 100


def _like(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def show(ctx: Ctx) -> Response:
    pid = int(ctx.param("pid"))
    words = " ".join(ctx.query("q").split())[:MAX_SEARCH]
    page = max(1, int(ctx.query("page", "1")) if ctx.query("page", "1").isdigit() else 1)
    where = [Message.participant_id == pid]
    if words:
        where.append(Message.body.ilike(_like(words), escape="\\"))
    with ctx.admin.db.read() as session:
        person = access.participant(session, ctx.user, pid)
        total = session.scalar(select(func.count()).select_from(Message).where(*where)) or 0
        pages = max(1, -(-total // PAGE))
        page = min(page, pages)
        rows = session.scalars(
            select(Message)
            .where(*where)
            .order_by(Message.id.desc())
            .offset((page - 1) * PAGE)
            .limit(PAGE)
        ).all()
        # What was searched for stays out of the audit log: it may be words of theirs.
        ctx.record_view("participant.conversation_view", "participant", pid, page=page)
        return ctx.render(
            "conversation.html",
            title=f"Conversation: {person.display_name}",
            person=person,
            messages=list(reversed(rows)),
            total=total,
            words=words,
            page=page,
            pages=pages,
            pager_link=lambda n: ctx.path(f"/participants/{pid}/conversation", q=words, page=n),
            retain_days=ctx.admin.settings.retain_messages_days,
        )
