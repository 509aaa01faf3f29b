"""Canonical URLs of what runxin publishes in FHIR, and the CodeSystems behind its own codes.

With a `base` (the site's SITE_URL) every canonical URL is resolvable: `{base}/screening/fhir/...` is served
by `screening/views_fhir.py`. Without one (the pure core's tests, an export made outside a site) the
same things are named by the older `urn:runxin:fhir:...` URNs, which import back just as well.

| what | canonical URL (with a base) |
|---|---|
| an instrument's Questionnaire | `{root}/Questionnaire/{code}` (`|{version}` in references) |
| the answer codes that are not LOINC (or another terminology) | `{root}/CodeSystem/{code}/answers` |
| the instrument's scores: scales, bands, outcomes, critical items | `{root}/CodeSystem/{code}/scores` |
| runxin's risk levels (none, moderate, high, critical) | `{root}/CodeSystem/risk-level` |
| the national student number (学籍号) | `{root}/NamingSystem/student-number` |
| a site's pseudonymous student identifier | `{root}/NamingSystem/pseudonym` |

LOINC codes for scale scores are listed here (`TOTAL_SCORE_LOINC`) by the instrument's LOINC panel code,
not in the instrument files: a shipped file is a stored, immutable version, and the format has no place
for a scale's code. Only codes known for certain are listed; a scale without one is published with its
runxin code and a text.
"""

from __future__ import annotations

from typing import Any

from runxin.screening.core.definition import Coding, InstrumentDefinition, LocalizedText, text_in
from runxin.screening.core.narrative import narrative

LOINC = "http://loinc.org"
URN = "urn:runxin:fhir"
FHIR_PATH = "/screening/fhir"
LEGACY_ANSWERS_PREFIX = f"{URN}:CodeSystem:"  # answers of older exports: urn:runxin:fhir:CodeSystem:<code>

