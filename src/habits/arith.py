"""Exact, safe arithmetic for model-written expressions.

Every answer a model gives to Countdown or the 24 game is an arithmetic expression. This module
turns such a string into an exact :class:`fractions.Fraction` without ever executing it: the text
is parsed by :mod:`ast` and only a whitelist of node types is walked (non-negative integer
literals, ``+ - * /``, parentheses, and by default a minus sign in front of a number or a bracket).
Anything else -- powers, names, calls, floats, unary plus, repeated signs, huge literals, absurd
nesting -- is refused with a short reason. Nothing here raises to the caller: every string gets an
:class:`Evaluation`.

Why Fraction and not float: ``4 / (1 - 5/6)`` is exactly 24 and only exact rationals say so.

Why a leading minus is allowed: ``-47 + (29 + 49)`` uses each number once and can always be
rewritten without the sign (``29 + 49 - 47``); the reference checkers of the field accept it.
``unary_minus=False`` is the strict rule (only binary operators).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from fractions import Fraction

MAX_EXPRESSION_CHARS = 256  # longer expressions are not answers to these tasks (whitespace not counted)
MAX_LITERAL_DIGITS = 6  # 999999 is far beyond any task's numbers; stops 10**1000-style literals
MAX_NODES = 64
MAX_DEPTH = 24

# Typographic operators models (and people) write; mapped to ASCII before parsing.
_TRANSLATE = str.maketrans({"×": "*", "·": "*", "∗": "*", "÷": "/", "−": "-", "–": "-", "—": "-",
                            "（": "(", "）": ")", "[": "(", "]": ")"})
# "3 x 8" and "3x8" mean multiplication; an x inside a word is left alone (and then refused).
_TIMES_X = re.compile(r"(?<=[\d)\s])[xX](?=[\s\d(])")

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class Evaluation:
    """Result of evaluating one expression.

    ``value`` is the exact value (a Fraction), or ``None`` when ``error`` says why there is none.
    ``numbers`` lists the integer literals in the order they appear (also filled when the value
    could not be computed, e.g. division by zero, so callers can still check which numbers were used).
    ``error`` is one of ``"malformed"`` (not an arithmetic expression at all, or too long)
    and ``"illegal"`` (an expression, but one using something outside the whitelist, or dividing by zero).

    The value is kept as an integer numerator/denominator pair and turned into a Fraction only when
    asked for: verifiers compare with :meth:`equals`, which needs no Fraction (this is a hot path).
    """

    __slots__ = ("_numerator", "_denominator", "numbers", "error", "detail")

    def __init__(self, value: Fraction | None, numbers: tuple[int, ...] = (), error: str | None = None,
                 detail: str = "", *, ratio: tuple[int, int] | None = None) -> None:
        if ratio is None and value is not None:
            ratio = (value.numerator, value.denominator)
        self._numerator, self._denominator = ratio if ratio is not None else (None, None)
        self.numbers = numbers
        self.error = error
        self.detail = detail

    @property
    def value(self) -> Fraction | None:
        return None if self._numerator is None else Fraction(self._numerator, self._denominator)

    @property
    def ok(self) -> bool:
        return self.error is None

    def equals(self, number: int | Fraction) -> bool:
        """Whether the value is exactly ``number`` (False when there is no value)."""
        if self._numerator is None:
            return False
        if isinstance(number, int):
            return self._numerator == number * self._denominator
        return self._numerator * number.denominator == number.numerator * self._denominator

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Evaluation):
            return NotImplemented
        return (self.value, self.numbers, self.error, self.detail) == (other.value, other.numbers, other.error,
                                                                        other.detail)

    def __repr__(self) -> str:
        return (f"Evaluation(value={self.value!r}, numbers={self.numbers!r}, error={self.error!r}, "
                f"detail={self.detail!r})")


@dataclass
class _Walk:
    numbers: list[int] = field(default_factory=list)
    nodes: int = 0
    unary_minus: bool = True


class _Refused(Exception):
    """Internal: an expression outside the whitelist (never escapes this module)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def normalize(text: str) -> str:
    """Map typographic operators to ASCII, join lines, strip surrounding backticks/dollars."""
    # Joining lines matters: an answer broken across lines is still one expression.
    text = text.translate(_TRANSLATE)
    if "x" in text or "X" in text:
        text = _TIMES_X.sub("*", text)
    return " ".join(text.split()).strip("`$ ")


