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


# A floor under the city's editable list: statements of intent, a method or a plan, in the shapes people write them
# (a method with words between: "从学校楼顶跳下去"; negations of living: "不想再活"; "要去死" but not "累得要死").
# Matched on the normalised text (no spaces or punctuation). When in doubt, up: a false alarm costs a
# professional's look; a miss can cost a child. The city cannot switch these off; its list adds to them.
INTENT_PATTERNS = tuple(re.compile(p) for p in (
    r"跳(?:楼|河|江|湖|海|桥|崖|轨|下去|下来|下楼)",
    r"(?:楼顶|顶楼|天台|阳台|窗台|窗户|窗外|桥上|楼上|高处|屋顶)\w{0,6}跳",
    r"(?:不想|不愿|不要|没必要|不值得|没有必要|不配)(?:再)?(?:继续)?活",
    r"活(?:够了|腻了|着没意思|着没有意思|着没劲|着好累|着太累|不下去|着有什么意思|着干嘛|着干什么)",
    r"(?<!得)(?:想|要|去|准备|打算|计划|决定|还不如)(?:去)?(?:死|自杀|轻生|寻死)",
    r"(?:死了|去死)(?:算了|就好|也好|一了百了)",
    r"自杀|轻生|寻死|自尽|自残|自伤|自我了断|了结自己|结束自己|结束生命|一了百了|遗书|遗言|后事",
    r"离开(?:这个)?世界|消失(?:就好|算了|了就好)|不在了就好",
    r"割腕|割脉|割手|划手|上吊|吞药|喝药|(?:喝|吃|服|吞)农药|安眠药|烧炭|卧轨|吃了?(?:很多|一瓶|整瓶|一把|好多)药",
    r"(?:伤害|弄伤|割伤|划伤|打|割|划|刺|烫|烧)自己|(?:刀|刀片|美工刀|圆规)\w{0,4}(?:割|划|刺)",
    r"killmyself|killherself|killhimself|hurtmyself|suicid|wanttodie|wanttobedead|endmylife|endmyself",
))


def find_phrases(text: str, phrases) -> tuple[str, ...]:
    """The phrases of the list that occur in the text, in the list's order, then what the built-in patterns
    found (INTENT_PATTERNS: the floor the list cannot lower)."""
    flat = _normalise(text)
    found = [p for p in phrases if p and (n := _normalise(p)) and n in flat]
    seen = [_normalise(p) for p in found]  # what a pattern's match is compared with, normalised once
    for pattern in INTENT_PATTERNS:
        for match in pattern.finditer(flat):
            words = match.group(0)
            if not any(words in s or s in words for s in seen):
                found.append(words)
                seen.append(words)
    return tuple(found)


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
