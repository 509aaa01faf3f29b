"""Small counts stay hidden (issue 13, point 5): the classic ways a "<5" is undone, each closed by suppress()."""

import os
import subprocess
import sys

import pytest

from runxin.analytics.core.disclosure import attack, marks_of
from runxin.analytics.core.suppression import SMALL, Unprotectable, is_small, suppress


def assert_protected(values, lines, hidden):
    """Nothing hidden can be worked out, no 1–4 is visible, and every line holds by itself."""
    found = attack(values, lines, hidden)
    assert found.recovered == {}
    assert found.small_sums == []
    assert not [k for k, v in values.items() if is_small(v) and k not in hidden]
    for total, *parts in lines:
        in_line = [k for k in (total, *parts) if k in hidden]
        assert len(in_line) != 1, (total, parts, in_line)
        if total not in hidden and in_line:
            assert sum(values.get(k, 0) for k in in_line) >= SMALL


def test_small_is_1_to_4():
    assert [n for n in range(8) if is_small(n)] == [1, 2, 3, 4]


def test_the_city_total_minus_one_district_no_longer_gives_the_other_districts_1():
    values = {"city": 21, "d1": 1, "d2": 20}
    lines = [("city", "d1", "d2")]
    hidden = suppress(values, lines)
    assert hidden == {"d1", "d2"}  # the smallest other part, not the city total
    assert_protected(values, lines, hidden)


def test_drilling_down_does_not_name_the_class():
    # City → 2 districts → 2 schools → 2 classes; one student in class c1 of school s1 of district d1.
    values = {"city": 60, "d1": 21, "d2": 39, "s1": 6, "s2": 15, "s3": 19, "s4": 20,
              "c1": 1, "c2": 5, "c3": 7, "c4": 8, "c5": 9, "c6": 10, "c7": 10, "c8": 10}
    lines = [("city", "d1", "d2"), ("d1", "s1", "s2"), ("d2", "s3", "s4"),
             ("s1", "c1", "c2"), ("s2", "c3", "c4"), ("s3", "c5", "c6"), ("s4", "c7", "c8")]
    hidden = suppress(values, lines)
    assert_protected(values, lines, hidden)
    # The class and its sibling hide each other and add up to 6: the school's 6 stays visible, nothing above
    # needs hiding.
    assert hidden == {"c1", "c2"}


def test_a_small_unit_all_the_way_down_hides_a_sibling_at_every_level():
    values = {"city": 41, "d1": 1, "d2": 40, "s1": 1, "s2": 0, "s3": 30, "s4": 10, "c1": 1, "c2": 0,
              "c5": 30, "c7": 10}
    lines = [("city", "d1", "d2"), ("d1", "s1", "s2"), ("d2", "s3", "s4"), ("s1", "c1", "c2"),
             ("s3", "c5"), ("s4", "c7")]
    hidden = suppress(values, lines)
    assert {"d1", "s1", "c1"} <= hidden
    assert "d2" in hidden  # city − d2 would give d1
    assert_protected(values, lines, hidden)


def test_a_grade_by_sex_table_with_margins_hides_a_rectangle():
    grades, sexes = ["g7", "g8", "g9"], ["m", "f"]
    cells = {("g7", "m"): 12, ("g7", "f"): 2, ("g8", "m"): 9, ("g8", "f"): 11, ("g9", "m"): 14, ("g9", "f"): 8}
    values = dict(cells)
    for g in grades:
        values[(g, "")] = sum(cells[g, s] for s in sexes)
    for s in sexes:
        values[("", s)] = sum(cells[g, s] for g in grades)
    values[("", "")] = sum(cells.values())
    lines = [[(g, "")] + [(g, s) for s in sexes] for g in grades]
    lines += [[("", s)] + [(g, s) for g in grades] for s in sexes]
    lines += [[("", "")] + [(g, "") for g in grades], [("", "")] + [("", s) for s in sexes]]
    hidden = suppress(values, lines)
    # 2 girls in grade 7; its row takes the boys' 12, its column the smallest other girls' cell (grade 9's 8),
    # and the boys' column then closes the rectangle with grade 9's boys (14), not grade 8's smaller 9,
    # which would open grade 8's row as well. The margins stay visible.
    assert hidden == {("g7", "f"), ("g7", "m"), ("g9", "f"), ("g9", "m")}
    assert_protected(values, lines, hidden)