def evaluate(text: str, *, unary_minus: bool = True) -> Evaluation:
    """Evaluate ``text`` exactly if it is a whitelisted arithmetic expression.

    ``unary_minus``: accept a minus sign in front of a number or a bracket (``-3 + 5``,
    ``2 * -(1 - 4)``); False refuses every sign (the strict rule).

    >>> evaluate("4 / (1 - 5/6)").value
    Fraction(24, 1)
    >>> evaluate("2 ** 100").error
    'illegal'
    """
    if type(text) is not str:
        if not isinstance(text, str):
            return Evaluation(None, error="malformed", detail="not a string")
        text = str(text)
    # The cap is on the expression, not its padding: spaces and line breaks do not count.
    if len(text) > MAX_EXPRESSION_CHARS and len(text) - _whitespace(text) > MAX_EXPRESSION_CHARS:
        return Evaluation(None, error="malformed", detail=f"longer than {MAX_EXPRESSION_CHARS} characters")
    # Plain ASCII arithmetic (nearly every real answer) skips normalisation: it would change nothing.
    plain = _FAST_CHARS.fullmatch(text) is not None
    if plain:
        fast = _fast_evaluate(text, unary_minus)
        if fast is not None:
            return fast
        source = text.strip()
    else:
        source = normalize(text)
    if not source:
        return Evaluation(None, error="malformed", detail="empty expression")
    # ** and // are refused before parsing so a giant power never even becomes an AST.
    if "**" in source or "//" in source:
        op = "**" if "**" in source else "//"
        return Evaluation(None, error="illegal", detail=f"operator {op} is not allowed")
    if not plain and _FAST_CHARS.fullmatch(source):
        fast = _fast_evaluate(source, unary_minus)
        if fast is not None:
            return fast
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        return Evaluation(None, error="malformed", detail=f"not an arithmetic expression ({type(exc).__name__})")
    walk = _Walk(unary_minus=unary_minus)
    try:
        value = _value(tree.body, walk, depth=0)
    except _Refused as refused:
        return Evaluation(None, tuple(walk.numbers), error=refused.kind, detail=refused.detail)
    except RecursionError:
        return Evaluation(None, tuple(walk.numbers), error="illegal", detail="nested too deeply")
    return Evaluation(value, tuple(walk.numbers))


def _whitespace(text: str) -> int:
    """How many whitespace characters ``text`` holds (linear, in C)."""
    return len(text) - sum(map(len, text.split()))


# -- fast path --------------------------------------------------------------------------------
# Nearly every real answer is digits, + - * / and parentheses. Those are evaluated here in one
# left-to-right pass over the tokens, calculator style: per bracket level a running sum of finished
# terms and the product of the current term, all as integer (numerator, denominator) pairs --
# several times faster than ast.parse + Fraction. Anything unusual (other characters, a parse
# error, division by zero, repeated signs, more than _FAST_MAX_NUMBERS numbers, deep brackets, long
# or zero-led literals) returns None and goes through the AST path, which owns every refusal;
# within these bounds both paths agree (a hypothesis test proves it).
_FAST_CHARS = re.compile(r"[0-9+\-*/() ]+")
_FAST_TOKEN = re.compile(r"[0-9]+|[-+*/()]")
_FAST_MAX_NUMBERS = 12
_FAST_MAX_PARENS = 10
_NOT_OPERANDS = frozenset("+-*/)")


