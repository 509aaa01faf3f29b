"""Canonical FHIR resources runxin publishes (application/fhir+json): instrument Questionnaires, the
CodeSystems of their answers and scores, runxin's risk levels, and the identifier systems of a subject.

No personal data: instrument definitions and code lists. Shipped instruments and the global code lists are
public, so a hospital's or the provincial platform's system can resolve the canonical URLs it receives;
an uploaded instrument is shown only to staff (fhir_publish.may_read_definition). Unpublished versions are
never served here. Who may see what is written down in docs/fhir.md."""

import json

from django.http import Http404, HttpResponse

from runxin.access.decorators import public

from .core.codesystems import answers_code_system, naming_systems, risk_level_code_system, scores_code_system
from .core.fhir import definition_to_questionnaire
from .fhir_publish import may_read_definition, published_version, site_base
from .services import definition_of


def fhir_json(resource: dict) -> HttpResponse:
    return HttpResponse(json.dumps(resource, ensure_ascii=False, indent=2), content_type="application/fhir+json")


def _definition(request, code: str, version: str | None):
    """The definition of a published version the visitor may read, else 404 (never 403: an uploaded
    instrument's existence is not announced)."""
    version = version or request.GET.get("version") or None
    found = published_version(code, version)
    if found is None or not may_read_definition(request.user, found):
        raise Http404("No such published instrument")
    return definition_of(found)


@public
def questionnaire(request, reference: str):
    """`…/Questionnaire/<code>` (latest published), `?version=1.2.0`, or the canonical reference itself,
    `<code>|<version>` (the `|` percent-encoded or not)."""
    code, _bar, version = reference.partition("|")
    return fhir_json(definition_to_questionnaire(_definition(request, code, version), base=site_base()))


@public
def instrument_code_system(request, code: str, part: str):
    """`…/CodeSystem/<code>/answers` or `…/CodeSystem/<code>/scores` (`?version=`, else the latest published)."""
    builders = {"answers": answers_code_system, "scores": scores_code_system}
    if part not in builders:
        raise Http404("No such code system")
    return fhir_json(builders[part](_definition(request, code, None), site_base()))


@public
def code_system(request, name: str):
    """runxin's own code lists that belong to no instrument: `…/CodeSystem/risk-level`."""
    if name != "risk-level":
        raise Http404("No such code system")
    return fhir_json(risk_level_code_system(site_base()))


@public
def naming_system(request, name: str):
    """`…/NamingSystem/student-number` and `…/NamingSystem/pseudonym`: what a subject's identifier means."""
    found = naming_systems(site_base()).get(name)
    if found is None:
        raise Http404("No such naming system")
    return fhir_json(found)
