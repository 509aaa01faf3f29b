"""FHIR R4 Questionnaire / QuestionnaireResponse import and export for instrument definitions.

Export writes standard elements wherever FHIR has them — items, `answerOption.valueCoding`, scores as
the `ordinalValue` extension, yes/no items as `boolean`, `enableWhen` for conditional items, text
translations with the `translation` extension — and carries the rest of our format (scales, bands,
critical items, outcomes, validity and missing-answer rules, provenance) in one runxin extension, so
that our own exports import back to the identical definition.

Import reads any R4 Questionnaire: scores come from `ordinalValue` (or the older `itemWeight` /
`iso21090-CO-value` extensions) on answer options or on the concepts of an `answerValueSet`, never
from answer codes or positions. A referenced ValueSet is looked up among the Questionnaire's
`contained` resources, then among the `value_sets` the caller passes (the MII PHQ-9, for example,
points at a ValueSet published separately). A foreign Questionnaire has no scoring rules, so the
caller may pass them (`scoring`) in our JSON format.

Validation uses `fhir.resources` R4B models: fhir.resources 8.x validates R5 by default and has no
strict R4 package after 7.0; R4B is structurally identical to R4 for Questionnaire and
QuestionnaireResponse, so an R4B-valid resource is a valid R4 resource.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from runxin.screening.core.codesystems import (
    LEGACY_ANSWERS_PREFIX,
    answers_system,
    is_own_answers_system,
    questionnaire_url,
    scores_system,
)
from runxin.screening.core.conditions import AllOf, AnswerIs, AnyOf, Condition, Unanswered
from runxin.screening.core.decimals import number
from runxin.screening.core.definition import (
    SCHEMA,
    InstrumentDefinition,
    Item,
    LocalizedText,
    Option,
    text_in,
)
from runxin.screening.core.fhir_shape import ShapeChecker, found, numeric_string
from runxin.screening.core.narrative import narrative
from runxin.screening.core.result import ScoreResult
from runxin.screening.core.scoring import check_answers
from runxin.screening.core.validation import ID_PATTERN, DefinitionError, parse_definition

LOINC = "http://loinc.org"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
CO_VALUE = "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value"
SCORE_EXTENSIONS = (ORDINAL_VALUE, ITEM_WEIGHT, CO_VALUE)
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"

RUNXIN = "urn:runxin:fhir"
RULES_EXT = f"{RUNXIN}:StructureDefinition:instrument-rules"
REVERSE_EXT = f"{RUNXIN}:StructureDefinition:reverse-scored"
OPTION_SET_EXT = f"{RUNXIN}:StructureDefinition:option-set"
SCALE_SCORE_EXT = f"{RUNXIN}:StructureDefinition:scale-score"
VALIDITY_EXT = f"{RUNXIN}:StructureDefinition:validity"
OUTCOME_EXT = f"{RUNXIN}:StructureDefinition:outcome"
FLAG_EXT = f"{RUNXIN}:StructureDefinition:flag"
ANSWER_EXPECTED_EXT = f"{RUNXIN}:StructureDefinition:answer-expected"
CODE_SYSTEM_PREFIX = LEGACY_ANSWERS_PREFIX

# Parts of our format that FHIR elements carry; everything else travels in RULES_EXT.
_NATIVE_KEYS = ("schema", "code", "version", "title", "instructions", "coding", "option_sets", "items")


class FhirError(ValueError):
    """A resource could not be imported or exported; `problems` lists each reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class ImportedQuestionnaire:
    """An imported definition and what the import had to decide on the way (skipped items, text fallbacks)."""

    definition: InstrumentDefinition
    notes: tuple[str, ...]


# -- validation --------------------------------------------------------------------------------------


VALIDATED = ("Questionnaire", "QuestionnaireResponse", "Observation", "RiskAssessment", "CodeSystem",
             "NamingSystem", "Bundle")


def validate_r4(resource: Mapping[str, Any]) -> None:
    """Raise FhirError unless `resource` is a structurally valid R4 resource of a kind runxin writes
    (`VALIDATED`); a Bundle's entries are each validated as their own type too.

    Checked with the fhir.resources R4B models (see the module docstring for why R4B stands for R4; the
    same holds for Observation, RiskAssessment, CodeSystem, NamingSystem and Bundle).
    """
    from fhir.resources.R4B import get_fhir_model_class

    models = {name: get_fhir_model_class(name) for name in VALIDATED}
    model = models.get(str(resource.get("resourceType")))
    if model is None:
        raise FhirError([f"resourceType: expected one of {', '.join(models)}"])
    try:
        model.model_validate(dict(resource))
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise FhirError([f"{resource['resourceType']} is not valid FHIR R4: {exc}"]) from exc
    for entry in resource.get("entry", []) if resource.get("resourceType") == "Bundle" else ():
        validate_r4(entry["resource"])


# -- export ------------------------------------------------------------------------------------------


