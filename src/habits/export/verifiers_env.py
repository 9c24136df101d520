"""The runtime side of the verifiers export: habits tasks as ``verifiers`` (v1, 0.4) tasksets and envs.

An exported package (``habits export verifiers``) subclasses :class:`HabitsTaskset` with its task name
and settings baked in. Loaded by verifiers (``eval habits-countdown``, prime-rl, ...):

* every row is one problem of the task (``split``/``seed`` from the taskset config; an infinite,
  deterministic stream -- bound it with ``-n``);
* :class:`HabitsTask` scores the model's last reply with the task's own verifier: the reward is the
  task's reward scheme (weight 1); the verdict (``correct``, one ``reason_*`` flag, ``attempts``) and
  the four behavior counts over all the model's replies are metrics, i.e. recorded with weight 0;
* :class:`ReviseEnv` is the second paper's verify-and-revise episode: after a wrong attempt the
  verifier's reason goes back as a user turn ("You failed this trial because ...") and the model tries
  again, up to ``attempts`` times; the reward is judged on the last attempt.

This module imports ``verifiers`` (the ``verifiers`` extra); the rest of habits never does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any, ClassVar

import verifiers.v1 as vf
from pydantic import Field
from verifiers.v1.types import content_text

from habits.behaviors import BEHAVIORS, count_behaviors, empty_counts
from habits.episodes import FAILED
from habits.tasks import REASONS, SPLITS, Task, Verdict, get_task


@lru_cache(maxsize=64)
def _task(name: str, args_key: tuple[tuple[str, str], ...]) -> Task:
    return get_task(name, **{key: json.loads(value) for key, value in args_key})


def habits_task(name: str, task_args: Mapping[str, Any]) -> Task:
    """The habits task ``name`` with ``task_args`` (cached: scoring builds no task per rollout)."""
    return _task(name, tuple(sorted((key, json.dumps(value, sort_keys=True)) for key, value in task_args.items())))


class HabitsData(vf.TaskData):
    """One problem of a habits task, with what is needed to verify it anywhere."""

    habits_task: str
    task_args: dict[str, Any] = Field(default_factory=dict)
    problem: dict[str, Any]
    split: str = "train"
    seed: int = 0
    index: int = 0


class HabitsTaskConfig(vf.TaskConfig):
    """Per-task scoring options (``--env.taskset.task.*``)."""

    behaviors: bool = True
    """Record the four behavior counts as metrics."""


class HabitsTask(vf.Task[HabitsData, vf.State, HabitsTaskConfig]):
    @property
    def key(self) -> str:
        data = self.data
        return f"habits/{data.habits_task}/{data.split}/{data.seed}/{data.index}"

    def habits(self) -> Task:
        return habits_task(self.data.habits_task, self.data.task_args)

    def verify(self, reply: str) -> Verdict:
        return self.habits().verify(self.data.problem, reply)

    @vf.reward(weight=1.0)
    async def reward(self, trace: vf.Trace) -> float:
        """The task's reward scheme on the last reply (the final attempt)."""
        task, reply = self.habits(), trace.last_reply
        return task.score(self.data.problem, reply, task.verify(self.data.problem, reply))

    @vf.metric
    async def verdict(self, trace: vf.Trace) -> dict[str, float]:
        """correct (0/1), reason_<reason> (one of them 1) and attempts (model replies)."""
        verdict = self.verify(trace.last_reply)
        return {"correct": float(verdict.correct), "attempts": float(len(trace.assistant_messages)),
                **{f"reason_{reason}": float(reason == verdict.reason) for reason in REASONS}}

    @vf.metric
    async def behaviors(self, trace: vf.Trace) -> dict[str, float]:
        """Behavior counts over every reply of the episode (the lexical classifier)."""
        counts = empty_counts()
        if self.config.behaviors:
            target = self.data.problem.get("target")
            for message in trace.assistant_messages:
                found = count_behaviors(content_text(message.content) or "",
                                        target=target if isinstance(target, int) else None)
                counts = {name: counts[name] + found[name] for name in BEHAVIORS}
        return {name: float(counts[name]) for name in BEHAVIORS}


class HabitsTasksetConfig(vf.TasksetConfig):
    """Which problems (``--env.taskset.*``)."""

    split: str = "train"
    """train, test (in distribution) or ood."""
    seed: int = 0
    """Same seed, same problems."""
    task_args: dict[str, Any] = Field(default_factory=dict)
    """Task config overrides on top of the package's (e.g. {"reward": "binary"})."""
    task: HabitsTaskConfig = HabitsTaskConfig()


