"""Profiles, intervals, readiness; the taxonomy's contract; agreement metrics."""

from __future__ import annotations

import math

import pytest

from habits.behaviors import (
    BEHAVIORS,
    TAXONOMY,
    Thresholds,
    aggregate,
    empty_counts,
    validate_counts,
)
from habits.behaviors.agreement import agreement, macro_f1, pearson, ranks, spearman
from habits.behaviors.profile import mean_interval, t_quantile, wilson_interval


def counts(v=0, b=0, s=0, w=0):
    return {"verification": v, "backtracking": b, "subgoal_setting": s, "backward_chaining": w}


# --- taxonomy ---------------------------------------------------------------------------------------
def test_taxonomy_defines_exactly_the_four_behaviors_with_examples():
    assert BEHAVIORS == ("verification", "backtracking", "subgoal_setting", "backward_chaining")
    assert tuple(TAXONOMY) == BEHAVIORS
    for spec in TAXONOMY.values():
        assert spec.definition and spec.counts_as and spec.not_counted and spec.positive and spec.negative


def test_empty_counts_has_exactly_the_four_keys():
    assert empty_counts() == counts()
    assert empty_counts() is not empty_counts()


def test_validate_counts_names_what_is_wrong():
    assert validate_counts(counts(1, 2, 3, 4)) == counts(1, 2, 3, 4)
    with pytest.raises(ValueError, match="missing backward_chaining"):
        validate_counts({"verification": 1, "backtracking": 0, "subgoal_setting": 0})
    with pytest.raises(ValueError, match="non-negative integer"):
        validate_counts(counts(v=-1))
    with pytest.raises(ValueError, match="non-negative integer"):
        validate_counts(counts(v=None))
    assert validate_counts(counts(v=None), allow_missing=True)["verification"] is None


# --- intervals ----------------------------------------------------------------------------------------
def test_wilson_interval_matches_the_textbook_value_and_stays_in_bounds():
    low, high = wilson_interval(10, 100)
    assert low == pytest.approx(0.0552, abs=1e-3) and high == pytest.approx(0.1744, abs=1e-3)
    assert wilson_interval(0, 50)[0] == 0.0 and wilson_interval(50, 50)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_t_quantile_is_close_to_student_t():
    assert t_quantile(0.95, 10) == pytest.approx(2.228, abs=0.01)
    assert t_quantile(0.95, 30) == pytest.approx(2.042, abs=0.005)
    assert t_quantile(0.95, 2) == pytest.approx(4.303, abs=1e-3)


def test_mean_interval_contains_the_mean_and_bootstrap_is_seeded():
    values = [0, 1, 2, 3, 4, 5, 0, 0, 1, 9]
    low, high = mean_interval(values)
    assert low < sum(values) / len(values) < high
    assert mean_interval(values, method="bootstrap", seed=1) == mean_interval(
        values, method="bootstrap", seed=1
    )
    assert mean_interval([3]) == (3, 3) and mean_interval([]) == (0.0, 0.0)


# --- aggregate / readiness ----------------------------------------------------------------------------
def test_profile_shares_and_means_per_behavior():
    rows = [counts(v=2, b=1), counts(v=0, b=0), counts(v=1, s=1), counts()]
    profile = aggregate(rows)
    assert profile.n == 4
    assert profile.behaviors["verification"].share == 0.5 and profile.behaviors["verification"].mean == 0.75
    assert profile.behaviors["backward_chaining"].share == 0.0


def test_readiness_names_the_missing_behaviors():
    rows = [counts(v=1, b=1, s=1)] * 20 + [counts()] * 80  # backward chaining never appears
    profile = aggregate(rows)
    assert not profile.ready and profile.missing == ["backward_chaining"]
    assert "backward_chaining" in profile.verdict and "not ready" in profile.verdict


def test_readiness_threshold_and_required_set_are_configurable():
    rows = [counts(v=1, b=1)] * 5 + [counts()] * 95  # 5% of responses
    assert aggregate(rows, Thresholds(min_share=0.05, required=("verification", "backtracking"))).ready
    assert not aggregate(rows, Thresholds(min_share=0.10, required=("verification",))).ready
    strict = aggregate(rows, Thresholds(min_share=0.05, required=("verification",), strict=True))
    assert not strict.ready  # the lower bound of 5/100 is below 5%


def test_profile_leaves_missing_judge_answers_out_and_reports_them():
    rows = [counts(v=None, b=1), counts(v=2, b=0)]
    stats = aggregate(rows).behaviors["verification"]
    assert stats.n == 1 and stats.missing == 1 and stats.share == 1.0


def test_thresholds_reject_unknown_behaviors():
    with pytest.raises(ValueError, match="unknown behavior"):
        Thresholds(required=("verification", "telepathy"))
    assert Thresholds(required="verification, backtracking").required == ("verification", "backtracking")


# --- agreement --------------------------------------------------------------------------------------------
def test_agreement_computes_presence_precision_recall_f1():
    gold = [counts(v=1), counts(v=2), counts(), counts()]
    pred = [counts(v=1), counts(), counts(v=3), counts()]
    result = agreement(gold, pred)["verification"]
    assert (result.true_positive, result.false_positive, result.false_negative) == (1, 1, 1)
    assert result.precision == 0.5 and result.recall == 0.5 and result.f1 == 0.5


def test_agreement_skips_missing_predictions():
    result = agreement([counts(v=1), counts()], [counts(v=None), counts()])["verification"]
    assert result.missing == 1 and result.n == 1


def test_correlations_match_known_values():
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 1, 1], [1, 2, 3]) is None
    assert ranks([10, 20, 20, 30]) == [1, 2.5, 2.5, 4]
    assert spearman([1, 2, 3, 4], [1, 4, 9, 16]) == pytest.approx(1.0)


def test_macro_f1_is_the_mean_over_behaviors():
    gold = [counts(1, 1, 1, 1), counts()]
    assert macro_f1(agreement(gold, gold)) == 1.0
    assert math.isclose(macro_f1(agreement(gold, [counts(1, 1, 0, 0), counts()])), 0.5)
