"""The offline classifier: counts in every writing style, silence on look-alikes, robustness."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habits.behaviors import BEHAVIORS, TAXONOMY, behavior_spans, count_behaviors
from habits.behaviors.agreement import FIXTURES, agreement, fixture_path, macro_f1
from habits.behaviors.lexical import MAX_CHARS, infer_target


def present(text: str, **kwargs) -> set[str]:
    return {name for name, n in count_behaviors(text, **kwargs).items() if n}


# --- the taxonomy's own examples ---------------------------------------------------------------
@pytest.mark.parametrize("name", BEHAVIORS)
def test_lexical_finds_every_positive_taxonomy_example(name):
    for example in TAXONOMY[name].positive:
        assert count_behaviors(example)[name] >= 1, example


@pytest.mark.parametrize("name", BEHAVIORS)
def test_lexical_ignores_every_negative_taxonomy_example(name):
    for example in TAXONOMY[name].negative:
        assert count_behaviors(example)[name] == 0, example


# --- styles -------------------------------------------------------------------------------------
def test_lexical_counts_backtracking_in_hmm_wait_text():
    text = (
        "hmm 9 * 4 = 36, 36 - 7 = 29... no. Hmm, wait, maybe (9 - 7) * 4 = 8? no... "
        "what about 9 + 7 + 4 = 20. ugh. oh! 9 * 4 - 7 - ... hmm"
    )
    counts = count_behaviors(text)
    assert counts["backtracking"] >= 2
    assert counts["verification"] >= 2


def test_lexical_counts_one_check_per_terse_verdict():
    text = "50+3=53 no. 50*3=150 no. 50-3=47 yes\n</think>\n<answer>50-3</answer>"
    assert count_behaviors(text)["verification"] == 3
    assert count_behaviors(text)["backtracking"] == 2


def test_lexical_counts_checkmarks_in_chatty_markdown():
    text = (
        "Sure! 😊 Here's my approach:\n\n**Try 1:** 8 × 3 = 24 ✅\n\n"
        "Let me double-check: 8 × 3 is indeed **24** ✔️ and every number is used."
    )
    counts = count_behaviors(text)
    assert counts["verification"] >= 2
    assert counts["backtracking"] == 0


def test_lexical_counts_backward_chaining_from_the_target():
    text = (
        "Let's work backwards. 36 = 4 * 9, so I need 9 from 3, 6 and 2. "
        "9 = 3 * 6 / 2. So 4 * (3 * 6 / 2) = 36."
    )
    counts = count_behaviors(text)
    assert counts["backward_chaining"] >= 2
    assert counts["subgoal_setting"] >= 1


def test_lexical_counts_a_stated_plan_as_a_subgoal():
    text = "Plan: first make 10 from 7 and 3, then multiply it by the remaining 5 and add 2. 7 + 3 = 10, 10 * 5 = 50."
    assert count_behaviors(text)["subgoal_setting"] == 1


def test_lexical_reads_json_answers_without_inventing_behaviors():
    text = '{"cards": ["4", "6", "K", "A"], "number": [4, 6, 10, 1], "formula": "(10 - 4) * 4 * 1 = 24"}'
    assert count_behaviors(text) == dict.fromkeys(BEHAVIORS, 0)


def test_lexical_counts_a_json_reasoning_field():
    text = '{"reasoning": "9 * 3 = 27, not 32. Try another: 9 * 3 + 5 = 32. Correct.", "answer": "9 * 3 + 5"}'
    counts = count_behaviors(text)
    assert counts["verification"] == 2 and counts["backtracking"] == 1


def test_lexical_counts_a_corrected_arithmetic_mistake():
    text = "6 * 7 = 48, 48 - 5 = 43. Oops, 6 * 7 is 42, not 48. So 42 - 5 = 37."
    counts = count_behaviors(text)
    assert counts["backtracking"] >= 1 and counts["verification"] >= 1


def test_lexical_long_meandering_trace_accumulates_counts():
    attempt = "{a} + {b} = {c}, not 100. Let me try another pair. "
    text = "".join(attempt.format(a=a, b=a + 1, c=2 * a + 1) for a in range(10, 60))
    counts = count_behaviors(text)
    assert counts["verification"] == 50
    assert counts["backtracking"] >= 49


# --- the priming traces' terse register -------------------------------------------------------------
def test_lexical_counts_terse_verdicts_switches_subgoals_and_decompositions():
    text = "22=12+10,need 10: 9+1=10 vs 10 yes,12+10=22 vs 22 yes\n</think>\n<answer> 12+(9+1) </answer>"
    assert count_behaviors(text) == {"verification": 2, "backtracking": 0, "subgoal_setting": 1,
                                     "backward_chaining": 1}
    text = "14=2*7: 11-5=6 vs 7 no\nback 14=11+3: 5-2=3 vs 3 yes,11+3=14 vs 14 yes"
    assert count_behaviors(text) == {"verification": 3, "backtracking": 1, "subgoal_setting": 0,
                                     "backward_chaining": 2}


def test_lexical_reads_terse_comparisons_written_with_operators():
    text = "5+10=15,15-8=7!=10\nback 10/5=2,2+8=10==10\n</think>\n<answer> (10/5)+8 </answer>"
    assert count_behaviors(text) == {"verification": 2, "backtracking": 1, "subgoal_setting": 0,
                                     "backward_chaining": 0}
    assert infer_target(text) == 10  # "7!=10" names 10, not 7


def test_lexical_counts_each_back_line_as_one_switch():
    text = "11+10=21,21-12=9\nback 11*10=110,110-12=98\nback need 3: 11-10=1,12-1=11"
    counts = count_behaviors(text, target=11)
    assert counts["backtracking"] == 2 and counts["subgoal_setting"] == 1 and counts["verification"] == 0


def test_lexical_sees_nothing_in_a_plain_terse_line():
    assert count_behaviors("5+10=15,15-8=7\n</think>\n<answer> (5+10)-8 </answer>") == dict.fromkeys(BEHAVIORS, 0)
    assert count_behaviors("A J 5 8 : 1 10 5 8\n1+10=11,11+5=16,16+8=24") == dict.fromkeys(BEHAVIORS, 0)


# --- the priming traces' natural register -------------------------------------------------------------
def test_lexical_does_not_take_trying_a_planned_value_for_a_switch():
    text = "What gives 12? One way: 12 = 2 * 6. Try 11 - 5 = 6. Then 2 * 6 = 12. The result is 12."
    assert count_behaviors(text, target=12) == {"verification": 0, "backtracking": 0, "subgoal_setting": 0,
                                                "backward_chaining": 1}


def test_lexical_counts_a_switch_announced_and_then_made_once():
    text = ("Try 84 + 43 = 127. Is 127 equal to 18? No.\nLet me backtrack and try another combination. "
            "Try 84 + 74 = 158. And 158 - 43 = 115. Now 115 - 97 = 18.")
    assert count_behaviors(text, target=18)["backtracking"] == 1
    text = ("Try 84 + 43 = 127. Is 127 equal to 18? No.\nBack up: a different route is needed. Working "
            "backwards from 18: 18 = 3 * 6. Try 10 - 4 = 6.")
    assert count_behaviors(text, target=18)["backtracking"] == 1


def test_lexical_counts_reaching_a_planned_value_as_a_subgoal_and_its_check():
    text = "Step 1: reach 6 with 7 and 1. Start with 7 - 1 = 6. That is 6, exactly the 6 I wanted. Now 10 + 6 = 16."
    counts = count_behaviors(text, target=16)
    assert counts["subgoal_setting"] == 1 and counts["verification"] == 1
    assert count_behaviors("There's no way to reach 24 with four 1s.")["subgoal_setting"] == 0


def test_lexical_does_not_call_settling_on_the_closest_attempt_a_switch():
    text = "Try 10 + 2 = 12. Then 12 + 4 = 16. Check: 16 is not 24.\nI'll settle on (10 + 2) + 4, the nearest I got to 24."
    assert count_behaviors(text, target=24)["backtracking"] == 0


# --- look-alikes ----------------------------------------------------------------------------------
def test_lexical_ignores_restating_the_problem():
    text = (
        "We need to make 24 using the numbers 4, 5, 10 and 10. Each number must be used exactly once, and "
        "only + - * / are allowed. The goal is 24."
    )
    assert count_behaviors(text) == dict.fromkeys(BEHAVIORS, 0)


def test_lexical_ignores_numbered_steps_of_a_linear_calculation():
    text = "Step 1: 25 - 5 = 20.\nStep 2: 20 + 4 = 24.\nStep 3: So the answer is (25 - 5) + 4."
    assert count_behaviors(text) == dict.fromkeys(BEHAVIORS, 0)


def test_lexical_ignores_checking_the_rules():
    text = "Let me check the rules: J, Q and K count as 10. Let me verify the problem statement. 10 + 10 + 4 = 24."
    assert present(text) == set()


def test_lexical_ignores_first_then_finally_narration():
    text = "First, note the numbers 2, 8, 3. Then compute 8 * 3 = 24. Then 24 - 2 = 22. Finally, the answer is 8 * 3 - 2."
    assert present(text) == set()


def test_lexical_ignores_forward_calculation_landing_on_the_target():
    assert count_behaviors("4 * 6 = 24, done.")["backward_chaining"] == 0


def test_lexical_does_not_call_exploring_after_success_backtracking():
    text = "8 * 8 / 2 + 1 = 33! That works. Are there other ways? (8 + 8) * 2 + 1 = 33 too."
    assert count_behaviors(text)["backtracking"] == 0


# --- target ----------------------------------------------------------------------------------------
def test_infer_target_reads_explicit_and_implicit_statements():
    assert infer_target("Target: 85. 37 * 2 = 74.") == 85
    assert infer_target("We want 49 with 8, 5 and 3. 8 * 5 = 40, not 49.") == 49
    assert infer_target('{"formula": "6 * 4 * 1 * 1 = 24"}') == 24


def test_known_target_marks_a_restatement_that_text_alone_cannot():
    text = "I need 14 from 7, 3 and 4."
    assert count_behaviors(text, target=20)["subgoal_setting"] == 1
    assert count_behaviors(text, target=14)["subgoal_setting"] == 0


# --- robustness ------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.text())
def test_lexical_never_raises_on_any_string(text):
    counts = count_behaviors(text)
    assert set(counts) == set(BEHAVIORS) and all(isinstance(v, int) and v >= 0 for v in counts.values())


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "no",
                "not",
                "= 24",
                "24 = 3 * 8",
                "wait",
                "try",
                "need 6 from",
                "(ok)",
                "✗",
                "leaves 3",
                "and the 1?",
                "->",
                "...",
                "\n",
                "target 24",
                "9" * 400,
                "!=",
                "—",
            ]
        ),
        max_size=60,
    )
)
def test_lexical_never_raises_on_cue_soup(parts):
    count_behaviors(" ".join(parts))


def test_lexical_bounds_huge_inputs_by_truncating():
    chunk = "Let me try 3 * 8 = 25, not 24. "
    huge = chunk * (3 * MAX_CHARS // len(chunk))
    counts = count_behaviors(huge)
    assert counts["verification"] <= MAX_CHARS // len(chunk) + 1  # text past MAX_CHARS is ignored


def test_lexical_treats_none_as_empty_and_rejects_other_types():
    assert count_behaviors(None) == dict.fromkeys(BEHAVIORS, 0)
    with pytest.raises(TypeError):
        count_behaviors(42)  # type: ignore[arg-type]


# --- labeled fixtures -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tuning", "heldout"])
def test_fixtures_are_varied_labeled_reasoning_traces(name):
    rows = [json.loads(line) for line in fixture_path(name).read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 40
    assert {row["task"] for row in rows} == {"countdown", "general_points"}
    assert len({row["style"] for row in rows}) >= 8
    for row in rows:
        assert set(row["behaviors"]) == set(BEHAVIORS)
    for behavior in BEHAVIORS:  # every behavior has positives and negatives to score against
        assert 0 < sum(row["behaviors"][behavior] > 0 for row in rows) < len(rows)


def test_lexical_agrees_with_the_tuning_labels():
    rows = [json.loads(line) for line in fixture_path("tuning").read_text(encoding="utf-8").splitlines()]
    result = agreement([r["behaviors"] for r in rows], [count_behaviors(r["completion"]) for r in rows])
    assert macro_f1(result) >= 0.9


# --- spans -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", FIXTURES)
def test_spans_give_one_clause_of_the_original_text_per_counted_instance(name):
    for line in fixture_path(name).read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["completion"]
        spans = behavior_spans(text)
        assert {b: len(s) for b, s in spans.items()} == count_behaviors(text)
        for where in spans.values():
            assert where == sorted(where)
            for start, end in where:
                assert 0 <= start < end <= len(text) and text[start:end] == text[start:end].strip()


def test_spans_point_into_text_with_unicode_operators_and_marks():
    text = "Try 8 × 3 = 24 ✅\n１０＋８＝１８，not 24。 Scratch that: (10 − 4) × 4 = 24 ✓"
    spans = behavior_spans(text)
    assert [text[a:b] for a, b in spans["backtracking"]] == ["Scratch that: (10 − 4) × 4 = 24 ✓"]
    assert "１０＋８＝１８，not 24。" in [text[a:b] for a, b in spans["verification"]]
    assert behavior_spans(None) == dict.fromkeys(BEHAVIORS, []) and behavior_spans("") == dict.fromkeys(BEHAVIORS, [])


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_spans_never_raise_and_stay_inside_the_text(text):
    for where in behavior_spans(text).values():
        for start, end in where:
            assert 0 <= start <= end <= len(text)


# --- the varied labeled sets ---------------------------------------------------------------------------
def test_varied_fixtures_cover_styles_tasks_and_every_behavior_on_both_sides():
    for name in ("varied_tuning", "varied_heldout"):
        rows = [json.loads(line) for line in fixture_path(name).read_text(encoding="utf-8").splitlines()]
        assert len(rows) >= 90 and len({row["id"] for row in rows}) == len(rows)
        styles = {row["style"] for row in rows}
        assert {"terse", "chatty", "math-prose", "code", "prose"} <= styles
        assert any(style.startswith("punct-") for style in styles)
        for behavior in BEHAVIORS:
            present = sum(1 for row in rows if row["behaviors"][behavior] > 0)
            assert 10 <= present <= len(rows) - 10, (name, behavior)


def test_blind_fixtures_hold_every_behavior_on_both_sides_across_tasks_and_authors_styles():
    for name in ("blind_tuning", "blind_heldout"):
        rows = [json.loads(line) for line in fixture_path(name).read_text(encoding="utf-8").splitlines()]
        assert len(rows) >= 100 and len({row["id"] for row in rows}) == len(rows)
        assert {"countdown", "general_points", "math"} <= {row["task"] for row in rows}
        assert len({row["style"] for row in rows}) >= 30
        assert sum(1 for row in rows if not any(row["behaviors"].values())) >= 15  # look-alike negatives
        for behavior in BEHAVIORS:
            present = sum(1 for row in rows if row["behaviors"][behavior] > 0)
            assert 0.3 * len(rows) <= present <= 0.6 * len(rows), (name, behavior)


def test_lexical_agrees_with_the_varied_labels_it_was_tuned_on():
    rows = [json.loads(line) for line in fixture_path("varied_tuning").read_text(encoding="utf-8").splitlines()]
    result = agreement([row["behaviors"] for row in rows], [count_behaviors(row["completion"]) for row in rows])
    assert macro_f1(result) >= 0.88


# --- determinism ------------------------------------------------------------------------------------
_CLASSIFY_FIXTURES = """
import json, random
from habits.behaviors import behavior_spans, count_behaviors, cues
from habits.behaviors.agreement import fixture_path
from habits.behaviors.document import Doc
from habits.behaviors.lexical import infer_target
from habits.behaviors.text import prepare_with_words
texts = [json.loads(line)["completion"] for name in ("tuning", "heldout", "varied_tuning", "varied_heldout")
         for line in fixture_path(name).read_text(encoding="utf-8").splitlines()]
