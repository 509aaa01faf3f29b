"""The demo city generator and the demo logins: sizes, people that look real, every role can sign in."""

import datetime as dt
import logging
import random
import re
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import override_settings

from runxin.access import roles
from runxin.accounts.models import InvitationCode, StudentCredential, User
from runxin.demo import generator, idnumbers, staff
from runxin.demo.management.commands import demo_city
from runxin.imports.models import ImportBatch
from runxin.org.models import OrgUnit, SchoolYear
from runxin.people.models import (
    Enrollment,
    Guardian,
    KeyStudentMark,
    MentorPair,
    RoleAssignment,
    Student,
)
from runxin.testing import seeds
from runxin.testing.clock import frozen_at, local

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo_city")]

N = 600
# The generator takes the school year from today's date. Freeze "today" in a school year the real calendar
# is not in, so the test proves the year comes from the clock and never turns into a time bomb.
TODAY = local(2031, 10, 13)


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker, var_dir):
    """One city for the module, built in a transaction rolled back at its end; each test's own changes are rolled
    back by its `db` transaction. Its files go to a directory of its own (another worker may build a demo city at
    the same time). Tests that need an empty database are in test_demo_generator.py."""
    out = StringIO()
    with seeds.module_database(django_db_blocker), override_settings(VAR_DIR=var_dir):
        with frozen_at(TODAY):
            # The past has its own tests (test_history.py), which also prove it leaves this semester as it is.
            call_command("demo_city", students=N, seed=7, no_history=True, stdout=out)
        yield out.getvalue()


def test_city_has_exactly_the_students_asked_for_in_every_school_type(city):
    assert Student.objects.count() == N
    assert f"{N:,} students" in city
    types = set(OrgUnit.objects.filter(kind="school").values_list("school_type", flat=True))
    assert types == set(OrgUnit.SchoolType.values)
    assert OrgUnit.objects.filter(kind="district").count() == 2
    assert OrgUnit.objects.filter(kind="hospital").count() == 1
    year = SchoolYear.objects.get(is_current=True)
    assert (year.code, year.starts_on, year.ends_on) == ("2031-2032", dt.date(2031, 9, 1), dt.date(2032, 8, 31))
    # Every class holds students and sits in the current year with the grade its school type teaches.
    for school in OrgUnit.objects.filter(kind="school"):
        levels = set(OrgUnit.objects.filter(school=school, kind="class").values_list("grade_level", flat=True))
        assert levels == set(generator.TYPES[school.school_type].levels)


def test_placement_columns_agree_with_the_class(city):
    city_id = OrgUnit.objects.get(kind="city").pk
    # Every student, not one drawn at random: a wrong column on a few rows must fail every run.
    wrong = [
        student.pk for student in Student.objects.select_related("school_class")
        if (student.grade_id, student.school_id, student.district_id, student.city_id) != (
            student.school_class.parent_id, student.school_class.school_id, student.school_class.district_id,
            city_id)
    ]
    assert wrong == []
    assert not Student.objects.filter(school_class__isnull=True).exists()
    assert Enrollment.objects.filter(ended_on__isnull=True).count() == N


def test_id_numbers_are_valid_and_match_birth_date_sex_and_grade(city):
    year = SchoolYear.objects.get(is_current=True)
    numbers = set()
    for s in Student.objects.select_related("school_class", "school"):
        assert idnumbers.is_valid(s.id_number), s.id_number
        assert s.id_number[6:14] == s.birth_date.strftime("%Y%m%d")
        assert idnumbers.sex_of(s.id_number) == s.sex
        assert s.student_number == "G" + s.id_number
        # Age on 31 August of the year's start: 6 in grade 1, 12 in grade 7 … (special schools up to 2 more).
        age = year.start_year - s.birth_date.year - ((8, 31) < (s.birth_date.month, s.birth_date.day))
        extra = 2 if s.school.school_type == "special" else 0
        assert s.school_class.grade_level + 5 <= age <= s.school_class.grade_level + 5 + extra
        numbers.add(s.id_number)
    assert len(numbers) == N


