"""One contract test over every registered task: the promises DESIGN.md makes for all of them."""

import json

import pytest

from habits.tasks import SPLITS, get_task, task_names
from habits.tasks.perturb import perturbations

# Tasks generated here; bridged ones (reasoning_gym) make no disjoint-split promise and have their own tests.
TASKS = task_names(procedural=True)
# Every registered task with its defaults, plus the variants that change what a problem or an answer is.
VARIANTS = [(name, {}) for name in TASKS] + [
    ("general_points", {"modality": "image"}), ("general_points", {"modality": "image", "ood": "visual"}),
    ("navigation", {"actions": "relative"}), ("navigation", {"prompt_style": "chat", "template": "mixed"}),
    ("navigation", {"modality": "image", "ood": "visual"}),
]


def _key(problem):
    return json.dumps(problem, sort_keys=True)


def test_registry_has_the_built_in_tasks():
    assert {"countdown", "general_points", "navigation"} <= set(TASKS)


@pytest.mark.parametrize(("name", "config"), VARIANTS)
def test_solver_answers_verify_as_correct(name, config):
    task = get_task(name, **config)
    for split in SPLITS:
        for problem in task.generate(15, split=split, seed=1):
            for step in task.steps(problem):
                found = task.solve(step)
                assert found, f"generated an unsolvable problem: {step}"
                for expression in found[:5]:
                    verdict = task.verify(step, "Some thinking.\n" + task.format_answer(step, expression))
                    assert verdict.correct, (step, expression, verdict)
                    assert verdict.reason == "correct"


@pytest.mark.parametrize(("name", "config"), VARIANTS)
def test_corrupted_answers_fail_with_the_expected_reason(name, config):
    task = get_task(name, **config)
    for problem in task.generate(15, split="train", seed=2):
        for step in task.steps(problem):
            for expected, completion in perturbations(task, step, task.solve(step)[0]):
                verdict = task.verify(step, completion)
                assert not verdict.correct
                assert verdict.reason == expected, (completion, verdict)
                assert verdict.reason in task.reasons
                assert task.reward(step, completion) == task.reward_table()[expected]


@pytest.mark.parametrize("name", TASKS)
def test_same_seed_gives_the_same_items_and_prefixes_are_stable(name):
    task = get_task(name)
    assert task.generate(20, "train", seed=7) == task.generate(20, "train", seed=7)
    assert task.generate(5, "train", seed=7) == task.generate(20, "train", seed=7)[:5]
    assert task.generate(20, "train", seed=7) != task.generate(20, "train", seed=8)


@pytest.mark.parametrize(("name", "config"), VARIANTS)
def test_splits_never_share_a_problem(name, config):
    task = get_task(name, **config)
    drawn = {split: {_key(p) for seed in range(3) for p in task.generate(150, split, seed)} for split in SPLITS}
    assert not drawn["train"] & drawn["test"]
    assert not drawn["train"] & drawn["ood"]
    assert not drawn["test"] & drawn["ood"]


@pytest.mark.parametrize("name", TASKS)
def test_problems_are_plain_json(name):
    task = get_task(name)
    for problem in task.generate(5, "train", seed=0):
        assert json.loads(json.dumps(problem)) == problem


@pytest.mark.parametrize("name", TASKS)
def test_every_reward_scheme_maps_every_reason(name):
    task = get_task(name)
    for scheme in task.reward_schemes:
        table = task.reward_table(scheme)
        assert set(table) == set(task.reasons)
        assert max(table.values()) == table["correct"]


@pytest.mark.parametrize("name", TASKS)
def test_reward_function_follows_trl_contract_in_both_completion_forms(name):
    task = get_task(name)
    problem = task.steps(task.generate(1, "train", seed=0)[0])[0]
    right = task.format_answer(problem, task.solve(problem)[0])
    reward = task.reward_function()
    standard = reward([right, "no answer"], problem=[problem, json.dumps(problem)], prompt=["p", "p"])
    chat = reward([[{"role": "assistant", "content": right}]], problem=[problem])
    assert standard[0] == chat[0] == task.reward(problem, right)
    assert standard[1] == task.reward(problem, "no answer") < standard[0]


@pytest.mark.parametrize("name", TASKS)
def test_prompts_come_in_base_and_chat_style(name):
    for style in ("base", "chat"):
        task = get_task(name, prompt_style=style)
        for problem in task.generate(3, "train", seed=3):
            for step in task.steps(problem):
                prompt = task.prompt(step)
                if style == "base":
                    assert isinstance(prompt, str) and prompt
                else:
                    assert prompt[-1]["role"] == "user" and prompt[-1]["content"]