class HabitsTaskset(vf.Taskset[HabitsTask, HabitsTasksetConfig]):
    """Problems of one habits task; a generated package sets TASK and TASK_ARGS."""

    INFINITE = True
    TASK: ClassVar[str] = "countdown"
    TASK_ARGS: ClassVar[dict[str, Any]] = {}

    def __init__(self, config: HabitsTasksetConfig) -> None:
        super().__init__(config)
        if config.split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {config.split!r}")
        self.task_args = {**self.TASK_ARGS, **config.task_args}
        habits_task(self.TASK, self.task_args).check_split(config.split)  # bad settings fail at load, not mid-run

    def load(self) -> Iterator[HabitsTask]:
        task = habits_task(self.TASK, self.task_args)
        split, seed = self.config.split, self.config.seed
        for index, problem in enumerate(task.iter_generate(sys.maxsize, split=split, seed=seed)):
            system, prompt = split_system(task.prompt(problem))
            data = HabitsData(prompt=prompt, system_prompt=system, habits_task=self.TASK, task_args=self.task_args,
                              problem=problem, split=split, seed=seed, index=index)
            yield HabitsTask(data, self.config.task)


def split_system(prompt: str | list[dict[str, str]]) -> tuple[str | None, str | list[dict[str, str]]]:
    """A habits prompt as (system prompt, prompt): a leading system message moves to the system prompt."""
    if isinstance(prompt, str):
        return None, prompt
    messages = [dict(m) for m in prompt]
    if messages and messages[0]["role"] == "system":
        rest = messages[1:]
        return messages[0]["content"], rest[0]["content"] if len(rest) == 1 and rest[0]["role"] == "user" else rest
    return None, messages[0]["content"] if len(messages) == 1 and messages[0]["role"] == "user" else messages


# The second paper's message after a wrong attempt (habits.episodes.FAILED), filled with the verifier's reason.
PAPER_FEEDBACK = FAILED.replace("{reason}", "{detail}")


def feedback_message(verdict: Verdict, template: str = PAPER_FEEDBACK, task: Task | None = None) -> str:
    """``template`` with ``{detail}`` (``task.feedback(verdict)``: the task's own words, as in habits'
    episodes; without a task, the base Task's: the verdict's explanation, else its reason) and
    ``{reason}`` filled in."""
    detail = task.feedback(verdict) if task is not None else Task.feedback(None, verdict)  # type: ignore[arg-type]
    return template.format(detail=detail, reason=verdict.reason)


class ReviseEnvConfig(vf.EnvConfig):
    """The verify-and-revise episode (``--env.*``)."""

    agent: vf.AgentConfig = vf.AgentConfig()
    """The policy's seat."""
    attempts: int = Field(5, ge=1)
    """Most attempts per episode (the paper: 5 for GeneralPoints)."""
    feedback: str = PAPER_FEEDBACK
    """The user turn after a wrong attempt; {detail} and {reason} come from the verifier."""


class ReviseEnv(vf.Env[ReviseEnvConfig]):
    """Attempt, verify, send the verifier's reason back, try again -- until correct or out of attempts."""

    async def run(self, task: vf.Task, agents: vf.Agents) -> None:
        if not isinstance(task, HabitsTask):
            raise TypeError(f"ReviseEnv runs habits tasks, got {type(task).__name__}")
        async with agents.agent.interaction(task) as chat:
            segment = await chat.turn()
            for _ in range(self.config.attempts - 1):
                if segment.terminated:
                    break
                verdict = task.verify(segment.last_reply)
                if verdict.correct:
                    break
                segment = await chat.turn(feedback_message(verdict, self.config.feedback, task.habits()))


def load_environment(taskset_id: str, *, attempts: int | None = None, split: str = "train", seed: int = 0,
                     task_args: Mapping[str, Any] | None = None, harness: str = "null",
                     runtime: str = "subprocess", **env: Any) -> vf.Env:
    """Build the verifiers Env of an installed habits package, e.g. ``load_environment("habits-countdown")``.

    ``attempts`` > 1 (or ``taskset_id`` ending in ``-revise``) gives the verify-and-revise env.
    ``harness``/``runtime`` pick the policy's program and where it runs (verifiers' defaults are a
    coding agent in a Prime sandbox; a chat model answering a puzzle needs neither).
    """
    if attempts is not None and attempts > 1 and not taskset_id.endswith("-revise"):
        taskset_id += "-revise"
    config: dict[str, Any] = {
        "taskset": {"id": taskset_id, "split": split, "seed": seed, "task_args": dict(task_args or {})},
        "agent": {"harness": {"id": harness}, "runtime": {"type": runtime}},
        **env,
    }
    if attempts is not None and taskset_id.endswith("-revise"):
        config["attempts"] = attempts
    return vf.load_environment(vf.resolve_env_config(config))
