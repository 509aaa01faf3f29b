"""Score one response to one instrument: pure, deterministic, no I/O.

Answers map item ids to option value codes ("yes"/"no" for yes/no items, any text for text items);
an item's score is its option's `score`, never the option's position. Blank (None or "") means
unanswered. Decimal arithmetic and half-up rounding give the manuals' numbers exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from runxin.screening.core.decimals import number, round_half_up
from runxin.screening.core.definition import (
    InstrumentDefinition,
    Item,
    Scale,
    ValidityCheck,
    text_in,
)
from runxin.screening.core.result import Classification, Flag, Message, ScaleScore, ScoreResult


class AnswerError(ValueError):
    """The answers do not fit the definition (unknown item, unknown option); `problems` lists each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("answers do not fit the instrument:\n  " + "\n  ".join(problems))


class _Context:
    """The answers as conditions see them, filled in questionnaire order."""

    def __init__(self, definition: InstrumentDefinition) -> None:
        self.definition = definition
        self.answers: dict[str, str] = {}
        self.asked: dict[str, bool] = {}
        self.scale_values: dict[str, Decimal | None] = {}

    def answer(self, item_id: str) -> str | None:
        return self.answers.get(item_id)

    def item_score(self, item_id: str) -> Decimal | None:
        value = self.answers.get(item_id)
        return None if value is None else self.definition.item(item_id).score_for(value)

    def is_asked(self, item_id: str) -> bool:
        return self.asked.get(item_id, False)

    def scale_value(self, scale_id: str) -> Decimal | None:
        return self.scale_values.get(scale_id)


def _walk(definition: InstrumentDefinition, answers: Mapping[str, object]) -> _Context:
    """Decide which items are asked, in questionnaire order, so an ask_if sees exactly the earlier answers
    that were really asked; keep the answers of asked items only."""
    ctx = _Context(definition)
    for item in definition.items:
        asked = item.ask_if is None or item.ask_if.evaluate(ctx)
        ctx.asked[item.id] = asked
        value = answers.get(item.id)
        if asked and isinstance(value, str) and value != "":
            ctx.answers[item.id] = value
    return ctx


def asked_items(definition: InstrumentDefinition, answers: Mapping[str, object]) -> tuple[Item, ...]:
    """The items shown to the respondent given the answers so far, in order — the same rule scoring uses."""
    ctx = _walk(definition, answers)
    return tuple(item for item in definition.items if ctx.asked[item.id])


def check_answers(definition: InstrumentDefinition, answers: Mapping[str, object]) -> dict[str, str]:
    """The non-blank answers, after checking every item id and option code; raise AnswerError otherwise."""
    problems = []
    given: dict[str, str] = {}
    known = {i.id for i in definition.items}
    for item_id, value in answers.items():
        if item_id not in known:
            problems.append(f"{item_id!r}: no such item in {definition.code} {definition.version}")
            continue
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            problems.append(f"{item_id!r}: answer must be a string option value, not {value!r}")
            continue
        item = definition.item(item_id)
        if item.type != "text" and item.option(value) is None:
            allowed = ", ".join(o.value for o in item.options)
            problems.append(f"{item_id!r}: {value!r} is not an option ({allowed})")
            continue
        given[item_id] = value
    if problems:
        raise AnswerError(problems)
    return given


