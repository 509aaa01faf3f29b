"""The daily key-case report's figures agree with its lists: every headline count is the number of rows listed
under it (page, PDF, e-mail); the open key cases (在管重点个案); the city's report for the city centre and the
supervisor (督导), who reads warning numbers, not names; bad ?day= and ?page= are answered, not a 500."""

import re
from dataclasses import replace

import pytest
from django.urls import reverse

from runxin.access import roles
from runxin.access.models import ReadEvent
from runxin.alerts import daily, intake, selectors_reports
from runxin.notify.models import Notification

from .test_daily import DAY, day_of_events  # noqa: F401 — the shared fixture, used through `events`

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(day_of_events):  # noqa: F811
    """test_daily's Friday: a red raised and escalated, an old orange overdue, a yellow cleared (east), and a
    yellow at the west school."""
    return day_of_events


@pytest.fixture(autouse=True)
def supervisor_reads_daily_reports(monkeypatch):
    """The supervisor (督导) holds ALERT_DAILY_REPORT (access/roles.py); made sure of here so these tests
    describe the report whatever the state of the role catalogue."""
    supervisor = roles.ROLES["supervisor"]
    monkeypatch.setitem(roles.ROLES, "supervisor", replace(
        supervisor, permissions=supervisor.permissions | {roles.ALERT_DAILY_REPORT}))


def _page(client, unit, **params) -> str:
    response = client.get(reverse("alerts:daily", args=[unit.pk]), {"day": DAY.isoformat(), **params})
    assert response.status_code == 200
    return response.content.decode()


def _headline(body: str, code: str) -> int:
    return int(re.search(rf'id="count-{code}">(\d+)<', body).group(1))


def _listed(body: str, code: str) -> int:
    table = re.search(rf'data-section="{code}">(.*?)</table>', body, re.S)
    return table.group(1).count('<tr class="case">') if table else 0


def _unit_table(body: str) -> tuple[list[list[int]], list[int]]:
    table = re.search(r'data-table="by-unit">(.*?)</table>', body, re.S).group(1)
    rows = [[int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)]
            for row in re.findall(r'<tr class="unit">(.*?)</tr>', table, re.S)]
    total = [int(n) for n in re.findall(r'data-total="\w+">(\d+)<', table)]
    return rows, total


def test_school_headlines_are_the_rows_listed(events, client_for):
    body = _page(client_for(events.psych), events.school)
    expected = {"new": 2, "escalated": 2, "overdue": 2, "cleared": 1, "open": 3}
    for code in daily.SECTIONS:
        assert _headline(body, code) == _listed(body, code) == expected[code], code
    assert 'data-table="by-unit"' not in body


def test_district_headlines_are_its_rows_and_the_school_table_has_its_own_total(events, client_for):
    world = events
    body = _page(client_for(world.district_centre), world.east)
    # The centre lists what it handles: the red (at once) and the orange (escalated); the school's yellow
    # is not listed, so "new" is 1 although the school had 2 new warnings.
    expected = {"new": 1, "escalated": 2, "overdue": 2, "cleared": 0, "open": 2}
    for code in daily.SECTIONS:
        assert _headline(body, code) == _listed(body, code) == expected[code], code
    rows, total = _unit_table(body)
    assert "Every warning, by school" in body and "All schools" in body
    assert total == [sum(column) for column in zip(*rows, strict=True)] == [2, 2, 2, 1, 3]


def test_the_email_lists_exactly_what_it_counts(events):
    world = events
    levels = daily.levels_by_id()
    for unit in (world.school, world.east, world.city):
        report = daily.build_one(unit, DAY)
        _subject, body = daily.email_text(report, levels, report.end)
        for code in daily.SECTIONS:
            label = daily.section_label(code)
            block = re.search(rf"^{re.escape(label)}: (\d+)\n((?:  #.*\n)*)", body, re.M)
            assert int(block.group(1)) == block.group(2).count("  #") == report.counts[code], (unit, code)
        for student in ("张一", "李二", "王三", "赵四"):
            assert student not in body


def test_the_pdf_lists_exactly_what_it_counts(events, monkeypatch):
    import reportlab.platypus

    tables = []
    real = reportlab.platypus.Table

    def capture(data, *args, **kwargs):
        tables.append(data)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(reportlab.platypus, "Table", capture)
    report = daily.build_one(events.east, DAY)
    assert daily.pdf(report, daily.levels_by_id()).startswith(b"%PDF")
    summary, *lists, by_school = tables
    counts = dict(zip(summary[0], (int(n) for n in summary[1]), strict=True))
    listed = [code for code in daily.SECTIONS if report.sections[code]]
    assert [len(t) - 1 for t in lists] == [counts[daily.section_label(c)] for c in listed]
    body, total = by_school[1:-1], by_school[-1]
    assert total[1:] == [str(sum(int(r[i]) for r in body)) for i in range(1, len(total))]


def test_open_key_cases_whatever_their_date_most_severe_first(events):
    report = daily.build_one(events.school, DAY)
    rows = report.sections[daily.OPEN_CASES]
    # The red of Friday, the orange raised on Monday (not in any 24-hour section of a later day), the yellow
    # cleared on Friday (cleared is still open: continued attention, 持续关注).
    assert [(r.student_name, r.days_open) for r in rows] == [("张一", 0), ("王三", 4), ("李二", 0)]
    later = daily.build_one(events.school, DAY.replace(day=14))
    assert not later.sections["new"] and [r.student_name for r in later.sections[daily.OPEN_CASES]] == [
        "张一", "王三", "李二"]
    assert [r.days_open for r in later.sections[daily.OPEN_CASES]] == [4, 8, 4]


