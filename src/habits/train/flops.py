"""A Trainer callback that counts a stage's training compute, step by step, in the paper's FLOPs.

:class:`FlopsCallback` works for TRL's ``SFTTrainer`` and ``GRPOTrainer`` (and any Trainer) from the
one token counter both keep, ``TrainerState.num_input_tokens_seen``:

* SFT: TRL's ``SFTTrainer`` logs ``num_tokens``, the non-padding tokens it trained on in this
  session (all processes); each costs ``6·N``. When the run turned the Trainer's own counter on
  (``include_num_input_tokens_seen``), that is read instead -- the only choice for a plain
  ``Trainer``. The callback does not turn that counter on: it makes every log line carry
  ``train_runtime``, which habits' ``MetricsJsonl`` takes for the end-of-training line and skips.
* RL (GRPO): TRL adds to ``num_input_tokens_seen``, when it generates, the prompt and completion
  tokens of every rollout of all processes. Each rollout is then trained on ``passes`` times
  (``num_iterations``), so ``D_RL = passes × rollout tokens``, and generation costs ``2·N·D_buffer``
  with ``D_buffer = λ·D_RL`` (λ configured) or the paper's ``E·d̄_i·d̄_o`` measured from the rollouts:
  E from the generation batch size, d̄_o from TRL's logged ``completions/mean_length``, d̄_i from the
  token count.
  Generated tokens are charged at the step that generates them (a batch trained on over several
  steps is charged when it is made), so at a step between generations the total is slightly ahead.

Every logged row gets ``compute/flops`` (the arm's cumulative FLOPs: ``start_flops`` -- compute spent
by the arm before this stage, e.g. the shared SFT init -- plus this stage's), ``compute/tokens_trained``
and, for RL, ``compute/tokens_generated``, ``compute/buffer_tokens`` and ``compute/lambda``. An
evaluation point at step s is labelled with the row of step s (:func:`habits.compute.flops_at`) or
with :attr:`FlopsCallback.flops` at the moment it runs.

The counts live in ``TrainerState`` (the token counter, and this callback's numbers in
``log_history``), which checkpoints save, so a resumed run continues its count. SFT's count is
exact at logged steps (where TRL reports it); with ``logging_steps: 1``, at every step.

Order: the callback adds its numbers to the ``logs`` dict that later callbacks see, so pass it
*before* the callback that writes ``metrics.jsonl`` (``callbacks=[FlopsCallback(...), MetricsJsonl(...)]``).
"""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

from habits.compute import count_parameters

