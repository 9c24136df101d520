"""Training compute in the paper's FLOPs, and evaluation points matched at equal compute across arms."""

import doctest

import pytest

import habits.compute
from habits.compute import (
    ComputeMatchError,
    buffer_tokens,
    compute_grid,
    cumulative_flops,
    flops_at,
    match_compute,
    measured_lambda,
    paper_lambda,
    rl_flops,
    sft_flops,
)


def test_module_examples_hold():
    assert doctest.testmod(habits.compute).failed == 0


def test_sft_and_rl_flops_follow_the_papers_formulas():
    n = 11e9
    assert sft_flops(n, 2_000, init_tokens=500) == 6 * n * (500 + 2_000)
    assert rl_flops(n, 2_000, lam=6.0, init_tokens=500) == 6 * n * (500 + 2_000) + 2 * n * 6.0 * 2_000
    # with lambda 0 an RL token costs what an SFT token costs
    assert rl_flops(n, 2_000, lam=0.0) == sft_flops(n, 2_000)


def test_papers_generation_factors_come_from_each_task():
    from habits.tasks import get_task, task_names

    assert paper_lambda("general_points") == 6.0 and paper_lambda(get_task("navigation")) == 5.1
    assert paper_lambda("countdown") is None  # the paper has no Countdown
    assert {name: paper_lambda(name) for name in task_names() if paper_lambda(name) is not None} == {
        "general_points": 6.0, "navigation": 5.1}


def test_measured_lambda_is_buffer_tokens_over_trained_tokens():
    rollouts, prompt, completion, passes = 64, 120.0, 40.0, 2
    trained = passes * rollouts * (prompt + completion)
    assert measured_lambda(prompt, completion, passes) == pytest.approx(
        buffer_tokens(rollouts, prompt, completion) / trained)
    assert measured_lambda(0, 0) == 0.0


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_flops_refuse_negative_or_non_finite_inputs(bad):
    with pytest.raises(ValueError, match="must be a finite number >= 0"):
        rl_flops(1e6, bad, lam=6.0)


def test_equal_compute_points_go_to_the_step_nearest_in_each_arm():
    arms = {"sft": cumulative_flops(1.0, steps=12), "rl": cumulative_flops(3.0, steps=4)}
    assert match_compute(arms, [3.0, 6.0, 12.0]) == {"sft": [3, 6, 12], "rl": [1, 2, 4]}


def test_measured_per_step_flops_and_a_start_offset_are_matched_too():
    arms = {"sft_then_rl": cumulative_flops([2.0, 2.0, 5.0, 5.0], start=4.0),
            "rl": cumulative_flops(4.0, steps=4)}
    # sft_then_rl: 4, 6, 8, 13, 18 ; rl: 0, 4, 8, 12, 16
    assert match_compute(arms, [8.0, 12.0], tolerance=0.1) == {"sft_then_rl": [2, 3], "rl": [2, 3]}


def test_a_point_beyond_an_arms_total_is_refused_naming_file_line_and_arm():
    arms = {"sft": cumulative_flops(1.0, steps=5), "rl": cumulative_flops(3.0, steps=5)}
    with pytest.raises(ComputeMatchError) as caught:
        match_compute(arms, [3.0, 12.0], path="configs/study/tiny.yaml", line=14)
    message = str(caught.value)
    assert message.startswith("configs/study/tiny.yaml:14: compute point 2 (12 FLOPs) is beyond arm 'sft'")
    assert "after 5 steps" in message and "give the arm more steps" in message
    assert caught.value.arm == "sft" and caught.value.point == 1
    assert isinstance(caught.value, ValueError)  # the CLI's "fix your input" exit code


def test_an_arms_own_line_is_named_when_known():
    arms = {"sft": cumulative_flops(1.0, steps=5)}
    with pytest.raises(ComputeMatchError, match=r"^study\.yaml:22: compute point 1"):
        match_compute(arms, [40.0], path="study.yaml", line=14, arm_lines={"sft": 22})


def test_a_point_below_the_compute_an_arm_starts_from_is_refused():
    arms = {"sft_then_rl": cumulative_flops(1.0, steps=5, start=10.0), "rl": cumulative_flops(1.0, steps=20)}
    with pytest.raises(ComputeMatchError, match="below the compute arm 'sft_then_rl' starts from"):
        match_compute(arms, [2.0, 12.0])


def test_points_finer_than_an_arms_steps_are_refused():
    arms = {"rl": cumulative_flops(10.0, steps=4)}
    with pytest.raises(ComputeMatchError, match="fall on the same step"):
        match_compute(arms, [10.0, 11.0], tolerance=0.5)
    with pytest.raises(ComputeMatchError, match="falls between steps of arm 'rl'"):
        match_compute(arms, [15.0], tolerance=0.2)


@pytest.mark.parametrize(("points", "needle"), [([], "no compute points"), ([2.0, 1.0], "must increase"),
                                                ([0.0], "positive number")])
def test_malformed_grids_are_refused(points, needle):
    with pytest.raises(ComputeMatchError, match=needle):
        match_compute({"sft": cumulative_flops(1.0, steps=3)}, points)


def test_grid_spans_only_the_compute_every_arm_reaches():
    arms = {"sft": cumulative_flops(1.0, steps=10), "rl": cumulative_flops(3.0, steps=2, start=2.0)}
    grid = compute_grid(arms, 2)
    assert grid == [5.0, 8.0]  # from the later start (2) to the earlier end (8)
    match_compute(arms, grid, tolerance=0.5)  # every grid point is matchable


def test_grid_is_refused_when_the_arms_share_no_compute_range():
    with pytest.raises(ComputeMatchError, match="share no compute range"):
        compute_grid({"a": [0.0, 1.0], "b": [5.0, 6.0]}, 3)


def test_an_evaluation_step_is_labelled_with_the_flops_logged_at_it():
    rows = [{"step": 1, "compute/flops": 10.0}, {"step": 2, "loss": 1.0}, {"step": 2, "compute/flops": 20.0}]
    assert flops_at(rows, 2) == 20.0
    assert flops_at(rows, 3) is None
