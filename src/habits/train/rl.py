"""Outcome-reward RL: TRL's GRPOTrainer with the task's exact reward.

``main(config)`` is the whole stage; ``habits train rl --config F.yaml`` calls it. It generates the
task's training problems (or reads them), builds the rewards (:mod:`habits.train.rewards`) and the
rollout (:mod:`habits.train.rollouts`: single attempt, or verify-and-revise), and trains. Every
logged step lands in ``metrics.jsonl`` with TRL's own numbers (reward, reward_std,
frac_reward_zero_std, completion lengths, clipped ratio, KL, entropy) plus ours: accuracy,
format errors and the four behavior counts of the step's completions, and -- every
``eval_every`` steps -- greedy ID/OOD accuracy. An interrupted run resumes with the same command.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from trl import GRPOTrainer

from habits.train.config import RLConfig


class HabitsGRPOTrainer(GRPOTrainer):
    """GRPOTrainer whose log lines also carry metrics computed outside the loss (periodic eval)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending_logs: dict[str, float] = {}

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if self.pending_logs:
            logs = {**logs, **self.pending_logs}
            self.pending_logs = {}
        super().log(logs, start_time)


def grpo_args(config: RLConfig, reward_weights: list[float] | None = None) -> Any:
    """The trl.GRPOConfig for ``config``."""
    import trl

    from habits.train import runs

    stage: dict[str, Any] = dict(
        num_generations=config.num_generations,
        temperature=config.temperature,
        top_p=config.top_p,
        max_completion_length=config.max_completion_length,
        loss_type=config.loss_type,
        beta=config.beta,
        epsilon=config.epsilon,
        num_iterations=config.num_iterations,
        scale_rewards=config.scale_rewards,
        mask_truncated_completions=config.mask_truncated_completions,
        log_completions=config.log_completions,
        use_vllm=config.use_vllm,
        vllm_mode=config.vllm_mode,
        vllm_server_base_url=config.vllm_server_base_url,
        vllm_gpu_memory_utilization=config.vllm_gpu_memory_utilization,
        remove_unused_columns=False,  # the reward needs the `problem` column
        eval_strategy="no",  # ID/OOD evaluation is our greedy PeriodicEval
        reward_weights=reward_weights,
    )
    return runs.trl_args(trl.GRPOConfig, config, stage)


def load_problems(config: RLConfig, task: Any, out: Path) -> list[dict[str, Any]]:
    """Training problems: from ``train_file``, or generated once per run directory and cached there.

    Generation is exhaustive-solver work (milliseconds per Countdown problem), so the main process
    generates and writes ``problems-<hash>.jsonl``; other processes and resumed runs read it.
    """
    from accelerate import PartialState

    from habits.io import write_jsonl
    from habits.progress import track
    from habits.train.data import problems_from_file

    if config.train_file:
        return problems_from_file(config.train_file, limit=config.train_size, task=task)
    n = config.train_size or config.prompts_needed()
    key = json.dumps([config.task, config.task_args, config.seed, n] + ([config.train_stream] if config.train_stream else []),
                     sort_keys=True, default=str)
    cache = out / f"problems-{hashlib.blake2b(key.encode(), digest_size=6).hexdigest()}.jsonl"
    state = PartialState()
    with state.main_process_first():
        if cache.is_file():
            return problems_from_file(cache)
        problems = list(track(task.iter_generate(n, "train", config.seed, stream=config.train_stream),
                              f"{config.task}: generating {n} training problems", total=n))
        if state.is_main_process:
            write_jsonl(cache, ({"problem": p} for p in problems))
    return problems


def main(config: RLConfig, callbacks: list[Any] | None = None) -> dict[str, Any]:
    """Run GRPO; returns the summary (also written to ``<output_dir>/summary.json``)."""
    config.check_inputs()
    config.check_batch()
    from habits.train import runs

    runs.preflight(config)  # output_dir writable, resume consistent, checkpoint intact

    runs.setup_torch(config)
    from transformers import AutoTokenizer

    from habits.evaluate import in_training_eval
    from habits.train.callbacks import MetricsJsonl, PeriodicEval, StopOnSignal
    from habits.train.data import ProblemIndex, rl_dataset, rl_rows
    from habits.train.rewards import build_rewards
    from habits.train.rollouts import build_rollout

    task = config.build_task()
    out = runs.prepare_run_dir(config)
    problems = load_problems(config, task, out)
    train = rl_dataset(task, problems)
    reward_funcs, weights = build_rewards(task, config.format_reward, config.extra_rewards, config.behaviors)
    args = grpo_args(config, weights)
    rollout = build_rollout(config.revise_attempts, task, ProblemIndex(rl_rows(task, problems)),
                            config.revise_feedback)
    if task.shows_images:  # a vision-language model: TRL tokenises prompts and images with its processor
        from transformers import AutoProcessor

        tokenizer = AutoProcessor.from_pretrained(config.model)
        tokenizer.tokenizer.padding_side = "left"
    else:
        tokenizer = AutoTokenizer.from_pretrained(config.model, padding_side="left")
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
    stop = StopOnSignal()
    trainer = HabitsGRPOTrainer(
        model=config.model, reward_funcs=reward_funcs, args=args, train_dataset=train,
        processing_class=tokenizer, peft_config=runs.peft_config(config), rollout_func=rollout,
        callbacks=[MetricsJsonl(out / "metrics.jsonl"), stop, *(callbacks or [])],
    )
    if config.eval_every:
        evaluate_fn = in_training_eval(config.build_task, config.eval_splits, config.eval_n,
                                       config.eval_max_new_tokens or config.max_completion_length,
                                       seed=config.seed, behaviors=config.behaviors)
        trainer.add_callback(PeriodicEval(trainer, config.eval_every, evaluate_fn,
                                          at_start=config.eval_at_start))
    resume = runs.resume_point(config)
    result = trainer.train(resume_from_checkpoint=resume)
    summary: dict[str, Any] = {
        "stage": "rl", "model": config.model, "task": config.task, "problems": len(problems),
        "global_step": trainer.state.global_step, "resumed_from": resume, "train_loss": result.training_loss,
        **runs.last_logged(trainer, "reward", "accuracy", "completions/mean_length", "frac_reward_zero_std",
                           *(f"eval_{s}/accuracy" for s in config.eval_splits)),
    }
    if stop.requested:
        found = runs.complete_checkpoints(out)
        summary.update(status="interrupted", checkpoint=str(found[-1]) if found else None)
    else:
        summary.update(status="completed", model_dir=str(runs.save_final_model(trainer, out)))
    if trainer.accelerator.is_main_process:
        runs.write_summary(out, summary)
    return summary