def _code_system(definition: InstrumentDefinition, base: str | None) -> str:
    return answers_system(definition, base)


def _text_element(text: LocalizedText, primary: str, key: str) -> dict:
    """`{key: text, _key: {translation extensions}}` with the primary language as the plain value."""
    element: dict[str, Any] = {key: text[primary] if primary in text else next(iter(text.values()))}
    translations = [
        {"url": TRANSLATION, "extension": [{"url": "lang", "valueCode": lang}, {"url": "content", "valueString": value}]}
        for lang, value in text.items() if lang != primary
    ]
    if translations:
        element[f"_{key}"] = {"extension": translations}
    return element


def _option_coding(definition: InstrumentDefinition, option: Option, base: str | None) -> dict:
    coding = {"system": option.system or _code_system(definition, base), "code": option.value}
    return coding | _text_element(option.label, definition.primary_language, "display")


def _enable_when(definition: InstrumentDefinition, condition: Condition,
                 base: str | None) -> tuple[list[dict], str | None]:
    """enableWhen entries and enableBehavior for an ask_if; only answer and unanswered tests map to FHIR."""
    if isinstance(condition, AnyOf | AllOf):
        parts = [_enable_when(definition, c, base) for c in condition.conditions]
        if any(len(entries) != 1 for entries, _ in parts):
            raise FhirError([f"ask_if {condition.to_dict()} nests too deeply for enableWhen"])
        return [entries[0] for entries, _ in parts], "any" if isinstance(condition, AnyOf) else "all"
    if isinstance(condition, Unanswered):
        return [{"question": definition.item(condition.item).fhir_link_id, "operator": "exists",
                 "answerBoolean": False}], None
    if isinstance(condition, AnswerIs):
        item = definition.item(condition.item)
        entries = []
        for value in condition.values:
            entry: dict[str, Any] = {"question": item.fhir_link_id, "operator": "="}
            if item.type == "yes_no":
                entry["answerBoolean"] = value == "yes"
            else:
                option = item.option(value)
                entry["answerCoding"] = {"system": (option.system if option else None) or _code_system(definition, base),
                                         "code": value}
            entries.append(entry)
        return entries, "any" if len(entries) > 1 else None
    raise FhirError([f"ask_if {condition.to_dict()} cannot be expressed as enableWhen"])


def _export_item(definition: InstrumentDefinition, item: Item, base: str | None) -> dict:
    primary = definition.primary_language
    data: dict[str, Any] = {"linkId": item.fhir_link_id}
    extensions = []
    if item.required:
        extensions.append({"url": ANSWER_EXPECTED_EXT, "valueBoolean": True})
    if item.reverse:
        extensions.append({"url": REVERSE_EXT, "valueBoolean": True})
    if item.option_set:
        extensions.append({"url": OPTION_SET_EXT, "valueString": item.option_set})
    if extensions:
        data["extension"] = extensions
    if item.coding is not None:
        data["code"] = [item.coding.to_dict()]
    if item.number is not None:
        data["prefix"] = item.number
    data |= _text_element(item.text, primary, "text")
    data["type"] = {"choice": "choice", "yes_no": "boolean", "text": "text"}[item.type]
    if item.ask_if is not None:
        entries, behavior = _enable_when(definition, item.ask_if, base)
        data["enableWhen"] = entries
        if behavior:
            data["enableBehavior"] = behavior
    # Students may skip any question (the missing-answer rules and "needs review" deal with a gap), so no
    # item is FHIR-`required`: a completed response then never lacks a required answer. Whether the
    # instrument expects an answer travels in ANSWER_EXPECTED_EXT.
    data["required"] = False
    if item.type == "choice":
        data["answerOption"] = []
        for option in item.options:
            answer: dict[str, Any] = {}
            score = item.score_for(option.value)
            if score is not None:
                # The score the answer contributes, reverse scoring applied, as any FHIR scorer expects.
                answer["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": number(score)}]
            answer["valueCoding"] = _option_coding(definition, option, base)
            data["answerOption"].append(answer)
    return data


def definition_to_questionnaire(definition: InstrumentDefinition, *, base: str | None = None) -> dict:
    """The definition as a validated FHIR R4 Questionnaire (JSON dict), with a generated narrative.

    With `base` (the site's URL) the Questionnaire's `url` and the answer CodeSystem are the resolvable
    canonical URLs the site serves; without it, runxin URNs (see codesystems.py).
    """
    primary = definition.primary_language
    rules = {k: v for k, v in definition.to_dict().items() if k not in _NATIVE_KEYS}
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": definition.code,
        "extension": [{"url": RULES_EXT, "valueString": json.dumps(rules, ensure_ascii=False, sort_keys=True)}],
        "language": primary,
        "text": _questionnaire_narrative(definition),
        "url": questionnaire_url(definition, base),
        "version": definition.version,
        "name": "".join(ch if ch.isalnum() else "_" for ch in definition.code.upper()),
    }
    resource |= _text_element(definition.title, primary, "title")
    resource |= {"status": "active", "description": definition.source.citation, "copyright": definition.source.licence}
    if definition.coding is not None:
        resource["code"] = [definition.coding.to_dict()]
    items = []
    if definition.instructions:
        link_id = f"{definition.code}.instructions"
        items.append({"linkId": link_id, **_text_element(definition.instructions, primary, "text"), "type": "display"})
    items.extend(_export_item(definition, item, base) for item in definition.items)
    resource["item"] = items
    validate_r4(resource)
    return resource


