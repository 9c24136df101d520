"""The SFT-vs-RL study's report parts: the paper's signs, drift flags, pass@k boundary, table, figures."""

import pytest

from habits.evaluate import pass_at_k
from habits.report.study import (
    ablation_table,
    accuracy_value,
    boundary_curves,
    boundary_findings,
    curve_from_keys,
    paper_ood,
    paper_signs,
    paper_viter_gains,
    reward_heldout_divergence,
    viter_bars,
)
from habits.report.study_plots import boundary_figure, compute_figure, viter_figure


def point(flops, test, ood):
    return {"flops": flops, "accuracy": {"test": test, "ood": ood}}


def study(rl_ood=(0.10, 0.12, 0.15), sft_ood=(0.10, 0.14, 0.06)):
    """A study summary: RL and SFT from one start, at the same compute points (the issue's shape)."""
    flops = (0.0, 1e12, 2e12)
    return {"splits": ["test", "ood"], "arms": {
        "rl": {"stages": ["rl"], "points": [point(f, {"mean": 0.5 + i / 10}, o) for i, (f, o) in
                                            enumerate(zip(flops, rl_ood))]},
        "sft": {"stages": ["sft"], "condition": "one template",
                "points": [point(f, 0.5 + i / 5, {"mean": o, "low": o - 0.02, "high": o + 0.02})
                           for i, (f, o) in enumerate(zip(flops, sft_ood))]}}}


def test_accuracies_are_read_as_numbers_or_means():
    assert accuracy_value(0.25) == 0.25 and accuracy_value({"mean": 0.5, "low": 0.4}) == 0.5
    assert accuracy_value(None) is None and accuracy_value({"mean": None}) is None


def test_both_signs_hold_when_rl_keeps_its_start_and_sft_falls_from_its_best():
    signs = paper_signs(study())
    assert [held for _, held, _ in signs] == [True, True]
    rl_sentence, sft_sentence = signs[0][2], signs[1][2]
    assert rl_sentence.startswith("Held: arm rl ends at or above its start on ood (10.0% → 15.0%")
    assert sft_sentence.startswith("Held: arm sft ends below its best on ood (6.0% at 2e+12 FLOPs vs 14.0%")


def test_signs_that_did_not_hold_are_said_plainly():
    signs = paper_signs(study(rl_ood=(0.10, 0.09, 0.08), sft_ood=(0.10, 0.11, 0.12)))
    assert [held for _, held, _ in signs] == [False, False]
    assert signs[0][2].startswith("Did not hold: arm rl ends below its start on ood (10.0% → 8.0%")
    assert signs[0][2].endswith("-2.0 points).")
    assert signs[1][2].startswith("Did not hold: arm sft ends at its best ood accuracy (12.0%")


def test_signs_without_an_arm_or_enough_points_are_not_measurable():
    summary = study()
    del summary["arms"]["sft"]
    summary["arms"]["rl"]["points"] = summary["arms"]["rl"]["points"][:1]
    signs = paper_signs(summary)
    assert [held for _, held, _ in signs] == [None, None]
    assert "needs a start and a later point" in signs[0][2]
    assert signs[1][2] == "No arm ends in SFT, so this sign cannot be checked."


def test_an_sft_then_rl_arm_counts_as_an_rl_arm():
    summary = study()
    summary["arms"]["rl"]["stages"] = ["sft", "rl"]
    assert paper_signs(summary)[0][1] is True


def rows(rewards, ood, every=2):
    out = [{"step": i + 1, "reward": r} for i, r in enumerate(rewards)]
    for index, value in enumerate(ood):
        out.append({"step": index * every, "eval_ood/accuracy": value, "eval_test/accuracy": 0.5})
    return out


RISING = [0.1, 0.2, 0.2, 0.5, 0.6, 0.7]


def test_reward_rising_while_ood_accuracy_falls_is_flagged():
    flags = reward_heldout_divergence(rows(RISING, [0.30, 0.25, 0.20]), run="rl seed 0")
    assert len(flags) == 1
    assert "rl seed 0: the training reward rose while held-out OOD accuracy fell" in flags[0]
    assert "30.0% at step 0 → 20.0% at step 4" in flags[0]


@pytest.mark.parametrize(("rewards", "ood"), [(RISING, [0.30, 0.31, 0.32]),  # both rose
                                              (RISING[::-1], [0.30, 0.25, 0.20]),  # both fell
                                              (RISING, [0.30, 0.295])])  # a fall within the margin
def test_runs_without_that_divergence_are_not_flagged(rewards, ood):
    assert reward_heldout_divergence(rows(rewards, ood)) == []


def test_boundary_curves_use_the_unbiased_pass_at_k_estimator_up_to_256():
    counts = {"start": [(256, 3), (256, 0)], "after RL": [(256, 200), (256, 0)]}
    curves = boundary_curves(counts)
    assert sorted(curves["start"]) == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert curves["start"][16] == pytest.approx((pass_at_k(256, 3, 16) + 0.0) / 2)
    assert all(curves["start"][a] <= curves["start"][b] for a, b in zip([1, 2, 4], [2, 4, 8]))
    assert max(boundary_curves(counts, max_k=8)["start"]) == 8


