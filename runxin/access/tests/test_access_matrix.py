"""The access matrix (issue 9, item 12): every route × every role (and a stranger, and an anonymous visitor) ×
every relation of the object it names × GET and POST, compared with the policy table (access/policy.py).

One world for the module (built once inside a transaction that is rolled back at the end); every request
runs in a savepoint that is rolled back, so a POST that changes something never changes the next answer.
"""

import importlib
import re
import time
import uuid
from http.cookies import SimpleCookie
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from runxin.access import policy
from runxin.access.roles import ALL_PERMISSIONS, ROLES
from runxin.testing import factories as f
from runxin.testing import seeds
from runxin.testing.world import build_world

pytestmark = pytest.mark.django_db


# The person the matrix signs in as for each role (policy.REACH_OF says where each sits).
ACTOR_OF = {
    "city_admin": "city_admin", "centre_staff": "district_centre", "school_leader": "leader",
    "psych_teacher": "psych", "head_teacher": "head", "mentor": "mentor", "psych_committee": "committee",
    "hotline_operator": "hotline", "hospital": "hospital", "grade_leader": "grade_leader",
    "society_partner": "society_partner", "student": "student_user", "parent": "parent",
    "supervisor": "supervisor", "system_admin": "sysadmin", "security_admin": "secadmin", "audit_admin": "auditor",
    policy.STRANGER: "outsider",
}