def _questionnaire_narrative(definition: InstrumentDefinition) -> dict:
    primary = definition.primary_language
    rows = [(item.number or "", text_in(item.text, primary),
             " / ".join(text_in(o.label, primary) for o in item.options) if item.type == "choice" else
             {"yes_no": "yes / no", "text": "text"}.get(item.type, ""))
            for item in definition.items]
    return narrative(f"{text_in(definition.title, primary)} ({definition.code} {definition.version})",
                     paragraphs=[text_in(definition.instructions, primary) if definition.instructions else ""],
                     table=(("#", "Question", "Answers"), rows))


def result_to_questionnaire_response(definition: InstrumentDefinition, answers: Mapping[str, object],
                                     subject_reference: str | Mapping[str, Any], authored: datetime,
                                     result: ScoreResult, *, base: str | None = None) -> dict:
    """A validated FHIR R4 QuestionnaireResponse holding the answers and, in runxin extensions, the scores
    (published the standard way by fhir_observations.py), with a generated narrative.

    `subject_reference` is a reference string ("Patient/…") or a whole Reference (with an identifier).
    Answers to items that were not asked are left out (FHIR forbids answers to disabled items), as the
    scoring left them out. `authored` must carry a timezone.
    """
    if (result.instrument, result.version) != (definition.code, definition.version):
        raise FhirError([f"result was scored by {result.instrument} {result.version}, "
                         f"not {definition.code} {definition.version}"])
    if authored.tzinfo is None:
        raise FhirError(["authored: must be timezone-aware"])
    given = check_answers(definition, answers)
    ignored = {f.item for f in result.flags if f.kind == "ignored_answer"}
    primary = definition.primary_language
    items = []
    for item in definition.items:
        value = given.get(item.id)
        if value is None or item.id in ignored:
            continue
        answer: dict[str, Any]
        if item.type == "yes_no":
            answer = {"valueBoolean": value == "yes"}
        elif item.type == "text":
            answer = {"valueString": value}
        else:
            option = item.option(value)
            assert option is not None  # check_answers guarantees it
            coding = {"system": option.system or _code_system(definition, base), "code": value,
                      "display": option.label.get(primary) or next(iter(option.label.values()))}
            answer = {"valueCoding": coding}
            score = item.score_for(value)
            if score is not None:
                answer = {"extension": [{"url": ORDINAL_VALUE, "valueDecimal": number(score)}]} | answer
        items.append({"linkId": item.fhir_link_id, "text": item.text.get(primary) or next(iter(item.text.values())),
                      "answer": [answer]})
    subject = {"reference": subject_reference} if isinstance(subject_reference, str) else dict(subject_reference)
    rows = [(entry["text"], _answer_text(entry["answer"][0])) for entry in items]
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "text": narrative(f"{text_in(definition.title, primary)}: {authored.isoformat()}",
                          table=(("Question", "Answer"), rows)),
        "extension": _result_extensions(definition, result, base),
        "questionnaire": f"{questionnaire_url(definition, base)}|{definition.version}",
        "status": "completed",
        "subject": subject,
        "authored": authored.isoformat(),
        "item": items,
    }
    validate_r4(resource)
    return resource


def _answer_text(answer: Mapping[str, Any]) -> str:
    if "valueCoding" in answer:
        return str(answer["valueCoding"].get("display") or answer["valueCoding"]["code"])
    if "valueBoolean" in answer:
        return "yes" if answer["valueBoolean"] else "no"
    return str(answer.get("valueString", ""))


def _result_extensions(definition: InstrumentDefinition, result: ScoreResult, base: str | None) -> list[dict]:
    extensions: list[dict] = [{"url": VALIDITY_EXT, "valueCode": result.validity}]
    for scale in result.scales:
        parts: list[dict] = [{"url": "scale", "valueCode": scale.id}]
        for key in ("raw", "standard"):
            if getattr(scale, key) is not None:
                parts.append({"url": key, "valueDecimal": getattr(scale, key)})
        if scale.band is not None:
            parts.append({"url": "band", "valueCoding": {
                "system": scores_system(definition, base), "code": f"{scale.id}.{scale.band.code}",
                "display": scale.band.label.get("en") or next(iter(scale.band.label.values()))}})
            parts.append({"url": "level", "valueCode": scale.band.level})
        extensions.append({"url": SCALE_SCORE_EXT, "extension": parts})
    if result.outcome is not None:
        extensions.append({"url": OUTCOME_EXT, "valueCode": result.outcome.code})
    for flag in result.flags:
        parts = [{"url": "kind", "valueCode": flag.kind}, {"url": "message", "valueString": flag.message.en}]
        parts += [{"url": key, "valueCode": getattr(flag, key)} for key in ("level", "validity") if getattr(flag, key)]
        if flag.item is not None:
            parts.append({"url": "item", "valueString": flag.item})
        extensions.append({"url": FLAG_EXT, "extension": parts})
    return extensions


