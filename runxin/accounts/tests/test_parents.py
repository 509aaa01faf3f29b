"""Parents from the roster's guardians: SMS-code sign-in, the printed invitation, one parent with several
children, a guardian taken off the roster, and the parent's home."""

import datetime as dt
import logging
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from runxin.access import roles, scope
from runxin.accounts import parents, sms_codes
from runxin.accounts.models import InvitationCode, SignInCode, User
from runxin.alerts import intake
from runxin.people.models import Guardian, RoleAssignment
from runxin.screening.models import ConsentRecord
from runxin.screening.tests.helpers import open_campaign
from runxin.testing import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


PHONE = "13811112222"
LOGIN, CODE, INVITE, FAMILY = (reverse("accounts:parent_login"), reverse("accounts:parent_code"),
                               reverse("accounts:parent_invitation"), reverse("front:family"))


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def family(world):
    """One mother (PHONE) of two children on the roster: 李二 (class 1) and 王三 (class 2)."""
    f.GuardianFactory(student=world.a2, position=1, name="王芳", phone=PHONE)
    f.GuardianFactory(student=world.b1, position=1, name="王芳", phone=PHONE)
    return world


def _ask_code(client, caplog, phone=PHONE) -> str | None:
    with caplog.at_level(logging.INFO, logger="runxin.notify"):
        response = client.post(LOGIN, {"phone": phone})
    assert response.status_code == 302 and response["Location"] == CODE
    return sms_codes.code_in_log(caplog.text, phone)


def _sign_in(caplog) -> tuple[Client, User]:
    client = Client()
    code = _ask_code(client, caplog)
    response = client.post(CODE, {"code": code})
    assert response.status_code == 302 and response["Location"] == FAMILY
    return client, User.objects.get(username=f"parent-{PHONE}")


def test_sign_in_with_the_code_from_the_sms_log(family, caplog):
    client, user = _sign_in(caplog)
    assert user.phone == PHONE and not user.has_usable_password()
    held = set(RoleAssignment.objects.filter(user=user, role="parent", is_active=True).values_list("student_id",
                                                                                                  flat=True))
    assert held == {family.a2.pk, family.b1.pk}
    assert set(Guardian.objects.filter(user=user).values_list("student_id", flat=True)) == held
    page = client.get(FAMILY).content.decode()
    assert "李二" in page and "王三" in page


def test_the_code_is_stored_hashed(family, caplog):
    code = _ask_code(Client(), caplog)
    stored = SignInCode.objects.get(phone=PHONE)
    assert code not in stored.code_hash and len(stored.code_hash) == 64


def test_a_wrong_code_is_refused_and_five_wrong_codes_void_it(family, caplog):
    client = Client()
    code = _ask_code(client, caplog)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(CODE, {"code": wrong})
    assert response.status_code == 400 and "not right" in response.content.decode()
    for _ in range(4):
        client.post(CODE, {"code": wrong})
    response = client.post(CODE, {"code": code})  # the right one, too late
    assert response.status_code == 400
    assert not User.objects.filter(username=f"parent-{PHONE}").exists()


def test_an_expired_code_is_refused(family, caplog):
    client = Client()
    code = _ask_code(client, caplog)
    SignInCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.post(CODE, {"code": code}).status_code == 400


def test_a_code_works_once(family, caplog):
    client = Client()
    code = _ask_code(client, caplog)
    assert client.post(CODE, {"code": code}).status_code == 302
    with pytest.raises(sms_codes.CodeRefused):
        sms_codes.check_code(phone=PHONE, code=code, ip="127.0.0.1")


def test_asking_again_voids_the_earlier_code(family, caplog):
    first = _ask_code(Client(), caplog)
    cache.clear()  # past the one-a-minute limit
    caplog.clear()
    second = _ask_code(Client(), caplog)
    if first != second:
        with pytest.raises(sms_codes.CodeRefused):
            sms_codes.check_code(phone=PHONE, code=first, ip="127.0.0.1")
    assert sms_codes.check_code(phone=PHONE, code=second, ip="127.0.0.1") == PHONE


