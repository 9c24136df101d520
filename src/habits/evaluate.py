"""Evaluate a model on a task split: greedy accuracy, pass@k, format errors, length, behavior profile.

``evaluate(model_dir, task, split, n, k=...)`` returns one JSON-ready dict; ``habits eval`` calls it
for each requested split (``test`` is in-distribution, ``ood`` out-of-distribution: held-out
Countdown targets, the other GeneralPoints face-card rule). The verdicts come from the task's own
verifier, the same one that rewards RL, so evaluation and training can never disagree on what
counts as correct.

* greedy accuracy: one greedy completion per problem;
* pass@k: ``k`` sampled completions per problem (temperature), the unbiased estimator
  ``1 - C(n-c, k) / C(n, k)`` averaged over problems (Chen et al., 2021), reported for each
  power of two up to k;
* format errors: share of greedy completions whose verdict is ``no_answer`` or ``malformed``;
* mean length: tokens (and characters) of the greedy completions;
* behaviors: the four habits counted by the offline classifier over the greedy completions.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FORMAT_ERRORS = ("no_answer", "malformed")


def _help(text: str, default: Any = None, factory: Any = None) -> Any:
    if factory is not None:
        return field(default_factory=factory, metadata={"help": text})
    return field(default=default, metadata={"help": text})


@dataclass
class EvalConfig:
    """``habits eval``: which model, task, splits and budgets."""

    model: str = _help("Model directory to evaluate (e.g. <run>/model).", "")
    task: str = _help("Task name: countdown, general_points, ...", "countdown")
    task_args: dict[str, Any] = _help("Task config fields (e.g. {prompt_style: chat}).", factory=dict)
    splits: list[str] = _help("Splits to evaluate: test (ID) and/or ood (OOD).", factory=lambda: ["test", "ood"])
    n: int = _help("Problems per split.", 200)
    k: int = _help("Samples per problem for pass@k (1: greedy only).", 1)
    temperature: float = _help("Sampling temperature for the pass@k samples.", 1.0)
    top_p: float = _help("Nucleus sampling for the pass@k samples.", 1.0)
    max_new_tokens: int = _help("Token budget per completion.", 1024)
    batch_size: int = _help("Prompts per generation batch.", 32)
    seed: int = _help("Seed for problems and sampling.", 0)
    backend: str = _help("Generation backend: transformers or vllm.", "transformers")
    behaviors: bool = _help("Count the four behaviors in the greedy completions.", True)
    out: str | None = _help("Write the results JSON here.", None)
    completions: str | None = _help("Also write every greedy completion with its verdict to this JSONL.", None)
    torch_threads: int | None = _help("CPU threads for torch (null: default).", None)
    stage: str = "eval"

    def __post_init__(self) -> None:
        from habits.tasks import SPLITS, task_names

        if not self.model:
            raise ValueError("model is required: a model directory such as runs/rl/model")
        if self.task not in task_names():
            raise ValueError(f"unknown task {self.task!r}; choose one of: {', '.join(task_names())}")
        if isinstance(self.splits, str):
            self.splits = [s.strip() for s in self.splits.split(",") if s.strip()]
        bad = [s for s in self.splits if s not in SPLITS]
        if bad or not self.splits:
            raise ValueError(f"splits: unknown or empty {bad or self.splits}; choose from {', '.join(SPLITS)}")
        if self.n < 1 or self.k < 1:
            raise ValueError(f"n and k must be >= 1, got n={self.n}, k={self.k}")
        if self.k > 1 and self.temperature <= 0:
            raise ValueError("pass@k with k > 1 needs sampling: set temperature > 0")
        if self.max_new_tokens < 1 or self.batch_size < 1:
            raise ValueError("max_new_tokens and batch_size must be >= 1")
        if self.backend not in ("transformers", "vllm"):
            raise ValueError(f"backend must be transformers or vllm, got {self.backend!r}")
        from habits.tasks import get_task

        get_task(self.task, **self.task_args)  # unknown task fields fail now

    def check_inputs(self) -> None:
        from habits.train.config import check_model_path

        check_model_path(self.model)


# -- metrics ------------------------------------------------------------------------------------
def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from ``n`` samples of which ``c`` are correct: ``1 - C(n-c, k) / C(n, k)``.

    >>> pass_at_k(4, 1, 1), pass_at_k(4, 1, 4), pass_at_k(4, 0, 2)
    (0.25, 1.0, 0.0)
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def ks_up_to(k: int) -> list[int]:
    """1, 2, 4, ... up to k, plus k itself."""
    out = [1]
    while out[-1] * 2 <= k:
        out.append(out[-1] * 2)
    if out[-1] != k:
        out.append(k)
    return out


def score(task: Any, problems: Sequence[Mapping[str, Any]], greedy: Sequence[str],
          lengths: Sequence[int] | None = None, behaviors: bool = True) -> dict[str, Any]:
    """Accuracy, format-error share, mean length, verdict reasons and behavior profile of greedy outputs."""
    verdicts = [task.verify(p, text) for p, text in zip(problems, greedy, strict=True)]
    n = len(verdicts)
    reasons = Counter(v.reason for v in verdicts)
    result: dict[str, Any] = {
        "n": n,
        "accuracy": sum(v.correct for v in verdicts) / n if n else 0.0,
        "format_error": sum(reasons[r] for r in FORMAT_ERRORS) / n if n else 0.0,
        "mean_length_chars": sum(len(t) for t in greedy) / n if n else 0.0,
        "reasons": dict(sorted(reasons.items())),
    }
    if lengths is not None:
        result["mean_length_tokens"] = sum(lengths) / n if n else 0.0
    if behaviors:
        result["behaviors"] = behavior_profile(greedy, problems)
    return result


def behavior_profile(texts: Sequence[str], problems: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Mean count and share of completions showing each habit (offline lexical classifier)."""
    try:
        from habits.behaviors.lexical import count_behaviors
    except ImportError:
        return None
    counts = [count_behaviors(t, target=p.get("target")) for t, p in zip(texts, problems, strict=True)]
    n = len(counts) or 1
    names = list(counts[0]) if counts else []
    return {name: {"mean": sum(c[name] or 0 for c in counts) / n,
                   "share": sum(bool(c[name]) for c in counts) / n} for name in names}


