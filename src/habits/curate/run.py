"""``habits curate``: stream a corpus, score it in shards on every core, keep a subset, write statistics.

Layout of the output directory::

    DIR/scored/scoring.json           the settings the shards were scored with (a rerun must match)
    DIR/scored/shard-00042.rows.jsonl the shard's scorable rows, as read
    DIR/scored/shard-00042.json       their numbers, token and character counts, behavior counts, skips
    DIR/rich.jsonl | minimal.jsonl    the subset: every field of the input rows, plus ``behaviors``
    DIR/stats.json, DIR/stats.png     corpus and subset statistics

Scoring is the expensive part and is shared: ``--keep rich`` and then ``--keep minimal`` (or another
budget or seed) on the same DIR re-reads the shards and scores nothing again. A killed run continues
from its last finished shard.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from rich.console import Console

from habits.curate.config import CurateConfig
from habits.curate.score import score_shard, shard_paths
from habits.curate.select import choose, write_subset
from habits.curate.stats import describe, plot
from habits.curate.source import open_source
from habits.io import write_json

console = Console(stderr=True)


def main(config: CurateConfig, restart: bool = False) -> dict[str, Any]:
    """Score (or resume scoring) the corpus, choose the subset, write it and the statistics."""
    out = config.out_dir
    folder = out / "scored"
    _check_scoring(config, folder, restart)
    started = time.perf_counter()
    scored_now = _score(config, folder)
    scoring_s = time.perf_counter() - started
    shards = _read_shards(folder)
    rows = [row for _, index in shards for row in index["scored"]]
    chosen, pool = choose(rows, config.keep, config.budget_tokens, config.min_behaviors, config.seed)
    subset_path = out / f"{config.keep}.jsonl"
    write_subset(subset_path, [(shard_paths(folder, index["shard"])[0], index["scored"]) for _, index in shards],
                 chosen)
    stats = _stats(config, shards, rows, chosen, pool, scored_now, scoring_s)
    write_json(out / "stats.json", stats)
    plot(stats, out / "stats.png")
    return stats


def _check_scoring(config: CurateConfig, folder: Path, restart: bool) -> None:
    """Refuse to mix shards scored with other settings (another input, text field, shard size ...)."""
    manifest = folder / "scoring.json"
    wanted = config.scoring()
    if manifest.is_file():
        old = json.loads(manifest.read_text(encoding="utf-8"))
        changed = sorted(k for k in set(old) | set(wanted) if old.get(k) != wanted.get(k))
        if changed and not restart:
            raise ValueError(f"{folder} holds shards scored with other settings (changed: {', '.join(changed)}); "
                             f"use another --out, or --restart to score again")
        if changed:
            for path in folder.glob("shard-*"):
                path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    write_json(manifest, wanted)


def _score(config: CurateConfig, folder: Path) -> int:
    """Score every shard that has no index file yet; returns how many were scored in this run."""
    from habits.progress import progress_bar

    settings = {"text_field": config.text_field, "max_chars": config.max_chars, "tokenizer": config.tokenizer,
                "classifier": config.classifier, "judge": config.judge}
    source = open_source(config.input, config.shard_size, max_bytes=8 * config.max_chars + 1024,
                         split=config.split, subset=config.subset)
    processes = config.processes
    scored = 0
    with progress_bar(transient=not config.progress) as bar:
        task = bar.add_task(f"scoring ({processes} process{'es' if processes > 1 else ''}, {source.unit})",
                            total=source.total)
        if processes == 1:
            for shard in source.shards:
                if not shard_paths(folder, shard.index)[1].is_file():
                    score_shard(shard.index, shard.first, shard.items, str(folder), settings)
                    scored += 1
                bar.advance(task, shard.size)
            return scored
        import multiprocessing

        pending: dict[Any, int] = {}
        with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            for shard in source.shards:
                if shard_paths(folder, shard.index)[1].is_file():
                    bar.advance(task, shard.size)  # finished in an earlier run: not scored again
                    continue
                while len(pending) >= 2 * processes:  # bounded: the reader never runs far ahead
                    scored += _collect(pending, bar, task)
                pending[pool.submit(score_shard, shard.index, shard.first, shard.items, str(folder), settings)] = \
                    shard.size
            while pending:
                scored += _collect(pending, bar, task)
    return scored


def _collect(pending: dict[Any, int], bar: Any, task: Any) -> int:
    done, _ = wait(pending, return_when=FIRST_COMPLETED)
    for future in done:
        future.result()  # a worker's exception ends the run here; finished shards are kept
        bar.advance(task, pending.pop(future))
    return len(done)


def _read_shards(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    shards = []
    for path in sorted(folder.glob("shard-*.json")):
        shards.append((path, json.loads(path.read_text(encoding="utf-8"))))
    return shards


def _stats(config: CurateConfig, shards: list[tuple[Path, dict[str, Any]]], rows: list[list[int]],
           chosen: list[list[int]], pool: int, scored_now: int, scoring_s: float) -> dict[str, Any]:
    skipped: dict[str, int] = {}
    examples: dict[str, list[int]] = {}
    for _, index in shards:
        for reason, n in index["skipped"].items():
            skipped[reason] = skipped.get(reason, 0) + n
        for reason, numbers in index["examples"].items():
            examples.setdefault(reason, []).extend(numbers[: 5 - len(examples.get(reason, []))])
    characters = sum(index["characters"] for _, index in shards)
    previous = {}
    stats_path = config.out_dir / "stats.json"
    if stats_path.is_file():
        old = json.loads(stats_path.read_text(encoding="utf-8"))
        if old.get("scoring_digest") == config.scoring_digest():
            previous = old.get("selections", {})
    selection = {**describe(chosen), "keep": config.keep, "budget_tokens": config.budget_tokens,
                 "min_behaviors": config.min_behaviors if config.keep == "rich" else None, "seed": config.seed,
                 "eligible": pool, "file": f"{config.keep}.jsonl"}
    return {
        "input": config.input, "text_field": config.text_field, "classifier": config.classifier,
        "tokenizer": config.tokenizer, "scoring_digest": config.scoring_digest(),
        "documents": sum(index["documents"] for _, index in shards), "scored": len(rows),
        "skipped": skipped, "skipped_examples": examples,
        "corpus": describe(rows),
        "selections": {**previous, config.keep: selection},
        "shards": {"total": len(shards), "scored_in_this_run": scored_now, "size": config.shard_size},
        "scoring": {"seconds": round(scoring_s, 2), "processes": config.processes,
                    # characters per second (MB of text), when this run scored the whole corpus
                    "mb_per_s": round(characters / 1e6 / scoring_s, 3)
                    if scored_now == len(shards) and scoring_s else None},
    }