def test_closed_and_dismissed_warnings_are_not_open_cases(world, frozen):
    from runxin.alerts import services

    warning = intake.warning_report(actor=world.psych, student=world.b1, source="observation", summary="x")
    warning = services.warning_acknowledge(warning=warning, actor=world.psych)
    services.warning_assess(warning=warning, actor=world.psych, confirm=False, reason="No risk.")
    frozen.advance(days=1)
    report = daily.build_one(world.school, daily.report_day(frozen.current))
    assert report.sections[daily.OPEN_CASES] == []


def test_the_city_report_for_the_centre_and_the_supervisor(events, client_for):
    world = events
    for user in (world.city_centre, world.supervisor):
        assert [u.pk for u in selectors_reports.daily_units(user)] == [world.city.pk, world.east.pk, world.west.pk]
    report = daily.build_one(world.city, DAY)
    # The city centre sees the red at once; the orange sits at the district, the yellows at the schools.
    assert [r.student_name for r in report.sections[daily.OPEN_CASES]] == ["张一"]
    by_district = {world.east.pk: report.by_unit[world.east.pk]["open"], world.west.pk: report.by_unit[world.west.pk]["open"]}
    assert by_district == {world.east.pk: 3, world.west.pk: 1} and report.by_unit_total["open"] == 4

    body = _page(client_for(world.city_centre), world.city)
    assert "张一" in body and _headline(body, "open") == _listed(body, "open") == 1
    assert "All districts" in body
    assert ReadEvent.objects.filter(user=world.city_centre, record_type="alerts.daily_report").exists()


def test_the_supervisor_reads_numbers_not_names_and_leaves_no_read(events, client_for, monkeypatch):
    world = events
    client = client_for(world.supervisor)
    red = daily.build_one(world.city, DAY).sections[daily.OPEN_CASES][0]
    for unit in (world.city, world.east):
        body = _page(client, unit)
        assert f"#{red.id}" in body and 'id="numbers-only"' in body and "东区第一中学" in body
        # The note says what the page shows: the levels are there (it said the role did not see them).
        assert "by number, level and class only" in body and 'class="tag red"' in body
        for student in ("张一", "李二", "王三", "赵四"):
            assert student not in body
        assert reverse("alerts:detail", args=[red.id]) not in body  # a page the supervisor cannot open
        for code in daily.SECTIONS:
            assert _headline(body, code) == _listed(body, code)
    import reportlab.platypus

    cells = []
    real = reportlab.platypus.Table

    def capture(data, *args, **kwargs):
        cells.extend(str(c) for row in data for c in row)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(reportlab.platypus, "Table", capture)
    pdf = client.get(reverse("alerts:daily_pdf", args=[world.city.pk]), {"day": DAY.isoformat()})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert f"#{red.id}" in cells and "张一" not in cells and "Student" not in cells
    assert not ReadEvent.objects.filter(user=world.supervisor).exists()
    assert client.get(reverse("alerts:daily", args=[world.school.pk])).status_code == 404


def test_sending_includes_the_city_for_its_centre_and_supervisor(events):
    world = events
    result = daily.send_daily_reports(day=DAY, now=daily.window(DAY)[1])
    assert result["sent"] == 5
    told = set(Notification.objects.filter(kind="daily_report", ref=f"daily:{world.city.pk}")
               .values_list("recipient__username", flat=True))
    assert told == {"city_centre", "supervisor"}
    body = Notification.objects.filter(ref=f"daily:{world.city.pk}").first().body
    assert f"#{daily.build_one(world.city, DAY).sections['open'][0].id}" in body and "张一" not in body


@pytest.mark.parametrize("params", [
    {"day": "yesterday"}, {"day": "9999-12-31"}, {"day": "0001-01-01"}, {"day": "2026-02-30"},
    {"day": "9" * 5000}, {"day": "+002026-10-10"}, {"page": "0"}, {"page": "-1"}, {"page": "two"},
    {"page": "9" * 5000}, {"page": "99999999999999999999"}, {"page": "2"}, {"page": "١"},
])
def test_bad_day_or_page_is_explained(events, client_for, params):
    client = client_for(events.psych)
    query = {"day": DAY.isoformat(), **params}
    response = client.get(reverse("alerts:daily", args=[events.school.pk]), query)
    assert response.status_code == 400 and 'class="errorlist"' in response.content.decode()
    if "day" in params:
        pdf = client.get(reverse("alerts:daily_pdf", args=[events.school.pk]), query)
        assert pdf.status_code == 400


def test_open_cases_page_through(events, client_for, monkeypatch):
    from runxin.alerts import views_reports

    monkeypatch.setattr(views_reports, "OPEN_PAGE_SIZE", 2)
    client = client_for(events.psych)
    first, second = _page(client, events.school), _page(client, events.school, page=2)
    assert _headline(first, "open") == _headline(second, "open") == 3
    assert (_listed(first, "open"), _listed(second, "open")) == (2, 1) and "Rows 3–3 of 3" in second