def test_rate_limits_per_phone_and_per_address(family, caplog):
    client = Client()
    _ask_code(client, caplog)
    response = client.post(LOGIN, {"phone": PHONE})
    assert response.status_code == 400 and "less than a minute ago" in response.content.decode()
    # Per source address: many different numbers from one place are stopped as well.
    for n in range(sms_codes.PER_ADDRESS_HOUR - 1):
        client.post(LOGIN, {"phone": f"1390000{n:04d}"})
    response = client.post(LOGIN, {"phone": "13700000000"})
    assert response.status_code == 400 and "from this network" in response.content.decode()
    # Guessing codes from one address pauses too.
    cache.clear()
    for _ in range(sms_codes.FAILURES_PER_ADDRESS):
        with pytest.raises(sms_codes.CodeRefused):
            sms_codes.check_code(phone=PHONE, code="000000", ip="10.0.0.9")
    with pytest.raises(sms_codes.CodeRefused, match="Too many wrong codes"):
        sms_codes.check_code(phone=PHONE, code="123456", ip="10.0.0.9")


def test_known_and_unknown_numbers_get_the_same_answer(family, caplog):
    known, unknown = Client(), Client()
    with caplog.at_level(logging.INFO, logger="runxin.notify"):
        a = known.post(LOGIN, {"phone": PHONE})
        b = unknown.post(LOGIN, {"phone": "13999999999"})
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"])
    page_a = re.sub(r"138\*{4}2222|139\*{4}9999", "X", known.get(CODE).content.decode())
    page_b = re.sub(r"138\*{4}2222|139\*{4}9999", "X", unknown.get(CODE).content.decode())
    strip = re.compile(r"[A-Za-z0-9]{64}")  # the CSRF tokens
    assert strip.sub("", page_a) == strip.sub("", page_b)
    assert "13999999999" not in caplog.text  # nothing was sent to a number on no roster
    assert not SignInCode.objects.filter(phone="13999999999").exists()
    # … and limits apply to the unknown number just as to a known one.
    assert unknown.post(LOGIN, {"phone": "13999999999"}).status_code == 400


def test_a_malformed_number_is_explained(world):
    response = Client().post(LOGIN, {"phone": "12345"})
    assert response.status_code == 400 and "11-digit" in response.content.decode()


def test_the_printed_invitation_opens_the_account(family, client_for):
    head = client_for(family.head)
    url = reverse("accounts:parent_invitations", args=[family.class1.pk])
    assert "1 guardian" in head.get(url).content.decode() or "guardians" in head.get(url).content.decode()
    sheet = head.post(url).content.decode()
    codes = re.findall(r'class="stat invitation-code">([A-Z0-9]{4}-[A-Z0-9]{4})<', sheet)
    assert codes and "李二" in sheet
    invitation = InvitationCode.objects.get(guardian__student=family.a2)
    assert all(code.replace("-", "") not in invitation.code_hash for code in codes)
    guest = Client()
    wrong_phone = guest.post(INVITE, {"phone": "13800000000", "code": codes[-1]})
    assert wrong_phone.status_code == 400 and "do not match" in wrong_phone.content.decode()
    # 李二's guardian is the second of the class's two with a phone (张一's first), in name order 李 < 张.
    code = next(c for c in codes if parents._hash(parents.normalise_code(c)) == invitation.code_hash)
    response = guest.post(INVITE, {"phone": PHONE, "code": code.lower()})
    assert response.status_code == 302 and response["Location"] == FAMILY
    assert scope.students(User.objects.get(username=f"parent-{PHONE}"), roles.PARENT_HOME).count() == 2
    assert Client().post(INVITE, {"phone": PHONE, "code": code}).status_code == 400  # used once


def test_printing_again_voids_the_earlier_letters(family, client_for):
    head = client_for(family.head)
    url = reverse("accounts:parent_invitations", args=[family.class1.pk])
    head.post(url)
    head.post(url)
    assert InvitationCode.objects.filter(guardian__student=family.a2, voided_at__isnull=True).count() == 1
    assert InvitationCode.objects.filter(guardian__student=family.a2, voided_at__isnull=False).count() == 1


@pytest.mark.parametrize("who", ["outsider", "parent", "student_user", "mentor", "committee"])
def test_others_cannot_print_a_class_letters(family, client_for, who):
    url = reverse("accounts:parent_invitations", args=[family.class1.pk])
    assert client_for(getattr(family, who)).post(url).status_code in {403, 404}
    assert not InvitationCode.objects.exists()


