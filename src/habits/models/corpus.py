"""Pretraining documents for the embedded tiny model: the miniature of a base model's corpus.

A real base model has read the web: it knows arithmetic and has seen problems worked, but (for
Llama-3.2-3B in the first paper) rarely reasoning that verifies or backtracks. The miniature
corpus mixes three kinds of document, all in the terse register that priming uses
(:mod:`habits.traces.narrate`), so priming adds habits instead of switching formats:

* arithmetic facts -- lines such as ``12-5=7`` -- drawn from the steps the search procedure
  takes, so the model can compute what its attempts need, and comparisons of two numbers
  (``21 vs 21 yes``, ``24 vs 21 no``: as a real base model knows whether two numbers are equal;
  it has still never seen an attempt checked against a target or abandoned);
* single attempts: the task's prompt, *one* unchecked line of operations picked at random among
  the procedure's lines, and that line as the answer. Right only when the line happens to hit
  (about a fifth of the time), never filtered to correct, never checked, never retried: the
  base follows the format and computes, and shows none of the four habits -- the Llama miniature;
* optionally, behavior-rich traces (the ``all`` condition): the base that already has the
  habits -- the Qwen miniature.

Problems come from the train split's ``pretrain`` stream only (:data:`habits.tasks.base.STREAMS`),
so the base never sees a problem it is later primed, reinforced or evaluated on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from habits.tasks.base import Task


@dataclass
class CorpusConfig:
    """What the pretraining corpus holds (counts of documents)."""

    problems: int = 3000  # problems worked with one unchecked attempt
    behavior_traces: int = 0  # behavior-rich traces (condition `all`) mixed in: >0 makes the base that has the habits
    arithmetic_docs: int = 1500  # documents of arithmetic facts
    facts_per_doc: int = 12
    random_fact_share: float = 0.25  # share of facts drawn at random (operands 1..max_operand) not from the procedure
    comparison_share: float = 0.25  # share of fact lines that compare two numbers ("21 vs 24 no"), half of them equal
    max_operand: int = 100

    def __post_init__(self) -> None:
        if self.problems < 1:
            raise ValueError("corpus.problems must be >= 1: the base model must see the task's format")
        for name in ("behavior_traces", "arithmetic_docs"):
            if getattr(self, name) < 0:
                raise ValueError(f"corpus.{name} must be >= 0")
        if self.facts_per_doc < 1:
            raise ValueError("corpus.facts_per_doc must be >= 1")
        for name in ("random_fact_share", "comparison_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"corpus.{name} must be in [0, 1], got {getattr(self, name)}")
        if self.max_operand < 2:
            raise ValueError("corpus.max_operand must be >= 2")


def random_fact(rng: random.Random, max_operand: int) -> str:
    """One true fact with operands up to ``max_operand`` (exact division only)."""
    a, b = rng.randint(1, max_operand), rng.randint(1, max_operand)
    op = rng.choice("+-*/")
    if op == "/":
        return f"{a * b}/{b}={a}"
    if op == "-":
        a, b = max(a, b), min(a, b)
    return f"{a}{op}{b}={a + b if op == '+' else a - b if op == '-' else a * b}"


def comparison(rng: random.Random, values: list[int], targets: list[int], max_operand: int) -> str:
    """``a vs b yes`` when equal, else ``no``; unequal pairs are often near misses (same tens, same units).

    Half the compared numbers are any number up to ``max_operand``, not only the train split's
    targets: a base model knows that 27 equals 27 even if no training problem had target 27 (the
    OOD split holds such targets back).
    """
    target = rng.choice(targets) if rng.random() < 0.5 else rng.randint(1, max_operand)
    if rng.random() < 0.5:
        return f"{target} vs {target} yes"
    near = [v for v in (target + rng.choice((-1, 1)) * rng.randint(1, 3), target + rng.choice((-10, 10)),
                        int(str(target)[::-1])) if v > 0 and v != target]
    value = rng.choice(near) if near and rng.random() < 0.6 else rng.choice(values)
    value = value if value != target else target + 1
    return f"{value} vs {target} no"


def single_attempt(task: Task, problem: dict[str, Any], rng: random.Random) -> tuple[str, list[str]]:
    """The completion of one unchecked random line, and the facts every line of the problem uses."""
    from habits.traces.narrate import narrate
    from habits.traces.rows import assemble, problem_numbers
    from habits.traces.search import Search, forward_attempts

    numbers, cards = problem_numbers(task, problem)
    lines = list(forward_attempts(numbers, int(problem["target"])))
    pick = rng.choice(lines)
    told = narrate(Search(tuple(numbers), int(problem["target"]), [pick], pick), frozenset(), rng, register="terse",
                  cards=cards)
    completion = assemble(task.prompt(problem), told.text, task.format_answer(problem, told.answer), "full")
    facts = [step.text().replace(" ", "") for line in lines for step in line.steps]
    return completion, facts


def build_corpus(task: Task, config: CorpusConfig, seed: int = 0) -> list[str]:
    """The documents, shuffled."""
    from habits.traces import make_rows

    rng = random.Random(f"corpus:{seed}")
    problems = task.generate(config.problems + config.behavior_traces, split="train", seed=seed, stream="pretrain")
    docs, facts, values = [], [], []
    for problem in problems[:config.problems]:
        completion, used = single_attempt(task, problem, rng)
        docs.append(_text(task, problem, completion))
        facts.extend(used)
        values.extend(int(fact.rsplit("=", 1)[1]) for fact in used)
    targets = [int(p["target"]) for p in problems]
    if config.behavior_traces:
        docs.extend(_text(task, row["problem"], row["completion"])
                    for row in make_rows(task, "all", problems[config.problems:], seed=seed, register="terse"))
    def fact() -> str:
        if rng.random() < config.comparison_share:
            return comparison(rng, values, targets, config.max_operand)
        return random_fact(rng, config.max_operand) if rng.random() < config.random_fact_share else rng.choice(facts)

    for _ in range(config.arithmetic_docs):
        docs.append("\n".join(fact() for _ in range(config.facts_per_doc)))
    rng.shuffle(docs)
    return docs


def _text(task: Task, problem: dict[str, Any], completion: str) -> str:
    prompt = task.prompt(problem)
    if not isinstance(prompt, str):
        raise ValueError("pretraining uses base-style prompts; set task_args.prompt_style: base")
    return prompt + completion
