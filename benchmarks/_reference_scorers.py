"""REIMPLEMENTATIONS of two public reference scorers, written here from their public source, for the
cross-check benchmark only (``crosscheck_verifiers.py``). They are not the originals and not used by
habits; they reproduce the originals' rules so that habits' verdicts can be compared with them.

* TinyZero's Countdown ``compute_score`` (``verl/utils/reward_score/countdown.py``): the answer is
  looked for only after the first ``Assistant:`` (or ``<|im_start|>assistant``) of the whole
  sequence and only on its last line; the last ``<answer>(.*?)</answer>`` there (no DOTALL); the
  ``\\d+`` literals, sorted, must equal the sorted numbers; a character whitelist
  ``[\\d+\\-*/().\\s]``; Python ``eval``; ``abs(value - target) < 1e-5``. Scores: 0 without an
  answer, 0.1 for any other answer, 1.0 when correct.
* The GeneralPoints step reward of "SFT Memorizes, RL Generalizes" (``utils_rl.step_rewards``, text
  variant, with ``utils_general.re_match``): the formula is ``json.loads(output)["formula"]`` when
  the whole output is JSON, else the *first* ``"formula": "(.*?)"``; everything from the first
  ``=`` on is dropped, whatever follows it; the rest must consist of ``\\d+`` and ``+-*/()`` tokens
  only (so a space anywhere is an illegal formula, -3); -3 per out-of-place token; -2 for numbers
  not on the cards or used too often, -2 more for cards left unused; otherwise ``eval(formula) ==
  24`` (float division) scores +5. The original then gives +1 / 0 / -1 by matching the formula as
  a prefix of its own solver's solution strings; that solver is not reproduced here, so every such
  case reads -1 (the benchmark compares only "correct or not").

UNSAFE: both call Python ``eval`` on the answer text, as the originals do. The benchmark runs this
module only in a separate worker process, on strings it built itself.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from typing import Any

_MARKER = "@@RESULT@@ "
_TZ_ANSWER = re.compile(r"<answer>(.*?)</answer>")
_TZ_ALLOWED = re.compile(r"^[\d+\-*/().\s]+$")
_INT = re.compile(r"\d+")
_GP_FORMULA = re.compile(r'"formula": "(.*?)"')
_GP_TOKEN = re.compile(r"\d+|[+\-*/()]")


def tinyzero_countdown(sequence: str, numbers: list[int], target: int) -> float:
    """TinyZero's Countdown score of a whole decoded sequence (prompt + completion)."""
    for marker in ("Assistant:", "<|im_start|>assistant"):
        if marker in sequence:
            sequence = sequence.split(marker, 1)[1]
            break
    else:
        return 0.0
    found = _TZ_ANSWER.findall(sequence.split("\n")[-1])
    if not found:
        return 0.0
    equation = found[-1].strip()
    if sorted(int(n) for n in _INT.findall(equation)) != sorted(numbers):
        return 0.1
    if not _TZ_ALLOWED.match(equation):
        return 0.1
    try:
        value = eval(equation, {"__builtins__": None}, {})  # noqa: S307 -- the original's rule; benchmark strings only
        return 1.0 if abs(value - target) < 1e-5 else 0.1
    except Exception:  # noqa: BLE001 -- the original scores any failure as "formatted but wrong"
        return 0.1


def _gp_formula(output: str) -> Any:
    try:
        return json.loads(output)["formula"]
    except Exception:  # noqa: BLE001 -- the original falls back to a regex on any failure
        match = _GP_FORMULA.search(output)
        return match.group(1) if match else "None"


def sftvsrl_general_points(output: str, values: list[int], target: int) -> float:
    """The paper's GeneralPoints reward (text variant) of one model output."""
    formula = _gp_formula(output)
    if isinstance(formula, str):
        formula = formula.split("=")[0]
    else:
        return -3.0
    tokens = _GP_TOKEN.findall(formula)
    if "".join(tokens) != formula:
        return -3.0
    reward = 0.0
    previous, open_brackets = None, 0
    for token in tokens:
        kind = "number" if token[0].isdigit() else {"(": "open", ")": "close"}.get(token, "operator")
        if kind in ("number", "open"):
            in_place = previous in (None, "operator", "open")
            open_brackets += kind == "open" and in_place
        else:
            in_place = previous in ("number", "close")
            if kind == "close" and in_place:
                in_place, open_brackets = open_brackets > 0, max(open_brackets - 1, 0)
        reward -= 0 if in_place else 3
        previous = kind
    used, given = Counter(int(t) for t in tokens if t[0].isdigit()), Counter(values)
    if any(n not in given or used[n] > given[n] for n in used):
        reward -= 2
    if any(given[n] > used[n] for n in given):
        reward -= 2
    if reward:
        return reward
    try:
        if eval(formula) == target:  # noqa: S307 -- the original's rule (float division); benchmark strings only
            return 5.0
    except Exception:  # noqa: BLE001
        return -1.0  # the original: +1 if a prefix of one of its solutions, else -1 (not reproduced)
    return -1.0  # the original: -1, or 0 when every prefix matches one of its solutions (not reproduced)


def main() -> None:
    """Worker: read a job file, print each scorer's scores after the result marker."""
    with open(sys.argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    out: dict[str, list[float]] = {}
    if "countdown" in job:
        out["tinyzero"] = [tinyzero_countdown(row["sequence"], row["numbers"], row["target"])
                           for row in job["countdown"]]
    if "general_points" in job:
        out["sftvsrl"] = [sftvsrl_general_points(row["completion"], row["values"], row["target"])
                          for row in job["general_points"]]
    print(_MARKER + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
