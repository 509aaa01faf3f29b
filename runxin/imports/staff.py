"""The staff import: 姓名, 工号/用户名, 手机, 角色, 任职单位 → user accounts and role assignments.

New accounts get a generated initial password (handed out once) and must change it at first sign-in.
Existing accounts keep their name, phone and password; the import only adds the role assignment.
A user may hand out a role only if they may manage staff at the school or already hold every permission
of that role there: a psychology teacher can add head teachers and mentors, not school leaders.
"""

import secrets
import string
import time
import unicodedata
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from runxin.access import roles, scope
from runxin.org import services as org_services
from runxin.org.models import OrgUnit
from runxin.people.models import RoleAssignment

from . import problems as problem_files
from .columns import STAFF, locate_header
from .reading import RowSource
from .roster import ALL, Progress, Report
from .validation import Problem, StaffRecord, StaffRowValidator, is_blank
from .values import gettext_noop

# Roles held for a student (a student, a parent, a class psych committee member) are not staff roles.
_NOT_STAFF = {"student", "parent", "psych_committee"}
_ALIASES = {
    "心理老师": "psych_teacher", "心理教师": "psych_teacher", "专职心理教师": "psych_teacher",
    "兼职心理教师": "psych_teacher", "专兼职心理教师": "psych_teacher", "班主任": "head_teacher",
    "校长": "school_leader", "副校长": "school_leader", "分管校长": "school_leader", "德育主任": "school_leader",
    "导师": "mentor", "知心导师": "mentor", "督导": "supervisor",
}


def role_names() -> dict[str, str]:
    """Every way a file may name a staff role → its code: the code, the English and Chinese labels."""
    names: dict[str, str] = {}
    for code, role in roles.ROLES.items():
        if code in _NOT_STAFF:
            continue
        label = unicodedata.normalize("NFKC", str(role.label)).replace(" ", "")
        names[code.lower()] = code
        names[label.lower()] = code
        if "(" in label:
            english, chinese = label.split("(", 1)
            names[english.lower()] = code
            for part in chinese.rstrip(")").split("/"):
                names[part.lower()] = code
    names.update(_ALIASES)
    return names


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{core[:5]}-{core[5:]}{secrets.choice(string.digits)}{secrets.choice(string.ascii_uppercase)}"


def _unit_for(record: StaffRecord, school: OrgUnit, year) -> OrgUnit:
    if len(record.unit) == 2:
        return org_services.class_get_or_create(school=school, school_year=year, level=record.unit[0],
                                                number=record.unit[1])
    if len(record.unit) == 1:
        return org_services.grade_get_or_create(school=school, school_year=year, level=record.unit[0])
    return school


def _may_assign(user, school: OrgUnit, role_code: str) -> bool:
    if user is None or scope.unit_permission(user, school, roles.STAFF_MANAGE):
        return True
    held: set[str] = set()
    for grant in scope.grants(user):
        if grant.unit_path and school.path.startswith(grant.unit_path):
            held |= grant.permissions
    return roles.ROLES[role_code].permissions <= held


def import_staff(*, path: Path, school: OrgUnit, user, mode: str, dry_run: bool, problems_path: Path,
                 progress: Progress | None = None) -> Report:
    started = time.monotonic()
    progress = progress or (lambda phase, share, rows: None)
    source = RowSource(path)
    rows = iter(source)
    header = locate_header(rows, kind=STAFF)
    validator = StaffRowValidator(header, role_names=role_names(), school_name=school.name)
    report = Report(header_line=header.line, columns={
        "fields": {name: header.label(index) for name, index in header.fields.items()},
        "guardians": [], "groups": [], "ignored": [h for h in header.ignored if h][:60]})
    found: list[Problem] = []
    records: list[StaffRecord] = []
    progress("reading", 0.0, 0)
    for line, cells in rows:
        if is_blank(cells):
            continue
        report.rows_read += 1
        record, problems = validator.validate(line, cells)
        if record is not None:
            unit_kind = "class" if len(record.unit) == 2 else "grade" if len(record.unit) == 1 else "school"
            if unit_kind not in roles.ROLE_UNIT_KINDS.get(record.role, set()):
                problems.append(Problem(line, header.field_label("unit"),
                                        gettext_noop("the role %(role)s is not held at a %(kind)s"),
                                        {"role": record.role, "kind": unit_kind}))
            elif not _may_assign(user, school, record.role):
                problems.append(Problem(line, header.field_label("role"),
                                        gettext_noop("you may not hand out the role %(role)s"), {"role": record.role}))
        if problems:
            found.extend(problems)
            report.rejected += 1
            continue
        records.append(record)
        if len(report.sample) < 10:
            report.sample.append({"line": line, "name": record.name, "username": record.username,
                                  "role": roles.role_label(record.role), "unit": list(record.unit)})
    spill = problem_files.ProblemSpill(problems_path)
    spill.extend(found)
    spill.close()
    report.problem_count, report.problems = len(found), found[:200]
    progress("writing", 1.0, report.rows_read)
    if mode == ALL and report.rejected:
        report.refused = True
        report.seconds = time.monotonic() - started
        return report

    User = get_user_model()
    with transaction.atomic():
        year = org_services.current_year()
        existing = {u.username.lower(): u for u in User.objects.filter(
            username__in=[r.username for r in records])}
        passwords = []
        created_now: set[str] = set()
        for record in records:
            account = existing.get(record.username)
            if account is None:
                password = _password()
                account = User(username=record.username, display_name=record.name, phone=record.phone,
                               must_change_password=True, password_changed_at=None)
                account.set_password(password)
                account.save()
                existing[record.username] = account
                created_now.add(record.username)
                passwords.append({"line": record.line, "username": record.username, "name": record.name,
                                  "password": password})
                report.created += 1
            unit = _unit_for(record, school, year)
            _assignment, made = RoleAssignment.objects.get_or_create(
                user=account, role=record.role, org_unit=unit, student=None,
                defaults={"starts_on": timezone.localdate()})
            if made and record.username not in created_now:
                report.updated += 1
            elif not made:
                report.unchanged += 1
        if dry_run:
            transaction.set_rollback(True)
        else:
            report.written = True
            report.secrets = passwords
    report.seconds = time.monotonic() - started
    return report
