"""Countdown's verifier against the traps public checkers fell into (STYLE.md)."""

import pytest

from habits.tasks import get_task

P = {"numbers": [1, 4, 5, 6], "target": 24}


@pytest.fixture(scope="module")
def task():
    return get_task("countdown")


def answer(text):
    return f"<think>...</think>\n<answer>{text}</answer>"


def test_countdown_accepts_exact_fraction_answer(task):
    assert task.verify(P, answer("4 / (1 - 5/6)")).correct
    assert task.verify({"numbers": [3, 3, 8, 8], "target": 24}, answer("8/(3-8/3)")).correct


def test_countdown_rejects_unused_number(task):
    verdict = task.verify({"numbers": [4, 6, 1, 1], "target": 24}, answer("4*6"))
    assert verdict.reason == "wrong_numbers" and "did not use: 1, 1" in verdict.detail


def test_countdown_compares_multisets_not_sets(task):
    # 6 is given once; using it twice must fail even though the *set* of numbers matches.
    assert task.verify({"numbers": [4, 6, 1], "target": 24}, answer("4*6*1*6/6")).reason == "wrong_numbers"
    assert task.verify({"numbers": [6, 6, 4], "target": 24}, answer("6*4")).reason == "wrong_numbers"


def test_countdown_rejects_numbers_not_given(task):
    assert task.verify(P, answer("4*6*1*1")).reason == "wrong_numbers"


def test_countdown_does_not_truncate_non_integer_values(task):
    # 7*7/(1+1) = 24.5: an int()-truncating checker calls this 24.
    verdict = task.verify({"numbers": [7, 7, 1, 1], "target": 24}, answer("7*7/(1+1)"))
    assert verdict.reason == "wrong_value" and "49/2" in verdict.detail


def test_countdown_reads_the_last_answer_anywhere_not_only_the_last_line(task):
    text = "<answer>1+4+5+6</answer>\nthen I reconsidered: <answer>4/(1-5/6)</answer>\nDone, that is my answer.\n"
    assert task.verify(P, text).correct


def test_countdown_reads_multi_line_answers(task):
    assert task.verify(P, "<answer>\n4 / (1 -\n 5/6)\n</answer>").correct


def test_countdown_never_evaluates_code(task, tmp_path):
    marker = tmp_path / "pwned"
    verdict = task.verify(P, answer(f"__import__('os').system('touch {marker}')"))
    assert verdict.reason in ("illegal", "malformed")
    assert not marker.exists()


def test_countdown_refuses_power_towers_quickly(task):
    assert task.verify(P, answer("9**9**9**9")).reason == "illegal"


def test_countdown_answer_with_trailing_equals_target_is_accepted(task):
    assert task.verify(P, answer("4 / (1 - 5/6) = 24")).correct


def test_countdown_tinyzero_reward_table(task):
    assert task.reward(P, "no tags at all") == 0.0
    assert task.reward(P, answer("1+2")) == 0.1
    assert task.reward(P, answer("nonsense")) == 0.1
    assert task.reward(P, answer("4/(1-5/6)")) == 1.0
    assert get_task("countdown", reward="binary").reward(P, answer("1+2")) == 0.0


def test_countdown_at_most_once_option_allows_unused_numbers():
    relaxed = get_task("countdown", use_all=False)
    assert relaxed.verify({"numbers": [4, 6, 1, 1], "target": 24}, answer("4*6")).correct
    assert relaxed.verify({"numbers": [4, 6, 1, 1], "target": 24}, answer("4*6*6/6")).reason == "wrong_numbers"


def test_a_countdown_problem_verifies_by_its_own_rule_whichever_task_checks_it():
    relaxed, strict = get_task("countdown", use_all=False), get_task("countdown")
    loose = {"numbers": [4, 6, 1, 1], "target": 24, "use_all": False}
    for checker in (relaxed, strict):
        assert checker.verify(loose, answer("4*6")).correct
        assert checker.verify({**loose, "use_all": True}, answer("4*6")).reason == "wrong_numbers"
        assert "at most once" in checker.prompt(loose) and "4 * 6" in checker.solve(loose)
    generated = relaxed.generate(3, "train", seed=0)
    assert all(problem["use_all"] is False for problem in generated)
    assert [strict.verify(p, answer(relaxed.solve(p)[0])).correct for p in generated] == [True] * 3


