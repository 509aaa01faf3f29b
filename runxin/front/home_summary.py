"""What the home page shows each role at a glance, read through the other apps' scoped selectors."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone

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


def screenings_waiting(user) -> int:
    """How many open questionnaires a student has not handed in yet (the home card says so, not just "open")."""
    return sum(1 for target in screening_selectors.student_open_targets(user) if target.finished_at is None)


def my_last_help_request(user):
    return alert_selectors.my_last_help_request(user)


def accounts_needing_attention(user) -> dict[str, int]:
    """The staff accounts in this manager's reach that are locked out or still on a temporary password."""
    from runxin.accounts import selectors as account_selectors

    return {status: account_selectors.staff_search(user, status=status).count() for status in ("locked", "must_change")}


def open_campaigns(user) -> list:
    return screening_selectors.campaign_list(user, status="open")[:5]


@dataclass
class CaseWork:
    """The case work waiting for this person, beside the warnings: each list is short and overdue first."""

    actions: list  # my open plan actions (cases.PlanAction)
    reviews: list  # plans I review or lead, due within three days
    consultations: list  # consultations waiting for an expert opinion
    referrals_waiting: int  # referrals to my unit waiting for an answer
    mentees_overdue: list  # my paired students whose contact is overdue (cases.mentoring.MenteeRow)
    visits: list  # home visits I planned, overdue first
    today: date | None = None  # the day the lists were read (a review date before it is overdue)

    @property
    def empty(self) -> bool:
        return not (self.actions or self.reviews or self.consultations or self.referrals_waiting
                    or self.mentees_overdue or self.visits)

    def students(self) -> list[int]:
        """The students named, for the read audit."""
        ids = [a.plan.student_id for a in self.actions] + [p.student_id for p in self.reviews]
        ids += [c.student_id for c in self.consultations] + [m.student.pk for m in self.mentees_overdue]
        return ids + [v.student_id for v in self.visits]


def case_work(user) -> CaseWork:
    from runxin.access import roles, scope
    from runxin.cases import mentoring, plan_selectors
    from runxin.counseling import selectors as counseling_selectors
    from runxin.counseling.models import Consultation
    from runxin.referrals import selectors as referral_selectors
    from runxin.referrals.models import Referral
    from runxin.visits import selectors as visit_selectors

    has = {perm: scope.has_permission(user, perm) for perm in (
        roles.CASE_FILE, roles.CASE_PLAN, roles.CONSULT_ANSWER, roles.REFERRAL_RECEIVE, roles.MENTOR_CONTACT,
        roles.VISIT_RECORD)}
    consultations = []
    if has[roles.CONSULT_ANSWER]:
        consultations = list(counseling_selectors.consultations_visible(user)
                             .filter(status=Consultation.Status.REQUESTED)
                             .select_related("student", "school").order_by("requested_at")[:10])
    return CaseWork(
        actions=plan_selectors.my_actions(user, limit=10) if has[roles.CASE_FILE] else [],
        reviews=plan_selectors.plans_due_for_review(user, limit=10) if has[roles.CASE_PLAN] else [],
        consultations=consultations,
        referrals_waiting=referral_selectors.received(user).filter(status=Referral.Status.SENT).count()
        if has[roles.REFERRAL_RECEIVE] else 0,
        mentees_overdue=[row for row in mentoring.my_mentees(user) if row.overdue][:10]
        if has[roles.MENTOR_CONTACT] else [],
        visits=visit_selectors.mine(user, limit=10) if has[roles.VISIT_RECORD] else [],
        today=timezone.localdate(),
    )
