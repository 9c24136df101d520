"""Diagnosis: does a model already show the four habits RL can amplify? (the first paper's step 1)

``main(DiagnoseConfig(...))`` takes completions -- from a JSONL file, or sampled here from a model
directory on a task -- counts the behaviors in each (lexical classifier or LLM judge), and reports
per behavior the share of responses showing it (Wilson 95% interval) and the mean count (t
interval); accuracy with the task's own verifier when rows carry a ``problem``; mean length in
characters and tokens; and a readiness verdict that names the missing behaviors. It writes a JSON
report, a PNG bar chart with error bars and, when it sampled, the completions with their counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from habits.behaviors import BACKENDS, JudgeConfig, Thresholds, classify
from habits.behaviors.profile import wilson_interval
from habits.configs import described
from habits.io import InputError, check_output, read_rows, save_results, write_json, write_jsonl
from habits.metrics import measure
from habits.sample import SamplingConfig
from habits.tasks.base import as_problem, completion_text


@dataclass
class DiagnoseConfig:
    """``habits diagnose``: where the completions come from and how to judge them."""

    completions: str | None = described("JSONL with a `completion` per row (and optionally `problem`, `task`).", None)
    model: str | None = described("Or: a model directory to sample completions from.", None)
    task: str | None = described("Task for prompts and verification; default: each row's `task` field.", None)
    task_args: dict[str, Any] = described("Task config fields (e.g. {prompt_style: chat}).", factory=dict)
    n: int = described("Problems to sample with `model` (the paper: 200 per checkpoint).", 200)
    split: str = described("Problem split with `model`: train, test or ood.", "test")
    seed: int = described("Seed for the problems (the sampling has its own, sampling.seed).", 0)
    sampling: SamplingConfig = described("How completions are sampled from `model` (temperature, top_p, "
                                         "max_new_tokens, n per problem, seed, batch_size, backend, device).",
                                         factory=lambda: SamplingConfig(temperature=1.0, max_new_tokens=1024))
    backend: str = described("Behavior classifier: lexical (offline) or judge (LLM).", "lexical")
    judge: JudgeConfig | None = described("Judge settings when backend is judge (default: JudgeConfig's).", None)
    thresholds: Thresholds = described("When a behavior counts as present (min_share, strict) and which are "
                                       "required for 'ready'.", factory=Thresholds)
    interval: str = described("Mean-count intervals: t or bootstrap.", "t")
    tokenizer: str | None = described("Tokenizer directory to count tokens (default: the model's).", None)
    out: str | None = described("JSON report path; the PNG and sampled completions go beside it.", None)
    plot: str | None = described("PNG path (default: the report path with .png).", None)

    def __post_init__(self) -> None:
        if bool(self.completions) == bool(self.model):
            raise ValueError("diagnose needs exactly one source: --completions FILE.jsonl or --model DIR")
        if self.model and not self.task:
            raise ValueError("--model needs --task (e.g. --task countdown) to make prompts")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; choose one of: {', '.join(BACKENDS)}")
        if self.backend == "judge" and self.judge is None:
            self.judge = JudgeConfig()
        if self.n < 1:
            raise ValueError(f"--n must be >= 1, got {self.n}")
        if self.interval not in ("t", "bootstrap"):
            raise ValueError(f"interval must be t or bootstrap, got {self.interval!r}")
        if self.out and Path(self.out).suffix != ".json":
            raise ValueError(f"--out {self.out}: the report is JSON; give a path ending in .json")

    def check_inputs(self) -> None:
        """Everything that can fail before sampling or classifying: model, tokenizer, every output path."""
        from habits.preflight import model_dir_problem

        if self.model:
            problem = model_dir_problem(self.model)
            if problem:
                raise ValueError(f"--model {self.model} {problem}; point it at a saved model directory")
        if self.tokenizer:
            _check_tokenizer(self.tokenizer)
        if self.out:
            out = check_output(self.out, (".json",), "--out")
            check_output(self.plot or out.with_suffix(".png"), (".png",), "--plot")
            if self.model:
                check_output(out.with_suffix(".completions.jsonl"), None, "completions file")
        elif self.plot:
            check_output(self.plot, (".png",), "--plot")


def main(config: DiagnoseConfig) -> dict[str, Any]:
    """Run the diagnosis; returns the report (also written to ``config.out`` if set)."""
    config.check_inputs()
    lines: list[int] | None = None
    if config.model:
        rows, tokenizer = _sample_rows(config)
    else:
        numbered = read_rows(config.completions, ("completion",), "a `completion` per row")
        lines, rows = [line for line, _ in numbered], [row for _, row in numbered]
        tokenizer = _load_tokenizer(config.tokenizer)
    texts = [completion_text(row.get("completion")) for row in rows]
    problems = [_problem(row) for row in rows]
    task_name = config.task or _single_task(rows)
    row_tasks = _row_tasks(rows, problems, config, lines)  # a bad problem is named before the judge runs
    counts = classify(
        texts,
        config.backend,
        judge=config.judge,
        problems=problems,
        task=task_name,
        progress=len(texts) > 200,
    )
    batch = measure(row_tasks, problems, texts,
                    tokens=_token_lengths(texts, tokenizer), behaviors=counts)
    rows = [{**row, "behaviors": row_counts, **({"correct": v.correct} if v is not None else {})}
            for row, row_counts, v in zip(rows, counts, batch.verdicts, strict=True)]
    profile = batch.profile(config.thresholds, config.interval)
    report: dict[str, Any] = {
        "source": config.model or config.completions,
        "task": task_name,
        "n": len(rows),
        "classifier": config.backend
        if config.backend == "lexical"
        else f"judge:{(config.judge or JudgeConfig()).model}",
        "behaviors": {name: _stats(s) for name, s in profile.behaviors.items()},
        "accuracy": _accuracy(batch),
        "length": {"chars_mean": batch.mean_length_chars, "tokens_mean": batch.mean_length_tokens},
        "verdict": {
            "ready": profile.ready,
            "present": profile.present,
            "missing": profile.missing,
            "message": profile.verdict,
            "min_share": config.thresholds.min_share,
            "required": list(config.thresholds.required),
            "strict": config.thresholds.strict,
        },
    }
    if config.model:
        report["sampling"] = {
            "n": config.n,
            "split": config.split,
            "seed": config.seed,
            "temperature": config.sampling.temperature,
            "top_p": config.sampling.top_p,
            "max_new_tokens": config.sampling.max_new_tokens,
        }
    # The sampling may have taken long: a write that still fails saves the results elsewhere and says where.
    if config.out:
        out = Path(config.out)
        completions_path = out.with_suffix(".completions.jsonl") if config.model else None
        if completions_path:
            report["completions_file"] = str(completions_path)
        plot = Path(config.plot) if config.plot else out.with_suffix(".png")
        report["plot"] = str(plot)
        save_results((completions_path, lambda path: write_jsonl(path, rows)),
                     (plot, lambda path: plot_profile(report, path)),
                     (out, lambda path: write_json(path, report)))
    elif config.plot:
        report["plot"] = config.plot
        save_results((config.plot, lambda path: plot_profile(report, path)))
    return report


def _problem(row: Mapping[str, Any]) -> dict[str, Any] | None:
    value = row.get("problem")
    if value is None:
        return None
    try:
        return as_problem(value)
    except (TypeError, ValueError):
        return None


def _single_task(rows: Sequence[Mapping[str, Any]]) -> str | None:
    names = {row.get("task") for row in rows if row.get("task")}
    return names.pop() if len(names) == 1 else None


def _stats(stats) -> dict[str, Any]:
    return {
        "share": stats.share,
        "share_ci": [stats.share_low, stats.share_high],
        "mean": stats.mean,
        "mean_ci": [stats.mean_low, stats.mean_high],
        "with_behavior": stats.with_behavior,
        "n": stats.n,
        "missing": stats.missing,
        "present": stats.present,
    }


def _row_tasks(rows: Sequence[Mapping[str, Any]], problems: list[dict | None],
               config: DiagnoseConfig, lines: Sequence[int] | None = None) -> list[Any]:
    """The task that checks each row (``config.task``, else its ``task``); None if it cannot be checked.

    Each checkable row's problem is checked and normalised by its task in place (``problems[i]``); a bad
    one is named by file:line (or row number) before any verdict is computed.
    """
    from habits.tasks import get_task, task_names

    built: dict[str, Any] = {}
    out = []
    for index, (row, problem) in enumerate(zip(rows, problems, strict=True)):
        name = config.task or row.get("task")
        if problem is None or name not in task_names():
            out.append(None)
            continue
        if name not in built:
            built[name] = get_task(name, **config.task_args)
        try:
            problems[index] = built[name].check_problem(problem)
        except ValueError as exc:
            where = f"{config.completions}:{lines[index]}" if lines else f"row {index + 1}"
            raise InputError(f"{where}: bad problem for {name}: {exc}") from None
        out.append(built[name])
    return out


def _accuracy(batch: Any) -> dict[str, Any] | None:
    """Share of rows the task's verifier accepts, over rows that carry a problem and a known task."""
    checked = len(batch.verified)
    if not checked:
        return None
    low, high = wilson_interval(batch.correct, checked)
    return {"value": batch.accuracy, "ci": [low, high], "n": checked}


