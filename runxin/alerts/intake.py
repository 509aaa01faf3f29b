"""Reports from people (预警来源: a teacher's observation, the hotline, outside notices, a classmate, a parent,
the student themself) and their triage: where each enters the warning network. The warning itself is then
raised or joined by services._report, the one writer of warnings.

Triage (triage.py) sets a floor: "happening now" or one of the city's risk phrases (不想活, 想死 …) in the
text enters at the most severe level at once; a statement of suicidal intent never enters at the lowest.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from runxin.access import roles, scope
from runxin.people.models import Student

from . import triage
from .models import RiskPhrase, Warning, WarningLevel
from .services import WarningError, _clean_text, _report, active_levels, entry_level

Source = Warning.Source

# Which roles may enter which sources (the self-service ones have their own functions below).
STAFF_SOURCES: dict[str, set[str]] = {
    "head_teacher": {Source.OBSERVATION, Source.PARENT},
    "grade_leader": {Source.OBSERVATION, Source.PARENT},
    "mentor": {Source.OBSERVATION, Source.PARENT},
    "psych_teacher": {Source.OBSERVATION, Source.PARENT, Source.SELF, Source.HOSPITAL, Source.PEER},
    "school_leader": {Source.OBSERVATION, Source.PARENT},
    "hotline_operator": {Source.HOTLINE},
    # District staff enter notices from outside bodies (公安局、法院、检察院、社区) and hospitals.
    "centre_staff": {Source.HOTLINE, Source.HOSPITAL, Source.POLICE, Source.COURT, Source.PROCURATORATE,
                     Source.COMMUNITY, Source.OBSERVATION},
}
# Reports from outside bodies name who sent them.
OUTSIDE_SOURCES = {Source.HOSPITAL, Source.POLICE, Source.COURT, Source.PROCURATORATE, Source.COMMUNITY}


def level_for_rank(rank: str) -> WarningLevel:
    """The active level of a triage rank: the most severe, the second most severe, or the entry level."""
    levels = active_levels()
    if not levels:
        return entry_level()  # raises the "no level is active" message
    if rank == triage.HIGHEST:
        return levels[0]
    if rank == triage.SECOND:
        return levels[1] if len(levels) > 1 else levels[0]
    return levels[-1]


def risk_phrases() -> list[str]:
    return list(RiskPhrase.objects.filter(is_active=True).values_list("phrase", flat=True))


def triage_report(*, urgency: str, text: str, chosen: WarningLevel | None = None,
                  default: str = triage.CONCERN) -> tuple[WarningLevel, triage.Triage]:
    """The level a human report enters at: what the reporter said about urgency and the risk phrases in the
    text decide a floor; a level chosen by staff counts when it is higher. Never lower than the floor."""
    outcome = triage.triage(urgency=urgency, text=text, phrases=risk_phrases(), default=default)
    level = level_for_rank(outcome.rank)
    if chosen is not None and chosen.severity > level.severity:
        level = chosen
    return level, outcome


def sources_for(user) -> list[str]:
    """The sources this user may enter on the report form."""
    allowed: set[str] = set()
    for code in scope.role_codes(user):
        allowed |= STAFF_SOURCES.get(code, set())
    return [s for s in Source.values if s in allowed]


def warning_report(*, actor, student: Student, source: str, summary: str, level: WarningLevel | None = None,
                   reporter_name: str = "", urgency: str = "") -> Warning:
    """A staff member reports a concern: a head teacher's observation, a hotline call, a hospital's or police,
    court, prosecutors' or community notice entered by district staff. Returns the (new or joined) warning.

    Triage sets a floor: "happening now" or a risk phrase in the text enters at the highest level whatever
    level was chosen; a chosen level above the floor is kept."""
    if not scope.has_permission(actor, roles.ALERT_RAISE):
        raise PermissionDenied(roles.ALERT_RAISE)
    if not scope.students(actor, roles.ALERT_RAISE).filter(pk=student.pk).exists():
        raise PermissionDenied("student out of scope")
    if source not in sources_for(actor):
        raise WarningError(_("You cannot enter a report of this kind. Choose one of the sources offered."))
    summary = _clean_text(summary, required=True, what=_("Describe what was observed or reported."))
    reporter_name = (reporter_name or "").strip()
    if source in OUTSIDE_SOURCES and not reporter_name:
        raise WarningError(_("Name the hospital, police station, court, procuratorate or community that sent it."))
    if len(reporter_name) > 100:
        raise WarningError(_("The sender's name is too long (at most 100 characters)."))
    if level is not None and not level.is_active:
        raise WarningError(_("This level is no longer in use. Choose another."))
    level, outcome = triage_report(urgency=urgency, text=summary, chosen=level)
    return _report(student=student, source=source, level=level, reported_by=actor, summary=summary,
                   reporter_name=reporter_name, urgency=urgency, risk_phrases=outcome.phrases)


def peer_report(*, actor, classmate_name: str, summary: str, urgency: str = "") -> triage.Triage:
    """A class psych committee member (班级心理委员) reports a classmate. The reporter only learns that the
    report arrived, and whether it was urgent (to be told what to do now): they see no warning afterwards."""
    grants = [g for g in scope.grants(actor) if roles.PEER_REPORT in g.permissions and g.unit_kind == "class"]
    if not grants:
        raise PermissionDenied(roles.PEER_REPORT)
    name = (classmate_name or "").strip()
    if not name:
        raise WarningError(_("Write your classmate's name."))
    summary = _clean_text(summary, required=True, what=_("Write what you noticed."))
    # A narrow lookup inside the reporter's own class; its result never reaches the reporter.
    matches = list(Student.objects.filter(school_class_id__in=[g.unit_id for g in grants], name=name,
                                          status=Student.Status.ENROLLED)[:2])
    if not matches:
        raise WarningError(_("Nobody in your class has this name. Write the full name as on the class list."))
    if len(matches) > 1:
        raise WarningError(_("Two classmates share this name. Please tell your head teacher in person."))
    level, outcome = triage_report(urgency=urgency, text=summary)
    _report(student=matches[0], source=Source.PEER, level=level, reported_by=actor, summary=summary,
            urgency=urgency, risk_phrases=outcome.phrases)
    return outcome


def parent_report(*, actor, student_id: int, summary: str, urgency: str = "") -> triage.Triage:
    """A parent reports a concern about their own child. "孩子昨晚说不想活了" enters at the highest level at
    once; the outcome tells the page what to advise the parent now."""
    children = {g.student_id for g in scope.grants(actor) if roles.ALERT_PARENT_REPORT in g.permissions}
    if student_id not in children:
        raise PermissionDenied(roles.ALERT_PARENT_REPORT)
    summary = _clean_text(summary, required=True, what=_("Describe what worries you."))
    student = Student.objects.get(pk=student_id)
    level, outcome = triage_report(urgency=urgency, text=summary)
    _report(student=student, source=Source.PARENT, level=level, reported_by=actor, summary=summary,
            urgency=urgency, risk_phrases=outcome.phrases)
    return outcome


def self_help_request(*, actor, message: str = "", urgency: str = "") -> triage.Triage:
    """A student's own "I need help" (求助). The message is optional: asking is enough. A student who does
    not say how urgent it is counts as "today" (the second level), never as a plain concern."""
    own = [g.student_id for g in scope.grants(actor) if roles.ALERT_SELF_HELP in g.permissions and g.student_id]
    if not own:
        raise PermissionDenied(roles.ALERT_SELF_HELP)
    message = _clean_text(message, required=False, what="")
    student = Student.objects.get(pk=own[0])
    level, outcome = triage_report(urgency=urgency, text=message, default=triage.TODAY)
    _report(student=student, source=Source.SELF, level=level, reported_by=actor,
            summary=message or _("The student asked for help."), urgency=urgency or triage.TODAY,
            risk_phrases=outcome.phrases)
    return outcome


@transaction.atomic
def risk_phrases_save(*, actor, phrases: list[str]) -> int:
    """Replace the city's list of risk phrases (validated by RiskPhrasesForm). Phrases taken off the list are
    kept inactive, so the reports that matched them still say what they matched. Returns the active count."""
    if not scope.has_permission(actor, roles.ALERT_LEVELS):
        raise PermissionDenied(roles.ALERT_LEVELS)
    wanted = list(dict.fromkeys(p.strip() for p in phrases if p.strip()))
    if not wanted:
        raise WarningError(_("Keep at least one phrase."))
    RiskPhrase.objects.exclude(phrase__in=wanted).update(is_active=False)
    RiskPhrase.objects.filter(phrase__in=wanted).update(is_active=True)
    existing = set(RiskPhrase.objects.filter(phrase__in=wanted).values_list("phrase", flat=True))
    RiskPhrase.objects.bulk_create([RiskPhrase(phrase=p) for p in wanted if p not in existing])
    return len(wanted)
