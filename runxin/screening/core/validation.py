"""Turn an instrument definition's JSON into checked `InstrumentDefinition` objects.

`parse_definition` reports every problem it finds, each prefixed by the JSON path it concerns
(`items[3].options[1].score: must be a number`), so an author can fix a definition in one pass.
Beyond types it checks meaning: references resolve, declared ranges match the items, severity bands
cover the range with no gap or overlap, conditions only name options that exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from runxin.screening.core.conditions import (
    AllOf,
    AnswerIs,
    AnyOf,
    Condition,
    ItemCondition,
    Not,
    ScaleAtLeast,
    ScaleAtMost,
    ScoreAtLeast,
    ScoreAtMost,
    Unanswered,
)
from runxin.screening.core.decimals import number, round_half_up
from runxin.screening.core.definition import (
    BAND_LEVELS,
    CHECK_STATUSES,
    CRITICAL_LEVELS,
    ITEM_TYPES,
    LANGUAGE_STATUSES,
    LAYOUTS,
    MISSING_METHODS,
    ORIENTATIONS,
    OUTCOME_LEVELS,
    RESPONDENTS,
    SCALE_KINDS,
    SCHEMA,
    YES_NO_OPTIONS,
    Band,
    Coding,
    CriticalItem,
    Display,
    InstrumentDefinition,
    Item,
    LanguageInfo,
    LocalizedText,
    MissingPolicy,
    Option,
    Outcome,
    Scale,
    Source,
    Transform,
    ValidityCheck,
)

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")  # also a valid FHIR resource id
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")  # also a valid FHIR linkId
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
ITEM_TESTS = ("answer", "answer_in", "score_gte", "score_lte", "unanswered")
MAX_DIGITS = 4


class DefinitionError(ValueError):
    """A definition failed validation; `problems` holds one "path: message" line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid instrument definition:\n  " + "\n  ".join(self.problems))


def parse_definition(data: Any) -> InstrumentDefinition:
    """Validate `data` (the JSON form) and build the definition; raise DefinitionError listing every problem."""
    parser = _Parser()
    definition = parser.definition(data)
    if parser.problems or definition is None:
        raise DefinitionError(parser.problems or ["(root): not a definition"])
    return definition


