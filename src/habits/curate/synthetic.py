"""The miniature's continued-pretraining corpus: worked problems of *other* arithmetic tasks.

The first paper curated OpenWebMath documents that show the behaviors (and a control that does
not) and rewrote them as question / thoughts / answer. The miniature writes that corpus itself,
so that which documents show the behaviors is known by construction:

* ``pair``: which two of a few numbers give the target with + or *;
* ``missing``: the number x in ``x op a op b = target``;
* ``walk``: reach a target from a start number, each step adding a fixed number or doubling.

Each problem is written once, either *with* the behaviors -- failed attempts checked against the
goal (``vs 19 no``), abandoned (``back``), goals split backward (``19=13+6``) into needed values
(``need 6:``) -- or *plain*: the solution's steps only. They share the Countdown prompt's
skeleton and the terse register of the priming traces (:mod:`habits.traces.narrate`), so what the
tiny base learns there can carry over to Countdown -- which never appears here. The worked problems
are mixed with documents of plain arithmetic facts (``12+5=17``), and ``habits curate`` then has to
find the behavior-rich and behavior-minimal subsets on its own; each row's ``kind`` says what it
really is, to measure how well it did.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

KINDS = ("rich", "plain", "facts")
_DIALOGUE = ("Below is a dialogue between a User and an Assistant. The Assistant reasons carefully before "
             "replying.\nUser: {ask} Think inside <think> </think> and put only the final answer inside "
             "<answer> </answer>.\nAssistant: Let me work through this.\n<think>")


@dataclass
class SyntheticConfig:
    """How many documents of each kind the corpus holds."""

    documents: int = 6000
    task_share: float = 0.6  # worked problems; the rest are arithmetic-fact documents
    rich_share: float = 0.5  # of the worked problems, the share written with the behaviors
    tasks: list[str] = field(default_factory=lambda: ["pair", "missing", "walk"])
    max_operand: int = 40
    facts_per_doc: int = 10

    def __post_init__(self) -> None:
        if self.documents < 1:
            raise ValueError("synthetic.documents must be >= 1")
        for name in ("task_share", "rich_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"synthetic.{name} must be in [0, 1], got {getattr(self, name)}")
        unknown = sorted(set(self.tasks) - set(_TASKS))
        if unknown or not self.tasks:
            raise ValueError(f"synthetic.tasks: unknown {unknown or 'empty list'}; choose from {', '.join(_TASKS)}")
        if self.max_operand < 10:
            raise ValueError("synthetic.max_operand must be >= 10")


def build(config: SyntheticConfig, seed: int = 0) -> list[dict[str, Any]]:
    """The corpus rows (``id``, ``text``, ``kind``, ``task``), shuffled; the same seed gives the same rows."""
    rng = random.Random(f"synthetic:{seed}")
    rows = []
    for index in range(config.documents):
        if rng.random() < config.task_share:
            task = rng.choice(config.tasks)
            kind = "rich" if rng.random() < config.rich_share else "plain"
            text = _TASKS[task](rng, config.max_operand, kind == "rich")
        else:
            task, kind = "facts", "facts"
            text = "\n".join(_fact(rng, config.max_operand) for _ in range(config.facts_per_doc))
        rows.append({"id": f"syn{seed}-{index}", "text": text, "kind": kind, "task": task})
    return rows


def _fact(rng: random.Random, top: int) -> str:
    a, b = rng.randint(1, top), rng.randint(1, top)
    op = rng.choice("+-*")
    if op == "-":
        a, b = max(a, b), min(a, b)
    return f"{a}{op}{b}={a + b if op == '+' else a - b if op == '-' else a * b}"


def _document(ask: str, thoughts: list[str], answer: str) -> str:
    return _DIALOGUE.format(ask=ask) + "\n" + "\n".join(thoughts) + f"\n</think>\n<answer> {answer} </answer>"


def _value(a: int, op: str, b: int) -> int:
    return a + b if op == "+" else a * b


def _pair(rng: random.Random, top: int, rich: bool) -> str:
    numbers = rng.sample(range(2, top // 2), 4)
    a, b = rng.sample(numbers, 2)
    op = rng.choice("+*")
    target = _value(a, op, b)
    ask = f"Which two of the numbers {numbers} give {target} with + or *?"
    if not rich:
        return _document(ask, [f"{a}{op}{b}={target}"], f"{a}{op}{b}")
    lines = []
    wrong = [(x, o, y) for x in numbers for y in numbers for o in "+*" if x < y and _value(x, o, y) != target]
    for x, o, y in rng.sample(wrong, rng.randint(1, 3)):
        lines.append(("back " if lines else "") + f"{x}{o}{y}={_value(x, o, y)} vs {target} no")
    if op == "+" and rng.random() < 0.5:  # work back from the target: what does a still need?
        lines.append(f"back {target}={a}+{b},need {b}: {b} vs {b} yes,{a}+{b}={target} vs {target} yes")
    else:
        lines.append(f"back {a}{op}{b}={target} vs {target} yes")
    return _document(ask, lines, f"{a}{op}{b}")


def _missing(rng: random.Random, top: int, rich: bool) -> str:
    x, a, b = rng.randint(2, 12), rng.randint(2, 6), rng.randint(1, top)
    target = x * a + b
    ask = f"Find x in x*{a}+{b}={target}."
    steps = [f"{target}-{b}={target - b}", f"{target - b}/{a}={x}"]
    if not rich:
        return _document(ask, [",".join(steps)], str(x))
    guess = x + rng.choice((-2, -1, 1, 2))
    lines = [f"{guess}*{a}+{b}={guess * a + b} vs {target} no"] if guess > 0 else []
    lines.append(("back " if lines else "") + f"{target}={target - b}+{b},need {target - b}: {target - b}/{a}={x},"
                 f"{x}*{a}+{b}={target} vs {target} yes")
    return _document(ask, lines, str(x))


def _walk(rng: random.Random, top: int, rich: bool) -> str:
    start, add = rng.randint(1, 9), rng.randint(2, 7)
    path = [rng.choice("+*") for _ in range(rng.randint(2, 4))]
    values = [start]
    for op in path:
        values.append(values[-1] + add if op == "+" else values[-1] * 2)
    target = values[-1]
    ask = f"Start at {start} and reach {target}; each step adds {add} or doubles."
    solution = ",".join(f"{values[i]}{'+' + str(add) if op == '+' else '*2'}={values[i + 1]}"
                        for i, op in enumerate(path))
    if not rich:
        return _document(ask, [solution], solution.split(",")[-1].split("=")[0])
    lines = []
    for _ in range(rng.randint(1, 2)):
        value, steps = start, []
        for op in (rng.choice("+*") for _ in path):
            new = value + add if op == "+" else value * 2
            steps.append(f"{value}{'+' + str(add) if op == '+' else '*2'}={new}")
            value = new
        if value != target:
            lines.append(("back " if lines else "") + ",".join(steps) + f" vs {target} no")
    lines.append(("back " if lines else "") + solution + f" vs {target} yes")
    return _document(ask, lines, solution.split(",")[-1].split("=")[0])


_TASKS = {"pair": _pair, "missing": _missing, "walk": _walk}
