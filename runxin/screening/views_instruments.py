"""Instrument administration (量表管理): upload a definition or a FHIR Questionnaire, see every problem,
try answers, publish a version. City admins and system admins; definitions hold no student data."""

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from runxin.access import roles
from runxin.access.decorators import requires

from . import selectors, services
from .core.definition import text_in
from .core.fhir import definition_to_questionnaire
from .core.publishing import publish_problems
from .fhir_publish import site_base
from .forms import TryForm, UploadForm
from .i18n import lang
from .models import InstrumentVersion


def _version_or_404(version_id: int) -> InstrumentVersion:
    version = InstrumentVersion.objects.select_related("instrument", "uploaded_by", "published_by").filter(
        pk=version_id).first()
    if version is None:
        raise Http404("No such instrument version")
    return version


@requires(roles.INSTRUMENTS_MANAGE)
def instrument_list(request):
    return render(request, "screening/instrument_list.html", {"versions": selectors.instrument_versions(),
                                                              "lang": lang()})


@requires(roles.INSTRUMENTS_MANAGE)
def instrument_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            upload = services.instrument_upload(user=request.user, text=form.cleaned_data["text"],
                                                scoring_text=form.cleaned_data.get("scoring") or "",
                                                code=form.cleaned_data.get("code") or "",
                                                version=form.cleaned_data.get("version") or "")
        except services.ScreeningError as exc:
            form.add_error(None, exc.message)
            problems = exc.problems
        else:
            if upload.created:
                messages.success(request, _("The definition is valid and saved as an unpublished version. "
                                            "Try some answers, then publish it."))
            else:
                messages.info(request, _("This exact definition is already stored."))
            for note in upload.notes:
                messages.warning(request, note)
            return redirect("screening:instrument_version", upload.version.pk)
    return render(request, "screening/instrument_upload.html", {"form": form, "problems": problems},
                  status=400 if form.errors else 200)


@requires(roles.INSTRUMENTS_MANAGE)
def instrument_version(request, version_id: int):
    """The definition as students will see it, its scoring rules, and a 'try answers' check."""
    version = _version_or_404(version_id)
    definition = services.definition_of(version)
    form = TryForm(request.POST or None)
    preview = None
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            preview = services.score_preview(version, form.cleaned_data["answers"])
        except services.ScreeningError as exc:
            form.add_error(None, exc.message)
            problems = exc.problems
    language = lang()
    items = [{"label": i.label, "text": text_in(i.text, language), "type": i.type, "reverse": i.reverse,
              "conditional": i.ask_if is not None,
              "options": [(o.value, text_in(o.label, language), o.score) for o in i.options]}
             for i in definition.items]
    scales = [{"id": s.id, "label": text_in(s.label, language), "kind": s.kind, "items": s.items,
               "range": s.range, "bands": [(b.min, b.max, text_in(b.label, language), b.level) for b in s.bands]}
              for s in definition.scales]
    critical = [{"item": c.item, "level": c.level, "reason": text_in(c.reason, language)} for c in definition.critical_items]
    example = {i.id: i.options[0].value for i in definition.items if i.options and i.ask_if is None}
    return render(request, "screening/instrument_version.html", {
        "version": version, "definition": definition, "title": text_in(definition.title, language),
        "items": items, "scales": scales, "critical": critical, "form": form, "problems": problems,
        "preview": json.dumps(preview, ensure_ascii=False, indent=2) if preview else "",
        "risk": (preview or {}).get("risk_signal", {}).get("level", ""),
        "example": json.dumps(example, ensure_ascii=False),
        "result_count": version.results.count(),
        "publish_problems": [] if version.is_published else publish_problems(definition),
    }, status=400 if form.errors else 200)


@requires(roles.INSTRUMENTS_MANAGE)
@require_POST
def instrument_publish(request, version_id: int):
    version = _version_or_404(version_id)
    not_scored = request.POST.get("scoring") == "not_scored"
    try:
        version = services.instrument_publish(user=request.user, version=version, not_scored=not_scored)
    except services.ScreeningError as exc:
        messages.error(request, exc.message)
        for problem in exc.problems:
            messages.error(request, problem)
        return redirect("screening:instrument_version", version.pk)
    if version.not_scored:
        messages.success(request, _("%(version)s is published as not scored: campaigns can use it to collect "
                                    "answers; its results show no level.") % {"version": version})
    else:
        messages.success(request, _("%(version)s is published: campaigns can use it.") % {"version": version})
    return redirect("screening:instrument_version", version.pk)


@requires(roles.INSTRUMENTS_MANAGE)
@require_POST
def instrument_delete(request, version_id: int):
    version = _version_or_404(version_id)
    try:
        services.instrument_version_delete(user=request.user, version=version)
    except services.ScreeningError as exc:
        messages.error(request, exc.message)
        return redirect("screening:instrument_version", version.pk)
    messages.success(request, _("The version is deleted."))
    return redirect("screening:instrument_list")


@requires(roles.INSTRUMENTS_MANAGE)
def instrument_download(request, version_id: int, fmt: str):
    """The stored definition (runxin JSON) or its FHIR R4 Questionnaire (canonical URLs on this site; once
    published, the Questionnaire's `url` serves the same resource: views_fhir.questionnaire)."""
    version = _version_or_404(version_id)
    if fmt == "fhir":
        data = definition_to_questionnaire(services.definition_of(version), base=site_base())
        name, content_type = f"{version.instrument.code}-{version.version}.questionnaire.json", "application/fhir+json"
    else:
        data = version.definition
        name, content_type = f"{version.instrument.code}-{version.version}.json", "application/json"
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