def _token_lengths(texts: Sequence[str], tokenizer: Any) -> list[int] | None:
    if tokenizer is None:
        return None
    return [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]


def _check_tokenizer(path: str) -> None:
    """A tokenizer directory that exists, or something shaped like a hub id (checked before any work)."""
    from habits.train.config import check_model_path

    local = Path(path).expanduser()
    if local.is_dir():
        if not any((local / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json",
                                                        "vocab.json", "tokenizer.model")):
            raise ValueError(f"--tokenizer {path}: no tokenizer files (tokenizer.json, tokenizer_config.json) "
                             "in this directory; point it at a model or tokenizer directory")
        return
    try:
        check_model_path(path)
    except ValueError:
        raise ValueError(f"--tokenizer {path}: no such directory (and not a hub id such as "
                         "Qwen/Qwen2.5-3B)") from None


def _load_tokenizer(path: str | None):
    if not path:
        return None
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path)


def _sample_rows(config: DiagnoseConfig) -> tuple[list[dict[str, Any]], Any]:
    from habits.progress import track
    from habits.sample import generate, load_model, resolve_device
    from habits.tasks import get_task

    resolve_device(config.sampling.device)  # a device this machine lacks fails before any work
    task = get_task(config.task, **config.task_args)
    problems = list(
        track(
            task.iter_generate(config.n, config.split, config.seed),
            f"{config.task}: problems",
            total=config.n,
        )
    )
    prompts = [task.prompt(problem) for problem in problems]
    sampling = dataclasses.replace(config.sampling, seed=config.seed)
    loaded = load_model(config.model, sampling)
    groups = generate(loaded, prompts, sampling)
    rows = []
    for index, (problem, prompt, group) in enumerate(zip(problems, prompts, groups)):
        for k, completion in enumerate(group):
            rows.append(
                {
                    "id": f"{config.task}-{config.split}-{config.seed}-{index}-{k}",
                    "task": config.task,
                    "problem": problem,
                    "prompt": prompt,
                    "completion": completion.text,
                    "num_tokens": completion.num_tokens,
                    "finish_reason": completion.finish_reason,
                }
            )
    tokenizer = _load_tokenizer(config.tokenizer) if config.tokenizer else loaded.tokenizer
    return rows, tokenizer


