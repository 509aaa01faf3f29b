"""The warning (预警) state machine, in one place. Pure Python: no Django, no database.

    raised ──acknowledge──▶ acknowledged ──assess──▶ assessed ──start_intervention──▶ intervention
                                  │                                                      │  ▲
                                  └──dismiss──▶ dismissed                           monitor│  │intensify
                                                                                         ▼  │
    closed ◀──return_to_normal── cleared ◀──approve_clear── clear_requested ◀──request── monitoring
       │      (持续关注 until the            (解除, approved at the              clear      ▲
       │       follow-ups are done)           level the policy names)            │        │
       │                                                                    reject_clear──┘
       └──────── reopen (also from cleared and dismissed) ──▶ raised

Two steps keep the state and only record an event: acknowledging an escalation or a level rise in a later
state (`acknowledge` while `ack_pending`), and changing the level during handling (`change_level`).
Escalation on the timer is not a transition either: it moves the warning up the network (its tier).
"""

RAISED = "raised"
ACKNOWLEDGED = "acknowledged"
ASSESSED = "assessed"
INTERVENTION = "intervention"
MONITORING = "monitoring"
CLEAR_REQUESTED = "clear_requested"
CLEARED = "cleared"  # 解除: cleared, the student stays under continued attention (持续关注)
CLOSED = "closed"  # back to normal after the continued-attention follow-ups
DISMISSED = "dismissed"  # the assessment found no risk

ALL = (RAISED, ACKNOWLEDGED, ASSESSED, INTERVENTION, MONITORING, CLEAR_REQUESTED, CLEARED, CLOSED, DISMISSED)

# A student has at most one warning in these states; a new report joins it (a cleared one is reopened).
OPEN = frozenset({RAISED, ACKNOWLEDGED, ASSESSED, INTERVENTION, MONITORING, CLEAR_REQUESTED, CLEARED})
# Counted as "currently warned" (现有预警) in the provincial figures.
CURRENT = frozenset({RAISED, ACKNOWLEDGED, ASSESSED, INTERVENTION, MONITORING, CLEAR_REQUESTED})
# Counted as "cleared" (预警解除).
CLEARED_STATES = frozenset({CLEARED, CLOSED})
# States that run on a clock: each must be left (or acknowledged) within the level's time, or it escalates.
TIMED = frozenset({RAISED, ACKNOWLEDGED, ASSESSED})
# States in which an escalation or a level rise can wait for acknowledgement.
ACKNOWLEDGEABLE = frozenset({RAISED, ACKNOWLEDGED, ASSESSED, INTERVENTION, MONITORING, CLEAR_REQUESTED})
# States in which the level may be changed by a psychology teacher's re-assessment.
LEVEL_CHANGEABLE = frozenset({ASSESSED, INTERVENTION, MONITORING, CLEAR_REQUESTED})

# action → {from state: to state}. Anything not listed is refused.
TRANSITIONS: dict[str, dict[str, str]] = {
    "acknowledge": {RAISED: ACKNOWLEDGED},
    "assess": {ACKNOWLEDGED: ASSESSED},
    "dismiss": {ACKNOWLEDGED: DISMISSED, ASSESSED: DISMISSED},
    "start_intervention": {ASSESSED: INTERVENTION, MONITORING: INTERVENTION},
    "monitor": {INTERVENTION: MONITORING},
    "request_clear": {MONITORING: CLEAR_REQUESTED},
    "approve_clear": {CLEAR_REQUESTED: CLEARED},
    "reject_clear": {CLEAR_REQUESTED: MONITORING},
    "return_to_normal": {CLEARED: CLOSED},
    "reopen": {CLEARED: RAISED, CLOSED: RAISED, DISMISSED: RAISED},
}

# Network tiers a warning moves up on the timer: class → school → district centre → city centre.
CLASS, SCHOOL, DISTRICT, CITY = 1, 2, 3, 4
TIERS = (CLASS, SCHOOL, DISTRICT, CITY)
TOP_TIER = CITY
# The grade tier (年级, Suzhou, Changchun, Jiaxing) sits between the class and the school, but only where a
# level's policy names it (`routes_through_grade`); elsewhere the network is exactly the four tiers above.
# Its number is 0, not between 1 and 2: stored warnings keep their numbers, and a comparison that forgets the
# grade (`tier >= DISTRICT`) still treats it as school-side. Its place in the order is RANK's: compare
# tiers with rank() / higher(), never with < or max() where the grade can take part.
GRADE = 0
RANK = {CLASS: 10, GRADE: 15, SCHOOL: 20, DISTRICT: 30, CITY: 40}
# The tier a role acts at, by the kind of org unit it is held at. A head teacher held at a grade acts at the
# class tier, as it always has; the grade leader's grade tier is decided by role (alerts/network.py).
TIER_OF_UNIT_KIND = {"class": CLASS, "grade": CLASS, "school": SCHOOL, "district": DISTRICT, "city": CITY}


def rank(tier: int) -> int:
    return RANK[int(tier)]


def higher(*tiers: int) -> int:
    """The highest of these tiers in the network's order (the grade above the class, below the school)."""
    return max((int(t) for t in tiers), key=rank)


def routes_through_grade(ack_tier: int, notify_tiers) -> bool:
    """Whether a level's policy turns the grade tier on: it names the grade where a warning is received or
    among who is told."""
    return GRADE in {int(ack_tier), *(int(t) for t in notify_tiers or ())}


class TransitionRefused(ValueError):
    """An action that the state machine does not allow from the warning's current state."""

    def __init__(self, action: str, state: str):
        super().__init__(f"{action} is not allowed from {state}")
        self.action = action
        self.state = state


def target(action: str, state: str) -> str:
    """The state `action` leads to from `state`, or TransitionRefused."""
    if action not in TRANSITIONS:
        raise KeyError(f"unknown action {action!r}")
    try:
        return TRANSITIONS[action][state]
    except KeyError:
        raise TransitionRefused(action, state) from None


def allowed_actions(state: str) -> list[str]:
    """The actions the state machine allows from `state` (permissions are checked elsewhere)."""
    return [action for action, moves in TRANSITIONS.items() if state in moves]


def next_tier(tier: int, *, through_grade: bool = False) -> int:
    """Where the timer moves a warning from `tier`: class → (grade, when the level routes through it) → school
    → district → city."""
    if tier == CLASS and through_grade:
        return GRADE
    if tier == GRADE:
        return SCHOOL
    return min(tier + 1, TOP_TIER)


def timer_minutes(state: str, *, ack_pending: bool, ack: int, assess: int, progress: int) -> int | None:
    """How long the level's policy allows for the next step in `state` (None: no clock runs).

    A pending acknowledgement always runs on the acknowledgement clock; after that an acknowledged warning
    must be assessed, and an assessed one must be taken into intervention."""
    if ack_pending:
        return ack
    if state == ACKNOWLEDGED:
        return assess
    if state == ASSESSED:
        return progress
    return None
