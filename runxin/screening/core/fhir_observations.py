"""A scored result published the standard way, for a hospital or the provincial platform.

The QuestionnaireResponse keeps runxin's extensions (they make our own round trip exact); everything a
third party needs is also written in plain R4:

- an **Observation** per scale score (category `survey`; `code` the LOINC total-score code where one is
  known — 44261-6 for the PHQ-9 total — and always the scale's code in the instrument's scores CodeSystem;
  `valueQuantity` in UCUM `{score}`; `interpretation` the band, with its text and its code;
  `derivedFrom` the QuestionnaireResponse), and one for the screen outcome where the instrument has
  outcomes (ASQ: `valueCodeableConcept`);
- a **RiskAssessment** when a critical item holds or the outcome is high or critical: one `prediction`
  per reason, `qualitativeRisk` high (critical) or moderate (high) in HL7's risk-probability codes plus
  runxin's level, `basis` the QuestionnaireResponse and the Observations (docs/fhir.md says why not a Flag);
- all in a **Bundle** of type `collection`, entries named by `urn:uuid:` URLs that are stable for a result.

Pure: no Django. The caller gives the subject (see `subject_reference`) and the site's base URL.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from runxin.screening.core.codesystems import (
    critical_code,
    outcome_code,
    pseudonym_system,
    risk_level_system,
    scores_system,
    student_number_system,
    total_loinc,
)
from runxin.screening.core.definition import InstrumentDefinition, text_in
from runxin.screening.core.fhir import FhirError, result_to_questionnaire_response, validate_r4
from runxin.screening.core.narrative import narrative
from runxin.screening.core.result import ScoreResult

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
UCUM = "http://unitsofmeasure.org"
# Our level -> HL7 risk-probability: a critical item that holds is "high" risk; a "high" one "moderate".
QUALITATIVE_RISK = {"critical": ("high", "High likelihood"), "high": ("moderate", "Moderate likelihood")}
_UUID_NAMESPACE = uuid.UUID("6f1d3c2e-8a0b-4c55-9a57-2b5a3c0e7d11")


def pseudonym(key: str | bytes, student_id: int) -> str:
    """A stable pseudonymous id for a student on one site: HMAC-SHA256 of the id under the site's key."""
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"runxin.fhir.pseudonym:{student_id}".encode(), hashlib.sha256).hexdigest()[:32]


def subject_reference(*, student_id: int, student_number: str | None, base: str | None,
                      pseudonym_key: str | bytes | None = None) -> dict:
    """The Reference to a student: with their 学籍号 as identifier, or (no student number given) a
    pseudonymous one only — then neither the number nor our internal id leaves the site."""
    if student_number:
        return {"reference": f"Patient/runxin-student-{student_id}", "type": "Patient",
                "identifier": {"use": "official", "system": student_number_system(base), "value": student_number}}
    if pseudonym_key is None:
        raise FhirError(["subject: a pseudonymous identifier needs the site's key"])
    return {"type": "Patient", "identifier": {"use": "secondary", "system": pseudonym_system(base),
                                              "value": pseudonym(pseudonym_key, student_id)}}


def _full_url(resource_id: str, part: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_UUID_NAMESPACE, f'{resource_id}/{part}')}"


def _quantity(value: float | int) -> dict:
    return {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}


def _status(result: ScoreResult) -> str:
    # A result that needs review (or is invalid) is not a final finding until a person has looked at it.
    return "final" if result.validity == "valid" else "preliminary"


def _validity_note(result: ScoreResult, language: str) -> list[dict]:
    if result.validity == "valid":
        return []
    messages = [m.zh_hans if language == "zh-Hans" else m.en for m in result.validity_reasons]
    return [{"text": f"{result.validity}: " + "; ".join(messages)}]


def scale_observations(definition: InstrumentDefinition, result: ScoreResult, *, subject: Mapping[str, Any],
                       effective: datetime, response_url: str, resource_id: str,
                       base: str | None = None) -> list[tuple[str, dict]]:
    """(fullUrl, Observation) for each scale with a value, and for the outcome if there is one."""
    primary = definition.primary_language
    system = scores_system(definition, base)
    title = text_in(definition.title, primary)
    common: dict[str, Any] = {
        "status": _status(result),
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
    }
    observations = []
    for scale in result.scales:
        if scale.value is None:  # too many answers missing: the QuestionnaireResponse says so, no value to publish
            continue
        label = text_in(scale.label, primary)
        codings = [c.to_dict() for c in [total_loinc(definition, scale.id)] if c is not None]
        codings.append({"system": system, "code": scale.id, "display": label})
        resource: dict[str, Any] = {
            "resourceType": "Observation", "id": f"{resource_id}-{scale.id}".replace("_", "-")[:64], "language": primary,
            **common, "code": {"coding": codings, "text": f"{title}: {label}"},
            "subject": dict(subject), "effectiveDateTime": effective.isoformat(),
            "valueQuantity": _quantity(scale.value),
        }
        paragraphs = [f"{label}: {scale.value}"]
        if scale.band is not None:
            band_label = text_in(scale.band.label, primary)
            resource["interpretation"] = [{"coding": [{"system": system, "code": f"{scale.id}.{scale.band.code}",
                                                       "display": band_label}], "text": band_label}]
            paragraphs.append(band_label)
        resource["note"] = _validity_note(result, primary) or None
        resource["derivedFrom"] = [{"reference": response_url, "type": "QuestionnaireResponse"}]
        resource = {k: v for k, v in resource.items() if v is not None}
        resource["text"] = narrative(resource["code"]["text"], paragraphs=paragraphs)
        observations.append((_full_url(resource_id, f"scale/{scale.id}"), resource))
    if result.outcome is not None:
        label = text_in(result.outcome.label, primary)
        resource = {
            "resourceType": "Observation", "id": f"{resource_id}-outcome"[:64], "language": primary, **common,
            "text": narrative(f"{title}: {label}"),
            "code": {"coding": [{"system": system, "code": "outcome"}], "text": f"{title}: outcome"},
            "subject": dict(subject), "effectiveDateTime": effective.isoformat(),
            "valueCodeableConcept": {"coding": [{"system": system, "code": outcome_code(result.outcome.code),
                                                 "display": label}], "text": label},
            "derivedFrom": [{"reference": response_url, "type": "QuestionnaireResponse"}],
        }
        observations.append((_full_url(resource_id, "outcome"), resource))
    return observations


