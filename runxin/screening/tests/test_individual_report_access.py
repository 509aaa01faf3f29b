"""Who opens which voice of the individual report (issue 13): the professional report is the psychology teacher's
and the district centre's; the careful report reaches the student and the parents only after the psychology
teacher shares it, only their own, and no longer once withdrawn. Every opening is read-audited; every share and
withdrawal names who and when, in the row and in the change audit."""

import uuid

import pytest
from auditlog.models import LogEntry

from runxin.access.models import ReadEvent
from runxin.screening import individual_report, services
from runxin.screening.models import ReportShare, Submission
from runxin.testing import factories as f

from .helpers import gad7_answers, phqa_answers, target_of

pytestmark = pytest.mark.django_db


def hand_in(campaign, student, phqa=0, gad=0, q9=0) -> Submission:
    accepted = services.submission_accept(target=target_of(campaign, student), client_id=uuid.uuid4(),
                                          answers={"phqa": phqa_answers(phqa, q9=q9), "gad7": gad7_answers(gad)})
    return Submission.objects.get(pk=accepted.submission_id)


def parent_of(student, username: str):
    """A parent account linked to the student through the roster (as world.parent is to 张一)."""
    guardian = f.GuardianFactory(student=student, position=1)
    user = f.UserFactory(username=username, display_name=username, phone=guardian.phone)
    f.assign(user, "parent", student.school_class, student)
    guardian.user = user
    guardian.save(update_fields=["user"])
    return user


def urls(submission) -> dict[str, str]:
    base = f"/screening/results/{submission.pk}"
    return {"professional": f"{base}/report/", "professional_pdf": f"{base}/report.pdf",
            "preview": f"{base}/feedback/", "preview_pdf": f"{base}/feedback.pdf",
            "student": f"/screening/mine/reports/{submission.pk}/",
            "student_pdf": f"/screening/mine/reports/{submission.pk}.pdf",
            "parent": f"/screening/family/reports/{submission.pk}/",
            "parent_pdf": f"/screening/family/reports/{submission.pk}.pdf"}


@pytest.mark.parametrize("who", ["psych", "district_centre"])
def test_the_professional_report_opens_for_the_care_team_and_is_read_audited(world, client_for, campaign, who):
    submission = hand_in(campaign, world.a1, phqa=1)
    user = getattr(world, who)
    client = client_for(user)
    page = client.get(urls(submission)["professional"])
    assert page.status_code == 200 and "张一" in page.content.decode()
    document = client.get(urls(submission)["professional_pdf"])
    assert document.status_code == 200 and document["Content-Type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")
    reads = ReadEvent.objects.filter(user=user, student=world.a1, record_type=individual_report.READ_PROFESSIONAL,
                                     record_id=str(submission.pk))
    assert reads.count() == 2 and not reads.filter(via_break_glass=True).exists()


@pytest.mark.parametrize(("who", "status"), [
    ("head", 403), ("leader", 403), ("mentor", 403), ("city_admin", 403), ("outsider", 403), ("parent", 403),
    ("student_user", 403), ("other_psych", 404)])
def test_the_professional_report_is_refused_to_everyone_else(world, client_for, campaign, who, status):
    """A head teacher, the school leader and the family never open the professional voice; another school's
    psychology teacher does not learn that the result exists."""
    submission = hand_in(campaign, world.a1, phqa=1)
    client = client_for(getattr(world, who))
    assert client.get(urls(submission)["professional"]).status_code == status
    assert client.get(urls(submission)["professional_pdf"]).status_code == status
    assert not ReadEvent.objects.exists()


@pytest.mark.parametrize(("who", "status"), [
    ("head", 403), ("leader", 403), ("mentor", 403), ("parent", 403), ("student_user", 403), ("other_psych", 404)])
def test_only_who_may_share_previews_and_shares(world, client_for, campaign, who, status):
    submission = hand_in(campaign, world.a1)
    client = client_for(getattr(world, who))
    assert client.get(urls(submission)["preview"]).status_code == status
    assert client.get(urls(submission)["preview_pdf"]).status_code == status
    response = client.post(f"/screening/results/{submission.pk}/feedback/share/", {"audience": ["student", "parents"]})
    assert response.status_code == status
    assert not ReportShare.objects.exists()


def test_nothing_reaches_the_family_before_sharing(world, client_for, campaign):
    submission = hand_in(campaign, world.a1, phqa=2)
    parent, student = client_for(world.parent), client_for(world.student_user)
    for name in ("student", "student_pdf"):
        assert student.get(urls(submission)[name]).status_code == 404
    for name in ("parent", "parent_pdf"):
        assert parent.get(urls(submission)[name]).status_code == 404
    assert "/screening/mine/reports/" not in student.get("/screening/mine/").content.decode()
    assert "/screening/family/reports/" not in parent.get("/family/").content.decode()
    # The preview itself is the teacher's: reading it is audited as such, not as the family's reading.
    assert client_for(world.psych).get(urls(submission)["preview"]).status_code == 200
    kinds = set(ReadEvent.objects.values_list("record_type", flat=True))
    assert individual_report.READ_PREVIEW in kinds and not kinds & set(individual_report.READ_BY.values())


