"""How GRPO rollouts are produced: one attempt (TRL's own generation) or verify-and-revise.

This module is the seam between the trainer and the shape of a rollout. TRL's ``GRPOTrainer``
accepts a ``rollout_func(prompts, trainer) -> {"prompt_ids", "completion_ids", "logprobs", ...}``
that replaces its single-turn generation; extra keys reach the reward functions as columns, and
an ``env_mask`` key marks which completion tokens the model wrote (1) and which were inserted by
the environment (0, left out of the loss). :func:`build_rollout` picks the strategy:

* ``revise_attempts == 1`` (default): no rollout function -- TRL generates (transformers, vLLM
  colocate or vLLM server) exactly as it would without this package.
* ``revise_attempts == K > 1``: :class:`VerifyAndRevise`, the second paper's verification
  iterations. After a wrong attempt, the verifier's reason (``Verdict.detail``) is sent back as a
  new user turn (chat prompts) or a "User: ..." line (base prompts) and the model tries again,
  with all earlier attempts in context, up to K attempts. The trajectory is one completion:
  attempt 1, feedback, attempt 2, ...; feedback tokens are masked out of the loss, and the reward
  is judged on the last attempt (passed to the reward as the ``final_attempt`` column).

Generation itself goes through :class:`TRLEngine`, a thin adapter over the trainer's own
tokenisation and single-turn generation, so vLLM and DeepSpeed work the same in both strategies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from habits.tasks import Task

# A marker that no chat template alters, used to find where an assistant turn's text ends.
_MARK = "\u2063habits-attempt\u2063"


class Rollout(Protocol):
    """TRL's ``RolloutFunc``: one completion per prompt entry (TRL repeats each prompt per generation)."""

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]: ...


class Engine(Protocol):
    """What a rollout needs from the generation backend."""

    tokenizer: Any
    eos_token_ids: Sequence[int]

    def tokenize(self, prompts: list[Any]) -> list[list[int]]: ...

    def generate(self, contexts: list[list[int]]) -> tuple[list[list[int]], list[list[float]] | None]: ...


class TRLEngine:
    """The trainer's own prompt tokenisation and one-turn generation (transformers, paged, or vLLM).

    These are private GRPOTrainer methods (trl 1.16); keeping every use of them in this class
    means a TRL upgrade touches only this adapter.
    """

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer
        self.tokenizer = trainer.processing_class
        self.eos_token_ids = list(trainer.eos_token_ids)
        self.chat_template_kwargs = dict(getattr(trainer, "chat_template_kwargs", None) or {})

    def tokenize(self, prompts: list[Any]) -> list[list[int]]:
        prompt_ids, _, _ = self.trainer._tokenize_prompts(prompts)
        return [list(ids) for ids in prompt_ids]

    def generate(self, contexts: list[list[int]]) -> tuple[list[list[int]], list[list[float]] | None]:
        completion_ids, logprobs = self.trainer._generate_single_turn(contexts, None, {}, 1)
        return [list(ids) for ids in completion_ids], logprobs


def build_rollout(attempts: int, task: Task, problem_of: Callable[[Any], dict[str, Any]],
                  feedback: str = "Your answer is not correct: {detail}. Please try again.") -> Rollout | None:
    """The rollout function for GRPOTrainer, or None to let TRL generate single attempts itself."""
    if attempts <= 1:
        return None
    return VerifyAndRevise(task, problem_of, attempts=attempts, feedback=feedback)


class VerifyAndRevise:
    """Up to ``attempts`` tries per rollout; after each wrong one the verifier's reason is fed back."""

    def __init__(self, task: Task, problem_of: Callable[[Any], dict[str, Any]], attempts: int = 5,
                 feedback: str = "Your answer is not correct: {detail}. Please try again.",
                 engine_factory: Callable[[Any], Engine] = TRLEngine) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {attempts}")
        self.task = task
        self.problem_of = problem_of
        self.attempts = attempts
        self.feedback = feedback
        self.engine_factory = engine_factory
        self.__name__ = "verify_and_revise"

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, Any]:
        engine = self.engine_factory(trainer)
        tok = engine.tokenizer
        problems = [self.problem_of(p) for p in prompts]
        prompt_ids = engine.tokenize(prompts)
        n = len(prompts)
        completion: list[list[int]] = [[] for _ in range(n)]
        mask: list[list[int]] = [[] for _ in range(n)]
        logps: list[list[float]] | None = [[] for _ in range(n)]
        final_text = [""] * n
        used = [0] * n
        active = list(range(n))
        for attempt in range(1, self.attempts + 1):
            new_ids, new_logps = engine.generate([prompt_ids[i] + completion[i] for i in active])
            if new_logps is None:
                logps = None
            still_wrong = []
            for slot, i in enumerate(active):
                ids = list(new_ids[slot])
                text = tok.decode(ids, skip_special_tokens=True)
                final_text[i], used[i] = text, attempt
                step_logps = list(new_logps[slot]) if new_logps is not None else []
                verdict = self.task.verify(problems[i], text)
                if not verdict.correct and attempt < self.attempts:
                    bridge, ids, step_logps = self._bridge(engine, prompts[i], ids, step_logps, verdict)
                    still_wrong.append(i)
                else:
                    bridge = []
                completion[i] += ids + bridge
                mask[i] += [1] * len(ids) + [0] * len(bridge)
                if logps is not None:
                    logps[i] += step_logps + [0.0] * len(bridge)
            active = still_wrong
            if not active:
                break
        return {"prompt_ids": prompt_ids, "completion_ids": completion, "logprobs": logps, "env_mask": mask,
                "final_attempt": final_text, "attempts": used}

    def feedback_text(self, verdict: Any) -> str:
        detail = (verdict.detail or verdict.reason.replace("_", " ")).rstrip(".")
        return self.feedback.format(detail=detail, reason=verdict.reason)

    def _bridge(self, engine: Engine, prompt: Any, ids: list[int], logps: list[float],
                verdict: Any) -> tuple[list[int], list[int], list[float]]:
        """Tokens that close the attempt and open the next one; may drop the attempt's final EOS."""
        tok = engine.tokenizer
        message = self.feedback_text(verdict)
        if isinstance(prompt, str):
            text = f"\nUser: {message}\nAssistant:"
            if prompt.rstrip().endswith("<think>"):
                text += " Let me try again.\n<think>"
            tail = ""
        else:
            text = chat_bridge_text(tok, prompt, message, **getattr(engine, "chat_template_kwargs", {}))
            tail = tok.decode(ids[-1:], skip_special_tokens=False) if ids else ""
        if ids and ids[-1] in engine.eos_token_ids:
            if tail and text.startswith(tail):
                text = text[len(tail):]  # the model already closed its turn with the template's end token
            else:
                ids, logps = ids[:-1], logps[:-1]  # an end-of-text token must not sit mid-trajectory
        return tok(text, add_special_tokens=False)["input_ids"], ids, logps


def chat_bridge_text(tokenizer: Any, prompt: list[dict[str, Any]], message: str, **template_kwargs: Any) -> str:
    """The chat-template text between the end of an assistant turn's content and the next assistant turn."""
    convo = [*prompt, {"role": "assistant", "content": _MARK}]
    full = tokenizer.apply_chat_template(convo + [{"role": "user", "content": message}], tokenize=False,
                                         add_generation_prompt=True, **template_kwargs)
    cut = full.rfind(_MARK)
    if cut < 0:
        raise ValueError("verify-and-revise: the chat template drops earlier assistant turns, so a revision "
                         "cannot see its previous attempt; use a template that keeps them")
    return full[cut + len(_MARK):]
