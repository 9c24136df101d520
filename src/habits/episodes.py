"""Verify-and-revise episodes: the message a model gets back after a wrong attempt.

The second paper's loop appends a user turn "You failed this trial because {reason}" after each
wrong answer and lets the model try again with everything so far in context. The reason here is
the verifier's own ``Verdict.detail`` (or its reason name when there is no detail), so the message
can never disagree with the verdict. RL rollouts (``habits.train.rollouts``) and the exported
verifiers environment both build their feedback with :func:`feedback_message`.

>>> from habits.tasks import Verdict
>>> feedback_message(Verdict(False, "wrong_value", "the expression equals 23, not 24"))
'You failed this trial because the expression equals 23, not 24.'
"""

from __future__ import annotations

from typing import Any

PAPER_FEEDBACK = "You failed this trial because {detail}."


def feedback_message(verdict: Any, template: str = PAPER_FEEDBACK) -> str:
    """``template`` with ``{detail}`` (the verdict's explanation) and ``{reason}`` (its reason name) filled in."""
    detail = (verdict.detail or verdict.reason.replace("_", " ")).rstrip(".")
    return template.format(detail=detail, reason=verdict.reason)
