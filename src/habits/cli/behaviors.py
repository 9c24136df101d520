"""``habits behaviors``: the four habits -- definitions, counting, classifying files, agreement with labels."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()
behaviors_app = typer.Typer(
    help="The four reasoning habits: list definitions, count them in text, classify "
    "completion files, measure agreement with labeled traces.",
    no_args_is_help=True,
)

BackendOption = Annotated[
    str, typer.Option("--backend", "-b", help="Classifier: lexical (offline, fast) or judge (LLM).")
]
JudgeModel = Annotated[
    str,
    typer.Option(
        "--judge-model", help="Judge: served model name, or a model directory with --judge-backend local."
    ),
]
JudgeBackend = Annotated[
    str, typer.Option("--judge-backend", help="Judge backend: endpoint (OpenAI-compatible) or local.")
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="Judge endpoint URL ending in /v1 (default: $OPENAI_BASE_URL, else api.openai.com).",
    ),
]
ApiKeyEnv = Annotated[
    str, typer.Option("--api-key-env", help="Environment variable that holds the judge's API key.")
]
Concurrency = Annotated[int, typer.Option("--concurrency", min=1, help="Judge requests in flight at once.")]
JudgeCacheOption = Annotated[
    str, typer.Option("--judge-cache", help="Judge answer cache (SQLite); 'none' disables it.")
]
JudgeRetries = Annotated[
    int, typer.Option("--judge-retries", min=0, help="Retries per judge request after a timeout, a server error "
                                                     "or a reply without a count (backoff doubles from 1 s).")
]
JudgeTimeout = Annotated[
    float, typer.Option("--judge-timeout", min=0.1, help="Seconds one judge request may take.")
]
JudgeDeadline = Annotated[
    float | None, typer.Option("--judge-deadline", min=1, help="Seconds the whole judging may take; readable "
                                                               "answers are cached, so a re-run continues.")
]


def judge_config(
    backend: str,
    judge_backend: str,
    judge_model: str,
    base_url: str | None,
    api_key_env: str,
    concurrency: int,
    judge_cache: str,
    judge_retries: int = 4,
    judge_timeout: float = 60.0,
    judge_deadline: float | None = None,
):
    """The JudgeConfig for these CLI options, or None for the lexical classifier."""
    if backend not in ("lexical", "judge"):
        raise ValueError(f"unknown --backend {backend!r}; choose lexical or judge")
    if backend != "judge":
        return None
    from habits.behaviors import JudgeConfig

    return JudgeConfig(
        backend=judge_backend,
        model=judge_model,
        base_url=base_url,
        api_key_env=api_key_env,
        concurrency=concurrency,
        cache=None if judge_cache.lower() == "none" else judge_cache,
        max_retries=judge_retries,
        timeout_s=judge_timeout,
        deadline_s=judge_deadline,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(behaviors_app, name="behaviors")


@behaviors_app.command("list")
def list_behaviors() -> None:
    """Show the four behaviors: definition and what counts as one instance."""
    from habits.behaviors import TAXONOMY

    table = Table(title="reasoning behaviors", show_lines=True)
    for column in ("behavior", "definition", "counts as one instance", "not counted"):
        table.add_column(column)
    for spec in TAXONOMY.values():
        table.add_row(
            spec.name,
            spec.definition,
            "\n".join(f"• {x}" for x in spec.counts_as),
            "\n".join(f"• {x}" for x in spec.not_counted),
        )
    console.print(table)


@behaviors_app.command("count")
def count(
    text: Annotated[str | None, typer.Argument(help="Reasoning text; read from stdin when omitted.")] = None,
    target: Annotated[int | None, typer.Option(help="The problem's target number, if known.")] = None,
) -> None:
    """Count the behaviors in one text with the offline classifier (prints JSON)."""
    import json

    from habits.behaviors import count_behaviors

    console.print_json(json.dumps(count_behaviors(sys.stdin.read() if text is None else text, target=target)))


@behaviors_app.command("classify")
def classify_file(
    input_path: Annotated[Path, typer.Option("--input", "-i", help="JSONL with a `completion` per row.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Output JSONL: every row with `behaviors` added.")
    ],
    backend: BackendOption = "lexical",
    judge_backend: JudgeBackend = "endpoint",
    judge_model: JudgeModel = "gpt-4o-mini",
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    concurrency: Concurrency = 8,
    judge_cache: JudgeCacheOption = "~/.cache/habits/judge.sqlite",
    judge_retries: JudgeRetries = 4,
    judge_timeout: JudgeTimeout = 60.0,
    judge_deadline: JudgeDeadline = None,
    spans: Annotated[bool, typer.Option("--spans/--no-spans", help="lexical: also write `spans`, where each "
                                                                   "instance is.")] = True,
) -> None:
    """Add `behaviors` (the four counts; null where the judge gave no count) to every row of a JSONL file.

    With the lexical classifier, `spans` says where each counted instance is: per behavior, a list of
    [start, end] character offsets into the row's completion text (one per instance, so the lists'
    lengths are the counts). Every other field is kept. Rows' `problem` and `task` fields, when
    present, give the classifier the target and the judge its context. The output is written atomically.
    """
    from habits.behaviors import classify
    from habits.io import ROW_SUFFIXES, check_output, read_rows, write_rows
    from habits.tasks.base import completion_text

    config = judge_config(
        backend, judge_backend, judge_model, base_url, api_key_env, concurrency, judge_cache, judge_retries,
        judge_timeout, judge_deadline,
    )
    check_output(output, ROW_SUFFIXES, "--output")
    started = time.perf_counter()
    rows = [row for _, row in read_rows(input_path, ("completion",), "a `completion` per row")]
    problems = [row.get("problem") if isinstance(row.get("problem"), dict) else None for row in rows]
    tasks = {row.get("task") for row in rows if row.get("task")}
    counts = classify(
        [completion_text(row["completion"]) for row in rows],
        backend,
        judge=config,
        problems=problems,
        task=tasks.pop() if len(tasks) == 1 else None,
        progress=True,
    )
    for row, row_counts in zip(rows, counts):
        row["behaviors"] = row_counts
    if spans and backend == "lexical":
        from habits.behaviors import behavior_spans

        for row, problem in zip(rows, problems):
            target = problem.get("target") if isinstance(problem, dict) else None
            found = behavior_spans(completion_text(row["completion"]),
                                   target=target if isinstance(target, int) and not isinstance(target, bool) else None)
            row["spans"] = {name: [list(span) for span in where] for name, where in found.items()}
    write_rows(output, rows)
    console.print(
        f"classified {len(rows)} rows with {backend} in {time.perf_counter() - started:.1f}s -> {output}"
    )


@behaviors_app.command("agree")
def agree(
    gold: Annotated[
        str,
        typer.Option(
            "--gold",
            "-g",
            help="Labeled JSONL (`completion` + gold `behaviors`), or a shipped fixture: "
                 "tuning, heldout, varied_tuning, varied_heldout, blind_tuning, blind_heldout.",
        ),
    ],
    backend: BackendOption = "lexical",
    judge_backend: JudgeBackend = "endpoint",
    judge_model: JudgeModel = "gpt-4o-mini",
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    concurrency: Concurrency = 8,
    judge_cache: JudgeCacheOption = "~/.cache/habits/judge.sqlite",
    judge_retries: JudgeRetries = 4,
    judge_timeout: JudgeTimeout = 60.0,
    judge_deadline: JudgeDeadline = None,
    errors: Annotated[
        bool, typer.Option("--errors", help="Also list rows where presence disagrees.")
    ] = False,
) -> None:
    """Agreement of a classifier with gold labels: presence precision / recall / F1, count correlation."""
    from habits.behaviors import BEHAVIORS, classify, validate_counts
    from habits.behaviors.agreement import FIXTURES, agreement, fixture_path, macro_f1
    from habits.io import InputError, read_jsonl

    path = fixture_path(gold) if gold in FIXTURES else Path(gold)
    config = judge_config(
        backend, judge_backend, judge_model, base_url, api_key_env, concurrency, judge_cache, judge_retries,
        judge_timeout, judge_deadline,
    )
    rows, labels = [], []
    for line, row in read_jsonl(path, required=("completion", "behaviors")):
        try:
            labels.append(validate_counts(row["behaviors"]))
        except ValueError as exc:
            raise InputError(f"{path}:{line}: {exc}") from None
        rows.append(row)
    if not rows:
        raise InputError(f"{path}: no labeled rows")
    # Text only: the classifier sees what it would see in the wild (no problem, no target).
    predicted = classify([row["completion"] for row in rows], backend, judge=config, progress=len(rows) > 200)
    result = agreement(labels, predicted)
    table = Table(title=f"{backend} vs gold labels in {path.name} ({len(rows)} rows)")
    for column in ("behavior", "gold +", "P", "R", "F1", "Pearson r", "Spearman ρ", "missing"):
        table.add_column(
            column, justify="left" if column == "behavior" else "right", no_wrap=column == "behavior"
        )
    fmt = lambda v: "—" if v is None else f"{v:.2f}"
    for name in BEHAVIORS:
        a = result[name]
        table.add_row(
            name,
            str(a.true_positive + a.false_negative),
            fmt(a.precision),
            fmt(a.recall),
            fmt(a.f1),
            fmt(a.pearson),
            fmt(a.spearman),
            str(a.missing),
        )
    console.print(table)
    console.print(f"presence macro-F1: [bold]{macro_f1(result):.3f}[/]")
    if errors:
        for row, gold_counts, counts in zip(rows, labels, predicted):
            wrong = [
                f"{name} gold {gold_counts[name]} got {counts[name]}"
                for name in BEHAVIORS
                if counts[name] is not None and (gold_counts[name] > 0) != (counts[name] > 0)
            ]
            if wrong:
                console.print(f"{row.get('id', '?')}: " + "; ".join(wrong), highlight=False)