class FlopsCallback(TrainerCallback):
    """Cumulative training FLOPs of one stage, added to every log line as ``compute/*``.

    ``generates``: whether the stage generates its own training data (on-policy RL: pays
    ``2·N·D_buffer`` on top); default: detected from the trainer's arguments (TRL's generating
    trainers, GRPO and RLOO, have ``num_generations``). ``n_params``: N (default: counted from the
    model at the start). ``lam``: λ, a number, or None to measure it from the rollouts (the paper's
    definition).
    ``passes``: optimisation passes over each rollout (GRPO ``num_iterations``; default: read from
    the trainer's arguments, else 1). ``start_flops``: FLOPs the arm spent before this stage.
    """

    def __init__(self, generates: bool | None = None, n_params: int | None = None, lam: float | None = None,
                 passes: int | None = None, start_flops: float = 0.0) -> None:
        if generates not in (None, True, False):
            raise ValueError(f"FlopsCallback: generates must be True, False or None (detect), "
                             f"got {generates!r}")
        if lam is not None and (lam < 0 or lam != lam):
            raise ValueError(f"FlopsCallback: lam (λ) must be a number >= 0 or None (measured), got {lam!r}")
        if passes is not None and passes < 1:
            raise ValueError(f"FlopsCallback: passes must be >= 1, got {passes}")
        if start_flops < 0:
            raise ValueError(f"FlopsCallback: start_flops must be >= 0, got {start_flops}")
        self.generates = generates
        self.n_params = n_params
        self.lam = lam
        self.passes = passes
        self.start_flops = float(start_flops)
        self.tokens = 0  # tokens seen by the trainer's counter (SFT: trained; RL: generated rollouts)
        self.buffer = 0.0  # D_buffer committed so far (measured λ)
        self.pending_tokens = 0  # RL, measured λ: rollout tokens not yet matched with their logged lengths
        self.pending_rollouts = 0
        self.last_lambda: float | None = None
        self.from_state = True  # read the token count from TrainerState (else from TRL's logged num_tokens)
        self.session_offset = 0

    # -- the numbers ----------------------------------------------------------------------------
    @property
    def tokens_trained(self) -> float:
        """D_SFT or D_RL so far."""
        return float(self.tokens) * (self.passes or 1) if self.generates else float(self.tokens)

    @property
    def buffer_tokens(self) -> float:
        """D_buffer so far (RL): λ·D_RL, or the measured E·d̄_i·d̄_o (+ an estimate for unlogged rollouts)."""
        if not self.generates:
            return 0.0
        if self.lam is not None:
            return self.lam * self.tokens_trained
        pending = (self.last_lambda or 0.0) * self.pending_tokens * (self.passes or 1)
        return self.buffer + pending

    @property
    def flops(self) -> float:
        """The arm's cumulative FLOPs now: start + 6·N·D (+ 2·N·D_buffer for RL)."""
        n = float(self.n_params or 0)
        return self.start_flops + 6.0 * n * self.tokens_trained + 2.0 * n * self.buffer_tokens

    def values(self) -> dict[str, float]:
        """What a log line gets."""
        out = {"compute/flops": self.flops, "compute/tokens_trained": self.tokens_trained}
        if self.generates:
            out["compute/tokens_generated"] = float(self.tokens)
            out["compute/buffer_tokens"] = self.buffer_tokens
            lam = self.lam if self.lam is not None else self.last_lambda
            if lam is not None:
                out["compute/lambda"] = lam
        return out

    # -- the trainer's events -------------------------------------------------------------------
    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if self.n_params is None:
            if model is None:
                raise ValueError("FlopsCallback: give n_params, or use it in a Trainer (it passes the model)")
            self.n_params = count_parameters(model)
        if self.generates is None:
            self.generates = hasattr(args, "num_generations")
        if self.passes is None:
            self.passes = int(getattr(args, "num_iterations", 1) or 1)
        # Generating trainers always keep the state's counter; SFT only when the run asked for it.
        counting = getattr(args, "include_num_input_tokens_seen", "no") not in ("no", False)
        self.from_state = self.generates or counting
        restored = _restored(state)
        self.buffer, self.last_lambda = restored["buffer"], restored["lambda"]
        # The state's counter is saved with checkpoints; TRL's SFT count restarts at 0 in a resumed session.
        self.session_offset = 0 if self.from_state else int(restored["tokens"])
        self.tokens = int(state.num_input_tokens_seen or 0) if self.from_state else self.session_offset
        self.pending_tokens = self.pending_rollouts = 0

    def on_step_end(self, args, state, control, **kwargs):
        if not self.from_state:
            return control
        seen = int(state.num_input_tokens_seen or 0)
        new = seen - self.tokens
        self.tokens = seen
        if self.generates and self.lam is None and new > 0:
            self.pending_tokens += new
            self.pending_rollouts += _rollouts_per_generation(args)
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is None or "train_loss" in logs:
            return  # the end-of-training totals, not a step
        if not self.from_state and logs.get("num_tokens") is not None:
            self.tokens = self.session_offset + int(logs["num_tokens"])
        if self.generates and self.lam is None:
            self._commit(logs.get("completions/mean_length"))
        values = self.values()
        logs.update(values)
        # The Trainer appended a copy of the logs to log_history before calling us: keep the numbers
        # there too, so they are saved with checkpoints (a resumed run reads them back).
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(values)

    def on_train_end(self, args, state, control, **kwargs):
        if self.generates and self.lam is None:
            self._commit(None)

    def _commit(self, mean_completion: float | None) -> None:
        """Turn the rollouts generated since the last log into D_buffer, with their logged mean length."""
        if not self.pending_rollouts:
            return
        mean_total = self.pending_tokens / self.pending_rollouts
        if mean_completion is None:
            if self.last_lambda is None:
                return  # nothing known about their lengths yet: wait for the next log
            self.buffer += self.last_lambda * self.pending_tokens * (self.passes or 1)
        else:
            mean_completion = min(float(mean_completion), mean_total)
            mean_prompt = mean_total - mean_completion
            self.buffer += self.pending_rollouts * mean_prompt * mean_completion
            trained = self.tokens_trained
            self.last_lambda = self.buffer / trained if trained else None
        self.pending_tokens = self.pending_rollouts = 0


def _rollouts_per_generation(args: Any) -> int:
    """E of one generation: GRPO's global generation batch, else one optimizer step's examples."""
    size = getattr(args, "generation_batch_size", None)
    if size:
        return int(size)
    return int(args.per_device_train_batch_size * args.gradient_accumulation_steps * max(1, args.world_size))


def _restored(state: Any) -> dict[str, Any]:
    """Tokens, D_buffer and λ of the last row this callback logged (a resumed run), or a fresh start."""
    for row in reversed(getattr(state, "log_history", None) or []):
        if "compute/tokens_trained" in row and row.get("step", 0) <= state.global_step:
            return {"tokens": row["compute/tokens_trained"], "lambda": row.get("compute/lambda"),
                    "buffer": float(row.get("compute/buffer_tokens", 0.0))}
    return {"tokens": 0, "buffer": 0.0, "lambda": None}