def score(definition: InstrumentDefinition, answers: Mapping[str, object], *,
          elapsed_seconds: float | None = None) -> ScoreResult:
    """Score `answers` by `definition`.

    Guarantees: the same inputs always give the same result; a positive critical item is flagged
    whatever the totals or validity; a critical item left blank, an implausible pattern or too fast a
    completion makes the result needs_review (never a silent "no risk"); more missing scale items than
    the missing-answer rule allows makes it invalid and leaves the scales unscored.
    """
    valid_time = (isinstance(elapsed_seconds, int | float) and not isinstance(elapsed_seconds, bool)
                  and elapsed_seconds >= 0)  # NaN fails this too
    if elapsed_seconds is not None and not valid_time:
        raise AnswerError([f"elapsed_seconds: must be a number of seconds >= 0, not {elapsed_seconds!r}"])
    given = check_answers(definition, answers)
    ctx = _walk(definition, given)
    flags: list[Flag] = [
        Flag("ignored_answer", Message(
            f"Item {item.label} was answered although it was not asked; the answer was not scored.",
            f"题目 {item.label} 不应出现却有作答，该作答未计分。"), item=item.id, answer=given[item.id])
        for item in definition.items if item.id in given and not ctx.asked[item.id]
    ]

    missing = tuple(i for i in definition.scale_item_ids if i not in ctx.answers)
    policy = definition.missing
    scorable = len(missing) <= policy.max_missing
    if not scorable:
        flags.append(Flag("too_many_missing", Message(
            f"{len(missing)} scored items unanswered ({', '.join(missing)}); at most {policy.max_missing} "
            "allowed, so the result is invalid.",
            f"{len(missing)} 道计分题未作答（{', '.join(missing)}），最多允许 {policy.max_missing} 道，结果无效。"),
            validity="invalid"))

    scales = []
    never_filled = never_imputed(definition)
    reported = {c.item for c in definition.critical_items}  # _critical_flags reports these when left blank
    for scale in definition.scales:
        unfilled = [i for i in scale.items if i in never_filled and i not in ctx.answers]
        scale_score, value = _score_scale(scale, ctx, policy.method, scorable and not unfilled)
        for item_id in unfilled:
            if scorable and item_id not in reported:
                reported.add(item_id)
                # A critical rule already says "left unanswered"; a self-harm item without one says it here.
                item = definition.item(item_id)
                flags.append(Flag("critical_unanswered", Message(
                    f"Item {item.label} (thoughts of self-harm) was left unanswered; it is never filled in, "
                    f"so {text_in(scale.label, 'en')} is not scored and risk cannot be ruled out.",
                    f"题目 {item.label}（自伤念头）未作答；该题从不估算补分，因此“{text_in(scale.label, 'zh-Hans')}”"
                    "不计分，不能排除风险。"), validity="needs_review", item=item.id, scale=scale.id))
        ctx.scale_values[scale.id] = value
        scales.append(scale_score)
        if scorable and scale_score.answered == 0:
            flags.append(Flag("empty_scale", Message(
                f"Scale {text_in(scale.label, 'en')} has no answered item and could not be scored.",
                f"分量表“{text_in(scale.label, 'zh-Hans')}”无任何作答，无法计分。"),
                validity="needs_review", scale=scale.id))

    flags.extend(_critical_flags(definition, ctx))
    outcome = next((o for o in definition.outcomes if o.when.evaluate(ctx)), None)
    for check in definition.validity_checks:
        flag = _run_check(check, definition, ctx, elapsed_seconds)
        if flag is not None:
            flags.append(flag)

    return ScoreResult(
        instrument=definition.code,
        version=definition.version,
        scales=tuple(scales),
        total_scale=definition.total_scale,
        outcome=Classification(outcome.code, outcome.label, outcome.level) if outcome else None,
        flags=tuple(flags),
        answered_items=len(ctx.answers),
        missing_items=missing,
        elapsed_seconds=elapsed_seconds,
    )


# LOINC codes of items about thoughts of self-harm (PHQ-9 item 9): never imputed even when an imported
# definition forgot to name them as critical items.
SELF_HARM_CODES = frozenset({("http://loinc.org", "44260-8")})


def never_imputed(definition: InstrumentDefinition) -> frozenset[str]:
    """Items whose blank answer is never filled in by the missing-answer rule (prorating or zero): every
    critical item (PHQ-9/PHQ-A item 9) and every item coded as a self-harm question. A scale that lacks one
    of them is left unscored, so a skipped item 9 can never come out as a low total or "no risk"."""
    ids = {rule.item for rule in definition.critical_items}
    ids |= {i.id for i in definition.items if i.coding and (i.coding.system, i.coding.code) in SELF_HARM_CODES}
    return frozenset(ids)


