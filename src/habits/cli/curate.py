"""``habits curate`` and ``habits rewrite``: behavior-filtered corpora for continued pretraining."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from habits.cli.behaviors import ApiKeyEnv, BaseUrl, Concurrency, JudgeBackend, JudgeCacheOption, JudgeModel, JudgeRetries

console = Console()


def register(app: typer.Typer) -> None:
    app.command("curate")(curate)
    app.command("rewrite")(rewrite)


def _judge(judge_backend: str, judge_model: str, base_url: str | None, api_key_env: str, concurrency: int,
           judge_cache: str, judge_retries: int, **extra) -> dict:
    return {"backend": judge_backend, "model": judge_model, "base_url": base_url, "api_key_env": api_key_env,
            "concurrency": concurrency, "cache": None if judge_cache.lower() == "none" else judge_cache,
            "max_retries": judge_retries, **extra}


def curate(
    input_: Annotated[str, typer.Option("--input", "-i", help="A .jsonl or .parquet file, a directory of data "
                                                              "files, or a `datasets` hub name (streamed).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory (subset, stats.json, stats.png, "
                                                          "scored shards).")],
    keep: Annotated[str, typer.Option(help="rich: documents showing the behaviors; minimal: documents showing "
                                           "none (the control).")] = "rich",
    budget_tokens: Annotated[int, typer.Option("--budget-tokens", help="Token budget of the subset.")] = 1_000_000,
    text_field: Annotated[str, typer.Option("--text-field", help="Field with the document text; other fields "
                                                                 "are kept.")] = "text",
    min_behaviors: Annotated[int, typer.Option("--min-behaviors", help="rich: behaviors (of 4) a document must "
                                                                        "show.")] = 2,
    seed: Annotated[int, typer.Option(help="Order among equally ranked documents.")] = 0,
    workers: Annotated[int, typer.Option(help="Scoring processes; 0: one per core.")] = 0,
    shard_size: Annotated[int, typer.Option("--shard-size", help="Documents per shard (the unit of "
                                                                 "resuming).")] = 5000,
    max_chars: Annotated[int, typer.Option("--max-chars", help="Longer documents are skipped.")] = 1_000_000,
    tokenizer: Annotated[str, typer.Option(help="Token counts: regex, chars (/4) or a tokenizer "
                                                "directory.")] = "regex",
    split: Annotated[str, typer.Option(help="datasets input: split.")] = "train",
    subset: Annotated[str | None, typer.Option(help="datasets input: configuration name.")] = None,
    classifier: Annotated[str, typer.Option(help="lexical (offline) or judge (LLM, cached).")] = "lexical",
    judge_backend: JudgeBackend = "endpoint",
    judge_model: JudgeModel = "gpt-4o-mini",
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    concurrency: Concurrency = 8,
    judge_cache: JudgeCacheOption = "~/.cache/habits/judge.sqlite",
    judge_retries: JudgeRetries = 4,
    restart: Annotated[bool, typer.Option(help="Score again even if DIR holds shards scored with other "
                                               "settings (they are deleted).")] = False,
) -> None:
    """Score every document of a corpus for the four behaviors and keep a behavior-rich or -minimal subset.

    Writes DIR/<keep>.jsonl (the input rows plus `behaviors`, up to --budget-tokens), DIR/stats.json and
    DIR/stats.png. Scoring runs on every core, shard by shard: run the same command again after an
    interruption and it continues; run it with --keep minimal on the same DIR and nothing is scored again.
    Documents that are not text (binary, badly encoded, too large, missing the field) are counted and skipped.
    """
    from habits.curate import CurateConfig, main

    judge = _judge(judge_backend, judge_model, base_url, api_key_env, concurrency, judge_cache, judge_retries) \
        if classifier == "judge" else None
    config = CurateConfig(input=input_, out=str(out), keep=keep, budget_tokens=budget_tokens, text_field=text_field,
                          min_behaviors=min_behaviors, seed=seed, workers=workers, shard_size=shard_size,
                          max_chars=max_chars, tokenizer=tokenizer, classifier=classifier, judge=judge,
                          split=split, subset=subset)
    stats = main(config, restart=restart)
    selection = stats["selections"][keep]
    table = Table(title=f"{stats['documents']:,} documents read, {stats['scored']:,} scored "
                        f"({stats['shards']['scored_in_this_run']} of {stats['shards']['total']} shards in this run)")
    for column in ("", *(name.split("_")[0] for name in selection["behaviors"]), "documents", "tokens"):
        table.add_column(column, justify="right")
    for label, data in (("corpus", stats["corpus"]), (f"{keep} subset", selection)):
        table.add_row(label, *(f"{v['share']:.1%}" for v in data["behaviors"].values()), f"{data['documents']:,}",
                      f"{data['tokens']:,}")
    console.print(table)
    if stats["skipped"]:
        console.print("skipped: " + ", ".join(f"{k} {v:,}" for k, v in stats["skipped"].items()))
    rate = stats["scoring"]["mb_per_s"]
    console.print(f"{selection['documents']:,} of {selection['eligible']:,} eligible documents -> "
                  f"{out / selection['file']}" + (f"; scored at {rate:.2f} MB/s" if rate else ""))


def rewrite(
    input_: Annotated[Path, typer.Option("--input", "-i", help="JSONL rows (e.g. DIR/rich.jsonl from habits "
                                                               "curate).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output JSONL: question / thoughts / answer "
                                                                "per row, and `text`.")],
    style: Annotated[str, typer.Option(help="behaviors: keep checks, backtracking, subgoals, backward steps; "
                                            "plain: straight steps only (the control).")] = "behaviors",
    text_field: Annotated[str, typer.Option("--text-field", help="Field with the document text.")] = "text",
    judge_backend: JudgeBackend = "endpoint",
    judge_model: JudgeModel = "gpt-4o-mini",
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    concurrency: Concurrency = 8,
    judge_cache: JudgeCacheOption = "~/.cache/habits/judge.sqlite",
    judge_retries: JudgeRetries = 4,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Longest rewrite, in tokens.")] = 2048,
) -> None:
    """Rewrite documents into question / thoughts / answer form with an LLM (the judge's endpoint or a local model).

    Answers are cached (the judge's SQLite cache), so an interrupted run resumes without repeating a call.
    Rows whose rewrite has no readable question, thoughts and answer are counted and left out.
    """
    from habits.curate.rewrite import RewriteConfig, main

    config = RewriteConfig(input=str(input_), output=str(output), style=style, text_field=text_field,
                           judge=_judge(judge_backend, judge_model, base_url, api_key_env, concurrency, judge_cache,
                                        judge_retries, max_tokens=max_tokens))
    summary = main(config)
    console.print(f"rewrote {summary['written']:,} of {summary['rows']:,} rows ({style}); "
                  f"{summary['unreadable']:,} unreadable answers, {summary['requests']:,} requests, "
                  f"{summary['cache_hits']:,} from the cache -> {output}")
