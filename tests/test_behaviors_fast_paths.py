"""The offline classifier's fast paths give exactly what their plain forms give.

The classifier is written for speed (literal-first and ASCII-compiled regular expressions, reversed
context checks, one ``search`` before a cue's ``finditer``, skipped look-ups, a token count without
the regex). Each piece is checked here against the plain way of doing the same thing, kept in this
file; the last tests run the whole classifier with every plain form swapped in and compare counts,
spans and targets on the labeled fixtures.
"""

from __future__ import annotations

import json
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habits.behaviors import BEHAVIORS, behavior_spans, count_behaviors, cues, document, lexical, text
from habits.behaviors.agreement import FIXTURES, fixture_path  # FIXTURES: every shipped labeled set
from habits.behaviors.lexical import infer_target
from habits.behaviors.patterns import ascii_pattern, reverse
from habits.traces.tokens import count_regex_tokens

# characters of prepared text, with the separators \x1c-\x1f that Unicode counts as white space
PREPARED = st.text(alphabet="abdefgilmnoprstuvwxy _'0123456789 =+-*/().,:;!?<>{}\"\n\t\x0b\x1c\x1f", max_size=60)


def completions() -> list[str]:
    return [json.loads(line)["completion"] for name in FIXTURES
            for line in fixture_path(name).read_text(encoding="utf-8").splitlines()]


def joined(texts: list[str], n: int, seed: int = 0) -> list[str]:
    """Long dense documents: fixture traces joined a few at a time."""
    rng = random.Random(seed)
    return ["\n".join(rng.sample(texts, 6)) for _ in range(n)]


def every_cue() -> list[cues.Cue]:
    return list({id(member): member for found in cues.SETS.values() for member in found}.values())


# --- the plain forms ----------------------------------------------------------------------------------
PLAIN_LOGIC = {
    "_NUMBER": r"(?<![\d.])\d+(?:\.\d+)?",
    "_SPLIT": r"(?<![\d.)+*/-])(?<![\d.)+*/-] )(\d+) *= *\d+ *[-+*/] *\d+(?!\d|\.\d| *[-+*/(])",
    "_FRESH": r"(?<![\d.])(\d+(?:\.\d+)?)(?:\^\d+)?\s*[-+*/]\s*\(?\d",
    "_LEADING_NUMBER": r"^\D{0,30}?(\d+(?:\.\d+)?)",
}
PLAIN_ANSWERISH = re.compile(r"<answer>|\"(?:formula|answer|number)\"\s*:|^\s*\{")
_SPELT = "[" + r"\t-\r\x1c-\x20" + "]"


def plain(pattern: re.Pattern) -> re.Pattern:
    """The Unicode pattern an ASCII-compiled one was written as (``\\s`` not spelt out)."""
    if pattern not in _PLAIN:
        source = pattern.pattern.replace(_SPELT, r"\s").replace(_SPELT[1:-1], r"\s")
        assert ascii_pattern(source) == pattern.pattern
        _PLAIN[pattern] = re.compile(source, pattern.flags & ~re.ASCII)
    return _PLAIN[pattern]


_PLAIN: dict[re.Pattern, re.Pattern] = {}


def plain_accept(text_: str, reversed_text: str, cue: cues.Cue, stop: int | None = None) -> list:
    """Every regex match of the cue that starts a word where it must, with its context searched for."""
    out = []
    for match in cue.pattern.finditer(text_):
        if stop is not None and match.start() >= stop:
            break
        start = match.start()
        if text_[start] == "\n":
            start += 1
        if cue.word and not cue.bounded and start and text_[start].isalpha() and text_[start - 1].isalnum():
            continue
        window = text_[max(0, start - cue.window) : start]
        if cue.not_before is not None and cue.not_before.search(window):
            continue
        context = None
        if cue.before is not None:
            context = cue.before.search(window)
            if context is None:
                continue
        out.append((start, match, context if cue.before.groups else None) if cue.before else (start, match, None))
    return out


def plain_activate(prepared: str, found: frozenset[str]) -> dict[str, list[cues.Cue]]:
    """Each cue's key looked up with ``in``, each word-gated cue through its words (same order as before)."""
    out: dict[str, list[cues.Cue]] = {name: [] for name in cues.SETS}
    for name, member, key in cues._BY_KEY:
        if (not key or key in prepared) and (not (member.also or member.also_text)
                                            or member.also & found or any(t in prepared for t in member.also_text)):
            out[name].append(member)
    for word in sorted(cues._ALL_WORDS & found):
        for name, member, check, _ in cues._TRIGGERS[word]:
            if check is None or not check.isdisjoint(found):
                out[name].append(member)
    return {name: [m for m in dict.fromkeys(ms) if not m.also_text or m.also or any(t in prepared for t in m.also_text)]
            for name, ms in out.items()}


