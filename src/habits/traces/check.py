"""Re-check every arithmetic statement in a reasoning text exactly.

Finds each ``a op b = c`` (and chains ``a = b = c``) anywhere in free text, evaluates both sides with
:func:`habits.arith.evaluate` (exact fractions, never ``eval``) and reports how many hold. Used on
program-written traces (all must hold) and usable on model outputs, so it never raises: text it
cannot read as arithmetic is simply not counted.

How a statement is found: around each ``=`` the longest run of arithmetic characters is taken on
either side, then trimmed to the longest piece that parses next to the ``=`` (so ``"so 25 - 7 = 18
and"`` yields ``25 - 7 = 18``). A comma glued to a number is part of it (``1,000``), except right
after a tight statement (``9+1=10,10+12=22``: the terse traces' form). Decimals (``2.5``) and a
leading minus (``-2``) are read exactly. Only statements with an operator on at least one side
count (``x = 5`` or ``24 = 24`` are not arithmetic). ``<=``, ``>=``, ``!=`` and ``==`` are not
treated as statements' equals signs, except ``==`` which reads as ``=``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from habits.arith import evaluate

_RUN_CHARS = set("0123456789 \t+-*/().×÷−xX·.")
_MAX_RUN = 160  # an expression longer than this is not a step of these tasks
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[+\-*/×÷−·xX().]|\s+")
_OPERATOR = re.compile(r"\d\s*[+\-*/×÷−·xX]\s*[\d(]|\)\s*[+\-*/×÷−·xX]")
_DECIMAL = re.compile(r"(\d+)\.(\d+)")
_LEADING_MINUS = re.compile(r"(^|\()\s*[-−]")
# "...=10,", "=10==10,", "=10 vs 10 yes," (no space after the comma): one statement ends, the next begins
_TIGHT_END = re.compile(r"(?:[\d)!=]=-?\d+| vs -?\d+ (?:yes|no)),$")


@dataclass
class ArithmeticCheck:
    """What :func:`check_arithmetic` found: counts and the statements that are wrong."""

    statements: int = 0
    right: int = 0
    wrong: int = 0
    wrong_statements: list[str] = field(default_factory=list)

    @property
    def all_right(self) -> bool:
        return self.wrong == 0

    def to_dict(self) -> dict:
        return {"statements": self.statements, "right": self.right, "wrong": self.wrong,
                "wrong_statements": list(self.wrong_statements)}


def _value(text: str) -> Fraction | None:
    """Exact value of one side, or None when it is not an arithmetic expression."""
    source = _DECIMAL.sub(lambda m: f"({int(m.group(1) + m.group(2))}/1{'0' * len(m.group(2))})", text)
    source = _LEADING_MINUS.sub(lambda m: f"{m.group(1)}0-", source)
    result = evaluate(source)
    return result.value if result.ok else None


def _tokens(run: str) -> list[str] | None:
    tokens = _TOKEN.findall(run)
    return tokens if "".join(tokens) == run else None


def _after_statement(text: str, start: int) -> bool:
    """The comma before ``start`` ends a tight statement ("9+1=10,10+12=22"), not a thousands group."""
    return text[start - 1] == "," and _TIGHT_END.search(text, max(0, start - 40), start) is not None


def _left_side(text: str, end: int) -> str | None:
    """Longest parseable expression ending just before ``end`` (the position of an ``=``)."""
    start = end
    while start > 0 and end - start < _MAX_RUN and text[start - 1] in _RUN_CHARS:
        start -= 1
    tokens = _tokens(text[start:end])
    if tokens is None:
        return None
    for cut in range(len(tokens)):
        piece = "".join(tokens[cut:]).strip()
        if not piece or not piece[0] in "0123456789(-−":
            continue
        if cut == 0 and start > 0 and not text[start].isspace() and (
                text[start - 1].isalnum() or text[start - 1] in ",:^_") and not _after_statement(text, start):
            continue  # glued to a word or a number: "x2 = 4", "1:2 = ...", "1,000 = ..." read from the middle
        if _value(piece) is not None:
            return piece
    return None


def _right_side(text: str, begin: int) -> str | None:
    """Longest parseable expression starting just after ``begin`` (the position after an ``=``)."""
    end = begin
    while end < len(text) and end - begin < _MAX_RUN and text[end] in _RUN_CHARS:
        end += 1
    tokens = _tokens(text[begin:end])
    if tokens is None:
        return None
    for cut in range(len(tokens), 0, -1):
        piece = "".join(tokens[:cut]).strip()
        if not piece or piece[-1] not in "0123456789)":
            continue
        if cut == len(tokens) and end < len(text) and (text[end].isalnum() or text[end] in "^_"):
            continue
        if _value(piece) is not None:
            return piece
    return None


def _equals_positions(text: str) -> list[int]:
    positions = []
    index = text.find("=")
    while index != -1:
        before = text[index - 1] if index > 0 else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if before not in "<>!=" and after != "=":
            positions.append(index)
        elif after == "=" and before not in "<>!=":
            positions.append(index)  # "==" reads as one equals sign (its second character is skipped)
            index += 1
        index = text.find("=", index + 1)
    return positions


def find_statements(text: str) -> list[tuple[str, str]]:
    """Every ``(left, right)`` pair around an equals sign that reads as arithmetic, in order."""
    if not isinstance(text, str):
        return []
    found = []
    for position in _equals_positions(text):
        width = 2 if text[position + 1:position + 2] == "=" else 1
        left = _left_side(text, position)
        right = _right_side(text, position + width)
        if left is None or right is None:
            continue
        if not (_OPERATOR.search(left) or _OPERATOR.search(right)):
            continue
        found.append((left, right))
    return found


def check_arithmetic(text: str) -> ArithmeticCheck:
    """Re-check every arithmetic statement in ``text``; never raises.

    >>> check_arithmetic("25 - 7 = 18, and 18 + 6 = 23.").to_dict()
    {'statements': 2, 'right': 1, 'wrong': 1, 'wrong_statements': ['18 + 6 = 23']}
    """
    result = ArithmeticCheck()
    try:
        statements = find_statements(text)
    except (RecursionError, MemoryError):  # pragma: no cover - defensive: arbitrary model output
        return result
    for left, right in statements:
        result.statements += 1
        if _value(left) == _value(right):
            result.right += 1
        else:
            result.wrong += 1
            result.wrong_statements.append(f"{left} = {right}")
    return result


def thoughts(completion: str) -> str:
    """The text inside the last think block (or before ``</think>`` when the prompt opened it)."""
    if not isinstance(completion, str):
        return ""
    end = completion.rfind("</think>")
    if end == -1:
        return completion
    start = completion.rfind("<think>", 0, end)
    return completion[start + len("<think>") if start != -1 else 0:end]


_VERDICT = re.compile(r"=\s*(\d+)\s+vs\s+(\d+)\s+(yes|no)\b")
_ATTEMPT_AFTER_YES = re.compile(r" yes\n\s*\S")  # a line's final check said yes, yet another line follows


@dataclass
class TraceFidelity:
    """Can a model execute the trace it writes? Its arithmetic, and its checks against their values."""

    arithmetic_ok: bool  # every arithmetic statement is right (vacuously true without statements)
    checks: int  # terse checks found ("=7 vs 10 no")
    checks_agree: bool  # every check's verdict agrees with the two numbers it compares
    stops_at_hit: bool  # no attempt follows a check that said yes to the target


def trace_fidelity(text: str) -> TraceFidelity:
    """Audit one completion's thoughts (terse register checks; arithmetic in any register); never raises.

    >>> f = trace_fidelity("5+3=8,8+1=9 vs 10 yes\\nback 5*2=10 vs 10 yes")
    >>> f.arithmetic_ok, f.checks, f.checks_agree, f.stops_at_hit
    (True, 2, False, False)
    """
    body = thoughts(text)
    found = _VERDICT.findall(body)
    agree = all((value == goal) == (verdict == "yes") for value, goal, verdict in found)
    stops = _ATTEMPT_AFTER_YES.search(body.rstrip()) is None
    return TraceFidelity(check_arithmetic(body).wrong == 0, len(found), agree, stops)