def plot_profile(report: Mapping[str, Any], path: Path) -> Path:
    """Bar chart: share of responses with each behavior and mean count, with 95% error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from habits.io import atomic_write

    names = list(report["behaviors"])
    labels = [name.replace("_", "\n") for name in names]
    stats = report["behaviors"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    shares = [stats[n]["share"] for n in names]
    share_err = [
        [max(0.0, s - stats[n]["share_ci"][0]) for n, s in zip(names, shares)],  # rounding can cross 0
        [max(0.0, stats[n]["share_ci"][1] - s) for n, s in zip(names, shares)],
    ]
    colors = ["tab:green" if stats[n]["present"] else "tab:red" for n in names]
    left.bar(labels, shares, yerr=share_err, capsize=4, color=colors)
    left.axhline(
        report["verdict"]["min_share"], color="grey", linestyle="--", linewidth=1, label="present if above"
    )
    left.set_ylim(0, 1)
    left.set_ylabel("share of responses with >= 1 instance")
    left.legend(loc="upper right", fontsize=8)
    means = [stats[n]["mean"] for n in names]
    mean_err = [
        [max(0.0, m - stats[n]["mean_ci"][0]) for n, m in zip(names, means)],
        [max(0.0, stats[n]["mean_ci"][1] - m) for n, m in zip(names, means)],
    ]
    right.bar(labels, means, yerr=mean_err, capsize=4, color="tab:blue")
    right.set_ylim(0, max(1.0, 1.1 * max(stats[n]["mean_ci"][1] for n in names)))
    right.set_ylabel("mean instances per response")
    accuracy = report.get("accuracy")
    title = f"{report['source']} -- n={report['n']}"
    if accuracy:
        title += f", accuracy {accuracy['value']:.1%}"
    fig.suptitle(title + ("  [ready]" if report["verdict"]["ready"] else "  [not ready]"), fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=120)
    plt.close(fig)
    return path
