"""Countdown: reach the target from 3-4 numbers with + - * /, TinyZero-compatible.

The first paper's RL task. The answer is the last ``<answer>…</answer>`` block anywhere in the
completion; every given number must be used exactly once by default (the reference checker's
rule), "at most once" is an option. Problems carry that rule (``use_all``), so a problem verifies
the same way whichever task object checks it; a problem without the field (written by hand, or
by an older habits) follows the checking task's setting. Intermediate fractions are allowed.
The ``ood`` split holds out a set of targets (by default those ending in 7) that train and test
never use.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from habits.arith import evaluate, split_equation
from habits.tasks import TASKS
from habits.tasks.base import (BadProblem, Verdict, as_problem, held_out, item_rng, last_tagged_answer,
                               stable_choice, whole_number, whole_numbers)
from habits.tasks.numbers import NumberTask
from habits.tasks.solver import reachable_targets, solutions

# -- prompt templates ------------------------------------------------------------------------
# Base-model style: a preamble, the question, and the assistant turn pre-filled so the model
# continues inside <think>. Template 0 follows the paper; the others paraphrase it.
BASE_TEMPLATES = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The Assistant first thinks about the reasoning process in its mind and then gives the user the answer.\n"
    "User: Using the numbers {numbers}, create an equation that equals {target}. You can use basic "
    "arithmetic operations (+, -, *, /) and each number {usage}. Show your work in <think> </think> tags. "
    "And return the final answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.\n"
    "Assistant: Let me solve this step by step.\n<think>",
    "Below is a dialogue between a User and an Assistant. The Assistant reasons carefully before replying.\n"
    "User: Make {target} from the numbers {numbers} using +, -, * and /; each number {usage}. "
    "Think inside <think> </think> and put only the final equation inside <answer> </answer>, "
    "e.g. <answer> (4 - 1) * 5 </answer>.\n"
    "Assistant: Let me work through this.\n<think>",
    "User and Assistant are talking. The User poses a puzzle; the Assistant thinks it through, then answers.\n"
    "User: Numbers: {numbers}. Target: {target}. Combine the numbers with + - * / so the result is the "
    "target; each number {usage}. Reason in <think> </think>, then write the equation in "
    "<answer> </answer>.\nAssistant: I'll reason step by step.\n<think>",
    "The following is a conversation. The Assistant always shows its reasoning before its answer.\n"
    "User: Can you write an arithmetic expression equal to {target} with the numbers {numbers}? "
    "Allowed operations: addition, subtraction, multiplication, division; each number {usage}. "
    "Put your thinking in <think> </think> tags and the expression in <answer> </answer> tags.\n"
    "Assistant: Let me think.\n<think>",
)

CHAT_TEMPLATES = (
    "Using the numbers {numbers}, create an equation that equals {target}. You can use +, -, * and /, "
    "and each number {usage}. Show your reasoning in <think> </think> tags and give the final equation "
    "in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.",
    "Make {target} from {numbers} with + - * /; each number {usage}. Think in <think> </think>, then "
    "answer with the equation alone in <answer> </answer>.",
    "Puzzle: reach {target} using the numbers {numbers} and the four basic operations (each number "
    "{usage}). Reason first inside <think> </think>; finish with <answer>your expression</answer>.",
    "Find an arithmetic expression over {numbers} whose value is {target}. Operations: + - * /. Each "
    "number {usage}. Wrap your thoughts in <think> </think> and the expression in <answer> </answer>.",
)

SYSTEM_PROMPT = "You are a helpful assistant. You first think about the reasoning process and then answer."


def _pair(value: Any, name: str) -> tuple[int, int]:
    low, high = value
    if not (isinstance(low, int) and isinstance(high, int)) or low > high:
        raise ValueError(f"countdown: {name} must be [low, high] whole numbers with low <= high, got {value!r}")
    return int(low), int(high)


@dataclass
class CountdownConfig:
    """Countdown settings (defaults follow TinyZero / the first paper)."""

    min_numbers: int = 3  # fewest numbers in a problem
    max_numbers: int = 4  # most numbers in a problem (at most 5: the solver is exhaustive)
    number_range: tuple[int, int] = (1, 99)  # each number is drawn uniformly from this range
    target_range: tuple[int, int] = (10, 100)  # targets are drawn among the reachable ones in this range
    use_all: bool = True  # every number exactly once (reference rule); False: each at most once
    unary_minus: bool = True  # accept a minus sign in front of a number ("-47 + 78"); False: strict rule
    heldout_targets: list[int] | None = None  # targets reserved for the ood split; None: those ending in 7
    test_fraction: float = 0.1  # share of (numbers, target) problems reserved for test
    prompt_style: str = "base"  # "base": completion with pre-filled assistant turn; "chat": messages
    template: int | str = 0  # template index, or "mixed" to vary the template per problem
    reward: str = "tinyzero"  # "tinyzero" (0 / 0.1 / 1) or "binary"
    _heldout: frozenset[int] = field(init=False, repr=False, default=frozenset())

    def __post_init__(self) -> None:
        self.number_range = _pair(self.number_range, "number_range")
        self.target_range = _pair(self.target_range, "target_range")
        if not 2 <= self.min_numbers <= self.max_numbers <= 5:
            raise ValueError("countdown: need 2 <= min_numbers <= max_numbers <= 5, got "
                             f"{self.min_numbers}..{self.max_numbers}")
        if self.number_range[0] < 0:
            raise ValueError("countdown: number_range must start at 0 or above")
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"countdown: test_fraction must be between 0 and 1, got {self.test_fraction}")
        if self.prompt_style not in ("base", "chat"):
            raise ValueError(f"countdown: prompt_style must be 'base' or 'chat', got {self.prompt_style!r}")
        templates = BASE_TEMPLATES if self.prompt_style == "base" else CHAT_TEMPLATES
        if self.template != "mixed" and not (isinstance(self.template, int) and 0 <= self.template < len(templates)):
            raise ValueError(f"countdown: template must be 0..{len(templates) - 1} or 'mixed', got {self.template!r}")
        low, high = self.target_range
        heldout = (range(low, high + 1) if self.heldout_targets is None else self.heldout_targets)
        self._heldout = frozenset(t for t in heldout if self.heldout_targets is not None or t % 10 == 7)


@TASKS.register("countdown")
class Countdown(NumberTask):
    name = "countdown"
    config_class = CountdownConfig
    reward_schemes: ClassVar[tuple[str, ...]] = ("tinyzero", "binary")
    description = "the Countdown game: combine the given numbers with + - * / (each number used once) to reach the target"
    variants = "ood split: held-out targets"

    def __init__(self, config: CountdownConfig) -> None:
        super().__init__(config)
        self._check_feasible()

    def _check_feasible(self) -> None:
        # Fail at construction, not an hour into data generation.
        for index in range(300):
            if self.sample(item_rng("countdown", "probe", 0, index), "train") is not None:
                return
        c = self.config
        raise ValueError(f"countdown: no solvable problem found for numbers in {list(c.number_range)} and targets "
                         f"in {list(c.target_range)} (use_all={c.use_all}); widen number_range or target_range")

    def sample(self, rng: random.Random, split: str) -> dict[str, Any] | None:
        c = self.config
        count = rng.randint(c.min_numbers, c.max_numbers)
        numbers = [rng.randint(*c.number_range) for _ in range(count)]
        targets = reachable_targets(numbers, *c.target_range, use_all=c.use_all)
        key = ",".join(map(str, sorted(numbers)))
        if split == "ood":
            allowed = [t for t in targets if t in c._heldout]
        else:
            want_test = split == "test"
            allowed = [t for t in targets if t not in c._heldout
                       and held_out(f"{key}|{t}", c.test_fraction) == want_test]
        if not allowed:
            return None
        return {"numbers": numbers, "target": rng.choice(allowed), "use_all": c.use_all}

    def key(self, problem: Mapping[str, Any]) -> str:
        # Numbers and target only: the rule does not move a problem to another split or stream.
        return ",".join(map(str, sorted(problem["numbers"]))) + f"|{problem['target']}"

    def use_all(self, problem: Mapping[str, Any]) -> bool:
        """The problem's own rule: every number exactly once (True) or each at most once."""
        return bool(problem.get("use_all", self.config.use_all))

    def check_split(self, split: str) -> None:
        if split == "ood" and not self.config._heldout:
            raise ValueError("countdown: the ood split needs held-out targets inside target_range; "
                             "set heldout_targets or widen target_range")

    def prompt(self, problem: Mapping[str, Any]) -> str | list[dict[str, str]]:
        c = self.config
        templates = BASE_TEMPLATES if c.prompt_style == "base" else CHAT_TEMPLATES
        template = (stable_choice(templates, f"{problem['numbers']}|{problem['target']}")
                    if c.template == "mixed" else templates[c.template])
        usage = "must be used exactly once" if self.use_all(problem) else "can be used at most once"
        text = template.format(numbers=list(problem["numbers"]), target=problem["target"], usage=usage)
        if c.prompt_style == "base":
            return text
        return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": text}]

    def normalize_problem(self, problem: dict[str, Any]) -> dict[str, Any]:
        numbers, target = problem.get("numbers"), problem.get("target")
        if type(target) is int and type(numbers) is list and not [n for n in numbers if type(n) is not int]:
            return problem  # the common case, kept cheap: verify runs this on every reward
        problem = as_problem(problem)  # null fields dropped, as datasets fill missing columns
        numbers = whole_numbers(self.field(problem, "numbers"), "numbers")
        if not numbers:
            raise BadProblem("numbers is empty; a Countdown problem needs at least one number")
        return {**problem, "numbers": numbers, "target": whole_number(self.field(problem, "target"), "target")}

    def verify(self, problem: Mapping[str, Any], completion: str) -> Verdict:
        problem = self.check_problem(problem)
        found = last_tagged_answer(completion)
        if found is None:
            return Verdict(False, "no_answer", "no <answer>...</answer> block found")
        answer = found[1]
        target = problem["target"]
        result = evaluate(split_equation(answer, int(target)), unary_minus=self.config.unary_minus)
        if result.error is not None:
            return Verdict(False, result.error, result.detail, answer)
        given, used = sorted(problem["numbers"]), sorted(result.numbers)
        # sorted lists are multisets (not sets!) and ~10x cheaper than Counters on the hot path
        if used != given and (self.use_all(problem) or Counter(used) - Counter(given)):
            return Verdict(False, "wrong_numbers", lambda: _numbers_detail(given, used), answer)
        if not result.equals(target):
            return Verdict(False, "wrong_value", lambda: f"the expression equals {result.value}, not {target}", answer)
        return Verdict(True, "correct", "", answer)

    def format_answer(self, problem: Mapping[str, Any], expression: str) -> str:
        return f"<answer> {expression} </answer>"

    def solve(self, problem: Mapping[str, Any]) -> list[str]:
        problem = self.check_problem(problem)
        return solutions(problem["numbers"], problem["target"], use_all=self.use_all(problem))

    def fewest_numbers(self) -> int:
        return self.config.min_numbers

    def more_numbers_hint(self) -> str:
        return "set min_numbers=3"

    def check_traceable(self, planned: bool = False, answer: str = "correct") -> None:
        if not self.config.use_all:
            raise ValueError("priming traces combine every given number; countdown use_all=False (numbers may be "
                             "left out) is not supported -- use the default use_all=True")
        super().check_traceable(planned, answer)


def _numbers_detail(given: list[int], used: list[int]) -> str:
    extra, missing = Counter(used) - Counter(given), Counter(given) - Counter(used)
    parts = []
    if extra:
        parts.append("used numbers not available: " + ", ".join(map(str, sorted(extra.elements()))))
    if missing:
        parts.append("did not use: " + ", ".join(map(str, sorted(missing.elements()))))
    return "; ".join(parts)
