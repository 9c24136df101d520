"""An executable search: the attempts a priming trace writes, each one a procedure a model can run.

Every decision the search makes is a function of text that is already on the page, so a model
that imitates the trace can carry it out (the lesson of Stream of Search, and of the first
round of this project, whose traces asserted dead ends from an exact solver's knowledge and
taught models to write a line, declare it hopeless and write the answer):

* **Attempts are enumerated in a fixed order**: the first operation takes the pairs of given
  numbers in the order the problem lists them, and for each pair the operations ``+ * - /``
  (``-`` and ``/`` larger by smaller, ``/`` only when exact); no hidden ranking.
* **Each attempt is computed to a value**: after its first operation the running value is
  combined with the next unused number (in the problem's order) by the operation whose result
  is closest to the target. Values stay positive whole numbers.
* **Each attempt ends with a value that can be compared with the target**; the search stops at
  the first hit, or when its attempt budget runs out -- then it answers its closest attempt.
  Failures are whatever the enumeration produces: many problems are solved by the first line,
  and correctness is natural (not 100%).
* **Plans** (subgoal setting and backward chaining) split the target by a given number the way
  a person would: ``target = k * x`` when ``k`` divides it, else ``target = k + x`` with the
  largest ``k`` below it; then the other numbers are combined towards ``x`` and compared with
  it. (Two choices are not on the page: a plan's sub-line is the enumerated line closest to
  ``x``, and a search that runs out of budget answers its closest line.)

The search only lays out attempts; :mod:`habits.traces.narrate` decides what each condition
writes about them (checks, switches, plans) and in which register (terse or natural).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

OPS = ("+", "*", "-", "/")


@dataclass(frozen=True)
class Step:
    """One operation as written: ``left op right = value`` (``left``/``right`` are values)."""

    left: int
    op: str
    right: int
    value: int

    def text(self, value: int | None = None) -> str:
        return f"{self.left} {self.op} {self.right} = {self.value if value is None else value}"


@dataclass(frozen=True)
class Plan:
    """A split of the target: ``target = given op need`` (``need`` to be made from the rest)."""

    target: int
    given: int
    op: str
    need: int

    def equation(self) -> str:
        return f"{self.target} = {self.given} {self.op} {self.need}"


@dataclass(frozen=True)
class Attempt:
    """One line of the search: its steps, the expression they build, and its value.

    ``part`` (plans only) is how many leading steps build the planned intermediate value; its
    value is compared with ``plan.need`` before the last step combines it with ``plan.given``.
    ``slip`` marks an attempt whose last step states a wrong value (the ``incorrect`` control).
    """

    steps: tuple[Step, ...]
    expression: str
    value: int
    target: int
    plan: Plan | None = None
    part: int = 0
    slip: bool = False

    @property
    def hit(self) -> bool:
        """Whether the attempt *says* it reached the target (a slip says so wrongly)."""
        return self.stated_value == self.target

    @property
    def stated_value(self) -> int:
        return self.target if self.slip else self.value

    @property
    def part_value(self) -> int:
        return self.steps[self.part - 1].value if self.part else self.value

    @property
    def finished(self) -> bool:
        """Whether the line is written to its end (a plan whose planned part misses stops there)."""
        return self.plan is None or self.part_value == self.plan.need


@dataclass
class Search:
    """The attempts in the order written, and the one the trace answers with."""

    values: tuple[int, ...]
    target: int
    attempts: list[Attempt]
    answer: Attempt

    @property
    def reached(self) -> bool:
        return self.answer.value == self.target


@dataclass(frozen=True)
class SearchSettings:
    """How the search is laid out (derived from a priming condition)."""

    budget: int = 6  # most attempts written before answering the closest one
    plans: int = 0  # plan attempts tried before the forward ones (subgoal / backward conditions)
    stop_at_hit: bool = True  # False: only one attempt (conditions without backtracking)
    slip: bool = False  # the last attempt states the target although it misses (incorrect control)

    def __post_init__(self) -> None:
        if self.budget < 1:
            raise ValueError(f"the search needs an attempt budget of at least 1, got {self.budget}")
        if self.plans < 0:
            raise ValueError(f"plans must be >= 0, got {self.plans}")


def apply(x: int, op: str, y: int) -> int | None:
    """``x op y`` when it is a positive whole number the procedure may write, else None."""
    if op == "+":
        return x + y
    if op == "*":
        return x * y
    if op == "-":
        return x - y if x > y else None
    if op == "/":
        return x // y if y > 1 and x % y == 0 else None
    raise ValueError(f"unknown operation {op!r}")


def _ordered(x: int, op: str, y: int) -> tuple[int, int]:
    """Operands as written: given order for ``+ *``, larger first for ``- /``."""
    return (x, y) if op in "+*" or x >= y else (y, x)


def first_moves(values: Sequence[int]) -> Iterator[tuple[Step, tuple[int, int]]]:
    """(step, indices used) for every first operation, in the fixed enumeration order."""
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            for op in OPS:
                left, right = _ordered(values[i], op, values[j])
                value = apply(left, op, right)
                if value is not None:
                    yield Step(left, op, right, value), (i, j)


def closest_step(running: int, number: int, goal: int) -> Step | None:
    """Combine the running value with ``number`` by the operation that lands closest to ``goal``."""
    best: tuple[tuple[int, int], Step] | None = None
    for rank, op in enumerate(OPS):
        for left, right in ((running, number), (number, running)) if op in "-/" else ((running, number),):
            value = apply(left, op, right)
            if value is not None and (best is None or (abs(value - goal), rank) < best[0]):
                best = ((abs(value - goal), rank), Step(left, op, right, value))
    return None if best is None else best[1]


def _combine_text(step: Step, running_text: str, running: int) -> str:
    """The expression of ``step`` with the running value replaced by its own (parenthesised) text."""
    if step.left == running:
        return f"({running_text}) {step.op} {step.right}"
    return f"{step.left} {step.op} ({running_text})"


def chain(first: Step, rest: Sequence[int], goal: int) -> tuple[tuple[Step, ...], str] | None:
    """Steps and expression of a line: ``first``, then each remaining number by :func:`closest_step`."""
    steps, text, running = [first], f"{first.left} {first.op} {first.right}", first.value
    for number in rest:
        step = closest_step(running, number, goal)
        if step is None:
            return None
        text = _combine_text(step, text, running)
        steps.append(step)
        running = step.value
    return tuple(steps), text


def forward_attempts(values: Sequence[int], target: int) -> Iterator[Attempt]:
    """Every forward line, in enumeration order."""
    for first, used in first_moves(values):
        rest = [v for k, v in enumerate(values) if k not in used]
        built = chain(first, rest, target)
        if built is not None:
            steps, text = built
            yield Attempt(steps, text, steps[-1].value, target)


def plans(values: Sequence[int], target: int) -> Iterator[tuple[Plan, int]]:
    """Plausible splits of the target, most natural first: a factor, then the largest number below it."""
    seen = set()
    for k, given in sorted(enumerate(values), key=lambda item: -item[1]):
        if given > 1 and target % given == 0 and target // given > 1 and ("*", given) not in seen:
            seen.add(("*", given))
            yield Plan(target, given, "*", target // given), k
    for k, given in sorted(enumerate(values), key=lambda item: -item[1]):
        if given < target and ("+", given) not in seen:
            seen.add(("+", given))
            yield Plan(target, given, "+", target - given), k


def plan_attempt(values: Sequence[int], plan: Plan, used: int) -> Attempt | None:
    """Make ``plan.need`` from the numbers other than ``values[used]``, then combine with ``plan.given``."""
    rest = [v for k, v in enumerate(values) if k != used]
    if len(rest) < 2:
        return None
    best = None
    for first, pair in first_moves(rest):
        built = chain(first, [v for k, v in enumerate(rest) if k not in pair], plan.need)
        if built is not None and (best is None or abs(built[0][-1].value - plan.need) < abs(best[0][-1].value - plan.need)):
            best = built
    if best is None:
        return None
    steps, text = best
    made = steps[-1].value
    last = Step(plan.given, plan.op, made, plan.given * made if plan.op == "*" else plan.given + made)
    return Attempt(steps + (last,), f"{plan.given} {plan.op} ({text})", last.value, plan.target,
                   plan=plan, part=len(steps))


def search(values: Sequence[int], target: int, settings: SearchSettings | None = None) -> Search:
    """Lay out the attempts for one problem under ``settings``.

    Raises ValueError if the numbers cannot form a single line (fewer than two numbers).
    """
    settings = settings or SearchSettings()
    values = tuple(int(v) for v in values)
    if len(values) < 2:
        raise ValueError(f"a search needs at least two numbers, got {list(values)}")
    limit = settings.budget if settings.stop_at_hit else 1
    # At least one forward line always fits the budget, so some written line has a value on the page.
    wanted_plans = min(settings.plans, limit - 1) if settings.stop_at_hit else settings.plans
    candidates: list[Attempt] = []
    if wanted_plans:
        for plan, used in plans(values, target):
            attempt = plan_attempt(values, plan, used)
            if attempt is not None and (settings.stop_at_hit or attempt.finished):
                candidates.append(attempt)  # a single attempt is a plan only if it reaches its last step
            if len(candidates) == wanted_plans:
                break
    candidates.extend(forward_attempts(values, target))
    if not candidates:
        raise ValueError(f"no line of operations combines {list(values)}")
    if settings.slip:
        return _slipped(values, target, candidates, settings)
    written: list[Attempt] = []
    for attempt in candidates[:limit]:
        written.append(attempt)
        if attempt.hit:
            break
    if written[-1].hit:
        answer = written[-1]
    else:
        # Closest among the lines whose value was written: a plan that missed its planned part stops
        # before its last step, so its value is not on the page and cannot be chosen from it.
        answer = min((a for a in written if a.finished), key=lambda a: abs(a.value - target))
    return Search(values, target, written, answer)


def _slipped(values: tuple[int, ...], target: int, candidates: list[Attempt], settings: SearchSettings) -> Search:
    """The incorrect-answer control: the misses in order, the last one believed (a silent slip).

    The trace checks its earlier misses honestly; on the closest miss it writes the target as the
    last step's value and stops -- an error the writer does not notice, as in an LLM's wrong trace.
    """
    limit = max(1, settings.budget if settings.stop_at_hit else 1)
    misses = [a for a in candidates if a.value != target]
    # The slip must be written: a plan that misses stops after its planned part (its last step is
    # never written), so only a forward line can carry it.
    forward = [a for a in misses if a.plan is None]
    if not forward:
        raise ValueError(f"every line of {list(values)} makes {target}: no wrong answer to slip into")
    window = misses[:limit]
    if not any(a.plan is None for a in window):
        window = window[: limit - 1] + [forward[0]]
    closest = min((k for k, a in enumerate(window) if a.plan is None),
                  key=lambda k: (abs(window[k].value - target), k))
    written = window[: closest + 1]
    written[-1] = replace(written[-1], slip=True)
    return Search(values, target, written, written[-1])


def wrong_answer_exists(values: Sequence[int], target: int) -> bool:
    """Whether some line of the procedure misses the target (what the incorrect control needs)."""
    return any(a.value != target for a in forward_attempts(tuple(values), target))


__all__ = ["OPS", "Attempt", "Plan", "Search", "SearchSettings", "Step", "apply", "chain",
           "closest_step", "first_moves", "forward_attempts", "plan_attempt", "plans", "search",
           "wrong_answer_exists"]
