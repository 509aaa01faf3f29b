"""Break-glass (紧急访问): a care-team member opens a student outside their scope, with a reason, for a while."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from runxin.access import break_glass, scope
from runxin.access.models import BreakGlassGrant, ReadEvent

pytestmark = pytest.mark.django_db

URL = "/access/break-glass/"
REASON = "Student brought to our counseling room in crisis by a friend"


def ask(client, number, reason=REASON):
    return client.post(URL, {"student_number": number, "reason": reason})


def test_psych_teacher_of_another_school_opens_the_student_and_every_read_is_marked(world, client_for, settings):
    client = client_for(world.other_psych)
    assert client.get(reverse("people:student_detail", args=[world.a1.pk])).status_code == 404
    response = ask(client, world.a1.student_number)
    assert response.status_code == 302 and response["Location"] == reverse("people:student_detail", args=[world.a1.pk])
    grant = BreakGlassGrant.objects.get()
    assert grant.user == world.other_psych and grant.reason == REASON
    hours = (grant.expires_at - grant.granted_at).total_seconds() / 3600
    assert round(hours, 2) == settings.BREAK_GLASS_HOURS
    assert client.get(reverse("people:student_detail", args=[world.a1.pk])).status_code == 200
    read = ReadEvent.objects.get(user=world.other_psych)
    assert read.via_break_glass and read.student == world.a1


def test_the_grant_never_opens_clinical_records_and_ends_on_its_own(world):
    from django.http import Http404

    from runxin.access import roles

    break_glass.break_glass_request(user=world.other_psych, student_number=world.a1.student_number, reason=REASON)
    assert scope.student_or_404(world.other_psych, world.a1.pk) == world.a1
    with pytest.raises(Http404):
        scope.student_or_404(world.other_psych, world.a1.pk, roles.STUDENT_CLINICAL)
    BreakGlassGrant.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(Http404):
        scope.student_or_404(world.other_psych, world.a1.pk)


@pytest.mark.parametrize("reason", ["", "help", "   short    "])
def test_a_reason_of_at_least_ten_characters_is_required(world, client_for, reason):
    response = ask(client_for(world.other_psych), world.a1.student_number, reason)
    assert response.status_code == 400
    assert BreakGlassGrant.objects.count() == 0
    # What was typed is kept.
    assert world.a1.student_number in response.content.decode()


def test_unknown_number_is_refused_clearly(world, client_for):
    response = ask(client_for(world.other_psych), "G999")
    assert response.status_code == 400 and "G999" in response.content.decode()
    assert BreakGlassGrant.objects.count() == 0


def test_own_student_needs_no_grant(world, client_for):
    response = ask(client_for(world.psych), world.a1.student_number)
    assert response.status_code == 302 and BreakGlassGrant.objects.count() == 0


def test_an_open_grant_is_reused_not_stacked(world, client_for):
    client = client_for(world.other_psych)
    ask(client, world.a1.student_number)
    ask(client, world.a1.student_number)
    assert BreakGlassGrant.objects.count() == 1


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor", "city_admin", "supervisor", "committee",
                                 "hotline", "parent", "student_user", "outsider"])
def test_administrators_and_roles_without_care_permissions_cannot_use_it(world, client_for, who):
    client = client_for(getattr(world, who))
    assert client.get(URL).status_code == 403
    assert ask(client, world.a1.student_number).status_code == 403
    assert BreakGlassGrant.objects.count() == 0


def test_an_administrator_who_also_holds_a_care_role_is_still_refused(world):
    from runxin.testing.factories import assign

    assign(world.secadmin, "psych_teacher", world.other_school)
    scope.forget(world.secadmin)
    assert not break_glass.may_use(world.secadmin)
    with pytest.raises(break_glass.BreakGlassRefused):
        break_glass.break_glass_request(user=world.secadmin, student_number=world.a1.student_number, reason=REASON)


def test_page_lists_own_recent_grants_by_number(world, client_for):
    client = client_for(world.other_psych)
    ask(client, world.a1.student_number)
    body = client.get(URL).content.decode()
    assert world.a1.student_number in body and REASON in body
    assert "张一" not in body


def test_head_teacher_and_mentor_may_use_it(world, client_for):
    for user, student in ((world.head, world.b1), (world.mentor, world.a2)):
        response = ask(client_for(user), student.student_number)
        assert response.status_code == 302
    assert BreakGlassGrant.objects.count() == 2
