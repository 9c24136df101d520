"""Settings of ``habits curate``: what to read, how to score, what to keep."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from habits.configs import described as _help

KEEPS = ("rich", "minimal")
CLASSIFIERS = ("lexical", "judge")


@dataclass
class CurateConfig:
    """Stream a corpus, score every document for the four behaviors, keep a subset up to a token budget."""

    input: str = _help("A .jsonl / .parquet file, a directory of data files, or a `datasets` hub name.", "")
    out: str = _help("Output directory: <keep>.jsonl, stats.json, stats.png and the scored shards.", "")
    keep: str = _help("rich: documents showing the behaviors (densest first); minimal: documents showing "
                      "none (the paper's control).", "rich")
    budget_tokens: int = _help("Stop adding documents at this many tokens.", 1_000_000)
    text_field: str = _help("Field holding the document text; every other field is kept.", "text")
    min_behaviors: int = _help("rich: a document needs at least this many of the four behaviors.", 2)
    seed: int = _help("Seed for the order among equally ranked documents (the output is the same for a seed).", 0)
    workers: int = _help("Scoring processes (0: one per CPU core).", 0)
    shard_size: int = _help("Documents per shard; a killed run resumes after its last finished shard.", 5000)
    max_chars: int = _help("Longer documents are skipped (reason too_large).", 1_000_000)
    tokenizer: str = _help("Token counts: regex (an estimate), chars (characters / 4) or a tokenizer directory.",
                           "regex")
    classifier: str = _help("lexical (offline, fast) or judge (an LLM; slow, cached).", "lexical")
    judge: dict[str, Any] | None = _help("JudgeConfig fields when classifier is judge.", None)
    split: str = _help("datasets input: the split to stream.", "train")
    subset: str | None = _help("datasets input: the configuration (subset) name.", None)
    progress: bool = _help("Show a progress bar with ETA.", True)

    def __post_init__(self) -> None:
        if not self.input:
            raise ValueError("curate: --input is required (a .jsonl or .parquet file, a data directory or a "
                             "datasets name)")
        if not self.out:
            raise ValueError("curate: --out is required (a directory)")
        if self.keep not in KEEPS:
            raise ValueError(f"curate: --keep must be one of {', '.join(KEEPS)}, got {self.keep!r}")
        if self.classifier not in CLASSIFIERS:
            raise ValueError(f"curate: --classifier must be one of {', '.join(CLASSIFIERS)}, got {self.classifier!r}")
        for name, low in (("budget_tokens", 1), ("shard_size", 1), ("max_chars", 100), ("workers", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"curate: {name.replace('_', '-')} must be a whole number >= {low}, got {value!r}")
        if not 1 <= self.min_behaviors <= 4:
            raise ValueError(f"curate: min-behaviors must be 1 to 4, got {self.min_behaviors}")
        if not self.text_field:
            raise ValueError("curate: --text-field must name a field")
        if self.classifier == "judge":
            self.judge_config()  # fails now, with the judge's own message

    @property
    def out_dir(self) -> Path:
        return Path(self.out)

    @property
    def processes(self) -> int:
        if self.classifier == "judge":
            return 1  # the judge has its own request concurrency
        return self.workers or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                   else os.cpu_count() or 1)

    def judge_config(self) -> Any:
        from habits.behaviors import JudgeConfig

        return JudgeConfig(**(self.judge or {}))

    def scoring(self) -> dict[str, Any]:
        """What determines the scored shards: a run with other values must not reuse them."""
        source = Path(self.input)
        identity: dict[str, Any] = {"input": str(source.resolve()) if source.exists() else self.input}
        if source.is_file():
            stat = source.stat()
            identity.update(size=stat.st_size, mtime=int(stat.st_mtime))
        else:
            identity.update(split=self.split, subset=self.subset)
        judge = {k: v for k, v in asdict(self.judge_config()).items() if k not in ("concurrency", "cache")} \
            if self.classifier == "judge" else None
        return {**identity, "text_field": self.text_field, "shard_size": self.shard_size,
                "max_chars": self.max_chars, "tokenizer": self.tokenizer, "classifier": self.classifier,
                "judge": judge}

    def scoring_digest(self) -> str:
        blob = json.dumps(self.scoring(), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]
