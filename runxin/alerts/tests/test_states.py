"""The state machine table (pure): every action from every state is either the documented move or refused."""

import pytest

from runxin.alerts import states

EXPECTED = {
    ("acknowledge", states.RAISED): states.ACKNOWLEDGED,
    ("assess", states.ACKNOWLEDGED): states.ASSESSED,
    ("dismiss", states.ACKNOWLEDGED): states.DISMISSED,
    ("dismiss", states.ASSESSED): states.DISMISSED,
    ("start_intervention", states.ASSESSED): states.INTERVENTION,
    ("start_intervention", states.MONITORING): states.INTERVENTION,
    ("monitor", states.INTERVENTION): states.MONITORING,
    ("request_clear", states.MONITORING): states.CLEAR_REQUESTED,
    ("approve_clear", states.CLEAR_REQUESTED): states.CLEARED,
    ("reject_clear", states.CLEAR_REQUESTED): states.MONITORING,
    ("return_to_normal", states.CLEARED): states.CLOSED,
    ("reopen", states.CLEARED): states.RAISED,
    ("reopen", states.CLOSED): states.RAISED,
    ("reopen", states.DISMISSED): states.RAISED,
}


@pytest.mark.parametrize("action", sorted(states.TRANSITIONS))
@pytest.mark.parametrize("state", states.ALL)
def test_every_action_from_every_state(action, state):
    if (action, state) in EXPECTED:
        assert states.target(action, state) == EXPECTED[(action, state)]
    else:
        with pytest.raises(states.TransitionRefused) as refused:
            states.target(action, state)
        assert (refused.value.action, refused.value.state) == (action, state)


def test_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        states.target("approve", states.RAISED)


def test_the_table_reaches_every_state_from_raised():
    seen, frontier = {states.RAISED}, [states.RAISED]
    while frontier:
        state = frontier.pop()
        for action in states.allowed_actions(state):
            nxt = states.target(action, state)
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(states.ALL)


def test_open_current_and_cleared_sets():
    assert states.CURRENT | {states.CLEARED} == states.OPEN
    assert states.CLEARED_STATES == {states.CLEARED, states.CLOSED}
    assert states.DISMISSED not in states.OPEN and states.CLOSED not in states.OPEN


@pytest.mark.parametrize(("state", "pending", "expected"), [
    (states.RAISED, True, 30), (states.ACKNOWLEDGED, False, 120), (states.ASSESSED, False, 240),
    (states.INTERVENTION, False, None), (states.INTERVENTION, True, 30), (states.MONITORING, False, None),
    (states.CLEARED, False, None),
])
def test_timer_minutes(state, pending, expected):
    assert states.timer_minutes(state, ack_pending=pending, ack=30, assess=120, progress=240) == expected


def test_tiers_go_up_and_stop_at_the_city():
    assert [states.next_tier(t) for t in states.TIERS] == [states.SCHOOL, states.DISTRICT, states.CITY, states.CITY]
