"""What a cue is and how a set of cues is looked up (the tables themselves are in ``cues.py``).

Every cue is a regular expression that starts with a literal word or symbol, so Python's ``re``
jumps between candidates with its fast literal search instead of trying an alternation at every
character (a 20-100x difference); alternatives are therefore separate cues (:func:`cues`).
Context that would need a variable-width look-behind ("``24`` *is left*", "*that* works") is a
``before`` pattern, checked on the few candidates only (backwards, as one anchored match:
:mod:`habits.behaviors.patterns`). A cue whose pattern starts with a letter must start a word.
Each cue's words (or, for a cue without one, its leading literal: its ``key``) are looked up
first, so a cue whose word is absent from a text costs almost nothing. Patterns are compiled for
ASCII text (:func:`habits.behaviors.patterns.compile_ascii`): they only ever see prepared text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from habits.behaviors.patterns import compile_ascii, reverse

_META = set(".^$*+?{}[]|()\\")
_MEMOS: dict[tuple, int] = {}


@dataclass(frozen=True, eq=False)  # identity: cues are looked up in dicts per text
class Cue:
    """One signal: ``pattern`` at a position, optionally with required / forbidden text just before it."""

    pattern: re.Pattern
    before: re.Pattern | None = None  # must match the text just before the match (pattern ends with $)
    not_before: re.Pattern | None = None  # must not match there
    fail: bool | re.Pattern = (
        False  # verification cue: the check says the attempt failed (or: if this matches)
    )
    weak: bool = False  # backtracking cue: a switch only if it does not continue the previous result
    weight: int = 1  # target votes
    window: int = 40  # characters before the match that ``before`` / ``not_before`` may look at
    early: bool = False  # target votes: only before the first calculation (where the task is restated)
    anchored: bool = False  # verification: judges a number it names ("36 works"), so no calculation need precede it
    word: bool = True  # the match must start a word (checked when it starts with a letter)
    key: str = field(default="")  # leading literal; the cue is skipped when a text lacks it
    key_is_word: bool = False  # the key is a whole word: look it up in the text's set of words
    gate: tuple[
        str, ...
    ] = ()  # words one of which a text must contain for this cue to run (default: the key)
    also: frozenset[str] = frozenset()  # and one of these words too ("no good": "good"), when given
    also_text: tuple[str, ...] = ()  # or one of these strings ("left:": ":")
    bounded: bool = False  # the pattern itself checks that it starts a word (no check in Python)
    memo: int = field(default=0, compare=False)  # cues with the same number find the same matches (set below)
    simple: bool = field(default=False, compare=False)  # every regex match is accepted as it is (set below)
    shared: bool = field(default=False, compare=False)  # another set has a cue with the same matches (set below)
    direct: bool = field(default=False, compare=False)  # simple and not shared: matches straight from the regex
    # ``before`` and ``not_before`` reversed: one anchored match on the reversed window (patterns.py)
    before_reversed: re.Pattern | None = field(default=None, compare=False)
    not_before_reversed: re.Pattern | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # a small number, not the tuple itself: hashing a compiled pattern hashes its whole code
        memo = (self.pattern, self.before, self.not_before, self.window, self.word)
        object.__setattr__(self, "memo", _MEMOS.setdefault(memo, len(_MEMOS)))
        for name in ("before", "not_before"):
            context = getattr(self, name)
            object.__setattr__(self, name + "_reversed", None if context is None else reverse(context.pattern))
        simple = (self.before is None and self.not_before is None and bool(self.key)
                  and (self.bounded or not self.word or not self.key[0].isalpha()))
        object.__setattr__(self, "simple", simple)


def _leading_literal(pattern: str) -> tuple[str, bool]:
    """The literal characters every match starts with ("" if none can be read off simply), and
    whether they form a whole word (followed by a space, a word boundary or the end)."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            nxt = pattern[i + 1 : i + 2]
            if not nxt or nxt.isalnum():  # \s \d \b \n ...: a class or an assertion, not a literal
                break
            out.append(nxt)
            i += 2
        elif char in _META:
            break
        else:
            out.append(char)
            i += 1
        if i < len(pattern) and pattern[i] in "?*{":  # the last literal is optional
            dropped = out.pop()
            key = "".join(out)
            return key, bool(key) and _WORD.fullmatch(key) is not None and not _WORD.fullmatch(dropped)
    key = "".join(out)
    rest = pattern[i:]
    whole = (
        bool(key)
        and _WORD.fullmatch(key) is not None
        and (not rest or rest.startswith(_WORD_END))
        and not rest.startswith(("\\s*", "\\s?"))
    )
    return key, whole


