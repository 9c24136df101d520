"""Which cues of each set can match a text, found from its words and keys (the tables are in ``cues.py``).

Every (set, cue) pair has one bit of an integer. A text's words are looked up once against a word
index (each word's bits: the cues it can start, and the cues it completes: "no good" needs "good"),
its keys (a cue's leading literal, for the cues without a word) are searched for once each, and the
few conditions left are checked for the few cues they concern; the bits set are then read back
in C (``itertools.compress``) into one list per set.

The order of each list is fixed: the cues without a word as declared, then the word-gated ones as
declared. It must not depend on the order in which a set of words is iterated -- that changes with
``PYTHONHASHSEED`` -- because where two cues match one clause the first one taken can decide the
instance (:meth:`habits.behaviors.document.Doc.firsts`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import reduce
from itertools import compress
from operator import or_

from habits.behaviors.cue import Cue
from habits.behaviors.cues import SETS

__all__ = ["activate", "cue_order"]


def cue_order(members) -> list[Cue]:
    """The order in which :func:`activate` lists the active cues of a set."""
    return [m for m in members if not m.gate] + [m for m in members if m.gate]


_ORDER: list[Cue] = []
_RANGES: list[tuple[str, tuple[Cue, ...], int, int]] = []
for _name, _members in SETS.items():
    _start = len(_ORDER)
    _ORDER += cue_order(_members)
    _RANGES.append((_name, tuple(_ORDER[_start:]), _start, len(_ORDER)))

# Word-gated cues: one of their ``gate`` words must be in the text and, when they have ``also``
# words, one of those too.
_GATE_BITS: dict[str, int] = {}  # word -> the cues one of whose gate words it is
_ALSO_BITS: dict[str, int] = {}  # word -> the cues one of whose ``also`` words it is
_NO_ALSO = 0  # every bit, except those of the gated cues that need an ``also`` word
# Cues without a word: their key must be in the text (searched once per key: the regex engine's
# literal search is several times faster than ``in``, except for one character: memchr; a key with a
# punctuation mark is only searched for when the text has that mark at all).
_KEY_BITS: dict[str, int] = {}  # key -> the cues with that key and no further condition
_KEY_TESTS: dict[str, tuple[str | None, Callable | None]] = {}
_ALWAYS = 0  # cues with neither word nor key
_CHECKED: list[tuple[int, Cue]] = []  # cues with a further condition on the text: checked one by one
for _bit, _member in enumerate(_ORDER):
    _mask = 1 << _bit
    if _member.gate:
        for _word in _member.gate:
            _GATE_BITS[_word] = _GATE_BITS.get(_word, 0) | _mask
        if _member.also:
            for _word in _member.also:
                _ALSO_BITS[_word] = _ALSO_BITS.get(_word, 0) | _mask
        else:
            _NO_ALSO |= _mask
            if _member.also_text:
                _CHECKED.append((_mask, _member))
        continue
    _NO_ALSO |= _mask
    if _member.key and _member.key not in _KEY_TESTS:
        _marks = [char for char in _member.key if not char.isalpha()]
        _KEY_TESTS[_member.key] = (_marks[0] if _marks else None,
                                   None if len(_member.key) == 1 else re.compile(re.escape(_member.key)).search)
    if _member.also or _member.also_text:
        _CHECKED.append((_mask, _member))
    elif _member.key:
        _KEY_BITS[_member.key] = _KEY_BITS.get(_member.key, 0) | _mask
    else:
        _ALWAYS |= _mask
_GATE_WORDS, _ALSO_WORDS = frozenset(_GATE_BITS), frozenset(_ALSO_BITS)
_KEYS = [(key, *_KEY_TESTS[key], bits) for key, bits in _KEY_BITS.items()]
_BYTE_OF_BIT = bytes.maketrans(b"01", b"\x00\x01")


def activate(text: str, words: frozenset[str]) -> dict[str, list[Cue]]:
    """For every set, the cues that can match ``text`` (whose set of words is ``words``), in a fixed
    order: the cues without a word as declared, then those found through the text's words as declared."""
    # (the words in any order: their bits are or-ed, by reduce and map in C)
    gated = reduce(or_, map(_GATE_BITS.__getitem__, _GATE_WORDS & words), 0)
    also = reduce(or_, map(_ALSO_BITS.__getitem__, _ALSO_WORDS & words), 0)
    active = gated & (also | _NO_ALSO) | _ALWAYS
    present: dict[str, bool] = {}
    for key, mark, search, bits in _KEYS:
        found = present[key] = (mark is None or mark in text) and (search is None or search(text) is not None)
        if found:
            active |= bits
    for bit, member in _CHECKED:
        if member.gate:
            if active & bit and not any(item in text for item in member.also_text):
                active ^= bit
        elif (not member.key or _has_key(text, member.key, present)) and (
                member.also & words or any(item in text for item in member.also_text)):
            active |= bit
    flags = bin(active)[:1:-1].encode("ascii").translate(_BYTE_OF_BIT)  # one byte per cue, lowest bit first
    return {name: list(compress(members, flags[start:end])) for name, members, start, end in _RANGES}


def _has_key(text: str, key: str, present: dict[str, bool]) -> bool:
    found = present.get(key)
    if found is None:
        mark, search = _KEY_TESTS[key]
        found = present[key] = (mark is None or mark in text) and (search is None or search(text) is not None)
    return found
