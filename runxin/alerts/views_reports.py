"""Report pages of the early warnings: the overviews by level and unit (the provincial figures), the daily
key-case report (一日一报) and the export for the provincial crisis platform. Thin, like views.py."""

import csv
import json
from datetime import date, datetime, time

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation

from runxin.access import roles, scope
from runxin.access.decorators import requires
from runxin.access.models import ReadEvent
from runxin.access.read_audit import client_ip

from . import clock, daily, forms
from . import selectors_reports as selectors
from .export import FIELDS, export_record
from .models import STATE_LABELS, Warning


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
    data = selectors.overview(unit)
    lang = _language()
    browsable = set(scope.units(request.user, roles.ALERT_OVERVIEW).filter(
        pk__in=[c["id"] for c in data["children"]]).values_list("pk", flat=True)) \
        if data["child_kind"] in ("district", "school") else set()
    suppress = selectors.suppresses_small_counts(request.user, unit)

    def plotted(n: int) -> int | None:
        return None if suppress and 0 < n < selectors.SMALL_COUNT else n

    chart = {
        "labels": [c["name"] for c in data["children"]],
        "datasets": [{"label": lv.label(lang), "colour": lv.colour,
                      "data": [plotted(c["levels"][i].current) for c in data["children"]]}
                     for i, (lv, _f) in enumerate(data["levels"])],
    }
    return render(request, "alerts/overview.html", {
        **data, "lang": lang, "chart": chart, "browsable": browsable, "suppress": suppress,
        "parent": unit.parent if unit.parent_id and scope.unit_permission(request.user, unit.parent,
                                                                          roles.ALERT_OVERVIEW) else None,
    })


# ---------------------------------------------------------------------------------------- daily reports

def _report_day(request) -> date:
    raw = request.GET.get("day", "")
    if not raw:
        return daily.report_day(clock.now())
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Http404("bad day") from None


def _audit_rows(request, student_ids, record_type: str, purpose: str) -> None:
    """One read-audit row per student listed (bulk: reports and exports list many students at once). The
    lists come from the user's ordinary scope, so none of these reads is a break-glass read."""
    path = request.get_full_path()[:300]
    ReadEvent.objects.bulk_create([
        ReadEvent(user=request.user, student_id=sid, record_type=record_type, purpose=purpose[:200],
                  via_break_glass=False, remote_addr=client_ip(request), path=path)
        for sid in dict.fromkeys(student_ids)
    ], batch_size=2000)


def _daily_report(request, unit_id: int):
    unit = selectors.daily_unit_or_404(request.user, unit_id)
    day = _report_day(request)
    report = daily.build_one(unit, day)
    student_ids = Warning.objects.filter(
        pk__in=[r.id for rows in report.sections.values() for r in rows]).values_list("student_id", flat=True)
    _audit_rows(request, list(student_ids), "alerts.daily_report", f"daily report {unit.pk} {day}")
    return unit, day, report


@requires(roles.ALERT_DAILY_REPORT)
def daily_home(request):
    units = selectors.daily_units(request.user)
    if len(units) == 1:
        return redirect("alerts:daily", unit_id=units[0].pk)
    return render(request, "alerts/daily_home.html", {"units": units})


@requires(roles.ALERT_DAILY_REPORT)
def daily_report(request, unit_id: int):
    unit, day, report = _daily_report(request, unit_id)
    levels = daily.levels_by_id()
    sections = [(c, daily._section_label(c), report.sections[c]) for c in daily.CATEGORIES]
    return render(request, "alerts/daily.html", {
        "unit": unit, "day": day, "report": report, "levels": levels, "sections": sections,
        "by_school": sorted(((name, report.by_school[sid]) for sid, name in daily._school_names(report).items()),
                            key=lambda pair: pair[0]),
        "previous": day.fromordinal(day.toordinal() - 1), "next": day.fromordinal(day.toordinal() + 1),
        "state_labels": STATE_LABELS, "lang": _language(), "now": clock.now(),
    })


@requires(roles.ALERT_DAILY_REPORT)
def daily_report_pdf(request, unit_id: int):
    unit, day, report = _daily_report(request, unit_id)
    response = HttpResponse(daily.pdf(report, daily.levels_by_id()), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="daily-{unit.code or unit.pk}-{day.isoformat()}.pdf"'
    return response


# ----------------------------------------------------------------------------------------------- export

def _export_window(form) -> tuple[datetime | None, datetime | None]:
    zone = daily.report_zone()
    since = form.cleaned_data.get("since")
    until = form.cleaned_data.get("until")
    return (datetime.combine(since, time.min, tzinfo=zone) if since else None,
            datetime.combine(until, time.min, tzinfo=zone) if until else None)


@requires(roles.ALERT_EXPORT)
def export_home(request):
    form = forms.ExportForm(request.GET or None)
    return render(request, "alerts/export.html", {"form": form, "fields": FIELDS})


class _Echo:
    def write(self, value):
        return value


@requires(roles.ALERT_EXPORT)
def export_file(request, fmt: str):
    """Warnings for the provincial crisis platform as CSV or JSON (format: docs/provincial-export.md)."""
    if fmt not in ("csv", "json"):
        raise Http404("No such format")
    form = forms.ExportForm(request.GET)
    if not form.is_valid():
        return render(request, "alerts/export.html", {"form": form, "fields": FIELDS}, status=400)
    since, until = _export_window(form)
    rows = selectors.export_rows(request.user, since=since, until=until)
    _audit_rows(request, rows.values_list("student_id", flat=True), "alerts.provincial_export", "provincial export")
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
    records = (export_record(w) for w in rows.iterator(chunk_size=2000))
    if fmt == "csv":
        writer = csv.writer(_Echo())
        header = [name for name, _doc in FIELDS]
        lines = (writer.writerow([rec[name] if rec[name] is not None else "" for name in header]) for rec in records)
        response = StreamingHttpResponse(
            _prepend("\ufeff" + writer.writerow(header), lines), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(_json_stream(records, stamp), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="runxin-warnings-{stamp}.{fmt}"'
    return response


def _prepend(first, rest):
    yield first
    yield from rest


def _json_stream(records, stamp: str):
    yield json.dumps({"format": "runxin.provincial-warnings", "version": 1,
                      "generated_at": timezone.localtime(clock.now()).isoformat()}, ensure_ascii=False)[:-1]
    yield ', "warnings": ['
    first = True
    for rec in records:
        yield ("" if first else ",") + json.dumps(rec, ensure_ascii=False)
        first = False
    yield "]}"
