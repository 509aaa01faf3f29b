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
# The tier a role acts at, by the kind of org unit it is held at.
TIER_OF_UNIT_KIND = {"class": CLASS, "grade": CLASS, "school": SCHOOL, "district": DISTRICT, "city": CITY}


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


def next_tier(tier: int) -> int:
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
