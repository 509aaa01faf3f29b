"""The subtraction attack (core/disclosure.py) finds what a careless "<5" gives away: one line at a time, then
across lines, across pages, through zeros, and the small sums."""

from runxin.analytics.core.disclosure import attack, marks_of, recoverable, small_hidden_sums

# A city of two districts, each of two schools; one student in one school of district 1.
CITY = {"city": 21, "d1": 1, "d2": 20, "s1": 1, "s2": 0, "s3": 12, "s4": 8}
TREE = [("city", "d1", "d2"), ("d1", "s1", "s2"), ("d2", "s3", "s4")]


def test_nothing_hidden_nothing_to_learn():
    assert recoverable(CITY, TREE, ()) == {}
    assert small_hidden_sums(CITY, TREE, ()) == []


def test_the_city_total_minus_one_district_gives_the_other_districts_1():
    assert recoverable(CITY, TREE, {"d1"}) == {"d1": 1}


def test_drilling_down_names_the_school_and_the_attack_carries_across_lines():
    # "<5" on d1 and s1 alone: the city page gives d1, and d1 minus s2's visible 0 then gives s1.
    assert recoverable(CITY, TREE, {"d1", "s1"}) == {"d1": 1, "s1": 1}


def test_a_hidden_total_is_the_sum_of_its_visible_parts():
    assert recoverable(CITY, TREE, {"d2"}) == {"d2": 20}


def test_what_is_solved_comes_back_into_lines_seen_before():
    # d2's line has two unknowns until the city line gives d2; then s4 = d2 − s3.
    assert recoverable(CITY, TREE, {"d2", "s4"}) == {"d2": 20, "s4": 8}


def test_two_unknowns_in_every_line_hold():
    assert recoverable(CITY, TREE, {"d1", "d2", "s1", "s4"}) == {}


def test_a_known_total_leaving_0_for_its_unknown_parts_tells_they_are_all_0():
    values = {"t": 7, "a": 7, "b": 0, "c": 0, "u": 9, "c2": 9}
    lines = [("t", "a", "b", "c"), ("u", "c", "c2")]
    # b and c hidden, their line leaves 0 for them; c = 0 then gives c2 from u's line.
    assert recoverable(values, lines, {"b", "c", "c2"}) == {"b": 0, "c": 0, "c2": 9}


def test_hidden_parts_adding_up_to_less_than_5_are_reported_as_small():
    values = {"t": 20, "a": 1, "b": 2, "c": 17}
    found = attack(values, [("t", "a", "b", "c")], {"a", "b"})
    assert found.recovered == {}
    assert found.small_sums == [(("t", "a", "b", "c"), 3)]
    # With the total hidden too, the attacker knows neither sum.
    assert small_hidden_sums(values, [("t", "a", "b", "c")], {"t", "a", "b"}) == []


def test_a_small_sum_is_judged_after_what_the_attacker_solved():
    # t is hidden but its parent line gives it back; then a + b = 3 is known.
    values = {"top": 30, "t": 20, "x": 10, "a": 1, "b": 2, "c": 17}
    lines = [("top", "t", "x"), ("t", "a", "b", "c")]
    found = attack(values, lines, {"t", "a", "b"})
    assert found.recovered == {"t": 20}
    assert found.small_sums == [(("t", "a", "b", "c"), 3)]


def test_keys_missing_from_the_values_count_0():
    assert recoverable({"t": 6, "a": 6}, [("t", "a", "b")], {"a"}) == {"a": 6}


def test_ranges_carried_across_lines_pin_what_no_single_line_does():
    # Every line has two unknowns, so subtraction alone learns nothing; but c ≤ 4 (third line) makes a ≥ 5
    # (second), the first line allows a ≤ 5, so a = 5 and then z = 0, c = 4, e = 0.
    values = {"t1": 5, "a": 5, "z": 0, "t2": 9, "c": 4, "t3": 4, "e": 0}
    lines = [("t1", "a", "z"), ("t2", "a", "c"), ("t3", "c", "e")]
    found = attack(values, lines, {"a", "z", "c", "e"})
    assert found.recovered == {"a": 5, "z": 0, "c": 4, "e": 0}


def test_the_ranges_the_attacker_ends_with():
    values = {"t": 30, "a": 10, "b": 20, "top": 50, "other": 20}
    found = attack(values, [("t", "a", "b"), ("top", "t", "other")], {"a", "b"})
    assert found.ranges == {"a": (0, 30), "b": (0, 30)}


def test_marks_telling_small_from_other_hidden_figures_narrow_the_ranges():
    # "<5" and "◦" under a visible 6: the "◦" is 0 or ≥ 5 and at most 6 − 1, so 5, and the "<5" is 1.
    values = {"t": 6, "red": 1, "orange": 5}
    hidden = {"red", "orange"}
    assert recoverable(values, [("t", "red", "orange")], hidden) == {}
    assert marks_of(values, hidden) == {"red": "primary", "orange": "complementary"}
    assert recoverable(values, [("t", "red", "orange")], hidden, marks=marks_of(values, hidden)) == \
        {"red": 1, "orange": 5}


def test_with_marks_a_small_sum_counts_only_when_a_complementary_figure_is_in_it():
    values = {"t": 20, "a": 1, "b": 2, "c": 17}
    # Both hidden parts say "<5" already: nothing more to learn from their sum of 3.
    assert small_hidden_sums(values, [("t", "a", "b", "c")], {"a", "b"}, marks=marks_of(values, {"a", "b"})) == []
    values = {"t": 12, "a": 3, "z": 0, "c": 9}
    marks = marks_of(values, {"a", "z"})
    found = attack(values, [("t", "a", "z", "c")], {"a", "z"}, marks=marks)
    assert found.recovered == {"a": 3, "z": 0}  # a "◦" under 5 can only be 0
