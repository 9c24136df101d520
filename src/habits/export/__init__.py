"""Hand habits' tasks, verifiers and priming data to the engines users scale on.

* :mod:`habits.export.verl` -- veRL: RL parquet in veRL's dataset schema, a reward module with
  ``compute_score``, and SFT parquet for priming data (``habits export verl``);
* :mod:`habits.export.verifiers` -- an installable ``verifiers`` environment package per task
  (``habits export verifiers``), whose runtime side is :mod:`habits.export.verifiers_env`;
* :mod:`habits.export.reasoning_gym` -- habits' tasks registered as reasoning-gym datasets (the other
  direction, any reasoning-gym dataset as a habits task, is ``habits.tasks.reasoning_gym``).

Every export scores with the task's own ``verify`` and reward scheme: nothing here re-parses an answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def chat_messages(prompt: str | Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """A task prompt as chat messages: base-style text becomes one user message (TinyZero's layout)."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return [{"role": str(m["role"]), "content": str(m["content"])} for m in prompt]


def problem_json(problem: Mapping[str, Any]) -> str:
    """A problem as canonical JSON text (what ground truths and extra_info carry)."""
    return json.dumps(dict(problem), sort_keys=True, ensure_ascii=False)
