"""runxin issue-student-accounts UNIT --as USERNAME: issue the missing student accounts of a school or class
(UNIT: its code, or its id) as that person — a head teacher, psychology teacher or school leader — exactly as
the page does. Prints the counts; print the credential sheets from the class pages."""

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from runxin.accounts import students
from runxin.accounts.models import User
from runxin.org.models import OrgUnit


class Command(BaseCommand):
    help = "Issue the missing student accounts of a school or a class, as a named person."

    def add_arguments(self, parser):
        parser.add_argument("unit", help="the school's or class's code, or its id")
        parser.add_argument("--as", dest="actor", required=True, help="username of the person issuing")

    def handle(self, *args, unit, actor, **options):
        person = User.objects.filter(username=actor, is_active=True).first()
        if person is None:
            raise CommandError(f"no active account named {actor!r}")
        where = Q(code=unit) | (Q(pk=int(unit)) if unit.isdigit() and len(unit) < 19 else Q(pk__in=[]))
        found = list(OrgUnit.objects.filter(where, kind__in=[OrgUnit.Kind.SCHOOL, OrgUnit.Kind.CLASS],
                                            is_active=True)[:2])
        if len(found) != 1:
            raise CommandError(f"{unit!r} names {'no' if not found else 'more than one'} current school or class")
        target = found[0]
        try:
            if target.kind == OrgUnit.Kind.SCHOOL:
                issued = students.issue_for_school(actor=person, school=target)
            else:
                issued = students.issue_for_class(actor=person, school_class=target)
        except PermissionDenied:
            raise CommandError(f"{actor} may not issue student accounts at {target.name}") from None
        except students.StudentAccountError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{target.name}: {issued.created} created, {issued.reopened} reopened, "
                          f"{issued.existing} already had one ({issued.classes} classes)")