def test_a_head_teacher_of_another_class_cannot_print_them(family, client_for):
    other_head = f.UserFactory(username="head2")
    f.assign(other_head, "head_teacher", family.class2)
    url = reverse("accounts:parent_invitations", args=[family.class1.pk])
    assert client_for(other_head).post(url).status_code == 404
    assert not InvitationCode.objects.exists()


def test_a_parent_with_two_children_sees_both_and_no_third(family, caplog):
    client, user = _sign_in(caplog)
    assert set(scope.students(user, roles.PARENT_HOME)) == {family.a2, family.b1}
    assert not scope.students(user, roles.STUDENT_ROSTER).exists()
    page = client.get(FAMILY).content.decode()
    assert "张一" not in page and "赵四" not in page
    # The report form offers exactly the two children.
    form = client.get(reverse("alerts:parent_report")).content.decode()
    assert "李二" in form and "王三" in form and "张一" not in form
    response = client.post(reverse("alerts:parent_report"), {"student": family.a1.pk, "summary": "x", "urgency": "concern"})
    assert response.status_code in {400, 403}


def test_a_guardian_taken_off_the_roster_loses_the_child_at_once(family, caplog):
    client, user = _sign_in(caplog)
    # The roster changes the number of 王三's guardian: access to 王三 ends with the next request.
    Guardian.objects.filter(student=family.b1).update(phone="13700001111")
    page = client.get(FAMILY).content.decode()
    assert "李二" in page and "王三" not in page
    # The row of 李二's guardian is deleted: nothing is left.
    Guardian.objects.filter(student=family.a2).delete()
    assert client.get(FAMILY).status_code == 403
    scope.forget(user)
    assert not scope.students(user, roles.PARENT_HOME).exists()
    # Signing in again is refused (no roster lists the number), the role rows are tidied on the next sign-in.
    cache.clear()
    caplog.clear()
    assert _ask_code(Client(), caplog) is None


def test_signing_in_again_ends_the_roles_of_children_no_longer_listed(family, caplog):
    _client, user = _sign_in(caplog)
    Guardian.objects.filter(student=family.b1).update(phone="13700001111")
    parents.account_for_phone(PHONE)
    assert set(RoleAssignment.objects.filter(user=user, role="parent", is_active=True)
               .values_list("student_id", flat=True)) == {family.a2.pk}


def test_the_home_lists_a_pending_consent_and_the_status_of_a_report(family, caplog):
    open_campaign(family, grades=[7])
    client, user = _sign_in(caplog)
    page = client.get(FAMILY).content.decode()
    record = ConsentRecord.objects.get(target__student=family.a2)
    assert reverse("screening:guardian_consent", args=[record.token]) in page
    assert "2026 秋季开学普测" in page
    intake.parent_report(actor=user, student_id=family.a2.pk, summary="孩子最近不太说话。", urgency="concern")
    page = client.get(FAMILY).content.decode()
    assert "received" in page and "孩子最近不太说话" not in page
    # The parent answers through the consent page; the task moves to the answered list.
    client.post(reverse("screening:guardian_consent", args=[record.token]), {"decision": "consented"})
    page = client.get(FAMILY).content.decode()
    assert "you consented" in page


def test_the_home_shows_the_head_teacher(family, caplog):
    family.head.phone = "13600001234"
    family.head.save(update_fields=["phone"])
    client, _user = _sign_in(caplog)
    page = client.get(FAMILY).content.decode()
    assert "13600001234" in page and family.head.display_name in page


def test_a_parent_only_account_lands_on_the_family_page(world, client_for):
    response = client_for(world.parent).get(reverse("front:home"))
    assert response.status_code == 302 and response["Location"] == FAMILY


@pytest.mark.parametrize("who", ["outsider", "head", "psych", "student_user"])
def test_others_have_no_family_page(world, client_for, who):
    assert client_for(getattr(world, who)).get(FAMILY).status_code == 403


def test_a_parent_can_be_told_by_sms(world, caplog):
    """The notify path addresses a parent account by its phone (the roster guardian's)."""
    from runxin.notify.services import deliver_pending, notify

    notify(recipient_ids=[world.parent.pk], kind="parent.call_school", subject="请回电学校",
           channels=("sms",), dedupe="t-parent-sms")
    with caplog.at_level(logging.INFO, logger="runxin.notify"):
        deliver_pending()
    assert f"sms to {world.parent.phone}" in caplog.text
