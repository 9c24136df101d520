"""The lexical classifier's cue tables: which phrases signal which behavior (see ``lexical.py``).

What a cue is, and how a set of them is looked up, is in ``cue.py``. Every cue is a regular expression that starts with a literal word or symbol, so Python's ``re``
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

from habits.behaviors.cue import Cue, CueSet, cue, cues

__all__ = ["Cue", "CueSet", "SETS", "activate", "cue", "cues"]


NUM = r"\d+(?:\.\d+)?"
# The same, possessive (never given back): for the cues tried at every "=", where giving back digits or
# spaces cannot lead to another match (what follows is never a digit or a space) but costs the regex
# engine most of its time on the many "=" that do not match.
NUM_ONCE = r"\d++(?:\.\d+)?+"
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
        r"check(?:s|ed|ing)?\b" + _RULE_OBJECT + _NUMBER_FOLLOWS,
        word=False,
        gate="check checks checked checking recheck rechecked rechecking",
    ),  # check, double-check, re-check, sanity check
    cue(
        r"verif(?:y|ies|ied|ying|ication)\b" + _RULE_OBJECT + _NUMBER_FOLLOWS,
        gate="verify verifies verified verifying verification",
    ),
    cue(r"confirm(?:s|ed|ing)?\b" + _RULE_OBJECT + _NUMBER_FOLLOWS, gate="confirm confirms confirmed confirming"),
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
    cue(r"target\b", before=r"\b(?:matches|equals|hits|reaches|is|gives)\s+(?:exactly\s+)?(?:the|our)\s+"),
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
        pattern=r"leav(?:es?|ing)\s+(?:the\s+|a\s+|one\s+|another\s+)?\d+",
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
    cue(r"re-?tr(?:y|ying|ied)\b", gate="re retry retrying retried",
        before=r"\b(?:let(?:'s|\s+me|\s+us)|i'll|we'll|i|we|so|then|ok|okay|now|just)\s+"),
    cue(r"\n[^\w\n]*re-?try(?:ing)?\b(?=\s*[:,(\d-]|\s+(?:with|using|from)\b)", gate="re retry retrying"),
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
)
# Weak signals: a switch only when the clause does not simply continue from the previous result.
WEAK_SWITCH = CueSet(
    cue(
        r"wait\b(?![,\s-]*(?:is\s+that|let\s+me\s+(?:double[- ]?)?check|let\s+me\s+verify|that's\s+right|yes|"
        r"(?:did|do|have|am)\s+i\b|(?:is|does|was)\s+(?:it|that|this)\b))",
        weak=True,
    ),
    cue(r"hold\s+on\b", weak=True),
    *cues(r"what\s+about|how\s+about|what\s+if", r"\b", weak=True),
    cue(r"maybe\s+(?:try|instead|use|\(|\d)", weak=True),
    cue(r"actually,?\s+(?:let|maybe|\(|\d|what|how)", weak=True),
    cue(r"let(?:'s|\s+me)\s+(?:try|see|think)\b", weak=True, gate="let let's"),
    cue(r"\n[^\w\n]*(?:hmm+|hm+|oh+|ok(?:ay)?)\W+\(?\d", weak=True, gate="hmm hmmm hmmmm hm oh ohh ok okay"),
)

# --- subgoal setting: intermediate goals and plans ----------------------------------------------
_GOAL_VERB = r"\b(?:make|get|find|reach|create|form|obtain|produce|aim|land)\b"
# what a plan says it will do first (wider than the goal verbs: math prose determines, shows, eliminates)
_PLAN_VERB = (r"\b(?:make|get|find|reach|create|form|obtain|produce|aim|land|determine|compute|calculate|work\s+out|"
              r"figure\s+out|establish|show|prove|express|isolate|eliminate|build|construct|simplify|factor|identify|"
              r"evaluate|solve|bound|count|look\s+for|handle|deal\s+with|shrink|reduce)\b")
_SUBJECT = r"(?:i|we)(?:'ll|'d|\s+will|\s+would|\s+must|\s+should|\s+can|\s+need\s+to|\s+have\s+to|\s+want\s+to)?"
SUBGOAL = CueSet(
    cue(r"sub-?(?:goal|problem)s?\b", gate="sub subgoal subgoals subproblem subproblems"),
    cue(r"intermediate\s+(?:goal|target|value|result|aim|step|sum|product)s?\b"),
    *cues("smaller|new", r"\s+goal\b"),
    cue(r"goal\s*:\s*(?:make|get|find)"),
    # "Plan: first make 10 ..." (not "Meal plan: Monday, pasta")
    *cues(r"plan|strategy|approach", r"(?:\s+of\s+attack)?\s*:[^\n]{0,60}?(?:\bfirst\b|\bthen\b|" + _PLAN_VERB[2:] + ")"),
    *cues(r"strategy|plan|approach|idea", r"\s+is\s+to\b", before=r"\b(?:our|my|the)\s+"),
    cue(r"idea\s*:\s*(?:make|get|first|find)"),
    cue(
        gate="first firstly",
        pattern=r"first(?:ly)?\b[^\n]{0,40}?"
        + _GOAL_VERB[:-3] + r"|show|prove|determine|compute|establish|express|isolate|eliminate)\b"
        + r"(?![^\n]{0,12}\b(?:the\s+)?(?:numbers?|operations?)\b)",
        # "Exercise 4. First, find the derivative": an instruction to the reader opens its clause
        not_before=r"\n[^\w\n]*(?:(?:\d{1,2}|[a-z])[.)])?[^\w\n]*",
        window=12,
    ),
    *cues(r"to\s+start|start\s+by|begin\s+by", r"\b[^\n]{0,40}?" + _GOAL_VERB, also="start begin"),
    # "we first need the radius", "we begin by eliminating y", "let us find the side first"
    *cues(r"first|begin\s+by|start\s+by", r"\b(?!\s+(?:tried|attempted|guessed|assumed|thought|went|did)\b)",
          before=r"\b" + _SUBJECT + r"\s+"),
    cue(r"let(?:'s|\s+us|\s+me)\s+(?:first\s+)?" + _PLAN_VERB[2:] + r"[^\n]{0,40}?\bfirst\b", gate="let let's",
        also="first"),
    cue(r"first(?:ly)?\s*,?\s+(?:i|we|let(?:'s|\s+us|\s+me))\b[^\n]{0,40}?" + _PLAN_VERB, gate="first firstly"),
    *cues(r"milestone|stepping\s+stone|sub-?task|sub-?target", r"s?\b",
          gate="milestone milestones stepping sub subtask subtasks subtarget subtargets"),
    cue(r"goal\s+for\s+now\b"),
    *cues(r"immediate|current|next", r"\s+(?:goal|aim|target|objective)\b"),
    cue(r"suffices\s+to\b"),
    cue(r"enough\s+to\s+(?:show|prove|know|find|get|obtain|check|compute|make)\b", before=r"\b(?:it\s+is|it's)\s+"),
    cue(r"reduces?\s+(?:the\s+problem\s+|it\s+|this\s+|everything\s+)?to\b", gate="reduce reduces"),
    cue(r"if\s+(?:i|we)\s+(?:knew|had|could\s+(?:get|make|find|build))\b"),
    *cues(r"key|trick", r"\s+is\s+(?:to\s+)?(?:get|make|find|build|reach|produce|turn|getting|making|finding|building|"
          r"reaching|producing|turning)\b", before=r"\bthe\s+"),
    *cues(r"product|sum|total|value|multiple", r"\s+(?:near|close\s+to|around)\s+\d"),
    cue(r"turn\b[^\n]{0,40}?\binto\s+(?:a\s+|an\s+|another\s+)?\d", gate="turn"),
    *(cue(head + r"\s+(?:that|this)\s*,?\s+(?:i|we)(?:'ll|\s+will)?\s+(?:first\s+)?(?:need|must|have\s+to|should)\b",
          also="that this")
      for head in (r"to\s+do", "for")),  # "to do that, we need ..."
    *cues(r"need|have", r"\s+to\s+(?:find|know|get|compute|work\s+out|determine|make)\b[^\n]{0,40}?\bfirst\b",
          also="first"),
    cue(r"aim(?:ing)?\s+(?:(?:for|at)\s+(?:a\s+|an\s+|something\s+)?(?:\d|product|sum|total|value|number|"
        r"multiple|difference)|to\s+(?:make|get|produce|build|reach|find|create|obtain|form)\b)", gate="aim aiming"),
    *cues(r"in|into", r"\s+(?:two|three|four|several|\d)\s+(?:stages|parts|phases|pieces|sub-?problems)\b"),
    *cues(
        r"close\s+to|near|nearby|around",
        r"\b",
        before=r"\b(?:aim|aiming|get|getting|land|come)\s+(?:for\s+|to\s+)?(?:something\s+|a\s+number\s+|a\s+value\s+)?",
    ),
    cue(r"break\s+(?:this\s+|it\s+|the\s+\w+\s+)?(?:down|into|up)\b"),
    cue(r"split\s+(?:this|it|them)\s+up\b"),  # "split it up first: hundreds, then the rest"
    # a plan by cases: "we handle two cases", "consider three cases" (not "in two cases out of ten")
    *cues(r"two|three|four|several", r"\s+cases\b", also="cases",
          before=r"\b(?:handle|consider|treat|distinguish|examine|check|split\s+into|separate|into)\s+(?:the\s+)?"),
    # "before anything else we need the period", "before we can divide, we must ..."
    cue(r"before\s+(?:anything\s+else|(?:we|i)\s+can\s+\w+)\b[^\n]{0,40}?\b(?:we|i)(?:'ll)?\s+(?:first\s+)?"
        r"(?:need|must|have\s+to|should)\b", also="anything can"),
    *cues(r"split|splits", r"\s+into\b"),
    cue(r"two\s+(?:stages|parts)\b"),
    *cues(
        r"must|should|need\s+to|have\s+to|has\s+to",
        r"\s+(?:make|give|be|equal|become|cancel|produce|contribute)\b",
        before=r"\b(?:other|remaining|rest)\b[^\n]{0,30}",
        window=60,
        also="other others remaining rest",
    ),
    cue(
        gate="need needs",
        pattern=r"needs?\s+(?:something\s+like|(?:the\s+)?\d+\s+and\s+\d+\s+to\s+(?:cancel|contribute|become|make|give)|"
        r"to\s+(?:absorb|eliminate|cancel|neutralize|fold\s+in|turn)\b)",
    ),
    cue(r"need\s+to\s+(?:become|cancel|make|give)\b", before=r"\b\d+\s+and\s+\d+\s+", also="and"),
    *cues("want|have", r"\s+to\s+(?:absorb|eliminate|cancel|neutralize|fold\s+in)\b",
          also="absorb eliminate cancel neutralize fold"),
)
# A needed number ("I need 14 from ...", "make 6 out of 2 and 3"): a subgoal unless it is the target.
NEED_NUMBER = CueSet(
    *cues(
        "need|want",
        gate="{} {}s",
        tail=r"s?\s+(?:to\s+(?:make|get|find|reach|form|create|produce|obtain)\s+)?"
        r"(?:a\s+|an\s+|another\s+|exactly\s+|the\s+)?(?:second\s+|third\s+|other\s+|remaining\s+|missing\s+)?"
        r"(\d+)\b(?!\s*[-+*/=])",
    ),
    *cues(r"must|have\s+to", r"\s+make\s+(?:a\s+|an\s+)?(\d+)\b(?!\s*[-+*/=])"),
    # numbers that must yield a value: "5, 13 and 2 have to produce 31", "the 9 and 5 have to supply the remaining 4"
    *cues(r"must|have\s+to|has\s+to",
          r"\s+(?:produce|give|supply|provide|yield|equal|make|form|get|reach|sum\s+to|add\s+up\s+to)\s+"
          r"(?:a\s+|an\s+|the\s+)?(?:remaining\s+|missing\s+|other\s+)?(\d+)\b(?!\s*[-+*/=%])",
          before=r"(?:\d|\b(?:rest|others|remaining|numbers|cards|ones|pair|two|three|four|both))\s+"),
    *cues(
        "make|get|form|create|find|obtain|produce|give|build|construct",
        r"\s+(?:a\s+|an\s+|another\s+)?(\d+)\s+(?:from|out\s+of|using|with)\b",
    ),
    cue(r"need\s+is\s+(?:a\s+|an\s+)?(\d+)\b", also="is"),  # "what I really need is a 24"
    cue(r"comes?\s+from\b", before=r"\bthe\s+(\d+)\s+", gate="come comes"),  # "the 20 comes from 5 * 4"
    *cues(r"would|has|have|must|should|will|can", r"\s+(?:to\s+)?(?:come|be\s+made|be\s+built)\s+from\b", also="come made built",
          before=r"\b(\d+)\s+"),
    cue(r"from\s+(?:\d+|the\s+(?:remaining|other|rest))", before=r"(?:\n|[-:]\s*)(\d+)\s+"),
    cue(r"from\s+\d+(?:\s*(?:,|and|&)\s*\d+)+", before=r"(?:[,;]|\bthen|\band|\bnow)\s+(\d+)\s+"),  # "then 4 from 3 and 7"
    cue(r"reach\s+(\d+)\s+(?:with|from|using)\s+\d"),  # "step 1: reach 6 with 7 and 1"
    cue(r"if\s+(?:i|we)\s+(?:can\s+|could\s+)?(?:make|get|have|build|reach)\s+(?:a\s+|an\s+)?(\d+)"),
    cue(r"once\s+(?:i|we)(?:'ve|\s+have)?\s+(?:have|get|got|make|made|reach|reached|build|built)\s+(?:a\s+|an\s+|the\s+)?(\d+)",
        also="i we i've we've"),
    # "can I get 19?", "can we make 11 and 3?"
    cue(r"can\s+(?:i|we)\s+(?:get|make|build|form|reach|produce)\s+(?:a\s+|an\s+|the\s+)?(\d+)\b(?!\s*[-+*/=%])"),
    cue(r"try(?:ing)?\s+to\s+(?:get|make|reach|build|produce|form|find)\s+(?:to\s+)?(?:a\s+|an\s+)?(\d+)\b(?!\s*[-+*/=])",
        gate="try trying"),
)

# --- backward chaining: from the target back to the inputs ---------------------------------------
BACKWARD = CueSet(
    # "work backwards", "backwards from 24" (not "backward error analysis")
    cue(r"backwards?\b(?!\s+(?:through|over|along|in)\s+(?:the\s+|a\s+)?(?:list|array|string|loop|items|elements|"
        r"ind(?:ex|ices)|buffer|file|lines|rows|vector|sequence|history|stack|queue|text|characters|bytes)\b)",
        gate="backward backwards",
        before=r"\b(?:work|works|working|worked|think|thinking|reason|reasoning|go|going|went|step|stepping|solve|"
               r"solving|move|moving|count|counting|proceed|proceeding|search|searching)\s+"),
    cue(r"backwards?(?:\s+(?:from|to|reasoning|chaining|again)\b|\s*:)", gate="backward backwards"),
    cue(r"from\s+the\s+(?:target|goal)\b", also="target goal"),
    cue(gate="start starting", pattern=r"start(?:ing)?\s+(?:with|at)\s+the\s+(?:target|goal|end|answer)\b"),
    cue(r"from\s+what\s+(?:we|i|you)\s+(?:want|need|are\s+asked|must\s+(?:show|prove|find))\b",
        before=r"\b(?:start|starting|work|working|reason|reasoning|go|going)\s+(?:backwards?\s+)?"),
    cue(r"last\s+thing\s+(?:done|we\s+did|that\s+happened)\b"),
    *cues(r"last|final", r"\s+(?:\w+\s+)?first\b", gate="{}",
          before=r"\b(?:about|at|with|consider|examine)\s+the\s+"),
    cue(r"last\s+operation\b"),
    *cues(r"last|final", r"\s+(?:step|operation|move|op)\b", gate="{}"),
    cue(r"undo(?:ing)?\s+(?:the\s+)?(?:last\s+|final\s+|previous\s+)?(?:step|operation|op)s?\b",
        gate="undo undoing"),
    cue(r"revers(?:e|ing)[\s-]+(?:the\s+)?(?:steps?|operations?|process|order|engineer)", gate="reverse reversing"),
    cue(r"work(?:ing|ed)?\s+back\b", gate="work working worked"),
    cue(r"before\s+(?:adding|subtracting|multiplying|dividing|doubling|halving|tripling)\b"),
    cue(r"just\s+before\b[^\n]{0,30}?\d"),
    cue(r"must\s+have\s+(?:been|started\s+(?:with|from|at)|had|begun\s+with)\s+\(?\d"),
    cue(r"what\s+was\s+(?:it|the\s+\w+)\s+(?:before|originally|at\s+first)\b", also="before originally first"),
    cue(r"itself\b", before=r"\bthink\s+about\s+\d+\s+"),
    cue(r"factor(?:\s+pairs?\b|s\s+of\s+\d+)", gate="factor factors"),
    cue(gate="pair pairs", pattern=r"pairs?\s+that\s+(?:multipl(?:y|ies)|adds?|sums?)\s+to\b"),
    cue(r"which\s+(?:two\s+)?(?:numbers?|pairs?|values?|factors?)\s+(?:make|makes|give|gives|multiply|add|sum|land|produce)\b"),
    cue(r"what\s+(?:two\s+)?numbers\s+(?:multiply|add|sum)\s+to\b", also="numbers"),
    cue(r"in\s+reverse\b"),
    cue(
        r"what\s+(?:number|value|do\s+(?:i|we)\s+need)?\s*(?:plus|times|minus|divided\s+by|multiplied\s+by|added\s+to|"
        r"[-+*/])\s*\d+\s+(?:gives?|makes?|equals?|is|=|to\s+get)\b"
    ),
)
# "24 = 4 * 6": a value written as an operation; counts when the value is the target or still needed.
_DECOMPOSITION = cue(r"=\s*+\(?+\s*+" + NUM_ONCE + r"\s*+[-+*/]", before=r"(?:\n|[\s:(,])(\d+)\s*")
DECOMPOSE = CueSet(
    _DECOMPOSITION,
    cue(r"comes?\s+from\s+\(?\s*" + NUM + r"\s*[-+*/]", before=r"\b(\d+)\s+", gate="come comes"),
    # the value in words: "40 is 5 times 8", "49 is 7 squared", "36 is double 18"
    cue(r"is\s+(?:\d+\s+(?:times|plus|minus)\b|(?:double|twice|half|triple)\s+(?:of\s+)?\d)",
        before=r"\b(\d+)\s+", also="times plus minus double twice half triple"),
    cue(r"is\s+\(?\d+\s*[-+*/]\s*\d", before=r"(?:\n|[\s:(,])(\d+)\s+"),  # "24 is 2*12, so I need a 2 and a 12"
    cue(r"can\s+be\s+(?:written|made|expressed)\s+as\s*\(?\s*" + NUM + r"\s*[-+*/]", before=r"\b(\d+)\s+"),
)
# The target as the starting point: "24 / 4 = 6, so I need", "to get 42, I could", "making 85 as".
# "24 / 4 = 6, so I need": found at the rarer word ("need"), with the calculation as its context
_UNDONE = cues(
    r"need|must|have\s+to|want",
    r"\b",
    # (the calculation may be split on: "83 - 2 = 81 = 9 * 9, so I need"; other words only after a connective:
    # "so the other three need", not "= 17\nback need")
    before=r"(?:\n|[\s:(])(\d+)\s*[-/]\s*\d+\s*=\s*\d+(?:\.\d+)?(?:[,\s]*=\s*\d+\s*[-+*/]\s*\d+)?[,:\s]*"
    r"(?:(?:so|then|and|now)\s+[^\n=]{0,25}?|(?:now|all|still)\s+)?(?:(?:i|we)(?:'d|'ll|\s+would|\s+will)?\s+)?",
    window=60,
)
FROM_TARGET = CueSet(
    *_UNDONE,
    cue(r"ways?\s+to\s+(?:write|express|split|decompose)\s+(\d+)\b", gate="way ways"),
    cue(r"divided\s+by\s+\d+\s+(?:is|gives|equals|=)\s+\d+", before=r"\b(\d+)\s+"),  # "68 divided by 17 is 4"
    cue(r"start(?:ing)?\s+from\s+(\d+)\b", gate="start starting"),
    cue(r"work(?:ing)?\s+(?:back\s+)?from\s+(\d+)\b", gate="work working"),
    cue(r"ways\s+to\s+(?:make|get|reach)\s+(\d+)\s*:"),
    cue(
        r"to\s+(?:get|make|reach|hit)\s+(?:to\s+)?(\d+),?\s+(?:i|we)\s+(?:could|can|would|might|need|should)\b"
        r"(?!\s+(?:use|need\s+to\s+use))"
    ),
    cue(r"mak(?:e|ing)\s+(\d+)\s+as\b", gate="make making"),
)

# --- target inference: each cue votes for the number it captures, with its weight -----------------
_LIST = r"(?:\s*(?:,|and|&)?\s*\d+\b){3,}"
TARGET_VOTES = CueSet(
    cue(
        gate="target",
        pattern=r"target(?:\s+number)?(?:\s+is|\s+of|\s*[:=,]|\s+value\s+is)?\s*(\d+)\b",
        not_before=r"\b(?:intermediate|sub-?|new|next|first|temporary|smaller|own|partial)\s*",
        weight=10,
    ),
    cue(r"mak(?:e|ing)\s+(\d+)\s+as\b", gate="make making", weight=4),
    cue(r"ways?\s+to\s+(?:write|express|split|decompose|make|get|reach)\s+(\d+)\s*:", gate="way ways", weight=4),
    *cues(
        r"using|from|with|out\s+of",
        r"\s+(?:the\s+)?(?:numbers\s+|cards\s+)?" + _LIST,
        weight=6,
        early=True,
        before=r"\b(?:make|reach|get|obtain|create|hit|equal|equals|want|need|to)\s+(?:exactly\s+)?(\d+)\s+",
    ),
    *cues("goal|aim", gate="{}", tail=r"(?:\s+is|\s*:)\s*(?:to\s+(?:make|reach|get)\s+)?(\d+)\b", weight=6),
    cue(gate="formula", pattern=r"\"formula\"\s*:\s*\"[^\"\n]*=\s*(\d+)\s*\"", weight=5),
    *cues(r"not|close\s+to|near|short\s+of|!=|==|vs", r"\s*(\d+)\b", weight=2),
    cue(
        r"=\s*+(\d++)\s*+(?:!(?!=)|\(ok\)|[,.]?\s*(?:yes|correct|good|that's\s+it|this\s+works|that\s+works|bingo)\b)",
        weight=2,  # a tick confirms sub-results too ("3 + 2 = 5 (ok)" on the way to 35)
    ),
    cue(r"reach\s+(\d+)\b", weight=3),
    *cues(r"factor\s+pairs\s+of|factors\s+of|multiply\s+to|multiplies\s+to|add\s+up\s+to|sum\s+to", r"\s+(\d+)\b",
          weight=4),
    cue(r"is\s+\d+\s+times\b", before=r"(?:\n|[\s:(,])(\d+)\s+", weight=3, also="times"),  # "35 is 5 times 7"
    cue(r"start(?:ing)?\s+from\s+(\d+)\b", gate="start starting", weight=3),
    cue(r"work(?:ing)?\s+(?:back\s+)?from\s+(\d+)\b", gate="work working", weight=3),
    *cues(
        r"want|need|aiming\s+for|aim\s+for|to\s+get|to\s+make|to\s+reach|land\s+on",
        r"\s+(\d+)\b",
        weight=2,
        early=True,
    ),
    Cue(
        _DECOMPOSITION.pattern, _DECOMPOSITION.before, weight=2, key=_DECOMPOSITION.key
    ),  # reused, not recompiled
    *(Cue(member.pattern, member.before, window=member.window, weight=4, key=member.key, key_is_word=member.key_is_word,
          gate=member.gate, bounded=member.bounded) for member in _UNDONE),  # "24 / 4 = 6, so I need": reused, not recompiled
    cue(r"=\s*+(\d++)\b", weight=1),
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
