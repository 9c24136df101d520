"""Verify-and-revise episodes ("VIter" of "SFT Memorizes, RL Generalizes"), shared by eval and RL.

An episode is one decision of a problem (a GeneralPoints hand, a Countdown problem, one decision
point of a navigation route): the model answers; if the task's verifier says no, the verifier's
reason goes back in the paper's words ("You failed this trial because ...") and the model tries
again with every earlier attempt in context, up to ``max_attempts`` (the paper: 5 for GeneralPoints,
2 for V-IRL). Each attempt has its own reward under the task's scheme; an episode that uses up its
budget without success also gets the over-budget penalty on its last attempt (the paper's -1 for
exceeding the verification steps; there is none with a budget of one, which is plain evaluation).

Chat prompts (message lists) get the attempt as an assistant turn and the feedback as a user turn;
base-model prompts (plain text) get ``\\nUser: <feedback>\\nAssistant:`` appended, re-opening
``<think>`` when the prompt had opened it.

Metrics (:func:`episode_metrics`): success within 1..K attempts (the paper's GeneralPoints metric),
accuracy of each attempt among the episodes that reached it, per-step accuracy counting every
attempt as a sample (the paper's V-IRL metric), and problem success: every decision of the problem
solved within the budget (route success for navigation; the same as success@K for one-decision
tasks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from habits.tasks.base import Task, Verdict

FAILED = "You failed this trial because {reason}."
OVER_BUDGET_PENALTY = -1.0


def feedback_message(task: Task, verdict: Verdict) -> str:
    """The verifier's message after a wrong attempt, in the paper's words."""
    return FAILED.format(reason=task.feedback(verdict))


def attempt_reward(task: Task, verdict: Verdict, attempt: int, max_attempts: int) -> float:
    """The reward of attempt ``attempt`` (1-based): the task's scheme, plus the over-budget penalty on a
    wrong last attempt when there was a budget to use up (K > 1)."""
    reward = task.reward_table()[verdict.reason]
    if not verdict.correct and attempt == max_attempts and max_attempts > 1:
        reward += OVER_BUDGET_PENALTY
    return reward


def revise(prompt: Any, completion: str, message: str) -> Any:
    """The prompt of the next attempt: the earlier prompt, the attempt and the feedback."""
    if isinstance(prompt, str):
        text = f"{prompt}{completion}\nUser: {message}\nAssistant:"
        return text + " Let me try again.\n<think>" if prompt.rstrip().endswith("<think>") else text
    return [*[dict(m) for m in prompt], {"role": "assistant", "content": completion},
            {"role": "user", "content": message}]


@dataclass
class Attempt:
    completion: str
    reason: str
    correct: bool
    reward: float


@dataclass
class Episode:
    """Attempts at one decision; ``group`` is the index of the problem the decision belongs to."""

    decision: dict[str, Any]
    group: int
    prompt: Any
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def solved(self) -> bool:
        return any(a.correct for a in self.attempts)

    def solved_within(self, j: int) -> bool:
        return any(a.correct for a in self.attempts[:j])

    def rewards(self) -> list[float]:
        return [a.reward for a in self.attempts]

    def to_dict(self) -> dict[str, Any]:
        return {"problem": self.decision, "group": self.group, "solved": self.solved,
                "attempts": [vars(a) for a in self.attempts]}


def decisions_of(task: Task, problems: Sequence[Mapping[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """``(problem index, decision)`` for every decision of every problem, in order."""
    return [(index, step) for index, problem in enumerate(problems) for step in task.steps(problem)]


def run_episodes(task: Task, problems: Sequence[Mapping[str, Any]], complete: Callable[[list[Any]], list[str]],
                 max_attempts: int = 1) -> list[Episode]:
    """Episodes for every decision of ``problems``; ``complete(prompts) -> texts`` generates one
    completion per prompt (batched: all still-unsolved episodes of an attempt in one call)."""
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
    from habits.vision import attach_images

    episodes = [Episode(step, group, attach_images(task.prompt(step), task.images(step)))
                for group, step in decisions_of(task, problems)]
    active = list(range(len(episodes)))
    for attempt in range(1, max_attempts + 1):
        if not active:
            break
        texts = complete([episodes[i].prompt for i in active])
        still = []
        for i, text in zip(active, texts, strict=True):
            episode = episodes[i]
            verdict = task.verify(episode.decision, text)
            reward = attempt_reward(task, verdict, attempt, max_attempts)
            episode.attempts.append(Attempt(text, verdict.reason, verdict.correct, reward))
            if not verdict.correct and attempt < max_attempts:
                episode.prompt = revise(episode.prompt, text, feedback_message(task, verdict))
                still.append(i)
        active = still
    return episodes


def episode_metrics(episodes: Sequence[Episode], max_attempts: int) -> dict[str, Any]:
    """Success within 1..K, per-attempt accuracy and reward, per-step accuracy, problem success."""
    n = len(episodes) or 1
    out: dict[str, Any] = {"max_attempts": max_attempts, "decisions": len(episodes)}
    out["success_within"] = {str(j): sum(e.solved_within(j) for e in episodes) / n
                             for j in range(1, max_attempts + 1)}
    per_attempt = {}
    for j in range(1, max_attempts + 1):
        reached = [e.attempts[j - 1] for e in episodes if len(e.attempts) >= j]
        if reached:
            per_attempt[str(j)] = {"n": len(reached), "accuracy": sum(a.correct for a in reached) / len(reached),
                                   "mean_reward": sum(a.reward for a in reached) / len(reached)}
    out["per_attempt"] = per_attempt
    every = [a for e in episodes for a in e.attempts]
    out["step_accuracy"] = sum(a.correct for a in every) / (len(every) or 1)
    groups: dict[int, bool] = {}
    for e in episodes:
        groups[e.group] = groups.get(e.group, True) and e.solved
    out["problems"] = len(groups)
    out["problem_success"] = sum(groups.values()) / (len(groups) or 1)
    out["mean_attempts"] = sum(len(e.attempts) for e in episodes) / n
    out["mean_return"] = sum(sum(e.rewards()) for e in episodes) / n
    return out