def test_a_hierarchy_with_breakdowns_by_warning_level():
    # Two schools of a district, new warnings by level; school A has one red warning.
    levels = ["red", "orange", "yellow"]
    figures = {"A": {"red": 1, "orange": 6, "yellow": 9}, "B": {"red": 0, "orange": 7, "yellow": 12}}
    values = {}
    for unit, by_level in figures.items():
        for level, n in by_level.items():
            values[(unit, level)] = n
        values[(unit, "all")] = sum(by_level.values())
    for level in [*levels, "all"]:
        values[("D", level)] = values[("A", level)] + values[("B", level)]
    lines = [[(unit, "all")] + [(unit, level) for level in levels] for unit in ["D", "A", "B"]]
    lines += [[("D", m)] + [("A", m), ("B", m)] for m in [*levels, "all"]]
    hidden = suppress(values, lines)
    # The district's red (1) is small too; A's red hides with A's orange (the smallest other level) …
    assert {("A", "red"), ("D", "red"), ("A", "orange")} <= hidden
    # … and D's orange minus A's would give B's orange back, so one of them goes too.
    assert ("B", "orange") in hidden or ("D", "orange") in hidden
    assert_protected(values, lines, hidden)


def test_a_zero_is_hidden_only_when_nothing_else_is_left():
    # x (7) is hidden to protect y (3) in the first line; in the second line only a zero is left beside it.
    values = {"t1": 10, "x": 7, "y": 3, "t2": 7, "z": 0}
    lines = [("t1", "x", "y"), ("t2", "x", "z")]
    hidden = suppress(values, lines)
    assert hidden == {"x", "y", "t2"}  # the total rather than the zero
    assert_protected(values, lines, hidden)
    # When the total may not be hidden, the zero it is: x + z = 7 tells nothing.
    hidden = suppress(values, lines, candidates={"t1", "x", "y", "z"})
    assert hidden == {"x", "y", "z"}
    assert_protected(values, lines, hidden)


def test_a_zero_beside_a_small_part_does_not_help_so_the_total_goes():
    values = {"top": 23, "t": 3, "u": 20, "a": 3, "b": 0, "v1": 12, "v2": 8}
    lines = [("top", "t", "u"), ("t", "a", "b"), ("u", "v1", "v2")]
    hidden = suppress(values, lines)
    assert "b" not in hidden  # a and b hidden would show a + b = 3: both small
    assert {"a", "t", "u"} <= hidden
    assert_protected(values, lines, hidden)


def test_two_small_parts_hiding_each_other_are_not_enough():
    # 1 and 2 hidden: the total minus the visible parts shows 3, so "both are small".
    values = {"t": 20, "a": 1, "b": 2, "c": 17}
    hidden = suppress(values, [("t", "a", "b", "c")])
    assert hidden == {"a", "b", "c"}
    assert_protected(values, [("t", "a", "b", "c")], hidden)


def test_the_total_is_hidden_when_no_part_may_be():
    values = {"t": 20, "a": 2, "b": 2, "c": 16}
    lines = [("t", "a", "b", "c")]
    hidden = suppress(values, lines, candidates={"t", "a", "b"})
    assert hidden == {"a", "b", "t"}
    assert_protected(values, lines, hidden)


def test_a_total_with_a_single_part_goes_with_it():
    values = {"school": 3, "grade": 3, "district": 40, "other": 37}
    lines = [("school", "grade"), ("district", "school", "other")]
    hidden = suppress(values, lines)
    assert hidden == {"school", "grade", "other"}
    assert_protected(values, lines, hidden)


def test_a_hidden_total_needs_a_hidden_part():
    # The total is given hidden (decided elsewhere): its parts' sum would show it.
    values = {"t": 30, "a": 10, "b": 20}
    hidden = suppress(values, [("t", "a", "b")], given={"t"})
    assert hidden == {"t", "a"}


