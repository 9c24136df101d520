"""Write a search as reasoning text that shows exactly the allowed behaviors, and count them.

Two registers carry the same events and the same counts:

* ``terse`` -- one fixed form per event, Stream-of-Search-like, for small models: every step is
  ``a op b = c`` without spaces (the form the tiny base's pretraining uses; a tokenizer that
  splits digits spends a token on every space), a check copies the target right after the
  value and then says ``yes`` or ``no`` (``=8 vs 10 no``: the verdict compares two adjacent
  numbers), a switch is the word ``back`` opening the next line, and the answer copies the
  line's steps::

      3+5=8,8*1=8 vs 10 no
      back 3-1=2,5*2=10 vs 10 yes
      </think>
      <answer> 5*(3-1) </answer>

* ``natural`` -- sentences with several phrasings per event (:mod:`habits.traces.phrases`), for
  real LLMs that would otherwise memorise one template.

What a condition allows decides what is written: comparisons only with verification, ``back``
and more than one attempt only with backtracking, ``need x`` only with subgoal setting,
``t = k op x`` only with backward chaining. Counts are taken from what was written, so they are
exact by construction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from habits.behaviors.taxonomy import BEHAVIORS
from habits.traces import phrases
from habits.traces.search import Attempt, Search

REGISTERS = ("terse", "natural")


@dataclass(frozen=True)
class Narration:
    """The thoughts text, the exact behavior counts it shows, and the answer expression it ends with."""

    text: str
    behaviors: dict[str, int]
    answer: str
    reached: bool


def join_values(values: Sequence[int | str]) -> str:
    """``25, 7, 6 and 3``."""
    texts = [str(v) for v in values]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


class _Writer:
    """Collects the pieces of one trace and counts the behaviors they show."""

    def __init__(self, register: str, rng: random.Random, allowed: frozenset[str]) -> None:
        self.register, self.rng, self.allowed = register, rng, allowed
        self.counts = dict.fromkeys(BEHAVIORS, 0)

    def shows(self, behavior: str) -> bool:
        return behavior in self.allowed

    def count(self, behavior: str) -> None:
        self.counts[behavior] += 1

    def pick(self, table: Sequence[str], **fields: object) -> str:
        return self.rng.choice(table).format(**fields)


def narrate(search: Search, allowed: frozenset[str], rng: random.Random, register: str = "natural",
            cards: Sequence[str] | None = None) -> Narration:
    """Write ``search`` in ``register`` showing only the ``allowed`` behaviors.

    ``cards`` (GeneralPoints) adds the reading of the cards as their values.
    """
    unknown = set(allowed) - set(BEHAVIORS)
    if unknown:
        raise ValueError(f"unknown behavior(s) {sorted(unknown)}; known: {', '.join(BEHAVIORS)}")
    if register not in REGISTERS:
        raise ValueError(f"unknown register {register!r}; choose one of: {', '.join(REGISTERS)}")
    writer = _Writer(register, rng, frozenset(allowed))
    lines = []
    shown = [str(v) for v in search.values]
    if cards is not None and list(cards) != shown:
        lines.append(f"{' '.join(cards)} : {' '.join(shown)}" if register == "terse" else
                     writer.pick(phrases.CARDS, cards=join_values(list(cards)), nums=join_values(shown)))
    if register == "natural":
        lines.append(writer.pick(phrases.START, nums=join_values(shown), t=search.target))
    for index, attempt in enumerate(search.attempts):
        switch = index > 0
        if switch:
            writer.count("backtracking")
        write = _terse_attempt if register == "terse" else _natural_attempt
        lines.append(write(writer, attempt, switch))
    answer = search.answer.expression if register == "natural" else _tight(search.answer.expression)
    if register == "natural" and not search.attempts[-1].hit:
        lines.append(writer.pick(phrases.CLOSEST, expr=answer, t=search.target)
                     if writer.shows("verification") else f"I'll go with {answer}.")
    return Narration("\n".join(lines), writer.counts, answer, search.reached)


def _tight(text: str) -> str:
    return text.replace(" ", "")


def _check(writer: _Writer, value: int, goal: int) -> str:
    # The goal is copied first and the verdict comes last, so deciding it compares two adjacent
    # numbers; a verdict before the goal ("7!=10") asks a small model to compare with the prompt.
    writer.count("verification")
    return f" vs {goal} {'yes' if value == goal else 'no'}"


def _terse_attempt(writer: _Writer, attempt: Attempt, switch: bool) -> str:
    parts = ["back"] if switch else []
    plan = attempt.plan
    if plan is not None:
        head = []
        if writer.shows("backward_chaining"):
            head.append(plan.equation())
            writer.count("backward_chaining")
        if writer.shows("subgoal_setting"):
            head.append(f"need {plan.need}")
            writer.count("subgoal_setting")
        if head:
            parts.append(_tight(",".join(head)).replace("need", "need ") + ":")
    steps = []
    for position, step in enumerate(attempt.steps):
        slipped = attempt.slip and position == len(attempt.steps) - 1
        text = _tight(step.text(attempt.target if slipped else None))
        stated = attempt.target if slipped else step.value
        if plan is not None and position == attempt.part - 1 and writer.shows("verification"):
            text += _check(writer, stated, plan.need)
        steps.append(text)
        if plan is not None and position == attempt.part - 1 and step.value != plan.need:
            break  # the planned value was missed: the last step is never written
    line = ",".join(steps)
    if (plan is None or attempt.part_value == plan.need) and writer.shows("verification"):
        line += _check(writer, attempt.stated_value, attempt.target)
    return " ".join(parts + [line])


def _natural_attempt(writer: _Writer, attempt: Attempt, switch: bool) -> str:
    sentences = [writer.pick(phrases.ABANDON)] if switch else []
    plan = attempt.plan
    rest = [step.left for step in attempt.steps[:attempt.part]] if plan else []
    if plan is not None:
        if writer.shows("backward_chaining"):
            sentences.append(writer.pick(phrases.WORK_BACK, t=plan.target, eq=plan.equation()))
            writer.count("backward_chaining")
        if writer.shows("subgoal_setting"):
            source = _sources(attempt)
            sentences.append(writer.pick(phrases.SUBGOAL, need=plan.need, source=join_values(source or rest)))
            writer.count("subgoal_setting")
    for position, step in enumerate(attempt.steps):
        slipped = attempt.slip and position == len(attempt.steps) - 1
        stmt = step.text(attempt.target if slipped else None)
        sentences.append(writer.pick(phrases.TRY if position == 0 else phrases.TRY_NEXT, stmt=stmt))
        if plan is not None and position == attempt.part - 1:
            if writer.shows("verification"):
                writer.count("verification")
                table = phrases.CHECK_PART_OK if step.value == plan.need else phrases.CHECK_PART_FAIL
                sentences.append(writer.pick(table, v=step.value, need=plan.need))
            if step.value != plan.need:
                return " ".join(sentences)
    value = attempt.stated_value
    if writer.shows("verification"):
        writer.count("verification")
        table = phrases.CHECK_OK if value == attempt.target else phrases.CHECK_FAIL
        sentences.append(writer.pick(table, v=value, t=attempt.target, diff=abs(value - attempt.target)))
    elif len(attempt.steps) > 1:
        sentences.append(writer.pick(phrases.RESULT, v=value))
    return " ".join(sentences)


def _sources(attempt: Attempt) -> list[int]:
    """The given numbers the planned part of an attempt combines (leaves of its first steps)."""
    made: set[int] = set()
    leaves: list[int] = []
    for step in attempt.steps[:attempt.part]:
        for operand in (step.left, step.right):
            if operand in made:
                made.discard(operand)
            else:
                leaves.append(operand)
        made.add(step.value)
    return leaves
