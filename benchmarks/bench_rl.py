"""RL throughput on this machine: seconds per GRPO step, completion tokens/s, and where the time goes.

Runs ``habits.train.rl.main`` -- the same code path as ``habits train rl`` -- on the embedded tiny
model (built here, randomly initialised, or ``--model DIR``) and times, per optimizer step:

* ``generate``: sampling the completions (``model.generate`` inside TRL),
* ``reward``: the exact verifier + behavior counter over every completion,
* ``logprobs``: the rest of the rollout -- old/reference log-probabilities, advantages,
* ``update``: forward + backward + optimizer step (step time minus the rollout).

The timers wrap the trainer's internal methods in this process only (instrumentation for the
benchmark; the product code is untouched). The first step is a warm-up and left out.

``--plain-trl`` then trains plain ``trl.GRPOTrainer`` on the same model, with the very GRPOConfig
and training dataset habits built (captured from the habits trainer, output directory changed)
and only the task's TRL reward function: no behavior counter, no metrics callback, no subclass.
The ratio of the two mean step times is habits' overhead over TRL; each run is repeated
``--repeats`` times, alternating, because a shared machine's step times move by tens of percent.

    .venv/bin/python benchmarks/bench_rl.py                      # tiny model, 6 steps
    .venv/bin/python benchmarks/bench_rl.py --steps 10 --completion-length 128 --threads 2
    .venv/bin/python benchmarks/bench_rl.py --plain-trl --repeats 3    # habits vs plain TRL step time
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import save  # noqa: E402

TIMED = {"generate": "_generate", "reward": "_calculate_rewards", "rollout": "_generate_and_score_completions"}


CAPTURED: dict[str, Any] = {}  # the habits trainer's GRPOConfig and dataset, for the plain-TRL run


def capture(cls: type) -> None:
    """Keep the arguments and dataset of the next trainer ``cls`` builds."""
    original = cls.__init__

    def init(self, *args, _original=original, **kwargs):
        _original(self, *args, **kwargs)
        CAPTURED.update(args=self.args, dataset=self.train_dataset)

    cls.__init__ = init


def run_plain(model: Path, root: Path, task_name: str) -> float:
    """Mean step time (warm-up left out) of plain trl.GRPOTrainer with habits' captured settings."""
    import copy

    import trl
    from transformers import AutoTokenizer

    from habits.tasks import get_task

    # A shallow copy, not dataclasses.replace: re-running GRPOConfig.__post_init__ on derived fields fails.
    args = copy.copy(CAPTURED["args"])
    args.output_dir, args.report_to = str(root / "plain"), []
    tokenizer = AutoTokenizer.from_pretrained(model, padding_side="left")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    trainer = trl.GRPOTrainer(model=str(model), reward_funcs=get_task(task_name).reward_function(), args=args,
                              train_dataset=CAPTURED["dataset"], processing_class=tokenizer)
    trainer.train()
    # TRL's own step_time, as in habits' metrics.jsonl: the same measure on both sides
    return statistics.mean([row["step_time"] for row in trainer.state.log_history if "step_time" in row][1:])


