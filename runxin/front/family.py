"""What a parent's home shows (家长首页), read for the parent: their children as the scoping layer gives them, and
for each child the screenings waiting for the guardian's answer, the questionnaires the parent fills in about the
child, the head teacher's contact, and the status of
the concerns the parent reported. Plain reads over the owning apps' selectors."""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from runxin.access import roles, scope
from runxin.alerts.selectors import ReportStatus, reports_status_of
from runxin.people.models import RoleAssignment, Student
from runxin.screening.guardians import ConsentTask, consent_tasks
from runxin.screening.models import CampaignTarget
from runxin.screening.selectors import parent_open_targets


@dataclass
class Contact:
    name: str
    phone: str


@dataclass
class Child:
    student: Student
    consents: list[ConsentTask] = field(default_factory=list)
    head_teachers: list[Contact] = field(default_factory=list)
    reports: list[ReportStatus] = field(default_factory=list)
    questionnaires: list[CampaignTarget] = field(default_factory=list)  # the ones parents answer about the child

    @property
    def open_consents(self) -> list[ConsentTask]:
        return [task for task in self.consents if not task.done]


def _head_teachers(class_ids) -> dict[int, list[Contact]]:
    today = timezone.localdate()
    rows = (RoleAssignment.objects.filter(role="head_teacher", org_unit_id__in=list(class_ids), is_active=True,
                                          user__is_active=True)
            .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today))
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
            .values_list("org_unit_id", "user__display_name", "user__username", "user__phone").order_by("id"))
    found: dict[int, list[Contact]] = {}
    for class_id, display_name, username, phone in rows:
        found.setdefault(class_id, []).append(Contact(display_name or username, phone))
    return found


def children_with_tasks(user) -> list[Child]:
    students = list(scope.students(user, roles.PARENT_HOME).select_related("school_class", "school").order_by("name"))
    children = {s.pk: Child(s) for s in students}
    if not children:
        return []
    for task in consent_tasks(children):
        children[task.student_id].consents.append(task)
    heads = _head_teachers({s.school_class_id for s in students if s.school_class_id})
    for child in children.values():
        child.head_teachers = heads.get(child.student.school_class_id, [])
    for target in parent_open_targets(user):
        if target.student_id in children:
            children[target.student_id].questionnaires.append(target)
    for report in reports_status_of(user, children):
        children[report.student_id].reports.append(report)
    return list(children.values())