# -- import ------------------------------------------------------------------------------------------


def _extension_value(holder: Mapping[str, Any] | None, urls: Iterable[str]) -> Any:
    urls = tuple(urls)
    for ext in (holder or {}).get("extension", []):
        if ext.get("url") in urls:
            return next((v for k, v in ext.items() if k.startswith("value")), None)
    return None


def _score_of(*holders: Mapping[str, Any] | None) -> Decimal | None:
    """The score on an option or concept; the shape check has already refused one that is not a number
    (or a number written as a string, which is read as that number)."""
    for holder in holders:
        value = _extension_value(holder, SCORE_EXTENSIONS)
        if _is_number(value):
            return Decimal(str(value))
        if numeric_string(value) is not None:
            return numeric_string(value)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    return repr(value) if isinstance(value, str) else found(value)


def _check_shape(value: Any, shape: str, path: str = "", notes: list[str] | None = None) -> None:
    """Raise FhirError naming every element of the wrong JSON type (see fhir_shape)."""
    checker = ShapeChecker(SCORE_EXTENSIONS)
    checker.shape(value, shape, path)
    if checker.problems:
        raise FhirError(checker.problems)
    if notes is not None:
        notes.extend(checker.notes)


def unbundle(data: Any) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
    """The Questionnaire in an uploaded resource — a Questionnaire, or a Bundle holding one and the
    ValueSets it references — and those ValueSets. Raises FhirError for anything else."""
    if not isinstance(data, Mapping):
        raise FhirError([f"(root): expected a FHIR resource (an object), found {found(data)}"])
    kind = data.get("resourceType")
    if kind == "Questionnaire":
        return data, []
    if kind != "Bundle":
        raise FhirError([f"resourceType: expected 'Questionnaire' or 'Bundle', found {_describe(kind)}"])
    _check_shape(data, "Bundle")
    resources = [e["resource"] for e in data.get("entry", []) if "resource" in e]
    questionnaires = [r for r in resources if r.get("resourceType") == "Questionnaire"]
    if not questionnaires:
        raise FhirError(["entry: the Bundle holds no Questionnaire"])
    return questionnaires[0], [r for r in resources if r.get("resourceType") == "ValueSet"]


def _safe_ids(link_ids: Sequence[str]) -> dict[str, str]:
    """linkId -> item id. FHIR allows any string as a linkId ("/44250-9", "H1/T1/Q1"); our ids go into URLs
    and must match ID_PATTERN, so a linkId that does not is given a safe id (its other characters as "_",
    numbered when two would clash). Ids that are already safe are kept, and reserved first."""
    mapping = {link_id: link_id for link_id in link_ids if ID_PATTERN.match(link_id)}
    taken = set(mapping)
    for link_id in link_ids:
        if link_id in mapping:
            continue
        base = re.sub(r"[^A-Za-z0-9_.\-]+", "_", link_id).strip("_.-")[:56] or "item"
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        mapping[link_id] = candidate
        taken.add(candidate)
    return mapping


