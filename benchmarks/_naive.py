"""UNSAFE BASELINE -- the kind of scorer many RL repositories ship. Benchmark use only.

It calls Python's ``eval`` on the answer text. A character whitelist keeps names out, but
``9**9**9**9`` passes it and never finishes. The benchmark feeds it only strings it built itself;
never point it at model output. habits never evaluates answers this way (see ``habits.arith``).

The shape follows the common Countdown reward (TinyZero-style): the last ``<answer>(.*?)</answer>``
without DOTALL (so a multi-line answer is not found), a whitelist regex, numbers compared as
sorted lists, float comparison with a tolerance. For GeneralPoints it reads the JSON ``"formula"``
field and drops a trailing ``= 24``.
"""

from __future__ import annotations

import re
from typing import Any

_ANSWER = re.compile(r"<answer>(.*?)</answer>")
_FORMULA = re.compile(r'"formula"\s*:\s*"(.*?)"')
_ALLOWED = re.compile(r"^[\d+\-*/().\s]+$")
_INT = re.compile(r"\d+")


def _check(expression: str, numbers: list[int], target: float) -> bool:
    if not _ALLOWED.match(expression):
        return False
    if sorted(int(n) for n in _INT.findall(expression)) != sorted(numbers):
        return False
    try:
        value = eval(expression, {"__builtins__": None}, {})
    except Exception:  # noqa: BLE001 -- baseline behaviour: any failure scores 0
        return False
    return abs(value - target) < 1e-5


def countdown_correct(problem: dict[str, Any], completion: str) -> bool:
    matches = _ANSWER.findall(completion)
    return bool(matches) and _check(matches[-1].strip(), problem["numbers"], problem["target"])


def general_points_correct(problem: dict[str, Any], values: list[int], completion: str) -> bool:
    matches = _FORMULA.findall(completion) or _ANSWER.findall(completion)
    if not matches:
        return False
    return _check(matches[-1].split("=")[0].strip(), values, problem["target"])
