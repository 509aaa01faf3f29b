"""Post-incident review (复盘, issue 12 item 8): the school opens it, the district and city centres read and add to
it, other schools and districts see nothing; a structured timeline, findings and actions (encrypted at rest);
finalising needs findings and actions and freezes the review; reads naming a student are audited."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from runxin.access.models import ReadEvent
from runxin.cases import incidents
from runxin.cases.models import IncidentReview
from runxin.notify.models import Notification
from runxin.testing import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CANARY = "蓝鲸-canary-4410 天台"


def yesterday():
    return timezone.localdate() - dt.timedelta(days=1)


def review_url(review):
    return reverse("cases:incident", kwargs={"review_id": review.pk})


def open_review(world, **kw):
    return incidents.review_create(actor=world.psych, school=world.school, kind="attempt", incident_on=yesterday(),
                                   student=world.a1, **kw)


def test_school_opens_a_review_from_the_page_and_the_district_centre_is_told(world, client_for):
    response = client_for(world.psych).post(reverse("cases:incident_new"), {
        "school": world.school.pk, "kind": "attempt", "incident_on": yesterday().isoformat(),
        "student_number": world.a1.student_number})
    review = IncidentReview.objects.get()
    assert response.status_code == 302 and response["Location"] == review_url(review)
    assert (review.school, review.district, review.student, review.author, review.status) == (
        world.school, world.east, world.a1, world.psych, "draft")
    notice = Notification.objects.get(kind="incident_review")
    assert notice.recipient == world.district_centre and world.a1.name not in notice.body


def test_bad_input_on_the_new_review_is_a_form_error(world, client_for):
    client = client_for(world.psych)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    body = client.post(reverse("cases:incident_new"), {"school": world.school.pk, "kind": "attempt",
                                                       "incident_on": tomorrow}).content.decode()
    assert "cannot be in the future" in body
    body = client.post(reverse("cases:incident_new"), {
        "school": world.school.pk, "kind": "attempt", "incident_on": yesterday().isoformat(),
        "student_number": world.w1.student_number}).content.decode()  # another district's student
    assert "No student with this number" in body
    body = client.post(reverse("cases:incident_new"), {"school": world.other_school.pk, "kind": "attempt",
                                                       "incident_on": yesterday().isoformat()}).content.decode()
    assert "Select a valid choice" in body
    assert not IncidentReview.objects.exists()


def test_timeline_findings_actions_and_finalise(world, client_for):
    review = open_review(world)
    client = client_for(world.psych)
    at = (timezone.localtime() - dt.timedelta(days=1)).replace(hour=21, minute=5)
    assert client.post(review_url(review), {"op": "line", "at": at.strftime("%Y-%m-%dT%H:%M"),
                                            "what": "宿管发现学生在天台"}).status_code == 302
    assert client.post(review_url(review), {"op": "line", "at": at.replace(hour=20).strftime("%Y-%m-%dT%H:%M"),
                                            "what": "晚自习缺席"}).status_code == 302
    lines = incidents.timeline_of(IncidentReview.objects.get(pk=review.pk))
    assert [line["what"] for line in lines] == ["晚自习缺席", "宿管发现学生在天台"]  # in time order
    # Finalising without findings and actions is refused with the reason.
    page = client.post(review_url(review), {"op": "finalise"}, follow=True).content.decode()
    assert "Write the findings and the actions" in page
    assert IncidentReview.objects.get(pk=review.pk).status == "draft"
    client.post(review_url(review), {"op": "text", "findings": CANARY, "actions": "每晚宿舍点名；班主任与家长周联系"})
    assert client.post(review_url(review), {"op": "finalise"}).status_code == 302
    review.refresh_from_db()
    assert review.status == "final" and review.finalised_by == world.psych and review.findings == CANARY
    page = client.get(review_url(review)).content.decode()
    assert CANARY in page and "宿管发现学生在天台" in page and "Add a line" not in page
    with pytest.raises(incidents.IncidentError):
        incidents.review_update(actor=world.psych, review=review, findings="改写")


def test_texts_are_encrypted_at_rest(world):
    review = open_review(world)
    incidents.review_update(actor=world.psych, review=review, findings=CANARY, actions=CANARY,
                            timeline=[{"at": timezone.now(), "what": CANARY}])
    with connection.cursor() as cursor:
        cursor.execute("SELECT findings, actions, timeline FROM cases_incidentreview WHERE id = %s", [review.pk])
        row = cursor.fetchone()
    assert all(CANARY not in value and "canary" not in value for value in row)
    assert IncidentReview.objects.get(pk=review.pk).findings == CANARY


def test_centres_read_and_add_other_schools_and_districts_see_nothing(world, client_for):
    review = open_review(world)
    for centre in (world.district_centre, world.city_centre):
        response = client_for(centre).get(review_url(review))
        assert response.status_code == 200 and world.a1.name in response.content.decode()
        assert world.a1.name in client_for(centre).get(reverse("cases:incidents")).content.decode()
    incidents.review_timeline_add(actor=world.district_centre, review=review, at=timezone.now(), what="区中心介入")
    west_centre = f.UserFactory(username="west_centre")
    f.assign(west_centre, "centre_staff", world.west)
    for outsider in (world.other_psych, west_centre):
        assert client_for(outsider).get(review_url(review)).status_code == 404
        assert world.a1.name not in client_for(outsider).get(reverse("cases:incidents")).content.decode()
        with pytest.raises(PermissionDenied):
            incidents.review_update(actor=outsider, review=review, findings="x")
    for refused in (world.head, world.mentor, world.city_admin):
        assert client_for(refused).get(review_url(review)).status_code == 403
    with pytest.raises(PermissionDenied):
        incidents.review_create(actor=world.other_psych, school=world.school, kind="other", incident_on=yesterday())


def test_reads_naming_a_student_are_audited(world, client_for):
    review = open_review(world)
    client_for(world.leader).get(review_url(review))
    client_for(world.leader).get(reverse("cases:incidents"))
    assert ReadEvent.objects.filter(user=world.leader, student=world.a1, record_type="cases.incident_review",
                                    record_id=str(review.pk)).count() == 2
