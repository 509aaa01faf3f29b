"""Results (clinical): per student scores, bands, critical items and answers; class and grade summaries;
Excel and FHIR exports. Every view of an identified result is written to the read audit first."""

import json

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from runxin.access import roles
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_read, record_reads
from runxin.converters import query_id
from runxin.exports import writer

from . import excel, selectors
from .core.fhir import result_to_questionnaire_response
from .core.fhir_observations import result_bundle
from .core.scoring import score
from .fhir_publish import site_base, subject_for
from .i18n import lang
from .services import definition_of

MAX_PAGE = 100_000  # far beyond any campaign; a bigger page number is a 404, never a database overflow


def _page_number(value) -> int:
    """?page=: 1 when absent or not a page number (a typo falls back to the first page); 404 beyond MAX_PAGE."""
    if value is None or not value.isascii() or not value.isdigit():
        return 1
    if len(value) > 6 or int(value) > MAX_PAGE:
        raise Http404("No such page")
    return max(1, int(value))


@requires(roles.SCREENING_RESULTS)
@audited_read
def results_list(request, campaign_id: int):
    campaign = selectors.campaign_or_404(request.user, campaign_id, roles.SCREENING_RESULTS)
    class_id = query_id(request.GET.get("class"))
    attention = request.GET.get("attention") == "1"
    page = selectors.results_page(request.user, campaign, class_id=class_id, attention=attention,
                                  number=_page_number(request.GET.get("page")))
    record_reads(user=request.user, students=[(s.target.student_id, s.pk) for s in page.rows],
                 record_type="screening.results_list", request=request)
    rows = []
    for submission in page.rows:
        by_code = {r.instrument_code: r for r in submission.results.all()}
        cells = [(by_code.get(code), selectors.band_label(by_code[code], lang(), not_scored=code in page.not_scored)
                  if code in by_code else "", code in page.not_scored)
                 for code in page.codes]
        # Only instruments published as "not scored" and nothing raised: the signal is "not scored", not "none".
        not_scored = submission.risk_rank == 0 and bool(by_code) and set(by_code) <= page.not_scored
        rows.append({"submission": submission, "cells": cells, "not_scored": not_scored})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "screening/results_list.html", {
        "campaign": campaign, "page": page, "rows": rows, "class_id": class_id, "attention": attention,
        "query": query.urlencode(),
    })


@requires(roles.SCREENING_RESULTS)
@audited_read
def result_detail(request, submission_id: int):
    submission = selectors.submission_or_404(request.user, submission_id)
    student = submission.target.student
    record_read(user=request.user, student=student, record_type="screening.result", record_id=submission.pk,
                request=request)
    return render(request, "screening/result_detail.html", {
        "submission": submission, "student": student, "campaign": submission.target.campaign,
        "views": selectors.result_views(submission, lang()), "lang": lang(),
    })


@requires(roles.SCREENING_RESULTS)
@audited_read
def result_fhir(request, submission_id: int, result_id: int, bundle: bool = False):
    """One result as a FHIR R4 QuestionnaireResponse (answers plus scores in runxin extensions), or with
    `bundle` as a Bundle that adds the scores, bands and critical items the standard way (docs/fhir.md).
    The subject carries the 学籍号, or with ?subject=pseudonym only a pseudonymous identifier."""
    submission = selectors.submission_or_404(request.user, submission_id)
    result = next((r for r in submission.results.all() if r.pk == result_id), None)
    if result is None:
        raise Http404("No such result")
    record_read(user=request.user, student=submission.target.student, record_type="screening.result.fhir",
                record_id=result.pk, request=request)
    definition = definition_of(result.instrument_version)
    answers = (submission.answers or {}).get(result.instrument_code, {})
    elapsed = (submission.elapsed or {}).get(result.instrument_code)
    scored = score(definition, answers, elapsed_seconds=elapsed)  # pure and deterministic: the stored result again
    subject = subject_for(request.user, submission.target.student,
                          pseudonymous=request.GET.get("subject") == "pseudonym")
    if bundle:
        resource = result_bundle(definition, answers, scored, subject=subject, authored=submission.received_at,
                                 resource_id=f"runxin-result-{result.pk}", base=site_base())
        name = f"result-{result.pk}.bundle.json"
    else:
        resource = result_to_questionnaire_response(definition, answers, subject, submission.received_at, scored,
                                                    base=site_base())
        resource["id"] = f"runxin-result-{result.pk}"
        name = f"questionnaire-response-{result.pk}.json"
    response = HttpResponse(json.dumps(resource, ensure_ascii=False, indent=2), content_type="application/fhir+json")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@requires(roles.SCREENING_RESULTS)
def summary(request, campaign_id: int):
    campaign = selectors.campaign_or_404(request.user, campaign_id, roles.SCREENING_RESULTS)
    by = "grade" if request.GET.get("by") == "grade" else "class"
    distributions = selectors.summary(request.user, campaign, by=by, language=lang())
    charts = [
        {"id": f"chart-{d.code}", "labels": [g[0] for g in d.groups],
         "series": [{"label": band[1], "level": band[2], "data": [g[1][n] for g in d.groups]}
                    for n, band in enumerate(d.bands)]}
        for d in distributions
    ]
    return render(request, "screening/summary.html", {
        "campaign": campaign, "by": by, "distributions": distributions, "charts": charts,
    })


@requires(roles.SCREENING_RESULTS)
@audited_read
def export_xlsx(request, campaign_id: int):
    campaign = selectors.campaign_or_404(request.user, campaign_id, roles.SCREENING_RESULTS)
    rows = list(selectors.export_rows(request.user, campaign))
    # An export reads every student in it: one read-audit row each.
    record_reads(user=request.user, students=[(s.target.student_id, s.pk) for s in rows],
                 record_type="screening.export", request=request)
    export = writer.start(request, kind="screening.results", title=f"{_('Screening results')} · {campaign.name}",
                          file_format="xlsx", filters={"campaign": campaign.pk})
    return writer.xlsx_response(export, [excel.results_sheet(campaign, rows, language=lang())],
                                filename=f"screening-{campaign.pk}.xlsx")