_WORD = re.compile(r"[a-z']+")
_WORD_END = ("\\s", "\\b", ",", " ", "(?=[.!?)\\s]")  # what may follow a key for it to be a whole word


def cue(
    pattern: str, before: str | None = None, not_before: str | None = None, gate: str = "", also: str = "",
    **kwargs
) -> Cue:
    """A cue; ``gate`` lists (space-separated) the words that can start a match when the pattern's
    leading literal is only a prefix ("verif" -> "verify verified ..."); ``also`` lists words (or
    other strings) one of which the text must contain as well, so that a cue behind a common word
    ("no good") runs only where it can match."""
    key, whole = _leading_literal(pattern)
    literal, rest = _split_literal(pattern)
    if not also and whole:  # the word after the key, when the pattern requires one: "no\s+good" needs "good"
        also = " ".join(_next_words(rest))
    bounded = kwargs.get("word", True) and literal[:1].isalpha() and rest[:1] != "?"
    if bounded:  # "not preceded by a letter or digit", checked by the regex engine right after the literal
        pattern = re.escape(literal) + f"(?<![a-z0-9]{re.escape(literal)})" + rest
    items = also.split()
    return Cue(
        compile_ascii(pattern, re.MULTILINE),  # cues run on prepared text, which is ASCII
        compile_ascii(before + "$") if before else None,
        compile_ascii(not_before + "$") if not_before else None,
        key=key,
        key_is_word=whole or bool(gate),
        gate=tuple(gate.split()) if gate else ((key,) if whole else ()),
        also=frozenset(item for item in items if _WORD.fullmatch(item)),
        also_text=tuple(item for item in items if not _WORD.fullmatch(item)),
        bounded=bounded,
        **kwargs,
    )


_NEXT_WORD = re.compile(r"\\s\+([a-z']+)(?![a-z'?*+{|])")
_NEXT_WORDS = re.compile(r"\\s\+\(\?:((?:[a-z']+(?:\\s\+[a-z']+)*\|)+[a-z']+(?:\\s\+[a-z']+)*)\)(?![?*{])")


def _next_words(rest: str) -> list[str]:
    """Words one of which must follow the key (``\\s+good`` or ``\\s+(?:get|make)``), or none known."""
    found = _NEXT_WORD.match(rest)
    if found:
        return [found.group(1)]
    found = _NEXT_WORDS.match(rest)
    return [alternative.split("\\s+")[0] for alternative in found.group(1).split("|")] if found else []


def _split_literal(pattern: str) -> tuple[str, str]:
    """``pattern`` as (the literal text every match starts with, the rest); a literal that a
    quantifier applies to stays in the rest ("yes+" -> "ye", "s+")."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            following = pattern[i + 1 : i + 2]
            if not following or following.isalnum():
                break
            step, literal = 2, following
        elif char in _META:
            break
        else:
            step, literal = 1, char
        if pattern[i + step : i + step + 1] in ("?", "*", "+", "{"):
            break
        out.append(literal)
        i += step
    return "".join(out), pattern[i:]


def cues(heads: str, tail: str = "", gate: str = "", **kwargs) -> tuple[Cue, ...]:
    """One cue per ``|``-separated head, each followed by ``tail``: literal-first alternatives.
    A ``gate`` with ``{}`` is filled in with each head."""
    return tuple(
        cue(head + tail, gate=gate.replace("{}", head) if gate else "", **kwargs) for head in heads.split("|")
    )


class CueSet:
    """A named group of cues (one behavior's, or one kind of clause's); ``cues.activate`` indexes them by word."""

    def __init__(self, *members: Cue) -> None:
        self.members = members

    def __iter__(self):
        return iter(self.members)
