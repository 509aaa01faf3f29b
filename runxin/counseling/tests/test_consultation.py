"""Consultation (会诊): the school asks, the district pool's experts are told and answer, the school reads the
opinions and closes with a conclusion; the pool is kept by the district centre; who sees what."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from runxin.access import scope
from runxin.access.models import ReadEvent
from runxin.counseling import selectors, services
from runxin.counseling.models import Consultation, ConsultationOpinion, ExpertPoolMember
from runxin.notify.models import Notification
from runxin.testing import factories as f

pytestmark = pytest.mark.django_db

QUESTION = "反复自伤，家长不配合，是否需要转介？"


@pytest.fixture
def expert(world):
    user = f.UserFactory(username="expert", display_name="专家甲")
    f.assign(user, "centre_staff", world.east)
    ExpertPoolMember.objects.create(district=world.east, user=user, speciality="青少年自伤")
    return user


def ask(world, actor=None, student=None):
    return services.consultation_request(actor=actor or world.psych, student=student or world.a1, question=QUESTION)


def test_the_school_asks_and_the_pools_active_experts_are_told(world, client_for, expert):
    retired = f.UserFactory(username="retired")
    f.assign(retired, "centre_staff", world.east)
    ExpertPoolMember.objects.create(district=world.east, user=retired, is_active=False)
    response = client_for(world.psych).post(reverse("counseling:consult_new", args=[world.a1.pk]),
                                            {"question": QUESTION})
    consultation = Consultation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("counseling:consultation",
                                                                           args=[consultation.pk])
    assert (consultation.district, consultation.school, consultation.status) == (world.east, world.school, "requested")
    told = Notification.objects.filter(kind="consultation.requested")
    assert list(told.values_list("recipient", flat=True)) == [expert.pk]
    assert "张一" not in told.get().subject and QUESTION not in told.get().subject + told.get().body


def test_without_an_expert_in_the_pool_the_district_centre_is_told(world):
    ask(world)
    assert set(Notification.objects.filter(kind="consultation.requested").values_list("recipient", flat=True)) == {
        world.district_centre.pk}


def test_an_empty_question_is_refused_with_the_form_kept(world, client_for, english):
    response = client_for(world.leader).post(reverse("counseling:consult_new", args=[world.a1.pk]), {"question": " "})
    assert response.status_code == 400 and "Write the question." in response.content.decode()
    assert not Consultation.objects.exists()


def test_who_may_ask(world, client_for):
    assert client_for(world.leader).get(reverse("counseling:consult_new", args=[world.a1.pk])).status_code == 200
    assert client_for(world.head).get(reverse("counseling:consult_new", args=[world.a1.pk])).status_code == 403
    assert client_for(world.other_psych).get(reverse("counseling:consult_new", args=[world.a1.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        ask(world, actor=world.other_psych)


def test_the_expert_answers_the_school_reads_it_and_closes(world, client_for, expert):
    consultation = ask(world)
    expert_client = client_for(expert)
    listing = expert_client.get(reverse("counseling:consultations")).content.decode()
    assert "张一" in listing and reverse("counseling:consultation", args=[consultation.pk]) in listing
    page = expert_client.get(reverse("counseling:consultation", args=[consultation.pk])).content.decode()
    assert QUESTION in page and 'value="opinion"' in page
    response = expert_client.post(reverse("counseling:consultation", args=[consultation.pk]), {
        "action": "opinion", "opinion": "建议尽快转介专科医院", "recommendations": "每日联系家长"})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == "answered"
    assert Notification.objects.filter(kind="consultation.answered", recipient=world.psych).exists()
    school_page = client_for(world.psych).get(reverse("counseling:consultation", args=[consultation.pk]))
    assert "建议尽快转介专科医院" in school_page.content.decode() and "每日联系家长" in school_page.content.decode()
    assert 'value="opinion"' not in school_page.content.decode()  # the school does not answer itself
    assert ReadEvent.objects.filter(user=world.psych, record_type="counseling.consultation",
                                    record_id=str(consultation.pk)).exists()
    client_for(world.psych).post(reverse("counseling:consultation", args=[consultation.pk]),
                                 {"action": "close", "conclusion": "转介市精神卫生中心"})
    consultation.refresh_from_db()
    assert (consultation.status, consultation.conclusion, consultation.closed_by) == ("closed", "转介市精神卫生中心",
                                                                                       world.psych)
    assert Notification.objects.filter(kind="consultation.closed", recipient=expert).exists()
    # closed: no more opinions
    with pytest.raises(PermissionDenied):
        services.consultation_opinion(actor=expert, consultation=consultation, opinion="再补充")


def test_only_experts_of_the_district_pool_answer(world, client_for, expert):
    consultation = ask(world)
    # the district centre's staff not in the pool reads but does not answer; a city expert of another pool neither
    page = client_for(world.district_centre).get(reverse("counseling:consultation", args=[consultation.pk]))
    assert page.status_code == 200 and 'value="opinion"' not in page.content.decode()
    with pytest.raises(PermissionDenied):
        services.consultation_opinion(actor=world.district_centre, consultation=consultation, opinion="x")
    west_expert = f.UserFactory(username="west_expert")
    f.assign(west_expert, "centre_staff", world.west)
    ExpertPoolMember.objects.create(district=world.west, user=west_expert)
    assert client_for(west_expert).get(reverse("counseling:consultation", args=[consultation.pk])).status_code == 404
    assert not ConsultationOpinion.objects.exists()


def test_the_consultation_is_hidden_from_those_who_neither_ask_nor_answer(world, client_for, expert):
    consultation = ask(world)
    url = reverse("counseling:consultation", args=[consultation.pk])
    for user in (world.head, world.mentor, world.other_psych):
        assert client_for(user).get(url).status_code == 404, user
    for user in (world.hotline, world.parent, world.outsider):
        assert client_for(user).get(url).status_code in (403, 404), user
    assert client_for(world.head).get(reverse("counseling:consultations")).status_code == 403
    assert "张一" not in client_for(world.other_psych).get(reverse("counseling:consultations")).content.decode()
    # in the file the head teacher sees that a consultation exists, not the question
    entries = selectors.file_entries(world.head, world.a1, scope.permissions_for_student(world.head, world.a1))
    assert [e.kind for e in entries] == ["consultation"] and entries[0].detail == "" and entries[0].url == ""
    mine = selectors.file_entries(world.psych, world.a1, scope.permissions_for_student(world.psych, world.a1))
    assert mine[0].detail == QUESTION and mine[0].url == url


def test_pending_consultations_come_first(world, expert):
    first = ask(world)
    services.consultation_close(actor=world.psych, consultation=first, conclusion="已解决")
    second = ask(world, student=world.b1)
    rows, _cut = selectors.consultation_list(expert)
    assert [c.pk for c in rows] == [second.pk, first.pk]


def test_a_bad_post_shows_the_page_with_the_error(world, client_for, expert, english):
    consultation = ask(world)
    response = client_for(expert).post(reverse("counseling:consultation", args=[consultation.pk]),
                                       {"action": "opinion", "opinion": "", "recommendations": "留着"})
    assert response.status_code == 400 and "Write the opinion." in response.content.decode()
    assert "留着" in response.content.decode()
    # the school cannot post an opinion by hand
    assert client_for(world.psych).post(reverse("counseling:consultation", args=[consultation.pk]),
                                        {"action": "opinion", "opinion": "x"}).status_code == 403


# ------------------------------------------------------------------------------------------- the pool

def test_the_district_centre_keeps_its_pool(world, client_for):
    client = client_for(world.district_centre)
    page = client.get(reverse("counseling:experts")).content.decode()
    assert "东区" in page and "east_centre" in page  # they may add themselves
    response = client.post(reverse("counseling:experts"), {"district": world.east.pk, "action": "add",
                                                           "user": world.district_centre.pk, "speciality": "危机干预"})
    assert response.status_code == 302
    member = ExpertPoolMember.objects.get()
    assert (member.district, member.user, member.speciality, member.is_active) == (
        world.east, world.district_centre, "危机干预", True)
    client.post(reverse("counseling:experts"), {"district": world.east.pk, "action": "deactivate", "member": member.pk})
    member.refresh_from_db()
    assert member.is_active is False


def test_only_centre_staff_of_the_district_or_city_join_the_pool(world, client_for, english):
    response = client_for(world.district_centre).post(reverse("counseling:experts"), {
        "district": world.east.pk, "action": "add", "user": world.psych.pk})
    assert response.status_code == 400 and "Only centre staff" in response.content.decode()
    with pytest.raises(services.CounselingError):
        services.expert_add(actor=world.district_centre, district=world.east, user=world.psych)
    # a city centre member may sit in the district pool; the east centre cannot manage the west pool
    services.expert_add(actor=world.district_centre, district=world.east, user=world.city_centre)
    with pytest.raises(PermissionDenied):
        services.expert_add(actor=world.district_centre, district=world.west, user=world.city_centre)
    for user in (world.psych, world.leader, world.head):
        assert client_for(user).get(reverse("counseling:experts")).status_code == 403
