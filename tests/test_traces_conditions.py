"""Priming rows under every condition and both tasks: the behaviors, arithmetic and answers they promise."""

import pytest

from habits.tasks import get_task
from habits.traces import (
    BEHAVIORS,
    Condition,
    check_arithmetic,
    condition_names,
    get_condition,
    make_rows,
    thoughts,
)
from habits.traces.rows import make_row
from habits.traces.tokens import count_regex_tokens

TASKS = ("countdown", "general_points")
N = 100
CONTRACT = {"prompt", "completion", "messages", "problem", "behaviors", "correct", "condition", "task"}


@pytest.fixture(scope="module")
def problems():
    return {name: get_task(name).generate(N, split="train", seed=11) for name in TASKS}


@pytest.fixture(scope="module")
def rows(problems):
    cache = {}

    def get(task_name, condition):
        if (task_name, condition) not in cache:
            task = get_task(task_name)
            cache[task_name, condition] = list(make_rows(task, condition, problems[task_name], seed=5))
        return cache[task_name, condition]

    return get


@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", condition_names())
def test_condition_shows_allowed_behaviors_in_nearly_every_trace_and_forbidden_ones_in_none(rows, task_name, condition):
    allowed = get_condition(condition).behaviors
    batch = rows(task_name, condition)
    for behavior in BEHAVIORS:
        present = sum(row["behaviors"][behavior] > 0 for row in batch) / len(batch)
        if behavior in allowed:
            assert present >= 0.95, (behavior, present)
        else:
            assert present == 0.0, (behavior, present)


@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", condition_names())
def test_every_arithmetic_statement_in_every_trace_is_exactly_right(rows, task_name, condition):
    for row in rows(task_name, condition):
        result = check_arithmetic(thoughts(row["completion"]))
        assert result.wrong == 0, (row["completion"], result.wrong_statements)
        if row["behaviors"]["verification"] or row["behaviors"]["backward_chaining"]:
            assert result.statements >= 1


@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", condition_names())
def test_correct_flag_is_the_task_verifier_verdict_and_rows_have_the_contract_fields(rows, task_name, condition):
    task = get_task(task_name)
    for row in rows(task_name, condition):
        assert CONTRACT <= set(row)
        assert set(row["behaviors"]) == set(BEHAVIORS)
        assert row["correct"] == task.verify(row["problem"], row["completion"]).correct
        assert row["prompt"] == task.prompt(row["problem"])
        assert row["messages"][-1] == {"role": "assistant", "content": row["completion"]}
        assert row["condition"] == condition and row["task"] == task_name
        expected_correct = get_condition(condition).answer == "correct"
        assert row["correct"] is expected_correct


@pytest.mark.parametrize("task_name", TASKS)
def test_incorrect_traces_end_with_a_legal_wrong_answer_and_keep_their_arithmetic_right(rows, task_name):
    task = get_task(task_name)
    for row in rows(task_name, "incorrect"):
        verdict = task.verify(row["problem"], row["completion"])
        assert verdict.reason == "wrong_value", verdict
        assert check_arithmetic(thoughts(row["completion"])).wrong == 0


@pytest.mark.parametrize("task_name", TASKS)
def test_length_matched_has_one_dot_per_token_of_the_thoughts_it_replaces(rows, task_name):
    for dotted, full in zip(rows(task_name, "length_matched"), rows(task_name, "all"), strict=True):
        inner = thoughts(dotted["completion"]).rstrip("\n")
        assert inner == " ." * count_regex_tokens(thoughts(full["completion"]).strip())
        assert dotted["thought_tokens"] == full["thought_tokens"] > 0


@pytest.mark.parametrize("task_name", TASKS)
def test_controls_keep_the_answers_of_all_and_show_no_reasoning(rows, task_name):
    task = get_task(task_name)
    for condition in ("empty_cot", "none", "length_matched"):
        for control, full in zip(rows(task_name, condition), rows(task_name, "all"), strict=True):
            assert control["answer"] == full["answer"]
            answer = task.format_answer(control["problem"], control["answer"])
            before_answer = control["completion"][:control["completion"].index(answer)]
            assert not any(c.isalnum() for c in before_answer.replace("think", ""))
    for row in rows(task_name, "none"):
        opened = isinstance(row["prompt"], str) and row["prompt"].endswith("<think>")
        assert "<think>" not in row["completion"]
        assert row["completion"].startswith("</think>") == opened


def test_countdown_base_prompt_is_continued_inside_the_open_think_block(rows):
    row = rows("countdown", "backtracking")[0]
    assert row["prompt"].endswith("<think>")
    assert "<think>" not in row["completion"] and row["completion"].count("</think>") == 1
    assert row["completion"].rstrip().endswith("</answer>")


def test_chat_style_prompts_get_a_full_think_block_and_chat_format_gives_message_lists():
    task = get_task("countdown", prompt_style="chat")
    problem = task.generate(1, seed=2)[0]
    row = make_row(task, "all", problem, fmt="chat")
    assert row["prompt"] == task.prompt(problem)
    assert row["completion"][0]["role"] == "assistant"
    text = row["completion"][0]["content"]
    assert text.startswith("<think>\n") and row["correct"]
    assert row["messages"] == row["prompt"] + row["completion"]


def test_same_seed_gives_the_same_traces_and_another_seed_other_ones(problems):
    task = get_task("general_points")
    first = list(make_rows(task, "all", problems["general_points"][:20], seed=1))
    again = list(make_rows(task, "all", problems["general_points"][:20], seed=1))
    other = list(make_rows(task, "all", problems["general_points"][:20], seed=2))
    assert first == again
    assert [r["completion"] for r in first] != [r["completion"] for r in other]


def test_traces_vary_their_wording(rows):
    openings = {row["completion"].split("\n")[1][:25] for row in rows("countdown", "all")}
    assert len(openings) >= 8


def test_composed_condition_shows_exactly_its_behaviors():
    condition = Condition("verify_only", behaviors=frozenset({"verification"}))
    task = get_task("countdown")
    batch = list(make_rows(task, condition, task.generate(30, seed=4)))
    assert all(row["behaviors"]["verification"] >= 1 for row in batch)
    assert all(row["behaviors"][b] == 0 for row in batch for b in BEHAVIORS if b != "verification")


@pytest.mark.parametrize("fields, message", [
    ({"behaviors": frozenset({"verification"}), "thoughts": "empty"}, "cannot show"),
    ({"behaviors": frozenset({"daydreaming"})}, "unknown behaviors"),
    ({"answer": "maybe"}, "answer must be"),
    ({"thoughts": "some"}, "thoughts must be"),
])
def test_impossible_conditions_are_refused_with_a_reason(fields, message):
    with pytest.raises(ValueError, match=message):
        Condition("bad", **fields)


def test_unknown_condition_lists_the_known_ones():
    with pytest.raises(ValueError, match="backtracking_subgoal"):
        get_condition("all_strategies_please")
