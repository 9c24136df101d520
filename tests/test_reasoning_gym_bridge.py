"""The reasoning-gym bridge, both ways, with reasoning-gym 0.1.25 from the dev extras.

* habits -> reasoning-gym: ``import habits.export.reasoning_gym`` registers ``habits_<task>`` datasets;
* reasoning-gym -> habits: ``get_task("reasoning_gym", dataset=...)``, whose scorers run in a worker
  process under a time limit. The hostile answers below only ever reach that worker.
"""

import json
import time

import pytest

import reasoning_gym as rg  # the dev extras install reasoning-gym 0.1.25
from reasoning_gym.utils import extract_answer

import habits.export.reasoning_gym as habits_rg
from habits.tasks import get_task
from habits.tasks.perturb import perturbations


def completions_for(task, problem):
    """Ten completions per problem: right, wrong in each verdict reason, and odd formatting."""
    solution = task.solve(problem)[0]
    right = task.format_answer(problem, solution)
    odd = [
        f"<think>try {solution}</think>\n{right}",
        right.replace("<answer>", "<ANSWER>").replace("</answer>", "</ANSWER>"),  # any case
        f"{task.format_answer(problem, '1 + 1')} no, better: {right}",  # the last answer counts
        f"{right} on second thought {task.format_answer(problem, '1 + 1')}",
        "<answer></answer>",
    ]
    return [right, *[c for _, c in perturbations(task, problem, solution)], *odd][:10]


@pytest.fixture(scope="module")
def countdown_cases():
    task = get_task("countdown", prompt_style="chat")
    dataset = rg.create_dataset("habits_countdown", seed=3, size=100)
    cases = [(entry, completion) for entry in dataset
             for completion in completions_for(task, entry["metadata"]["problem"])]
    assert len(cases) == 1000
    return task, dataset, cases


def test_habits_tasks_are_registered_in_reasoning_gym_and_generate_habits_problems():
    assert {"habits_countdown", "habits_general_points"} <= set(habits_rg.REGISTERED)
    assert habits_rg.register() == habits_rg.REGISTERED  # idempotent
    for name in ("countdown", "general_points"):
        dataset = rg.create_dataset(f"habits_{name}", seed=5, size=8, split="test")
        task = get_task(name, prompt_style="chat")
        assert [e["metadata"]["problem"] for e in dataset] == task.generate(8, split="test", seed=5)
        for entry in dataset:
            assert dataset.score_answer(entry["answer"], entry) == 1.0
            assert "<answer>" in entry["question"] or "formula" in entry["question"]
    with pytest.raises(ValueError, match="split must be one of"):
        rg.create_dataset("habits_countdown", split="validation")


def test_a_habits_task_round_trips_through_the_registry_with_identical_verdicts_on_1000_completions(countdown_cases):
    task, dataset, cases = countdown_cases
    direct = [task.verify(entry["metadata"]["problem"], completion).correct for entry, completion in cases]
    whole = [dataset.score_answer(completion, entry) == 1.0 for entry, completion in cases]
    assert whole == direct
    assert 100 <= sum(direct) < 1000  # both verdicts are well represented
    # reasoning-gym's own flow (extract_answer, then score) agrees wherever its lowercase-only extractor finds it
    flow = [(dataset.score_answer(extract_answer(c), e) == 1.0, d) for (e, c), d in zip(cases, direct, strict=True)
            if "<ANSWER>" not in c]
    assert all(got == want for got, want in flow) and len(flow) == 900


def test_the_round_trip_back_through_the_worker_process_gives_the_same_verdicts(countdown_cases):
    task, dataset, cases = countdown_cases
    bridge = get_task("reasoning_gym", dataset="habits_countdown", scorer="reasoning_gym",
                      imports=["habits.export.reasoning_gym"], prompt_style="chat")
    problems = {}
    for entry, completion in cases:
        index = entry["metadata"]["source_index"]
        problems.setdefault(index, {"dataset": "habits_countdown", "dataset_args": {}, "seed": 3, "index": index,
                                    "question": entry["question"], "answer": entry["answer"],
                                    "metadata": entry["metadata"]})
    try:
        through = [bridge.verify(problems[e["metadata"]["source_index"]], c).correct for e, c in cases]
    finally:
        bridge.worker.close()
    assert through == [task.verify(e["metadata"]["problem"], c).correct for e, c in cases]
    assert bridge.failures == []


