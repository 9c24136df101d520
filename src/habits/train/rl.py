"""Outcome-reward RL: TRL's GRPOTrainer with the task's exact reward.

``main(config)`` is the whole stage; ``habits train rl --config F.yaml`` calls it. It checks the
installed TRL (:func:`habits.train.trl_seam.check_trl`), generates the task's training problems
(or reads them), builds the rewards (:mod:`habits.train.rewards`) and the rollout
(:mod:`habits.train.rollouts`: single attempt, or verify-and-revise), and trains. Every logged step
lands in ``metrics.jsonl`` with TRL's own numbers (reward, reward_std, frac_reward_zero_std,
completion lengths, clipped ratio, KL, entropy) plus ours: accuracy, format errors and the four
behavior counts of the step's completions, the sampling statistics when dynamic sampling or the
curriculum is on, and -- every ``eval_every`` steps -- greedy ID/OOD accuracy. An interrupted run
resumes with the same command.

The algorithm is GRPO as TRL implements it, not the first paper's PPO: no value model; advantages
are each completion's reward against its group of ``num_generations`` (4 by default, the paper's
rollout count); the loss is aggregated per token over the batch (TRL's ``dapo`` loss type, like
veRL's PPO aggregation); a KL penalty of 0.001 to the initial model (the paper's coefficient).
``preset: dapo | dr_grpo | gspo`` switches to a published variant (:mod:`habits.train.presets`),
and any other GRPOConfig field can be set by its TRL name.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from habits.train.config import RLConfig


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
    from habits.train import runs, trl_seam

    runs.preflight(config)  # output_dir writable, resume consistent, checkpoint intact (TRL checked by check_inputs)
    runs.setup_torch(config)
    from transformers import AutoTokenizer

    from habits.evaluate import in_training_eval
    from habits.train.callbacks import MetricsJsonl, PeriodicEval, SolveRatesCheckpoint, StopOnSignal
    from habits.train.data import rl_dataset, rl_rows
    from habits.train.rewards import build_rewards
    from habits.train.rollouts import build_rollout
    from habits.train.sampling import GroupSampler

    task = config.build_task()
    out = runs.prepare_run_dir(config)
    problems = load_problems(config, task, out)
    train = rl_dataset(task, problems)
    reward_funcs, weights = build_rewards(task, config.format_reward, config.extra_rewards, config.behaviors,
                                          control=config.reward_control, seed=config.seed)
    rollout = build_rollout(config.revise_attempts, task, config.revise_feedback)
    sampler = None
    if config.dynamic_sampling or config.curriculum != "uniform":
        outcome = reward_funcs[0]
        sampler = GroupSampler(rl_rows(task, problems), config.args.num_generations,
                               correctness=lambda: outcome.last_correct, dynamic=bool(config.dynamic_sampling),
                               max_rounds=config.sampling_rounds, curriculum=config.curriculum, seed=config.seed)
    if task.shows_images:  # a vision-language model: TRL tokenises prompts and images with its processor
        from transformers import AutoProcessor

        tokenizer = AutoProcessor.from_pretrained(config.model)
        tokenizer.tokenizer.padding_side = "left"
    else:
        tokenizer = AutoTokenizer.from_pretrained(config.model, padding_side="left")
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
    stop = StopOnSignal()
    monitors = runs.monitor_callbacks(config, task, config.generation_factor)  # compute/*, drift/*
    trainer = trl_seam.HabitsGRPOTrainer(
        model=config.model, reward_funcs=reward_funcs, args=config.trl_args(reward_weights=weights),
        train_dataset=train, processing_class=tokenizer, peft_config=runs.peft_config(config),
        rollout_func=trl_seam.rollout_func(rollout) if rollout is not None else None, sampler=sampler,
        callbacks=[*monitors, MetricsJsonl(out / "metrics.jsonl"), stop, *(callbacks or [])],
    )
    resume = runs.resume_point(config)
    if sampler is not None:
        trainer.add_callback(SolveRatesCheckpoint(sampler.rates, resume))
    if config.eval_every or config.eval_at_steps:
        evaluate_fn = in_training_eval(config.build_task, config.eval_splits, config.eval_n,
                                       config.eval_max_new_tokens or config.args.max_completion_length,
                                       seed=config.seed, behaviors=config.behaviors)
        trainer.add_callback(PeriodicEval(trainer, config.eval_every, evaluate_fn,
                                          at_start=config.eval_at_start, steps=config.eval_at_steps))
    result = trainer.train(resume_from_checkpoint=resume)
    summary: dict[str, Any] = {
        "stage": "rl", "model": config.model, "task": config.task, "problems": len(problems),
        "global_step": trainer.state.global_step, "resumed_from": resume, "train_loss": result.training_loss,
        **runs.last_logged(trainer, "reward", "accuracy", "completions/mean_length", "frac_reward_zero_std",
                           *(f"eval_{s}/accuracy" for s in config.eval_splits)),
    }
    summary["flops"] = monitors[0].flops  # the arm's training compute so far (the paper's estimate)
    if stop.requested:
        found = runs.complete_checkpoints(out)
        summary.update(status="interrupted", checkpoint=str(found[-1]) if found else None)
    else:
        summary.update(status="completed", model_dir=str(runs.save_final_model(trainer, out)))
    if trainer.accelerator.is_main_process:
        runs.write_summary(out, summary)
    return summary
