"""Wordings of the natural register: several per event, so SFT on a 3B model cannot memorise one template.

Each table is a tuple of ``str.format`` templates. The wording is *behavior-pure*: phrases of one
behavior avoid the marker words of the others (a plain step never says "check", "first",
"instead" or "working backwards"), so a trace shows exactly the behaviors its events say it does.
Arithmetic appears only through ``{stmt}`` fields, written ``a op b = c`` so that
:mod:`habits.traces.check` can re-check every statement. The terse register (for tiny models)
has one fixed form per event and lives in :mod:`habits.traces.narrate`.
"""

from __future__ import annotations

# -- neutral: opening, steps of an attempt, the answer -------------------------------------------
START = (
    "I have {nums} and want to make {t}.",
    "The numbers are {nums}, and the target is {t}.",
    "Numbers: {nums}. Target: {t}.",
    "Let me combine {nums} to make {t}.",
    "Using {nums}, I want to reach {t}.",
    "Make {t} from {nums}, each used once.",
    "So I must get {t} out of {nums}, using each exactly once.",
    "Let's see how {nums} can give {t}.",
)
CARDS = (
    "The cards {cards} are worth {nums}.",
    "Card values: {cards} count as {nums}.",
    "So {cards} means the numbers {nums}.",
    "Reading the cards {cards} as {nums}.",
    "{cards} give the values {nums}.",
    "In numbers, {cards} are {nums}.",
)
TRY = (
    "Try {stmt}.",
    "Suppose {stmt}.",
    "Let me compute {stmt}.",
    "Take {stmt}.",
    "Start with {stmt}.",
    "I'll do {stmt}.",
    "Consider {stmt}.",
)
TRY_NEXT = (
    "Then {stmt}.",
    "Next, {stmt}.",
    "Now {stmt}.",
    "After that, {stmt}.",
    "And {stmt}.",
    "Continuing: {stmt}.",
)
RESULT = (
    "That gives {v}.",
    "So this line makes {v}.",
    "This comes to {v}.",
    "The result is {v}.",
)
CLOSEST = (
    "None of these reached {t}; the closest was {expr}, so I'll go with it.",
    "I'll settle on {expr}, the nearest I got to {t}.",
    "Out of attempts; {expr} came closest to {t}.",
)

# -- backtracking: leaving a line that has been computed to a value ------------------------------
ABANDON = (
    "Let me go back and try a different approach.",
    "I'll abandon this and try something else.",
    "Scrap that; back to the original numbers.",
    "Let me backtrack and try another combination.",
    "I'll start over with a different approach.",
    "Back up: a different route is needed.",
    "I'll drop this line and try another.",
    "Wait, let me try another approach instead.",
)

# -- verification: a value compared with what it should be (one sentence = one instance) ----------
CHECK_OK = (
    "Check: {v} matches the target {t}.",
    "Let me verify: {v} equals {t}.",
    "Is {v} the target? Yes, it is exactly {t}.",
    "Verify: {v} = {t}, correct.",
    "Confirming: {v} is the target {t}.",
)
CHECK_FAIL = (
    "Check: {v} is not {t}.",
    "Let me verify: {v} misses {t}.",
    "Compare with the target: {v}, not {t}.",
    "Is {v} equal to {t}? No.",
    "Checking against {t}: {v} is off by {diff}.",
)
CHECK_PART_OK = (
    "Check: {v} is the {need} I needed.",
    "Verify: {v} equals {need}, as planned.",
    "That is {v}, exactly the {need} I wanted.",
)
CHECK_PART_FAIL = (
    "Check: {v} is not the {need} I needed.",
    "Verify: {v} is not {need}.",
    "That is {v}, but I wanted {need}: no.",
)

# -- subgoal setting: an intermediate target stated before it is reached -------------------------
SUBGOAL = (
    "Subgoal: make {need} from {source}.",
    "Intermediate goal: get {need} out of {source}.",
    "Let me break it into parts: first get {need} from {source}.",
    "Step 1: reach {need} with {source}.",
    "I'll set a smaller goal: {need} from {source}.",
)

# -- backward chaining: from the target toward the inputs ----------------------------------------
# Decompositions only ("24 = 8 * 3"), never "I need 8 from ...": that would state a subgoal too.
WORK_BACK = (
    "Working backwards from {t}: {eq}.",
    "Let me reason back from the target: {eq}.",
    "Going backwards from {t}, {eq}.",
    "What gives {t}? One way: {eq}.",
    "Start from {t} and undo the last operation: {eq}.",
)