def url_patterns(resolver=None, prefix="", namespace=""):
    """(url name, route, pattern) for every named route of every app."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry


# ------------------------------------------------------------------------------------------------ world
def _build() -> SimpleNamespace:
    from runxin.alerts import services as alert_services
    from runxin.alerts.models import WarningLevel
    from runxin.imports.models import ImportBatch
    from runxin.notify.models import Notification
    from runxin.org import services as org_services
    from runxin.org.models import OrgUnit, RolloverRun
    from runxin.people.models import MentorPair
    from runxin.screening import services as screening_services
    from runxin.screening.models import CampaignTarget, InstrumentVersion, Submission
    from runxin.screening.tests.helpers import gad7_answers, make_spec, phqa_answers

    w = build_world()
    # One student per relation, seen from 张一 (a1) in 东区第一中学 七年级(1)班.
    w.grade8 = f.school_class(w.school, 8, 1, w.year)
    w.c1 = f.StudentFactory(name="钱八", school_class=w.grade8)
    w.school2 = f.school(w.east, "东区第二中学", "S-E2")
    w.class_e2 = f.school_class(w.school2, 7, 1, w.year)
    w.d1 = f.StudentFactory(name="孙九", school_class=w.class_e2)
    student = {policy.OWN_CLASS: w.a1, policy.SAME_GRADE: w.b1, policy.OTHER_GRADE: w.c1,
               policy.OTHER_SCHOOL: w.d1, policy.OTHER_DISTRICT: w.w1}
    w.student = student
    w.hospital = f.UserFactory(username="hospital", display_name="hospital")
    f.assign(w.hospital, "hospital", org_services.unit_create(kind=OrgUnit.Kind.HOSPITAL, name="市第一医院",
                                                               parent=w.city))
    # The grade leader sits at 七年级 of 东区第一中学 (张一's and 王三's grade); the society liaison at a police unit.
    w.grade_leader = f.UserFactory(username="grade_leader", display_name="grade_leader")
    f.assign(w.grade_leader, "grade_leader", OrgUnit.objects.get(pk=w.a1.grade_id))
    w.society_partner = f.UserFactory(username="society_partner", display_name="society_partner")
    f.assign(w.society_partner, "society_partner", org_services.unit_create(
        kind=OrgUnit.Kind.SOCIETY, name="东区公安分局", parent=w.east, partner_type="police"))
    # The mentor is paired with 张一 only: its "own class" is its one paired student.
    MentorPair.objects.filter(mentor=w.mentor).update(is_active=False)
    MentorPair.objects.create(mentor=w.mentor, student=w.a1, since=w.year.starts_on)

    psych_of = {w.school.pk: w.psych, w.other_school.pk: w.other_psych}
    psych_e2 = f.UserFactory(username="psych_e2")
    f.assign(psych_e2, "psych_teacher", w.school2)
    psych_of[w.school2.pk] = psych_e2

    w.warning, w.submission, w.result, w.campaign, w.target, w.staff, w.assignment = ({} for _ in range(7))
    w.mentor_of, w.pair, w.batch, w.run = {}, {}, {}, {}
    campaigns = {}
    next_year = f.school_year("2027-2028", current=False)
    for relation, s in student.items():
        school = OrgUnit.objects.get(pk=s.school_id)
        w.warning[relation] = alert_services.warning_raise_from_screening(
            student=s, result_id=f"m-{relation}", suggested_level="critical", reasons=[], instrument_code="phq-a")
        if school.pk not in campaigns:
            spec = make_spec(w, owner=school, grades=[7, 8])
            campaign = screening_services.campaign_create(user=psych_of[school.pk], spec=spec)
            campaigns[school.pk] = screening_services.campaign_open(user=psych_of[school.pk], campaign=campaign)
        campaign = campaigns[school.pk]
        w.campaign[relation] = campaign
        screening_services.consent_mark_notified(user=psych_of[school.pk], campaign=campaign,
                                                 school_class=s.school_class)
        target = CampaignTarget.objects.get(campaign=campaign, student=s)
        w.target[relation] = target
        accepted = screening_services.submission_accept(
            target=target, client_id=uuid.uuid4(), answers={"phqa": phqa_answers(1), "gad7": gad7_answers(1)})
        w.submission[relation] = Submission.objects.get(pk=accepted.submission_id)
        w.result[relation] = w.submission[relation].results.first()
        # A head teacher of the relation's class (the staff pages), a mentor of its school with a pair.
        staff = f.UserFactory(username=f"head_{relation}")
        w.staff[relation] = staff
        w.assignment[relation] = f.assign(staff, "head_teacher", s.school_class)
        if school.pk == w.school.pk:
            w.mentor_of[relation], w.pair[relation] = w.mentor, MentorPair.objects.get(mentor=w.mentor, is_active=True)
        else:
            mentor = f.UserFactory(username=f"mentor_{relation}")
            f.assign(mentor, "mentor", school)
            w.mentor_of[relation] = mentor
            w.pair[relation] = MentorPair.objects.create(mentor=mentor, student=s, since=w.year.starts_on)
        w.batch[relation] = ImportBatch.objects.create(
            school=school, created_by=psych_of[school.pk], created_at=timezone.now(), file="imports/m.xlsx",
            original_name="m.xlsx", sha256="0" * 64)
        w.run[relation] = RolloverRun.objects.create(scope_unit=school, from_year=w.year, to_year=next_year,
                                                     requested_by=w.leader)
    w.service_group = org_services.service_group_create(district=w.east, name="东区一片")
    w.level = WarningLevel.objects.order_by("pk").first()
    w.version = InstrumentVersion.objects.order_by("pk").first()
    from auditlog.models import LogEntry

    w.change = LogEntry.objects.order_by("pk").first()
    w.notification = {}
    for identity, attr in ACTOR_OF.items():
        user = getattr(w, attr)
        w.notification[identity] = Notification.objects.create(
            recipient=user, channel=Notification.Channel.INBOX, kind="test", subject="m", url="/inbox/",
            dedupe_key=f"matrix-{user.pk}")
    # The case apps (issue 12) build their own records, one per relation, in their tests' matrix_objects module:
    # build(w) returns {url parameter name: {relation: pk}}.
    w.extra_ids = {}
    for module in MATRIX_OBJECT_MODULES:
        w.extra_ids.update(importlib.import_module(module).build(w))
    return w


MATRIX_OBJECT_MODULES = [
    "runxin.cases.tests.matrix_objects",
    "runxin.counseling.tests.matrix_objects",
    "runxin.referrals.tests.matrix_objects",
    "runxin.visits.tests.matrix_objects",
]


# Route parameters that mean something else on one route than on the others.
PER_ROUTE = {
    "screening:fhir_questionnaire": {"reference": "phqa"},
    "screening:fhir_instrument_code_system": {"code": "phqa", "part": "answers"},
    "screening:fhir_code_system": {"name": "risk-level"},
    "screening:fhir_naming_system": {"name": "student-number"},
}


# What each URL converter is filled with, for an object kind and a relation (and the identity asking).
def _kwargs(w, route_objects: str | None, relation: str, identity: str, names: list[str]) -> dict:
    s = w.student.get(relation, w.a1)
    kwargs = {}
    for name in names:
        if name in w.extra_ids:
            ids = w.extra_ids[name]
            kwargs[name] = ids.get(relation, ids[policy.OWN_CLASS])
            continue
        kwargs[name] = {
            "student_id": s.pk,
            "warning_id": w.warning.get(relation, w.warning[policy.OWN_CLASS]).pk,
            "submission_id": w.submission.get(relation, w.submission[policy.OWN_CLASS]).pk,
            "result_id": w.result.get(relation, w.result[policy.OWN_CLASS]).pk,
            "campaign_id": w.campaign.get(relation, w.campaign[policy.OWN_CLASS]).pk,
            "class_id": s.school_class_id,
            "unit_id": {"school": s.school_id, "district": s.district_id}.get(route_objects, s.school_class_id),
            "group_id": w.service_group.pk,
            "user_id": w.staff.get(relation, w.staff[policy.OWN_CLASS]).pk,
            "assignment_id": w.assignment.get(relation, w.assignment[policy.OWN_CLASS]).pk,
            "mentor_id": w.mentor_of.get(relation, w.mentor).pk,
            "pair_id": w.pair.get(relation, w.pair[policy.OWN_CLASS]).pk,
            "batch_id": w.batch.get(relation, w.batch[policy.OWN_CLASS]).pk,
            "run_id": w.run.get(relation, w.run[policy.OWN_CLASS]).pk,
            "target_id": w.target.get(relation, w.target[policy.OWN_CLASS]).pk,
            "notification_id": w.notification.get(identity, w.notification["psych_teacher"]).pk,
            "level_id": w.level.pk, "version_id": w.version.pk, "entry_id": w.change.pk,
            "position": 1, "item_id": "q1", "code": "ABCD2345", "token": "not-a-token",
            "pending_id": 999_999, "account_id": 999_999, "token_id": 999_999,
            "kind": "students", "fmt": "csv", "file_format": "csv", "action": "acknowledge",
        }[name]
    return kwargs


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    with seeds.module_database(django_db_blocker):
        started = time.perf_counter()
        w = _build()
        w.clients = {}
        for identity, attr in ACTOR_OF.items():
            client = Client(raise_request_exception=False)
            client.force_login(getattr(w, attr))
            w.clients[identity] = (client, SimpleCookie(client.cookies.output(header="", sep=";")))
        w.clients[policy.ANONYMOUS] = (Client(raise_request_exception=False), SimpleCookie())
        w.build_seconds = time.perf_counter() - started
        yield w


# Where the sign-in page is the answer to success, not a refusal.
SIGN_IN_IS_SUCCESS = {"accounts:logout"}


def _outcome(response, url_name: str) -> str:
    code = response.status_code
    if code >= 500:
        return "error"
    if code in (401, 403, 404, 405):
        return "refused"
    if code in (301, 302, 303, 307, 308) and response["Location"].startswith(resolve_url(settings.LOGIN_URL)) \
            and url_name not in SIGN_IN_IS_SUCCESS:
        return "refused"
    return "allowed"


def _ask(w, identity: str, method: str, url: str, url_name: str) -> tuple[str, int, str]:
    client, cookies = w.clients[identity]
    client.cookies = SimpleCookie(cookies.output(header="", sep=";"))  # a logout in a POST stays undone
    savepoint = transaction.savepoint()
    try:
        response = client.get(url) if method == "GET" else client.post(url, {})
        # A streamed body is read to the end through the test client's wrapper (a bare close() would close the
        # database connection, as a finished request does).
        body = b"".join(response.streaming_content) if response.streaming else response.content
        kind = response.get("Content-Type", "")
        text = body.decode("utf-8", "replace") if kind.startswith(("text/", "application/json")) else ""
        return _outcome(response, url_name), response.status_code, text
    finally:
        transaction.savepoint_rollback(savepoint)


def _declared(pattern) -> str | None:
    callback = pattern.callback
    target = getattr(callback, "view_class", None) or callback
    return getattr(callback, "runxin_access", None) or getattr(target, "runxin_access", None)


def _passes_declaration(declared: str | None, identity: str) -> bool:
    if declared in ALL_PERMISSIONS:
        return identity in ROLES and declared in ROLES[identity].permissions
    return True  # public, signed in, or declared otherwise: the view decides, so ask on every relation


def _converters(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


ROUTE_NAMES = sorted(policy.ROUTES)


def test_every_identity_is_walked():
    assert set(ACTOR_OF) | {policy.ANONYMOUS} == set(policy.IDENTITIES)
    assert set(ROLES) <= set(ACTOR_OF)


@pytest.mark.parametrize("url_name", ROUTE_NAMES)
def test_route_answers_every_role_as_the_policy_says(matrix, url_name, settings):
    settings.SECOND_FACTOR_WAIVED = True
    routes = {name: (route, pattern) for name, route, pattern in url_patterns()}
    if url_name not in routes:
        pytest.fail(f"{url_name} has a row but no route")
    row = policy.row(url_name)
    names = _converters(routes[url_name][0])
    declared = _declared(routes[url_name][1])
    wrong = []
    for identity in policy.IDENTITIES:
        relations = (policy.NONE,)
        if row.objects:
            # Someone the route's declaration (@requires) refuses is refused before any object is looked
            # up: one relation proves it (and keeps the matrix fast). Everyone else is asked on all five.
            relations = policy.STUDENT_RELATIONS if _passes_declaration(declared, identity) else (policy.OWN_CLASS,)
        for relation in relations:
            fixed = PER_ROUTE.get(url_name, {})
            kwargs = _kwargs(matrix, row.objects, relation, identity, [n for n in names if n not in fixed])
            url = reverse(url_name, kwargs=kwargs | fixed)
            for method in ("GET", "POST"):
                expected = "allowed" if policy.allowed(url_name, identity, relation, method) else "refused"
                got, status, text = _ask(matrix, identity, method, url, url_name)
                if got != expected:
                    wrong.append(f"{method} {url} as {identity} ({relation}): {status}, expected {expected}")
                for seen, student in matrix.student.items():
                    if student.name in text and not policy.sees_name(identity, seen):
                        wrong.append(f"{method} {url} as {identity} ({relation}): shows {student.name} ({seen})")
    assert not wrong, f"{url_name}:\n  " + "\n  ".join(wrong)


def test_the_matrix_world_has_one_object_per_relation(matrix):
    """The relations are what their names say (so an 'allowed' on other_district is a real cross-district read)."""
    s = matrix.student
    assert s[policy.OWN_CLASS].school_class_id == matrix.class1.pk
    assert s[policy.SAME_GRADE].school_id == s[policy.OWN_CLASS].school_id
    assert s[policy.SAME_GRADE].grade_id == s[policy.OWN_CLASS].grade_id
    assert s[policy.SAME_GRADE].school_class_id != s[policy.OWN_CLASS].school_class_id
    assert s[policy.OTHER_GRADE].school_id == s[policy.OWN_CLASS].school_id
    assert s[policy.OTHER_GRADE].grade_id != s[policy.OWN_CLASS].grade_id
    assert s[policy.OTHER_SCHOOL].district_id == s[policy.OWN_CLASS].district_id
    assert s[policy.OTHER_SCHOOL].school_id != s[policy.OWN_CLASS].school_id
    assert s[policy.OTHER_DISTRICT].district_id != s[policy.OWN_CLASS].district_id
    for relation, warning in matrix.warning.items():
        assert warning.student_id == s[relation].pk
        assert matrix.submission[relation].target.student_id == s[relation].pk
