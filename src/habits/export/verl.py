"""veRL export: RL parquet in veRL's dataset schema, a reward module, and SFT parquet for priming data.

``main(VerlExportConfig(...))`` writes, under ``out``:

* ``<task>_<split>.parquet`` (``format="rl"``): one row per problem, in the schema veRL's
  ``RLHFDataset`` reads --
  ``data_source`` (``habits/<task>``), ``prompt`` (chat messages; base-style prompts become one user
  message, as TinyZero did), ``ability``, ``reward_model: {style: rule, ground_truth: <problem JSON>}``
  and ``extra_info: {index, split, seed, task, problem}``;
* ``<task>_sft_<condition>_<split>.parquet`` (``format="sft"``): priming rows with ``messages`` (for
  veRL's multi-turn SFT dataset), ``prompt``/``response`` strings (for its single-turn one) and
  ``extra_info`` (condition, correct, behavior counts, problem);
* ``habits_reward.py``: ``compute_score`` (per item) and ``compute_score_batch`` (veRL's ``batch``
  manager) over every data source exported into ``out`` (see :mod:`habits.export.verl_reward`);
* ``habits_export.json``: what was exported, with which task settings and habits version.

Exporting another task (or split) into the same directory extends the reward module. The reward
module imports habits, so habits must be installed wherever veRL's reward workers run.
"""

from __future__ import annotations

import json
import pprint
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from habits.export import chat_messages, problem_json
from habits.io import InputError, atomic_write, load_rows, write_json, write_rows
from habits.progress import track
from habits.tasks import SPLITS, Task, get_task

REWARD_MODULE = "habits_reward.py"
MANIFEST = "habits_export.json"
FORMATS = ("rl", "sft")
RL, SFT = FORMATS  # veRL data formats (not habits stages)
ABILITY = "reasoning"

_MODULE_TEMPLATE = '''"""habits reward function for veRL -- written by `habits export verl`; re-export, do not edit.

    reward.custom_reward_function.path={path}
    reward.custom_reward_function.name=compute_score          # naive / dapo managers, the reward loop
    reward.custom_reward_function.name=compute_score_batch    # with reward.reward_manager.name=batch
(veRL 0.9's keys; before 0.9 they were custom_reward_function.* and reward_model.reward_manager.)

Keywords from reward.custom_reward_function.reward_kwargs: return_dict (default true: score, acc, reason,
pred and behavior counts) and behaviors (default true). habits must be installed where veRL runs.
"""

from habits.export.verl_reward import RewardFunction

SOURCES = {sources}

_reward = RewardFunction(SOURCES)
compute_score = _reward.compute_score
compute_score_batch = _reward.compute_score_batch
'''


@dataclass
class VerlExportConfig:
    """What to export for veRL."""

    task: str = "countdown"  # a registered task (habits tasks list)
    out: str | Path = "verl_data"  # directory for the parquet, reward module and manifest
    split: str = "train"  # train, test or ood
    n: int = 1000  # rows
    seed: int = 0  # same seed, same problems
    format: str = "rl"  # rl: problems for PPO/GRPO; sft: priming traces
    task_args: dict[str, Any] = field(default_factory=dict)  # task config overrides (e.g. reward, prompt_style)
    data_source: str | None = None  # None: habits/<task>; name another config of the same task differently
    distinct: bool = False  # rl: never repeat a problem
    condition: str = "all"  # sft: priming condition (habits prime-conditions)
    register: str = "natural"  # sft: natural or terse narration
    input: str | Path | None = None  # sft: convert these priming rows (JSONL/Parquet) instead of writing new ones
    progress: bool = True

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        if not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"n must be a positive whole number of rows, got {self.n!r}")
        if not isinstance(self.task_args, dict):
            raise ValueError(f"task_args must be a mapping of task config fields, got {type(self.task_args).__name__}")
        if self.input is not None and self.format != SFT:
            raise ValueError("input (existing priming rows) only applies to format sft")
        self.out = Path(self.out)
        if self.out.exists() and not self.out.is_dir():
            raise ValueError(f"out must be a directory, but {self.out} is a file")


def rl_row(task: Task, problem: Mapping[str, Any], index: int, split: str, seed: int,
           data_source: str) -> dict[str, Any]:
    """One veRL RL row for ``problem``."""
    truth = problem_json(problem)
    return {
        "data_source": data_source,
        "prompt": chat_messages(task.prompt(problem)),
        "ability": ABILITY,
        "reward_model": {"style": "rule", "ground_truth": truth},
        "extra_info": {"index": index, "split": split, "seed": seed, "task": task.name, "problem": truth},
    }


