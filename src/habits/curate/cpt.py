"""Continued pretraining: a base model trained further on a behavior-rich or behavior-minimal corpus.

The pipeline stage behind ``bases.<name>.cpt`` (see ``docs/curate.md``): take a corpus -- a JSONL
file, or the miniature's synthetic corpus (:mod:`habits.curate.synthetic`) -- keep the rich or the
minimal subset with ``habits curate`` up to a token budget, and train the base on every token of it
with the same TRL SFT stage that pretraining uses. The result is ``<output_dir>/model``; a rerun
resumes or skips, like every stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from habits.curate.synthetic import SyntheticConfig
from habits.configs import described as _help


@dataclass
class CPTConfig:
    """Continued pretraining of a base on a curated subset (``bases.<name>.cpt`` in a pipeline recipe)."""

    keep: str = _help("Which subset to train on: rich or minimal (habits curate --keep).", "rich")
    budget_tokens: int = _help("Tokens of the subset (both arms of a comparison should use the same).", 200_000)
    data: str | None = _help("A JSONL corpus to curate; null: the synthetic miniature corpus.", None)
    text_field: str = _help("The corpus's text field.", "text")
    synthetic: SyntheticConfig = _help("The miniature corpus (when data is null).", factory=SyntheticConfig)
    min_behaviors: int = _help("rich: behaviors a document must show.", 2)
    replay: int = _help("Documents like the base's own pretraining corpus (the task's problems worked with one "
                        "unchecked attempt: habits.models.corpus) mixed into training, the same for either "
                        "subset, so that continued pretraining does not wipe out what the base knew; 0: none.", 0)
    seed: int = _help("Corpus, selection order and training seed.", 0)
    learning_rate: float = _help("Peak learning rate.", 1e-3)
    num_train_epochs: float = _help("Passes over the subset.", 2.0)
    per_device_train_batch_size: int = _help("Documents per step.", 32)
    max_length: int = _help("Longest document in tokens (longer ones are truncated).", 512)
    torch_threads: int | None = _help("CPU threads for torch (null: torch's default).", None)
    sft: dict[str, Any] = _help("Other SFT-stage fields, passed through.", factory=dict)

    def __post_init__(self) -> None:
        from habits.curate.config import KEEPS

        if isinstance(self.synthetic, dict):
            self.synthetic = SyntheticConfig(**self.synthetic)
        if self.keep not in KEEPS:
            raise ValueError(f"cpt.keep must be one of {', '.join(KEEPS)}, got {self.keep!r}")
        if self.budget_tokens < 1 or self.learning_rate <= 0 or self.num_train_epochs <= 0:
            raise ValueError("cpt: budget_tokens must be >= 1, learning_rate and num_train_epochs > 0")
        if not isinstance(self.replay, int) or self.replay < 0:
            raise ValueError(f"cpt.replay must be a whole number >= 0, got {self.replay!r}")
        if self.data is not None and not Path(self.data).is_file():
            raise ValueError(f"cpt.data: {self.data} does not exist (give a JSONL corpus, or null for the synthetic one)")


def main(config: CPTConfig, model: str, output_dir: str | Path, task: str = "countdown",
         task_args: dict[str, Any] | None = None) -> dict[str, Any]:
    """Curate the corpus, train ``model`` on the subset (plus ``replay`` documents of ``task``); returns the
    training summary plus the subset's facts."""
    from habits.curate import CurateConfig
    from habits.curate import main as curate
    from habits.curate.synthetic import build
    from habits.io import write_json, write_jsonl
    from habits.configs import build as build_config
    from habits.train import sft
    from habits.train.config import SFTConfig

    out = Path(output_dir)
    summary_path = out / "summary.json"
    if summary_path.is_file() and json.loads(summary_path.read_text()).get("status") == "completed":
        return json.loads(summary_path.read_text())
    corpus = Path(config.data) if config.data else out / "corpus.jsonl"
    if not config.data and not corpus.is_file():
        write_jsonl(corpus, build(config.synthetic, seed=config.seed))
    stats = curate(CurateConfig(input=str(corpus), out=str(out / "curated"), keep=config.keep,
                                budget_tokens=config.budget_tokens, text_field=config.text_field,
                                min_behaviors=config.min_behaviors, seed=config.seed, workers=1,
                                tokenizer=str(model) if Path(model).is_dir() else "regex", progress=False))
    subset = out / "curated" / f"{config.keep}.jsonl"
    train_file = out / "train.jsonl"
    kinds: dict[str, int] = {}
    with subset.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    for row in rows:
        kind = str(row.get("kind", "?"))
        kinds[kind] = kinds.get(kind, 0) + 1
    texts = [row[config.text_field] for row in rows]
    if config.replay:
        texts += _replay(config, task, task_args or {})
    write_jsonl(train_file, ({"prompt": "", "completion": text} for text in texts))
    values: dict[str, Any] = dict(
        model=model, data=str(train_file), output_dir=str(out), seed=config.seed,
        learning_rate=config.learning_rate, num_train_epochs=config.num_train_epochs,
        per_device_train_batch_size=config.per_device_train_batch_size, max_length=config.max_length,
        completion_only_loss=False, columns="prompt_completion", warmup_ratio=0.05, weight_decay=0.01,
        torch_threads=config.torch_threads, report_to=[], save_steps=100, logging_steps=10,
    )
    values.update(config.sft)
    summary = sft.main(build_config(SFTConfig, values, "cpt: sft"))  # TRL's fields are forwarded by name
    selection = stats["selections"][config.keep]
    summary.update(stage="cpt", keep=config.keep, documents=selection["documents"], tokens=selection["tokens"],
                   subset_behaviors={k: v["share"] for k, v in selection["behaviors"].items()},
                   subset_kinds=kinds, replay=config.replay)
    if summary.get("status") == "completed":
        write_json(summary_path, summary)
    return summary


def _replay(config: CPTConfig, task: str, task_args: dict[str, Any]) -> list[str]:
    """Documents of the kind the embedded base was pretrained on, from the train split's pretrain stream."""
    from habits.models.corpus import CorpusConfig, build_corpus
    from habits.tasks import get_task

    corpus = CorpusConfig(problems=config.replay, arithmetic_docs=0, behavior_traces=0)
    return build_corpus(get_task(task, **task_args), corpus, seed=config.seed + 1)
