"""Exhaustive exact solver for "make the target from these numbers with + - * /" puzzles.

Shared by Countdown and GeneralPoints (and by the priming-trace search). Values are exact
Fractions; intermediate fractions are allowed (``8/(3-8/3) = 24``).

Two questions, two algorithms:

* ``can_make`` -- is the target reachable? Needed millions of times when generating problems, so
  it never builds expressions. For a split of the numbers into two groups A and B, the target is
  reachable through that split iff some value of A lies in the *preimage* of the target under B's
  values (``t - b``, ``t + b``, ``b - t``, ``t / b``, ``t * b``, ``b / t``). Reachable sets and
  preimages are memoised per sorted sub-multiset, so all 1,820 four-card hands share the work.
* ``solutions`` -- every distinct expression. Expressions are kept in a canonical form (sums as
  multisets of added and subtracted terms, products as multisets of multiplied and divided factors),
  so ``a+b`` / ``b+a`` and ``(a+b)+c`` / ``a+(b+c)`` count once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from functools import lru_cache
from itertools import combinations

Numbers = tuple[int, ...]
# The search grows faster than exponentially: 5 numbers take about a second, 6 about a minute,
# 39 would never finish. Tasks never generate more than 5.
MAX_SOLVER_NUMBERS = 5


class SolverLimit(ValueError):
    """A problem with more numbers than the exhaustive search can finish."""


def _check_size(nums: Numbers) -> None:
    if len(nums) > MAX_SOLVER_NUMBERS:
        raise SolverLimit(f"the exhaustive solver takes at most {MAX_SOLVER_NUMBERS} numbers (its work grows "
                          f"faster than exponentially), got {len(nums)}; drop numbers or split the problem")


def _splits(numbers: Numbers) -> Iterator[tuple[Numbers, Numbers]]:
    """Unordered splits of a sorted multiset into two non-empty sorted sub-multisets."""
    n = len(numbers)
    seen: set[tuple[Numbers, Numbers]] = set()
    for size in range(1, n // 2 + 1):
        for picked in combinations(range(n), size):
            left = tuple(numbers[i] for i in picked)
            right = tuple(numbers[i] for i in range(n) if i not in picked)
            key = (left, right) if left <= right else (right, left)
            if key not in seen:
                seen.add(key)
                yield key


Value = int | Fraction  # whole values stay ints: int arithmetic is ~30x faster than Fraction's


def _exact_div(a: Value, b: Value) -> Value:
    if type(a) is int and type(b) is int:
        quotient, remainder = divmod(a, b)
        return quotient if remainder == 0 else Fraction(a, b)
    return _norm(Fraction(a) / b)


def _norm(x: Value) -> Value:
    return x if type(x) is int or x.denominator != 1 else x.numerator


def _combine(a: Value, b: Value) -> Iterator[Value]:
    if type(a) is int and type(b) is int:
        yield a + b
        yield a - b
        yield b - a
        yield a * b
    else:
        yield _norm(a + b)
        yield _norm(a - b)
        yield _norm(b - a)
        yield _norm(a * b)
    if b:
        yield _exact_div(a, b)
    if a:
        yield _exact_div(b, a)


def reachable(numbers: Numbers) -> frozenset[Value]:
    """All values made from every number of the sorted multiset ``numbers`` exactly once.

    Whole values are ints, the rest Fractions (they compare and hash equal, so ``Fraction(24) in``
    works). Results for up to three numbers are cached; larger ones are recomputed from those,
    because caching every 4-number multiset of a wide range would grow without bound.
    """
    return _reachable_small(numbers) if len(numbers) <= 3 else _reachable(numbers)


def _reachable(numbers: Numbers) -> frozenset[Value]:
    if len(numbers) == 1:
        return frozenset((numbers[0],))
    values: set[Value] = set()
    for left, right in _splits(numbers):
        right_values = reachable(right)
        for a in reachable(left):
            for b in right_values:
                values.update(_combine(a, b))
    return frozenset(values)


_reachable_small = lru_cache(maxsize=16384)(_reachable)


@lru_cache(maxsize=16384)
def _preimage(numbers: Numbers, target: Value) -> frozenset[Value]:
    """Values x such that ``x op b`` or ``b op x`` equals ``target`` for some b made from ``numbers``."""
    out: set[Value] = set()
    for b in reachable(numbers):
        out.update(_norm(v) for v in (target - b, target + b, b - target))
        if b:  # x * b = t, x / b = t and b / x = t (t != 0) need b != 0
            out.update((_exact_div(target, b), _norm(target * b)))
            if target:
                out.add(_exact_div(b, target))
    return frozenset(out)


def _zero_target_special(left: Numbers, right: Numbers) -> bool:
    # x * 0 = 0 and 0 / x = 0 hold for any x, which preimages cannot list.
    return 0 in reachable(left) or 0 in reachable(right)


def can_make(numbers: Iterable[int], target: int | Fraction, use_all: bool = True) -> bool:
    """Whether ``target`` can be made from ``numbers`` (each used once; all of them if ``use_all``)."""
    nums = tuple(sorted(numbers))
    _check_size(nums)
    goal = _norm(Fraction(target))
    groups = [nums] if use_all else _sub_multisets(nums)
    return any(_can_make_exact(group, goal) for group in groups)


def _can_make_exact(nums: Numbers, goal: Value) -> bool:
    if len(nums) <= 2:
        return goal in reachable(nums)
    for left, right in _splits(nums):
        small, large = (left, right) if len(left) <= len(right) else (right, left)
        if not reachable(small).isdisjoint(_preimage(large, goal)):
            return True
        if goal == 0 and _zero_target_special(left, right):
            return True
    return False


def _sub_multisets(nums: Numbers) -> list[Numbers]:
    found = {tuple(nums[i] for i in picked)
             for size in range(1, len(nums) + 1) for picked in combinations(range(len(nums)), size)}
    return sorted(found, key=lambda group: (-len(group), group))


def reachable_targets(numbers: Iterable[int], low: int, high: int, use_all: bool = True) -> list[int]:
    """Whole-number targets in ``[low, high]`` that ``numbers`` can make.

    The last operation is done here rather than through :func:`reachable`, keeping only whole
    results in range: generating Countdown problems spends nearly all its time in this function.
    """
    nums = tuple(sorted(numbers))
    groups = [nums] if use_all else _sub_multisets(nums)
    found: set[int] = set()
    for group in groups:
        if len(group) == 1:
            found.update(v for v in group if low <= v <= high)
            continue
        for left, right in _splits(group):
            right_values = reachable(right)
            for a in reachable(left):
                for b in right_values:
                    found.update(v for v in _whole_results(a, b) if low <= v <= high)
    return sorted(found)


def _whole_results(a: Value, b: Value) -> Iterator[int]:
    if type(a) is int and type(b) is int:
        yield a + b
        yield a - b
        yield b - a
        yield a * b
        if b and a % b == 0:
            yield a // b
        if a and b % a == 0:
            yield b // a
        return
    for value in _combine(a, b):
        if type(value) is int:
            yield value


# -- all solutions, in canonical form ---------------------------------------------------------
# A node is ("n", k) | ("+", added, subtracted) | ("*", multiplied, divided); tuples kept sorted.

def _terms(node: tuple, op: str) -> tuple[tuple, tuple]:
    return (node[1], node[2]) if node[0] == op else ((node,), ())


def _join(op: str, x: tuple, y: tuple, inverse: bool) -> tuple:
    xp, xn = _terms(x, op)
    yp, yn = _terms(y, op)
    pos, neg = (xp + yn, xn + yp) if inverse else (xp + yp, xn + yn)
    return (op, tuple(sorted(pos)), tuple(sorted(neg)))


def _expressions(nums: Numbers) -> dict[Value, set[tuple]]:
    if len(nums) == 1:
        return {nums[0]: {("n", nums[0])}}
    out: dict[Value, set[tuple]] = {}
    for left, right in _splits(nums):
        right_exprs = _expressions_cached(right)
        for a, a_nodes in _expressions_cached(left).items():
            for b, b_nodes in right_exprs.items():
                if type(a) is int and type(b) is int:
                    values = [a + b, a - b, b - a, a * b]
                else:
                    values = [_norm(a + b), _norm(a - b), _norm(b - a), _norm(a * b)]
                values += [_exact_div(a, b) if b else None, _exact_div(b, a) if a else None]
                for x in a_nodes:
                    for y in b_nodes:
                        nodes = (_join("+", x, y, False), _join("+", x, y, True), _join("+", y, x, True),
                                 _join("*", x, y, False), _join("*", x, y, True), _join("*", y, x, True))
                        for value, node in zip(values, nodes):
                            if value is not None:
                                out.setdefault(value, set()).add(node)
    return out


_expressions_cached = lru_cache(maxsize=4096)(_expressions)


def render(node: tuple) -> str:
    """Readable infix text for a canonical node, with only the parentheses it needs."""
    kind = node[0]
    if kind == "n":
        return str(node[1])
    if kind == "+":
        text = " + ".join(render(term) for term in node[1])
        return text + "".join(" - " + render(term) for term in node[2])

    def factor(term: tuple) -> str:
        return f"({render(term)})" if term[0] == "+" else render(term)

    text = " * ".join(factor(term) for term in node[1])
    return text + "".join(" / " + factor(term) for term in node[2])


def _goal_nodes(nums: Numbers, goal: Value) -> set[tuple]:
    """Canonical nodes over all of ``nums`` whose value is ``goal``.

    Only the last operation is aimed at the goal: for each split and each value ``a`` of one side,
    the value ``b`` the other side would need under each operator is looked up, and nodes are
    joined only for those hits. Building every expression of the whole multiset first (and then
    keeping the few that hit) cost ~10x more: the last level is by far the largest.
    """
    if len(nums) <= 2 or goal == 0:  # (zero goals: x * 0 = 0 for any x, which a lookup cannot list)
        return set(_expressions_cached(nums).get(goal, ()))
    found: set[tuple] = set()
    for left, right in _splits(nums):
        right_exprs = _expressions_cached(right)
        for a, a_nodes in _expressions_cached(left).items():
            # (b needed, operator): a + b, a - b, b - a, and when a != 0 also a * b, a / b, b / a.
            wanted = [(_norm(goal - a), "+"), (_norm(a - goal), "-"), (_norm(a + goal), "-r")]
            if a:
                wanted += [(_exact_div(goal, a), "*"), (_exact_div(a, goal), "/"), (_norm(goal * a), "/r")]
            for b, op in wanted:
                b_nodes = right_exprs.get(b)
                if not b_nodes:
                    continue
                for x in a_nodes:
                    for y in b_nodes:
                        if op == "+":
                            found.add(_join("+", x, y, False))
                        elif op == "-":
                            found.add(_join("+", x, y, True))
                        elif op == "-r":
                            found.add(_join("+", y, x, True))
                        elif op == "*":
                            found.add(_join("*", x, y, False))
                        elif op == "/":
                            found.add(_join("*", x, y, True))
                        else:
                            found.add(_join("*", y, x, True))
    return found


def solutions(numbers: Iterable[int], target: int | Fraction, use_all: bool = True) -> list[str]:
    """Every distinct expression reaching ``target`` (shortest first, then alphabetical)."""
    nums = tuple(sorted(numbers))
    _check_size(nums)
    goal = _norm(Fraction(target))
    groups = [nums] if use_all else _sub_multisets(nums)
    found = {render(node) for group in groups for node in _goal_nodes(group, goal)}
    return sorted(found, key=lambda text: (len(text), text))
