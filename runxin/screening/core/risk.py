"""Turn a scored result into a suggested risk level with reasons, for the warnings (预警) rules to map.

Order of severity: critical > high > review > moderate > none. A result that needs review or is
invalid never comes out as "none": a person has to look at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from runxin.screening.core.definition import text_in
from runxin.screening.core.result import Message, ScoreResult

SignalLevel = Literal["critical", "high", "review", "moderate", "none"]
SEVERITY: dict[str, int] = {"none": 0, "moderate": 1, "review": 2, "high": 3, "critical": 4}


@dataclass(frozen=True)
class RiskSignal:
    level: SignalLevel
    reasons: tuple[Message, ...]

    def to_dict(self) -> dict:
        return {"level": self.level, "reasons": [r.to_dict() for r in self.reasons]}


def risk_signal(result: ScoreResult) -> RiskSignal:
    """The highest level any part of the result implies, with every reason above "none", most severe first."""
    found: list[tuple[SignalLevel, Message]] = [(f.level, f.message) for f in result.flags if f.level is not None]
    if result.outcome is not None and result.outcome.level != "none":
        label = result.outcome.label
        found.append((cast(SignalLevel, result.outcome.level), Message(
            f"Screen outcome: {text_in(label, 'en')}", f"筛查结果：{text_in(label, 'zh-Hans')}")))
    for scale in result.scales:
        if scale.band is not None and scale.band.level != "none":
            found.append((cast(SignalLevel, scale.band.level), Message(
                f"{text_in(scale.label, 'en')} {scale.value}: {text_in(scale.band.label, 'en')}",
                f"{text_in(scale.label, 'zh-Hans')} {scale.value}：{text_in(scale.band.label, 'zh-Hans')}")))
    if result.validity != "valid":
        found.extend(("review", reason) for reason in result.validity_reasons)
    if not found:
        return RiskSignal("none", (Message("No risk indicator in this result.", "本次结果未发现风险指标。"),))
    found.sort(key=lambda pair: -SEVERITY[pair[0]])  # stable: equal levels keep the result's order
    return RiskSignal(found[0][0], tuple(message for _, message in found))
