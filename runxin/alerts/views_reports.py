"""Report pages of the early warnings: the overviews by level and unit (the provincial figures), the daily
key-case report (一日一报) and the export for the provincial crisis platform. Thin, like views.py."""

import json
from datetime import date, datetime, time, timedelta

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from runxin.access import city_decisions, roles, scope
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_reads
from runxin.exports import writer

from . import clock, daily, forms
from . import selectors_reports as selectors
from .export import FIELDS, csv_row, export_record, provincial_rows
from .models import STATE_LABELS


def _language() -> str:
    return translation.get_language() or "zh-hans"


# -------------------------------------------------------------------------------------------- overviews

@requires(roles.ALERT_OVERVIEW)
def overview_home(request):
    units = selectors.overview_units(request.user)
    if len(units) == 1:
        return redirect("alerts:overview", unit_id=units[0].pk)
    return render(request, "alerts/overview_home.html", {"units": units})


@requires(roles.ALERT_OVERVIEW)
def overview(request, unit_id: int):
    unit = selectors.overview_unit_or_404(request.user, unit_id)
    suppress = selectors.suppresses_small_counts(request.user, unit)
    # Outside need-to-know the hiding is decided over the whole city, so every page hides the same figures.
    if suppress:
        tree, hidden, counted_at = selectors.overview_published(city_decisions.city_of(unit))
    else:
        tree, hidden, counted_at = selectors.overview_tree(unit), frozenset(), None
    data = selectors.overview(unit, tree)
    lang = _language()
    browsable = set(scope.units(request.user, roles.ALERT_OVERVIEW).filter(
        pk__in=[c["id"] for c in data["children"]]).values_list("pk", flat=True)) \
        if data["child_kind"] in ("district", "school") else set()

    def plotted(node: tuple[int, str], level_id: int, n: int) -> int | None:
        return None if selectors.page_key((*node, "current", level_id)) in hidden else n  # a gap, never a 0

    chart = {
        "labels": [c["name"] for c in data["children"]],
        "datasets": [{"label": lv.label(lang), "colour": lv.colour,
                      "data": [plotted(c["node"], *c["current_by_level"][i]) for c in data["children"]]}
                     for i, (lv, _f) in enumerate(data["levels"])],
    }
    return render(request, "alerts/overview.html", {
        **data, "lang": lang, "chart": chart, "browsable": browsable, "suppress": suppress, "hidden": hidden,
        "counted_at": counted_at,
        "parent": unit.parent if unit.parent_id and scope.unit_permission(request.user, unit.parent,
                                                                          roles.ALERT_OVERVIEW) else None,
    })


# ---------------------------------------------------------------------------------------- daily reports

EARLIEST_DAY = date(2000, 1, 1)
OPEN_PAGE_SIZE = 100  # open key cases per page on the HTML page (the PDF lists them all)


class BadParameter(ValueError):
    """A query parameter that names no report or page: answered with 400 and the reason, never a 500."""


def _report_day(request) -> date:
    raw = request.GET.get("day", "")
    latest = daily.report_day(clock.now())
    if not raw:
        return latest
    try:
        day = date.fromisoformat(raw) if len(raw) <= 10 else None
    except ValueError:
        day = None
    if day is None:
        raise BadParameter(_("“%(value)s” is not a date; use YYYY-MM-DD.") % {"value": raw[:40]})
    if not EARLIEST_DAY <= day <= latest:
        raise BadParameter(_("There is no report for %(day)s: reports run from %(first)s to %(last)s.") % {
            "day": day.isoformat(), "first": EARLIEST_DAY.isoformat(), "last": latest.isoformat()})
    return day


def _page_number(request) -> int:
    raw = request.GET.get("page", "")
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and int(raw) >= 1):
        raise BadParameter(_("“%(value)s” is not a page number.") % {"value": raw[:40]})
    return int(raw)


def _bad_parameter(request, error: BadParameter):
    return render(request, "alerts/daily_home.html", {"units": selectors.daily_units(request.user),
                                                      "error": str(error)}, status=400)


def _audit_rows(request, student_ids, record_type: str, purpose: str) -> None:
    """One read-audit row per student listed (bulk: reports and exports list many students at once). The
    lists come from the user's ordinary scope, so none of these reads is a break-glass read."""
    record_reads(user=request.user, students=student_ids, record_type=record_type, request=request, purpose=purpose)


def _daily_report(request, unit_id: int):
    """The unit (404 outside the user's reports), the day (BadParameter), the report, and whether names are
    shown: only to someone who may see the students' risk level at the unit (not a supervisor, 督导, who
    reads the report with warning numbers only)."""
    unit = selectors.daily_unit_or_404(request.user, unit_id)
    day = _report_day(request)
    report = daily.build_one(unit, day)
    return unit, day, report, selectors.daily_shows_names(request.user, unit)


def _audit_listed(request, unit, day, rows) -> None:
    _audit_rows(request, [r.student_id for r in rows], "alerts.daily_report", f"daily report {unit.pk} {day}")


@requires(roles.ALERT_DAILY_REPORT)
def daily_home(request):
    units = selectors.daily_units(request.user)
    if len(units) == 1:
        return redirect("alerts:daily", unit_id=units[0].pk)
    return render(request, "alerts/daily_home.html", {"units": units})


