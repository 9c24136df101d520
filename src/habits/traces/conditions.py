"""Priming conditions: which behaviors the thoughts show, and what the answer and think block look like.

The first paper primed models under named conditions (all strategies, only backtracking, pairs with
backtracking, and controls: empty thoughts, length-matched dots, wrong answers). Here a condition is
data -- a set of allowed behaviors plus an answer policy and a thoughts policy -- and the paper's
presets are registered instances, so new combinations need no code::

    Condition("verify_only", behaviors=frozenset({"verification"}))

A forbidden behavior appears in no trace. An allowed one appears wherever the search gives it a
chance: backtracking only after a miss (a problem solved by the first line shows none), plans
only when the target splits by a given number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from habits.registry import Registry
from habits.traces.narrate import BEHAVIORS
from habits.traces.search import SearchSettings

ALL = frozenset(BEHAVIORS)
ANSWERS = ("correct", "wrong")
THOUGHTS = ("full", "empty", "none", "dots")


@dataclass(frozen=True)
class Condition:
    """A priming condition.

    ``behaviors``: what the written thoughts show. ``answer``: ``correct`` (the search's own answer,
    right when it found the target -- correctness is natural, not forced) or ``wrong`` (the search
    believes a line through a silent slip: the last step states the target, the answer is wrong).
    ``thoughts``: ``full`` (reasoning text), ``empty`` (an empty think block), ``none`` (no think block
    where the prompt allows it) or ``dots`` (one " ." per token of the thoughts it replaces).
    ``source_behaviors``: for replaced thoughts (empty/none/dots), the behaviors of the trace that is
    generated and then replaced -- so answers (and dot counts) match that condition item for item.
    """

    name: str
    behaviors: frozenset[str] = frozenset()
    answer: str = "correct"
    thoughts: str = "full"
    source_behaviors: frozenset[str] = ALL
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "behaviors", frozenset(self.behaviors))
        object.__setattr__(self, "source_behaviors", frozenset(self.source_behaviors))
        for label, group in (("behaviors", self.behaviors), ("source_behaviors", self.source_behaviors)):
            unknown = sorted(group - ALL)
            if unknown:
                raise ValueError(f"condition {self.name!r}: unknown {label} {unknown}; choose from {', '.join(BEHAVIORS)}")
        if self.answer not in ANSWERS:
            raise ValueError(f"condition {self.name!r}: answer must be one of {ANSWERS}, got {self.answer!r}")
        if self.thoughts not in THOUGHTS:
            raise ValueError(f"condition {self.name!r}: thoughts must be one of {THOUGHTS}, got {self.thoughts!r}")
        if self.thoughts != "full" and self.behaviors:
            raise ValueError(f"condition {self.name!r}: thoughts={self.thoughts!r} writes no reasoning, so it cannot "
                             f"show {sorted(self.behaviors)}; set behaviors=() (source_behaviors picks the "
                             "trace whose thoughts are replaced)")

    @property
    def generated_behaviors(self) -> frozenset[str]:
        """Behaviors of the trace the search lays out (before any replacement of the thoughts)."""
        return self.behaviors if self.thoughts == "full" else self.source_behaviors

    def settings(self, budget: int = 6) -> SearchSettings:
        """The search layout that gives traces these behaviors (``budget``: most attempts written)."""
        shown = self.generated_behaviors
        return SearchSettings(
            budget=budget,
            plans=2 if shown & {"subgoal_setting", "backward_chaining"} else 0,
            stop_at_hit="backtracking" in shown,  # without backtracking a trace is one attempt
            slip=self.answer == "wrong",
        )


CONDITIONS: Registry[Condition] = Registry("priming condition")


def _preset(name: str, description: str, **fields) -> Condition:
    condition = Condition(name, description=description, **fields)
    CONDITIONS.register(name)(condition)
    return condition


_preset("all", "all four behaviors (the paper's all_strategies)", behaviors=ALL)
_preset("backtracking", "only backtracking", behaviors=frozenset({"backtracking"}))
_preset("backtracking_verification", "backtracking and verification",
        behaviors=frozenset({"backtracking", "verification"}))
_preset("backtracking_subgoal", "backtracking and subgoal setting",
        behaviors=frozenset({"backtracking", "subgoal_setting"}))
_preset("backtracking_backward", "backtracking and backward chaining",
        behaviors=frozenset({"backtracking", "backward_chaining"}))
_preset("none", "direct answer, no reasoning (no think block where the prompt allows it)", thoughts="none")
_preset("empty_cot", "the answers of 'all' behind an empty think block", thoughts="empty")
_preset("length_matched", "the thoughts of 'all' replaced by one ' .' per token", thoughts="dots")
_preset("incorrect", "all behaviors; the search believes a wrong line through a silent arithmetic slip",
        behaviors=ALL, answer="wrong")
_preset("plain", "one unchecked attempt, no behaviors: what the Llama-like tiny base writes")


def get_condition(name: str | Condition) -> Condition:
    """A registered preset by name (a Condition passes through)."""
    return name if isinstance(name, Condition) else CONDITIONS.get(name)


def condition_names() -> list[str]:
    return CONDITIONS.names()