class _Importer:
    def __init__(self, questionnaire: Mapping[str, Any], value_sets: Iterable[Mapping[str, Any]]) -> None:
        self.primary: str = questionnaire.get("language") or "en"
        self.url: str | None = questionnaire.get("url") if isinstance(questionnaire.get("url"), str) else None
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.texts: list[LocalizedText] = []  # every text built, to fill in missing languages at the end
        self.unresolved: dict[str, list[str]] = {}  # answerValueSet reference -> linkIds using it
        self.link_ids: dict[str, str] = {}  # FHIR linkId -> item id
        contained = [r for r in questionnaire.get("contained", []) if r.get("resourceType") == "ValueSet"]
        self.contained_by_id = {f"#{r.get('id')}": r for r in contained}
        self.value_sets = {r.get("url"): r for r in [*contained, *value_sets] if r.get("url")}

    def text(self, holder: Mapping[str, Any], key: str) -> LocalizedText:
        """A plain FHIR string plus its translation extensions, as one localized text."""
        text: LocalizedText = {}
        if holder.get(key):
            text[self.primary] = holder[key]
        for ext in holder.get(f"_{key}", {}).get("extension", []):
            if ext.get("url") == TRANSLATION:
                parts = {e.get("url"): next((v for k, v in e.items() if k.startswith("value")), None)
                         for e in ext.get("extension", [])}
                if parts.get("lang") and parts.get("content"):
                    text[parts["lang"]] = parts["content"]
        self.texts.append(text)
        return text

    def value_set(self, reference: str, link_id: str) -> Mapping[str, Any] | None:
        found = self.contained_by_id.get(reference) or self.value_sets.get(reference.split("|")[0])
        if found is None:
            self.unresolved.setdefault(reference, []).append(link_id)
        return found

    def value_set_options(self, reference: str, path: str, link_id: str) -> list[dict]:
        value_set = self.value_set(reference, link_id)
        if value_set is None:
            return []
        concepts: list[tuple[str | None, Mapping[str, Any]]] = []
        if value_set.get("expansion", {}).get("contains"):
            concepts = [(c.get("system"), c) for c in _walk_contains(value_set["expansion"]["contains"])]
        else:
            for include in value_set.get("compose", {}).get("include", []):
                if not include.get("concept"):
                    self.problems.append(f"{path}.answerValueSet: ValueSet {reference!r} selects codes by "
                                         "filter or other value sets; pass an expanded ValueSet instead")
                concepts += [(include.get("system"), c) for c in include.get("concept", [])]
        vs_language = value_set.get("language") or self.primary
        options = []
        for system, concept in concepts:
            # LOINC displays are English whatever the ValueSet's language; designations say theirs.
            label: LocalizedText = {("en" if system == LOINC else vs_language): concept.get("display") or concept["code"]}
            for designation in concept.get("designation", []):
                if designation.get("language") and designation.get("value"):
                    label[designation["language"]] = designation["value"]
            self.texts.append(label)
            options.append(_option_json(concept["code"], self.own(system), label, _score_of(concept)))
        return options

    def own(self, system: str | None) -> str | None:
        """None for our own answers CodeSystem (the option's code is then a plain value), else the system."""
        return None if system and is_own_answers_system(system, self.url) else system

    def answer_options(self, item: Mapping[str, Any], path: str) -> list[dict]:
        options = []
        for n, answer in enumerate(item.get("answerOption", [])):
            opath = f"{path}.answerOption[{n}]"
            if "valueCoding" in answer:
                coding = answer["valueCoding"]
                system = coding.get("system")
                if not coding.get("code"):
                    self.problems.append(f"{opath}.valueCoding.code: is required (the answer's value)")
                    continue
                label = self.text(coding, "display")
                if not label:
                    label[self.primary] = coding.get("code", "")
                options.append(_option_json(coding.get("code"), self.own(system), label, _score_of(answer, coding)))
            elif "valueString" in answer or "valueInteger" in answer:
                value = str(answer.get("valueString", answer.get("valueInteger")))
                label = {self.primary: value}
                self.texts.append(label)
                options.append(_option_json(value, None, label, _score_of(answer)))
            else:
                self.problems.append(f"{opath}: only valueCoding, valueString and valueInteger options are supported")
        return options


def _walk_contains(contains: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for entry in contains:
        if entry.get("code"):
            yield entry
        yield from _walk_contains(entry.get("contains", []))


def _option_json(code: Any, system: str | None, label: LocalizedText, score: Decimal | None) -> dict:
    option: dict[str, Any] = {"value": code, "label": label}
    if score is not None:
        option["score"] = number(score)
    if system:
        option["system"] = system
    return option


def _flatten(items: Iterable[Mapping[str, Any]], notes: list[str], path: str = "item") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, item) for every item in order, groups flattened into their items."""
    for n, item in enumerate(items):
        here = f"{path}[{n}]"
        if item.get("type") == "group":
            notes.append(f"{item.get('linkId')}: group flattened into its items")
            yield from _flatten(item.get("item", []), notes, f"{here}.item")
        else:
            yield here, item
            if item.get("item"):
                yield from _flatten(item["item"], notes, f"{here}.item")


def _ask_if(item: Mapping[str, Any], path: str, problems: list[str], link_ids: Mapping[str, str]) -> dict | None:
    """Our ask_if for an item's enableWhen, or None (recording a problem) when it has no equivalent."""
    conditions = []
    for n, entry in enumerate(item.get("enableWhen", [])):
        question, operator = link_ids.get(entry.get("question", "")), entry.get("operator")
        if question is None:
            problems.append(f"{path}.enableWhen[{n}].question: no question has the linkId {entry.get('question')!r}")
            continue
        if operator == "exists" and entry.get("answerBoolean") is False:
            conditions.append({"item": question, "unanswered": True})
        elif operator == "exists" and entry.get("answerBoolean") is True:
            conditions.append({"not": {"item": question, "unanswered": True}})
        elif operator == "=" and "answerBoolean" in entry:
            conditions.append({"item": question, "answer": "yes" if entry["answerBoolean"] else "no"})
        elif operator == "=" and "answerCoding" in entry:
            conditions.append({"item": question, "answer": entry["answerCoding"].get("code")})
        elif operator == "=" and ("answerString" in entry or "answerInteger" in entry):
            conditions.append({"item": question, "answer": str(entry.get("answerString", entry.get("answerInteger")))})
        else:
            problems.append(f"{path}.enableWhen[{n}]: operator {operator!r} with this answer type is not supported")
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return {"any" if item.get("enableBehavior") == "any" else "all": conditions}