def test_names_look_chinese_and_guardians_have_relations_and_mobiles(city):
    names = list(Student.objects.values_list("name", flat=True))
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name) for name in names)
    surnames = Counter(name[0] for name in names)
    assert surnames.most_common(1)[0][0] in "王李张刘陈"
    per_student = Counter(Guardian.objects.values_list("student_id", flat=True))
    assert set(per_student.values()) <= {1, 2} and len(per_student) == N
    relations = set(Guardian.objects.values_list("relation", flat=True))
    assert relations <= {"父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "其他"} and {"父亲", "母亲"} <= relations
    assert all(re.fullmatch(r"1[3-9]\d{9}", phone) for phone in Guardian.objects.values_list("phone", flat=True))


def test_every_role_has_a_demo_login_that_can_sign_in(city):
    for login in staff.DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert user.check_password(staff.DEMO_PASSWORD)
        assert RoleAssignment.objects.filter(user=user, role=login.role, is_active=True).exists()
        assert user.display_name
    assert {login.role for login in staff.DEMO_LOGINS} == set(roles.ROLES)
    validate_password(staff.DEMO_PASSWORD, User.objects.get(username="psych_teacher"))


def test_demo_people_fit_together(city):
    student_login = RoleAssignment.objects.get(user__username="student")
    parent_login = RoleAssignment.objects.get(user__username="parent")
    assert parent_login.student_id == student_login.student_id
    assert Guardian.objects.get(user__username="parent").student_id == student_login.student_id
    head = RoleAssignment.objects.get(user__username="head_teacher")
    assert head.org_unit.kind == "class" and student_login.student.school_class_id == head.org_unit_id
    assert MentorPair.objects.filter(mentor__username="mentor").count() == staff.MENTEES
    hospital = RoleAssignment.objects.get(user__username="hospital").org_unit
    assert hospital.kind == "hospital"
    # Every class has one head teacher; every school a leader and a psychology teacher.
    classes = OrgUnit.objects.filter(kind="class").count()
    assert RoleAssignment.objects.filter(role="head_teacher").count() == classes
    assert not OrgUnit.objects.filter(kind="school").exclude(role_assignments__role="psych_teacher").exists()


def test_if_empty_skips_a_second_city_and_plain_run_refuses(city):
    out = StringIO()
    call_command("demo_city", students=N, if_empty=True, stdout=out)
    assert "already holds a city" in out.getvalue() and Student.objects.count() == N
    with pytest.raises(CommandError, match="already holds a city"):
        call_command("demo_city", students=N, stdout=StringIO())


def test_demo_logins_prints_the_address_and_every_role(city, settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text and staff.DEMO_PASSWORD in text
    for login in staff.DEMO_LOGINS:
        line = next(line for line in text.splitlines() if line.strip().startswith(login.username + " "))
        assert roles.role_label(login.role) in line
    assert "润州市" in text and "七年级(1)班" in text and "missing" not in text


def test_plan_is_deterministic_and_sums_to_the_size():
    first = generator.plan_schools(1_500_000, 12, random.Random(1))
    again = generator.plan_schools(1_500_000, 12, random.Random(1))
    assert [(p.school_type, p.size, p.district_index) for p in first] == [
        (p.school_type, p.size, p.district_index) for p in again]
    assert sum(p.size for p in first) == 1_500_000
    assert 1800 <= len(first) <= 2300
    classes = [size for p in first for sizes in p.class_sizes.values() for size in sizes]
    assert 35 <= sum(classes) / len(classes) <= 50


def test_chinese_school_numbers():
    assert [generator.chinese_number(n) for n in (1, 10, 12, 20, 35)] == ["一", "十", "十二", "二十", "三十五"]


def test_the_city_is_built_through_the_import_paths(city, var_dir):
    schools = OrgUnit.objects.filter(kind="school")
    # Every school's roster and staff list went through the import commands: a batch each, imported whole.
    batches = ImportBatch.objects.filter(via="cli")
    for kind in (ImportBatch.Kind.STUDENTS, ImportBatch.Kind.STAFF):
        assert set(batches.filter(kind=kind).values_list("school_id", flat=True)) == set(schools.values_list("id", flat=True))
    assert set(batches.values_list("status", flat=True)) == {ImportBatch.Status.IMPORTED}
    assert not batches.exclude(rejected=0).exists()
    assert batches.filter(kind=ImportBatch.Kind.STUDENTS).aggregate(n=Sum("created"))["n"] == N
    # The units file: schools with their 10-digit 学校标识码 and a service group, the partner institutions.
    assert all(re.fullmatch(r"\d{10}", code) for code in schools.values_list("code", flat=True))
    assert not schools.filter(service_group_membership__isnull=True).exists()
    assert {"hospital", "mhc", "society"} <= set(OrgUnit.objects.values_list("kind", flat=True))
    files = var_dir / "demo-files"
    assert (files / "units.xlsx").is_file()
    assert {p.stem for p in (files / "rosters").glob("*.csv")} == set(schools.values_list("code", flat=True))
    assert len(list((files / "staff").glob("*.csv"))) == schools.count()
    # Staff accounts came from the staff import: a generated first password to change, listed in the sheet.
    imported = User.objects.get(username=f"{schools.order_by('code').first().code}-leader")
    assert imported.must_change_password
    assert imported.username in (files / "accounts" / "staff-first-passwords.csv").read_text(encoding="utf-8-sig")
    # What the roster cannot carry went through the owners' services: key-student markings with a reason.
    assert Student.objects.filter(is_key_student=True).count() == KeyStudentMark.objects.filter(
        ended_on__isnull=True).values("student").distinct().count() > 0


def test_the_demo_class_has_student_accounts_and_parent_invitations(city, var_dir):
    head = RoleAssignment.objects.get(user__username="head_teacher").org_unit
    enrolled = Student.objects.filter(school_class=head, status="enrolled")
    issued = StudentCredential.objects.filter(student__in=enrolled)
    assert issued.count() == enrolled.count() > 0
    assert RoleAssignment.objects.filter(role="student", student__in=enrolled, is_active=True).count() == enrolled.count()
    new = issued.exclude(user__username="student").first()
    assert new.user.must_change_password and new.first_password
    sheet = (var_dir / "demo-files" / "accounts" / "student-accounts.csv").read_text(encoding="utf-8-sig")
    assert new.user.username in sheet
    codes = InvitationCode.objects.filter(guardian__student__in=enrolled, used_at__isnull=True)
    assert codes.exists() and not codes.filter(guardian__user__isnull=False).exists()
    # The generated first passwords still sign in (hashed with few rounds; Django re-hashes them at sign-in).
    lines = (var_dir / "demo-files" / "accounts" / "student-accounts.csv").read_text(
        encoding="utf-8-sig").splitlines()
    username, password = next(line.split(",")[1:] for line in lines[2:] if line.split(",")[2])
    assert User.objects.get(username=username).check_password(password)


def test_the_new_roles_have_demo_logins_at_their_units(city):
    where = {a.user.username: a.org_unit for a in RoleAssignment.objects.filter(
        user__username__in=["grade_leader", "mhc", "society"]).select_related("user", "org_unit")}
    assert (where["grade_leader"].kind, where["mhc"].kind, where["society"].kind) == ("grade", "mhc", "society")


def test_the_output_is_a_short_summary_and_the_sms_lines_go_to_a_file(city, var_dir):
    lines = city.strip().splitlines()
    assert len(lines) <= 10, city
    assert "sms to" not in city and "notifications:" not in city
    assert "demo-files" in city and "student accounts" in city
    assert (var_dir / "demo-files" / "notify.log").is_file()


def test_notify_lines_go_to_the_file_and_errors_still_reach_stderr(tmp_path, caplog, capsys):
    logger = logging.getLogger("runxin.notify")
    with demo_city.notify_log_to(tmp_path / "notify.log"):
        logger.info("sms to 13800000000 (user 1): 红色预警 #1")
        logger.error("the SMS gateway refused the account")
    logger.info("after the demo")
    text = (tmp_path / "notify.log").read_text(encoding="utf-8")
    assert "sms to 13800000000" in text and "refused the account" in text
    assert "refused the account" in capsys.readouterr().err
    assert [r.getMessage() for r in caplog.records if r.name == "runxin.notify"] == ["after the demo"]


def test_what_the_demo_wrote_for_people_to_read_is_chinese(city):
    # The roster and unit imports used to switch the whole process to English (their CLI report is English):
    # every notice and history line the generator wrote after them was English in the Chinese interface.
    import re

    from runxin.alerts.models import WarningEvent
    from runxin.notify.models import Notification

    english = re.compile(r"^[A-Z][a-z]+ [a-z]+")
    texts = [*Notification.objects.values_list("subject", "body"), *WarningEvent.objects.values_list("reason", "clinical_note")]
    assert len(texts) > 50
    leaked = [text for pair in texts for text in pair if english.match(text or "")]
    assert leaked == []
