"""The school calendar's time nodes on the trend charts (analytics/seasons.py): the default nodes by month, their
runs over a chart's months, the legend, and a city's own calendar from the settings. No database."""

from datetime import date

import pytest
from django.utils import translation

from runxin.analytics import dashboards, seasons


def test_the_default_calendar_marks_the_seeds_time_nodes():
    months = {kind: set() for kind in seasons.KINDS}
    for node in seasons.TIME_NODES:
        months[node.kind] |= set(node.months)
    assert months[seasons.SEMESTER_START] == {9, 2}  # 每学期初 (Cixi): autumn and spring
    assert months[seasons.EXAM] == {11, 4, 1, 6}  # mid-terms, finals, 中考/高考
    assert months[seasons.HOLIDAY] == {1, 2, 7, 8, 10}  # winter, summer, National Day (长假)
    assert months[seasons.GRADUATION] == {6}  # 毕业季 (Changzhou)


def test_markers_are_runs_of_months_within_the_chart():
    months = dashboards.months_back(date(2026, 8, 1), 8)  # 2026-01 … 2026-08
    with translation.override("en"):
        found = [(m.kind, m.label, m.first, m.last, m.drawn_as) for m in seasons.markers(months)]
    assert ("holiday", "Winter holiday and Spring Festival", date(2026, 1, 1), date(2026, 2, 1), "area") in found
    assert ("holiday", "Summer holiday", date(2026, 7, 1), date(2026, 8, 1), "area") in found
    assert ("semester", "Spring semester starts", date(2026, 2, 1), date(2026, 2, 1), "line") in found
    assert ("graduation", "Graduation season (毕业季)", date(2026, 6, 1), date(2026, 6, 1), "line") in found
    assert not [m for m in found if m[0] == "semester" and m[2].month == 9]  # September is outside the chart
    # A node cut by the chart's first month keeps the part inside it.
    cut = seasons.markers(dashboards.months_back(date(2026, 3, 1), 2))
    assert [(m.kind, m.first, m.last) for m in cut if m.kind == "holiday"] == [("holiday", date(2026, 2, 1),
                                                                                date(2026, 2, 1))]


def test_each_month_lists_its_nodes_for_the_tables():
    with translation.override("en"):
        nodes = seasons.by_month([date(2026, 6, 1), date(2026, 3, 1)])
    assert set(nodes[date(2026, 6, 1)]) == {"Final exams, zhongkao and gaokao (中考、高考)", "Graduation season (毕业季)"}
    assert nodes[date(2026, 3, 1)] == []


def test_the_legend_names_each_kind_with_its_months():
    with translation.override("zh-hans"):
        legend = seasons.legend()
    assert [row["kind"] for row in legend] == list(seasons.KINDS)
    holidays = next(row for row in legend if row["kind"] == seasons.HOLIDAY)
    assert holidays["drawn_as"] == "area" and "七月–八月" in [node["months"] for node in holidays["nodes"]]


def test_a_city_sets_its_own_calendar(settings):
    settings.ANALYTICS_TIME_NODES = [("semester", "秋季开学", [8]), ("exam", "期末考试", (1, 7))]
    assert [(n.kind, n.months) for n in seasons.time_nodes()] == [("semester", (8,)), ("exam", (1, 7))]
    months = dashboards.months_back(date(2026, 8, 1), 2)
    assert [(m.kind, m.first) for m in seasons.markers(months)] == [("exam", date(2026, 7, 1)),
                                                                     ("semester", date(2026, 8, 1))]
    for bad in ([("vacation", "x", [1])], [("exam", "x", [13])], [("exam", "x", [])]):
        settings.ANALYTICS_TIME_NODES = bad
        with pytest.raises(ValueError, match="ANALYTICS_TIME_NODES"):
            seasons.time_nodes()