@requires(roles.ALERT_DAILY_REPORT)
@audited_read
def daily_report(request, unit_id: int):
    try:
        unit, day, report, show_names = _daily_report(request, unit_id)
        page = _page_number(request)
        open_rows = report.sections[daily.OPEN_CASES]
        pages = max(1, -(-len(open_rows) // OPEN_PAGE_SIZE))
        if page > pages:
            raise BadParameter(_("There is no page %(page)s: the open key cases fill %(pages)s.") % {
                "page": page, "pages": pages})
    except BadParameter as error:
        return _bad_parameter(request, error)
    first = (page - 1) * OPEN_PAGE_SIZE
    open_page = open_rows[first:first + OPEN_PAGE_SIZE]
    sections = [(c, daily.section_label(c), report.sections[c] if c != daily.OPEN_CASES else open_page,
                 len(report.sections[c])) for c in daily.SECTIONS]
    if show_names:
        _audit_listed(request, unit, day, [r for _c, _l, rows, _n in sections for r in rows])
    latest = daily.report_day(clock.now())
    return render(request, "alerts/daily.html", {
        "unit": unit, "day": day, "report": report, "levels": daily.levels_by_id(), "sections": sections,
        "show_names": show_names, "with_school": bool(report.child_kind), "scope_note": daily.scope_note(report),
        "by_unit": daily.by_unit_rows(report) if report.child_kind else [],
        "by_unit_title": daily.by_unit_title(report) if report.child_kind else "",
        "by_unit_total_label": daily.by_unit_total_label(report) if report.child_kind else "",
        "section_codes": daily.SECTIONS,
        "open_page": {"number": page, "pages": pages, "first": first + 1 if open_page else 0,
                      "last": first + len(open_page), "total": len(open_rows)},
        "previous": day - timedelta(days=1) if day > EARLIEST_DAY else None,
        "next": day + timedelta(days=1) if day < latest else None,
        "state_labels": STATE_LABELS, "lang": _language(), "now": clock.now(),
    })


@requires(roles.ALERT_DAILY_REPORT)
@audited_read
def daily_report_pdf(request, unit_id: int):
    try:
        unit, day, report, show_names = _daily_report(request, unit_id)
    except BadParameter as error:
        return _bad_parameter(request, error)
    if show_names:
        _audit_listed(request, unit, day, [r for rows in report.sections.values() for r in rows])
    response = HttpResponse(daily.pdf(report, daily.levels_by_id(), show_names=show_names),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="daily-{unit.code or unit.pk}-{day.isoformat()}.pdf"'
    return response


# ----------------------------------------------------------------------------------------------- export

def _export_window(form) -> tuple[datetime | None, datetime | None]:
    zone = daily.report_zone()
    since = form.cleaned_data.get("since")
    until = form.cleaned_data.get("until")
    return (datetime.combine(since, time.min, tzinfo=zone) if since else None,
            datetime.combine(until, time.min, tzinfo=zone) if until else None)


LATEST_DAY = date(2100, 1, 1)


def _export_form_valid(form) -> bool:
    """The form's checks, and dates within reason (a year 1 or 9999 is a typo, answered with a message)."""
    if not form.is_valid():
        return False
    for name in ("since", "until"):
        value = form.cleaned_data.get(name)
        if value and not EARLIEST_DAY <= value < LATEST_DAY:
            form.add_error(name, _("Choose a date between %(first)s and %(last)s.") % {
                "first": EARLIEST_DAY.isoformat(), "last": (LATEST_DAY - timedelta(days=1)).isoformat()})
    return form.is_valid()


@requires(roles.ALERT_EXPORT)
def export_home(request):
    form = forms.ExportForm(request.GET or None)
    return render(request, "alerts/export.html", {"form": form, "fields": FIELDS})


@requires(roles.ALERT_EXPORT)
@audited_read
def export_file(request, fmt: str):
    """Warnings for the provincial crisis platform as CSV or JSON (format: docs/provincial-export.md): only the
    warnings the requester may open, written by the one export writer, audited, naming the requester."""
    if fmt not in ("csv", "json"):
        raise Http404("No such format")
    form = forms.ExportForm(request.GET)
    if not _export_form_valid(form):
        return render(request, "alerts/export.html", {"form": form, "fields": FIELDS}, status=400)
    since, until = _export_window(form)
    rows = provincial_rows(request.user, since=since, until=until)
    export = writer.start(request, kind="alerts.provincial", title=_("Warnings for the provincial platform"),
                          file_format=fmt, filters={"since": form.cleaned_data.get("since"),
                                                    "until": form.cleaned_data.get("until")})
    _audit_rows(request, rows.values_list("student_id", flat=True), "alerts.provincial_export", "provincial export")
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
    records = (export_record(w) for w in rows.iterator(chunk_size=2000))
    if fmt == "csv":
        return writer.csv_response(export, [name for name, _doc in FIELDS], (csv_row(r) for r in records),
                                   filename=f"runxin-warnings-{stamp}.csv")
    response = StreamingHttpResponse(_json_stream(records, export), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="runxin-warnings-{stamp}.json"'
    return response


def _json_stream(records, export):
    yield json.dumps({"format": "runxin.provincial-warnings", "version": 1,
                      "generated_at": timezone.localtime(clock.now()).isoformat(),
                      "exported_by": export.user.get_username()}, ensure_ascii=False)[:-1]
    yield ', "warnings": ['
    first = True
    for rec in records:
        yield ("" if first else ",") + json.dumps(rec, ensure_ascii=False)
        first = False
    yield "]}"