def plain_prepare(raw: str) -> str:
    """Every mapping in turn, each found by a search; every clause boundary pass."""
    raw = raw[: text.MAX_CHARS]
    if text._WIDE.search(raw):
        raw = raw.translate(text._WIDE_TABLE)
    if text._SUPERSCRIPT.search(raw):
        raw = text._SUPERSCRIPT.sub(text._superscript, raw)
    for old, new in text.REPLACEMENTS:
        raw = raw.replace(old, new)
    raw = raw.translate(text._LATIN_TABLE)
    for old, new in text.CJK_WORDS:
        raw = raw.replace(old, new)
    raw = raw.encode("ascii", "ignore").decode("ascii")
    raw = re.sub(r"[`#\r\t]", " ", raw.replace("**", " ")).lower()
    for boundary, replacement in text.BOUNDARIES:
        if boundary.pattern.startswith("\n"):
            boundary = re.compile(r"\n\s*")  # every newline replaced by itself and the white space after it
        raw = plain(boundary).sub(replacement, raw)
    return "\n" + raw + "\n"


# --- each piece ---------------------------------------------------------------------------------------
def test_cue_contexts_read_backwards_match_where_the_forward_search_does():
    contexts = {c: r for m in every_cue() for c, r in ((m.before, m.before_reversed),
                                                        (m.not_before, m.not_before_reversed)) if c}
    rng = random.Random(1)
    windows = []
    for prepared in map(text.prepare, completions()):
        windows += [prepared[max(0, s - 60) : s] for s in rng.sample(range(len(prepared)), min(25, len(prepared)))]
    for context, backwards in contexts.items():
        for window in windows:
            assert (context.search(window) is None) == (backwards.match(window[::-1]) is None), (context, window)


@settings(max_examples=300, deadline=None)
@given(PREPARED)
def test_cue_contexts_read_backwards_match_on_any_text(window):
    for member in every_cue():
        for context, backwards in ((member.before, member.before_reversed), (member.not_before, member.not_before_reversed)):
            if context is not None:
                assert (context.search(window) is None) == (backwards.match(window[::-1]) is None)


def test_reverse_refuses_what_it_cannot_read_backwards():
    with pytest.raises(ValueError):
        reverse(r"(?<=a)b$")
    with pytest.raises(ValueError):
        reverse(r"ab")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=[chr(c) for c in range(128)], max_size=40))
def test_ascii_compiled_cues_match_as_their_unicode_forms_on_ascii_text(sample):
    for member in every_cue():
        for compiled in (member.pattern, member.before, member.not_before):
            if compiled is not None:
                assert [m.span() + m.groups() for m in compiled.finditer(sample)] == \
                       [m.span() + m.groups() for m in plain(compiled).finditer(sample)]


def test_ascii_pattern_spells_out_white_space_inside_and_outside_sets():
    assert ascii_pattern(r"a\s+[\s,]\\s\[\s]") == r"a[\t-\r\x1c-\x20]+[\t-\r\x1c-\x20,]\\s\[[\t-\r\x1c-\x20]]"
    assert ascii_pattern(r"[]\s]") == r"[]\t-\r\x1c-\x20]"
    with pytest.raises(ValueError):
        ascii_pattern(r"[\S]")


def logic_cases() -> list[str]:
    texts = [text.prepare(t) for t in completions()]
    return texts + [line for t in texts for line in t.split("\n")]


@pytest.mark.parametrize("name", sorted(PLAIN_LOGIC))
def test_logic_patterns_find_what_their_plain_forms_find(name):
    fast, slow = getattr(lexical, name), re.compile(PLAIN_LOGIC[name])
    rng = random.Random(2)
    for case in logic_cases():
        a, b = sorted(rng.randrange(len(case) + 1) for _ in range(2))
        if name == "_LEADING_NUMBER":  # read at the start of a clause: match, where the plain form has "^"
            found, expected = fast.match(case), slow.search(case)
            assert (found and found.span() + found.groups()) == (expected and expected.span() + expected.groups())
            continue
        assert [m.span() + m.groups() for m in fast.finditer(case, a, b)] == \
               [m.span() + m.groups() for m in slow.finditer(case, a, b)]


@settings(max_examples=300, deadline=None)
@given(PREPARED)
def test_logic_patterns_find_what_their_plain_forms_find_in_any_text(sample):
    for name, source in PLAIN_LOGIC.items():
        fast, slow = getattr(lexical, name), re.compile(source)
        if name == "_LEADING_NUMBER":
            found, expected = fast.match(sample), slow.search(sample)
            assert (found and found.span() + found.groups()) == (expected and expected.span() + expected.groups())
        else:
            assert [m.span() + m.groups() for m in fast.finditer(sample)] == \
                   [m.span() + m.groups() for m in slow.finditer(sample)]
    for line in sample.split("\n"):
        assert lexical._answerish(line) == bool(PLAIN_ANSWERISH.search(line))


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=[chr(c) for c in range(128)])))
def test_regex_token_count_is_the_regex_count(sample):
    from habits.traces.tokens import _TOKEN

    assert count_regex_tokens(sample) == len(_TOKEN.findall(sample))


