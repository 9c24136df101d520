"""The four reasoning habits: names, definitions, counting rules and examples -- one source of truth.

The offline classifier (:mod:`habits.behaviors.lexical`), the LLM judge's prompts
(:mod:`habits.behaviors.judge`), the labeled fixtures and ``docs/behaviors.md`` all follow the
definitions here, so "a backtracking instance" means the same thing everywhere.

Counts are always a dict with exactly the keys of :data:`BEHAVIORS` (see :func:`empty_counts`);
a judge that could not answer records ``None`` for that behavior, never a silent 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

BEHAVIORS = ("verification", "backtracking", "subgoal_setting", "backward_chaining")


@dataclass(frozen=True)
class Behavior:
    """One habit: what it is, what counts as one instance, and examples on each side of the line."""

    name: str
    title: str
    definition: str
    counts_as: tuple[str, ...]  # what one instance is
    not_counted: tuple[str, ...]  # look-alikes that are not instances
    positive: tuple[str, ...]  # snippets that contain at least one instance
    negative: tuple[str, ...]  # snippets that contain none


TAXONOMY: dict[str, Behavior] = {
    "verification": Behavior(
        name="verification",
        title="Verification",
        definition=(
            "The reasoner checks an intermediate or final result: compares a computed value with the "
            "target (or with a value it needs), re-computes a step to confirm or correct it, or checks "
            "that a candidate answer uses each given number exactly once."
        ),
        counts_as=(
            "each explicit judgement of a computed value against the target or a needed value "
            "('= 26, not 22', 'too big', 'that's exactly 24', 'close but no', '= 24!', '✓', 'no')",
            "each re-computation or confirmation of an earlier step ('let me double-check: 7*8 = 56, yes')",
            "each check that a candidate answer uses the allowed numbers ('uses 4, 5, 10, 10 -- each once')",
        ),
        not_counted=(
            "restating the target or the rules ('we need to reach 24', 'let me check the rules')",
            "a plain computation with no judgement ('Step 2: 8 * 3 = 24.')",
            "announcing a check that is never carried out",
        ),
        positive=(
            "72 - 31 = 41, which is not 22.",
            "(10 - 4) * 4 = 24. Check: 10 - 4 = 6, 6 * 4 = 24. Correct.",
            "That gives 96 -- way too big.",
            "10 * 10 / 5 + 4 = 24. Did I use every card once? 4, 5, 10, 10 -- yes.",
        ),
        negative=(
            "We need to reach 24 using 4, 5, 10 and 10.",
            "Step 1: 5 + 3 = 8. Step 2: 8 * 3 = 24.",
            "Let me check the rules: J, Q and K count as 10.",
        ),
    ),
    "backtracking": Behavior(
        name="backtracking",
        title="Backtracking",
        definition=(
            "The reasoner abandons an approach that failed or looks unpromising and explicitly "
            "switches to a different one, or retracts a step it got wrong and redoes it."
        ),
        counts_as=(
            "each explicit switch away from a failed or unpromising attempt ('that doesn't work, let me try "
            "multiplying instead', 'scratch that', 'wait, maybe ...', 'alternatively ...')",
            "each retraction of a wrong step followed by a redo ('oops, 7*8 is 56, not 54; redo: ...')",
            "in a list of attempts, each move to a new attempt right after one was judged a failure",
        ),
        not_counted=(
            "the first attempt ('let's try 3 * 8')",
            "continuing to build on a partial result ('8 is too small, so multiply it by 3')",
            "listing options before trying any of them",
        ),
        positive=(
            "9 * 8 = 72 overshoots. Let me try a different combination.",
            "3 * 8 = 24. Hmm, wait -- that leaves 7 unused. Start over: ...",
            "1) 9 + 8 = 17, no. 2) 9 * 8 = 72, no. 3) ...",
        ),
        negative=(
            "Let's try 3 * 8 = 24.",
            "Step 1: 5 + 3 = 8. Step 2: 8 * 3 = 24.",
            "5 + 3 = 8, which is too small, so multiply by 3: 24.",
        ),
    ),
    "subgoal_setting": Behavior(
        name="subgoal_setting",
        title="Subgoal setting",
        definition=(
            "The reasoner sets an intermediate goal that is not the final target: a value to make "
            "first, a sub-problem to solve first, or a plan of ordered steps toward the target."
        ),
        counts_as=(
            "each stated intermediate goal ('first I need to make 6 from 2 and 3', 'let's get close to 50 "
            "first', 'I need 14 from the remaining numbers')",
            "an explicit plan stated before it is carried out ('first make a 10, then multiply'); one plan "
            "sentence counts once however many steps it lists",
        ),
        not_counted=(
            "restating the target ('we need to make 24 from 4, 5, 10, 10', 'the goal is 22')",
            "describing a computation as it is done ('Step 2: multiply 8 by 3 to get 24')",
            "restating the rules ('I need to use each number exactly once')",
        ),
        positive=(
            "First, I'll try to make 6 out of 2 and 3.",
            "Let's aim for something near 50 first, then adjust with the small numbers.",
            "With 25 - 11 = 14 done, I still need 9 from 7, 3 and 4.",
        ),
        negative=(
            "We need to make 24 using 4, 5, 10, 10.",
            "Step 2: 8 * 3 = 24.",
            "Each number must be used exactly once.",
        ),
    ),
    "backward_chaining": Behavior(
        name="backward_chaining",
        title="Backward chaining",
        definition=(
            "The reasoner starts from the target and works backward: decomposes the target into an "
            "operation on a value it still needs ('24 = 4 * 6, so I need 6'), or asks what value "
            "combined with a given number would produce the target."
        ),
        counts_as=(
            "each decomposition of the target, or of a value it still needs, into given numbers and/or new "
            "needed values ('24 / 4 = 6, so I need 6 from the rest', '22 = 31 - 9')",
            "each question of the form 'what times 4 gives 24?' or 'which factor pairs make 24?'",
            "an announcement of working backward ('start from the target') counts together with the "
            "decomposition that follows it, as one instance",
        ),
        not_counted=(
            "forward computation that happens to land on the target ('4 * 6 = 24')",
            "restating the target ('the target is 24')",
        ),
        positive=(
            "Work backward: 22 = 31 - 9, and 9 = 72 - 63.",
            "24 / 4 = 6, so I need to make 6 from 2, 3 and 1.",
            "What number times 8 gives 24? 3.",
        ),
        negative=(
            "4 * 6 = 24, done.",
            "The target is 24.",
            "72 - 31 = 41, 41 - 63 = -22.",
        ),
    ),
}


def empty_counts() -> dict[str, int]:
    """``{"verification": 0, "backtracking": 0, "subgoal_setting": 0, "backward_chaining": 0}``."""
    return dict.fromkeys(BEHAVIORS, 0)


def validate_counts(counts: Any, allow_missing: bool = False) -> dict[str, int | None]:
    """Check that ``counts`` has exactly the four keys with non-negative integers (or None if allowed).

    Returns a plain dict in :data:`BEHAVIORS` order; raises ValueError saying what is wrong.
    """
    if not isinstance(counts, Mapping):
        raise ValueError(
            f"behavior counts must be an object with keys {', '.join(BEHAVIORS)}, got {counts!r}"
        )
    keys = set(counts)
    if keys != set(BEHAVIORS):
        missing, extra = set(BEHAVIORS) - keys, keys - set(BEHAVIORS)
        raise ValueError(
            "behavior counts must have exactly the keys "
            + ", ".join(BEHAVIORS)
            + (f"; missing {', '.join(sorted(missing))}" if missing else "")
            + (f"; unexpected {', '.join(sorted(map(str, extra)))}" if extra else "")
        )
    out: dict[str, int | None] = {}
    for name in BEHAVIORS:
        value = counts[name]
        if value is None and allow_missing:
            out[name] = None
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(
                f"behavior count {name!r} must be a non-negative integer"
                + (" or null" if allow_missing else "")
                + f", got {value!r}"
            )
        else:
            out[name] = value
    return out
