"""Triage of human reports (parent, student, peer, teacher, hotline): how urgent the reporter says it is,
and risk phrases in what they wrote. Pure Python: the caller maps the outcome to a warning level.

Child safety first: a statement of suicidal intent, or "happening now", enters at the highest level at once;
"today" at the second level; only a plain concern at the entry level. When in doubt, go up, never down.
"""

import re
import unicodedata
from dataclasses import dataclass

NOW = "now"  # danger now, or it could happen any moment (说了想死、在准备、已经伤害自己)
TODAY = "today"  # needs someone today (情绪很差好几天、不吃不睡、躲着不见人)
CONCERN = "concern"  # a worry to look into (最近不太开心、成绩下滑)
URGENCIES = (NOW, TODAY, CONCERN)

HIGHEST, SECOND, ENTRY = "highest", "second", "entry"
_RANK = {ENTRY: 0, SECOND: 1, HIGHEST: 2}


@dataclass(frozen=True)
class Triage:
    rank: str  # HIGHEST, SECOND or ENTRY
    phrases: tuple[str, ...]  # the risk phrases found in the text

    @property
    def imminent(self) -> bool:
        return self.rank == HIGHEST


def _normalise(text: str) -> str:
    # Full-width forms to half-width, no spaces or punctuation between characters ("不 想 活", "不想-活").
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return re.sub(r"[\s\W_]+", "", folded)


def find_phrases(text: str, phrases) -> tuple[str, ...]:
    """The phrases of the list that occur in the text, in the list's order."""
    flat = _normalise(text)
    return tuple(p for p in phrases if p and _normalise(p) and _normalise(p) in flat)


def triage(*, urgency: str, text: str, phrases, default: str = CONCERN) -> Triage:
    """Where a human report enters. An unknown or missing urgency counts as `default`."""
    found = find_phrases(text, phrases)
    urgency = urgency if urgency in URGENCIES else default
    rank = {NOW: HIGHEST, TODAY: SECOND, CONCERN: ENTRY}[urgency]
    if found:
        rank = HIGHEST
    return Triage(rank=rank, phrases=found)


def higher(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b
