"""Priming rows under every condition, both tasks and both registers: the behaviors, arithmetic and answers they promise."""

import re

import pytest

from habits.tasks import get_task
from habits.traces import (
    BEHAVIORS,
    Condition,
    check_arithmetic,
    condition_names,
    get_condition,
    make_rows,
    phrases,
    thoughts,
)
from habits.traces.check import find_statements
from habits.traces.rows import make_row
from habits.traces.tokens import count_regex_tokens

TASKS = ("countdown", "general_points")
REGISTERS = ("terse", "natural")
N = 100
CONTRACT = {"prompt", "completion", "messages", "problem", "behaviors", "correct", "condition", "task"}
WRITTEN = [name for name in condition_names() if get_condition(name).thoughts == "full"]
CONTROLS = [name for name in condition_names() if get_condition(name).thoughts != "full"]


def _sentences(*tables):
    """One pattern for every sentence of ``tables`` (fields are runs without sentence punctuation)."""
    parts = [r"[^.?!\n]+?".join(re.escape(piece) for piece in re.split(r"\{\w+\}", template))
             for table in tables for template in table]
    return re.compile("|".join(parts))


# What each behavior writes, counted on the text: exact by construction, so exactly these many.
MARKS = {
    "terse": {
        "verification": re.compile(r" vs \d+ (?:yes|no)\b|(?:==|!=)\d"),
        "backtracking": re.compile(r"^back ", re.M),
        "subgoal_setting": re.compile(r"need \d"),
        "backward_chaining": re.compile(r"^(?:back )?\d+=\d+[*+]\d+[,:]", re.M),
    },
    "natural": {
        "verification": _sentences(phrases.CHECK_OK, phrases.CHECK_FAIL, phrases.CHECK_PART_OK,
                                   phrases.CHECK_PART_FAIL),
        "backtracking": _sentences(phrases.ABANDON),
        "subgoal_setting": _sentences(phrases.SUBGOAL),
        "backward_chaining": _sentences(phrases.WORK_BACK),
    },
}
CLOSEST = _sentences(phrases.CLOSEST)  # "the closest was ...": only written by traces that verify


@pytest.fixture(scope="module")
def problems():
    return {name: get_task(name).generate(N, split="train", seed=11) for name in TASKS}


@pytest.fixture(scope="module")
def rows(problems):
    cache = {}

    def get(task_name, condition, register="terse"):
        if (task_name, condition, register) not in cache:
            task = get_task(task_name)
            cache[task_name, condition, register] = list(make_rows(task, condition, problems[task_name], seed=5,
                                                                   register=register))
        return cache[task_name, condition, register]

    return get


def _numbers(row):
    task = get_task(row["task"])
    return list(task.values(row["problem"])) if row["task"] == "general_points" else row["problem"]["numbers"]


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", WRITTEN)
def test_behavior_counts_are_exactly_what_the_text_shows_and_forbidden_behaviors_never_appear(
        rows, register, task_name, condition):
    allowed = get_condition(condition).behaviors
    for row in rows(task_name, condition, register):
        text = thoughts(row["completion"])
        for behavior in BEHAVIORS:
            shown = len(MARKS[register][behavior].findall(text))
            assert row["behaviors"][behavior] == shown, (behavior, text)
            if behavior not in allowed:
                assert shown == 0, (behavior, text)
        if "verification" not in allowed:
            assert not CLOSEST.search(text), text


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", WRITTEN)
def test_allowed_behaviors_appear_wherever_the_search_gives_them_a_chance(rows, register, task_name, condition):
    allowed = get_condition(condition).behaviors
    batch = rows(task_name, condition, register)
    share = {b: sum(row["behaviors"][b] > 0 for row in batch) / len(batch) for b in BEHAVIORS}
    if "verification" in allowed:
        assert share["verification"] == 1.0  # every line is checked, and every trace has a line
    if "backtracking" in allowed:
        assert 0.3 <= share["backtracking"] < 1.0, share  # only after a miss: first-line solves show none
    # A plan opens every trace whose target splits (a given number below it or dividing it: ~83% of
    # countdown problems, all of general_points) -- except in wrong-answer traces, which leave out a
    # plan that hits.
    least = 0.5 if get_condition(condition).answer == "wrong" else 0.75
    for planned in ("subgoal_setting", "backward_chaining"):
        if planned in allowed:
            assert share[planned] >= least, share


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("task_name", TASKS)
def test_backtracking_rows_compare_nothing_and_plain_rows_are_one_unchecked_line(rows, register, task_name):
    for row in rows(task_name, "backtracking", register):
        text = thoughts(row["completion"])
        assert not MARKS["terse"]["verification"].search(text) and not MARKS["natural"]["verification"].search(text)
        assert not CLOSEST.search(text)
    for row in rows(task_name, "plain", register):
        text = thoughts(row["completion"])
        assert row["behaviors"] == dict.fromkeys(BEHAVIORS, 0)
        assert check_arithmetic(text).statements == len(_numbers(row)) - 1  # one line: one step per number
        if register == "terse":
            attempts = [line for line in text.strip("\n").split("\n") if " : " not in line]
            assert len(attempts) == 1, text