def instrument(cls: type, sink: dict[str, list[float]]) -> None:
    """Accumulate wall time of the trainer's rollout stages into ``sink`` (per call)."""
    for label, name in TIMED.items():
        original = getattr(cls, name)

        def timed(self, *args, _original=original, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _original(self, *args, **kwargs)
            finally:
                sink[_label].append(time.perf_counter() - start)

        setattr(cls, name, timed)


def build_model(root: Path, arch: str) -> Path:
    from habits.models.tiny import TinyModelConfig, build_tiny_model

    return build_tiny_model(root / "model", TinyModelConfig(arch=arch))


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    torch.set_num_threads(args.threads)
    from habits.train.config import load_config
    from habits.train.rl import main
    from habits.train.trl_seam import HabitsGRPOTrainer

    sink: dict[str, list[float]] = defaultdict(list)
    instrument(HabitsGRPOTrainer, sink)
    capture(HabitsGRPOTrainer)
    comparison: dict[str, list[float]] = {"habits_s": [], "plain_trl_s": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        model = Path(args.model) if args.model else build_model(root, args.arch)
        built = time.perf_counter() - started
        for repeat in range(args.repeats if args.plain_trl else 1):
            config = load_config(None, {
                "model": str(model), "output_dir": str(root / f"run{repeat}"), "max_steps": args.steps,
                "save_steps": 10_000, "per_device_train_batch_size": args.batch, "num_generations": args.generations,
                "max_completion_length": args.completion_length, "temperature": 1.0, "beta": args.beta,
                "learning_rate": 1e-5, "eval_every": 0, "report_to": [], "torch_threads": args.threads,
                "task": args.task,
            }, stage="rl")
            started = time.perf_counter()
            main(config)
            total = time.perf_counter() - started
            lines = [json.loads(line) for line in (root / f"run{repeat}" / "metrics.jsonl").read_text().splitlines()]
            comparison["habits_s"].append(statistics.mean([s["step_time"] for s in lines if "step_time" in s][1:]))
            if args.plain_trl:
                comparison["plain_trl_s"].append(run_plain(model, root, args.task))
    steps = [line for line in lines if "step_time" in line][1:]  # drop the warm-up step (last habits run)
    skip = len(lines) - len(steps)
    per = {label: values[-len(steps):] for label, values in sink.items()}
    step_time = statistics.mean(s["step_time"] for s in steps)
    completions = args.batch
    tokens = statistics.mean(s["completions/mean_length"] for s in steps) * completions
    parts = {label: statistics.mean(values) for label, values in per.items()}
    breakdown = {
        "generate_s": parts["generate"],
        "reward_s": parts["reward"],
        "logprobs_s": parts["rollout"] - parts["generate"] - parts["reward"],
        "update_s": step_time - parts["rollout"],
    }
    return {
        "config": {"arch": args.arch, "model": args.model or "tiny (built here)", "task": args.task,
                   "steps_measured": len(steps), "completions_per_step": completions,
                   "num_generations": args.generations, "max_completion_length": args.completion_length,
                   "beta": args.beta, "torch_threads": args.threads},
        "seconds_per_step": step_time,
        "completion_tokens_per_step": tokens,
        "completion_tokens_per_s": tokens / step_time,
        "generation_tokens_per_s": tokens / parts["generate"],
        "breakdown_s": breakdown,
        "breakdown_share": {k: v / step_time for k, v in breakdown.items()},
        "clipped_ratio": statistics.mean(s["completions/clipped_ratio"] for s in steps),
        "plain_trl": ({**comparison, "ratio_each": [h / p for h, p in zip(comparison["habits_s"],
                                                                        comparison["plain_trl_s"], strict=True)],
                       "ratio_of_means": statistics.mean(comparison["habits_s"]) / statistics.mean(comparison["plain_trl_s"])}
                      if args.plain_trl else None),
        "load_average_1min": os.getloadavg()[0],  # a shared machine: other work slows every number above
        "model_build_s": built,
        "run_s": total,
    }


def report(result: dict[str, Any]) -> None:
    c = result["config"]
    print(f"GRPO on {c['model']} ({c['arch']}), {c['task']}: {c['completions_per_step']} completions/step "
          f"({c['num_generations']} per prompt), <= {c['max_completion_length']} tokens, beta {c['beta']}, "
          f"{c['torch_threads']} torch thread(s), {c['steps_measured']} steps measured")
    print(f"  {result['seconds_per_step']:.2f} s/step, {result['completion_tokens_per_step']:.0f} completion "
          f"tokens/step -> {result['completion_tokens_per_s']:.0f} tokens/s overall, "
          f"{result['generation_tokens_per_s']:.0f} tokens/s while generating")
    for name, seconds in result["breakdown_s"].items():
        print(f"  {name:<11} {seconds:6.2f} s  {result['breakdown_share'][name]:6.1%}")
    plain = result["plain_trl"]
    if plain:
        print(f"  habits vs plain TRL GRPOTrainer, mean s/step per repeat: "
              + ", ".join(f"{h:.2f} vs {p:.2f}" for h, p in zip(plain["habits_s"], plain["plain_trl_s"], strict=True))
              + f" -> {plain['ratio_of_means']:.3f}x (each: " + ", ".join(f"{r:.2f}" for r in plain["ratio_each"]) + ")")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model directory (default: build the tiny model)")
    parser.add_argument("--arch", default="qwen2", choices=["qwen2", "llama"])
    parser.add_argument("--task", default="countdown")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=16, help="completions per step")
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--completion-length", type=int, default=64)
    parser.add_argument("--beta", type=float, default=0.001)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--plain-trl", action="store_true", help="also time plain trl.GRPOTrainer, same settings")
    parser.add_argument("--repeats", type=int, default=3, help="alternating habits / plain-TRL runs (--plain-trl)")
    args = parser.parse_args(argv)
    result = run(args)
    report(result)
    print(f"wrote {save('bench_rl', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
