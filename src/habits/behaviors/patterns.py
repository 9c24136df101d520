"""Compiling the classifier's regular expressions for speed without changing what they match.

Two rewrites, each exact on the text the classifier's patterns run on (prepared text: ASCII, see
:mod:`habits.behaviors.text`):

* :func:`compile_ascii` compiles a pattern with ``re.ASCII``. In a ``str`` pattern ``\\d``, ``\\w``
  and ``\\b`` ask Unicode tables about every character (a function call or four per character in the
  regex engine); under ``re.ASCII`` they are a table lookup, and they agree on every ASCII
  character. ``\\s`` does not quite: Unicode counts the separators ``\\x1c``-``\\x1f`` as white space,
  ``re.ASCII`` does not, so ``\\s`` is spelt out as the Unicode set.
* :func:`reverse` answers "does ``pattern$`` match a suffix of this window?" (a cue's context: "*that*
  works", "``24`` *is left*") with one anchored ``match`` on the reversed window, instead of a
  ``search`` that tries the pattern at every position of the window and mostly fails -- an eighth
  of the classifier's time before. ``reverse(p).match(w[::-1])`` succeeds if and only if
  ``re.search(p, w)`` does. Word boundaries read the same both ways; ``$`` (the end, or just before
  a final newline) becomes an optional leading newline; groups become non-capturing (the reversed
  match says *whether*, not *what*: a caller that needs a group searches the window the ordinary
  way once this match succeeded). Look-arounds, back-references and other anchors are refused.
"""

from __future__ import annotations

import re
from re import _constants as K  # the parser's node types: stable since Python 3.11 (re._parser)
from re import _parser as P

# What \s matches among ASCII characters in a str pattern: str.isspace(), \t \n \v \f \r, the
# separators \x1c-\x1f and the space (re.ASCII's \s leaves out the separators).
_SPACE = r"\t-\r\x1c-\x20"


def ascii_pattern(pattern: str) -> str:
    """``pattern`` with every ``\\s`` spelt out, for ``re.ASCII`` (``\\S`` inside a set is refused)."""
    out: list[str] = []
    i, set_start = 0, -1  # set_start: where the current [...] set's items begin (-1: not in a set)
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            escape = pattern[i : i + 2]
            if escape == r"\s":
                out.append(_SPACE if set_start >= 0 else f"[{_SPACE}]")
            elif escape == r"\S":
                if set_start >= 0:
                    raise ValueError(f"{pattern!r}: \\S inside a set cannot be spelt out")
                out.append(f"[^{_SPACE}]")
            else:
                out.append(escape)
            i += 2
            continue
        if set_start < 0 and char == "[":
            set_start = i + 1 + (pattern[i + 1 : i + 2] == "^")
        elif set_start >= 0 and char == "]" and i > set_start:  # a "]" first in a set is a literal
            set_start = -1
        out.append(char)
        i += 1
    return "".join(out)


def compile_ascii(pattern: str, flags: int = 0) -> re.Pattern:
    """``re.compile(pattern, flags)`` for ASCII text, compiled to run faster (same matches)."""
    return re.compile(ascii_pattern(pattern), flags | re.ASCII)


_CATEGORIES = {
    K.CATEGORY_DIGIT: r"\d",
    K.CATEGORY_NOT_DIGIT: r"\D",
    K.CATEGORY_SPACE: r"\s",
    K.CATEGORY_NOT_SPACE: r"\S",
    K.CATEGORY_WORD: r"\w",
    K.CATEGORY_NOT_WORD: r"\W",
}


def reverse(pattern: str) -> re.Pattern:
    """The pattern matching, at the start of a reversed window, what ``pattern`` (ending with ``$``)
    matches at the end of the window (compiled for ASCII text)."""
    items = list(P.parse(pattern))
    if not items or items[-1] != (K.AT, K.AT_END):
        raise ValueError(f"{pattern!r}: only patterns that end with '$' can be reversed")
    # "$" also matches before a final newline: reversed, an optional newline first
    return compile_ascii(r"\n?" + _sequence(items[:-1]))


def _sequence(items) -> str:
    return "".join(_item(op, av) for op, av in reversed(list(items)))


def _item(op, av) -> str:
    if op is K.LITERAL:
        return re.escape(chr(av))
    if op is K.NOT_LITERAL:
        return "[^" + re.escape(chr(av)) + "]"
    if op is K.ANY:
        return "."
    if op is K.IN:
        return _charset(av)
    if op is K.BRANCH:
        return "(?:" + "|".join(_sequence(branch) for branch in av[1]) + ")"
    if op is K.SUBPATTERN:
        _, add_flags, del_flags, inner = av
        if add_flags or del_flags:
            raise ValueError("inline flags inside a pattern are not supported")
        return "(?:" + _sequence(inner) + ")"
    if op in (K.MAX_REPEAT, K.MIN_REPEAT):
        low, high, inner = av
        bound = "{%d,%s}" % (low, "" if high is K.MAXREPEAT else high)
        return "(?:" + _sequence(inner) + ")" + bound + ("?" if op is K.MIN_REPEAT else "")
    if op is K.AT and av in (K.AT_BOUNDARY, K.AT_NON_BOUNDARY):
        return r"\b" if av is K.AT_BOUNDARY else r"\B"  # a boundary reads the same both ways
    raise ValueError(f"cannot reverse {op} {av}")


def _charset(items) -> str:
    out = []
    for op, av in items:
        if op is K.NEGATE:
            out.append("^")
        elif op is K.LITERAL:
            out.append(re.escape(chr(av)))
        elif op is K.RANGE:
            out.append(re.escape(chr(av[0])) + "-" + re.escape(chr(av[1])))
        elif op is K.CATEGORY and av in _CATEGORIES:
            out.append(_CATEGORIES[av])
        else:
            raise ValueError(f"cannot reverse the set item {op} {av}")
    return "[" + "".join(out) + "]"
