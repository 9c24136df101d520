"""A solver search that emits events: the raw material of program-written priming traces.

The exhaustive solver (:mod:`habits.tasks.solver`) says *whether* numbers can make a target; this
module turns that knowledge into a plausible line of thought. It searches forward over states (the
values still to combine), ordered by a seeded heuristic, and records what a person would do:
try an operation, hit a dead end and abandon the line, set an intermediate target, work back from
the target, check a result, reach the goal. Because reachability is known exactly, every dead
end it reports really is one and every claim a trace makes can be true.

The search does not decide what a trace *says*; :mod:`habits.traces.narrate` writes only the
events a priming condition allows. Failed lines are placed deliberately (the solver could go
straight to an answer) so that backtracking appears in nearly every trace that may show it.

Values are exact (``int`` while whole, :class:`fractions.Fraction` otherwise) and never negative:
any expression can be rewritten so that every intermediate is non-negative (replace each
intermediate by its absolute value), and statements such as ``3 - 5 = -2`` would need a sign the
answer grammar refuses.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from itertools import islice
from typing import Any

from habits.tasks.solver import can_make, reachable

Value = int | Fraction

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def as_value(x: Value) -> Value:
    """Whole Fractions become ints (cheaper, and printed without a denominator)."""
    if type(x) is Fraction and x.denominator == 1:
        return x.numerator
    return x


def value_text(x: Value, operand: bool = False) -> str:
    """``18``, ``8/3``; as an operand a fraction is parenthesised so that ``8 / (1/3)`` reads right."""
    if type(x) is int:
        return str(x)
    text = f"{x.numerator}/{x.denominator}"
    return f"({text})" if operand else text


@dataclass(frozen=True)
class Node:
    """An expression tree over the given numbers; a leaf has ``op`` None."""

    value: Value
    op: str | None = None
    left: Node | None = None
    right: Node | None = None

    @property
    def leaves(self) -> tuple[Value, ...]:
        if self.op is None:
            return (self.value,)
        assert self.left is not None and self.right is not None
        return self.left.leaves + self.right.leaves

    @property
    def is_leaf(self) -> bool:
        return self.op is None

    def text(self) -> str:
        """Infix text with only the parentheses precedence needs."""
        if self.op is None:
            return value_text(self.value, operand=True)
        assert self.left is not None and self.right is not None
        mine = _PRECEDENCE[self.op]
        left, right = self.left.text(), self.right.text()
        if self.left.op is not None and _PRECEDENCE[self.left.op] < mine:
            left = f"({left})"
        if self.right.op is not None and (_PRECEDENCE[self.right.op] < mine
                                          or (_PRECEDENCE[self.right.op] == mine and self.op in "-/")):
            right = f"({right})"
        return f"{left} {self.op} {right}"

    def steps(self) -> list[Node]:
        """Inner nodes bottom-up (left subtree, right subtree, then the node): the order to compute them."""
        if self.op is None:
            return []
        assert self.left is not None and self.right is not None
        return self.left.steps() + self.right.steps() + [self]


@dataclass(frozen=True)
class Event:
    """One thing that happened in the search. ``kind`` is one of :data:`EVENT_KINDS`.

    Fields by kind: ``start`` (values, target); ``try`` (node: the operation just done, state: the
    values left after it); ``dead_end`` (state, or need + source for a failed intermediate target);
    ``abandon`` (); ``work_back`` (target, node: the decomposition target = left op right, needs:
    ((value, source values), ...)); ``subgoal`` (needs, op, given: the leaf the needs are combined
    with, or None); ``check`` (node, target, ok); ``goal`` (node); ``give_up`` (node, target).
    """

    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


EVENT_KINDS = ("start", "try", "dead_end", "abandon", "work_back", "subgoal", "check", "goal", "give_up")


@dataclass
class Line:
    """One line of attack: its events and whether it reached the target."""

    kind: str  # "forward" or "plan"
    success: bool
    events: list[Event]
    final: Node | None = None  # the full expression, when the line combined every number


@dataclass
class Trace:
    """The whole search for one problem: the opening, the lines in order, and the answer."""

    values: tuple[int, ...]
    target: int
    lines: list[Line]
    answer: Node  # the expression the trace ends with (right, or the closest wrong one)
    reached: bool  # whether the answer equals the target

    def events(self) -> Iterator[Event]:
        yield Event("start", {"values": self.values, "target": self.target})
        for line in self.lines:
            yield from line.events
        if not self.reached:
            yield Event("give_up", {"node": self.answer, "target": self.target})


@dataclass(frozen=True)
class SearchSettings:
    """What kinds of lines the search lays out (derived from a priming condition)."""

    failed_lines: tuple[int, int] = (1, 3)  # how many failed lines precede the answer (min, max)
    plans: bool = True  # use intermediate targets (target = X op k) for failed lines and the solution
    complete_failures: float = 0.5  # share of failed forward lines followed to a full value and checked
    reach_goal: bool = True  # False: every line fails and the trace ends with the closest wrong answer

    def __post_init__(self) -> None:
        low, high = self.failed_lines
        if not 0 <= low <= high:
            raise ValueError(f"failed_lines must be (min, max) with 0 <= min <= max, got {self.failed_lines}")
        if not 0.0 <= self.complete_failures <= 1.0:
            raise ValueError(f"complete_failures must be in [0, 1], got {self.complete_failures}")


# -- moves -------------------------------------------------------------------------------------

def _value(x: Value, op: str, y: Value) -> Value:
    if op == "+":
        r = x + y
    elif op == "-":
        r = x - y
    elif op == "*":
        r = x * y
    elif type(x) is int and type(y) is int and x % y == 0:
        return x // y
    else:
        r = Fraction(x) / y
    return r if type(r) is int else as_value(r)


def combine(a: Node, op: str, b: Node) -> Node:
    return Node(_value(a.value, op, b.value), op, a, b)


def _moves(state: Sequence[Node], target: int, rng: random.Random) -> Iterator[tuple[Node, list[Node]]]:
    """Every non-negative combination of two values as ``(node, state after)``, best-looking first.

    Values are scored before any node is built, and nodes are built only for the moves a caller
    actually looks at (usually the first few): this is the search's inner loop.
    """
    scored = []
    for i in range(len(state)):
        for j in range(i + 1, len(state)):
            a, b = state[i], state[j]
            if a.value < b.value:
                a, b = b, a
            x, y = a.value, b.value
            candidates = [(a, "+", b), (a, "*", b), (a, "-", b)]
            if y != 0:
                candidates.append((a, "/", b))
            if x != 0 and x != y and y != 0:
                candidates.append((b, "/", a))
            for left, op, right in candidates:
                value = _value(left.value, op, right.value)
                score = _score(value, left.value, op, right.value, target) + 1.6 * rng.random()
                scored.append((score, i, j, left, op, right, value))
    scored.sort(key=lambda item: -item[0])
    for _, i, j, left, op, right, value in scored:
        node = Node(value, op, left, right)
        yield node, [state[k] for k in range(len(state)) if k != i and k != j] + [node]


def _best_move(state: Sequence[Node], target: int, rng: random.Random) -> tuple[Node, list[Node]]:
    return next(_moves(state, target, rng))


def _score(value: Value, x: Value, op: str, y: Value, target: int) -> float:
    if value == 0:
        return -4.0
    score = -abs(math.log((float(value) + 1.0) / (target + 1.0)))
    if type(value) is not int:
        score -= 2.5  # fractions are legal but rarely where a person starts
    if op in "*/" and 1 in (x, y):
        score -= 1.0
    if type(value) is int and target % value == 0 and value > 1:
        score += 0.4
    return score


def _reachable(state: Sequence[Node], target: int) -> bool:
    return can_reach([node.value for node in state], target)


def can_reach(values: Sequence[Value], target: Value) -> bool:
    """Whether ``values`` (each used once) can make ``target``; exact.

    Up to three values are decided here without building any set (the search asks this thousands
    of times per second, mostly about two or three values); more go to the shared solver.
    """
    if len(values) == 1:
        return values[0] == target
    if len(values) == 2:
        return _pair_makes(values[0], values[1], target)
    return _can_reach_sorted(tuple(sorted(values)), target)


@lru_cache(maxsize=1 << 16)
def _can_reach_sorted(values: tuple[Value, ...], target: Value) -> bool:
    # Cached: card games revisit the same few hundred three-value states over and over.
    if len(values) == 3:
        for i, j, k in ((0, 1, 2), (0, 2, 1), (1, 2, 0)):
            x, y, z = values[i], values[j], values[k]
            for r in _pair_results(x, y):
                if _pair_makes(r, z, target):
                    return True
        return False
    return can_make(values, target)


def _pair_makes(x: Value, y: Value, t: Value) -> bool:
    # x / y == t  <=>  x == t * y (y != 0): no division, so no Fractions for whole numbers.
    return (x + y == t or x - y == t or y - x == t or x * y == t
            or (y != 0 and x == t * y) or (x != 0 and y == t * x))


def _pair_results(x: Value, y: Value) -> list[Value]:
    # Non-negative results suffice (see the module docstring), so only |x - y|.
    out = [x + y, abs(x - y), x * y]
    if y != 0:
        out.append(as_value(Fraction(x) / y) if type(x) is not int or type(y) is not int or x % y else x // y)
    if x != 0:
        out.append(as_value(Fraction(y) / x) if type(x) is not int or type(y) is not int or y % x else y // x)
    return out


def _values(state: Sequence[Node]) -> tuple[Value, ...]:
    return tuple(node.value for node in state)


def _try(node: Node, state: Sequence[Node]) -> Event:
    return Event("try", {"node": node, "state": _values(state)})


# -- lines -------------------------------------------------------------------------------------

def _failed_forward(state: list[Node], target: int, rng: random.Random, complete: bool,
                    avoid: set[tuple[Value, ...]]) -> Line | None:
    """A line whose opening moves make the target unreachable; it ends in a dead end or a wrong value."""
    path = _unreachable_path(state, target, rng, avoid, depth=1) or _unreachable_path(state, target, rng, avoid, 2)
    if path is None:
        return None
    events = []
    current = state
    for node, current in path:
        events.append(_try(node, current))
    avoid.add(tuple(sorted(_values(path[0][1]))))
    if complete:
        while len(current) > 1:
            node, current = _best_move(current, target, rng)
            events.append(_try(node, current))
        final = current[0]
        events += [Event("check", {"node": final, "target": target, "ok": False}), Event("abandon")]
        return Line("forward", False, events, final)
    if len(current) >= 3 and rng.random() < 0.4:
        node, current = _best_move(current, target, rng)
        events.append(_try(node, current))
    events += [Event("dead_end", {"state": _values(current)}), Event("abandon")]
    return Line("forward", False, events)


def _unreachable_path(state: list[Node], target: int, rng: random.Random, avoid: set, depth: int
                      ) -> list[tuple[Node, list[Node]]] | None:
    """A sequence of ``depth`` plausible moves after which the target can no longer be made."""
    if len(state) - depth < 1:
        return None
    for node, after in islice(_moves(state, target, rng), 12):
        if depth == 1:
            if tuple(sorted(_values(after))) in avoid or _reachable(after, target):
                continue
            return [(node, after)]
        if len(after) > 1 and _reachable(after, target):
            rest = _unreachable_path(after, target, rng, avoid, depth - 1)
            if rest:
                return [(node, after)] + rest
    return None


def _decompositions(target: int, state: list[Node]) -> Iterator[tuple[Node, str, int, Value, list[Node]]]:
    """Ways to write ``target = X op k`` (or ``k op X``) with k one given number: (k, op, side, X, rest)."""
    for index, k_node in enumerate(state):
        k = k_node.value
        rest = state[:index] + state[index + 1:]
        options: list[tuple[str, int, Value]] = [("+", 0, target - k), ("-", 0, target + k)]
        if k > target:
            options.append(("-", 1, k - target))
        if k not in (0, 1):
            options += [("*", 0, Fraction(target, k)), ("/", 0, target * k)]
            if target and k % target == 0 and k != target:
                options.append(("/", 1, Fraction(k, target)))
        for op, side, need in options:
            need = as_value(need)
            if type(need) is int and need > 0:
                yield k_node, op, side, need, rest


def _plan_equation(target: int, k_node: Node, op: str, side: int, need: Value) -> Node:
    """``target = need op k`` (side 0) or ``target = k op need`` (side 1) as a tree, for narration."""
    need_node = Node(need)
    node = combine(need_node, op, k_node) if side == 0 else combine(k_node, op, need_node)
    assert node.value == target, (node, target)
    return node


def _failed_plan(state: list[Node], target: int, rng: random.Random, used: set) -> Line | None:
    """An intermediate target that the remaining numbers cannot make: plan, a try or two, dead end."""
    options = [d for d in _decompositions(target, state) if len(d[4]) >= 2]
    rng.shuffle(options)
    options.sort(key=lambda d: (d[3] > 4 * target, d[1] in "+-"))  # small needs and * / read naturally
    for k_node, op, side, need, rest in options:
        key = (k_node.value, op, side)
        if key in used or can_reach([n.value for n in rest], need):
            continue
        used.add(key)
        equation = _plan_equation(target, k_node, op, side, need)
        needs = ((need, _values(rest)),)
        events = [Event("work_back", {"target": target, "node": equation, "needs": needs}),
                  Event("subgoal", {"needs": needs, "op": op, "side": side, "given": k_node.value})]
        current = rest
        for _ in range(1 if len(rest) == 2 else rng.choice((1, 2))):
            move = next(((node, after) for node, after in _moves(current, need, rng) if node.value != need), None)
            if move is None:
                break
            node, current = move
            events.append(_try(node, current))
            if len(current) == 1:
                break
        events += [Event("dead_end", {"need": need, "source": _values(rest)}), Event("abandon")]
        return Line("plan", False, events)
    return None


def _solve(state: list[Node], target: int, rng: random.Random) -> Node:
    """A solution tree found by heuristic forward search with exact reachability pruning.

    It first avoids making the target while other numbers remain: that would end in ``24 * 1`` and
    an "intermediate" target equal to the target itself, which reads as restating the task.
    """
    found = _greedy_solution(list(state), target, rng, strict=True) or _greedy_solution(list(state), target, rng)
    if found is None:
        raise ValueError(f"{list(_values(state))} cannot make {target}; traces need solvable problems")
    return found


def _greedy_solution(state: list[Node], target: int, rng: random.Random, strict: bool = False) -> Node | None:
    while len(state) > 1:
        for node, after in _moves(state, target, rng):
            if strict and len(after) > 1 and node.value == target:
                continue
            if _reachable(after, target):
                state = after
                break
        else:
            return None
    return state[0]


def _success_line(state: list[Node], target: int, rng: random.Random, plans: bool) -> Line:
    solution = _solve(list(state), target, rng)
    events: list[Event] = []
    steps = solution.steps()
    if plans:
        events += _plan_events(solution, target, rng)
        # build the intermediate target before the rest: compound side first
        assert solution.left is not None and solution.right is not None
        first, second = solution.left, solution.right
        if first.is_leaf or (not second.is_leaf and len(second.leaves) > len(first.leaves)):
            first, second = second, first
        steps = first.steps() + second.steps() + [solution]
    remaining = list(_values(state))
    for node in steps:
        for used in (node.left, node.right):
            assert used is not None
            remaining.remove(used.value)
        remaining.append(node.value)
        events.append(Event("try", {"node": node, "state": tuple(remaining)}))
    events += [Event("check", {"node": solution, "target": target, "ok": True}), Event("goal", {"node": solution})]
    return Line("plan" if plans else "forward", True, events, solution)


def _plan_events(solution: Node, target: int, rng: random.Random) -> list[Event]:
    """Work back from the target (the root's decomposition), name the intermediate target(s), and
    (half the time) keep decomposing the needed values down to the given numbers."""
    assert solution.left is not None and solution.right is not None and solution.op is not None
    sides = (solution.left, solution.right)
    needs = tuple((side.value, side.leaves) for side in sides if not side.is_leaf)
    if not needs:  # two numbers: nothing to plan
        return []
    given = next((side.value for side in sides if side.is_leaf), None)
    side = 0 if not sides[0].is_leaf else 1
    events = [Event("work_back", {"target": target, "node": _shallow(solution), "needs": needs}),
              Event("subgoal", {"needs": needs, "op": solution.op, "side": side, "given": given})]
    if rng.random() < 0.5:
        pending = [s for s in sides if not s.is_leaf]
        while pending:
            node = pending.pop(0)
            assert node.left is not None and node.right is not None
            inner = tuple((s.value, s.leaves) for s in (node.left, node.right) if not s.is_leaf)
            if inner or node.op != "/" or type(node.value) is int:  # not "5/6 = 5 / 6"
                events.append(Event("work_back", {"target": node.value, "node": _shallow(node), "needs": inner}))
            pending += [s for s in (node.left, node.right) if not s.is_leaf]
    return events


def _shallow(node: Node) -> Node:
    """The node with its children replaced by their values: ``24 = 8 * 3`` rather than the whole tree."""
    assert node.left is not None and node.right is not None and node.op is not None
    return Node(node.value, node.op, Node(node.left.value), Node(node.right.value))


def _closest_wrong(state: list[Node], target: int, rng: random.Random) -> Line | None:
    """A line that combines every number into a value other than the target (for wrong-answer traces)."""
    line = _failed_forward(state, target, rng, complete=True, avoid=set())
    if line is not None:
        return line
    # Every opening keeps the target reachable: steer the last step away from it.
    current, events = list(state), []
    while len(current) > 2:
        node, current = _best_move(current, target, rng)
        events.append(_try(node, current))
    for node, after in _moves(current, target, rng):
        if node.value != target:
            events += [_try(node, after), Event("check", {"node": node, "target": target, "ok": False}),
                       Event("abandon")]
            return Line("forward", False, events, node)
    return None


def wrong_answer_exists(values: Sequence[int], target: int) -> bool:
    """Whether some legal expression over all of ``values`` has a (non-negative) value other than ``target``."""
    return any(v != target and v >= 0 for v in reachable(tuple(sorted(values))))


def search(values: Sequence[int], target: int, rng: random.Random, settings: SearchSettings) -> Trace:
    """Lay out failed lines and (unless ``settings.reach_goal`` is False) a solution for one problem.

    Raises ValueError if the target cannot be made, or if a wrong answer is wanted and every
    legal combination of the numbers equals the target.
    """
    state = [Node(v) for v in values]
    lines: list[Line] = []
    avoid: set[tuple[Value, ...]] = set()
    used_plans: set = set()
    low, high = settings.failed_lines
    count = rng.choice([c for c in range(low, high + 1) for _ in range(high + 1 - c)]) if high else 0
    if not settings.reach_goal:
        wrong = _closest_wrong(state, target, rng)
        if wrong is None:
            raise ValueError(f"no wrong-but-legal answer exists for numbers {list(values)} and target {target}: "
                             "every combination equals the target; drop this problem from a wrong-answer condition")
        lines.append(wrong)
        if settings.plans:
            plan = _failed_plan(state, target, rng, used_plans)
            if plan is not None:
                lines.insert(rng.randrange(2), plan)
        count = max(0, count - len(lines))
    for _ in range(count):
        want_plan = settings.plans and rng.random() < 0.4
        complete = rng.random() < settings.complete_failures
        line = (_failed_plan(state, target, rng, used_plans) if want_plan else None) \
            or _failed_forward(state, target, rng, complete, avoid) \
            or (_failed_plan(state, target, rng, used_plans) if settings.plans else None)
        if line is not None:
            lines.append(line)
    if settings.reach_goal:
        success = _success_line(state, target, rng, settings.plans)
        return Trace(tuple(values), target, lines + [success], success.final or state[0], True)
    finals = [line.final for line in lines if line.final is not None]
    answer = min(finals, key=lambda node: abs(node.value - target))
    return Trace(tuple(values), target, lines, answer, False)