def test_shared_with_the_parents_only_the_parents_of_that_child_see_it(world, client_for, campaign):
    submission = hand_in(campaign, world.a1, phqa=1)
    response = client_for(world.psych).post(f"/screening/results/{submission.pk}/feedback/share/",
                                            {"audience": "parents"})
    assert response.status_code == 302 and response["Location"] == urls(submission)["preview"]
    share = ReportShare.objects.get()
    assert (share.audience, share.shared_by, share.student, share.withdrawn_at) == (
        "parents", world.psych, world.a1, None)

    parent = client_for(world.parent)
    home = parent.get("/family/").content.decode()
    assert urls(submission)["parent"] in home
    page = parent.get(urls(submission)["parent"])
    assert page.status_code == 200 and "张一" in page.content.decode()
    assert parent.get(urls(submission)["parent_pdf"])["Content-Type"] == "application/pdf"
    assert ReadEvent.objects.filter(user=world.parent, student=world.a1, record_type="screening.report.parents",
                                    via_break_glass=False).count() == 2
    # Not the student (the teacher chose the parents only), not another child's parent.
    assert client_for(world.student_user).get(urls(submission)["student"]).status_code == 404
    other_parent = parent_of(world.a2, "parent_a2")
    assert client_for(other_parent).get(urls(submission)["parent"]).status_code == 404
    assert urls(submission)["parent"] not in client_for(other_parent).get("/family/").content.decode()
    # The teacher sees that the parents opened it.
    preview = client_for(world.psych).get(urls(submission)["preview"]).content.decode()
    assert "opened 2 times" in preview


def test_a_student_sees_only_their_own_shared_report(world, client_for, campaign):
    mine = hand_in(campaign, world.a1)
    theirs = hand_in(campaign, world.a2)
    psych = client_for(world.psych)
    for submission in (mine, theirs):
        psych.post(f"/screening/results/{submission.pk}/feedback/share/", {"audience": ["student", "parents"]})
    student = client_for(world.student_user)
    listing = student.get("/screening/mine/").content.decode()
    assert urls(mine)["student"] in listing and urls(theirs)["student"] not in listing
    assert student.get(urls(mine)["student"]).status_code == 200
    assert student.get(urls(mine)["student_pdf"]).status_code == 200
    assert student.get(urls(theirs)["student"]).status_code == 404
    assert student.get(urls(theirs)["student_pdf"]).status_code == 404
    # The student's address is not the parent's: a parent asking the student's page is refused by the permission.
    assert client_for(world.parent).get(urls(mine)["student"]).status_code == 403
    assert client_for(world.student_user).get(urls(mine)["parent"]).status_code == 403


def test_withdrawn_means_gone_and_the_history_says_who_and_when(world, client_for, campaign):
    submission = hand_in(campaign, world.a1)
    psych = client_for(world.psych)
    psych.post(f"/screening/results/{submission.pk}/feedback/share/", {"audience": ["student", "parents"]})
    assert client_for(world.parent).get(urls(submission)["parent"]).status_code == 200

    psych.post(f"/screening/results/{submission.pk}/feedback/withdraw/", {"audience": "parents"})
    assert client_for(world.parent).get(urls(submission)["parent"]).status_code == 404
    assert client_for(world.parent).get(urls(submission)["parent_pdf"]).status_code == 404
    assert urls(submission)["parent"] not in client_for(world.parent).get("/family/").content.decode()
    assert client_for(world.student_user).get(urls(submission)["student"]).status_code == 200  # still shared
    withdrawn = ReportShare.objects.get(audience="parents")
    assert withdrawn.withdrawn_by == world.psych and withdrawn.withdrawn_at is not None

    # Sharing again is a new row: the earlier sharing and its withdrawal stay in the history.
    client_for(world.district_centre).post(f"/screening/results/{submission.pk}/feedback/share/",
                                           {"audience": "parents"})
    assert ReportShare.objects.filter(audience="parents").count() == 2
    assert ReportShare.objects.get(audience="parents", withdrawn_at__isnull=True).shared_by == world.district_centre
    assert client_for(world.parent).get(urls(submission)["parent"]).status_code == 200
    history = psych.get(urls(submission)["preview"]).content.decode()
    assert "withdrawn by psych" in history and "shared by east_centre" in history
    # The change audit holds each share and the withdrawal, linked to the student.
    entries = LogEntry.objects.get_for_model(ReportShare)
    assert entries.filter(action=LogEntry.Action.CREATE).count() == 3
    assert entries.filter(action=LogEntry.Action.UPDATE).count() == 1


def test_sharing_twice_is_one_share_and_an_empty_choice_shares_nothing(world, client_for, campaign):
    submission = hand_in(campaign, world.a1)
    psych = client_for(world.psych)
    psych.post(f"/screening/results/{submission.pk}/feedback/share/", {"audience": "student"})
    psych.post(f"/screening/results/{submission.pk}/feedback/share/", {"audience": "student"})
    assert ReportShare.objects.count() == 1
    response = psych.post(f"/screening/results/{submission.pk}/feedback/share/", {}, follow=True)
    assert "Choose the student, the parents or both." in response.content.decode()
    assert ReportShare.objects.count() == 1
    # A GET does not share.
    assert psych.get(f"/screening/results/{submission.pk}/feedback/share/").status_code == 405