rng = random.Random(0)
texts += ["\\n".join(rng.sample(texts, 6)) for _ in range(40)]
index = {name: {id(member): i for i, member in enumerate(members)} for name, members in cues.SETS.items()}
for text in texts:
    active = Doc(*prepare_with_words(text)).active
    print(json.dumps([count_behaviors(text), count_behaviors(text, target=24), infer_target(text),
                      behavior_spans(text), {name: [index[name][id(m)] for m in found] for name, found in active.items()}]))
"""


def test_lexical_classifies_the_same_way_under_any_hash_seed():
    # the cues a text can match are found through its set of words, whose order of iteration follows
    # PYTHONHASHSEED; the order the cues are tried in, and so what they find, must not
    import os
    import subprocess
    import sys
    from pathlib import Path

    import habits

    env = {**os.environ, "PYTHONPATH": str(Path(habits.__file__).resolve().parents[1])}
    outputs = [subprocess.run([sys.executable, "-c", _CLASSIFY_FIXTURES], env={**env, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True).stdout for seed in ("0", "1", "2024")]
    assert outputs[0].count("\n") > 300
    assert outputs[0] == outputs[1] == outputs[2]


# --- phrasings from more writers (the blind tuning set's styles; examples written for these tests) -------
def test_lexical_counts_a_result_judged_nowhere_near_or_a_bit_off_as_a_failed_check():
    assert present("9 * 7 = 63, nowhere near 90. 6 * 15 = 90 works.") >= {"verification", "backtracking"}
    assert "verification" in present("Try 17 / 4 = 4.25, which is a bit high.")
    assert present("The hotel is nowhere near the station. Prices were a bit high in 2023-24.") == set()


def test_lexical_reads_a_letter_x_after_a_result_as_a_cross():
    text = "5 + 6 + 7 = 18 x\n5 * 6 - 7 = 23 x\n(5 + 7) * 6 / 3 = 24 ok"
    assert count_behaviors(text)["verification"] == 3
    assert count_behaviors(text)["backtracking"] == 2
    assert present("The area = 12 x 5 = 60 square feet.") == set()


def test_lexical_counts_a_dead_end_and_a_named_easier_way():
    text = "I tried 48 / 6 + 4 = 12, dead end. Easier: 4 * 6 = 24, then 48 / 24 = 2."
    assert present(text) >= {"verification", "backtracking"}
    assert "backtracking" in present("12 * 2 = 24 but a 3 is left. Let me do it differently: 3 * 8 = 24.")
    assert present("The street is a dead end. Better: park at 5th Ave.") == set()


def test_lexical_does_not_take_software_retries_or_a_return_to_basics_for_backtracking():
    changelog = "v1.2 (2023-05-01): retrying failed uploads now waits 5 s. Retry logic moved to net.py."
    assert count_behaviors(changelog)["backtracking"] == 0
    sports = "Down 10-3 at halftime, we went back to basics and won 24-13."
    assert count_behaviors(sports)["backtracking"] == 0
    assert "backtracking" in present("6 * 5 = 30, too big. Let me retry: 6 + 5 = 11.")
    assert "backtracking" in present("9 * 3 = 27, no. Go back to the 9: 9 + 3 = 12.")


def test_lexical_does_not_take_a_wait_that_opens_a_check_for_a_switch():
    assert count_behaviors("7 * 3 + 2 = 23. wait, did I use the 2 only once? yes.")["backtracking"] == 0


def test_lexical_counts_needed_values_asked_for_or_owed_by_the_other_numbers():
    assert present("36 = 3 * 12. Can I get 12 from 8 and 4? 8 + 4 = 12.") >= {"subgoal_setting", "backward_chaining"}
    assert "subgoal_setting" in present("45 is 5 times 9, so once I've got 9 the rest is easy. 6 + 3 = 9.")
    assert "subgoal_setting" in present("50 - 38 = 12, so 6 and 2 have to produce 12: 6 * 2 = 12.")
    assert present("You have to give 2 weeks notice. Can I get 2 tickets for Friday?") == set()


def test_lexical_counts_the_target_undone_before_words_that_name_the_other_numbers():
    text = "53 - 8 = 45, so the 9 and the 5 need to make 45: 9 * 5 = 45."
    assert "backward_chaining" in present(text)


def test_lexical_counts_a_plan_by_cases_but_not_a_first_attempt_narrated():
    assert "subgoal_setting" in present("We consider two cases: n even and n odd. If n = 2k, then n^2 = 4k^2.")
    assert "subgoal_setting" not in present("In two cases out of 10 the test failed.")
    assert "subgoal_setting" not in present("I first tried 7 * 3 = 21, which is too small.")


def test_lexical_counts_starting_from_the_target_or_the_last_step():
    assert "backward_chaining" in present("Work from 50: 50 - 8 = 42, and 42 is 6 * 7.")
    assert "backward_chaining" in present("The last thing done was adding 7, so undo it: 31 - 7 = 24.")
    assert "backward_chaining" in present("Start from what we want: a^2 + b^2 = (a + b)^2 - 2ab = 9 - 4 = 5.")
    assert "backward_chaining" not in present("To delete while looping, work backwards through the list: i = n - 1.")


def test_lexical_counts_the_value_still_missing_after_a_result_as_backward():
    text = "7 * 6 = 42 covers most of it; the 5 and 3 have to supply the remaining 8. 5 + 3 = 8."
    assert present(text) >= {"subgoal_setting", "backward_chaining"}
    assert "backward_chaining" not in present("Page 1 = 20 items; we load the remaining 2 cards later.")


def test_lexical_counts_a_plan_that_ends_on_the_target_as_a_subgoal():
    # the clause names the target, but as the last step of a plan, not as the task restated
    assert "subgoal_setting" in present("Idea: get 2 somehow, then multiply by 12 for 24.", target=24)
    assert "subgoal_setting" not in present("Idea: we need to get 24.", target=24)


def test_lexical_reads_a_switch_after_a_short_aside():
    assert "backtracking" in present("11 - 8 = 3, not 2. hmm. q as 10 then. 10 - 8 = 2, 7 + 5 = 12, 2 * 12 = 24")


def test_lexical_does_not_take_a_remainder_worked_on_for_a_failure_or_a_switch():
    text = "What times 6 is 150? 6 * 20 = 120, which leaves 30, and 30 = 6 * 5. So 25."
    assert present(text) & {"verification", "backtracking"} == set()
    text = "15 * 40 = 600, which is 30 too much, and 30 = 2 * 15, so take off 2: 38."
    assert count_behaviors(text)["backtracking"] == 0
    assert "verification" in present("8 * 3 = 24, leaving 7 unused.")


def test_lexical_does_not_take_software_checked_on_a_platform_for_verification():
    assert "verification" not in present("v2.3 (2024-03-02): verified against Python 3.10 and 3.12; tested on Windows 11.")
    assert "verification" in present("7 * 8 = 56. Verify: 56 / 8 = 7, so 56 - 2 = 54 matches target 54.")


def test_lexical_counts_never_mind_as_a_retraction():
    assert "backtracking" in present("Try 6 * 5 = 30 and 30 - 6 = 24. Never mind that, 4 is not there: 8 * 3 = 24.")


# --- other languages (accents are dropped by normalisation: "raté" is read as "rate") ---------------------
def test_lexical_counts_german_french_and_spanish_reasoning():
    german = "Ziel: 50 mit 6, 9, 4. 6 * 9 = 54, zu viel. Anders herum: 9 * 4 = 36, dann fehlen noch 14. Passt!"
    assert present(german) >= {"verification", "backtracking", "subgoal_setting"}
    french = "Avec 5, 6 et 2 pour 30 : 5 + 6 = 11 - raté. Prenons plutôt 5 × 6 = 30. Parfait !"
    assert present(french) >= {"verification", "backtracking"}
    spanish = "Objetivo: 48 con 6, 5 y 3. ¿Qué número por 6 da 48? 8. Necesito 8 de 5 y 3: 5 + 3 = 8. ¡Listo!"
    assert present(spanish) >= {"verification", "subgoal_setting", "backward_chaining"}


def test_lexical_ignores_foreign_instructions_and_english_look_alikes():
    assert present("D'abord, préchauffez le four à 200 °C. Vérifiez la cuisson au bout de 20 minutes.") == set()
    assert present("¿Quieres volver atrás? Pulsa el botón «Atrás» y comprueba que tus datos se guardaron.") == set()
    assert present("Requests in 2024-01 failed at a 5% rate. Rate limits apply per key.") == set()


def test_lexical_reads_the_habit_words_of_chinese_and_japanese_reasoning():
    chinese = "目标：２４。先用６×３＝１８，还差６，正好４＋２＝６。不对，没有２。换个想法：６×４＝２４ ✓"
    assert present(chinese) >= {"verification", "backtracking", "subgoal_setting"}
    assert "backward_chaining" in present("50−8=42，需要用6和7凑出42：6×7=42。")
    assert present("准备：面粉２００克，鸡蛋２个。先把面粉过筛。") == set()  # a recipe


def test_lexical_counts_what_a_result_lacks_of_the_target_from_given_numbers_as_backward():
    text = "Target 35. 9 * 3 = 27, and then I need 8 more from the 5 and the 3: 5 + 3 = 8."
    assert present(text) >= {"subgoal_setting", "backward_chaining"}
    # a needed number that no result falls short of the target by is only a subgoal
    text = "Target 35. 9 * 3 = 27, and then I need 6 from the 5 and the 1: 5 + 1 = 6."
    assert present(text) & {"subgoal_setting", "backward_chaining"} == {"subgoal_setting"}


def test_lexical_counts_a_shortfall_made_at_once_from_given_numbers_as_backward():
    text = "Target 30. 4 * 6 = 24, and I still need 6: 3 + 3 = 6."
    assert "backward_chaining" in present(text)
    # the shortfall is named but not made: "40 + 3 = 43" makes something else
    assert "backward_chaining" not in present("Target 49. 8 * 5 = 40, and then I need 9 more, but I only have a 3. 40 + 3 = 43.")


def test_lexical_does_not_take_the_name_backward_chaining_for_the_habit():
    assert "backward_chaining" not in present("Prolog uses backward chaining. In 2024 we compared it with forward chaining.")
    assert "backward_chaining" in present("Working backwards from 24: 24 = 3 * 8, so I need 8 from 5 and 3.")


def test_lexical_does_not_take_a_loop_of_repeated_text_for_switches():
    loop = "Let me try 7*4=28 28-3=25\n" * 4 + "Let me try"
    assert count_behaviors(loop)["backtracking"] == 0
    assert count_behaviors("7 * 4 = 28, no. Let me try another way.\n8 * 3 = 24.")["backtracking"] == 1
