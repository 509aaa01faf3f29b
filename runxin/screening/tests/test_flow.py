"""Walking a questionnaire: conditional questions appear only when earlier answers call for them (ASQ)."""

from runxin.screening import flow
from runxin.screening.core.loader import load_definition

ASQ = load_definition("asq")


def ids(items):
    return [i.id for i in items]


def test_asq_asks_question_5_only_after_a_yes():
    assert ids(flow.asked_items(ASQ, {})) == ["q1", "q2", "q3", "q4"]
    no = {"q1": "no", "q2": "no", "q3": "no", "q4": "no"}
    assert ids(flow.asked_items(ASQ, no)) == ["q1", "q2", "q3", "q4"]
    assert flow.position(ASQ, no) == flow.Position(None, 4, 4)  # done: nothing more to ask
    yes = no | {"q2": "yes"}
    assert ids(flow.asked_items(ASQ, yes)) == ["q1", "q2", "q3", "q4", "q5"]
    assert flow.position(ASQ, yes).item.id == "q5"
    assert ids(flow.asked_items(ASQ, yes | {"q4": "yes", "q5": "yes"})) == [
        "q1", "q2", "q3", "q4", "q4_how", "q5", "q5_describe"]


def test_position_and_neighbours_follow_the_asked_items():
    answers = {"q1": "no", "q2": "yes"}
    where = flow.position(ASQ, answers)
    assert (where.item.id, where.answered, where.asked) == ("q3", 2, 5)
    assert [i and i.id for i in flow.neighbours(ASQ, answers, "q4")] == ["q3", "q5"]
    assert [i and i.id for i in flow.neighbours(ASQ, answers, "q1")] == [None, "q2"]
    assert flow.neighbours(ASQ, answers, "q5_describe") == (None, None)  # not asked


def test_an_answer_kept_after_its_condition_changed_stays_asked():
    # q4 changed from yes to no: the stored q4_how answer is not dropped silently; the question stays on the
    # questionnaire with it (flow.as_answered), and the student may clear it.
    answers = {"q1": "no", "q2": "no", "q3": "no", "q4": "no", "q4_how": "…"}
    assert ids(flow.asked_items(ASQ, answers)) == ["q1", "q2", "q3", "q4", "q4_how"]
    assert "q4_how" not in ids(flow.asked_items(ASQ, answers | {"q4_how": ""}))
