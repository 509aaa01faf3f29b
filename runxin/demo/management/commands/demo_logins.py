"""`runxin demo-logins`: the address and one sign-in for every role of the demo city."""

import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand

from runxin.access import roles
from runxin.accounts.models import User
from runxin.demo import staff
from runxin.org.models import OrgUnit
from runxin.people.models import RoleAssignment


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, size: int) -> str:
    return text + " " * max(0, size - width(text))


def where(unit: OrgUnit | None, names: dict[int, str]) -> str:
    if unit is None:
        return ""
    return " › ".join(names.get(pk, "?") for pk in unit.ancestor_ids)


class Command(BaseCommand):
    help = "Print the demo city's address and one sign-in (username, role, where) for every role."

    def handle(self, *args, **options):
        users = {u.username: u for u in User.objects.filter(username__in=staff.USERNAMES)}
        assignments = {
            a.user_id: a
            for a in RoleAssignment.objects.filter(user__in=users.values()).select_related("org_unit", "student")
        }
        ancestor_ids = {pk for a in assignments.values() if a.org_unit for pk in a.org_unit.ancestor_ids}
        unit_names = dict(OrgUnit.objects.filter(pk__in=ancestor_ids).values_list("id", "name"))
        rows = []
        for login in staff.DEMO_LOGINS:
            user = users.get(login.username)
            assignment = assignments.get(user.pk) if user else None
            if assignment is None:
                rows.append((login.username, roles.role_label(login.role), "(missing: run `runxin demo-city`)"))
                continue
            place = where(assignment.org_unit, unit_names)
            if assignment.student_id:
                place += f" · {assignment.student.name}"
            rows.append((login.username, roles.role_label(login.role), place))
        header = ("username", "role", "where")
        widths = [max(width(str(row[i])) for row in [header, *rows]) for i in range(2)]
        self.stdout.write(f"Runxin demo city is at {settings.SITE_URL}/")
        self.stdout.write(f"Every demo account signs in with the password: {staff.DEMO_PASSWORD}")
        if settings.SECOND_FACTOR_WAIVED:
            self.stdout.write("The second factor (TOTP) is waived in demo mode.")
        self.stdout.write("")
        for row in [header, *rows]:
            self.stdout.write(f"  {pad(row[0], widths[0])}  {pad(row[1], widths[1])}  {row[2]}")
        missing = set(roles.ROLES) - {login.role for login in staff.DEMO_LOGINS}
        if missing:
            self.stdout.write(f"Roles without a demo login: {', '.join(sorted(missing))}")
