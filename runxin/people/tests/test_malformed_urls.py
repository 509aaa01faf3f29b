"""Huge or malformed ids, page numbers and dates in an address answer 404 or 400 (or fall back to page 1),
never 500: path ids go through the bounded <id:…> converter, query strings through the views' parsing."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"  # more digits than a bigint holds
OVER_BIGINT = "9999999999999999999"  # 19 digits, above 2**63 - 1
UNUSED = "999999999999"  # a well-formed id nobody has


def signed_in(world, who: str) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(getattr(world, who))
    return client


PATHS = [
    ("psych", "/students/{id}/"),
    ("psych", "/org/{id}/"),
    ("psych", "/org/{id}/children/"),
    ("leader", "/org/rollover/runs/{id}/"),
    ("psych", "/imports/{id}/"),
    ("psych", "/imports/{id}/rejected.csv"),
    ("secadmin", "/accounts/staff/{id}/"),
    ("leader", "/accounts/staff/mentors/{id}/"),
    ("auditor", "/audit/changes/{id}/"),
]


@pytest.mark.parametrize("number", [HUGE, OVER_BIGINT, UNUSED])
@pytest.mark.parametrize(("who", "pattern"), PATHS)
def test_huge_or_unused_id_in_the_path_is_404(world, who, pattern, number):
    response = signed_in(world, who).get(pattern.format(id=number))
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode() or response.templates[0].name == "404.html"


@pytest.mark.parametrize("number", [HUGE, OVER_BIGINT])
@pytest.mark.parametrize(("who", "pattern"), [
    ("psych", "/inbox/{id}/open/"),
    ("psych", "/imports/{id}/import/"),
    ("secadmin", "/accounts/staff/{id}/deactivate/"),
    ("secadmin", "/accounts/staff/{id}/roles/{id}/end/"),
    ("leader", "/accounts/staff/mentors/{id}/pairs/{id}/end/"),
])
def test_huge_id_in_a_posted_path_is_404(world, who, pattern, number):
    assert signed_in(world, who).post(pattern.format(id=number)).status_code == 404


BAD_PAGES = ["99999999999999999999", "1000000000000000000", "-1", "0", "abc", "1e5", "", "٣"]

LISTS = [
    ("psych", "/students/"),
    ("head", "/students/"),
    ("secadmin", "/accounts/staff/"),
    ("psych", "/inbox/"),
]


@pytest.mark.parametrize("page", BAD_PAGES)
@pytest.mark.parametrize(("who", "url"), LISTS)
def test_bad_page_number_falls_back_to_the_first_page(world, who, url, page):
    response = signed_in(world, who).get(url, {"page": page})
    assert response.status_code == 200
    assert response.context["page"].number == 1


def test_student_list_still_lists_students_on_a_bad_page(world):
    response = signed_in(world, "head").get("/students/", {"page": "99999999999999999999"})
    assert {s.name for s in response.context["page"].rows} == {"张一", "李二"}


@pytest.mark.parametrize("param", ["school", "class", "grade"])
@pytest.mark.parametrize("value", [HUGE, OVER_BIGINT, "-5", "abc"])
def test_bad_filter_ids_on_the_student_list_never_500(world, param, value):
    response = signed_in(world, "psych").get("/students/", {param: value})
    assert response.status_code == 200
    assert "<table" in response.content.decode() or response.context["page"].rows == []


@pytest.mark.parametrize("value", [HUGE, OVER_BIGINT])
def test_class_options_with_a_huge_school_id_never_500(world, value):
    response = signed_in(world, "psych").get("/students/class-options/", {"school": value})
    assert response.status_code in {200, 400}
    assert "七年级" not in response.content.decode()


@pytest.mark.parametrize("value", [HUGE, OVER_BIGINT, "abc"])
def test_mentor_candidates_with_a_bad_class_never_500(world, value):
    response = signed_in(world, "leader").get(f"/accounts/staff/mentors/{world.mentor.pk}/", {"class": value})
    assert response.status_code in {200, 400}


@pytest.mark.parametrize("value", [HUGE, OVER_BIGINT, "abc", "-1"])
def test_rollover_with_a_bad_unit_is_404(world, value):
    assert signed_in(world, "leader").get("/org/rollover/", {"unit": value}).status_code == 404


BAD_AUDIT_QUERIES = [
    {"date_from": "2026-13-45"},
    {"date_to": "abc"},
    {"date_from": "99999-01-01"},
    {"date_to": "9999-12-31"},
    {"date_from": "0001-01-01"},
    {"date_from": "9999-12-31", "date_to": "9999-12-31"},
    {"before": f"1.0.{HUGE}"},
    {"after": f"{HUGE}.0.1"},
    {"before": "abc"},
    {"after": "-1.-1.-1"},
    {"before": f"0.0.{OVER_BIGINT}"},
    {"subject": f"people.guardian#{HUGE}"},
    {"subject": HUGE},
]


@pytest.mark.parametrize("query", BAD_AUDIT_QUERIES)
def test_audit_search_with_bad_dates_or_positions_never_500(world, query):
    response = signed_in(world, "auditor").get("/audit/", query)
    assert response.status_code in {200, 400}
    body = response.content.decode()
    assert "<form" in body  # the search form is shown again, with what went wrong


@pytest.mark.parametrize("query", BAD_AUDIT_QUERIES[:6])
def test_audit_export_with_bad_dates_never_500(world, query):
    response = signed_in(world, "auditor").get("/audit/export/csv/", query)
    assert response.status_code in {200, 400}
    if response.status_code == 200:
        b"".join(response.streaming_content)