@pytest.mark.parametrize("name", ["countdown", "general_points"])
def test_prompts_name_every_number_and_the_target(name):
    for style in ("base", "chat"):
        task = get_task(name, prompt_style=style, template="mixed")
        for problem in task.generate(10, "train", seed=3):
            prompt = task.prompt(problem)
            text = prompt if isinstance(prompt, str) else " ".join(m["content"] for m in prompt)
            assert str(problem["target"]) in text
            for item in problem.get("numbers", problem.get("cards", [])):
                assert str(item) in text


def test_unknown_task_and_unknown_config_fields_say_what_exists():
    with pytest.raises(ValueError, match="countdown"):
        get_task("sudoku")
    with pytest.raises(ValueError, match="known fields"):
        get_task("countdown", max_number=4)


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError, match="split"):
        get_task("countdown").generate(1, split="validation")


def _as(kind, value):
    """Every whole number in ``value`` as ``kind`` (float or str): what pandas / Parquet round-trips produce."""
    if isinstance(value, bool) or not isinstance(value, (int, list, dict)):
        return value
    if isinstance(value, int):
        return kind(value)
    if isinstance(value, list):
        return [_as(kind, item) for item in value]
    return {key: _as(kind, item) for key, item in value.items()}


@pytest.mark.parametrize("name", TASKS)
@pytest.mark.parametrize("kind", [float, str])
def test_whole_numbers_as_floats_or_strings_are_read_exactly_and_solve_agrees_with_verify(name, kind):
    task = get_task(name)
    for problem in task.generate(10, split="test", seed=4):
        loose = _as(kind, problem)
        assert task.check_problem(loose) == task.check_problem(problem)
        found = task.solve(loose)
        assert found == task.solve(problem)
        assert task.verify(loose, task.format_answer(loose, found[0])).correct


# The number-combining tasks: their problems carry a whole-number target and a list of numbers or cards.
NUMBER_TASKS = ("countdown", "general_points")


@pytest.mark.parametrize("name", NUMBER_TASKS)
def test_problems_that_are_not_problems_are_refused_naming_the_field(name):
    from habits.tasks.base import BadProblem

    task = get_task(name)
    problem = task.generate(1, split="train", seed=5)[0]
    broken = [{**problem, "target": 6.5}, {**problem, "target": "six"}, {key: v for key, v in problem.items()
                                                                          if key != "target"}]
    list_field = next(key for key, value in problem.items() if isinstance(value, list))
    broken += [{**problem, list_field: "abc"}, {**problem, list_field: [*problem[list_field][:-1], None]}]
    for bad in broken:
        for call in (lambda p: task.verify(p, "<answer>1</answer>"), task.solve):
            with pytest.raises(BadProblem, match="target|" + list_field):
                call(bad)


def test_navigation_problems_that_are_not_problems_are_refused_naming_the_field():
    from habits.tasks.base import BadProblem

    task = get_task("navigation")
    route = task.generate(1, split="train", seed=5)[0]
    decision = task.steps(route)[1]
    broken = [
        ({key: v for key, v in route.items() if key != "instruction"}, "instruction"),
        ({**route, "instruction": "walk"}, "instruction"),
        ({**route, "steps": []}, "steps"),
        ({**route, "steps": [{**route["steps"][0], "intersection": "maybe"}]}, r"steps\[0\]\.intersection"),
        ({**route, "steps": [{**route["steps"][0], "at": ["east", 0]}]}, r"steps\[0\]\.at\[0\]"),
        ({**route, "city": "thirteen"}, "city"),
        ({key: v for key, v in decision.items() if key != "action"}, "action"),
        ({**decision, "history": [["seen", None]]}, r"history\[0\]"),
        ({**decision, "step": 1.5}, "step"),
    ]
    for bad, field in broken:
        for call in (lambda p: task.verify(p, '"action": "forward()"'), task.solve):
            with pytest.raises(BadProblem, match=field):
                call(bad)
    assert task.check_problem(json.dumps(decision)) == task.check_problem(decision)


@pytest.mark.parametrize("name", TASKS)
def test_item_draws_the_same_problem_generate_gives_at_that_index(name):
    task = get_task(name)
    for split in SPLITS:
        problems = task.generate(6, split=split, seed=4)
        assert [task.item(i, split=split, seed=4) for i in (5, 0, 3)] == [problems[5], problems[0], problems[3]]
    with pytest.raises(ValueError, match="index"):
        task.item(-1)