def test_the_rule_does_not_move_a_countdown_problem_to_another_split_or_stream():
    default, relaxed = get_task("countdown"), get_task("countdown", use_all=False)
    problem = default.generate(1, "train", seed=0)[0]
    assert problem["use_all"] is True
    assert default.key(problem) == relaxed.key({**problem, "use_all": False})


def test_countdown_generates_only_solvable_problems_within_ranges():
    task = get_task("countdown", min_numbers=3, max_numbers=4, number_range=[1, 25], target_range=[10, 25])
    for problem in task.generate(100, "train", seed=0):
        assert 3 <= len(problem["numbers"]) <= 4
        assert all(1 <= x <= 25 for x in problem["numbers"])
        assert 10 <= problem["target"] <= 25
        assert task.solve(problem)


def test_countdown_ood_split_uses_only_held_out_targets():
    task = get_task("countdown")
    assert all(p["target"] % 10 == 7 for p in task.generate(50, "ood", seed=0))
    assert all(p["target"] % 10 != 7 for p in task.generate(50, "train", seed=0))
    custom = get_task("countdown", heldout_targets=[20, 30])
    assert {p["target"] for p in custom.generate(30, "ood", seed=0)} <= {20, 30}


def test_countdown_config_with_no_solvable_problem_fails_at_construction():
    with pytest.raises(ValueError, match="widen"):
        get_task("countdown", number_range=[1, 1], min_numbers=2, max_numbers=2, target_range=[50, 60])


@pytest.mark.parametrize("bad, match", [({"min_numbers": 5, "max_numbers": 3}, "min_numbers"),
                                        ({"prompt_style": "fancy"}, "prompt_style"),
                                        ({"reward": "paper"}, "reward scheme"),
                                        ({"target_range": [30, 10]}, "low <= high"),
                                        ({"template": 99}, "template")])
def test_countdown_bad_config_says_what_to_change(bad, match):
    with pytest.raises(ValueError, match=match):
        get_task("countdown", **bad)


def test_countdown_base_prompt_prefills_the_assistant_turn_and_chat_prompt_is_messages():
    problem = get_task("countdown").generate(1, seed=0)[0]
    assert get_task("countdown").prompt(problem).endswith("Assistant: Let me solve this step by step.\n<think>")
    messages = get_task("countdown", prompt_style="chat").prompt(problem)
    assert [m["role"] for m in messages] == ["system", "user"]


def test_countdown_mixed_templates_vary_across_problems():
    task = get_task("countdown", template="mixed")
    firsts = {task.prompt(p).split("\n")[0] for p in task.generate(40, seed=0)}
    assert len(firsts) >= 3


def test_countdown_answer_block_ends_at_its_own_closing_tag(task):
    assert task.verify(P, "<answer>4/(1-5/6)</answer> and a stray </answer>").correct


def test_countdown_refuses_an_answer_stating_a_false_equation():
    from habits.tasks import get_task

    task = get_task("countdown")
    problem = {"numbers": [90, 33, 35], "target": 22}
    assert task.verify(problem, "<answer> 90 - 33 - 35 = 22 </answer>").correct
    assert task.verify(problem, "<answer> 22 = 90 - 33 - 35 </answer>").correct
    verdict = task.verify(problem, "<answer> 90 - 33 - 35 = 999 </answer>")
    assert not verdict.correct and verdict.reason == "malformed"


def test_countdown_accepts_a_leading_minus_by_default_and_refuses_it_under_the_strict_rule():
    from habits.tasks import get_task

    problem = {"numbers": [47, 29, 49], "target": 31}
    answer = "<answer>-47 + (29 + 49)</answer>"
    assert get_task("countdown").verify(problem, answer).correct
    strict = get_task("countdown", unary_minus=False).verify(problem, answer)
    assert strict.reason == "illegal" and "sign" in strict.detail


def test_countdown_accepts_a_correct_answer_padded_with_whitespace(task):
    assert task.verify(P, "<answer>" + " " * 400 + "4/(1-5/6)\n" + " " * 400 + "</answer>").correct


def test_countdown_failure_message_is_written_only_when_read_and_stays_the_same(task):
    verdict = task.verify({"numbers": [3, 5, 2], "target": 16}, "<answer>3 + 5 + 2 + 2</answer>")
    assert verdict.reason == "wrong_numbers"
    assert verdict.detail == "used numbers not available: 2" == verdict.to_dict()["detail"]
