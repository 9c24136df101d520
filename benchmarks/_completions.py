"""Realistic completions for the verifier benchmark, each labelled with what it should score.

Every completion is a few hundred characters of reasoning followed by an answer. The mix covers
what RL rollouts actually contain: correct answers in several layouts (trailing text, multi-line
answer blocks, ``= target``, a draft answer before the final one), wrong values, the wrong-answer
perturbations of :mod:`habits.tasks.perturb`, and truncated completions without any answer.

``expected`` is the verdict by construction, independent of any verifier.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from habits.arith import evaluate
from habits.tasks.base import Task
from habits.tasks.perturb import perturbations


@dataclass(frozen=True)
class Case:
    task: str
    problem: dict[str, Any]
    kind: str
    expected: bool  # should a correct verifier accept it?
    completion: str


_STEPS = (
    "Let me try {a} {op} {b} = {v}. ",
    "If I compute {a} {op} {b} I get {v}, which is {gap} away from {target}. ",
    "Hmm, {v} is not helpful. Let me try a different approach. ",
    "What if I start with {a} and {b}? {a} {op} {b} = {v}. ",
    "Wait, I should double-check: {a} {op} {b} is {v}, yes. ",
    "Maybe working backwards from {target}: {target} - {a} = {back}. ",
    "That leaves the other numbers to make {back}, which seems hard. ",
)
_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
_TRAILING = (
    "\nI hope this helps!",
    "\n\nSo the final answer is above. Let me know if you need more detail.",
    " Done.",
    "\nThe equation uses each number exactly once.",
)


def reasoning(rng: random.Random, numbers: list[int], target: int) -> str:
    """Plausible trial-and-error text (300-700 characters) about these numbers."""
    text = f"We need to reach {target} using {', '.join(map(str, numbers))}. "
    while len(text) < rng.randint(300, 700):
        a, b = rng.sample(numbers, 2)
        op = rng.choice("+-*")
        v = _OPS[op](a, b)
        text += rng.choice(_STEPS).format(
            a=a, b=b, op=op, v=v, target=target, gap=abs(target - v), back=target - a
        )
    return text + "I think I have it now."


def _wrong_value(rng: random.Random, expression: str, target: int) -> str | None:
    """Swap one operator so the expression is still legal but misses the target."""
    spots = [m.start() for m in re.finditer(r"[-+*/]", expression)]
    rng.shuffle(spots)
    for spot in spots:
        for op in rng.sample("+-*/", 4):
            candidate = expression[:spot] + op + expression[spot + 1 :]
            value = evaluate(candidate).value
            if value is not None and value != target:
                return candidate
    return None


def _split_lines(expression: str) -> str | None:
    """Break the expression before its first top-level operator: '(a + b) * c' -> '(a + b)\\n* c'."""
    depth = 0
    for i, char in enumerate(expression):
        depth += (char == "(") - (char == ")")
        if depth == 0 and char in "+-*/" and i > 0:
            return expression[:i].rstrip() + "\n" + expression[i:]
    return None


# (kind, weight): drawn independently for each completion.
KINDS = (
    ("correct", 3.0),
    ("correct_trailing_text", 1.0),
    ("correct_multiline_block", 1.0),
    ("correct_eq_target", 0.5),
    ("draft_then_final", 0.5),
    ("correct_draft_wrong_final", 0.3),
    ("correct_multiline_expr", 0.3),
    ("correct_unicode_ops", 0.3),
    ("wrong_value", 2.0),
    ("perturbation", 2.0),
    ("truncated", 1.0),
)


def build_cases(task: Task, problems: list[dict[str, Any]], per_problem: int, seed: int) -> list[Case]:
    """``per_problem`` labelled completions for each problem (deterministic in ``seed``)."""
    rng = random.Random(f"bench-verify:{task.name}:{seed}")
    kinds, weights = zip(*KINDS, strict=True)
    cases = []
    for problem in problems:
        numbers = task.values(problem) if hasattr(task, "values") else list(problem["numbers"])
        target = problem["target"]
        solutions = task.solve(problem)
        for kind in rng.choices(kinds, weights, k=per_problem):
            expression = rng.choice(solutions[:8])
            cases.append(_make(task, rng, problem, numbers, target, kind, expression))
    return cases


def _make(
    task: Task,
    rng: random.Random,
    problem: dict[str, Any],
    numbers: list[int],
    target: int,
    kind: str,
    expression: str,
) -> Case:
    think = reasoning(rng, numbers, target)
    # Countdown's base prompt pre-fills "<think>", so its completions start inside the think block.
    head = (think if task.name == "countdown" else "<think>" + think) + "\n</think>\n"
    answer = task.format_answer(problem, expression)
    expected, text = True, head + answer
    if kind == "correct_trailing_text":
        text += rng.choice(_TRAILING)
    elif kind == "correct_multiline_block":
        text = head + f"<answer>\n{expression}\n</answer>"
    elif kind == "correct_eq_target":
        text = head + f"<answer>{expression} = {target}</answer>"
    elif kind in ("draft_then_final", "correct_draft_wrong_final"):
        wrong = _wrong_value(rng, expression, target) or expression + " + 1"
        first, last = (wrong, expression) if kind == "draft_then_final" else (expression, wrong)
        expected = kind == "draft_then_final"
        text = (
            think
            + f"\nDraft: <answer>{first}</answer>. Let me check this again.\n</think>\n"
            + task.format_answer(problem, last)
        )
    elif kind == "correct_multiline_expr":
        broken = _split_lines(expression)
        text = head + (f"<answer>\n{broken}\n</answer>" if broken else answer)
    elif kind == "correct_unicode_ops":
        text = head + task.format_answer(problem, expression.replace("*", "×").replace("/", "÷"))
    elif kind == "wrong_value":
        wrong = _wrong_value(rng, expression, target)
        expected, text = False, head + task.format_answer(problem, wrong or expression + " + 1")
    elif kind == "perturbation":
        reason, tail = rng.choice(perturbations(task, problem, expression))
        kind, expected, text = f"perturbation_{reason}", False, head + tail
    elif kind == "truncated":
        expected, text = False, think[: rng.randint(100, len(think))]
    return Case(task.name, problem, kind, expected, text)