def sft_row(row: Mapping[str, Any], index: int, data_source: str) -> dict[str, Any]:
    """One veRL SFT row from a priming row (``habits prime-data`` / :func:`habits.traces.make_rows`)."""
    prompt, completion = row["prompt"], row["completion"]
    messages = chat_messages(prompt)
    response = completion if isinstance(completion, str) else str(completion[-1]["content"])
    return {
        "data_source": data_source,
        "messages": [*messages, {"role": "assistant", "content": response}],
        "prompt": messages[-1]["content"],
        "response": response,
        "extra_info": {"index": index, "task": row.get("task"), "condition": row.get("condition"),
                       "correct": bool(row.get("correct")), "behaviors": dict(row.get("behaviors") or {}),
                       "problem": problem_json(row["problem"])},
    }


def main(config: VerlExportConfig) -> dict[str, Any]:
    """Write the parquet, reward module and manifest; return a summary (paths, rows)."""
    task = get_task(config.task, **config.task_args)
    source = config.data_source or f"habits/{task.name}"
    out = Path(config.out)
    manifest = _read_manifest(out)
    spec = {"task": task.name, "task_args": dict(config.task_args)}
    known = manifest["sources"].get(source)
    if known is not None and known != spec:
        raise ValueError(f"{out} already holds data source {source!r} with task settings {known['task_args']}; "
                         f"these are {spec['task_args']}. Export into another directory or pass --data-source NAME.")
    if config.format == RL:
        problems: Iterable[Mapping[str, Any]] = task.iter_generate(config.n, split=config.split, seed=config.seed,
                                                                   distinct=config.distinct)
        if config.progress:
            problems = track(problems, f"exporting {task.name}/{config.split}", total=config.n)
        rows = [rl_row(task, p, i, config.split, config.seed, source) for i, p in enumerate(problems)]
        path = out / f"{_stem(source)}_{config.split}.parquet"
    else:
        rows = [sft_row(row, i, source) for i, row in enumerate(_priming_rows(task, config))]
        path = out / (f"{Path(config.input).stem}_sft.parquet" if config.input is not None
                      else f"{_stem(source)}_sft_{config.condition}_{config.split}.parquet")
    write_rows(path, rows)
    manifest["sources"][source] = spec
    manifest["files"][path.name] = {"format": config.format, "data_source": source, "split": config.split,
                                    "seed": config.seed, "rows": len(rows),
                                    **({"condition": config.condition} if config.format == SFT else {})}
    write_reward_module(out, manifest["sources"])
    write_json(out / MANIFEST, {**manifest, "habits_version": _version()})
    return {"parquet": str(path), "reward_module": str(out / REWARD_MODULE), "rows": len(rows), "data_source": source}


def write_reward_module(out: Path, sources: Mapping[str, Mapping[str, Any]]) -> Path:
    """(Re)write ``habits_reward.py`` for ``sources``; returns its path."""
    path = out / REWARD_MODULE
    text = _MODULE_TEMPLATE.format(path=path.resolve(), sources=pprint.pformat(dict(sources), sort_dicts=True))
    with atomic_write(path) as handle:
        handle.write(text)
    return path


def _priming_rows(task: Task, config: VerlExportConfig) -> list[Mapping[str, Any]]:
    if config.input is not None:
        rows = load_rows(config.input, required=("prompt", "completion", "problem"))
        other = sorted({str(r.get("task")) for r in rows if r.get("task") not in (None, task.name)})
        if other:
            raise InputError(f"{config.input}: rows of task {', '.join(other)}, but --task is {task.name}")
        return rows
    # The priming stage itself writes the rows (one path: its skips, checks and narration apply here too).
    import tempfile

    from habits.traces.data import PrimeConfig
    from habits.traces.data import main as prime

    Path(config.out).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=config.out, prefix=".priming-") as scratch:
        rows_path = Path(scratch) / "rows.jsonl"
        prime(PrimeConfig(task=task.name, condition=config.condition, n=config.n, seed=config.seed, split=config.split,
                          task_config=dict(config.task_args), register=config.register, out=rows_path),
              progress=config.progress)
        return load_rows(rows_path)


def _read_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    if not path.is_file():
        return {"sources": {}, "files": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg}); remove it or export into another directory") from None
    return {"sources": dict(data.get("sources", {})), "files": dict(data.get("files", {}))}


def _stem(source: str) -> str:
    return source.removeprefix("habits/").replace("/", "_")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("habits")
    except PackageNotFoundError:
        return "unknown"