def _at(path: str, key: str) -> str:
    """The JSON path of `key` inside `path` ("" is the root)."""
    return f"{path}.{key}" if path else key


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Parser:
    """Collects problems while building; a None return means "already reported"."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.languages: tuple[str, ...] = ()

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path or '(root)'}: {message}")

    # -- primitives ---------------------------------------------------------------------------

    def obj(self, value: Any, path: str, allowed: Iterable[str]) -> dict | None:
        if not isinstance(value, Mapping):
            self.problem(path, "must be an object")
            return None
        allowed = set(allowed)
        for key in value:
            if key not in allowed:
                self.problem(_at(path, key), "unknown key")
        return dict(value)

    def string(self, obj: Mapping, key: str, path: str, *, required: bool = True,
               pattern: re.Pattern | None = None) -> str | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.problem(_at(path, key), "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(_at(path, key), "must be a non-empty string")
            return None
        if pattern is not None and not pattern.match(value):
            self.problem(_at(path, key), f"{value!r} does not match {pattern.pattern}")
            return None
        return value

    def num(self, value: Any, path: str) -> Decimal | None:
        if not _is_number(value):
            self.problem(path, "must be a number")
            return None
        return Decimal(str(value))

    def integer(self, obj: Mapping, key: str, path: str, default: int, low: int, high: int) -> int:
        value = obj.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.problem(_at(path, key), f"must be a whole number from {low} to {high}")
            return default
        return value

    def choice(self, obj: Mapping, key: str, path: str, choices: Sequence[str], default: str | None = None) -> Any:
        value = obj.get(key, default)
        if value not in choices:
            self.problem(_at(path, key), f"must be one of {', '.join(choices)}" + ("" if value is None else f", not {value!r}"))
            return default or choices[0]
        return value

    def boolean(self, obj: Mapping, key: str, path: str, default: bool) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.problem(_at(path, key), "must be true or false")
            return default
        return value

    def seq(self, obj: Mapping, key: str, path: str, *, required: bool = True) -> list | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.problem(_at(path, key), "is required")
            return None
        if not isinstance(value, list):
            self.problem(_at(path, key), "must be a list")
            return None
        return value

    def text(self, obj: Mapping, key: str, path: str, *, required: bool = True) -> LocalizedText | None:
        """A text in every declared language (more languages are kept)."""
        value = obj.get(key)
        path = _at(path, key)
        if value is None:
            if required:
                self.problem(path, "is required")
            return None
        if not isinstance(value, Mapping) or not value:
            self.problem(path, "must be an object of language tag -> text")
            return None
        ok = True
        for lang, text in value.items():
            if not isinstance(text, str) or not text.strip():
                self.problem(f"{path}.{lang}", "must be a non-empty string")
                ok = False
        for lang in self.languages:
            if lang not in value:
                self.problem(f"{path}.{lang}", "is missing (every text needs each declared language)")
                ok = False
        return dict(value) if ok else None

    def coding(self, value: Any, path: str) -> Coding | None:
        obj = self.obj(value, path, ("system", "code", "display"))
        if obj is None:
            return None
        system, code = self.string(obj, "system", path), self.string(obj, "code", path)
        display = self.string(obj, "display", path, required=False)
        return Coding(system, code, display) if system and code else None

    # -- the definition -----------------------------------------------------------------------

    def definition(self, data: Any) -> InstrumentDefinition | None:
        top = self.obj(data, "", (
            "schema", "code", "version", "title", "instructions", "languages", "respondent", "grades",
            "display", "source", "coding", "option_sets", "items", "scales", "total_scale",
            "critical_items", "outcomes", "validity_checks", "missing", "respondent_title",
        ))
        if top is None:
            return None
        if top.get("schema") != SCHEMA:
            self.problem("schema", f"must be {SCHEMA!r}")
        code = self.string(top, "code", "", pattern=CODE_PATTERN)
        version = self.string(top, "version", "")
        languages = self.language_infos(top.get("languages"))
        title = self.text(top, "title", "")
        instructions = self.text(top, "instructions", "", required=False) or {}
        respondent_title = self.text(top, "respondent_title", "", required=False) or {}
        respondent = self.choice(top, "respondent", "", RESPONDENTS)
        grades = self.grades(top.get("grades"))
        display = self.display(top.get("display", {}))
        source = self.source(top.get("source"))
        coding = self.coding(top["coding"], "coding") if "coding" in top else None
        option_sets = self.option_sets(top.get("option_sets", {}))
        items = self.items(top.get("items"), option_sets)
        by_id = {i.id: i for i in items}
        scales = self.scales(top.get("scales", []), by_id)
        scale_ids = {s.id for s in scales}
        total_scale = top.get("total_scale")
        if total_scale is not None and total_scale not in scale_ids:
            self.problem("total_scale", f"names no scale ({total_scale!r})")
        critical = self.critical_items(top.get("critical_items", []), by_id)
        outcomes = self.outcomes(top.get("outcomes", []), by_id, scale_ids)
        checks = self.validity_checks(top.get("validity_checks", []), by_id, {s.id: s for s in scales})
        missing = self.missing(top.get("missing", {}))
        if self.problems or not (code and version and title and source):
            return None
        return InstrumentDefinition(
            code=code, version=version, title=title, instructions=instructions, languages=languages,
            respondent=respondent, grades=grades, source=source, items=tuple(items), scales=tuple(scales),
            total_scale=total_scale, critical_items=tuple(critical), outcomes=tuple(outcomes),
            validity_checks=tuple(checks), missing=missing, display=display, option_sets=option_sets,
            coding=coding, respondent_title=respondent_title,
        )

    def language_infos(self, value: Any) -> dict[str, LanguageInfo]:
        if not isinstance(value, Mapping) or not value:
            self.problem("languages", "must be an object of language tag -> {status, note}, the primary language first")
            return {}
        infos = {}
        for lang, raw in value.items():
            path = f"languages.{lang}"
            if not LANGUAGE_PATTERN.match(lang):
                self.problem(path, "is not a language tag such as zh-Hans or en")
                continue
            obj = self.obj(raw, path, ("status", "note"))
            if obj is None:
                continue
            infos[lang] = LanguageInfo(self.choice(obj, "status", path, LANGUAGE_STATUSES),
                                       self.string(obj, "note", path, required=False))
        self.languages = tuple(infos)
        return infos

    def grades(self, value: Any) -> tuple[int, ...]:
        if (not isinstance(value, list) or not value
                or any(not isinstance(g, int) or isinstance(g, bool) or not 1 <= g <= 12 for g in value)):
            self.problem("grades", "must be a non-empty list of school grades 1-12")
            return ()
        if len(set(value)) != len(value):
            self.problem("grades", "lists a grade twice")
        return tuple(sorted(value))

    def display(self, value: Any) -> Display:
        obj = self.obj(value, "display", ("layout", "options_orientation"))
        if obj is None:
            return Display()
        return Display(self.choice(obj, "layout", "display", LAYOUTS, "one_per_page"),
                       self.choice(obj, "options_orientation", "display", ORIENTATIONS, "vertical"))

    def source(self, value: Any) -> Source | None:
        if value is None:
            self.problem("source", "is required (citation and licence)")
            return None
        obj = self.obj(value, "source", ("citation", "licence", "url"))
        if obj is None:
            return None
        citation, licence = self.string(obj, "citation", "source"), self.string(obj, "licence", "source")
        url = self.string(obj, "url", "source", required=False)
        return Source(citation, licence, url) if citation and licence else None

    # -- options and items ----------------------------------------------------------------------

    def options(self, value: Any, path: str) -> tuple[Option, ...]:
        if not isinstance(value, list) or len(value) < 2:
            self.problem(path, "must be a list of at least two options")
            return ()
        options: list[Option] = []
        has_score: list[bool] = []
        for n, raw in enumerate(value):
            opath = f"{path}[{n}]"
            obj = self.obj(raw, opath, ("value", "label", "score", "system"))
            if obj is None:
                continue
            val = self.string(obj, "value", opath)
            label = self.text(obj, "label", opath)
            has_score.append("score" in obj)
            score = self.num(obj["score"], f"{opath}.score") if "score" in obj else None
            system = self.string(obj, "system", opath, required=False)
            if val in (o.value for o in options):
                self.problem(f"{opath}.value", f"{val!r} is used by another option")
            elif val and label:
                options.append(Option(val, label, score, system))
        if any(has_score) and not all(has_score):
            self.problem(f"{path}[{has_score.index(False)}].score", "is missing while other options are scored")
        return tuple(options)

    def option_sets(self, value: Any) -> dict[str, tuple[Option, ...]]:
        if not isinstance(value, Mapping):
            self.problem("option_sets", "must be an object of name -> options")
            return {}
        sets = {}
        for name, raw in value.items():
            if not ID_PATTERN.match(name):
                self.problem(f"option_sets.{name}", f"name does not match {ID_PATTERN.pattern}")
            sets[name] = self.options(raw, f"option_sets.{name}")
        return sets

    def items(self, value: Any, option_sets: Mapping[str, tuple[Option, ...]]) -> list[Item]:
        if not isinstance(value, list) or not value:
            self.problem("items", "must be a non-empty list")
            return []
        items: list[Item] = []
        for n, raw in enumerate(value):
            item = self.item(raw, f"items[{n}]", option_sets, {i.id: i for i in items})
            if item is not None:
                items.append(item)
        return items

    def item(self, raw: Any, path: str, option_sets: Mapping[str, tuple[Option, ...]],
             earlier: dict[str, Item]) -> Item | None:
        obj = self.obj(raw, path, ("id", "number", "text", "type", "options", "option_set", "reverse",
                                   "required", "ask_if", "coding", "link_id"))
        if obj is None:
            return None
        item_id = self.string(obj, "id", path, pattern=ID_PATTERN)
        if item_id in earlier:
            self.problem(f"{path}.id", f"{item_id!r} is used by another item")
        item_number = self.string(obj, "number", path, required=False)
        text = self.text(obj, "text", path)
        item_type = self.choice(obj, "type", path, ITEM_TYPES)
        options: tuple[Option, ...] = ()
        option_set = obj.get("option_set")
        if item_type == "choice":
            if ("options" in obj) == (option_set is not None):
                self.problem(path, "a choice item needs exactly one of options and option_set")
            elif option_set is not None:
                if option_set not in option_sets:
                    self.problem(f"{path}.option_set", f"names no option set ({option_set!r})")
                else:
                    options = option_sets[option_set]
            else:
                options = self.options(obj["options"], f"{path}.options")
        else:
            for key in ("options", "option_set"):
                if key in obj:
                    self.problem(_at(path, key), f"not allowed on a {item_type} item")
            option_set = None
            options = YES_NO_OPTIONS if item_type == "yes_no" else ()
        reverse = self.boolean(obj, "reverse", path, False)
        if reverse and not (item_type == "choice" and any(o.score is not None for o in options)):
            self.problem(f"{path}.reverse", "only a scored choice item can be reverse-scored")
        required = self.boolean(obj, "required", path, True)
        coding = self.coding(obj["coding"], f"{path}.coding") if "coding" in obj else None
        link_id = self.string(obj, "link_id", path, required=False)
        if (link_id or item_id) in {i.fhir_link_id for i in earlier.values()} and item_id not in earlier:
            self.problem(f"{path}.link_id", f"{link_id or item_id!r} is the FHIR linkId of another item")
        ask_if = None
        if "ask_if" in obj:
            # Only earlier items: the questionnaire is shown in order, so a later answer cannot decide.
            ask_if = self.condition(obj["ask_if"], f"{path}.ask_if", earlier, None)
        if not (item_id and text):
            return None
        return Item(item_id, text, item_type, options, option_set, item_number, reverse, required, ask_if, coding,
                    link_id)

    # -- conditions -----------------------------------------------------------------------------

    def condition(self, value: Any, path: str, items: Mapping[str, Item], scales: set[str] | None) -> Condition | None:
        """Parse a condition; `scales` None means scale tests are not allowed here (ask_if)."""
        if not isinstance(value, Mapping):
            self.problem(path, "must be a condition object")
            return None
        for key in ("any", "all"):
            if key in value:
                self.obj(value, path, (key,))
                children = value[key]
                if not isinstance(children, list) or not children:
                    self.problem(_at(path, key), "must be a non-empty list of conditions")
                    return None
                parsed = [self.condition(c, f"{path}.{key}[{n}]", items, scales) for n, c in enumerate(children)]
                if any(c is None for c in parsed):
                    return None
                return (AnyOf if key == "any" else AllOf)(tuple(c for c in parsed if c is not None))
        if "not" in value:
            self.obj(value, path, ("not",))
            inner = self.condition(value["not"], f"{path}.not", items, scales)
            return Not(inner) if inner is not None else None
        if "scale" in value:
            if scales is None:
                self.problem(f"{path}.scale", "scale tests are not allowed here")
                return None
            self.obj(value, path, ("scale", "gte", "lte"))
            if value["scale"] not in scales:
                self.problem(f"{path}.scale", f"names no scale ({value['scale']!r})")
                return None
            tests = [k for k in ("gte", "lte") if k in value]
            if len(tests) != 1:
                self.problem(path, "a scale test needs exactly one of gte, lte")
                return None
            bound = self.num(value[tests[0]], f"{path}.{tests[0]}")
            if bound is None:
                return None
            return (ScaleAtLeast if tests[0] == "gte" else ScaleAtMost)(value["scale"], bound)
        if "item" in value:
            self.obj(value, path, ("item", *ITEM_TESTS))
            item = items.get(value["item"])
            if item is None:
                self.problem(f"{path}.item", f"names no earlier item ({value['item']!r})" if scales is None
                             else f"names no item ({value['item']!r})")
                return None
            return self.item_test({k: v for k, v in value.items() if k != "item"}, path, item)
        self.problem(path, "must contain one of any, all, not, item, scale")
        return None

    def item_test(self, value: Mapping, path: str, item: Item) -> ItemCondition | None:
        """The test part of an item condition ({"score_gte": 1}), for `item`."""
        tests = [k for k in ITEM_TESTS if k in value]
        unknown = [k for k in value if k not in ITEM_TESTS]
        for key in unknown:
            self.problem(_at(path, key), "unknown key")
        if len(tests) != 1:
            self.problem(path, f"needs exactly one of {', '.join(ITEM_TESTS)}")
            return None
        test = tests[0]
        tpath = f"{path}.{test}"
        if test == "unanswered":
            if value[test] is not True:
                self.problem(tpath, "must be true")
                return None
            return Unanswered(item.id)
        if test in ("score_gte", "score_lte"):
            if not item.scored:
                self.problem(tpath, f"item {item.id!r} has no scores")
                return None
            bound = self.num(value[test], tpath)
            if bound is None:
                return None
            return (ScoreAtLeast if test == "score_gte" else ScoreAtMost)(item.id, bound)
        values = [value[test]] if test == "answer" else value[test]
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            self.problem(tpath, "must be an option value" + ("" if test == "answer" else " list"))
            return None
        if item.type == "text":
            self.problem(tpath, f"item {item.id!r} is free text; only unanswered can be tested")
            return None
        known = [o.value for o in item.options]
        for v in values:
            if v not in known:
                self.problem(tpath, f"{v!r} is not an option of item {item.id!r} ({', '.join(known)})")
                return None
        return AnswerIs(item.id, tuple(values))

    # -- scales -----------------------------------------------------------------------------------

    def scales(self, value: Any, items: Mapping[str, Item]) -> list[Scale]:
        if not isinstance(value, list):
            self.problem("scales", "must be a list")
            return []
        scales: list[Scale] = []
        for n, raw in enumerate(value):
            scale = self.scale(raw, f"scales[{n}]", items)
            if scale is None:
                continue
            if scale.id in (s.id for s in scales):
                self.problem(f"scales[{n}].id", f"{scale.id!r} is used by another scale")
            scales.append(scale)
        return scales

    def scale(self, raw: Any, path: str, items: Mapping[str, Item]) -> Scale | None:
        obj = self.obj(raw, path, ("id", "label", "kind", "items", "threshold", "digits", "transform",
                                   "range", "bands", "note"))
        if obj is None:
            return None
        scale_id = self.string(obj, "id", path, pattern=ID_PATTERN)
        label = self.text(obj, "label", path)
        kind = self.choice(obj, "kind", path, SCALE_KINDS)
        member_ids = self.scale_items(obj, path, items)
        threshold = None
        if kind == "count":
            threshold = self.num(obj.get("threshold"), f"{path}.threshold")
        elif "threshold" in obj:
            self.problem(f"{path}.threshold", "only a count scale has a threshold")
        digits = self.integer(obj, "digits", path, 2 if kind == "mean" else 0, 0, MAX_DIGITS)
        transform = self.transform(obj["transform"], f"{path}.transform") if "transform" in obj else None
        value_digits = transform.digits if transform else digits
        declared = self.range(obj.get("range"), f"{path}.range")
        if declared and member_ids is not None and (kind != "count" or threshold is not None):
            computed = _computed_range(kind, [items[i] for i in member_ids], digits, transform)
            if declared != computed:
                self.problem(f"{path}.range", f"must be [{number(computed[0])}, {number(computed[1])}] "
                             f"(computed from the items), not [{number(declared[0])}, {number(declared[1])}]")
        bands = self.bands(obj.get("bands", []), f"{path}.bands", declared, value_digits)
        note = self.text(obj, "note", path, required=False)
        if not (scale_id and label and member_ids and declared):
            return None
        return Scale(scale_id, label, kind, tuple(member_ids), declared, digits, threshold, transform,
                     tuple(bands), note)

    def scale_items(self, obj: Mapping, path: str, items: Mapping[str, Item]) -> list[str] | None:
        ids = self.seq(obj, "items", path)
        if ids is None:
            return None
        if not ids:
            self.problem(f"{path}.items", "must name at least one item")
            return None
        ok = True
        for n, item_id in enumerate(ids):
            ipath = f"{path}.items[{n}]"
            item = items.get(item_id) if isinstance(item_id, str) else None
            if item is None:
                self.problem(ipath, f"names no item ({item_id!r})")
            elif not item.scored:
                self.problem(ipath, f"item {item_id!r} has no scores")
            elif item.ask_if is not None:
                # A conditional item would change the scale's length from one respondent to the next.
                self.problem(ipath, f"item {item_id!r} is conditional (ask_if) and cannot be in a scale")
            elif item_id in ids[:n]:
                self.problem(ipath, f"item {item_id!r} is listed twice")
            else:
                continue
            ok = False
        return ids if ok else None

    def transform(self, value: Any, path: str) -> Transform | None:
        obj = self.obj(value, path, ("multiply", "add", "digits", "rounding", "label"))
        if obj is None:
            return None
        multiply = self.num(obj.get("multiply"), f"{path}.multiply")
        add = self.num(obj.get("add", 0), f"{path}.add")
        digits = self.integer(obj, "digits", path, 0, 0, MAX_DIGITS)
        if obj.get("rounding", "half_up") != "half_up":
            self.problem(f"{path}.rounding", "must be half_up (manuals round 52.5 to 53)")
        label = self.text(obj, "label", path, required=False)
        if multiply is None or add is None:
            return None
        return Transform(multiply, add, digits, label)

    def range(self, value: Any, path: str) -> tuple[Decimal, Decimal] | None:
        if not isinstance(value, list) or len(value) != 2:
            self.problem(path, "must be [lowest, highest]")
            return None
        low, high = self.num(value[0], f"{path}[0]"), self.num(value[1], f"{path}[1]")
        if low is None or high is None:
            return None
        if low > high:
            self.problem(path, "lowest is above highest")
            return None
        return low, high

    def bands(self, value: Any, path: str, declared: tuple[Decimal, Decimal] | None, digits: int) -> list[Band]:
        if not isinstance(value, list):
            self.problem(path, "must be a list")
            return []
        bands: list[Band] = []
        for n, raw in enumerate(value):
            bpath = f"{path}[{n}]"
            obj = self.obj(raw, bpath, ("min", "max", "code", "label", "level"))
            if obj is None:
                continue
            low, high = self.num(obj.get("min"), f"{bpath}.min"), self.num(obj.get("max"), f"{bpath}.max")
            code = self.string(obj, "code", bpath, pattern=ID_PATTERN)
            label = self.text(obj, "label", bpath)
            level = self.choice(obj, "level", bpath, BAND_LEVELS, "none")
            if code in (b.code for b in bands):
                self.problem(f"{bpath}.code", f"{code!r} is used by another band")
            if low is not None and high is not None and code and label:
                bands.append(Band(low, high, code, label, level))
        if bands and declared and len(bands) == len(value):
            self.band_coverage(bands, path, declared, digits)
        return bands

    def band_coverage(self, bands: list[Band], path: str, declared: tuple[Decimal, Decimal], digits: int) -> None:
        """Bands must tile the range on the value's grid (steps of 10^-digits): no gap, no overlap."""
        step = Decimal(1).scaleb(-digits)
        for n, band in enumerate(bands):
            for key in ("min", "max"):
                bound = getattr(band, key)
                if round_half_up(bound, digits) != bound:
                    self.problem(f"{path}[{n}].{key}", f"{number(bound)} has more than {digits} decimals")
            if band.min > band.max:
                self.problem(f"{path}[{n}]", f"min {number(band.min)} is above max {number(band.max)}")
        if bands[0].min != declared[0]:
            self.problem(f"{path}[0].min", f"must be {number(declared[0])}, the bottom of the range")
        if bands[-1].max != declared[1]:
            self.problem(f"{path}[{len(bands) - 1}].max", f"must be {number(declared[1])}, the top of the range")
        for n in range(1, len(bands)):
            expected = bands[n - 1].max + step
            got = bands[n].min
            if got > expected:
                hole = (f"{number(expected)}" if got - step == expected
                        else f"{number(expected)} to {number(got - step)}")
                self.problem(f"{path}[{n}].min", f"leaves a gap after bands[{n - 1}]: {hole} is in no band")
            elif got < expected:
                self.problem(f"{path}[{n}].min", f"overlaps bands[{n - 1}], which ends at {number(bands[n - 1].max)}")

    # -- rules ------------------------------------------------------------------------------------

    def critical_items(self, value: Any, items: Mapping[str, Item]) -> list[CriticalItem]:
        if not isinstance(value, list):
            self.problem("critical_items", "must be a list")
            return []
        found = []
        for n, raw in enumerate(value):
            path = f"critical_items[{n}]"
            obj = self.obj(raw, path, ("item", "when", "level", "reason"))
            if obj is None:
                continue
            item = items.get(obj.get("item"))
            if item is None:
                self.problem(f"{path}.item", f"names no item ({obj.get('item')!r})")
                continue
            when = obj.get("when")
            test = self.item_test(when, f"{path}.when", item) if isinstance(when, Mapping) else None
            if not isinstance(when, Mapping):
                self.problem(f"{path}.when", "must be an item test such as {\"score_gte\": 1} or {\"answer\": \"yes\"}")
            level = self.choice(obj, "level", path, CRITICAL_LEVELS)
            reason = self.text(obj, "reason", path)
            if test is not None and reason:
                found.append(CriticalItem(item.id, test, level, reason))
        return found

    def outcomes(self, value: Any, items: Mapping[str, Item], scales: set[str]) -> list[Outcome]:
        if not isinstance(value, list):
            self.problem("outcomes", "must be a list")
            return []
        found: list[Outcome] = []
        for n, raw in enumerate(value):
            path = f"outcomes[{n}]"
            obj = self.obj(raw, path, ("code", "when", "level", "label"))
            if obj is None:
                continue
            code = self.string(obj, "code", path, pattern=ID_PATTERN)
            if code in (o.code for o in found):
                self.problem(f"{path}.code", f"{code!r} is used by another outcome")
            when = self.condition(obj.get("when"), f"{path}.when", items, scales)
            level = self.choice(obj, "level", path, OUTCOME_LEVELS)
            label = self.text(obj, "label", path)
            if code and when is not None and label:
                found.append(Outcome(code, when, level, label))
        return found

    def validity_checks(self, value: Any, items: Mapping[str, Item], scales: Mapping[str, Scale]) -> list[ValidityCheck]:
        if not isinstance(value, list):
            self.problem("validity_checks", "must be a list")
            return []
        found = []
        kinds = ("condition", "identical_answers", "min_seconds_per_item")
        for n, raw in enumerate(value):
            path = f"validity_checks[{n}]"
            obj = self.obj(raw, path, ("kind", "when", "scale", "seconds", "status", "reason"))
            if obj is None:
                continue
            kind = self.choice(obj, "kind", path, kinds)
            status = self.choice(obj, "status", path, CHECK_STATUSES)
            reason = self.text(obj, "reason", path, required=kind == "condition")
            wanted = {"condition": "when", "identical_answers": "scale", "min_seconds_per_item": "seconds"}[kind]
            for key in ("when", "scale", "seconds"):
                if key != wanted and key in obj:
                    self.problem(_at(path, key), f"not used by a {kind} check")
            when, scale_id, seconds = None, None, None
            if kind == "condition":
                when = self.condition(obj.get("when"), f"{path}.when", items, set(scales))
            elif kind == "identical_answers":
                scale_id = obj.get("scale")
                scale = scales.get(scale_id) if isinstance(scale_id, str) else None
                if scale is None:
                    self.problem(f"{path}.scale", f"names no scale ({scale_id!r})")
                elif len({items[i].reverse for i in scale.items}) != 2:
                    self.problem(f"{path}.scale", f"scale {scale_id!r} must mix reverse-scored and plain items; "
                                 "identical answers are only implausible then")
            else:
                seconds = self.num(obj.get("seconds"), f"{path}.seconds")
                if seconds is not None and seconds <= 0:
                    self.problem(f"{path}.seconds", "must be above 0")
            found.append(ValidityCheck(kind, status, reason, when, scale_id, seconds))
        return found

    def missing(self, value: Any) -> MissingPolicy:
        obj = self.obj(value, "missing", ("method", "max_missing"))
        if obj is None:
            return MissingPolicy()
        method = self.choice(obj, "method", "missing", MISSING_METHODS, "none")
        max_missing = self.integer(obj, "max_missing", "missing", 0, 0, 1000)
        if method == "none" and max_missing:
            self.problem("missing.max_missing", "must be 0 when the method is none")
        return MissingPolicy(method, max_missing)


def _computed_range(kind: str, items: Sequence[Item], digits: int,
                    transform: Transform | None) -> tuple[Decimal, Decimal]:
    """The lowest and highest reported value the items allow."""
    lows = [i.score_range[0] for i in items]
    highs = [i.score_range[1] for i in items]
    if kind == "count":
        low, high = Decimal(0), Decimal(len(items))
    elif kind == "sum":
        low, high = sum(lows, Decimal(0)), sum(highs, Decimal(0))
    else:
        low, high = sum(lows, Decimal(0)) / len(items), sum(highs, Decimal(0)) / len(items)
    low, high = round_half_up(low, digits), round_half_up(high, digits)
    if transform is not None:
        low, high = transform.apply(low), transform.apply(high)
    return low, high