def test_only_candidates_are_newly_hidden_and_given_keys_stay_hidden():
    values = {"students": 3, "t": 12, "a": 2, "b": 10, "elsewhere": 40}
    hidden = suppress(values, [("t", "a", "b")], given={"elsewhere"}, candidates={"t", "a", "b"})
    assert hidden == {"elsewhere", "a", "b"}  # "students" (3) is not a candidate: never suppressed


def test_a_line_nothing_can_protect_is_refused():
    with pytest.raises(Unprotectable):
        suppress({"t": 9, "a": 4, "b": 5}, [("t", "a", "b")], candidates={"a"})


def test_pages_adding_stored_figures_up_pass_over_a_choice_that_leads_nowhere():
    # A service group = schools S1 + S2. The schools' figures were suppressed when stored: S1's red (3) with
    # its yellow (10). On the page, the group's red (3) must hide with another of the group's levels; its
    # orange is the smallest, but every school's orange is visible, so hiding it would protect nothing
    # (S1's orange + S2's orange gives it back). The group's yellow has a hidden school part: that one.
    stored = {("S1", "all"): 19, ("S1", "red"): 3, ("S1", "orange"): 6, ("S1", "yellow"): 10,
              ("S2", "all"): 20, ("S2", "red"): 0, ("S2", "orange"): 0, ("S2", "yellow"): 20}
    levels = ["red", "orange", "yellow"]
    stored_lines = [[(s, "all")] + [(s, lv) for lv in levels] for s in ("S1", "S2")]
    stored_hidden = suppress(stored, stored_lines)
    assert stored_hidden == {("S1", "red"), ("S1", "orange")}
    # (The smallest other level of S1 is its orange, so the example is built on that.)
    values = dict(stored)
    for m in [*levels, "all"]:
        values[("G", m)] = stored[("S1", m)] + stored[("S2", m)]
    group_lines = [[("G", m), ("S1", m), ("S2", m)] for m in [*levels, "all"]]
    group_lines.append([("G", "all")] + [("G", lv) for lv in levels])
    group_keys = {("G", m) for m in [*levels, "all"]}
    hidden = suppress(values, group_lines, given=stored_hidden, candidates=group_keys)
    assert {("G", "red"), ("G", "orange")} <= hidden  # orange has a hidden school part here
    assert ("G", "yellow") not in hidden
    assert_protected(values, stored_lines + group_lines, hidden)


def test_the_look_ahead_avoids_a_level_whose_schools_are_all_visible():
    levels = ["red", "orange", "yellow"]
    stored = {("S1", "red"): 3, ("S1", "orange"): 6, ("S1", "yellow"): 10,
              ("S2", "red"): 0, ("S2", "orange"): 9, ("S2", "yellow"): 20}
    for s in ("S1", "S2"):
        stored[(s, "all")] = sum(stored[(s, lv)] for lv in levels)
    stored_lines = [[(s, "all")] + [(s, lv) for lv in levels] for s in ("S1", "S2")]
    # Suppose the stored decision hid S1's yellow with the red (decided over more lines than shown here).
    stored_hidden = {("S1", "red"), ("S1", "yellow")}
    values = dict(stored)
    for m in [*levels, "all"]:
        values[("G", m)] = stored[("S1", m)] + stored[("S2", m)]
    group_lines = [[("G", m), ("S1", m), ("S2", m)] for m in [*levels, "all"]]
    group_lines.append([("G", "all")] + [("G", lv) for lv in levels])
    group_keys = {("G", m) for m in [*levels, "all"]}
    hidden = suppress(values, group_lines, given=stored_hidden, candidates=group_keys)
    # G's orange (15) is the smallest other level, but S1's and S2's oranges are visible: yellow instead.
    assert ("G", "orange") not in hidden
    assert {("G", "red"), ("G", "yellow")} <= hidden
    assert_protected(values, stored_lines + group_lines, hidden)


def test_a_choice_that_would_leave_a_line_nothing_can_protect_is_passed_over():
    # a is hidden; b (6) is smaller than c (9), but b sits in a line of figures that may not be hidden, where
    # it would be the only hidden one; c's other line has a figure that may go with it.
    values = {"t": 20, "a": 5, "b": 6, "c": 9, "bt": 16, "bx": 10, "ct": 21, "cy": 12}
    lines = [("t", "a", "b", "c"), ("bt", "b", "bx"), ("ct", "c", "cy")]
    hidden = suppress(values, lines, given={"a"}, candidates={"t", "b", "c", "cy"})
    assert hidden == {"a", "c", "cy"}
    assert_protected(values, lines, hidden)


