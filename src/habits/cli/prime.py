"""``habits prime-data``: write SFT priming rows (program-written or LLM-written traces) for a condition."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from habits.configs import parse_overrides

console = Console()

SetOption = Annotated[list[str] | None, typer.Option("--set", help="Task config override KEY=VALUE (YAML value); "
                                                                  "repeatable, e.g. --set rule=ood.")]


def register(app: typer.Typer) -> None:
    app.command("prime-data")(prime_data)
    app.command("prime-conditions")(list_conditions)


def prime_data(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file, .jsonl or .parquet (written atomically); "
                                                         "image tasks' images go inside Parquet, beside JSONL.")],
    task: Annotated[str, typer.Option(help="countdown, general_points or navigation (--set modality=image: the "
                                           "prompt shows the cards / the four views as a picture).")] = "countdown",
    condition: Annotated[str, typer.Option(help="Priming condition (see `habits prime-conditions`).")] = "all",
    n: Annotated[int, typer.Option("--n", help="Number of rows (one per decision: a problem, or a "
                                                  "decision point of a route).")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed; the same seed gives the same problems and traces.")] = 0,
    split: Annotated[str, typer.Option(help="Split the problems come from: train, test or ood.")] = "train",
    fmt: Annotated[str, typer.Option("--format", help="completion: prompt/completion strings; "
                                                      "chat: prompt/completion as message lists.")] = "completion",
    tokenizer: Annotated[str | None, typer.Option(help="Token counts (length_matched dots, lengths): 'regex' "
                                                       "(default) or a local Hugging Face tokenizer directory.")] = None,
    register_: Annotated[str, typer.Option("--register", help="natural: sentences, several phrasings per event "
                                                              "(real LLMs); terse: one fixed form per event "
                                                              "(tiny models).")] = "natural",
    budget: Annotated[int, typer.Option(help="Most attempts a trace writes before answering its closest one.")] = 6,
    stream: Annotated[str | None, typer.Option(help="Train split only: pretrain, prime or rl -- disjoint "
                                                    "problem sets (default: the whole train split).")] = None,
    source: Annotated[str, typer.Option(help="program (default): search + narration; llm: an OpenAI-compatible "
                                             "endpoint writes the traces under the condition's system prompt.")] = "program",
    base_url: Annotated[str | None, typer.Option(help="llm source: endpoint base URL, e.g. http://localhost:8000/v1.")] = None,
    model: Annotated[str | None, typer.Option(help="llm source: model name at the endpoint.")] = None,
    api_key_env: Annotated[str, typer.Option(help="llm source: environment variable holding the API key.")] = "OPENAI_API_KEY",
    overrides: SetOption = None,
    mix: Annotated[list[str] | None, typer.Option("--mix", help="One part of a mixture of task settings, KEY=VALUE"
                                                                "[,KEY=VALUE...]; repeat per part, rows come equally from "
                                                                "each, e.g. --mix rule=id --mix rule=ood.")] = None,
) -> None:
    """Write priming rows: prompt, completion, messages, problem, behaviors, correct, condition, task."""
    from habits.io import ROW_SUFFIXES, check_output
    from habits.traces.data import PrimeConfig, main

    check_output(out, ROW_SUFFIXES, "--out")
    mixture = [parse_overrides(part.split(",")) for part in mix or []]
    if mixture and source != "program":
        raise ValueError("--mix works with --source program (an endpoint writes one setting per run)")
    config = PrimeConfig(task=task, condition=condition, n=n, seed=seed, split=split, format=fmt,
                         task_config=parse_overrides(overrides), tokenizer=tokenizer, out=out,
                         register=register_, budget=budget, stream=stream, mixture=mixture)
    started = time.perf_counter()
    if source == "program":
        summary = main(config)
    elif source == "llm":
        from habits.traces.llm import LLMConfig, main_llm

        if not base_url or not model:
            raise ValueError("--source llm needs --base-url and --model")
        summary = main_llm(config, LLMConfig(base_url=base_url, model=model, api_key_env=api_key_env))
    else:
        raise ValueError(f"--source must be 'program' or 'llm', got {source!r}")
    _print_summary(summary, time.perf_counter() - started)


def _print_summary(summary: dict, seconds: float) -> None:
    table = Table(title=f"{summary['task']} / {summary['condition']}: {summary['rows']} rows in {seconds:.1f}s")
    table.add_column("behavior")
    table.add_column("traces showing it", justify="right")
    table.add_column("mean count", justify="right")
    for name, share in summary.get("behavior_presence", {}).items():
        table.add_row(name, f"{share:.1%}", f"{summary['behavior_mean'][name]:.2f}")
    console.print(table)
    if summary["rows"]:
        tokens = summary["thought_tokens"]
        arithmetic = summary["arithmetic"]
        console.print(f"correct answers {summary['correct']:.1%}; arithmetic statements {arithmetic['statements']}, "
                      f"wrong {arithmetic['wrong']}; thought tokens median {tokens['median']:.0f}, p90 {tokens['p90']}, "
                      f"max {tokens['max']}")
    if summary.get("skipped"):
        console.print(f"skipped {summary['skipped']} problems (no usable response)")
    console.print(f"wrote {summary['out']}")


def list_conditions() -> None:
    """List the priming conditions: behaviors shown, answer policy, think block."""
    from habits.traces.conditions import CONDITIONS

    table = Table(title="priming conditions")
    table.add_column("name", no_wrap=True, style="bold")
    table.add_column("behaviors shown", overflow="fold")
    table.add_column("answer")
    table.add_column("thoughts")
    table.add_column("description", ratio=1)
    for name in CONDITIONS:
        c = CONDITIONS.get(name)
        table.add_row(name, ", ".join(sorted(c.behaviors)) or "-", c.answer, c.thoughts, c.description)
    console.print(table)