def test_regex_token_count_is_the_regex_count_on_traces_and_prose():
    from habits.traces.tokens import _TOKEN

    for sample in completions() + ["snake_case_name 3.14 x²+y² ½ ١٢٣ naïve"]:
        assert count_regex_tokens(sample) == len(_TOKEN.findall(sample))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_prepare_gives_the_plain_steps_text_and_its_words(raw):
    prepared, found = text.prepare_with_words(raw)
    assert prepared == plain_prepare(raw) == text.prepare_mapped(raw)[0]
    assert found == text.words(prepared)


def test_prepare_gives_the_plain_steps_text_on_the_fixtures():
    for raw in completions():
        prepared, found = text.prepare_with_words(raw)
        assert prepared == plain_prepare(raw) and found == text.words(prepared)


def test_cue_lookup_finds_the_plain_lookups_cues_in_the_same_order():
    texts = completions()
    for prepared, found in map(text.prepare_with_words, texts + joined(texts, 20) + [" ".join(texts)]):
        assert cues.activate(prepared, found) == plain_activate(prepared, found)


def test_replacements_map_single_characters_to_ascii_outside_the_other_mappings():
    # prepare applies them in one order and skips the rarer look-ups on text that is ASCII by then
    for old, new in text.REPLACEMENTS:
        assert len(old) == 1 and not old.isascii() and new and new.isascii()
        assert ord(old) not in text._WIDE_TABLE and not text._SUPERSCRIPT.match(old)


# --- the whole classifier -------------------------------------------------------------------------------
@pytest.fixture
def plain_classifier(monkeypatch):
    """Every fast path of the classifier replaced by its plain form."""
    for name, source in PLAIN_LOGIC.items():
        monkeypatch.setattr(lexical, name, re.compile(source))
    monkeypatch.setattr(lexical, "_LEADING_NUMBER", type("Search", (), {
        "match": staticmethod(re.compile(PLAIN_LOGIC["_LEADING_NUMBER"]).search)})())
    monkeypatch.setattr(lexical, "_answerish", lambda line: PLAIN_ANSWERISH.search(line) is not None)
    monkeypatch.setattr(lexical, "prepare_with_words", lambda raw: (plain_prepare(raw), text.words(plain_prepare(raw))))
    monkeypatch.setattr(cues, "activate", plain_activate)
    monkeypatch.setattr(document, "accept", plain_accept)
    saved = [(m, m.direct, m.pattern, m.before, m.not_before) for m in every_cue()]
    for member, *_ in saved:  # every cue through plain_accept, with its Unicode patterns
        object.__setattr__(member, "direct", False)
        for field in ("pattern", "before", "not_before"):
            if getattr(member, field) is not None:
                object.__setattr__(member, field, plain(getattr(member, field)))
    yield
    for member, direct, pattern, before, not_before in saved:
        for field, value in (("direct", direct), ("pattern", pattern), ("before", before), ("not_before", not_before)):
            object.__setattr__(member, field, value)


def classify_all(texts: list[str]) -> list:
    return [(count_behaviors(t), count_behaviors(t, target=24), infer_target(t), behavior_spans(t)) for t in texts]


def test_fast_paths_count_and_place_behaviors_as_the_plain_classifier(request):
    texts = completions()
    texts += joined(texts, 60)
    fast = classify_all(texts)
    request.getfixturevalue("plain_classifier")
    slow = classify_all(texts)
    assert sum(sum(counts.values()) for counts, *_ in fast) > 1000  # dense enough to exercise every path
    mismatches = [t for t, a, b in zip(texts, fast, slow) if a != b]
    assert not mismatches, mismatches[:3]
    assert {name for counts, *_ in fast for name, n in counts.items() if n} == set(BEHAVIORS)


def test_each_boundary_pass_is_skipped_only_when_it_has_nothing_to_do():
    assert len(text._NEEDS) == len(text.BOUNDARIES)
    for (boundary, _), (mark, word) in zip(text.BOUNDARIES, text._NEEDS):
        source = boundary.pattern.replace(r"\n", "\n")
        assert (mark is None) != (word is None)
        assert mark is None or mark in source  # every match holds the mark
        assert word is None or re.match(r"\\?\(?" + word, boundary.pattern)  # a verdict pass starts with its word