def _score_scale(scale: Scale, ctx: _Context, method: str, scorable: bool) -> tuple[ScaleScore, Decimal | None]:
    scores = [s for s in (ctx.item_score(i) for i in scale.items) if s is not None]
    n_items, n_answered = len(scale.items), len(scores)
    missing = n_items - n_answered
    prorated = False
    if not scorable or n_answered == 0:
        return ScaleScore(scale.id, scale.label, scale.kind, None, None, None, None, n_answered, missing, False), None
    if scale.kind == "count":
        # Counting never fills in missing items: an unanswered item is not a symptom.
        raw = Decimal(sum(1 for s in scores if scale.threshold is not None and s >= scale.threshold))
    else:
        total = sum(scores, Decimal(0))
        if method == "zero":
            raw = total if scale.kind == "sum" else total / n_items
        else:
            # Mean substitution: each missing item counts as the mean of the answered ones.
            raw = total * n_items / n_answered if scale.kind == "sum" else total / n_answered
            prorated = missing > 0
    raw = round_half_up(raw, scale.digits)
    standard = scale.transform.apply(raw) if scale.transform else None
    value = standard if standard is not None else raw
    band = scale.band_for(value)
    return ScaleScore(
        scale.id, scale.label, scale.kind, number(raw), None if standard is None else number(standard),
        number(value), Classification(band.code, band.label, band.level) if band else None,
        n_answered, missing, prorated,
    ), value


def _critical_flags(definition: InstrumentDefinition, ctx: _Context) -> list[Flag]:
    flags = []
    unanswered_reported: set[str] = set()
    for rule in definition.critical_items:
        item = definition.item(rule.item)
        if not ctx.is_asked(item.id):
            continue
        value = ctx.answer(item.id)
        if value is None:
            if item.id not in unanswered_reported:
                unanswered_reported.add(item.id)
                flags.append(Flag("critical_unanswered", Message(
                    f"Critical item {item.label} was left unanswered ({text_in(rule.reason, 'en')}); "
                    "risk cannot be ruled out.",
                    f"关键题目 {item.label} 未作答（{text_in(rule.reason, 'zh-Hans')}），不能排除风险。"),
                    validity="needs_review", item=item.id))
        elif rule.when.evaluate(ctx):
            flags.append(_critical_item_flag(item, value, rule.reason, rule.level, ctx.item_score(item.id)))
    return flags


def _critical_item_flag(item: Item, value: str, reason: dict[str, str], level: str,
                        item_score: Decimal | None) -> Flag:
    option = item.option(value)
    label_en = text_in(option.label, "en") if option else value
    label_zh = text_in(option.label, "zh-Hans") if option else value
    score_en = f", score {number(item_score)}" if item_score is not None else ""
    score_zh = f"，{number(item_score)} 分" if item_score is not None else ""
    return Flag(
        "critical_item",
        Message(f"{text_in(reason, 'en')} (item {item.label}: answered \"{label_en}\"{score_en})",
                f"{text_in(reason, 'zh-Hans')}（题目 {item.label}：回答“{label_zh}”{score_zh}）"),
        level="critical" if level == "critical" else "high",
        item=item.id, answer=value, score=None if item_score is None else number(item_score),
    )


def _run_check(check: ValidityCheck, definition: InstrumentDefinition, ctx: _Context,
               elapsed_seconds: float | None) -> Flag | None:
    def message(default: Message) -> Message:
        if check.reason is None:
            return default
        return Message(text_in(check.reason, "en"), text_in(check.reason, "zh-Hans"))

    if check.kind == "condition":
        if check.when is not None and check.when.evaluate(ctx):
            return Flag("validity_check", message(Message("A validity check failed.", "效度检查未通过。")),
                        validity=check.status)
        return None
    if check.kind == "identical_answers":
        scale = definition.scale(check.scale or "")
        values = [ctx.answers[i] for i in scale.items if i in ctx.answers]
        if len(values) >= 2 and len(set(values)) == 1:
            return Flag("identical_answers", message(Message(
                f"Every answer on {text_in(scale.label, 'en')} is the same option although some items are "
                "reverse-scored; the answers may not have been read.",
                f"“{text_in(scale.label, 'zh-Hans')}”的所有题目都选了同一选项，而其中有反向计分题，可能未认真作答。")),
                validity=check.status, scale=scale.id, answer=values[0])
        return None
    answered = len(ctx.answers)
    if elapsed_seconds is None or check.seconds is None or answered == 0:
        return None
    minimum = check.seconds * answered
    if Decimal(str(elapsed_seconds)) < minimum:
        return Flag("too_fast", message(Message(
            f"Completed in {elapsed_seconds:g} s, below the {number(minimum)} s needed to read "
            f"{answered} items; the answers may not have been read.",
            f"用时 {elapsed_seconds:g} 秒，低于阅读 {answered} 道题所需的 {number(minimum)} 秒，可能未认真作答。")),
            validity=check.status)
    return None
