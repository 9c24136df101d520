"""The first paper's released curves, matched to our arms by priming condition."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources
from typing import Any

# our condition (None = no priming) -> the paper's condition name in its result tables
PAPER_CONDITION = {None: "base_ppo", "all": "all_strategies", "backtracking": "only_backtracking",
                   "backtracking_verification": "backtracking_verification",
                   "backtracking_subgoal": "backtracking_subgoal", "backtracking_backward": "backtracking_backward",
                   "empty_cot": "empty_cot", "length_matched": "dots", "incorrect": "no_positive_all_strategies"}
PAPER_MODELS = ("llama3.2-3b", "qwen2.5-3b")
# the paper's column names for our four behavior keys
PAPER_BEHAVIOR = {"verification": "avg_verifications", "backtracking": "avg_backtracking",
                  "subgoal_setting": "avg_subgoals", "backward_chaining": "avg_backwards"}


@lru_cache(maxsize=None)
def paper_curves(model: str) -> dict[str, list[dict[str, float]]]:
    """``{paper_condition: [row per step, sorted]}`` for ``model`` (llama3.2-3b or qwen2.5-3b)."""
    if model not in PAPER_MODELS:
        raise ValueError(f"report.paper_model must be one of {', '.join(PAPER_MODELS)}, got {model!r}")
    text = resources.files("habits.report").joinpath("paper_results", f"cognitive_behaviors_{model}.csv").read_text()
    curves: dict[str, list[dict[str, float]]] = {}
    for row in csv.DictReader(text.splitlines()):
        values: dict[str, Any] = {k: float(v) for k, v in row.items() if k != "condition" and v not in ("", None)}
        curves.setdefault(row["condition"], []).append(values)
    for rows in curves.values():
        rows.sort(key=lambda r: r["step"])
    return curves
