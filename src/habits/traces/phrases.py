"""Phrasings for every event a trace can narrate, several per event so SFT cannot memorise one template.

Each table is a tuple of ``str.format`` templates. The wording is kept *behavior-pure*: phrases for
one behavior avoid the marker words of the others (a plain step never says "check", "first",
"instead" or "working backwards"), so a trace shows exactly the behaviors its events say it does.
Arithmetic appears only through the ``{stmt}`` / ``{eq}`` fields, which the narrator writes in the
checkable form ``a op b = c``.
"""

from __future__ import annotations

# -- neutral: opening, plain steps, states, the final expression --------------------------------
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
    "The hand {cards} is worth {nums}.",
    "Values of {cards}: {nums}.",
)
TRY = (
    "{stmt}.",
    "Suppose {stmt}.",
    "Look at {stmt}.",
    "Let me compute {stmt}.",
    "Compute {stmt}.",
    "Take {stmt}.",
    "Start with {stmt}.",
    "I'll do {stmt}.",
    "Combining {x} and {y}: {stmt}.",
    "Consider {stmt}.",
)
TRY_NEXT = (
    "Next, {stmt}.",
    "Now {stmt}.",
    "After that, {stmt}.",
    "Continuing: {stmt}.",
    "{stmt}.",
    "And {stmt}.",
    "With that, {stmt}.",
    "Following on, {stmt}.",
)
STATE = (
    "Now I have {state}.",
    "Current numbers: {state}.",
    "In hand: {state}.",
    "Available now: {state}.",
    "So the numbers are now {state}.",
    "Numbers at this point: {state}.",
    "That gives me {state} to work with.",
    "Values now: {state}.",
)
GOAL = (
    "So the expression is {expr}.",
    "Putting it together: {expr}.",
    "That gives the expression {expr}.",
    "Written as one expression: {expr}.",
    "So {expr} does it.",
    "The full expression is {expr}.",
    "In one line: {expr}.",
    "Hence the answer: {expr}.",
)
GIVE_UP = (
    "I couldn't find anything better, so I'll settle on {expr}.",
    "I'll go with {expr}.",
    "My answer will be {expr}.",
    "Out of ideas; I'll write {expr}.",
    "I'll settle on {expr}.",
    "I'll answer with {expr}.",
    "Going with {expr}.",
    "Final choice: {expr}.",
)

# -- backtracking: a dead end recognised (no value judged), then explicitly leaving the line ------
# Dead-end sentences say the search is stuck, never that a value is right or wrong: that is
# verification's job, and keeping them apart keeps each trace's behavior counts exact.
DEAD_END_STATE = (
    "From {state} I don't see a way forward.",
    "With {state} there's no way through.",
    "Nothing from {state} gets there.",
    "Dead end with {state}.",
    "{state} leads nowhere.",
    "There's no way on from {state}.",
    "{state} is a dead end.",
    "I see no way forward from {state}.",
)
DEAD_END_NEED = (
    "But {need} is out of reach with {source}.",
    "{source} can't give {need}.",
    "{need} can't be formed from {source}.",
    "So {source} won't produce {need}.",
    "There's no route to {need} with {source}.",
    "{need} isn't possible with {source}.",
    "{source} don't lead to {need}.",
    "{need} is beyond {source}.",
)
DEAD_END = (
    "This isn't leading anywhere.",
    "That doesn't get me anywhere.",
    "Nothing useful comes from this.",
    "This line goes nowhere.",
    "That's a dead end.",
    "This doesn't pan out.",
    "That route is closed.",
    "This path is a dead end.",
)
ABANDON = (
    "Let me go back and try a different approach.",
    "I'll abandon this and try something else.",
    "Scrap that; back to the original numbers.",
    "Let me backtrack and try another combination.",
    "I'll start over with a different approach.",
    "Back up: a different route is needed.",
    "I'll drop this line and try another.",
    "Starting again from the original numbers.",
    "Let me undo that and try again differently.",
    "Wait, let me try another approach instead.",
)

# -- verification: a result compared with the target, stated (one sentence = one instance) --------
CHECK_OK = (
    "Check: {stmt}, which matches the target.",
    "Let me verify: {stmt}, so it equals {t}.",
    "Double-checking: {stmt}, which is exactly {t}.",
    "Verify: {stmt}, correct.",
    "Let me check the whole expression: {stmt}, right on the target {t}.",
    "Confirming: {stmt}, and {t} is the target.",
    "Checking against the target: {stmt}, as required.",
    "Let me make sure: {stmt}. Yes, that is {t}.",
)
CHECK_FAIL = (
    "Check: {stmt}, which is not {t}.",
    "Let me verify: {stmt}, which misses {t}.",
    "Compare with the target: {stmt}, not {t}.",
    "Checking: {stmt}, but the target is {t}.",
    "{stmt}. Is that {t}? No.",
    "Verify: {stmt}, and {v} is not {t}.",
    "Checking against {t}: {stmt}, off by {diff}.",
    "Double-check: {stmt}, not the target {t}.",
)

# -- subgoal setting: intermediate targets stated before they are reached ------------------------
SUBGOAL = (
    "Subgoal: get {needs}, then {finish}.",
    "Let me break it into parts: first get {needs}, then {finish}.",
    "Plan: first reach {needs}, and after that {finish}.",
    "An intermediate target helps here: {needs}. Once that is done, {finish}.",
    "Step 1: get {needs}. Step 2: {finish}.",
    "I'll set a smaller goal first: {needs}. Then {finish}.",
    "Split the work: make {needs} to begin with, then {finish}.",
    "Intermediate goal: {needs}; after that, {finish}.",
    "Milestone: {needs}; once reached, {finish}.",
)

# -- backward chaining: from the target toward the inputs ----------------------------------------
# Decompositions only ("24 = 8 * 3"), never "I need 8 from ...": that would state a subgoal too.
WORK_BACK = (
    "Working backwards from {t}: {eq}.",
    "Let me reason back from the target: {eq}.",
    "Going backwards from {t}, {eq}.",
    "From the target backwards: {eq}.",
    "What gives {t}? One way: {eq}.",
    "Reverse the problem: {eq}.",
    "Start from {t} and undo the last operation: {eq}.",
    "Think backwards: {eq}.",
)
WORK_BACK_MORE = (
    "In turn, {eq}.",
    "And {eq}.",
    "One level further back, {eq}.",
    "Which means {eq}.",
    "That {v} can be written as {eq}.",
    "Likewise, {eq}.",
    "Undoing one more step, {eq}.",
    "Further back, {eq}.",
)
