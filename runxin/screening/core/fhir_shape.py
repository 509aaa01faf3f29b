"""The JSON shape of the FHIR resources the importer reads, checked before it reads them.

An uploaded file can hold anything: `"item": "x"`, `"valueCoding": 3`, `"answerOption": {…}` where a list
belongs. `shape_problems` walks the elements the importer uses and names each one of the wrong JSON type
by its path ("item[2].answerOption[0].valueCoding: expected an object, found a string"), so the importer
after it can rely on the types and a bad file is a clear message, never a crash. Elements the importer
does not read are not checked: FHIR has many, and a foreign file may use them as it likes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

STRING, BOOLEAN, NUMBER, INTEGER = "string", "boolean", "number", "integer"
EXPECTED = {STRING: "a string", BOOLEAN: "true or false", NUMBER: "a number", INTEGER: "a whole number",
            "object": "an object", "list": "a list"}

Spec = str | tuple[str, Any]


def _obj(shape: str) -> tuple[str, str]:
    return ("object", shape)


def _list(spec: Spec) -> tuple[str, Spec]:
    return ("list", spec)


_EXT = _list(_obj("extension"))
_CODING = _obj("coding")
_ELEMENT = _obj("element")

# element -> expected type, per kind of object. "required" lists the elements that must be present.
SHAPES: dict[str, dict[str, Spec]] = {
    "Questionnaire": {
        "resourceType": STRING, "id": STRING, "language": STRING, "url": STRING, "version": STRING, "name": STRING,
        "title": STRING, "_title": _ELEMENT, "status": STRING, "description": STRING, "copyright": STRING,
        "publisher": STRING, "extension": _EXT, "contained": _list(_obj("resource")), "code": _list(_CODING),
        "item": _list(_obj("item")),
    },
    "item": {
        "linkId": STRING, "type": STRING, "prefix": STRING, "text": STRING, "_text": _ELEMENT, "required": BOOLEAN,
        "repeats": BOOLEAN, "readOnly": BOOLEAN, "answerValueSet": STRING,
        "answerOption": _list(_obj("answerOption")), "extension": _EXT, "enableWhen": _list(_obj("enableWhen")),
        "enableBehavior": STRING, "code": _list(_CODING), "item": _list(_obj("item")),
    },
    "answerOption": {
        "valueCoding": _CODING, "valueString": STRING, "valueInteger": INTEGER, "valueDate": STRING,
        "valueTime": STRING, "valueReference": _obj("any"), "initialSelected": BOOLEAN, "extension": _EXT,
    },
    "coding": {"system": STRING, "version": STRING, "code": STRING, "display": STRING, "_display": _ELEMENT,
               "userSelected": BOOLEAN, "extension": _EXT},
    "element": {"id": STRING, "extension": _EXT},
    "extension": {"url": STRING, "extension": _EXT},  # and one value[x], checked by its type suffix
    "enableWhen": {
        "question": STRING, "operator": STRING, "answerBoolean": BOOLEAN, "answerDecimal": NUMBER,
        "answerInteger": INTEGER, "answerDate": STRING, "answerDateTime": STRING, "answerTime": STRING,
        "answerString": STRING, "answerCoding": _CODING, "answerQuantity": _obj("any"),
        "answerReference": _obj("any"),
    },
    "resource": {"resourceType": STRING},  # a contained or bundled resource; a ValueSet is checked as one
    "ValueSet": {"resourceType": STRING, "id": STRING, "url": STRING, "language": STRING, "version": STRING,
                 "extension": _EXT, "compose": _obj("compose"), "expansion": _obj("expansion")},
    "compose": {"include": _list(_obj("include")), "exclude": _list(_obj("include"))},
    "include": {"system": STRING, "version": STRING, "concept": _list(_obj("concept")),
                "filter": _list(_obj("any")), "valueSet": _list(STRING)},
    "concept": {"code": STRING, "display": STRING, "designation": _list(_obj("designation")), "extension": _EXT},
    "designation": {"language": STRING, "use": _CODING, "value": STRING},
    "expansion": {"contains": _list(_obj("contains")), "extension": _EXT},
    "contains": {"system": STRING, "code": STRING, "display": STRING, "designation": _list(_obj("designation")),
                 "extension": _EXT, "contains": _list(_obj("contains"))},
    "Bundle": {"resourceType": STRING, "entry": _list(_obj("entry"))},
    "entry": {"fullUrl": STRING, "resource": _obj("resource")},
    "QuestionnaireResponse": {"resourceType": STRING, "questionnaire": STRING, "status": STRING,
                              "extension": _EXT, "item": _list(_obj("responseItem"))},
    "responseItem": {"linkId": STRING, "text": STRING, "answer": _list(_obj("answer")),
                     "item": _list(_obj("responseItem"))},
    "answer": {"valueBoolean": BOOLEAN, "valueDecimal": NUMBER, "valueInteger": INTEGER, "valueDate": STRING,
               "valueDateTime": STRING, "valueTime": STRING, "valueString": STRING, "valueUri": STRING,
               "valueCoding": _CODING, "valueQuantity": _obj("any"), "extension": _EXT,
               "item": _list(_obj("responseItem"))},
    "any": {},
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "item": ("linkId", "type"), "extension": ("url",), "concept": ("code",), "resource": ("resourceType",),
    "responseItem": ("linkId",),
}
NOT_EMPTY = {"linkId", "url", "resourceType"}

# value[x] of an extension: the JSON type each FHIR data type suffix is written as.
_PRIMITIVES = {
    "Boolean": BOOLEAN, "Integer": INTEGER, "UnsignedInt": INTEGER, "PositiveInt": INTEGER, "Integer64": INTEGER,
    "Decimal": NUMBER, "String": STRING, "Code": STRING, "Uri": STRING, "Url": STRING, "Canonical": STRING,
    "Id": STRING, "Oid": STRING, "Uuid": STRING, "Markdown": STRING, "Date": STRING, "DateTime": STRING,
    "Time": STRING, "Instant": STRING, "Base64Binary": STRING,
}


def found(value: Any) -> str:
    """The JSON type of `value` as a message says it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def numeric_string(value: Any) -> Decimal | None:
    """A finite number written as a JSON string ("3", "0.5"), else None."""
    if not isinstance(value, str):
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class ShapeChecker:
    """Collects "path: problem" lines; `score_urls` are extensions whose value is a score (a number, or a
    number written as a string, which is read and noted)."""

    def __init__(self, score_urls: tuple[str, ...] = ()) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.score_urls = score_urls

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path or '(root)'}: {message}")

    def check(self, value: Any, spec: Spec, path: str) -> None:
        if isinstance(spec, tuple):
            kind, inner = spec
            if kind == "list":
                if not isinstance(value, list):
                    self.problem(path, f"expected a list, found {found(value)}")
                    return
                for n, entry in enumerate(value):
                    self.check(entry, inner, f"{path}[{n}]")
                return
            self.shape(value, inner, path)
            return
        if not _is(value, spec):
            self.problem(path, f"expected {EXPECTED[spec]}, found {found(value)}")

    def shape(self, value: Any, shape: str, path: str) -> None:
        if not isinstance(value, Mapping):
            self.problem(path, f"expected an object, found {found(value)}")
            return
        if shape == "resource" and value.get("resourceType") == "ValueSet":
            shape = "ValueSet"
        for key in REQUIRED.get(shape, ()):
            if key not in value:
                self.problem(_at(path, key), "is required")
        for key, spec in SHAPES[shape].items():
            if key not in value:
                continue
            self.check(value[key], spec, _at(path, key))
            if key in NOT_EMPTY and isinstance(value[key], str) and not value[key].strip():
                self.problem(_at(path, key), "must not be empty")
        if shape == "extension":
            self.extension_value(value, path)

    def extension_value(self, extension: Mapping[str, Any], path: str) -> None:
        values = [key for key in extension if key.startswith("value")]
        is_score = extension.get("url") in self.score_urls
        if len(values) > 1:
            self.problem(path, f"has more than one value ({', '.join(values)})")
        if is_score and not values:
            self.problem(path, f"the score extension {extension.get('url')} has no value")
        for key in values:
            value, vpath = extension[key], _at(path, key)
            if is_score:
                if isinstance(value, str) and numeric_string(value) is not None:
                    self.notes.append(f"{vpath}: the score {value!r} is written as a string; read as a number")
                elif not _is(value, NUMBER):
                    self.problem(vpath, f"a score must be a number, found {found(value)}"
                                 + (f" ({value!r})" if isinstance(value, str) else ""))
                continue
            suffix = key[len("value"):]
            if suffix in _PRIMITIVES:
                self.check(value, _PRIMITIVES[suffix], vpath)
            elif suffix == "Coding":
                self.shape(value, "coding", vpath)
            elif suffix[:1].isupper():
                self.shape(value, "any", vpath)


def _is(value: Any, kind: str) -> bool:
    if kind == STRING:
        return isinstance(value, str)
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUMBER:  # Python's json reads NaN and Infinity; FHIR has neither
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    raise ValueError(kind)
