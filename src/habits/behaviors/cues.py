"""The lexical classifier's cue tables: which phrases signal which behavior (see ``lexical.py``).

What a cue is is in ``cue.py``; the tables of the goal-directed habits (subgoals, backward chaining,
the target votes) are in ``goal_cues.py``; all sets are looked up together here (:func:`activate`).
Every cue is a regular expression that starts with a literal word or symbol, so Python's ``re``
jumps between candidates with its fast literal search instead of trying an alternation at every
character (a 20-100x difference); alternatives are therefore separate cues (:func:`cues`).
Context that would need a variable-width look-behind ("``24`` *is left*", "*that* works") is a
``before`` pattern, checked on the few candidates only. A cue whose pattern starts with a letter
must start a word. Each cue's words (or its leading literal, its ``key``) are looked up first
(:func:`activate`), so a cue whose word is absent from a text costs almost nothing.

Text reaching these patterns is already normalised by ``text.prepare``: ASCII, lower case,
one clause per line, a newline at both ends, ticks as ``(ok)`` and crosses as ``(no)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from habits.behaviors import foreign_cues as foreign
from habits.behaviors.cue import Cue, CueSet, cue, cues
from habits.behaviors.goal_cues import (
    BACKWARD, DECOMPOSE, FROM_TARGET, NEED_NUMBER, NUM_ONCE, SUBGOAL, TARGET_VOTES,
)

__all__ = ["Cue", "CueSet", "SETS", "activate", "cue", "cues"]


# a check of software against a platform ("verified against Python 3.10", "tested on Windows"), not of a result
_PLATFORM = (
    r"(?!\s+(?:against|on|with|under|for|in)\s+(?:python|pypy|cpython|windows|linux|macos|ubuntu|debian|node|java|jdk|"
    r"chrome|firefox|safari|ios|android|versions?\b|releases?\b|v\d))"
)
_RULE_OBJECT = (
    r"(?!\s+(?:the\s+|what\s+|which\s+|how\s+|if\s+the\s+|that\s+the\s+|my\s+)?(?:rules?|instructions?|"
    r"problem|question|task|card\s+values?|operations?|allowed|constraints?|statement|format|input|"
    r"requirements?|numbers\s+given)\b)"
)
_THAT = r"\b(?:which|that|this|it)"
_END = r"(?=[.!?)\s]*\n)"  # the word ends its clause
_FAILING_WORD = re.compile(r"no|nah|wrong|close")
_NUMBER_FOLLOWS = r"(?=[^\n]{0,80}\d)"  # a check names what it checks: "Check: 7 * 8 = 56", not "check if it builds"
_RESULT = r"=\s*-?\d+(?:\.\d+)?\s*\(?\s*"  # a verdict word right after a result: "=26 low", "=19 (hit)"
# a verdict that ends its clause follows a number, punctuation or a copula ("= 97 no", "Hmm, no.", "that's wrong")
# -- not a sentence cut by a line wrap ("... uses no\nexternal libraries")
_VERDICT_BEFORE = r"(?:\d\)?|[,.!:;(-]|\b(?:is|was|that's|it's|looks|seems|sounds|but|all|hmm+|oh|so))\s*"

# --- verification: checks of a result against the target, a needed value or the number rules ---
VERIFY = CueSet(
    cue(r"\(ok\)"),
    cue(r"\(no\)", fail=True),
    cue(r"\(yes\)"),
    cue(
        r"check(?:s|ed|ing)?\b" + _RULE_OBJECT + _PLATFORM + _NUMBER_FOLLOWS,
        word=False,
        gate="check checks checked checking recheck rechecked rechecking",
    ),  # check, double-check, re-check, sanity check
    cue(
        r"verif(?:y|ies|ied|ying|ication)\b" + _RULE_OBJECT + _PLATFORM + _NUMBER_FOLLOWS,
        gate="verify verifies verified verifying verification",
    ),
    cue(r"confirm(?:s|ed|ing)?\b" + _RULE_OBJECT + _PLATFORM + _NUMBER_FOLLOWS, gate="confirm confirms confirmed confirming"),
    cue(
        r"not\s+(?:(?:equal\s+to\s+|quite\s+|exactly\s+)?-?\d+|enough\b|quite\b|working\b|(?:the\s+target|right|valid|"
        r"it|an?\s+integer|whole)\b)",
        fail=True,
    ),
    cue(r"!=\s*-?\(?\d", fail=True),  # "7!=10" (not "lastPt != movePt")
    cue(r"==(?<=[\d)]==)\s*-?\d"),  # a terse comparison that holds: "2+8=10==10" (not "numpy==1.2")
    cue(r"vs\s+-?\d+\s+(?:yes|no)\b", fail=re.compile(r"no$")),  # a terse verdict: "=8 vs 10 no"
    cue(r"=/=", fail=True),
    cue(r"too\s+(?:big|small|high|low|large|much|little)\b", fail=True),
    cue(r"way\s+(?:over|under|off)\b", fail=True),
    # a number judged in words right after it: "= 45, nowhere near 82", "1.4 is a bit low"
    cue(r"nowhere\s+(?:near|close)\b", before=r"\d\)?[^\n\d]{0,12}", fail=True),
    *cues(r"a\s+bit|a\s+little|a\s+tad|slightly", r"\s+(?:too\s+)?(?:low|high|big|small|large|short|over|under)\b",
          before=r"\d\)?[^\n\d]{0,12}", fail=True),
    *cues("overshoot|undershoot|exceed", r"s?\b", gate="{} {}s", fail=True),
    *cues(
        r"short|over|off|too\s+many|too\s+few|more\s+than|less\s+than|away",
        r"\b",
        before=r"\b(?:one|two|three|\d+)\s+",
        fail=True,
    ),
    cue(r"short\s+of\b", fail=True),
    cue(r"so\s+close\b", fail=True),
    cue(r"close,?\s+but\b", fail=True),
    cue(r"almost(?:\s+(?:\d|there|got|had|right|works?|exactly)|(?=[.!?)\s]*\n)|\s*[!,])"),
    cue(r"off\s+by\b", fail=True),
    cue(r"no\s+good\b", fail=True, also="good"),
    *cues(
        "correct|right",
        r"\b(?!\s+(?:now|away|to|answer))",
        before=_THAT + r"(?:'s|\s+is|\s+was)?\s+(?:exactly\s+)?",
    ),
    *cues("wrong|incorrect", r"\b", before=_THAT + r"(?:'s|\s+is|\s+was)?\s+(?:exactly\s+)?", fail=True),
    cue(r"that's\s+it\b"),
    cue(r"isn't\s+(?:valid|it|right)\b", fail=True),
    *cues(r"works|worked|matches|checks\s+out", r"\b", before=_THAT + r"\s+"),
    cue(r"fail(?:s|ed)\b(?!\s+to\b)", before=_THAT + r"\s+", gate="fails failed", fail=True),
    cue(
        r"work(?:s|ing)?(?:\s+out)?\b",
        gate="work works working",
        before=r"\b(?:doesn't|does\s+not|didn't|won't|will\s+not)\s+(?:quite\s+)?",
        fail=True,
    ),
    cue(
        gate="none nothing",
        pattern=r"no(?:ne|thing)\s+(?:of\s+(?:these|them|those)\s+)?(?:works?|gives?|reach(?:es)?|gets?)\b",
        fail=True,
    ),
    cue(r"target\b", before=r"\b(?:matches|equals|hits|reaches|is|gives)\s+(?:exactly\s+)?(?:(?:the|our)\s+)?"),
    cue(r"exactly\s+(?:our\s+target|the\s+target|(?:the\s+)?\d+)\b",
        before=r"(?:\b(?:is|are|was|gives?|gave|makes?|made|got|get|equals?|hits?|reach(?:es)?|that's|it's)|[=,])\s*"),
    # the numbers rule: unused, left over, used twice, all used once
    # a number left unused or used twice ("2 unused", "the 4 is still hanging"; not "unused variable")
    *cues("unused|extra|stuck|hanging|twice", r"\b", before=r"\d\)?[^\n\d]{0,25}", fail=True),
    cue(r"left\s*over\b", fail=True),
    *cues(
        "left|remain|remains|missing",
        r"\b",
        before=r"\b\d+\s+(?:is\s+|are\s+|was\s+)?(?:still\s+)?",
        fail=True,
    ),
    cue(
        gate="leave leaves leaving",
        # (not a remainder worked on next: "7 * 20 = 140, which leaves 21, and 21 = 7 * 3", "leaves 21 to make")
        pattern=r"leav(?:es?|ing)\s+(?:the\s+|a\s+|one\s+|another\s+)?(\d+)\b"
        r"(?!\s+to\s+(?:make|get|reach|cover|find)\b|[^\n\d]{0,12}\b\1\s*=)",
        fail=True,
    ),
    *cues("and|but", r"\s+(?:the\s+)?\d+\s*\?", not_before=r"\b(?:from|of|with|using)\b[^\n]*", window=80, also="?"),
    *cues(
        "all|every|each",
        r"\s+(?:three\s+|four\s+|of\s+the\s+)?(?:numbers?\s+|cards?\s+)?(?:is\s+|are\s+|were\s+)?"
        r"used\b",
    ),
    cue(r"uses\s+(?:all|each|every|\d+\s*,|\d+\s+(?:twice|three\s+times))"),
    cue(r"used\s+(?:exactly\s+)?once\b", not_before=r"\bbe\s+"),
    cue(r"each\s+(?:exactly\s+)?once\b"),
    cue(r"only\s+(?:one|two)\s+\d+", fail=True),
    cue(r"no\s+\d+\b", before=r"\b(?:but|there's|there\s+is)\s+", fail=True),
    cue(r"no\s+\d+\s*[.!]", fail=True),
    # hitting the target: "= 24!", "bingo"
    cue(r"=\s*+-?+" + NUM_ONCE + r"\s*+!(?!=)"),  # not "=7!=10", a failed comparison
    *cues(r"bingo|got\s+it|there\s+it\s+is|found\s+it|yay", r"\b"),
    # one-word verdicts ending or starting a clause: "66+31=97 no", "Nope.", "| no |"
    cue(r"no(?:o*|pe)" + _END, gate="no noo nooo nope", before=_VERDICT_BEFORE, fail=True),
    *cues("nah|wrong|incorrect|close|argh|ugh", _END, before=_VERDICT_BEFORE, fail=True),
    cue(r"yes+" + _END, gate="yes yess yesss", before=_VERDICT_BEFORE),
    cue(r"x" + _END, before=r"=\s*-?\d+(?:\.\d+)?\s+", fail=True),  # "12 + 4 + 3 + 2 = 21 x"
    *cues(r"yep|yup|correct|good|ok|okay|perfect", _END, before=_VERDICT_BEFORE),
    cue(
        r"\n[^\w\n]*(?:no+|nope|nah|yes+|yep|yup|correct|wrong|close|almost)\b"
        r"(?=\s*(?:[,.!?;:)\-]|\d|\n))",  # a verdict on its own ("No, 25."), not "No changes since 2.0"
        fail=_FAILING_WORD,
        gate="no noo nope nah yes yess yep yup correct wrong close almost",
    ),
    cue(r"\|\s*(?:no|yes|ok)\s*\|", fail=re.compile(r"no")),
    # a verdict word right after a result: "=26 low", "=52 matches", "= 19 (hit)", "=60 ok"
    *cues(r"low|high|over|under|off|miss|missed|fails?|failed|bad|big|small", r"\b", before=_RESULT, fail=True),
    *cues(r"matches|match|fits|hits?|ok|okay|perfect|exact|works", r"\b", before=_RESULT),
    *cues(r"target|goal", r"\b", before=r"=+\s*(?:the\s+|our\s+|my\s+)?"),  # "41 == target", "25 = target"
    # a number judged in words: "36 works", "66 is not divisible by 12", "the 3 is taken"
    *cues(r"works|fits|checks\s+out", r"\b", before=r"\b\d+(?:\.\d+)?\s+", anchored=True),
    cue(r"fails\b", before=r"\b\d+(?:\.\d+)?\s+", anchored=True, fail=True),
    cue(r"is\s+not\s+(?:divisible|prime|an?\s+(?:integer|whole\s+number|solution|root)|whole|possible|allowed|valid|"
        r"a\s+multiple)\b", before=r"\b\d+(?:\.\d+)?\s+", anchored=True, fail=True,
        also="divisible prime integer whole solution root possible allowed valid multiple"),
    *cues(r"taken|gone|used\s+up|already\s+used|reserved|spent", r"\b",
          before=r"\b\d+\s+(?:is\s+|are\s+|was\s+|were\s+)?(?:already\s+|now\s+)?", fail=True),
    # written-out verdicts of math prose
    cue(r"as\s+(?:required|expected|desired|predicted|claimed|wanted|needed|it\s+should(?:\s+be)?)\b"),
    cue(r"agrees?\s+with\b"),
    cue(r"agrees\b", before=_THAT + r"\s+"),
    cue(r"consistent\b", before=r"\b(?:is|are|seems|looks|remains)\s+(?:fully\s+)?"),
    cue(r"match(?:es)?\b", before=r"\b(?:doesn't|does\s+not|don't|do\s+not|didn't|did\s+not|won't)\s+", fail=True),
    cue(r"impossible\b", fail=True),
    cue(r"not\s+possible\b", fail=True, also="possible"),
    cue(r"went\s+wrong\b", fail=True),
    cue(r"dead\s+end" + _END, before=r"(?:[,:(-]|\n|\b(?:a|another|that's|it's|is|was|hits?|reached?))\s*", fail=True),
    cue(r"short\b", before=r"\b(?:still|bit|little|way|just)\s+", fail=True),
    *cues(r"remaining|left|left\s+over", r"\s*:\s*\(?\d", fail=True, also=":"),  # "Remaining: 10" -- a number not used
    *foreign.VERIFY,  # the same habits in French, German and Spanish (foreign_cues.py)
)

# --- backtracking: explicit switches to another approach ----------------------------------------
_NOUNS = (
    r"\s+(?:approach|way|idea|route|combination|pairing|plan|strategy|option|attempt|tack|angle|order|"
    r"grouping|possibility|method|split|thought|try)\b"
)
SWITCH = CueSet(
    cue(
        gate="try trying",
        pattern=r"try(?:ing)?\s+(?:again|another|a\s+different|something\s+(?:else|different)|other|instead|the\s+other)\b",
    ),
    cue(r"attempt\s+(?:again|another|a\s+different|something\s+else)\b"),
    *cues("another|different|new|other|next", _NOUNS),
    cue(r"instead\b(?!\s+of\b)"),
    cue(r"instead\s+of\b", before=r"\b(?:try|trying|let(?:'s|\s+me|\s+us)|i'll|we'll|maybe|how\s+about|"
        r"what\s+about)\b[^\n]{0,30}"),
    *cues("scratch|scrap|forget|undo|drop|abandon|ditch", r"\s+(?:that|this|it)\b"),
    cue(r"abandon\b", gate="abandon"),
    cue(r"start(?:ing)?\s+(?:over|again|from\s+scratch)\b", gate="start starting"),
    # back to an earlier point of the reasoning ("back to 9 * 8", "back to the drawing board", "back to my first
    # idea") -- not "back to top", "back to the previous lesson", "went back to basics"
    cue(r"back\s+to\s+(?:\(?\d|square\s+one\b|\w+ing\b|(?:my|our)\s|that\b|it\b|the\s+(?:\d|drawing\s+board\b|start\b|"
        r"beginning\b|original\b|previous\s+(?:step|idea|approach|attempt|result)\b|idea\b|approach\b|plan\b|numbers\b|"
        r"first\s+(?:idea|approach|attempt|step|one)\b))", not_before=r"\b(?:fall|falls|falling|fell|write|writes|written|feed|fed|report|get|gets|"
        r"welcome|come|comes)\s+"),
    cue(r"back\b(?=\s*(?:[:,.!(\n-]|and\b|up\b|a\s+step\b|\d|to\s+(?:\(?\d|square\s+one|\w+ing\b|the\s+(?:\d|drawing\s+board|"
        r"start|beginning|first|original|previous\s+(?:step|idea|approach|attempt)|idea|approach|plan|numbers))))",
        before=r"\b(?:go(?:ing)?|step(?:ping)?|went)\s+"),
    # a clause that opens with "back" and goes on with a new line of work: "back 10/5=2", "back need 3:"
    cue(r"\n[^\w\n]*back\b(?=\s*(?:\(?\d|need\b|up\b))", gate="back"),
    cue(r"backtrack(?:s|ed|ing)?\b", gate="backtrack backtracks backtracked backtracking"),
    cue(r"re-?(?:think|thinking|consider|considering|do|doing|did|work|working)\b",
        gate="re rethink rethinking reconsider reconsidering redo redoing redid rework reworking"),
    # "let me retry", "retry: 8 * 3" -- not software's "retry logic", "retrying failed requests"
    cue(r"retr(?:y|ying|ied)\b", gate="retry retrying retried",
        before=r"\b(?:let(?:'s|\s+me|\s+us)|i'll|we'll|i|we|so|then|ok|okay|now|just)\s+"),
    cue(r"\n[^\w\n]*retry(?:ing)?\b(?=\s*[:,(\d-]|\s+(?:with|using|from)\b)", gate="retry retrying"),
    cue(r"alternative(?:ly|\s*:)", gate="alternative alternatively"),
    cue(r"or\s+(?:maybe|perhaps)\b"),
    cue(r"on\s+second\s+thought"),
    cue(r"more\s+promising\b"),
    cue(r"oops", word=False, gate="oops whoops"),
    cue(r"mistake\b", before=r"\b(?:my|made\s+an?|a)\s+"),
    cue(r"error\b", before=r"\bmade\s+an?\s+"),
    cue(r"wrong\b", before=r"\b(?:that\s+was|i\s+was)\s+"),
    cue(r"switch\s+(?:it\s+up|approach|strategy|plan|tack|to)\b"),
    cue(r"change\s+(?:approach|strategy|plan|tack)\b"),
    cue(r"think\s+(?:about\s+it\s+)?differently\b", also="differently"),
    cue(r"differently\b", before=r"\b(?:do|try|approach|tackle|handle|solve|attack)\s+(?:it|this|that)\s+"),
    cue(r"forward\s+again\b"),
    cue(r"again\b", before=r"\b(?:step|attempt|try)\s+\d+\s*\(?"),
    cue(
        r"\n[^\w\n]*(?:second|third|fourth|fifth|next)\s*(?:thought|try|attempt|idea|option|approach)?\s*:",
        gate="second third fourth fifth next",
    ),
    # "Easier: 0.125 is 1/8, so ...": a clause that opens by naming a better way
    cue(r"\n[^\w\n]*(?:easier|simpler|better|quicker|cleaner|faster|shorter)(?:\s+(?:way|approach|idea|route|method))?\s*:",
        gate="easier simpler better quicker cleaner faster shorter"),
    cue(r"\n[^\w\n]*(?:attempt|try|option)\s*#?\s*(?:[2-9]|\d\d)\b(?!\s*[-+*/=])", gate="attempt try option"),
    cue(r"\n[^\w\n]*(?:let(?:'s|\s+me|\s+us)\s+)?try\b", gate="try"),
    *foreign.SWITCH,  # the same habits in French, German and Spanish (foreign_cues.py)
)
# Weak signals: a switch only when the clause does not simply continue from the previous result.
WEAK_SWITCH = CueSet(
    cue(
        r"wait\b(?![,\s-]*(?:is\s+that|let\s+me\s+(?:double[- ]?)?check|let\s+me\s+verify|that's\s+right|yes|"
        r"(?:did|do|have|am)\s+i\b|(?:is|does|was)\s+(?:it|that|this)\b))",
        weak=True,
    ),
    cue(r"hold\s+on\b", weak=True),
    cue(r"never\s*mind\b", weak=True, gate="never nevermind"),  # a retraction: "never mind, 8 * 3 = 24"
    *cues(r"what\s+about|how\s+about|what\s+if", r"\b", weak=True),
    cue(r"maybe\s+(?:try|instead|use|\(|\d)", weak=True),
    cue(r"actually,?\s+(?:let|maybe|\(|\d|what|how)", weak=True),
    cue(r"let(?:'s|\s+me)\s+(?:try|see|think)\b", weak=True, gate="let let's"),
    cue(r"\n[^\w\n]*(?:hmm+|hm+|oh+|ok(?:ay)?)\W+\(?\d", weak=True, gate="hmm hmmm hmmmm hm oh ohh ok okay"),
    *foreign.WEAK_SWITCH,  # the same habits in French, German and Spanish (foreign_cues.py)
)

# --- all sets at once: one word lookup per text instead of one per set ------------------------------
SETS: dict[str, CueSet] = {
    "verify": VERIFY,
    "switch": SWITCH,
    "weak_switch": WEAK_SWITCH,
    "subgoal": SUBGOAL,
    "need_number": NEED_NUMBER,
    "backward": BACKWARD,
    "decompose": DECOMPOSE,
    "from_target": FROM_TARGET,
    "target_votes": TARGET_VOTES,
}
_MEMOS: dict[int, int] = {}
for _set in SETS.values():
    for _member in _set:
        _MEMOS[_member.memo] = _MEMOS.get(_member.memo, 0) + 1
for _set in SETS.values():
    for _member in _set:
        object.__setattr__(_member, "shared", _MEMOS[_member.memo] > 1)
        object.__setattr__(_member, "direct", _member.simple and not _member.shared)
# Each cue is looked up by its most telling words: those after its key when it has some and they are
# not common ("no good": "good"), else the words that can start it; the other condition is checked
# only for the few cues found.
_COMMON = frozenset("a an the to of it is that this and in i we be for by up with as on or so no not at from "
                    "me my you do does".split())
_TRIGGERS: dict[str, list[tuple[str, Cue, frozenset[str] | None, bool]]] = {}
# cues without a word: looked up by their leading literal, once per key (the regex engine's literal
# search is several times faster than ``in``, except for one character: memchr; a key with a
# punctuation mark is only searched for when the text has that mark at all)
_BY_KEY: list[tuple[str, Cue, str]] = []
_KEY_TESTS: dict[str, tuple[str | None, Callable | None]] = {}
for _name, _set in SETS.items():
    for _member in _set:
        if not _member.gate:
            _BY_KEY.append((_name, _member, _member.key))
            if _member.key and _member.key not in _KEY_TESTS:
                _marks = [char for char in _member.key if not char.isalpha()]
                _KEY_TESTS[_member.key] = (_marks[0] if _marks else None,
                                           None if len(_member.key) == 1 else re.compile(re.escape(_member.key)).search)
        elif _member.also and _member.also.isdisjoint(_COMMON):
            for _word in _member.also:
                _TRIGGERS.setdefault(_word, []).append((_name, _member, frozenset(_member.gate), False))
        else:
            for _word in _member.gate:
                _TRIGGERS.setdefault(_word, []).append((_name, _member, _member.also or None, False))
# a cue listed under several words may be found twice in one text: those are remembered as found
_FOUND_BY: dict[tuple[str, Cue], int] = {}
for _entries in _TRIGGERS.values():
    for _name, _member, *_ in _entries:
        _FOUND_BY[_name, _member] = _FOUND_BY.get((_name, _member), 0) + 1
_TRIGGERS = {word: [(name, member, check, _FOUND_BY[name, member] > 1) for name, member, check, _ in entries]
             for word, entries in _TRIGGERS.items()}
_ALL_WORDS = frozenset(_TRIGGERS)
# cues that also need one of some strings in the text ("?", ":") and no word: checked last, per set
_TEXT_GATED = {name: any(m.also_text and not m.also for m in found) for name, found in SETS.items()}


def activate(text: str, words: frozenset[str]) -> dict[str, list[Cue]]:
    """For every set, the cues that can match ``text`` (whose set of words is ``words``), in a fixed
    order: the cues without a word as declared, then those found through the text's words, word by
    word in sorted order. (Not in the order of the set of words: that changes with PYTHONHASHSEED,
    and where two cues match one clause the first one taken can decide the instance.)"""
    out: dict[str, list[Cue]] = {name: [] for name in SETS}
    present: dict[str, bool] = {}
    joined = None
    for name, member, key in _BY_KEY:
        if key:
            found = present.get(key)
            if found is None:
                mark, search = _KEY_TESTS[key]
                if mark is not None or search is None:
                    found = (mark is None or mark in text) and (search is None or search(text) is not None)
                elif key in words:  # a word of the text: in it
                    found = True
                else:  # a key of letters is in the text if it is in one of its words: a shorter search
                    if joined is None:
                        joined = " ".join(words)
                    found = key in joined
                present[key] = found
            if not found:
                continue
        if (member.also or member.also_text) and not _also(member, text, words):
            continue
        out[name].append(member)
    seen: set[tuple[str, Cue]] = set()
    for word in sorted(_ALL_WORDS & words):
        for name, member, check, several in _TRIGGERS[word]:
            if check is None or not check.isdisjoint(words):
                if several:
                    if (name, member) in seen:
                        continue
                    seen.add((name, member))
                out[name].append(member)
    for name, gated in _TEXT_GATED.items():
        if gated:
            out[name] = [m for m in out[name] if not m.also_text or m.also or any(item in text for item in m.also_text)]
    return out


def _also(member: Cue, text: str, words: frozenset[str]) -> bool:
    return bool(member.also & words) or any(item in text for item in member.also_text)