def test_ties_go_to_the_first_key_and_the_answer_does_not_change_between_runs():
    values = {("u", "a"): 3, ("u", "b"): 9, ("u", "c"): 9, ("u", "t"): 21}
    lines = [[("u", "t"), ("u", "c"), ("u", "a"), ("u", "b")]]
    assert suppress(values, lines) == {("u", "a"), ("u", "b")}
    assert suppress(values, lines) == suppress(dict(reversed(values.items())), lines)


def test_the_same_answer_under_any_hash_seed():
    # Sets of strings iterate in a different order in every process; the choice must not depend on it.
    script = (
        "import random\n"
        "from runxin.analytics.core.suppression import suppress\n"
        "rng = random.Random(7)\n"
        "units = [f'u{n}' for n in range(30)]\n"
        "levels = ['red', 'orange', 'yellow']\n"
        "values = {(u, lv): rng.choice([0, 0, 1, 2, 3, 5, 8, 13]) for u in units for lv in levels}\n"
        "for u in units: values[(u, 'all')] = sum(values[(u, lv)] for lv in levels)\n"
        "for m in levels + ['all']: values[('top', m)] = sum(values[(u, m)] for u in units)\n"
        "lines = [[(u, 'all')] + [(u, lv) for lv in levels] for u in units + ['top']]\n"
        "lines += [[('top', m)] + [(u, m) for u in units] for m in levels + ['all']]\n"
        "print(sorted(suppress(values, lines)))\n"
    )
    answers = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        answers.add(subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,  # noqa: S603 (our own script)
                                   check=True).stdout)
    assert len(answers) == 1
    assert answers.pop().startswith("[(")


def test_marks_telling_small_from_complementary_figures_undo_the_protection():
    # What suppress() protects holds against subtraction and ranges, but not against pages that mark the
    # hidden 1–4 ("<5") apart from the others ("◦": 0 or ≥ 5): the school's 6 over a "<5" and a "◦" leaves
    # only 5 for the "◦" and 1 for the "<5". Pages should show every hidden figure alike.
    values = {"s1": 6, "c1": 1, "c2": 5}
    hidden = suppress(values, [("s1", "c1", "c2")])
    assert hidden == {"c1", "c2"}
    assert attack(values, [("s1", "c1", "c2")], hidden).recovered == {}
    assert attack(values, [("s1", "c1", "c2")], hidden, marks=marks_of(values, hidden)).recovered == \
        {"c1": 1, "c2": 5}


def test_someone_who_knows_one_district_cannot_subtract_it_from_the_city():
    # The district centre of d1 sees d1's figures exactly. Hiding d2's 3 with d1 alone protects it from
    # everyone but them: city − d1 − d3 = d2.
    values = {"city": 30, "d1": 10, "d2": 3, "d3": 17}
    lines = [("city", "d1", "d2", "d3")]
    outsiders_only = suppress(values, lines)
    assert outsiders_only == {"d1", "d2"}
    assert attack(values, lines, outsiders_only - {"d1"}).recovered == {"d2": 3}
    hidden = suppress(values, lines, owner=lambda key: key)
    assert hidden == {"d1", "d2", "d3"}
    for insider in ("d1", "d3"):
        assert attack(values, lines, hidden - {insider}).recovered == {}
        assert attack(values, lines, hidden - {insider}).small_sums == []


def test_a_units_own_breakdown_needs_no_protection_from_its_own_staff():
    # The parts of a unit's breakdown are all the unit's: whoever knows one knows all, so two hidden suffice.
    values = {("s", "all"): 20, ("s", "red"): 2, ("s", "orange"): 6, ("s", "yellow"): 12}
    lines = [[("s", "all"), ("s", "red"), ("s", "orange"), ("s", "yellow")]]
    assert suppress(values, lines, owner=lambda key: key[0]) == {("s", "red"), ("s", "orange")}
