"""Normalising text for the offline classifier: ASCII, lower case, one clause per line.

``prepare(text)`` is what the cues of :mod:`habits.behaviors.cues` run on. Unicode that carries
meaning is mapped to ASCII first -- operators (``×`` ``÷`` ``−`` ``≠``), ticks and crosses (``(ok)``,
``(no)``), full-width forms (``２×３＝６``), ideographic and other languages' punctuation (``。`` ``，``
``：`` ``¿`` ``«``), superscript exponents (``2¹⁰`` -> ``2^10``) -- and whatever else is not ASCII is
dropped, because Python's regex literal search is several times faster on ASCII strings. Every
clause boundary (line break, sentence end, semicolon, arrow, the comma between two calculations)
becomes a newline, and the text gets a newline at both ends.

``prepare_mapped(text)`` gives the same string plus, for each of its characters, the index of the
character of ``text`` it came from, so that instances found in the prepared text can be reported as
spans of the original (:func:`habits.behaviors.lexical.behavior_spans`). It is slower and only runs
when spans are asked for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from habits.behaviors.patterns import compile_ascii

MAX_CHARS = 1_000_000  # ~250k tokens: far beyond any sampled completion; bounds time on hostile input

# Chinese and Japanese words for the habits, given their English cue words (only looked for in a text
# with CJK characters; a longer word before a shorter one that it contains). The rest of a CJK text
# is dropped with the other non-ASCII characters, its numbers and operators kept.
_CJK = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")
CJK_WORDS = (
    ("目标", " target "), ("目標", " target "), ("还需要", " still need "), ("需要", " need "), ("必要", " need "),
    ("还差", " still need "), ("凑出", " make "), ("凑成", " make "), ("作って", " make "), ("作る", " make "),
    ("不行", " no. "), ("不对", " wrong. "), ("错了", " wrong. "), ("ダメ", " no. "), ("違う", " wrong. "),
    ("足りない", " not enough "), ("正好", " exactly "), ("验证", " check "), ("验算", " check "), ("检验", " check "),
    ("確認", " check "), ("検算", " check "), ("换个想法", " another idea: "), ("换个思路", " another approach: "),
    ("换一种", " another way "), ("別の方法", " another way "), ("倒推", " work backwards "),
    ("反推", " work backwards "), ("逆算", " work backwards "), ("所以", " so "),
)
# Full-width ASCII variants (U+FF01-FF5E) become their ASCII character, one for one.
_WIDE = re.compile("[\uff01-\uff5e]")
_WIDE_TABLE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_SUPERSCRIPT = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
# Latin letters with accents lose them ("Vérification" -> "Verification", "raté" -> "rate", "groß" ->
# "gross"), so that French, German or Spanish reasoning keeps its words.
_LATIN = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0152\u0153]")
_LATIN_OR_CJK = re.compile(_LATIN.pattern[:-1] + _CJK.pattern[1:])  # either set: one search says a text has neither
_LATIN_TABLE = {
    ord(char): {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ð": "d", "Ð": "D",
                "þ": "th", "Þ": "TH"}.get(char)
    or unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    for char in map(chr, [*range(0xC0, 0xD7), *range(0xD8, 0xF7), *range(0xF8, 0x100), 0x152, 0x153])
}
_SUPERSCRIPT_TABLE = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
# Unicode that carries meaning, mapped to ASCII (applied in this order, after the two above).
REPLACEMENTS = (
    ("×", "*"),
    ("✕", "*"),
    ("⋅", "*"),
    ("·", "*"),
    ("∙", "*"),
    ("÷", "/"),
    ("−", "-"),
    ("–", "-"),
    ("—", " - "),
    ("―", "-"),
    ("…", "..."),
    ("’", "'"),
    ("‘", "'"),
    ("“", '"'),
    ("”", '"'),
    ("„", '"'),
    ("«", '"'),
    ("»", '"'),
    ("≠", " != "),
    ("≈", " ~ "),
    ("→", "\n"),
    ("⇒", "\n"),
    ("⟹", "\n"),
    ("✓", " (ok) "),
    ("✔", " (ok) "),
    ("☑", " (ok) "),
    ("✅", " (ok) "),
    ("✗", " (no) "),
    ("✘", " (no) "),
    ("❌", " (no) "),
    ("✖", " (no) "),
    ("❎", " (no) "),
    ("。", ". "),  # ideographic full stop and comma: no space follows them in CJK text
    ("、", ", "),
    ("\u00a0", " "),  # no-break space (French "41 ;")
    ("\u202f", " "),
)
# Clause boundaries, each turned into a newline (sentence punctuation is kept): line breaks,
# sentence ends, semicolons, arrows, and the comma between two calculations ("= 24, 24 / 12 = 2, no";
# also after a verdict: "=24 vs 24 yes,6+24=30").
# Simple passes that start with a literal and have a constant replacement run in C at hundreds of
# MB/s; a single pass with a group in its replacement would call back into Python per match.
_VERDICTS = ("no", "nope", "nah", "yes", "ok", "wrong", "hmm", "hmmm", "ugh", "argh", "(no)", "(ok)")
BOUNDARIES = (
    (compile_ascii(r"\n\s+"), "\n"),  # (not \n\s*, which would replace every newline by itself)
    # (not after a list number: "1. 4 * 8 = 32" is one clause)
    (compile_ascii(r"\.(?<!\n\d\.)(?<!\n\d\d\.)(?<!^\d\.)(?<!^\d\d\.) \s*"), ".\n"),
    (compile_ascii(r"! \s*"), "!\n"),
    (compile_ascii(r"\? \s*"), "?\n"),
    (compile_ascii(r";\s*"), "\n"),
    (compile_ascii(r"->\s*"), "\n"),
    (compile_ascii(r"=>\s*"), "\n"),
    # (the one-character look-behind first: most commas follow none of these)
    (compile_ascii(r",(?<=[\d)so],)(?:(?<=[\d)],)|(?<=\byes,)|(?<=\bno,))\s*(?=\(?\d+(?:\.\d+)?\s*[-+*/](?!>))"), "\n"),
    # a verdict and the next calculation on one line: "= 18 nope 24 - 2 = 22" (one pass per verdict,
    # each starting with its literal: a single pass would stop at every space)
    *((compile_ascii(re.escape(word) + f" (?<![a-z']{re.escape(word)} )" + r"(?= ?\(?-?\d+(?:\.\d+)?\s*[-+*/]\s*\(?\d)"),
       word + "\n") for word in _VERDICTS),
)
# What each pass needs to have anything to do: a character (looked for with memchr, much faster than
# a pass over a text without it) or, for a verdict pass, its word among the text's words (no pass
# changes the set of words: each turns separators into a newline, so the words are found once).
_NEEDS = (("\n", None), (".", None), ("!", None), ("?", None), (";", None), (">", None), (">", None), (",", None),
          *((None, word.strip("()")) for word in _VERDICTS))
_NOISE = re.compile(r"[`#\r\t]")
_NOISE_AND_CASE = bytes.maketrans(b"`#\r\tABCDEFGHIJKLMNOPQRSTUVWXYZ", b"    abcdefghijklmnopqrstuvwxyz")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_BOLD = re.compile(r"\*\*")


def _superscript(match: re.Match) -> str:
    return "^" + match.group().translate(_SUPERSCRIPT_TABLE)


def _unaccent(match: re.Match) -> str:
    return _LATIN_TABLE[ord(match.group())]


def prepare(text: str) -> str:
    """Lower-cased ASCII text with one clause per line and a newline at both ends."""
    return prepare_with_words(text)[0]


def prepare_with_words(text: str) -> tuple[str, frozenset[str]]:
    """``prepare(text)`` and its set of words (:func:`words`), found on the way."""
    text = text[:MAX_CHARS]
    if not text.isascii():
        # Every mapping below turns characters of its own into ASCII, so their order does not matter:
        # the common ones first, then the rarer look-ups only for a text that still needs them.
        for old, new in REPLACEMENTS:
            if old in text:
                text = text.replace(old, new)
        if not text.isascii():
            if _WIDE.search(text):
                text = text.translate(_WIDE_TABLE)
            if _SUPERSCRIPT.search(text):
                text = _SUPERSCRIPT.sub(_superscript, text)
            found = _LATIN_OR_CJK.search(text)  # (one search for both: most texts have neither)
            if found is not None:
                if _LATIN.search(text, found.start()):  # (a sub: translate would look up every character)
                    text = _LATIN.sub(_unaccent, text)
                if _CJK.search(text, found.start()):
                    for old, new in CJK_WORDS:
                        if old in text:
                            text = text.replace(old, new)
    # "**" is markdown bold far more often than a power (which the tasks do not allow anyway); the
    # noise characters and upper case are mapped by one bytes.translate (the text is ASCII by now)
    ascii_bytes = text.encode("ascii", "ignore").replace(b"**", b" ").translate(_NOISE_AND_CASE)
    found = frozenset(ascii_bytes.translate(_WORD_BYTES).decode("ascii").split())
    text = ascii_bytes.decode("ascii")
    for (boundary, replacement), (mark, word) in zip(BOUNDARIES, _NEEDS):
        if (mark is None or mark in text) and (word is None or word in found):
            text = boundary.sub(replacement, text)
    return "\n" + text + "\n", found


def prepare_mapped(text: str) -> tuple[str, list[int]]:
    """``prepare(text)`` and, for each of its characters, the index in ``text`` it came from.

    Characters that a replacement inserted point at the first character it replaced; the two
    added newlines point at the start and the end of ``text``.
    """
    text = text[:MAX_CHARS]
    origin = list(range(len(text)))
    if not text.isascii():
        text = text.translate(_WIDE_TABLE)  # one character for one: the map is unchanged
        text, origin = _sub_mapped(_SUPERSCRIPT, _superscript, text, origin)
        for old, new in REPLACEMENTS:
            if old in text:
                text, origin = _sub_mapped(re.compile(re.escape(old)), new, text, origin)
        text, origin = _sub_mapped(_LATIN, _unaccent, text, origin)
        for old, new in CJK_WORDS:
            if old in text:
                text, origin = _sub_mapped(re.compile(re.escape(old)), new, text, origin)
        text, origin = _sub_mapped(_NON_ASCII, "", text, origin)
    text, origin = _sub_mapped(_BOLD, " ", text, origin)
    text = _NOISE.sub(" ", text).lower()  # one character for one
    for boundary, replacement in BOUNDARIES:
        text, origin = _sub_mapped(boundary, replacement, text, origin)
    end = origin[-1] + 1 if origin else 0
    return "\n" + text + "\n", [0, *origin, end]


def _sub_mapped(pattern: re.Pattern, replacement: str | Callable[[re.Match], str], text: str,
                origin: list[int]) -> tuple[str, list[int]]:
    """``pattern.sub(replacement, text)`` and the origin of each character of the result."""
    pieces: list[str] = []
    places: list[int] = []
    last = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        if isinstance(replacement, str):
            new = match.expand(replacement) if "\\" in replacement else replacement
        else:
            new = replacement(match)
        pieces.append(text[last:start])
        places.extend(origin[last:start])
        pieces.append(new)
        places.extend([origin[start]] * len(new))
        last = end
    if not pieces:
        return text, origin
    pieces.append(text[last:])
    places.extend(origin[last:])
    return "".join(pieces), places


_WORD_BYTES = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz'" else 32 for c in range(256))


def words(text: str) -> frozenset[str]:
    """The set of words in an ASCII text (bytes.translate and split run in C at hundreds of MB/s)."""
    return frozenset(text.encode("ascii").translate(_WORD_BYTES).decode("ascii").split())