@pytest.fixture(scope="module")
def legs():
    task = get_task("reasoning_gym", dataset="leg_counting", ood_args={"min_animals": 8, "max_animals": 10})
    yield task
    task.worker.close()


def test_any_reasoning_gym_dataset_works_as_a_habits_task(legs):
    problems = legs.generate(6, split="train", seed=0)
    assert legs.generate(6, split="train", seed=0) == problems
    assert legs.generate(3, split="train", seed=0) == problems[:3]
    assert json.loads(json.dumps(problems)) == problems
    assert {p["seed"] for p in problems} != {p["seed"] for p in legs.generate(3, split="test", seed=0)}
    for problem in problems:
        assert problem["question"] in legs.prompt(problem)
        assert legs.verify(problem, "I count... " + legs.format_answer(problem, legs.solve(problem)[0])).correct
        wrong = legs.verify(problem, "<answer>-1</answer>")
        assert (wrong.correct, wrong.reason) == (False, "wrong_value")
        assert legs.verify(problem, "no tags").reason == "no_answer"
    reward = legs.reward_function()
    right = legs.format_answer(problems[0], legs.solve(problems[0])[0])
    assert reward([right, "x"], problem=[problems[0], json.dumps(problems[0])]) == [1.0, 0.0]
    ood = legs.generate(2, split="ood")
    assert all(8 <= p["metadata"]["num_animals"] <= 10 for p in ood)


def test_the_ood_split_needs_ood_settings_and_a_dataset_must_be_named():
    with pytest.raises(ValueError, match="ood_args"):
        get_task("reasoning_gym", dataset="leg_counting").generate(1, split="ood")
    with pytest.raises(ValueError, match="name a dataset"):
        get_task("reasoning_gym")


@pytest.fixture(scope="module")
def rg_countdown():
    """reasoning-gym's own Countdown scorer (sympy parse_expr, which evaluates Python), in the worker."""
    task = get_task("reasoning_gym", dataset="countdown", scorer="reasoning_gym", score_timeout=2.0)
    yield task
    task.worker.close()


def test_a_hanging_scorer_is_stopped_and_reported_and_the_run_continues(rg_countdown):
    problem = rg_countdown.generate(1)[0]
    right = rg_countdown.format_answer(problem, rg_countdown.solve(problem)[0])
    started = time.monotonic()
    verdicts = [rg_countdown.verify(problem, text) for text in (right, "<answer>9**9**9**9</answer>", right)]
    assert time.monotonic() - started < 60
    assert [v.correct for v in verdicts] == [True, False, True]
    assert verdicts[1].reason == "illegal" and "no answer within 2s" in verdicts[1].detail
    assert rg_countdown.failures[-1]["kind"] == "stopped"


def test_a_scorer_made_to_run_code_is_refused_and_reported(rg_countdown, tmp_path):
    problem = rg_countdown.generate(1)[0]
    marker = tmp_path / "ran"
    verdict = rg_countdown.verify(problem, f"<answer>__import__('os').system('touch {marker}')</answer>")
    assert not marker.exists()
    assert verdict.reason == "illegal" and "os.system" in verdict.detail
    assert rg_countdown.failures[-1]["kind"] == "blocked"
    right = rg_countdown.format_answer(problem, rg_countdown.solve(problem)[0])
    assert rg_countdown.verify(problem, right).correct  # the run goes on


def test_by_default_habits_own_verifier_scores_reasoning_gym_countdown_in_process():
    task = get_task("reasoning_gym", dataset="countdown")
    try:
        problem = task.generate(1)[0]
        verdict = task.verify(problem, "<answer>9**9**9**9</answer>")
        assert verdict.reason == "illegal" and "not allowed" in verdict.detail and task.failures == []
        assert task.verify(problem, task.format_answer(problem, task.solve(problem)[0])).correct
    finally:
        task.worker.close()


def test_tasks_list_shows_reasoning_gym_datasets(capsys):
    from habits.cli.tasks import list_tasks

    list_tasks()
    out = capsys.readouterr().out
    assert "reasoning_gym" in out and "leg_counting" in out and "--set dataset=NAME" in out