def test_boundary_stops_at_the_fewest_samples_a_problem_has():
    assert max(boundary_curves({"sft": [(20, 1), (12, 4)]})["sft"]) == 12


def test_boundary_findings_say_whether_training_narrowed_or_widened_what_is_solvable():
    curves = {"start": {1: 0.05, 256: 0.60}, "after SFT": {1: 0.20, 256: 0.80},
              "after RL": {1: 0.40, 256: 0.45}}
    found = boundary_findings(curves)
    assert found[0].startswith("after SFT vs start: pass@1 5.0% → 20.0%; it widens")
    assert found[1].startswith("after RL vs start")
    assert "narrows what the model can solve at all: pass@256 60.0% → 45.0%" in found[1]
    assert curve_from_keys({"pass@1": 0.1, "pass@8": 0.4, "pass@1_interval": None}) == {1: 0.1, 8: 0.4}


def test_viter_bars_take_each_budget_arms_start_and_last_point():
    summary = study()
    summary["arms"]["rl"]["viter"] = 5
    bars = viter_bars(summary)
    assert bars == {5: {"arm": "rl", "start": 0.10, "end": 0.15, "gain": pytest.approx(0.05)}}


def test_ablation_table_lists_each_arm_with_its_stages_compute_and_change():
    table = ablation_table(study())
    assert table.startswith("<table>") and table.count("<tr>") == 3
    assert "<td>sft</td><td>sft</td><td>one template</td><td>2e+12</td>" in table
    assert "10.0% → 6.0% (-4.0 points)" in table and "<td>14.0%</td>" in table


def test_paper_numbers_are_shipped_for_comparison():
    assert paper_ood("GP-L")["rule"] == pytest.approx({"init": 0.115, "rl": 0.15, "sft": 0.034})
    assert set(paper_ood("GP-VL")) == {"rule", "visual"}
    assert paper_viter_gains() == pytest.approx({1: 0.0048, 3: 0.0215, 5: 0.0299, 10: 0.0599})
    with pytest.raises(ValueError, match="paper setting must be one of"):
        paper_ood("GP-XL")


def test_figures_are_drawn_as_png_files(tmp_path):
    summary = study()
    summary["arms"]["rl"]["viter"] = 3
    made = [compute_figure(summary, tmp_path / "compute.png", paper_setting="GP-L"),
            viter_figure(viter_bars(summary), tmp_path / "viter.png"),
            boundary_figure(boundary_curves({"start": [(16, 2)], "after RL": [(16, 9)]}),
                            tmp_path / "pass.png")]
    for path in made:
        assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_figures_with_nothing_to_draw_are_skipped(tmp_path):
    assert compute_figure({"arms": {"rl": {"stages": ["rl"], "points": []}}}, tmp_path / "c.png") is None
    assert viter_figure({}, tmp_path / "v.png") is None
    assert boundary_figure({"start": {1: 0.5}}, tmp_path / "b.png") is None
    assert not list(tmp_path.iterdir())


def test_the_shared_start_arm_is_not_judged_as_a_scaled_sft_arm():
    summary = study()
    summary["arms"]["start"] = {"stages": ["sft"], "points": [point(0.0, 0.0, 0.0), point(1e12, 0.5, 0.1)]}
    summary["arms"]["rl"]["start"] = {"arm": "start", "stage": "sft", "checkpoint": "final"}
    judged = " ".join(sentence for _, _, sentence in paper_signs(summary))
    assert "arm sft " in judged and "arm start " not in judged


def test_the_first_papers_priming_findings_leave_the_study_arms_out():
    from habits.report.findings import expectation, findings

    def arm(stages, condition, before, after, start=None):
        acc = {when: {"test": {"mean": value}} for when, value in (("before", before), ("after", after))}
        return {"stages": stages, "condition": condition, "base": "base", "accuracy": acc,
                "gain": {"test": after - before}, **({"start": start} if start else {})}

    start = {"arm": "format_sft", "stage": "sft", "checkpoint": "final"}
    summary = {"splits": ["test"], "arms": {
        "format_sft": arm(["sft"], "backtracking_verification", 0.0, 0.35),
        "sft_scaled": arm(["sft"], "backtracking_verification", 0.35, 0.48, start),
        "rl_scaled": arm(["rl"], None, 0.35, 0.49, start)}}
    notes = " ".join(findings(summary))
    assert "Unlike the paper" not in notes and "As in the paper" not in notes
    assert "after SFT" in notes and "after RL" in notes  # each arm by its own last stage
    assert all(held is None for _, held, _ in expectation(summary))
    summary["arms"]["primed"] = arm(["sft", "rl"], "backtracking_verification", 0.3, 0.6)
    summary["arms"]["no_priming"] = arm(["rl"], None, 0.2, 0.25)
    assert "As in the paper, every behavior-primed arm ends above no priming" in " ".join(findings(summary))
    assert "primed 60.0% vs no_priming 25.0%" in " ".join(findings(summary))