def risk_assessment(definition: InstrumentDefinition, result: ScoreResult, *, subject: Mapping[str, Any],
                    occurrence: datetime, basis: list[str], resource_id: str,
                    base: str | None = None) -> dict | None:
    """A RiskAssessment when a critical item holds or the outcome is high or critical, else None."""
    primary = definition.primary_language
    system = scores_system(definition, base)
    reasons: list[tuple[str, str, str]] = []  # (level, our code, rationale)
    for flag in result.critical_flags:
        if flag.level in QUALITATIVE_RISK and flag.item is not None:
            critical = next((c for c in definition.critical_items if c.item == flag.item), None)
            text = text_in(critical.reason, primary) if critical else (flag.message.zh_hans if primary == "zh-Hans"
                                                                         else flag.message.en)
            reasons.append((flag.level, critical_code(flag.item), text))
    if result.outcome is not None and result.outcome.level in QUALITATIVE_RISK:
        reasons.append((result.outcome.level, outcome_code(result.outcome.code), text_in(result.outcome.label, primary)))
    if not reasons:
        return None
    title = text_in(definition.title, primary)
    predictions = []
    for level, code, text in reasons:
        risk, risk_display = QUALITATIVE_RISK[level]
        predictions.append({
            "outcome": {"coding": [{"system": system, "code": code, "display": text}], "text": text},
            "qualitativeRisk": {"coding": [{"system": RISK_PROBABILITY, "code": risk, "display": risk_display},
                                           {"system": risk_level_system(base), "code": level}], "text": level},
            "rationale": text,
        })
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment", "id": f"{resource_id}-risk"[:64], "language": primary,
        "text": narrative(f"{title}: {reasons[0][0]}", table=(("Level", "Reason"), [(r[0], r[2]) for r in reasons])),
        "status": _status(result),
        "code": {"text": f"{title}: critical items and outcome"},
        "subject": dict(subject), "occurrenceDateTime": occurrence.isoformat(),
        "basis": [{"reference": url} for url in basis],
        "prediction": predictions,
    }
    if definition.coding is not None:
        resource["method"] = {"coding": [definition.coding.to_dict()], "text": title}
    if result.validity != "valid":
        resource["note"] = _validity_note(result, primary)
    return resource


def result_bundle(definition: InstrumentDefinition, answers: Mapping[str, object], result: ScoreResult, *,
                  subject: Mapping[str, Any], authored: datetime, resource_id: str,
                  base: str | None = None) -> dict:
    """A validated Bundle (collection) of the QuestionnaireResponse, its Observations and, when a critical
    item holds, its RiskAssessment. `resource_id` names the result ("runxin-result-12"); the QuestionnaireResponse
    takes it as its id, the others derive theirs from it."""
    response = result_to_questionnaire_response(definition, answers, subject, authored, result, base=base)
    response = {"resourceType": response["resourceType"], "id": resource_id,
                **{k: v for k, v in response.items() if k != "resourceType"}}
    response_url = _full_url(resource_id, "response")
    observations = scale_observations(definition, result, subject=subject, effective=authored,
                                      response_url=response_url, resource_id=resource_id, base=base)
    entries = [(response_url, response), *observations]
    risk = risk_assessment(definition, result, subject=subject, occurrence=authored, resource_id=resource_id,
                           basis=[response_url, *(url for url, _ in observations)], base=base)
    if risk is not None:
        entries.append((_full_url(resource_id, "risk"), risk))
    bundle = {
        "resourceType": "Bundle", "id": resource_id, "type": "collection", "timestamp": authored.isoformat(),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
    for _url, resource in entries[1:]:
        validate_r4(resource)
    validate_r4(bundle)
    return bundle


__all__ = ["pseudonym", "result_bundle", "risk_assessment", "scale_observations", "subject_reference"]
