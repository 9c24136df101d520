"""GeneralPoints (24 game): rules, answer formats and the paper's reward table."""

import json

import pytest

from habits.tasks import get_task
from habits.tasks.general_points import RANKS

HAND = {"cards": ["A", "3", "K", "6"], "target": 24, "rule": "id"}  # values 1, 3, 10, 6


@pytest.fixture(scope="module")
def task():
    return get_task("general_points")


def json_answer(formula):
    return json.dumps({"cards": ["A", "3", "K", "6"], "number": [1, 3, 10, 6], "formula": formula})


def test_gp_accepts_the_papers_json_with_trailing_equals(task):
    assert task.verify(HAND, json_answer("(10 - 6 + 1 + 3) * 3 = 24")).reason == "wrong_numbers"
    assert task.verify(HAND, json_answer("(10 + 1 - 3) * 6 / 2 = 24")).reason == "wrong_numbers"
    assert task.verify(HAND, json_answer("6 * (10 - 3 - 1) / 2")).reason == "wrong_numbers"
    assert task.verify(HAND, json_answer("(1 + 3) * 10 - 6 * 1")).reason == "wrong_numbers"
    assert task.verify(HAND, json_answer("10 * 3 - 6 * 1 = 24")).correct


def test_gp_face_cards_follow_the_rule_of_the_problem(task):
    ood = {"cards": ["Q", "2", "A", "A"], "target": 24, "rule": "ood"}  # Q = 12
    assert task.verify(ood, json_answer("12 * 2 * 1 * 1")).correct
    assert task.verify(ood, json_answer("10 * 2 + 1 + 1")).reason == "wrong_numbers"
    same_hand_id = dict(ood, rule="id")  # Q = 10
    assert task.verify(same_hand_id, json_answer("10 * 2 + 1 * 1")).reason == "wrong_value"


def test_gp_formula_may_name_cards_by_letter(task):
    assert task.verify(HAND, json_answer("K * 3 - 6 * A")).correct


def test_gp_accepts_answer_tags_and_takes_whichever_answer_comes_last(task):
    assert task.verify(HAND, "<answer>10*3-6*1</answer>").correct
    assert not task.verify(HAND, "<answer>10*3-6*1</answer> " + json_answer("1+3+10+6")).correct
    assert task.verify(HAND, json_answer("1+3+10+6") + "\n<answer>10*3-6*1</answer>").correct


def test_gp_paper_reward_table(task):
    assert task.reward(HAND, json_answer("10*3-6*1")) == 5
    assert task.reward(HAND, json_answer("10+3+6+1")) == -1  # legal, every card once, wrong value
    assert task.reward(HAND, json_answer("10*3-6")) == -2  # a card unused
    assert task.reward(HAND, json_answer("4*6")) == -2  # numbers not among the cards
    assert task.reward(HAND, json_answer("10**3")) == -3  # illegal operator
    assert task.reward(HAND, "I give up") == -3
    assert get_task("general_points", reward="binary").reward(HAND, json_answer("10+3+6+1")) == 0


def test_gp_ood_split_uses_the_other_rule_on_hands_with_face_cards():
    for problem in get_task("general_points").generate(50, "ood", seed=0):
        assert problem["rule"] == "ood"
        assert any(card in ("J", "Q", "K") for card in problem["cards"])
    flipped = get_task("general_points", rule="ood")
    assert {p["rule"] for p in flipped.generate(20, "ood", seed=0)} == {"id"}
    assert {p["rule"] for p in flipped.generate(20, "train", seed=0)} == {"ood"}


def test_gp_deck_draw_never_repeats_a_card_but_independent_draw_can():
    deck = get_task("general_points", suits=True)
    for problem in deck.generate(200, "train", seed=0):
        assert len(set(zip(problem["cards"], problem["suits"]))) == 4
        assert all(card in RANKS for card in problem["cards"])
    independent = get_task("general_points", draw="independent", suits=True)
    repeats = sum(len(set(zip(p["cards"], p["suits"]))) < 4 for p in independent.generate(400, "train", seed=0))
    assert repeats > 0


