"""Pretraining documents for the embedded tiny model: the miniature of a base model's corpus.

A real base model has read the web: it knows arithmetic and has seen problems answered, but
(for Llama-3.2-3B in the first paper) rarely reasoning that verifies or backtracks. The
miniature corpus mixes three kinds of document:

* arithmetic facts -- lines such as ``12 - 5 = 7`` -- so the model can compute at all;
* problems answered directly (``none`` priming condition): the task's prompt, an empty
  thought, an answer; a configurable share of the answers is wrong but legal, so the base
  follows the format without being good at the task;
* optionally, behavior-rich traces (``all`` condition): the base that already has the habits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from habits.tasks.base import Task


@dataclass
class CorpusConfig:
    """What the pretraining corpus holds (counts of documents)."""

    problems: int = 3000  # task problems answered directly
    answer_accuracy: float = 0.5  # share of those answers that are right (the rest are legal but wrong)
    behavior_traces: int = 0  # behavior-rich traces (condition `all`) mixed in: >0 makes the base that has the habits
    arithmetic_docs: int = 1500  # documents of arithmetic facts
    facts_per_doc: int = 12
    max_operand: int = 100  # operands of arithmetic facts are drawn from 1..max_operand

    def __post_init__(self) -> None:
        if self.problems < 1:
            raise ValueError("corpus.problems must be >= 1: the base model must see the task's format")
        if not 0.0 <= self.answer_accuracy <= 1.0:
            raise ValueError(f"corpus.answer_accuracy must be in [0, 1], got {self.answer_accuracy}")
        for name in ("behavior_traces", "arithmetic_docs"):
            if getattr(self, name) < 0:
                raise ValueError(f"corpus.{name} must be >= 0")
        if self.max_operand < 2:
            raise ValueError("corpus.max_operand must be >= 2")


def arithmetic_doc(rng: random.Random, facts: int, max_operand: int) -> str:
    """One document of true arithmetic facts (exact division only)."""
    lines = []
    for _ in range(facts):
        a, b = rng.randint(1, max_operand), rng.randint(1, max_operand)
        op = rng.choice("+-*/")
        if op == "/":
            a = a * b  # exact division, as the traces only divide when it comes out whole or say so
            lines.append(f"{a} / {b} = {a // b}")
        else:
            value = a + b if op == "+" else a - b if op == "-" else a * b
            lines.append(f"{a} {op} {b} = {value}")
    return "\n".join(lines)


def wrong_expression(task: Task, problem: dict[str, Any], rng: random.Random) -> str | None:
    """A legal expression over the problem's numbers whose value is not the target (or None)."""
    numbers = list(problem.get("numbers") or task.values(problem))  # type: ignore[attr-defined]
    for _ in range(20):
        rng.shuffle(numbers)
        text = str(numbers[0])
        for number in numbers[1:]:
            op = rng.choice("+-*/")
            text = f"({text}) {op} {number}" if op in "*/" and rng.random() < 0.5 else f"{text} {op} {number}"
        answer = task.format_answer(problem, text)
        verdict = task.verify(problem, answer)
        if verdict.reason == "wrong_value":
            return text
    return None


def build_corpus(task: Task, config: CorpusConfig, seed: int = 0) -> list[str]:
    """The documents, shuffled. Problems come from the train split only."""
    from habits.traces import make_rows

    rng = random.Random(f"corpus:{seed}")
    problems = task.generate(config.problems + config.behavior_traces, split="train", seed=seed + 10_000)
    docs = []
    for row in make_rows(task, "none", problems[:config.problems], seed=seed):
        text = _text(row)
        if rng.random() >= config.answer_accuracy:
            wrong = wrong_expression(task, row["problem"], rng)
            if wrong is not None:
                text = text.replace(task.format_answer(row["problem"], task.solve(row["problem"])[0]),
                                    task.format_answer(row["problem"], wrong))
        docs.append(text)
    if config.behavior_traces:
        docs.extend(_text(row) for row in make_rows(task, "all", problems[config.problems:], seed=seed))
    docs.extend(arithmetic_doc(rng, config.facts_per_doc, config.max_operand) for _ in range(config.arithmetic_docs))
    rng.shuffle(docs)
    return docs


def _text(row: dict[str, Any]) -> str:
    prompt = row["prompt"]
    if not isinstance(prompt, str):
        raise ValueError("pretraining uses base-style prompts; set task_args.prompt_style: base")
    return prompt + row["completion"]
