"""Navigation priming (SFT) rows: one per decision, written from the rail, through the Task interface."""

import pytest
from typer.testing import CliRunner

from habits.cli import app
from habits.io import load_rows
from habits.tasks import get_task
from habits.traces.data import PrimeConfig, main
from habits.traces.rows import make_rows


def _decisions(task, n_routes=6):
    return [step for route in task.generate(n_routes, "train", seed=0) for step in task.steps(route)]


@pytest.mark.parametrize("actions", ["absolute", "relative"])
@pytest.mark.parametrize("register", ["natural", "terse"])
def test_every_navigation_priming_answer_is_the_action_the_verifier_accepts(actions, register):
    task = get_task("navigation", actions=actions)
    decisions = _decisions(task)
    for condition in ("none", "plain", "all"):
        rows = list(make_rows(task, condition, decisions, register=register))
        assert len(rows) == len(decisions)
        for row, step in zip(rows, decisions):
            assert row["correct"] and task.verify(step, row["completion"]).correct
            assert row["answer"] == step["action"]


def test_the_none_condition_answers_with_the_json_action_alone():
    task = get_task("navigation")
    row = next(make_rows(task, "none", _decisions(task, 1)))
    assert row["completion"].startswith("{") and "<think>" not in row["completion"]
    assert '"action": "turn_direction(' in row["completion"]


def test_a_verification_thought_is_written_and_counted_only_when_the_condition_allows_it():
    task = get_task("navigation")
    decisions = _decisions(task)
    checked = list(make_rows(task, "all", decisions))
    plain = list(make_rows(task, "plain", decisions))
    assert all(row["behaviors"] == {"verification": 1, "backtracking": 0, "subgoal_setting": 0,
                                    "backward_chaining": 0} for row in checked)
    assert all(row["completion"].count("Check:") == 1 for row in checked)
    assert all("Check:" not in row["completion"] and sum(row["behaviors"].values()) == 0 for row in plain)
    turn = next(r for r in checked if r["answer"].startswith("turn_direction") and r["problem"]["step"] > 0)
    assert "which matches the instruction" in turn["completion"]  # the turn is checked against the observation


def test_a_wrong_answer_condition_is_refused_before_any_row_for_navigation():
    with pytest.raises(ValueError, match="condition 'incorrect'.*no slip"):
        main(PrimeConfig(task="navigation", condition="incorrect", n=3), progress=False)


def test_prime_data_writes_navigation_rows_one_per_decision(tmp_path):
    out = tmp_path / "nav.jsonl"
    result = CliRunner().invoke(app, ["prime-data", "--task", "navigation", "--condition", "none", "--n", "7",
                                      "--format", "chat", "--out", str(out), "--set", "actions=relative"])
    assert result.exit_code == 0, result.output
    rows = load_rows(out)
    assert len(rows) == 7 and all(row["correct"] and row["task"] == "navigation" for row in rows)
    assert [row["problem"]["step"] for row in rows[:3]] == [0, 1, 2]  # the decisions of the first route, in order
    assert all(row["problem"]["actions"] == "relative" for row in rows)


def test_image_navigation_rows_carry_the_four_views(tmp_path):
    out = tmp_path / "nav.parquet"
    summary = main(PrimeConfig(task="navigation", condition="all", n=3, format="chat", out=out,
                               task_config={"modality": "image"}), progress=False)
    assert summary["rows"] == 3 and summary["correct"] == 1.0
    rows = load_rows(out)
    assert all(len(row["images"]) == 1 for row in rows)