def test_gp_unknown_rule_fails_at_construction_with_the_choices():
    with pytest.raises(ValueError, match="'id'.*'ood'"):
        get_task("general_points", rule="vegas")


def test_gp_impossible_target_fails_at_construction():
    with pytest.raises(ValueError, match="target"):
        get_task("general_points", target=100_000)


def test_general_points_formula_with_a_false_stated_result_is_not_rewarded_as_correct():
    from habits.tasks import get_task

    task = get_task("general_points")
    problem = {"cards": ["10", "5", "2", "2"], "target": 24, "rule": "id"}
    assert task.verify(problem, '{"formula": "10+(5+2)*2=24"}').correct
    verdict = task.verify(problem, '{"formula": "10+(5+2)*2=25"}')
    assert not verdict.correct and task.reward(problem, '{"formula": "10+(5+2)*2=25"}') < 0


def test_gp_accepts_a_leading_minus_by_default_and_refuses_it_under_the_strict_rule():
    answer = json_answer("-6 + 10 * 3 * 1")
    assert get_task("general_points").verify(HAND, answer).correct
    assert get_task("general_points", unary_minus=False).verify(HAND, answer).reason == "illegal"


def test_the_compact_template_writes_out_the_face_card_values_of_each_splits_rule():
    task = get_task("general_points", template=4)
    (test,), (ood,) = task.generate(1, split="test"), task.generate(1, split="ood")
    assert "Values: A=1 J=10 Q=10 K=10" in task.prompt(test)
    assert "Values: A=1 J=11 Q=12 K=13" in task.prompt(ood)


@pytest.mark.parametrize("num_cards", [3, 4, 5])
def test_the_answer_format_in_every_prompt_has_one_placeholder_per_card(num_cards):
    import re

    for template in range(5):
        task = get_task("general_points", num_cards=num_cards, template=template, target=12)
        prompt = task.prompt(task.generate(1, split="test")[0])
        cards = re.search(r'"cards": \[([^\]]*)\]', prompt).group(1)
        assert len(cards.split(",")) == num_cards, (template, prompt)


def test_varied_rule_problems_state_their_own_face_values_and_verify_with_them():
    task = get_task("general_points", rule="varied", template=4, num_cards=3)
    problems = task.generate(40, split="train")
    faces = {tuple(p["faces"]) for p in problems}
    assert len(faces) > 20 and not faces & {(10, 10, 10), (11, 12, 13)}
    for problem in problems:
        j, q, k = problem["faces"]
        assert f"J={j} Q={q} K={k}" in task.prompt(problem)
        answer = task.format_answer(problem, task.solve(problem)[0])
        assert task.verify(problem, answer).correct
    # the same hand with other stated values is another problem, and its answer no longer verifies
    with_face = next(p for p in problems if any(rank in "JQK" for rank in p["cards"]) and 10 not in p["faces"])
    answer = task.format_answer(with_face, task.solve(with_face)[0])
    assert task.key(with_face) != task.key({**with_face, "faces": [10, 10, 10]})
    assert not task.verify({**with_face, "faces": [10, 10, 10]}, answer).correct


def test_varied_rule_evaluates_on_the_fixed_rules():
    task = get_task("general_points", rule="varied", num_cards=3, test_fraction=0.35)
    assert {p["rule"] for p in task.generate(5, split="test")} == {"id"}
    assert {p["rule"] for p in task.generate(5, split="ood")} == {"ood"}
    assert not any("faces" in p for p in task.generate(5, split="test"))


@pytest.mark.parametrize("faces", [None, [10, 10], [0, 5, 5], ["J", 2, 3]])
def test_a_varied_problem_without_valid_faces_is_refused_naming_what_faces_must_be(faces):
    task = get_task("general_points", rule="varied", num_cards=3)
    problem = {"cards": ["J", "2", "3"], "target": 24, "rule": "varied", "faces": faces}
    with pytest.raises(ValueError, match="faces must be the values of J, Q and K"):
        task.check_problem(problem)
