"""The team's report on the touchpoints after appointments: per week, how many were
answered, the share of agenda items people got to talk about, and how listened to they
felt (0-10). No names and no words: counts only. CSV cells are escaped so that a
spreadsheet never runs one as a formula."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import mean, median

from sqlalchemy.orm import Session

from bot.coproduction import followups

WEEKS = 12
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Week:
    starts: date
    answered: int
    topics: int
    talked: int
    listened: tuple[int, ...]

    @property
    def talked_share(self) -> float | None:
        return self.talked / self.topics if self.topics else None

    @property
    def listened_mean(self) -> float | None:
        return round(float(mean(self.listened)), 1) if self.listened else None

    @property
    def listened_median(self) -> float | None:
        return float(median(self.listened)) if self.listened else None


def weeks(session: Session, team_id: int, now: datetime, count: int = WEEKS) -> list[Week]:
    today = now.date()
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=count - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    buckets: dict[date, list[followups.FollowUp]] = {
        first + timedelta(weeks=i): [] for i in range(count)
    }
    for _pid, f in followups.of_team(session, team_id, since):
        day = f.at.date()
        start = day - timedelta(days=day.weekday())
        if start in buckets:
            buckets[start].append(f)
    out = []
    for start, found in buckets.items():
        asked = [t for f in found for t in f.topics if t[1] is not None]
        out.append(
            Week(
                starts=start,
                answered=sum(1 for f in found if f.listened is not None or f.topics or f.to_add),
                topics=len(asked),
                talked=sum(1 for _t, v in asked if v),
                listened=tuple(f.listened for f in found if f.listened is not None),
            )
        )
    return out


def cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def to_csv(team_name: str, rows: list[Week]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "team",
            "week starting",
            "touchpoints answered",
            "agenda items asked about",
            "agenda items talked about",
            "share talked about",
            "listened to: answers",
            "listened to: mean (0-10)",
            "listened to: median (0-10)",
        ]
    )
    for w in rows:
        share = f"{w.talked_share:.2f}" if w.talked_share is not None else ""
        writer.writerow(
            [
                cell(v)
                for v in (
                    team_name,
                    w.starts.isoformat(),
                    w.answered,
                    w.topics,
                    w.talked,
                    share,
                    len(w.listened),
                    w.listened_mean,
                    w.listened_median,
                )
            ]
        )
    return out.getvalue()