@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", condition_names())
def test_terse_and_natural_rows_of_one_problem_carry_the_same_counts_and_answers(rows, task_name, condition):
    for terse, natural in zip(rows(task_name, condition, "terse"), rows(task_name, condition, "natural"), strict=True):
        assert terse["problem"] == natural["problem"]
        assert terse["behaviors"] == natural["behaviors"]
        assert terse["answer"] == natural["answer"].replace(" ", "")
        assert terse["correct"] == natural["correct"]


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", WRITTEN)
def test_every_arithmetic_statement_is_right_except_the_incorrect_controls_one_slip(
        rows, register, task_name, condition):
    for row in rows(task_name, condition, register):
        text = thoughts(row["completion"])
        result = check_arithmetic(text)
        assert result.statements >= 1
        if condition == "incorrect":
            left, right = find_statements(text)[-1]
            assert result.wrong_statements == [f"{left} = {right}"], (text, result.wrong_statements)
        else:
            assert result.wrong == 0, (text, result.wrong_statements)


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", condition_names())
def test_correct_flag_is_the_task_verifier_verdict_and_rows_have_the_contract_fields(
        rows, register, task_name, condition):
    task = get_task(task_name)
    batch = rows(task_name, condition, register)
    for row in batch:
        assert CONTRACT <= set(row)
        assert set(row["behaviors"]) == set(BEHAVIORS)
        assert row["correct"] == task.verify(row["problem"], row["completion"]).correct
        assert row["prompt"] == task.prompt(row["problem"])
        assert row["messages"][-1] == {"role": "assistant", "content": row["completion"]}
        assert row["condition"] == condition and row["task"] == task_name
    correct = sum(row["correct"] for row in batch) / len(batch)
    if get_condition(condition).answer == "wrong":
        assert correct == 0.0
    else:
        assert 0.0 < correct < 1.0  # natural: the search's own answer, right when it found the target


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("task_name", TASKS)
def test_controls_keep_the_answers_and_correctness_of_all_item_for_item_and_show_no_reasoning(
        rows, register, task_name):
    task = get_task(task_name)
    full = rows(task_name, "all", register)
    for condition in CONTROLS:
        for control, source in zip(rows(task_name, condition, register), full, strict=True):
            assert control["problem"] == source["problem"]
            assert control["answer"] == source["answer"] and control["correct"] == source["correct"]
            assert control["behaviors"] == dict.fromkeys(BEHAVIORS, 0)
            answer = task.format_answer(control["problem"], control["answer"])
            before_answer = control["completion"][:control["completion"].index(answer)]
            assert not any(c.isalnum() for c in before_answer.replace("think", ""))
    for row in rows(task_name, "none", register):
        opened = isinstance(row["prompt"], str) and row["prompt"].endswith("<think>")
        assert "<think>" not in row["completion"]
        assert row["completion"].startswith("</think>") == opened


@pytest.mark.parametrize("register", REGISTERS)
@pytest.mark.parametrize("task_name", TASKS)
def test_length_matched_has_one_dot_per_token_of_the_thoughts_it_replaces(rows, register, task_name):
    for dotted, full in zip(rows(task_name, "length_matched", register), rows(task_name, "all", register),
                            strict=True):
        inner = thoughts(dotted["completion"]).rstrip("\n")
        assert inner == " ." * count_regex_tokens(thoughts(full["completion"]).strip())
        assert dotted["thought_tokens"] == full["thought_tokens"] > 0


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
    assert text.startswith("<think>\n") and row["correct"] == task.verify(problem, text).correct
    assert row["messages"] == row["prompt"] + row["completion"]


def test_same_seed_gives_the_same_traces_and_another_seed_other_wordings(problems):
    task = get_task("general_points")
    batch = problems["general_points"][:20]
    first = list(make_rows(task, "all", batch, seed=1, register="natural"))
    again = list(make_rows(task, "all", batch, seed=1, register="natural"))
    other = list(make_rows(task, "all", batch, seed=2, register="natural"))
    assert first == again
    assert [r["completion"] for r in first] != [r["completion"] for r in other]
    assert [r["answer"] for r in first] == [r["answer"] for r in other]  # the search itself is seed-free


def test_natural_traces_vary_their_wording_and_terse_ones_never_do(rows):
    natural = {row["completion"].split("\n")[1][:25] for row in rows("countdown", "all", "natural")}
    assert len(natural) >= 8
    task = get_task("countdown")
    problem = task.generate(1, seed=3)[0]
    terse = {make_row(task, "all", problem, seed=seed, register="terse")["completion"] for seed in range(5)}
    assert len(terse) == 1


def test_composed_condition_shows_exactly_its_behaviors():
    condition = Condition("verify_only", behaviors=frozenset({"verification"}))
    task = get_task("countdown")
    batch = list(make_rows(task, condition, task.generate(30, seed=4)))
    assert all(row["behaviors"]["verification"] == 1 for row in batch)  # one line, checked once
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


def test_unknown_register_is_refused_with_the_known_ones():
    task = get_task("countdown")
    with pytest.raises(ValueError, match="terse, natural"):
        make_row(task, "all", task.generate(1, seed=0)[0], register="poetic")


def test_every_phrase_table_offers_several_wordings():
    tables = {name: value for name, value in vars(phrases).items() if name.isupper() and isinstance(value, tuple)}
    assert {"START", "TRY", "ABANDON", "CHECK_OK", "CHECK_FAIL", "SUBGOAL", "WORK_BACK"} <= set(tables)
    for name, table in tables.items():
        assert len(set(table)) >= 3, name
