"""A prepared text as the offline classifier reads it: clauses, words, and the matches of its cues.

:class:`Doc` holds a text prepared by :func:`habits.behaviors.text.prepare` (ASCII, lower case, one
clause per line), its clauses and where each starts, its set of words, and -- per cue set of
:mod:`habits.behaviors.cues` -- the cues whose words occur in it. It finds a cue's matches on demand,
once, at the speed of the regex engine: most cues find nothing in a given text, so one ``search``
comes first; a match is accepted (:func:`accept`) when it starts a word where the cue must and its
context (``Cue.before``, ``Cue.not_before``) matches just before it, checked as one anchored match
on the reversed window (:func:`habits.behaviors.patterns.reverse`). What the matches mean is
:mod:`habits.behaviors.lexical`'s business.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, chain, repeat
from operator import add, sub

from habits.behaviors import cues as C
from habits.behaviors.text import words

__all__ = ["START", "Doc", "accept", "clauses_of"]

START = re.Match.start
_ONES = repeat(1)


def clauses_of(starts: list[int], positions: Iterable[int]) -> Iterator[int]:
    """The clause of each position (an iterator that runs in C)."""
    return map(sub, map(bisect_right, repeat(starts), positions), _ONES)


class Doc:
    """A prepared text: its clauses (lines), its words, and its cues' matches, found on demand."""

    __slots__ = ("text", "reversed", "words", "active", "lines", "starts", "n", "_accepted")

    def __init__(self, text: str, found: frozenset[str] | None = None) -> None:
        self.text = text
        self.reversed = text[::-1]  # cue contexts are checked on reversed windows
        self.words = words(text) if found is None else found
        self.active = C.activate(text, self.words)  # per cue set, the cues whose words occur here
        self._accepted: dict[int, list[tuple[int, re.Match, re.Match | None]]] = {}  # by Cue.memo
        self.lines = lines = text.split("\n")
        # clause i starts at starts[i] = len(lines[0]) + ... + len(lines[i - 1]) + i (all in C)
        self.starts = list(map(add, accumulate(map(len, lines[:-1]), initial=0), range(len(lines))))
        self.n = len(lines)

    def of(self, position: int) -> int:
        """The clause that holds ``position``."""
        return bisect_right(self.starts, position) - 1

    def matches(self, cue: C.Cue) -> list[tuple[int, re.Match, re.Match | None]]:
        """The accepted matches of ``cue``: ``(position, match, match of cue.before)``; found once per
        text (a decomposition both votes for the target and is backward chaining)."""
        if cue.direct:  # most cues: straight from the regex engine, nothing to check or keep
            first = cue.pattern.search(self.text)  # most find nothing: one call says so
            if first is None:
                return []
            return [(first.start(), first, None),  # (the rest: where finditer would go on after it)
                    *[(match.start(), match, None) for match in cue.pattern.finditer(self.text, first.end())]]
        accepted = self._accepted.get(cue.memo)
        if accepted is None:
            accepted = self._accepted[cue.memo] = accept(self.text, self.reversed, cue)
        return accepted

    def matches_before(self, cue: C.Cue, stop: int) -> list[tuple[int, re.Match, re.Match | None]]:
        """The first of ``matches(cue)``: those whose regex match starts before ``stop`` (and no more
        of the text is searched than it takes to know)."""
        if cue.key and self.text.find(cue.key, 0, stop + len(cue.key) - 1) < 0:
            return []  # every match starts with the key
        if cue.shared or cue.memo in self._accepted:
            return [found for found in self.matches(cue) if found[1].start() < stop]
        if cue.direct:
            out = []
            for match in cue.pattern.finditer(self.text):
                if match.start() >= stop:
                    break
                out.append((match.start(), match, None))
            return out
        return accept(self.text, self.reversed, cue, stop)

    def scan(self, cues: Sequence[C.Cue]) -> list[tuple[int, C.Cue, re.Match, re.Match | None]]:
        """Every accepted match of ``cues``: ``(position, cue, match, match of cue.before)``."""
        text, out = self.text, []
        for cue in cues:
            if cue.direct:
                first = cue.pattern.search(text)
                if first is not None:
                    out.append((first.start(), cue, first, None))
                    out += [(match.start(), cue, match, None) for match in cue.pattern.finditer(text, first.end())]
            else:
                out += [(start, cue, match, context) for start, match, context in self.matches(cue)]
        return out

    def positions(self, cue: C.Cue) -> list[int]:
        """Where the accepted matches of ``cue`` start, in order."""
        if cue.direct:
            first = cue.pattern.search(self.text)
            if first is None:
                return []
            return [first.start(), *map(START, cue.pattern.finditer(self.text, first.end()))]
        return [start for start, _, _ in self.matches(cue)]

    def firsts(self, cues: Sequence[C.Cue], after: int = -1) -> dict[int, int]:
        """For each clause with a match of ``cues`` starting after ``after``: the first such match's
        position, the cues taken in order."""
        firsts: dict[int, int] = {}
        starts = self.starts
        for cue in cues:
            for start in self.positions(cue):
                if start > after:
                    line = bisect_right(starts, start) - 1
                    if line not in firsts:
                        firsts[line] = start
        return firsts


def accept(text: str, reversed_text: str, cue: C.Cue, stop: int | None = None
           ) -> list[tuple[int, re.Match, re.Match | None]]:
    """The matches that start a word (when the cue must) and have the required context before them;
    with each, the match of ``cue.before`` when that pattern captures a value (else None). With
    ``stop``: only those whose regex match starts before it."""
    first = cue.pattern.search(text)  # most cues find nothing in most texts: one call says so
    if first is None:
        return []
    if cue.before is None and cue.not_before is None and cue.key and stop is None:  # nothing to check
        if cue.bounded or not cue.word or not cue.key[0].isalpha():
            return [(first.start(), first, None),
                    *[(match.start(), match, None) for match in cue.pattern.finditer(text, first.end())]]
    out = []
    check_word = cue.word and not cue.bounded
    before, not_before = cue.before_reversed, cue.not_before_reversed
    capturing = before is not None and cue.before.groups > 0
    size, width = len(text), cue.window
    for match in chain((first,), cue.pattern.finditer(text, first.end())):
        start = match.start()
        if stop is not None and start >= stop:
            break
        if text[start] == "\n":
            start += 1  # a clause-start cue belongs to the clause after the newline
        if check_word and start and text[start].isalpha() and text[start - 1].isalnum():
            continue  # inside a word: "another" is not "other"
        context = None
        if before is not None or not_before is not None:
            # the window text[start - width : start], reversed: the context must match at its start
            window = reversed_text[size - start : size - max(0, start - width)]
            if not_before is not None and not_before.match(window):
                continue
            if before is not None:
                if not before.match(window):
                    continue
                if capturing:  # the value it captured: the ordinary (leftmost) match of the window
                    context = cue.before.search(text[max(0, start - width) : start])
        out.append((start, match, context))
    return out
