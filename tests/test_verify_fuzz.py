"""Any string a model can emit gets a verdict -- never an exception -- in bounded time."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habits.arith import evaluate
from habits.tasks import REASONS, get_task

TASKS = {name: get_task(name) for name in ("countdown", "general_points")}
PROBLEMS = {"countdown": {"numbers": [1, 4, 5, 6], "target": 24},
            "general_points": {"cards": ["A", "4", "5", "6"], "target": 24, "rule": "id"}}

# Text biased toward the shapes that stress a verifier: tags, JSON, operators, digits, nesting.
fragments = st.sampled_from(["<answer>", "</answer>", '"formula": "', '"', "{", "}", "(", ")", "*", "**",
                             "/", "-", "+", "=", "24", "9", "0", " ", "\n", "x", "÷", "×", "−", "1e9",
                             "__import__", "lambda", "[", "]", ",", ".", "'", "formula", "<think>"])
model_text = st.one_of(st.text(max_size=400), st.lists(fragments, max_size=120).map("".join))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=model_text)
def test_verify_never_raises_and_reason_is_from_the_vocabulary(text):
    for name, task in TASKS.items():
        for wrapped in (text, f"<answer>{text}</answer>", '{"formula": "' + text.replace('"', "") + '"}'):
            verdict = task.verify(PROBLEMS[name], wrapped)
            assert verdict.reason in REASONS
            assert isinstance(task.reward(PROBLEMS[name], wrapped), float)


@settings(max_examples=400, deadline=None)
@given(text=model_text)
def test_evaluate_never_raises(text):
    result = evaluate(text)
    assert (result.value is None) == (result.error is not None)


# A hang guard, not a speed test (speed is measured in benchmarks/): each input takes milliseconds.
@pytest.mark.timeout(120)
def test_adversarial_inputs_get_verdicts_without_hanging():
    adversarial = ["<answer>9**9**9**9</answer>", "x" * 1_000_000, "<answer>" + "(" * 100_000 + "</answer>",
                   "<answer>1</answer>" * 10_000, "<answer>" + "9" * 100_000 + "</answer>",
                   "<answer>" + "1+" * 50_000 + "1</answer>", '{"formula": "' + "1*" * 5000 + '1"}',
                   "<answer>" * 50_000]
    for name, task in TASKS.items():
        for text in adversarial:
            assert task.verify(PROBLEMS[name], text).reason in REASONS


# Visual GeneralPoints reads a "cards" list before the formula, and the released scheme adds its own
# parser (first answer, token-by-token penalties): both must hold the same promise.
IMAGE_TASKS = {scheme: get_task("general_points", modality="image", reward=scheme)
               for scheme in ("paper", "released", "binary")}
IMAGE_PROBLEM = {"cards": ["A", "4", "5", "6"], "target": 24, "rule": "id", "suits": ["spades"] * 4}
card_text = st.lists(st.sampled_from(['"cards": [', '"A"', '"4"', "5", "'6'", '"king"', "10", ",", "]", '"',
                                      "[", "A", "ace", "\n", " ", "1", '"formula": "', "4*6", "=24", "}", "{"]),
                     max_size=60).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(model_text, card_text))
def test_image_general_points_gives_every_string_a_verdict_under_every_scheme(text):
    for scheme, task in IMAGE_TASKS.items():
        for wrapped in (text, '{"cards": ["A", "4", "5", "6"], ' + text, text + '\n"cards": [' + text[:40] + "]"):
            verdict = task.verify(IMAGE_PROBLEM, wrapped)
            assert verdict.reason in task.reasons
            reward = task.reward(IMAGE_PROBLEM, wrapped)
            assert isinstance(reward, float) and reward == reward  # a number, never NaN