def questionnaire_to_definition(
    questionnaire: Mapping[str, Any], *,
    value_sets: Iterable[Mapping[str, Any]] = (),
    scoring: Mapping[str, Any] | None = None,
    code: str | None = None,
    version: str | None = None,
    respondent: str = "student",
    grades: Sequence[int] = tuple(range(1, 13)),
) -> ImportedQuestionnaire:
    """Import a FHIR R4 Questionnaire as a validated definition.

    Scores come only from ordinalValue / itemWeight / iso21090-CO-value extensions. `scoring` supplies the
    scoring part of our format (scales, total_scale, critical_items, outcomes, validity_checks, missing)
    for a foreign Questionnaire; without it the definition gets a single "total" sum of the scored choice
    items and no bands. Items our format cannot hold (calculated numbers, attachments...) are skipped
    and listed in `notes`. Raises FhirError for what cannot be imported at all.
    """
    if not isinstance(questionnaire, Mapping):
        raise FhirError([f"(root): expected a Questionnaire (an object), found {found(questionnaire)}"])
    if questionnaire.get("resourceType") != "Questionnaire":
        raise FhirError([f"resourceType: expected 'Questionnaire', found {_describe(questionnaire.get('resourceType'))}"])
    if scoring is not None and not isinstance(scoring, Mapping):
        raise FhirError([f"scoring: expected an object of scoring rules, found {found(scoring)}"])
    value_sets = list(value_sets)
    shape_notes: list[str] = []
    _check_shape(questionnaire, "Questionnaire", "", shape_notes)
    for n, value_set in enumerate(value_sets):
        _check_shape(value_set, "ValueSet", f"value_sets[{n}]", shape_notes)
    importer = _Importer(questionnaire, value_sets)
    importer.notes.extend(shape_notes)
    rules = _rules(questionnaire)

    leading_displays: list[LocalizedText] = []  # display items before the first question: the instructions
    items: list[dict] = []
    option_sets: dict[str, list[dict]] = {}
    flat = list(_flatten(questionnaire.get("item", []), importer.notes))
    seen: dict[str, str] = {}
    for path, fhir_item in flat:
        if fhir_item["linkId"] in seen:
            importer.problems.append(f"{path}.linkId: {fhir_item['linkId']!r} is also the linkId of {seen[fhir_item['linkId']]}")
        seen.setdefault(fhir_item["linkId"], path)
    importer.link_ids = _safe_ids(list(seen))
    for path, fhir_item in flat:
        kind = fhir_item.get("type")
        if kind == "display":
            if not items:
                leading_displays.append(importer.text(fhir_item, "text"))
            else:
                importer.notes.append(f"{fhir_item.get('linkId')}: display item after the first question skipped")
            continue
        if kind not in ("choice", "open-choice", "boolean", "string", "text"):
            importer.notes.append(f"{fhir_item.get('linkId')}: {kind} item skipped (not an answer our format scores)")
            continue
        item: dict[str, Any] = {"id": importer.link_ids[fhir_item["linkId"]]}
        if item["id"] != fhir_item["linkId"]:
            item["link_id"] = fhir_item["linkId"]
        if fhir_item.get("prefix"):
            item["number"] = fhir_item["prefix"]
        item["text"] = importer.text(fhir_item, "text")
        if kind in ("choice", "open-choice"):
            item["type"] = "choice"
            if kind == "open-choice":
                importer.notes.append(f"{fhir_item.get('linkId')}: open-choice imported as choice (free text dropped)")
            options = (importer.value_set_options(fhir_item["answerValueSet"], path, fhir_item["linkId"])
                       if "answerValueSet" in fhir_item
                       else importer.answer_options(fhir_item, path))
            # Items sharing an answerValueSet share an option set, named after the ValueSet.
            shared = fhir_item.get("answerValueSet", "").split("|")[0].rsplit("/", 1)[-1].lstrip("#")
            if _extension_value(fhir_item, (REVERSE_EXT,)) is True:
                item["reverse"] = True
                options = _unreverse(options)
            set_name = _extension_value(fhir_item, (OPTION_SET_EXT,)) or shared
            set_name = set_name if isinstance(set_name, str) and ID_PATTERN.match(set_name) else None
            if set_name and option_sets.setdefault(set_name, options) == options:
                item["option_set"] = set_name
            else:
                item["options"] = options
        else:
            item["type"] = "yes_no" if kind == "boolean" else "text"
        # Our exports say "answer expected" in an extension (FHIR `required` is false: students may skip).
        if not (fhir_item.get("required", False) or _extension_value(fhir_item, (ANSWER_EXPECTED_EXT,)) is True):
            item["required"] = False
        ask_if = _ask_if(fhir_item, path, importer.problems, importer.link_ids)
        if ask_if is not None:
            item["ask_if"] = ask_if
        if fhir_item.get("code"):
            first = fhir_item["code"][0]
            item["coding"] = {k: first[k] for k in ("system", "code", "display") if first.get(k)}
        items.append(item)

    title = importer.text(questionnaire, "title") if questionnaire.get("title") else {}
    if not title:
        title[importer.primary] = questionnaire.get("name") or questionnaire.get("id") or "Imported questionnaire"
        importer.texts.append(title)
    languages = _fill_languages(importer, rules)
    instructions = {lang: "\n\n".join(t[lang] for t in leading_displays if t) for lang in languages}
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "code": code or str(questionnaire.get("id", "")).lower(),
        "version": version or questionnaire.get("version"),
        "title": title,
        "languages": languages,
        "respondent": respondent,
        "grades": list(grades),
        "source": {"citation": questionnaire.get("description") or _citation(questionnaire),
                   "licence": questionnaire.get("copyright")
                   or "No licence stated in the imported FHIR Questionnaire; check the source before use."},
    }
    if any(leading_displays):
        data["instructions"] = instructions
    if questionnaire.get("code"):
        first = questionnaire["code"][0]
        data["coding"] = {k: first[k] for k in ("system", "code", "display") if first.get(k)}
    if option_sets:
        data["option_sets"] = {k: v for k, v in option_sets.items() if any(i.get("option_set") == k for i in items)}
    data["items"] = items
    if rules:
        data |= rules  # our own export: provenance, respondent, grades and scoring restored exactly
    else:
        data |= _complete_texts(dict(scoring) if scoring else _default_scoring(items, option_sets), languages)
    for reference, link_ids in importer.unresolved.items():
        importer.problems.append(f"answerValueSet {reference!r} (items {', '.join(link_ids)}): the ValueSet is "
                                 "neither contained in the Questionnaire nor among the value sets passed in")
    if not data["version"]:
        importer.problems.append("version: the Questionnaire has none; pass version=...")
    if importer.problems:
        raise FhirError(importer.problems)
    try:
        definition = parse_definition(data)
    except DefinitionError as exc:
        raise FhirError([f"imported definition: {p}" for p in exc.problems]) from exc
    return ImportedQuestionnaire(definition, tuple(importer.notes))


