"""The school calendar's time nodes (时间节点) that the trend charts mark month by month: semester starts, exam
seasons, long holidays and graduation. Risk moves with them, which is why the seeds ask for attention at these
points:

* Cixi (慈教建〔2023〕3号, seeds/001): "每学期初 … 开展学生心理健康普测" and "特别加强对长假前后、考试季等重要
  节点的信息综合研判" — the semester start (screening), the long holidays and the exam seasons.
* Changzhou (常教办〔2021〕90号, seeds/004, item 9): "加强春季、入学季、考试季、毕业季等特殊节点上特殊群体的心理
  危机排查" — spring, the start of the school year, exam season, graduation season.

The defaults below are the usual mainland calendar by month (figures are monthly, so a node covers whole months):
the autumn semester starts in September and the spring semester in February; mid-term exams in November and
April, finals in January and June, with 中考 and 高考 in June; the winter holiday (with the Spring Festival)
spans January–February, the summer holiday July–August, the National Day holiday (国庆长假) is in October;
graduation is in June. A city whose calendar differs sets ANALYTICS_TIME_NODES in its settings: a list of
(kind, label, months) with kind one of KINDS and months the calendar months (1–12) the node covers.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SEMESTER_START, EXAM, HOLIDAY, GRADUATION = "semester", "exam", "holiday", "graduation"
# The kinds in the order of the legend, with how the charts draw them: a line at the month (a moment in the year)
# or a band over the months (a season).
KINDS: dict[str, object] = {
    SEMESTER_START: _("Semester start"),
    EXAM: _("Exam season"),
    HOLIDAY: _("Long holiday"),
    GRADUATION: pgettext_lazy("school calendar", "Graduation"),
}
DRAWN_AS = {SEMESTER_START: "line", EXAM: "area", HOLIDAY: "area", GRADUATION: "line"}


@dataclass(frozen=True)
class TimeNode:
    kind: str
    label: object  # lazy translation, or the text a city's setting gives
    months: tuple[int, ...]  # calendar months, 1–12, in the order the node runs (winter holiday: 1, 2)


TIME_NODES: tuple[TimeNode, ...] = (
    TimeNode(SEMESTER_START, _("Autumn semester starts (入学季)"), (9,)),
    TimeNode(SEMESTER_START, _("Spring semester starts"), (2,)),
    TimeNode(EXAM, _("Mid-term exams"), (11,)),
    TimeNode(EXAM, _("Mid-term exams"), (4,)),
    TimeNode(EXAM, _("Final exams"), (1,)),
    TimeNode(EXAM, _("Final exams, zhongkao and gaokao (中考、高考)"), (6,)),
    TimeNode(HOLIDAY, _("Winter holiday and Spring Festival"), (1, 2)),
    TimeNode(HOLIDAY, _("National Day holiday"), (10,)),
    TimeNode(HOLIDAY, _("Summer holiday"), (7, 8)),
    TimeNode(GRADUATION, _("Graduation season (毕业季)"), (6,)),
)


def time_nodes() -> tuple[TimeNode, ...]:
    """The city's time nodes: ANALYTICS_TIME_NODES when set (checked: a wrong kind or month fails loudly), else the
    defaults above."""
    configured = getattr(settings, "ANALYTICS_TIME_NODES", None)
    if configured is None:
        return TIME_NODES
    nodes = []
    for kind, label, months in configured:
        months = tuple(int(m) for m in months)
        if kind not in KINDS or not months or not all(1 <= m <= 12 for m in months):
            raise ValueError(f"ANALYTICS_TIME_NODES: bad node {(kind, label, months)!r}")
        nodes.append(TimeNode(kind, label, months))
    return tuple(nodes)


@dataclass(frozen=True)
class Marker:
    """One node's run of consecutive months inside a chart's range (a node cut by the range's edge is kept)."""

    kind: str
    label: str
    first: date
    last: date

    @property
    def drawn_as(self) -> str:
        return DRAWN_AS[self.kind]


def markers(months: Sequence[date], nodes: Iterable[TimeNode] | None = None) -> list[Marker]:
    """The time nodes over the months of a chart (first days of consecutive months), each as runs of months."""
    result = []
    for node in time_nodes() if nodes is None else nodes:
        run: list[date] = []
        for month in months:
            if month.month in node.months:
                run.append(month)
                continue
            if run:
                result.append(Marker(node.kind, str(node.label), run[0], run[-1]))
                run = []
        if run:
            result.append(Marker(node.kind, str(node.label), run[0], run[-1]))
    return sorted(result, key=lambda m: (m.first, list(KINDS).index(m.kind)))


def by_month(months: Sequence[date], nodes: Iterable[TimeNode] | None = None) -> dict[date, list[str]]:
    """For the tables beside the charts: the labels of the nodes in each month."""
    nodes = time_nodes() if nodes is None else tuple(nodes)
    return {month: [str(node.label) for node in nodes if month.month in node.months] for month in months}


def legend(nodes: Iterable[TimeNode] | None = None) -> list[dict]:
    """The legend under the charts: each kind, how it is drawn, and its nodes with their months."""
    nodes = time_nodes() if nodes is None else tuple(nodes)
    rows = []
    for kind, label in KINDS.items():
        own = [node for node in nodes if node.kind == kind]
        if own:
            rows.append({"kind": kind, "label": str(label), "drawn_as": DRAWN_AS[kind],
                         "nodes": [{"label": str(node.label), "months": "–".join(str(MONTHS[m]) for m in node.months)}
                                   for node in own]})
    return rows
