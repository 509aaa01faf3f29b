"""The staff import: 姓名, 工号/用户名, 手机, 角色, 任职单位 → user accounts and role assignments.

New accounts get a generated initial password (handed out once) and must change it at first sign-in.
Existing accounts keep their name, phone and password; the import only adds the role assignment.
Every row is one grant under the rules of accounts/grants.py, the same function the staff pages use: nobody
grants themselves a role, administrators hold their role alone, a student's or parent's account gets no staff
role, the importer must administer the role at the school (a psychology teacher adds head teachers and mentors
only), and a clinical role imported by a school leader waits for the level above's approval. A refused row is a
problem of that row ("you may not grant the role X: why"); the other rows are imported.
"""

import secrets
import string
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower

from runxin.access import roles
from runxin.accounts import grants
from runxin.accounts.staff import STUDENT_SIDE_ROLES
from runxin.org import services as org_services
from runxin.org.models import OrgUnit
from runxin.people.models import Guardian, RoleAssignment

from . import problems as problem_files
from .columns import STAFF, locate_header
from .reading import RowSource
from .roster import ALL, Progress, Report
from .validation import Problem, StaffRecord, StaffRowValidator, is_blank
from .values import gettext_noop

# Roles held for a student (a student, a parent, a class psych committee member) are not staff roles.
_NOT_STAFF = roles.STUDENT_SIDE_ROLES
_ALIASES = {
    "心理老师": "psych_teacher", "心理教师": "psych_teacher", "专职心理教师": "psych_teacher",
    "兼职心理教师": "psych_teacher", "专兼职心理教师": "psych_teacher", "班主任": "head_teacher",
    "校长": "school_leader", "副校长": "school_leader", "分管校长": "school_leader", "德育主任": "school_leader",
    "导师": "mentor", "知心导师": "mentor", "督导": "supervisor", "年级主任": "grade_leader", "级部主任": "grade_leader",
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


def _unit_kind(record: StaffRecord) -> str:
    return "class" if len(record.unit) == 2 else "grade" if len(record.unit) == 1 else "school"


def _accounts(usernames: set[str]) -> dict[str, object]:
    User = get_user_model()
    return {u.username.lower(): u for u in User.objects.annotate(lower=Lower("username")).filter(lower__in=usernames)}


def _rule_rows(records: list[StaffRecord], user, school: OrgUnit, role_column: str,
               ) -> tuple[list[tuple[StaffRecord, bool]], list[Problem]]:
    """Apply accounts.grants.rule to each row, in file order, counting what earlier rows grant (a file cannot
    give an administrator a second role in two rows). Returns the accepted rows (with whether the role will
    wait for approval) and a problem for each refused row."""
    accounts = _accounts({r.username.lower() for r in records})
    ids = [a.pk for a in accounts.values()]
    held: dict[int, set[str]] = defaultdict(set)
    for user_id, role in RoleAssignment.objects.filter(user_id__in=ids, is_active=True).values_list("user_id", "role"):
        held[user_id].add(role)
    student_side = set(RoleAssignment.objects.filter(user_id__in=ids, role__in=STUDENT_SIDE_ROLES)
                       .values_list("user_id", flat=True))
    student_side |= set(Guardian.objects.filter(user_id__in=ids).values_list("user_id", flat=True))
    planned: dict[str, set[str]] = defaultdict(set)
    accepted: list[tuple[StaffRecord, bool]] = []
    problems: list[Problem] = []
    for record in records:
        account = accounts.get(record.username.lower())
        kind = _unit_kind(record)
        # A grade or class the import may yet create lies under the school: its path starts with the school's.
        unit = school if kind == "school" else grants.UnitRef(kind, f"{school.path}{kind}/")
        ruling = grants.rule(
            actor=user, target=account, role=record.role, unit=unit,
            held=(held[account.pk] if account is not None else set()) | planned[record.username],
            student_side=account is not None and account.pk in student_side,
            target_is_actor=account is not None and user is not None and account.pk == user.pk)
        if ruling.refusal:
            problems.append(Problem(record.line, role_column, grants.MESSAGES[ruling.refusal], {"role": record.role}))
            continue
        if not ruling.pending:
            planned[record.username].add(record.role)
        accepted.append((record, ruling.pending))
    return accepted, problems


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
            unit_kind = _unit_kind(record)
            if unit_kind not in roles.ROLE_UNIT_KINDS.get(record.role, set()):
                problems.append(Problem(line, header.field_label("unit"),
                                        gettext_noop("the role %(role)s is not held at a %(kind)s"),
                                        {"role": record.role, "kind": unit_kind}))
        if problems:
            found.extend(problems)
            report.rejected += 1
            continue
        records.append(record)
    accepted, refused = _rule_rows(records, user, school, header.field_label("role"))
    report.rejected += len(refused)
    found = sorted(found + refused, key=lambda p: p.line)
    for record, pending in accepted[:10]:
        report.sample.append({"line": record.line, "name": record.name, "username": record.username,
                              "role": roles.role_label(record.role), "unit": list(record.unit),
                              "pending_approval": pending})
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
        existing = _accounts({r.username.lower() for r, _pending in accepted})
        passwords = []
        created_now: set[str] = set()
        for record, _pending in accepted:
            account = existing.get(record.username.lower())
            if account is None:
                password = _password()
                account = User(username=record.username, display_name=record.name, phone=record.phone,
                               must_change_password=True, password_changed_at=None)
                account.set_password(password)
                account.save()
                existing[record.username.lower()] = account
                created_now.add(record.username)
                passwords.append({"line": record.line, "username": record.username, "name": record.name,
                                  "password": password})
                report.created += 1
            unit = _unit_for(record, school, year)
            try:
                outcome = grants.grant(actor=user, target=account, role=record.role, unit=unit)
            except grants.GrantRefused as refusal:  # the database changed since the rows were checked
                report.rejected += 1
                report.problems.append(Problem(record.line, header.field_label("role"), grants.MESSAGES[refusal.code],
                                               {"role": record.role}))
                continue
            if not outcome.unchanged and record.username not in created_now:
                report.updated += 1
            elif outcome.unchanged:
                report.unchanged += 1
        if dry_run:
            transaction.set_rollback(True)
        else:
            report.written = True
            report.secrets = passwords
    report.seconds = time.monotonic() - started
    return report