def _rules(questionnaire: Mapping[str, Any]) -> dict[str, Any]:
    """The rest of our format, carried by our own exports in the instrument-rules extension."""
    rules_json = _extension_value(questionnaire, (RULES_EXT,))
    if rules_json is None:
        return {}
    try:
        rules = json.loads(rules_json) if isinstance(rules_json, str) else None
    except json.JSONDecodeError as exc:
        raise FhirError([f"extension ({RULES_EXT}): the rules are not valid JSON: {exc.msg}"]) from exc
    if not isinstance(rules, dict):
        raise FhirError([f"extension ({RULES_EXT}): expected the rules as a JSON object in valueString"])
    return rules


def _unreverse(options: list[dict]) -> list[dict]:
    """Our export writes reversed scores; give back the options' own scores (the mirror is its own inverse)."""
    scores = [o["score"] for o in options if "score" in o]
    if not scores:
        return options
    low, high = min(scores), max(scores)
    return [o | {"score": number(Decimal(str(low)) + Decimal(str(high)) - Decimal(str(o["score"])))} if "score" in o else o
            for o in options]


def _citation(questionnaire: Mapping[str, Any]) -> str:
    parts = [questionnaire.get("title") or questionnaire.get("name") or questionnaire.get("id"),
             questionnaire.get("publisher"), questionnaire.get("url")]
    return ", ".join(str(p) for p in parts if p)


def _fill_languages(importer: _Importer, rules: Mapping[str, Any]) -> dict[str, Any]:
    """Declare every language seen (the primary first); texts lacking one get the primary text, with a note."""
    seen = [importer.primary] + sorted({lang for t in importer.texts for lang in t} - {importer.primary})
    languages = rules.get("languages") or {lang: {"status": "imported"} for lang in seen}
    fallbacks: dict[str, int] = {}
    for text in importer.texts:
        source = text.get(importer.primary) or next(iter(text.values()), "")
        for lang in languages:
            if lang not in text:
                text[lang] = source
                fallbacks[lang] = fallbacks.get(lang, 0) + 1
    for lang, count in fallbacks.items():
        importer.notes.append(f"{count} text(s) had no {lang!r} translation; the {importer.primary!r} text was used")
    return languages


