"""The school's crisis intervention team (心理危机干预小组): the leader and psychology teacher name it, the school's
staff and the district centre read it, other schools see nothing; the page warns of a missing leader or
psychology teacher; every change is in the change log."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from runxin.cases import team
from runxin.cases.models import CrisisTeamMember
from runxin.testing import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def url(school):
    return reverse("cases:crisis_team", kwargs={"unit_id": school.pk})


def test_leader_names_members_and_the_page_lists_them_with_duty_phones(world, client_for):
    client = client_for(world.leader)
    response = client.post(url(world.school), {"op": "add", "user": world.psych.pk, "duty": "psych",
                                               "phone": "138 0000 1111"})
    assert response.status_code == 302
    response = client.post(url(world.school), {"op": "add", "user": world.leader.pk, "duty": "leader", "phone": ""})
    assert response.status_code == 302
    members = team.team_of(world.school)
    assert [(m.user, m.duty) for m in members] == [(world.leader, "leader"), (world.psych, "psych")]
    page = client.get(url(world.school)).content.decode()
    assert "138 0000 1111" in page and "Team leader" in page
    assert "has no leader" not in page and "no psychology teacher" not in page
    assert LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(CrisisTeamMember)).count() == 2


def test_page_warns_when_the_team_has_no_leader_or_no_psychology_teacher(world, client_for):
    page = client_for(world.psych).get(url(world.school)).content.decode()
    assert "The team has no leader" in page and "The team has no psychology teacher" in page
    team.member_add(actor=world.psych, school=world.school, user=world.head, duty="leader")
    page = client_for(world.psych).get(url(world.school)).content.decode()
    assert "The team has no leader" not in page and "The team has no psychology teacher" in page
    # A psychology teacher on the team counts whatever duty is written for her.
    team.member_add(actor=world.psych, school=world.school, user=world.psych, duty="member")
    assert not team.team_gaps(world.school)


def test_only_staff_of_the_school_one_leader_and_no_double_membership(world, client_for):
    with pytest.raises(team.TeamError):  # another school's psychology teacher
        team.member_add(actor=world.leader, school=world.school, user=world.other_psych, duty="member")
    with pytest.raises(team.TeamError):  # a parent holds a student-side role only
        team.member_add(actor=world.leader, school=world.school, user=world.parent, duty="member")
    team.member_add(actor=world.leader, school=world.school, user=world.head, duty="leader")
    with pytest.raises(team.TeamError, match="already has a leader"):
        team.member_add(actor=world.leader, school=world.school, user=world.leader, duty="leader")
    with pytest.raises(team.TeamError, match="already on the team"):
        team.member_add(actor=world.leader, school=world.school, user=world.head, duty="member")
    with pytest.raises(team.TeamError, match="duty phone"):
        team.member_add(actor=world.leader, school=world.school, user=world.psych, duty="psych", phone="call me")
    # The form refuses a person who is not on the school's staff list with a specific error, not a 500.
    response = client_for(world.leader).post(url(world.school), {"op": "add", "user": world.other_psych.pk,
                                                                 "duty": "member"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_ending_a_membership_keeps_the_row_with_its_end(world, client_for):
    member = team.member_add(actor=world.psych, school=world.school, user=world.head, duty="liaison")
    response = client_for(world.psych).post(url(world.school), {"op": "end", "member": member.pk})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.ended_at is not None and team.team_of(world.school) == []
    # The same person can be named again afterwards.
    team.member_add(actor=world.psych, school=world.school, user=world.head, duty="member")


def test_school_staff_and_district_centre_read_only(world, client_for):
    member = team.member_add(actor=world.psych, school=world.school, user=world.psych, duty="psych", phone="12345")
    for reader in (world.head, world.mentor, world.district_centre, world.city_centre):
        client = client_for(reader)
        page = client.get(url(world.school))
        assert page.status_code == 200, reader
        assert "12345" in page.content.decode() and "Add a member" not in page.content.decode()
        assert client.post(url(world.school), {"op": "end", "member": member.pk}).status_code == 403
    assert team.team_of(world.school) == [member]


def test_another_school_and_the_west_district_see_nothing(world, client_for):
    team.member_add(actor=world.psych, school=world.school, user=world.psych, duty="psych", phone="12345")
    west_centre = f.UserFactory(username="west_centre")
    f.assign(west_centre, "centre_staff", world.west)
    for stranger in (world.other_psych, west_centre):
        assert client_for(stranger).get(url(world.school)).status_code == 404
    assert client_for(world.parent).get(url(world.school)).status_code == 403
    with pytest.raises(PermissionDenied):
        team.member_add(actor=world.other_psych, school=world.school, user=world.head, duty="member")
    with pytest.raises(PermissionDenied):  # the district centre reads, the school names its team
        team.member_add(actor=world.district_centre, school=world.school, user=world.head, duty="member")