def sampled_pass_at_k(task: Any, problems: Sequence[Mapping[str, Any]], samples: Sequence[Sequence[str]],
                      k: int) -> dict[str, float]:
    """pass@j for j in 1, 2, 4, ... k from ``k`` samples per problem."""
    correct = [sum(task.verify(p, s).correct for s in group) for p, group in zip(problems, samples, strict=True)]
    return {f"pass@{j}": sum(pass_at_k(k, c, j) for c in correct) / len(correct) for j in ks_up_to(k)}


# -- in-memory greedy generation (periodic eval during training) --------------------------------
def generate_greedy(model: Any, tokenizer: Any, prompts: Sequence[Any], max_new_tokens: int,
                    batch_size: int = 32) -> tuple[list[str], list[int]]:
    """Greedy completions (text, token count) of an already loaded model, batched, left-padded."""
    import torch

    texts: list[str] = []
    lengths: list[int] = []
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        for start in range(0, len(prompts), batch_size):
            chunk = [p if isinstance(p, str) else tokenizer.apply_chat_template(p, tokenize=False,
                                                                                add_generation_prompt=True)
                     for p in prompts[start:start + batch_size]]
            enc = tokenizer(chunk, return_tensors="pt", padding=True, add_special_tokens=False).to(model.device)
            with torch.no_grad():
                out = model.generate(**enc, do_sample=False, max_new_tokens=max_new_tokens,
                                     pad_token_id=tokenizer.pad_token_id, temperature=None, top_p=None, top_k=None)
            new = out[:, enc["input_ids"].shape[1]:]
            for row in new:
                ids = row[row != tokenizer.pad_token_id].tolist()
                texts.append(tokenizer.decode(ids, skip_special_tokens=True))
                lengths.append(len(ids))
    finally:
        tokenizer.padding_side = side
    return texts, lengths


def in_training_eval(task_factory: Callable[[], Any], splits: Sequence[str], n: int, max_new_tokens: int,
                     seed: int = 0, behaviors: bool = True, batch_size: int = 32) -> Callable[[Any, Any], dict]:
    """``f(model, tokenizer) -> {"eval_<split>/accuracy": ...}`` on fixed problems, for PeriodicEval."""
    task = task_factory()
    fixed = {split: task.generate(n, split=split, seed=seed) for split in splits}

    def run(model: Any, tokenizer: Any) -> dict[str, float]:
        metrics: dict[str, float] = {}
        for split, problems in fixed.items():
            texts, lengths = generate_greedy(model, tokenizer, [task.prompt(p) for p in problems], max_new_tokens,
                                             batch_size)
            result = score(task, problems, texts, lengths, behaviors=behaviors)
            metrics[f"eval_{split}/accuracy"] = result["accuracy"]
            metrics[f"eval_{split}/format_error"] = result["format_error"]
            metrics[f"eval_{split}/mean_length"] = result["mean_length_tokens"]
            for name, stats in (result.get("behaviors") or {}).items():
                metrics[f"eval_{split}/behaviors/{name}"] = stats["mean"]
        return metrics

    return run
