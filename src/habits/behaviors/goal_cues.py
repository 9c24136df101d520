"""The cue tables of the goal-directed habits: subgoals, needed numbers, backward chaining, and the
votes that infer the target (see ``cues.py`` for the others, and for how all of them are looked up).

The same rules hold as there: every pattern starts with a literal word or symbol, context that would
need a variable-width look-behind is a ``before`` pattern, and the text is already prepared
(``text.prepare``: ASCII, lower case, one clause per line).
"""

from __future__ import annotations

from habits.behaviors import foreign_cues as foreign
from habits.behaviors.cue import Cue, CueSet, cue, cues

NUM = r"\d+(?:\.\d+)?"
# The same, possessive (never given back): for the cues tried at every "=", where giving back digits or
# spaces cannot lead to another match (what follows is never a digit or a space) but costs the regex
# engine most of its time on the many "=" that do not match.
NUM_ONCE = r"\d++(?:\.\d+)?+"

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
          r"\s+(?:produce|give|supply|provide|yield|equal|sum\s+to|add\s+up\s+to)\s+"
          r"(?:a\s+|an\s+|the\s+)?(?:remaining\s+|missing\s+|other\s+)?(\d+)\b(?!\s*[-+*/=%])",
          before=r"(?:\d|\b(?:rest|others|remaining|numbers|cards|ones|pair|two|three|four|both))\s+",
          also="produce give supply provide yield equal sum add"),
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
    *foreign.NEED_NUMBER,  # the same in French, German and Spanish (foreign_cues.py)
)

# --- backward chaining: from the target back to the inputs ---------------------------------------
BACKWARD = CueSet(
    # "work backwards", "backwards from 24" (not "backward error analysis")
    cue(r"backwards?\b(?!\s+(?:through|over|along|in)\s+(?:the\s+|a\s+)?(?:list|array|string|loop|items|elements|"
        r"ind(?:ex|ices)|buffer|file|lines|rows|vector|sequence|history|stack|queue|text|characters|bytes)\b)",
        gate="backward backwards",
        before=r"\b(?:work|works|working|worked|think|thinking|reason|reasoning|go|going|went|step|stepping|solve|"
               r"solving|move|moving|count|counting|proceed|proceeding|search|searching)\s+"),
    # (not "backward chaining": the name of the technique, in texts that describe it)
    cue(r"backwards?(?:\s+(?:from|to|reasoning|again)\b|\s*:)", gate="backward backwards"),
    cue(r"from\s+the\s+(?:target|goal)\b", also="target goal"),
    cue(gate="start starting", pattern=r"start(?:ing)?\s+(?:with|at)\s+the\s+(?:target|goal|end|answer)\b"),
    cue(r"from\s+what\s+(?:we|i|you)\s+(?:want|need|are\s+asked|must\s+(?:show|prove|find))\b", also="want asked",
        before=r"\b(?:start|starting|work|working|reason|reasoning|go|going)\s+(?:backwards?\s+)?"),
    cue(r"last\s+thing\s+(?:done|we\s+did|that\s+happened)\b"),
    # what is still missing after a result: "= 36 gets me most of the way; the 9 and 5 have to supply the remaining 4"
    cue(r"remaining\s+\d+\b(?!\s+(?:numbers?|cards?))",
        before=r"=\s*\d+(?:\.\d+)?\b[^=]{0,60}?\b(?:supply|make|get|give|produce|need|needs|find|cover|provide)\s+"
               r"(?:the\s+)?", window=80),
    *cues(r"last|final", r"\s+(?:\w+\s+)?first\b", gate="{}", also="first",
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
    *foreign.BACKWARD,  # the same in French, German and Spanish (foreign_cues.py)
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
    *foreign.TARGET_VOTES,  # the same in French, German and Spanish (foreign_cues.py)
)
