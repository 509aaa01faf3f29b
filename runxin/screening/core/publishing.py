"""What a definition needs before it may be published as a *scored* instrument.

A definition can be valid and still unable to say anything about risk: an imported FHIR Questionnaire
has items and perhaps a summed total, but no bands and no critical items, so every student would come
out "no risk". Publishing as scored therefore needs a classification (bands on the total, or on every
scale when there is no total, or outcomes) and, when the questionnaire asks about self-harm or suicide,
critical items. Otherwise the administrator publishes it as "not scored" (collect only), and results
pages say so instead of showing a level.
"""

from __future__ import annotations

from runxin.screening.core.definition import InstrumentDefinition, Item, text_in
from runxin.screening.core.scoring import SELF_HARM_CODES

# Lower-case fragments of questions about self-harm or suicide (the languages our instruments come in).
SELF_HARM_WORDS = (
    "suicid", "kill yourself", "killing yourself", "kill myself", "better off dead", "hurting yourself",
    "hurt yourself", "harm yourself", "self-harm", "self harm", "end your life", "ending your life",
    "wished you were dead", "自杀", "自伤", "自残", "伤害自己", "不如死", "死掉", "结束自己的生命", "轻生",
    "lieber tot", "leid zuzufügen", "leid zufügen", "umzubringen",
)


def asks_about_self_harm(item: Item) -> bool:
    if item.coding is not None and (item.coding.system, item.coding.code) in SELF_HARM_CODES:
        return True
    return any(word in text.lower() for text in item.text.values() for word in SELF_HARM_WORDS)


def self_harm_items(definition: InstrumentDefinition) -> tuple[Item, ...]:
    return tuple(item for item in definition.items if item.type != "text" and asks_about_self_harm(item))


def publish_problems(definition: InstrumentDefinition) -> list[str]:
    """Why the definition cannot be published as a scored instrument (empty when it can)."""
    problems = []
    total = definition.scale(definition.total_scale) if definition.total_scale else None
    banded = [total] if total is not None else list(definition.scales)
    if not definition.scales and not definition.outcomes:
        problems.append("scoring: there is no scale and no outcome, so no result could be classified")
    for scale in banded:
        if not scale.bands:
            problems.append(f"scales.{scale.id}: has no bands, so every score would show no level (no risk)")
    asking = self_harm_items(definition)
    if asking and not definition.critical_items:
        labels = ", ".join(f"{i.label} ({text_in(i.text, 'en')[:60]})" for i in asking)
        problems.append(f"critical_items: none, although items ask about self-harm or suicide: {labels}")
    return problems
