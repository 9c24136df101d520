"""Evaluate a model on a task split: greedy accuracy, pass@k, format errors, length, behavior profile.

``evaluate(model_dir, task, split, n, k=...)`` returns one JSON-ready dict; ``habits eval`` calls it
for each requested split (``test`` is in-distribution, ``ood`` out-of-distribution: held-out
Countdown targets, the other GeneralPoints face-card rule). The verdicts come from the task's own
verifier, the same one that rewards RL, so evaluation and training can never disagree on what
counts as correct.

* problems are distinct (``distinct: true``, the default): a small split is evaluated whole
  instead of drawing the same problems again, so ``n`` is the effective sample size;
* greedy accuracy: one greedy completion per problem, with a 95% Wilson interval over problems;
* pass@k: ``k`` sampled completions per problem (temperature), the unbiased estimator
  ``1 - C(n-c, k) / C(n, k)`` averaged over problems (Chen et al., 2021), reported for each
  power of two up to k; sampled pass@1 at T = 1 is the first paper's metric, with a 95% interval
  over problems;
* format errors: share of greedy completions whose verdict is ``no_answer`` or ``malformed``;
* mean length: tokens (and characters) of the greedy completions;
* behaviors: the four habits counted by the offline classifier over the greedy completions;
* fidelity: can the model execute the reasoning it writes? Share of greedy completions whose
  arithmetic statements are all right, and (where they write terse checks ``=7 vs 10 no``) whose
  checks agree with the numbers they compare and that stop at the first ``yes``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from habits.configs import described as _help
from habits.metrics import BatchMetrics, measure


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
    max_attempts: int = _help("Verify-and-revise budget K: after a wrong greedy answer the verifier's reason is fed "
                              "back and the model tries again, up to K attempts (1: a single attempt).", 1)
    batch_size: int = _help("Prompts per generation batch.", 32)
    seed: int = _help("Seed for problems and sampling.", 0)
    distinct: bool = _help("Evaluate distinct problems only (a split smaller than n is evaluated whole).", True)
    backend: str = _help("Generation backend: auto (vLLM if installed and on a GPU), transformers or vllm.",
                         "auto")
    vllm_args: dict[str, Any] = _help("Extra vllm.LLM arguments, e.g. {tensor_parallel_size: 2, "
                                      "gpu_memory_utilization: 0.8, max_model_len: 4096}.", factory=dict)
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
        if self.max_new_tokens < 1 or self.batch_size < 1 or self.max_attempts < 1:
            raise ValueError("max_new_tokens, batch_size and max_attempts must be >= 1")
        if self.backend not in ("auto", "transformers", "vllm"):
            raise ValueError(f"backend must be auto, transformers or vllm, got {self.backend!r}")
        from habits.tasks import get_task

        get_task(self.task, **self.task_args)  # unknown task fields fail now

    def check_inputs(self) -> None:
        """The model loads, it can read the task's images, and the outputs can be written: checked before
        any sampling."""
        from habits.io import check_output
        from habits.preflight import model_dir_problem
        from habits.tasks import get_task
        from habits.vision import check_vision

        check_vision(self.model, get_task(self.task, **self.task_args))  # reads config.json alone
        problem = model_dir_problem(self.model)
        if problem:
            raise ValueError(f"model directory {self.model} {problem}; point --model at a saved model, "
                             "e.g. runs/tiny-rl/model")
        if self.out:
            check_output(self.out, (".json",), "out")
        if self.completions:
            check_output(self.completions, (".jsonl",), "completions")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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
    """Accuracy, format errors, mean length, verdict reasons, fidelity and behaviors of greedy outputs."""
    return _split_result(measure(task, problems, greedy, tokens=lengths, behaviors=behaviors))


def _split_result(batch: BatchMetrics) -> dict[str, Any]:
    from habits.behaviors.profile import wilson_interval

    result = batch.summary()
    result["accuracy_interval"] = list(wilson_interval(batch.correct, len(batch.verified)))
    result["fidelity"] = fidelity(batch.texts)
    return result


def fidelity(texts: Sequence[str]) -> dict[str, float | None]:
    """Shares of completions that compute right, check right and stop at a hit (see the module docstring)."""
    from habits.traces.check import trace_fidelity

    audits = [trace_fidelity(t) for t in texts]
    checked = [a for a in audits if a.checks]
    n = len(audits) or 1
    return {"arithmetic_ok": sum(a.arithmetic_ok for a in audits) / n,
            "with_checks": len(checked) / n,
            "checks_agree": sum(a.checks_agree for a in checked) / len(checked) if checked else None,
            "stops_at_hit": sum(a.stops_at_hit for a in checked) / len(checked) if checked else None}


def sampled_pass_at_k(task: Any, problems: Sequence[Mapping[str, Any]], samples: Sequence[Sequence[str]],
                      k: int) -> dict[str, Any]:
    """pass@j for j in 1, 2, 4, ... k from ``k`` samples per problem, and a 95% interval of pass@1."""
    from habits.behaviors.profile import mean_interval

    correct = [measure(task, [p] * len(group), group, behaviors=False).correct
               for p, group in zip(problems, samples, strict=True)]
    result: dict[str, Any] = {f"pass@{j}": sum(pass_at_k(k, c, j) for c in correct) / len(correct)
                              for j in ks_up_to(k)}
    if len(correct) > 1:
        result["pass@1_interval"] = list(mean_interval([c / k for c in correct]))
    return result


def eval_problems(task: Any, split: str, n: int, seed: int, distinct: bool = True) -> list[dict[str, Any]]:
    """``n`` problems of ``split``; with ``distinct`` no problem twice (all of a smaller split)."""
    if not distinct:
        return task.generate(n, split=split, seed=seed)
    from habits.tasks.base import SpaceExhausted

    found: list[dict[str, Any]] = []
    try:
        for problem in task.iter_generate(n, split=split, seed=seed, distinct=True):
            found.append(problem)
    except SpaceExhausted:
        if not found:
            raise
    return found


# -- running ------------------------------------------------------------------------------------
def _sampling(**values: Any) -> Any:
    from habits.sample import SamplingConfig

    return SamplingConfig(**values)


def evaluate(model: Any, task: Any, split: str = "test", n: int = 200, k: int = 1, **options: Any) -> dict[str, Any]:
    """Evaluate ``model`` (a directory or a :class:`habits.sample.LoadedModel`) on ``n`` problems of ``split``.

    ``task`` is a task name (built with ``task_args=``) or a Task. Returns accuracy (greedy), pass@j
    for j up to ``k`` (sampled), format-error share, mean length, verdict reasons and behaviors.
    Options: task_args, temperature, top_p, max_new_tokens, batch_size, seed, backend, behaviors, progress.
    """
    return evaluate_with_rows(model, task, split, n, k, **options)[0]


def evaluate_with_rows(model: Any, task: Any, split: str = "test", n: int = 200, k: int = 1, *,
                       task_args: Mapping[str, Any] | None = None, temperature: float = 1.0, top_p: float = 1.0,
                       max_new_tokens: int = 1024, batch_size: int = 32, seed: int = 0, backend: str = "auto",
                       behaviors: bool = True, progress: bool = True, distinct: bool = True,
                       max_attempts: int = 1) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """:func:`evaluate` plus one row per greedy completion (problem, completion, verdict).

    Problems of several decisions (navigation routes) are evaluated decision by decision:
    ``accuracy`` is then per-step accuracy and ``success`` the share of problems with every decision
    right. ``max_attempts`` > 1 adds verify-and-revise episodes (:mod:`habits.episodes`) under
    ``episodes``: success within 1..K attempts and per-attempt accuracy.
    """
    import time

    from habits.sample import LoadedModel, generate, load_model
    from habits.tasks import get_task
    from habits.vision import LoadedVLM, attach_images, generate_images, load_vlm

    task_obj = get_task(task, **dict(task_args or {})) if isinstance(task, str) else task
    started = time.perf_counter()
    if task_obj.shows_images:  # a vision-language model through its processor
        loaded = model if isinstance(model, LoadedVLM) else load_vlm(
            model, config=_sampling(backend=backend, seed=seed, batch_size=batch_size))
        generate = generate_images  # noqa: F811 -- same contract, prompts carry their images
    else:
        loaded = model if isinstance(model, LoadedModel) else load_model(
            model, _sampling(backend=backend, seed=seed, batch_size=batch_size))
    from habits.episodes import decisions_of, episode_metrics, run_episodes

    routes = eval_problems(task_obj, split, n, seed, distinct)
    decisions = decisions_of(task_obj, routes)
    problems = [step for _, step in decisions]
    prompts = [attach_images(task_obj.prompt(p), task_obj.images(p)) for p in problems]
    common = dict(max_new_tokens=max_new_tokens, batch_size=batch_size, seed=seed, backend=loaded.backend,
                  progress=progress)
    greedy = [group[0] for group in generate(loaded, prompts, _sampling(temperature=0.0, **common))]
    texts = [c.text for c in greedy]
    result: dict[str, Any] = {"model": loaded.path, "task": task_obj.name, "split": split, "seed": seed}
    if "rule" in problems[0]:
        result["rule"] = problems[0]["rule"]
    batch = measure(task_obj, problems, texts, tokens=[c.num_tokens for c in greedy], behaviors=behaviors)
    result.update(_split_result(batch))
    result["problems"] = len(routes)
    episodes = None
    if max_attempts > 1 or len(problems) != len(routes):
        firsts = [texts]  # the greedy first attempts above; later attempts are generated here

        def complete(batch_of_prompts: list[Any]) -> list[str]:
            if firsts:
                return firsts.pop()
            return [group[0].text for group in generate(loaded, batch_of_prompts, _sampling(temperature=0.0, **common))]

        episodes = run_episodes(task_obj, routes, complete, max_attempts)
        result["episodes"] = episode_metrics(episodes, max_attempts)
    correct_by_problem: dict[int, bool] = {}
    for (group, _), verdict in zip(decisions, batch.verdicts, strict=True):
        correct_by_problem[group] = correct_by_problem.get(group, True) and verdict.correct
    result["success"] = sum(correct_by_problem.values()) / len(routes)
    result["truncated"] = sum(c.finish_reason == "length" for c in greedy) / len(greedy)
    if k > 1:
        samples = generate(loaded, prompts, _sampling(temperature=temperature, top_p=top_p, n=k, **common))
        result["k"] = k
        result.update(sampled_pass_at_k(task_obj, problems, [[c.text for c in g] for g in samples], k))
    result["seconds"] = time.perf_counter() - started
    rows = [{"problem": dict(p), "completion": t, "verdict": v.to_dict()}
            for p, t, v in zip(problems, texts, batch.verdicts, strict=True)]
    if episodes is not None:
        for row, episode in zip(rows, episodes, strict=True):
            row["attempts"] = [vars(a) for a in episode.attempts]
    return result, rows


def main(config: EvalConfig) -> dict[str, Any]:
    """``habits eval``: every split of ``config``; writes ``config.out`` (JSON) and ``config.completions``."""
    config.check_inputs()
    if config.torch_threads:
        import torch

        torch.set_num_threads(config.torch_threads)
    from habits.io import save_results, write_json, write_jsonl
    from habits.sample import load_model
    from habits.tasks import get_task
    from habits.vision import load_vlm

    task = get_task(config.task, **config.task_args)
    sampling = _sampling(backend=config.backend, seed=config.seed, batch_size=config.batch_size,
                         vllm_args=config.vllm_args)
    loaded = load_vlm(config.model, config=sampling) if task.shows_images else load_model(config.model, sampling)
    splits: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for split in config.splits:
        result, found = evaluate_with_rows(loaded, task, split, config.n, config.k, temperature=config.temperature,
                                           top_p=config.top_p, max_new_tokens=config.max_new_tokens,
                                           batch_size=config.batch_size, seed=config.seed,
                                           behaviors=config.behaviors, distinct=config.distinct,
                                           max_attempts=config.max_attempts)
        rows += [{"split": split, **row} for row in found]
        splits[split] = result
    report = {"model": config.model, "task": config.task, "task_args": config.task_args,
              "n": {split: result["n"] for split, result in splits.items()},
              "k": config.k, "max_attempts": config.max_attempts, "max_new_tokens": config.max_new_tokens,
              "splits": splits}
    # Sampling may have taken hours: a write that still fails saves the results elsewhere and says where.
    save_results((config.out, lambda path: write_json(path, report)),
                 (config.completions, lambda path: write_jsonl(path, rows)))
    return report


def in_training_eval(task_factory: Callable[[], Any], splits: Sequence[str], n: int, max_new_tokens: int,
                     seed: int = 0, behaviors: bool = True, batch_size: int = 32) -> Callable[[Any, Any], dict]:
    """``f(model, tokenizer) -> {"eval_<split>/accuracy": ...}`` on fixed problems, greedy, for PeriodicEval."""
    from habits.sample import LoadedModel, generate

    task = task_factory()
    fixed = {split: [step for p in eval_problems(task, split, n, seed) for step in task.steps(p)] for split in splits}
    config = _sampling(temperature=0.0, max_new_tokens=max_new_tokens, batch_size=batch_size, seed=seed,
                       backend="transformers", progress=False)

    def run(model: Any, tokenizer: Any) -> dict[str, float]:
        metrics: dict[str, float] = {}
        from habits.vision import LoadedVLM, attach_images, generate_images

        vlm = task.shows_images
        loaded = LoadedVLM(model, tokenizer) if vlm else LoadedModel(model, tokenizer, "transformers")
        for split, problems in fixed.items():
            prompts = [attach_images(task.prompt(p), task.images(p)) for p in problems]
            greedy = [g[0] for g in (generate_images if vlm else generate)(loaded, prompts, config)]
            batch = measure(task, problems, [c.text for c in greedy], tokens=[c.num_tokens for c in greedy],
                            behaviors=behaviors)
            metrics.update(batch.log_values(prefix=f"eval_{split}/"))
        return metrics

    return run
