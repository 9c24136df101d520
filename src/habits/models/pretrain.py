"""``habits pretrain``: train the embedded tiny model from scratch into a "base model".

Steps: build the corpus (:mod:`habits.models.corpus`), train a tokenizer on it plus the
behavior-rich traces priming will later use (so both bases share one vocabulary), initialise a
tiny Qwen2/Llama model (:mod:`habits.models.tiny`) and train it on every token of the corpus with
the same TRL SFT stage that priming uses. With ``corpus.behavior_traces: 0`` the result follows
the task format and writes one unchecked attempt, showing none of the four habits -- the
miniature of Llama-3.2-3B in the first paper; with behavior traces mixed in, the miniature of
Qwen-2.5-3B.

The finished base lands in ``<output_dir>/model``; re-running resumes or skips.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from habits.configs import described as _help
from habits.models.corpus import CorpusConfig
from habits.models.tiny import TinyModelConfig


@dataclass
class PretrainConfig:
    """Pretraining of the embedded tiny base model."""

    output_dir: str = _help("Where the corpus, checkpoints and the final base (model/) go.", "runs/base")
    task: str = _help("Task whose format the base learns.", "countdown")
    task_args: dict[str, Any] = _help("Task config fields (base-style prompts).", factory=dict)
    model: TinyModelConfig = _help("Tiny model size and architecture.", factory=TinyModelConfig)
    corpus: CorpusConfig = _help("Corpus composition.", factory=CorpusConfig)
    tokenizer_traces: int = _help("Behavior-rich traces added to the tokenizer's training text only.", 300)
    seed: int = _help("Seed for the corpus, the tokenizer and the initialisation.", 0)
    learning_rate: float = _help("Peak learning rate (tiny models from scratch like it high).", 2e-3)
    num_train_epochs: float = _help("Passes over the corpus.", 2.0)
    per_device_train_batch_size: int = _help("Documents per step.", 32)
    max_length: int = _help("Longest document in tokens (longer ones are truncated).", 512)
    torch_threads: int | None = _help("CPU threads for torch (null: torch's default).", None)
    sft: dict[str, Any] = _help("Other SFT-stage fields, passed through (e.g. save_steps, report_to).", factory=dict)
    stage: str = "pretrain"

    def __post_init__(self) -> None:
        from habits.tasks import get_task

        if isinstance(self.model, dict):
            self.model = TinyModelConfig(**self.model)
        if isinstance(self.corpus, dict):
            self.corpus = CorpusConfig(**self.corpus)
        if self.task_args.get("prompt_style", "base") != "base":
            raise ValueError("pretrain: task_args.prompt_style must be 'base' (documents are plain text)")
        get_task(self.task, **self.task_args)  # fails now, with the task's own message, if the task is misconfigured
        if self.learning_rate <= 0 or self.num_train_epochs <= 0 or self.per_device_train_batch_size < 1:
            raise ValueError("pretrain: learning_rate and num_train_epochs must be > 0 and the batch size >= 1")


def main(config: PretrainConfig) -> dict[str, Any]:
    """Build corpus + tokenizer + tiny model, train it; returns the SFT summary plus corpus facts."""
    from habits.io import write_json, write_jsonl
    from habits.models.corpus import build_corpus
    from habits.models.tiny import build_tiny_model
    from habits.tasks import get_task
    from habits.configs import build
    from habits.train import sft
    from habits.train.config import SFTConfig

    out = Path(config.output_dir)
    final = out / "model"
    if (out / "summary.json").is_file() and (final / "config.json").is_file():
        summary = json.loads((out / "summary.json").read_text())
        if summary.get("status") == "completed":
            return summary
    task = get_task(config.task, **config.task_args)
    corpus_file = out / "corpus.jsonl"
    init_dir = out / "init"
    if not corpus_file.is_file():
        docs = build_corpus(task, config.corpus, seed=config.seed)
        write_jsonl(corpus_file, ({"prompt": "", "completion": doc} for doc in docs))
    if not (init_dir / "config.json").is_file():
        docs = [json.loads(line)["completion"] for line in corpus_file.read_text().splitlines()]
        build_tiny_model(init_dir, config.model, texts=docs + _tokenizer_traces(task, config), seed=config.seed)
    sft_values: dict[str, Any] = dict(
        model=str(init_dir), data=str(corpus_file), output_dir=str(out), seed=config.seed,
        learning_rate=config.learning_rate, num_train_epochs=config.num_train_epochs,
        per_device_train_batch_size=config.per_device_train_batch_size, max_length=config.max_length,
        completion_only_loss=False, columns="prompt_completion", warmup_steps=0.05, weight_decay=0.01,
        torch_threads=config.torch_threads, report_to=[], save_steps=100, logging_steps=10,
    )
    sft_values.update(config.sft)
    summary = sft.main(build(SFTConfig, sft_values, "pretrain: sft"))
    summary.update(stage=config.stage, corpus=dataclasses.asdict(config.corpus), documents=_count_lines(corpus_file))
    if summary.get("status") == "completed":
        write_json(out / "summary.json", summary)
    return summary


def _tokenizer_traces(task: Any, config: PretrainConfig) -> list[str]:
    """Traces of every priming condition, so words priming will use are in the vocabulary."""
    from habits.traces import make_rows

    problems = task.generate(config.tokenizer_traces, split="train", seed=config.seed + 20_000, stream="pretrain")
    return [row["completion"] for condition in ("all", "backtracking_verification", "incorrect")
            for row in make_rows(task, condition, problems, seed=config.seed, register="terse")]


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)