def _complete_texts(value: Any, languages: Iterable[str]) -> Any:
    """A copy of caller-supplied scoring JSON whose texts cover every declared language.

    A missing language takes the English text (or the first there is): the caller writes scoring rules
    in their languages, which need not be the Questionnaire's.
    """
    if isinstance(value, list):
        return [_complete_texts(v, languages) for v in value]
    if not isinstance(value, Mapping):
        return value
    copy = {}
    for key, child in value.items():
        if key in ("label", "reason", "note") and isinstance(child, Mapping) and child:
            copy[key] = dict(child) | {lang: child.get("en") or next(iter(child.values()))
                                       for lang in languages if lang not in child}
        else:
            copy[key] = _complete_texts(child, languages)
    return copy


def _default_scoring(items: list[dict], option_sets: Mapping[str, list[dict]]) -> dict[str, Any]:
    """One "total" sum over every choice item with scores, range from the scores, no bands."""
    members, low, high = [], Decimal(0), Decimal(0)
    for item in items:
        options = option_sets.get(item.get("option_set", ""), item.get("options", []))
        scores = [Decimal(str(o["score"])) for o in options if "score" in o]
        if item["type"] == "choice" and scores and "ask_if" not in item:
            members.append(item["id"])
            low, high = low + min(scores), high + max(scores)
    if not members:
        return {"scales": []}
    label = {"en": "Total score", "zh-Hans": "总分"}
    return {"scales": [{"id": "total", "label": label, "kind": "sum", "items": members,
                        "range": [number(low), number(high)]}], "total_scale": "total"}


def answers_from_questionnaire_response(definition: InstrumentDefinition, response: Mapping[str, Any], *,
                                        link_ids: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """Our answers mapping from a QuestionnaireResponse.

    `link_ids` renames the response's linkIds to item ids, or drops them (None) — for responses whose
    linkIds differ from their Questionnaire's, as in the MII PHQ-9 example ("PHQ.1" vs "PHQ-9.1").
    Raises FhirError listing every linkId or answer that does not fit the definition.
    """
    if not isinstance(response, Mapping):
        raise FhirError([f"(root): expected a QuestionnaireResponse (an object), found {found(response)}"])
    if response.get("resourceType") != "QuestionnaireResponse":
        raise FhirError([f"resourceType: expected 'QuestionnaireResponse', found {_describe(response.get('resourceType'))}"])
    _check_shape(response, "QuestionnaireResponse")
    link_ids = link_ids or {}
    by_link_id = {i.fhir_link_id: i.id for i in definition.items}
    known = {i.id for i in definition.items}
    answers: dict[str, str] = {}
    problems: list[str] = []
    for entry in _response_items(response.get("item", [])):
        link_id = entry["linkId"]
        if link_id in link_ids:
            item_id = link_ids[link_id]
            if item_id is None:
                continue
            item_id = item_id if item_id in known else by_link_id.get(item_id, item_id)
        else:
            item_id = by_link_id.get(link_id, link_id)
        if item_id not in known:
            problems.append(f"linkId {link_id!r}: no such item in {definition.code} {definition.version}")
            continue
        values = entry.get("answer", [])
        if len(values) > 1:
            problems.append(f"linkId {link_id!r}: more than one answer")
            continue
        if values:
            value = _answer_value(definition.item(item_id), values[0], problems, link_id)
            if value is not None:
                answers[item_id] = value
    if problems:
        raise FhirError(problems)
    return answers


def _response_items(items: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for entry in items:
        yield entry
        yield from _response_items(entry.get("item", []))
        for answer in entry.get("answer", []):
            yield from _response_items(answer.get("item", []))


def _answer_value(item: Item, answer: Mapping[str, Any], problems: list[str], link_id: str) -> str | None:
    if "valueBoolean" in answer and item.type == "yes_no":
        return "yes" if answer["valueBoolean"] else "no"
    if "valueString" in answer and item.type == "text":
        return str(answer["valueString"])
    if "valueCoding" in answer and item.type == "choice":
        coding = answer["valueCoding"]
        option = item.option(str(coding.get("code")))
        if option is None or (option.system and coding.get("system") and coding["system"] != option.system):
            problems.append(f"linkId {link_id!r}: {coding.get('system')}|{coding.get('code')} is not an option")
            return None
        return option.value
    if ("valueString" in answer or "valueInteger" in answer) and item.type == "choice":
        value = str(answer.get("valueString", answer.get("valueInteger")))
        if item.option(value) is not None:
            return value
    problems.append(f"linkId {link_id!r}: answer {dict(answer)} does not fit a {item.type} item")
    return None


__all__ = [
    "FhirError",
    "ImportedQuestionnaire",
    "answers_from_questionnaire_response",
    "definition_to_questionnaire",
    "questionnaire_to_definition",
    "questionnaire_url",
    "result_to_questionnaire_response",
    "validate_r4",
]
