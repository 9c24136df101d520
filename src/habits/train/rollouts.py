"""How GRPO rollouts are produced: one attempt (TRL's own generation) or verify-and-revise.

:func:`build_rollout` picks the strategy:

* ``revise_attempts == 1`` (default): no rollout -- TRL generates (transformers, vLLM colocate or
  vLLM server) exactly as it would without this package.
* ``revise_attempts == K > 1``: :class:`VerifyAndRevise`, the second paper's verification
  iterations. After a wrong attempt, the verifier's reason (``Verdict.detail``) is sent back as a
  new user turn (chat prompts) or a "User: ..." line (base prompts) and the model tries again,
  with all earlier attempts in context, up to K attempts. The trajectory is one completion:
  attempt 1, feedback, attempt 2, ...; ``model_mask`` marks the tokens the model wrote (1) and the
  feedback it was given (0, kept out of the loss). Each attempt gets its own reward
  (:func:`habits.episodes.attempt_reward`, which evaluation's episodes use too), passed as the
  ``attempt_rewards`` column; the last attempt is passed as ``final_attempt``.

Prompts of image tasks (TRL's multimodal messages) keep their images in the first user turn through
every attempt; the attempts and the feedback turns are text. The engine tokenises each prompt with
its images once, and ``generate(contexts, which)`` tells it which prompts the contexts continue, so
it can hand their images (pixel values, or the raw images for vLLM) to every attempt's generation.

A rollout is ``rollout(prompts, problems, engine) -> dict``; it knows nothing of TRL. The engine
generates (:class:`Engine`), and :mod:`habits.train.trl_seam` adapts the rollout to TRL's
``rollout_func``, hands it the problem of each prompt from the batch's own rows and generates with
the trainer's own backend, so vLLM and DeepSpeed work the same in both strategies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from habits.episodes import attempt_reward
from habits.tasks import Task

# A marker that no chat template alters, used to find where an assistant turn's text ends.
_MARK = "\u2063habits-attempt\u2063"


class Engine(Protocol):
    """What a rollout needs from the generation backend."""

    tokenizer: Any
    eos_token_ids: Sequence[int]

    def tokenize(self, prompts: list[Any]) -> list[list[int]]: ...

    def generate(self, contexts: list[list[int]],
                 which: list[int]) -> tuple[list[list[int]], list[list[float]] | None]:
        """One completion per context; ``which[j]`` is the index (in the last ``tokenize`` call) of the
        prompt that context ``j`` continues, so an engine can add that prompt's images."""
        ...


def build_rollout(attempts: int, task: Task,
                  feedback: str = "You failed this trial because {detail}. Please try again.") -> VerifyAndRevise | None:
    """The rollout for GRPOTrainer, or None to let TRL generate single attempts itself."""
    if attempts <= 1:
        return None
    return VerifyAndRevise(task, attempts=attempts, feedback=feedback)


class VerifyAndRevise:
    """Up to ``attempts`` tries per rollout; after each wrong one the verifier's reason is fed back."""

    def __init__(self, task: Task, attempts: int = 5,
                 feedback: str = "You failed this trial because {detail}. Please try again.") -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {attempts}")
        self.task = task
        self.attempts = attempts
        self.feedback = feedback
        self.__name__ = "verify_and_revise"

    def __call__(self, prompts: list[Any], problems: Sequence[dict[str, Any]], engine: Engine) -> dict[str, Any]:
        """One trajectory per prompt (TRL repeats each prompt once per generation of its group)."""
        tok = text_tokenizer(engine.tokenizer)
        prompt_ids = engine.tokenize(prompts)
        n = len(prompts)
        completion: list[list[int]] = [[] for _ in range(n)]
        mask: list[list[int]] = [[] for _ in range(n)]
        logps: list[list[float]] | None = [[] for _ in range(n)]
        final_text = [""] * n
        used = [0] * n
        rewards: list[list[float]] = [[] for _ in range(n)]
        active = list(range(n))
        for attempt in range(1, self.attempts + 1):
            new_ids, new_logps = engine.generate([prompt_ids[i] + completion[i] for i in active], list(active))
            if new_logps is None:
                logps = None
            still_wrong = []
            for slot, i in enumerate(active):
                ids = list(new_ids[slot])
                text = tok.decode(ids, skip_special_tokens=True)
                final_text[i], used[i] = text, attempt
                step_logps = list(new_logps[slot]) if new_logps is not None else []
                verdict = self.task.verify(problems[i], text)
                rewards[i].append(attempt_reward(self.task, verdict, attempt, self.attempts))
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
        return {"prompt_ids": prompt_ids, "completion_ids": completion, "logprobs": logps, "model_mask": mask,
                "final_attempt": final_text, "attempts": used, "attempt_rewards": rewards}

    def feedback_text(self, verdict: Any) -> str:
        return self.feedback.format(detail=self.task.feedback(verdict), reason=verdict.reason)

    def _bridge(self, engine: Engine, prompt: Any, ids: list[int], logps: list[float],
                verdict: Any) -> tuple[list[int], list[int], list[float]]:
        """Tokens that close the attempt and open the next one; may drop the attempt's final EOS."""
        tok = text_tokenizer(engine.tokenizer)
        message = self.feedback_text(verdict)
        if isinstance(prompt, str):
            text = f"\nUser: {message}\nAssistant:"
            if prompt.rstrip().endswith("<think>"):
                text += " Let me try again.\n<think>"
            tail = ""
        else:
            text = chat_bridge_text(engine.tokenizer, prompt, message, **getattr(engine, "chat_template_kwargs", {}))
            tail = tok.decode(ids[-1:], skip_special_tokens=False) if ids else ""
        if ids and ids[-1] in engine.eos_token_ids:
            if tail and text.startswith(tail):
                text = text[len(tail):]  # the model already closed its turn with the template's end token
            else:
                ids, logps = ids[:-1], logps[:-1]  # an end-of-text token must not sit mid-trajectory
        return tok(text, add_special_tokens=False)["input_ids"], ids, logps


def text_tokenizer(processing: Any) -> Any:
    """The text tokenizer of a tokenizer or of a vision-language model's processor."""
    return getattr(processing, "tokenizer", processing)


def chat_bridge_text(tokenizer: Any, prompt: list[dict[str, Any]], message: str, **template_kwargs: Any) -> str:
    """The chat-template text between the end of an assistant turn's content and the next assistant turn.

    ``tokenizer`` may be a processor (image prompts): the prompt is rendered with its image parts as
    placeholders and the new turns as text parts, the form multimodal templates expect.
    """
    parts = any(isinstance(m.get("content"), list) for m in prompt)

    def turn(role: str, text: str) -> dict[str, Any]:
        return {"role": role, "content": [{"type": "text", "text": text}] if parts else text}

    shown = [{**m, "content": [{k: v for k, v in part.items() if k != "image"} for part in m["content"]]}
             if isinstance(m.get("content"), list) else dict(m) for m in prompt]
    full = tokenizer.apply_chat_template([*shown, turn("assistant", _MARK), turn("user", message)], tokenize=False,
                                         add_generation_prompt=True, **template_kwargs)
    cut = full.rfind(_MARK)
    if cut < 0:
        raise ValueError("verify-and-revise: the chat template drops earlier assistant turns, so a revision "
                         "cannot see its previous attempt; use a template that keeps them")
    return full[cut + len(_MARK):]
