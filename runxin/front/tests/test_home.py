"""The role-aware home page: each role sees its own figures, and nothing beyond its reach."""

import pytest
from django.urls import reverse

from runxin.alerts import intake as alert_intake
from runxin.alerts.models import WarningLevel

pytestmark = pytest.mark.django_db


def _raise(world, student, level_code="red"):
    return alert_intake.warning_report(
        actor=world.head, student=student, source="observation", summary="情绪低落，多次提到不想活了",
        level=WarningLevel.objects.get(code=level_code),
    )


def test_psych_teacher_home_counts_open_warnings_by_level(world, client_for):
    _raise(world, world.a1)
    response = client_for(world.psych).get(reverse("front:home"))
    assert response.status_code == 200
    counts = {row.code: row.open for row in response.context["warnings"]}
    assert counts.get("red") == 1


def test_other_school_sees_no_count_of_this_schools_warnings(world, client_for):
    _raise(world, world.a1)
    response = client_for(world.other_psych).get(reverse("front:home"))
    assert sum(row.open for row in response.context["warnings"]) == 0


def test_roles_without_warning_pages_see_no_warning_summary(world, client_for):
    _raise(world, world.a1)
    for user in (world.auditor, world.outsider, world.committee):
        response = client_for(user).get(reverse("front:home"))
        assert response.status_code == 200
        assert response.context.get("warnings") is None


def test_the_navigation_groups_links_into_menus_and_keeps_a_lone_link_plain(world, client_for):
    """A psychology teacher's many pages sit in menus (students, screening, warnings, cases …); a menu with one
    link for this person is that link; nothing the person may not open is offered."""
    from django.test import RequestFactory

    from runxin.front import nav

    request = RequestFactory().get("/")
    request.user = world.psych
    entries = nav.items_for(request)
    menus = {entry["group"]: [link["url"] for link in entry["links"]] for entry in entries if "links" in entry}
    assert "/cases/students/" not in str(menus)
    assert {"students", "warnings", "cases"} <= set(menus)
    assert "/cases/plans/" in menus["cases"] and "/alerts/follow-ups/" in menus["warnings"]
    assert all(len(urls) >= 2 for urls in menus.values())
    tops = [entry["url"] for entry in entries if "links" not in entry]
    assert tops[0] == "/" and "/inbox/" in tops
    html = client_for(world.psych).get("/").content.decode()
    assert 'data-nav-group' in html and 'href="/cases/plans/"' in html
    # A student's navigation is a few plain links: no menu to open on a phone.
    request.user = world.student_user
    assert all("links" not in entry for entry in nav.items_for(request))
    assert "/cases/contact-policy/" not in str(nav.links_of(nav.items_for(request)))


def test_every_page_names_its_icon_and_the_icon_is_served(world, client_for, client):
    # Without a <link rel="icon"> each page view made the browser ask for /favicon.ico, a 404 in every log.
    import re

    from django.contrib.staticfiles import finders

    for response in (client_for(world.psych).get(reverse("front:home")), client.get(reverse("accounts:login"))):
        match = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', response.content.decode())
        assert match, "the page names no icon"
        found = finders.find(match.group(1).removeprefix("/static/"))
        assert found and "<svg" in open(found, encoding="utf-8").read()


def test_the_hotline_is_offered_the_report_form_and_no_key_student_link_it_may_not_open(world, client_for):
    # The operator's home showed only counts, and "key students · show them" led to a bare 400.
    body = client_for(world.hotline).get(reverse("front:home")).content.decode()
    assert 'id="report-card"' in body and reverse("alerts:report") in body
    assert "?flag=key" not in body
    body = client_for(world.psych).get(reverse("front:home")).content.decode()
    assert "?flag=key" in body


def test_a_student_sees_whether_a_questionnaire_waits(world, client_for):
    import re

    from runxin.screening.tests.helpers import notify_guardians, open_campaign

    client = client_for(world.student_user)
    body = client.get(reverse("front:home")).content.decode()
    assert '<p id="screenings-waiting"><span class="muted">' in body  # nothing waits, said plainly
    campaign = open_campaign(world, grades=[7])
    notify_guardians(world, campaign)
    body = client.get(reverse("front:home")).content.decode()
    waiting = re.search(r'<p id="screenings-waiting"><strong>([^<]*)</strong>', body)
    assert waiting and re.search(r"\b1\b", waiting.group(1))


def test_the_security_administrator_sees_the_accounts_that_need_them(world, client_for):
    # Their home showed their role and the region card; accounts were two menus away.
    from runxin.accounts.models import User

    User.objects.filter(pk=world.head.pk).update(must_change_password=True)
    response = client_for(world.secadmin).get(reverse("front:home"))
    body = response.content.decode()
    assert 'id="accounts-card"' in body and reverse("accounts:staff_create") in body
    assert "?status=locked" in body and "?status=must_change" in body
    temporary = User.objects.filter(must_change_password=True, role_assignments__isnull=False).distinct().count()
    assert response.context["accounts"] == {"locked": 0, "must_change": temporary} and temporary >= 1
    assert 'id="accounts-card"' not in client_for(world.psych).get(reverse("front:home")).content.decode()


def test_a_student_who_asked_for_help_sees_that_it_arrived(world, client_for):
    # After "I need help" the home page said nothing: a student waiting for the teacher pressed again and again.
    from runxin.alerts import intake

    client = client_for(world.student_user)
    assert 'id="help-asked"' not in client.get(reverse("front:home")).content.decode()
    intake.self_help_request(actor=world.student_user, message="睡不着")
    assert 'id="help-asked"' in client.get(reverse("front:home")).content.decode()
    # Another student's request is not theirs to see.
    assert 'id="help-asked"' not in client_for(world.head).get(reverse("front:home")).content.decode()


def test_a_partners_liaison_is_told_whom_to_call(world, client_for):
    # The police liaison's home showed only their role: nothing said what to do about a student in danger.
    from runxin.org import services as org_services
    from runxin.org.models import OrgUnit
    from runxin.testing import factories as f

    liaison = f.UserFactory(username="liaison", display_name="liaison")
    f.assign(liaison, "society_partner", org_services.unit_create(
        kind=OrgUnit.Kind.SOCIETY, name="东区公安分局", parent=world.east, partner_type="police"))
    body = client_for(liaison).get(reverse("front:home")).content.decode()
    assert 'id="pass-it-on"' in body and 'href="tel:' in body
    assert 'id="pass-it-on"' not in client_for(world.psych).get(reverse("front:home")).content.decode()