# The total score's LOINC code for an instrument whose panel has one (LOINC panel code -> total score code).
TOTAL_SCORE_LOINC: dict[str, Coding] = {
    "44249-1": Coding(LOINC, "44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "69737-5": Coding(LOINC, "70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
}

RISK_LEVELS: tuple[tuple[str, LocalizedText], ...] = (
    ("none", {"en": "No risk indicator", "zh-Hans": "未发现风险指标"}),
    ("moderate", {"en": "Moderate", "zh-Hans": "中"}),
    ("high", {"en": "High", "zh-Hans": "高"}),
    ("critical", {"en": "Critical", "zh-Hans": "危急"}),
)


def root(base: str | None) -> str | None:
    return f"{base.rstrip('/')}{FHIR_PATH}" if base else None


def questionnaire_url(definition: InstrumentDefinition, base: str | None = None) -> str:
    return f"{root(base)}/Questionnaire/{definition.code}" if base else f"{URN}:Questionnaire:{definition.code}"


def answers_system(definition: InstrumentDefinition, base: str | None = None) -> str:
    return f"{root(base)}/CodeSystem/{definition.code}/answers" if base else f"{LEGACY_ANSWERS_PREFIX}{definition.code}"


def scores_system(definition: InstrumentDefinition, base: str | None = None) -> str:
    return f"{root(base)}/CodeSystem/{definition.code}/scores" if base else f"{URN}:CodeSystem:{definition.code}:scores"


def risk_level_system(base: str | None = None) -> str:
    return f"{root(base)}/CodeSystem/risk-level" if base else f"{URN}:CodeSystem:risk-level"


def student_number_system(base: str | None = None) -> str:
    return f"{root(base)}/NamingSystem/student-number" if base else f"{URN}:NamingSystem:student-number"


def pseudonym_system(base: str | None = None) -> str:
    return f"{root(base)}/NamingSystem/pseudonym" if base else f"{URN}:NamingSystem:pseudonym"


def is_own_answers_system(system: str, questionnaire_url_: str | None) -> bool:
    """Whether an answer's system is the answers CodeSystem of the Questionnaire that holds it (a runxin
    export from any site), so the import keeps the bare code as the option's value."""
    if system.startswith(LEGACY_ANSWERS_PREFIX):
        return True
    if questionnaire_url_ and f"{FHIR_PATH}/Questionnaire/" in questionnaire_url_:
        return system == questionnaire_url_.replace("/Questionnaire/", "/CodeSystem/", 1) + "/answers"
    return False


def total_loinc(definition: InstrumentDefinition, scale_id: str) -> Coding | None:
    """The LOINC code of the instrument's total score, when its panel has one known for certain."""
    if definition.total_scale != scale_id or definition.coding is None or definition.coding.system != LOINC:
        return None
    return TOTAL_SCORE_LOINC.get(definition.coding.code)


def band_code(scale_id: str, band: str) -> str:
    return f"{scale_id}.{band}"


def outcome_code(outcome: str) -> str:
    return f"outcome.{outcome}"


def critical_code(item_id: str) -> str:
    return f"critical.{item_id}"


# -- CodeSystem resources ------------------------------------------------------------------------------


def _concept(code: str, label: LocalizedText, primary: str, children: list[dict] | None = None) -> dict:
    concept: dict[str, Any] = {"code": code, "display": text_in(label, primary)}
    designations = [{"language": lang, "value": value} for lang, value in label.items() if lang != primary and value]
    if designations:
        concept["designation"] = designations
    if children:
        concept["concept"] = children
    return concept


def _code_system(definition: InstrumentDefinition, url: str, name: str, title: str, concepts: list[dict],
                 description: str) -> dict:
    resource = {
        "resourceType": "CodeSystem",
        "id": f"{definition.code}-{name}".lower(),
        "language": definition.primary_language,
        "url": url,
        "version": definition.version,
        "name": "".join(ch if ch.isalnum() else "_" for ch in f"{definition.code}_{name}".upper()),
        "title": title,
        "status": "active",
        "description": description,
        "caseSensitive": True,
        "content": "complete",
        "count": _count(concepts),
    }
    if concepts:  # FHIR allows no empty arrays: PHQ-9's answers are all LOINC's
        resource["concept"] = concepts
    rows = [(c["code"], c["display"]) for c in _walk(concepts)]
    return resource | {"text": narrative(title, table=(("Code", "Display"), rows))}


def _count(concepts: list[dict]) -> int:
    return sum(1 for _ in _walk(concepts))


def _walk(concepts: list[dict]):
    for concept in concepts:
        yield concept
        yield from _walk(concept.get("concept", []))


def answers_code_system(definition: InstrumentDefinition, base: str | None = None) -> dict:
    """Every answer code the Questionnaire gives with runxin's own system (LOINC answers are LOINC's)."""
    primary = definition.primary_language
    concepts: dict[str, dict] = {}
    for item in definition.items:
        for option in item.options if item.type == "choice" else ():
            if option.system is None and option.value not in concepts:
                concepts[option.value] = _concept(option.value, option.label, primary)
    title = f"{text_in(definition.title, primary)}: answers"
    return _code_system(definition, answers_system(definition, base), "answers", title, list(concepts.values()),
                        f"Answer codes of {definition.code} {definition.version} that no public terminology has.")


def scores_code_system(definition: InstrumentDefinition, base: str | None = None) -> dict:
    """The instrument's scales (an Observation's code), their bands (its interpretation), its outcomes and
    its critical items (a RiskAssessment's prediction)."""
    primary = definition.primary_language
    concepts = [
        _concept(scale.id, scale.label, primary,
                 [_concept(band_code(scale.id, b.code), b.label, primary) for b in scale.bands])
        for scale in definition.scales
    ]
    if definition.outcomes:
        concepts.append(_concept("outcome", {"en": "Screen outcome", "zh-Hans": "筛查结果"}, primary,
                                 [_concept(outcome_code(o.code), o.label, primary) for o in definition.outcomes]))
    for critical in definition.critical_items:
        if not any(c["code"] == critical_code(critical.item) for c in concepts):
            concepts.append(_concept(critical_code(critical.item), critical.reason, primary))
    title = f"{text_in(definition.title, primary)}: scores"
    return _code_system(definition, scores_system(definition, base), "scores", title, concepts,
                        f"Scales, bands, outcomes and critical items of {definition.code} {definition.version}.")


def risk_level_code_system(base: str | None = None, language: str = "zh-Hans") -> dict:
    concepts = [_concept(code, label, language) for code, label in RISK_LEVELS]
    title = "runxin risk levels"
    return {
        "resourceType": "CodeSystem", "id": "risk-level", "language": language,
        "text": narrative(title, table=(("Code", "Display"), [(c["code"], c["display"]) for c in concepts])),
        "url": risk_level_system(base), "version": "1", "name": "RUNXIN_RISK_LEVEL", "title": title,
        "status": "active", "description": "The level a screening result, outcome or critical item suggests "
        "for the early-warning (预警) rules.", "caseSensitive": True, "content": "complete",
        "count": len(concepts), "concept": concepts,
    }


def naming_systems(base: str | None = None) -> dict[str, dict]:
    """The identifier systems a subject may carry, by the last part of their URL."""
    described = {
        "student-number": ("RUNXIN_STUDENT_NUMBER", student_number_system(base),
                           "The national student number (全国中小学生学籍号) of the student, as the school roll holds "
                           "it. Personal data: exported only to clinical roles."),
        "pseudonym": ("RUNXIN_PSEUDONYM", pseudonym_system(base),
                      "A pseudonymous student identifier: stable for one student on this site, not reversible "
                      "without the site's secret key."),
    }
    resources = {}
    for key, (name, url, description) in described.items():
        resources[key] = {
            "resourceType": "NamingSystem", "id": key,
            "text": narrative(name, paragraphs=[description, url]),
            "name": name, "status": "active", "kind": "identifier", "date": "2026-01-01",
            "publisher": "runxin", "description": description,
            "uniqueId": [{"type": "uri", "value": url, "preferred": True}],
        }
    return resources
