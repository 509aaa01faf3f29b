"""The named demo logins: one account for every role in runxin/access/roles.py, all with one password.

The username says what the account is; `runxin demo_logins` prints them with where each works.
"""

import random
from dataclasses import dataclass

from django.utils import timezone

from runxin.accounts import grants
from runxin.accounts.models import User
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.guardians import guardians_link
from runxin.people.models import Guardian, MentorPair, Student

from . import names

# Meets the password validators (length ≥ 10, three character classes, not common, not like the username).
DEMO_PASSWORD = "Runxin-demo-2026"  # noqa: S105 (published on purpose: synthetic demo accounts)
MENTEES = 15


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    at: str  # city, district, school, grade, class, hospital, mhc (mental-health centre), society
    display_name: str


DEMO_LOGINS = [
    DemoLogin("city_admin", "city_admin", "city", "周建国"),
    DemoLogin("city_centre", "centre_staff", "city", "吴敏"),
    DemoLogin("district_centre", "centre_staff", "district", "孙丽"),
    DemoLogin("school_leader", "school_leader", "school", "郑伟"),
    DemoLogin("psych_teacher", "psych_teacher", "school", "林静"),
    DemoLogin("grade_leader", "grade_leader", "grade", "陈晓燕"),
    DemoLogin("head_teacher", "head_teacher", "class", "何芳"),
    DemoLogin("mentor", "mentor", "school", "高明"),
    DemoLogin("psych_committee", "psych_committee", "class", ""),
    DemoLogin("hotline", "hotline_operator", "city", "罗娟"),
    DemoLogin("hospital", "hospital", "hospital", "梁医生"),
    DemoLogin("mhc", "hospital", "mhc", "赵医生"),
    DemoLogin("society", "society_partner", "society", "冯警官"),
    DemoLogin("student", "student", "class", ""),
    DemoLogin("parent", "parent", "class", ""),
    DemoLogin("supervisor", "supervisor", "city", "韩华"),
    DemoLogin("system_admin", "system_admin", "city", "曹刚"),
    DemoLogin("security_admin", "security_admin", "city", "彭涛"),
    DemoLogin("audit_admin", "audit_admin", "city", "田霞"),
]
USERNAMES = [login.username for login in DEMO_LOGINS]


def create_demo_logins(*, city: OrgUnit, hospital: OrgUnit, school: OrgUnit, school_class: OrgUnit,
                       year: SchoolYear, password_hash: str, rng: random.Random) -> dict[str, User]:
    """Create the named accounts with their role assignments, mentor pairs and the parent's guardianship.

    The student, the class psych committee member and the parent are people of `school_class`; the parent
    is the first guardian of the `student` account's own record, so the two show one family."""
    district = OrgUnit.objects.get(pk=school.district_id)
    partners = OrgUnit.objects.filter(kind__in=[OrgUnit.Kind.MHC, OrgUnit.Kind.SOCIETY],
                                      is_active=True).order_by("code", "id")
    units = {"city": city, "district": district, "school": school, "class": school_class, "hospital": hospital,
             "grade": OrgUnit.objects.get(pk=school_class.parent_id),
             "mhc": next(u for u in partners if u.kind == OrgUnit.Kind.MHC),
             "society": next(u for u in partners if u.kind == OrgUnit.Kind.SOCIETY)}
    pupils = list(Student.objects.filter(school_class=school_class).order_by("id")[:2])
    child, committee_member = pupils[0], pupils[-1]
    guardian = Guardian.objects.filter(student=child).order_by("position").first()
    now = timezone.now()
    created: dict[str, User] = {}
    seeds: list[grants.Seed] = []
    for login in DEMO_LOGINS:
        display_name = login.display_name
        student = None
        if login.role == "student":
            student, display_name = child, child.name
        elif login.role == "psych_committee":
            student, display_name = committee_member, committee_member.name
        elif login.role == "parent":
            student = child
            display_name = guardian.name if guardian else names.person_name(rng, "F", adult=True)
        # The parent's account carries the roster guardian's phone: the guardian link is checked by that number.
        phone = names.phone(rng)
        if login.role == "parent" and guardian is not None and guardian.phone:
            phone = guardian.phone
        user = User.objects.create(username=login.username, password=password_hash, display_name=display_name,
                                   password_changed_at=now, phone=phone)
        seeds.append(grants.Seed(user=user, role=login.role, unit=units[login.at], student=student,
                                 starts_on=year.starts_on))
        created[login.username] = user
    # Nobody exists yet to grant or approve: the demo's documented bulk path, under the same structural rules.
    grants.seed(seeds)
    if guardian is not None and guardian.phone:
        guardians_link(phone=guardian.phone, user=created["parent"])
    # 师生结对: the mentor's ~15 students, key students of the school first.
    mentees = Student.objects.filter(school=school, status=Student.Status.ENROLLED).order_by("-is_key_student", "id")
    MentorPair.objects.bulk_create(
        MentorPair(mentor=created["mentor"], student=student, since=year.starts_on) for student in mentees[:MENTEES]
    )
    return created
