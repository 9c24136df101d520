"""GeneralPoints' second reward scheme, ``released``: the released code's reward, for exact replication.

The paper's table (scheme ``paper``) gives one reward per verdict: +5 correct, -1 wrong value, -2
numbers not among the cards or unused, -3 anything else illegal, -1.5 misread cards (image
modality). The released code (``utils_rl.step_rewards`` of the paper's repository) differs, and
this module reproduces that behaviour with habits' own exact arithmetic (never ``eval``):

* it reads the *first* ``"formula"`` (and ``"cards"``) in the completion; habits reads the last;
* the formula is cut at ``=`` and its whitespace removed; anything but digits, ``+ - * / ( )`` is
  -3 at once (so ``K*2`` or ``10**2`` are illegal, not read by card letter);
* penalties add up: every misplaced token is another -3; numbers not among the cards (or used too
  often) -2, *and* unused numbers another -2 (an unused card and an extra number give -4);
* only a formula without any of those faults is evaluated: equal to the target +5; one that cannot
  be evaluated (e.g. unbalanced) but is a prefix of a known solution +1 (partial credit); else -1;
* the image modality checks the card reading first: a wrong ``"cards"`` list is -1.5 at once.

Known solutions here are habits' solver's (commutative rearrangements merged), so fewer
formulas earn the +1 prefix credit than in the released code, which lists every permutation.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from habits.arith import evaluate

CORRECT, PARTIAL, NO_SOLUTION, WRONG_CARDS, WRONG_NUMBER, ILLEGAL = 5.0, 1.0, -1.0, -1.5, -2.0, -3.0
_TOKEN = re.compile(r"\d+|[-+*/()]")
_FIRST_FORMULA = re.compile(r"""["']formula["']\s*:\s*["']([^"'\n]{0,400})["']""")
_FIRST_CARDS = re.compile(r"""["']cards["']\s*:\s*\[([^\]\n]{0,200})\]""")


def first_formula(text: str) -> str:
    """The first ``"formula"`` value, cut at ``=``, without whitespace ("" when there is none)."""
    match = _FIRST_FORMULA.search(text)
    formula = match.group(1).split("=")[0] if match else ""
    return "".join(formula.split())


def first_cards(text: str) -> list[str] | None:
    """The first ``"cards"`` list as normalised rank names, or None."""
    match = _FIRST_CARDS.search(text)
    if match is None:
        return None
    from habits.tasks.cards import normalise_rank

    return [normalise_rank(item) for item in match.group(1).split(",") if item.strip()]


def released_reward(values: Sequence[int], target: int, solutions: Sequence[str], completion: str,
                    cards: Sequence[str] | None = None) -> tuple[float, list[str]]:
    """The released code's reward and messages for ``completion``; ``cards`` (the true ranks) turns on
    the card-reading check of the image modality."""
    if cards is not None and sorted(first_cards(completion) or []) != sorted(cards):
        return WRONG_CARDS, ["you recognized wrong cards"]
    formula = first_formula(completion)
    tokens = _TOKEN.findall(formula)
    if "".join(tokens) != formula:
        return ILLEGAL, ["illegal characters"]
    total, messages = 0.0, []
    previous, depth = None, 0
    for token in tokens:
        kind = "number" if token.isdigit() else token if token in "()" else "operator"
        if kind == "number":
            legal = previous in (None, "operator", "(")
        elif kind == "operator":
            legal = previous in ("number", ")")
        elif kind == "(":
            legal = previous in (None, "operator", "(")
            depth += legal
        else:
            legal = previous in ("number", ")") and depth > 0
            depth -= legal
        if not legal:
            total += ILLEGAL
            messages.append(f"invalid sequence at {token!r}")
        previous = kind
    given, used = Counter(values), Counter(int(t) for t in tokens if t.isdigit())
    invalid = sorted(n for n in used if n not in given)
    overused = sorted(n for n in used if n in given and used[n] > given[n])
    if invalid or overused:
        total += WRONG_NUMBER
        messages.append(f"you used invalid numbers: {invalid}" if invalid
                        else f"you used numbers: {overused} too many times")
    unused = sorted(n for n in given if given[n] > used[n])
    if unused:
        total += WRONG_NUMBER
        messages.append(f"you didn't use numbers: {unused}")
    if total:
        return total, messages
    plain = ["".join(s.split()) for s in solutions]
    result = evaluate(formula) if formula else None
    if result is not None and result.error is None and result.equals(target):
        return CORRECT, ["Correct solution"]
    if result is None or result.error is not None:
        if any(s.startswith(formula) for s in plain):
            return PARTIAL, ["partial solution"]
    prefix = ""
    for token in tokens:
        if not any(s.startswith(prefix + token) for s in plain):
            message = ("your formula does not match any solution" if not prefix
                       else f"{prefix} is partially correct but the full formula does not match any solution")
            return NO_SOLUTION, [message]
        prefix += token
    return 0.0, []  # a prefix of a known solution that evaluates to something else (as the released code)


def reward_for(task: Any, problem: Mapping[str, Any], completion: str) -> float:
    """The ``released`` scheme for a GeneralPoints task object."""
    cards = list(problem["cards"]) if task.config.modality == "image" else None
    found, _ = released_reward(task.values(problem), int(problem["target"]), task.solve(problem), completion, cards)
    return found
