"""Program-written priming traces for navigation: one decision, read from the route's rail.

Navigation has no search to narrate: the correct action of a decision is known. A trace says which
instruction is being carried out and what is observed, and -- when the condition allows
verification -- checks the observation against what that instruction leads to (the landmark its
walk ends at, or simply whether this is an intersection) before it acts::

    The instruction to follow now: "Turn right to face north." I observe: You observe an
    intersection. Blue Cafe is on your front right. Check: Blue Cafe is in view, as the instruction
    says, so this is the intersection where I turn. So the action is turn_direction(north).

The rail never goes wrong, so the other behaviors have no chance to appear (as backtracking in a
number trace solved by its first line): a condition that allows them writes the same trace. The
check is one verification, counted exactly.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any

_LANDMARK = re.compile(r"where (.+?) is on your")
_FOLLOW = ('The instruction to follow now: "{now}"', 'I am carrying out: "{now}"', 'Current instruction: "{now}"')
_SEE = ("I observe: {seen}", "What I see: {seen}", "Here: {seen}")
_ACT = ("So the action is {action}.", "Action: {action}.", "So I answer {action}.")


def sentences_now(step: Mapping[str, Any]) -> tuple[str, str | None]:
    """The instruction sentence being carried out, and the walk sentence whose end this decision checks."""
    sentences = list(step["instruction"])
    turns = sum(1 for _, action in step["history"] if action.startswith("turn_direction"))
    action = step["action"]
    if action == "stop()":
        return sentences[-1], sentences[-2] if len(sentences) > 1 else None
    if action.startswith("turn_direction"):
        now = sentences[min(2 * turns, len(sentences) - 1)]
        return now, sentences[2 * turns - 1] if turns else None
    now = sentences[min(max(2 * turns - 1, 0), len(sentences) - 1)]
    return now, now


def check_sentence(step: Mapping[str, Any], walk: str | None) -> tuple[str, str]:
    """A verification of the observation against the instruction: (natural, terse). The phrasing is
    one the lexical classifier reads as one check ("which matches", "not it", "(yes)", "(no)")."""
    found = _LANDMARK.search(walk or "")
    name = found.group(1) if found else None
    action = step["action"]
    if action == "forward()":
        if name is not None:
            return (f"Check: {name} is out of view, so this is not it yet and I keep walking.",
                    f"check: {name} in view (no)")
        return ("Check: the intersection the instruction leads to is still ahead, so this is not it yet.",
                "check: end of walk (no)")
    if walk is None:
        return ("Check: this is the start, which matches the first instruction, so the first turn is due.",
                "check: start (yes)")
    goal = "the destination" if action == "stop()" else "the intersection where I turn"
    if name is not None and name in step["observation"]:
        return (f"Check: {name} is in view, which matches the instruction, so this is {goal}.",
                f"check: {name} in view (yes)")
    return (f"Check: this is an intersection, which matches the instruction, so this is {goal}.",
            "check: intersection (yes)")


def write_trace(step: Mapping[str, Any], verify: bool, rng: random.Random,
                register: str = "natural") -> tuple[str, dict[str, int], str]:
    """(thoughts, exact behavior counts, action) for one decision."""
    now, walk = sentences_now(step)
    action = step["action"]
    natural, terse = check_sentence(step, walk)
    if register == "terse":
        lines = [f"now: {now}", f"see: {step['observation']}", *([terse] if verify else []), f"do: {action}"]
        text = "\n".join(lines)
    else:
        parts = [rng.choice(_FOLLOW).format(now=now), rng.choice(_SEE).format(seen=step["observation"]),
                 *([natural] if verify else []), rng.choice(_ACT).format(action=action)]
        text = " ".join(parts)
    counts = {"verification": int(verify), "backtracking": 0, "subgoal_setting": 0, "backward_chaining": 0}
    return text, counts, action