def _fast_evaluate(source: str, unary_minus: bool = True) -> Evaluation | None:
    """One pass over the tokens of ``source``; None sends the text to the AST path.

    ``source`` holds only ``_FAST_CHARS`` (the caller checks).
    """
    numbers: list[int] = []
    saved: list[tuple] = []  # the enclosing levels' state at each open bracket
    sum_n, sum_d = 0, 1  # finished terms of this level
    term_n, term_d = 0, 1  # the current term (product so far)
    sign = 1  # sign of the current term (+ or - before it)
    mul = ""  # "*" or "/" waiting for its right operand, "" when a new term starts
    negate = False  # a unary minus waiting for its operand
    signed = False  # the operand about to start is already under a sign (refuse "- -3", "-(-3)")
    expect_operand = True
    tokens = _FAST_TOKEN.findall(source)
    if not tokens:
        return Evaluation(None, error="malformed", detail="empty expression")
    for token in tokens:
        if expect_operand:
            if token == "(":
                if len(saved) >= _FAST_MAX_PARENS:
                    return None
                saved.append((sum_n, sum_d, term_n, term_d, sign, mul, negate))
                sum_n, sum_d, term_n, term_d, sign, mul, negate = 0, 1, 0, 1, 1, "", False
                continue
            if token == "-" and unary_minus and not signed:
                negate = signed = True
                continue
            if token in _NOT_OPERANDS or (len(token) > 1 and (token[0] == "0" or len(token) > MAX_LITERAL_DIGITS)):
                return None  # "+3", "--3", "()", "3 * * 4", long or zero-led literals
            n = int(token)
            numbers.append(n)
            d = 1
        elif token == ")":
            if not saved:
                return None
            n, d = sum_n * term_d + term_n * sum_d, sum_d * term_d  # this level's value
            sum_n, sum_d, term_n, term_d, sign, mul, negate = saved.pop()
        elif token == "+" or token == "-":
            sum_n, sum_d = sum_n * term_d + term_n * sum_d, sum_d * term_d
            sign = 1 if token == "+" else -1
            mul = ""
            expect_operand = True
            continue
        elif token == "*" or token == "/":
            mul = token
            expect_operand = True
            continue
        else:  # "(" right after an operand
            return None
        # an operand (a number or a closed bracket) with value n / d
        if negate:
            n, negate = -n, False
        if not mul:
            term_n, term_d = n if sign == 1 else -n, d
        elif mul == "*":
            term_n, term_d = term_n * n, term_d * d
        elif n == 0:
            return None  # division by zero: the AST path reports it
        elif n > 0:
            term_n, term_d = term_n * d, term_d * n
        else:
            term_n, term_d = -term_n * d, -term_d * n
        expect_operand = signed = False
    if expect_operand or saved:
        # Every token was in place but the expression stops short ("3 +", "(3 + 4"): Python's
        # parser calls that a syntax error too, so this verdict is final (no numbers, as there).
        return Evaluation(None, error="malformed", detail="not an arithmetic expression (incomplete)")
    if len(numbers) > _FAST_MAX_NUMBERS:
        return None
    return Evaluation(None, tuple(numbers), ratio=(sum_n * term_d + term_n * sum_d, sum_d * term_d))


def _value(node: ast.AST, walk: _Walk, depth: int) -> Fraction:
    walk.nodes += 1
    if walk.nodes > MAX_NODES:
        raise _Refused("illegal", f"more than {MAX_NODES} terms and operators")
    if depth > MAX_DEPTH:
        raise _Refused("illegal", f"nested deeper than {MAX_DEPTH}")
    if isinstance(node, ast.Constant):
        literal = node.value
        if isinstance(literal, bool) or not isinstance(literal, int):
            raise _Refused("illegal", f"only whole-number literals are allowed, not {literal!r}"[:80])
        if literal >= 10**MAX_LITERAL_DIGITS:
            raise _Refused("illegal", f"literal with more than {MAX_LITERAL_DIGITS} digits")
        walk.numbers.append(literal)
        return Fraction(literal)
    if isinstance(node, ast.BinOp):
        op = _OPS.get(type(node.op))
        if op is None:
            raise _Refused("illegal", f"operator {type(node.op).__name__} is not allowed")
        left = _value(node.left, walk, depth + 1)
        right = _value(node.right, walk, depth + 1)
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if right == 0:
            # Keep walking is unnecessary: the numbers seen so far are enough for diagnostics.
            raise _Refused("illegal", "division by zero")
        return left / right
    if isinstance(node, ast.UnaryOp):
        if not walk.unary_minus:
            raise _Refused("illegal", "signs in front of numbers are not allowed")
        if not isinstance(node.op, ast.USub):
            raise _Refused("illegal", "only a minus sign may stand in front of a number")
        if isinstance(node.operand, ast.UnaryOp):
            raise _Refused("illegal", "repeated signs in front of a number are not allowed")
        return -_value(node.operand, walk, depth + 1)
    return _refuse_node(node)


def _refuse_node(node: ast.AST) -> Fraction:
    names = {ast.Name: "names", ast.Call: "function calls", ast.Attribute: "attributes",
             ast.Subscript: "subscripts", ast.Compare: "comparisons", ast.BoolOp: "boolean operators",
             ast.Tuple: "tuples (commas)", ast.List: "lists", ast.Lambda: "lambdas"}
    what = names.get(type(node), type(node).__name__)
    raise _Refused("illegal", f"{what} are not allowed in an answer")


def split_equation(text: str, target: int | None = None) -> str:
    """Drop a trailing ``= N`` (e.g. ``"4*3+2+10=24"`` -> ``"4*3+2+10"``), or a leading ``N =``.

    Only a single equals sign next to a bare whole number is removed, and with ``target`` given
    only when that number *is* the target: ``"90 - 33 - 35 = 999"`` states a false equation and is
    returned unchanged, so evaluation reports it as malformed instead of scoring its left side.
    """
    if "=" not in text:
        return text
    left, _, right = text.rpartition("=")
    left, right = left.strip(), right.strip()
    if "=" in left:
        return text
    if right.isdigit() and left and (target is None or int(right) == target):
        return left
    if left.isdigit() and right and (target is None or int(left) == target):
        return right
    return text
