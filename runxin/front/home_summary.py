"""What the home page shows each role at a glance, read through the other apps' scoped selectors."""

from dataclasses import dataclass

from django.db.models import Count, Q

from runxin.alerts import clock, states
from runxin.alerts import selectors as alert_selectors
from runxin.screening import selectors as screening_selectors


@dataclass
class LevelCount:
    code: str
    name: str
    colour: str
    open: int
    overdue: int
    waiting_ack: int


def warnings_by_level(user) -> list[LevelCount]:
    """Open warnings the user may see, per level, with the overdue and unacknowledged ones: one query."""
    now = clock.now()
    rows = (
        alert_selectors.warnings_visible(user)
        .filter(state__in=states.OPEN)
        .values("level__code", "level__name_zh", "level__name_en", "level__colour", "level__severity")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lte=now)),
                  waiting_ack=Count("id", filter=Q(ack_pending=True)))
        .order_by("-level__severity")
    )
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    return [
        LevelCount(code=row["level__code"], name=row["level__name_en"] if english else row["level__name_zh"],
                   colour=row["level__colour"], open=row["open"], overdue=row["overdue"],
                   waiting_ack=row["waiting_ack"])
        for row in rows
    ]


def my_work(user) -> alert_selectors.MyWork:
    return alert_selectors.my_work(user)


def work_students(work) -> list[tuple[int, int]]:
    return alert_selectors.work_students(work)


def open_campaigns(user) -> list:
    return screening_selectors.campaign_list(user, status="open")[:5]
