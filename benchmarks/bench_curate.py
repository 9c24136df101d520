"""Throughput of ``habits curate`` on a generated corpus: MB/s in all and per core, and what it kept.

The corpus mixes what a web-scale math corpus holds with what habits writes: dense reasoning traces
(program-written Countdown and GeneralPoints traces of every priming condition, terse and natural
registers), English prose (the installed packages' documentation in ~4 KB documents), worked
problems of the miniature's other arithmetic tasks (:mod:`habits.curate.synthetic`) and, one row in
a thousand, a row that is not a document (bad UTF-8, binary, missing field, too large). A pool of
documents is built once and rows are drawn from it with a seed up to the size asked for.

    .venv/bin/python benchmarks/bench_curate.py                    # ~100 MB, 2 processes
    .venv/bin/python benchmarks/bench_curate.py --gigabytes 1      # the 1 GB of the issue
    .venv/bin/python benchmarks/bench_curate.py --workers 1 --megabytes 20
    .venv/bin/python benchmarks/bench_curate.py --only trace --megabytes 200   # dense reasoning only

MB/s per core is the corpus's size over the CPU time of every process that ran (the reader and the
scoring processes); on a shared machine compare that, since wall time includes waiting for a core.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import save  # noqa: E402


def pool_of_documents(seed: int = 0) -> list[tuple[str, str]]:
    """(kind, text) documents the corpus is drawn from."""
    from habits.curate.synthetic import SyntheticConfig, build
    from habits.tasks import get_task
    from habits.traces import condition_names, make_rows

    docs: list[tuple[str, str]] = []
    for task_name in ("countdown", "general_points"):
        task = get_task(task_name)
        problems = task.generate(60, split="train", seed=seed)
        for register in ("terse", "natural"):
            for condition in condition_names():
                docs += [("trace", row["completion"]) for row in make_rows(task, condition, problems, seed=seed,
                                                                            register=register)]
    files = sorted((Path(sys.prefix) / "lib").glob("python3*/site-packages/*.dist-info/METADATA"))
    prose = "\n".join(f.read_text("utf-8", errors="ignore") for f in files)[:6_000_000]
    docs += [("prose", prose[i:i + 4000]) for i in range(0, len(prose), 4000)]
    docs += [("worked", row["text"]) for row in build(SyntheticConfig(documents=3000), seed=seed)]
    return docs


BAD = [b'{"id": "bad", "text": "caf\xe9 au lait"}', b'{"id": "bad", "body": "no text field"}',
       b'{"id": "bad", "text": "\\u0000\\u0001ELF\\u0002\\u0003"}', b"{not json"]


def write_corpus(path: Path, megabytes: float, seed: int = 0, kinds: tuple[str, ...] = ()) -> dict[str, int]:
    docs = [doc for doc in pool_of_documents(seed) if not kinds or doc[0] in kinds]
    rng = random.Random(seed)
    limit, written, rows, kinds = int(megabytes * 1e6), 0, 0, {}
    with path.open("wb") as handle:
        while written < limit:
            if rng.random() < 0.001:
                line = rng.choice(BAD) + b"\n"
                kind = "bad"
            else:
                kind, text = rng.choice(docs)
                line = json.dumps({"id": f"d{rows}", "text": text, "kind": kind}).encode() + b"\n"
            handle.write(line)
            written += len(line)
            rows += 1
            kinds[kind] = kinds.get(kind, 0) + 1
    return {"bytes": written, "rows": rows, **{f"rows_{k}": v for k, v in kinds.items()}}


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--megabytes", type=float, default=100.0, help="corpus size (default 100)")
    size.add_argument("--gigabytes", type=float, help="corpus size in GB (e.g. 1)")
    parser.add_argument("--workers", type=int, default=2, help="scoring processes (default 2)")
    parser.add_argument("--corpus", type=Path, help="reuse (or keep) the corpus at this path")
    parser.add_argument("--budget-tokens", type=int, default=2_000_000)
    parser.add_argument("--only", choices=("trace", "prose", "worked"), action="append", default=[],
                        help="draw only documents of this kind (repeatable; default: all, mixed)")
    args = parser.parse_args()
    megabytes = args.gigabytes * 1000 if args.gigabytes else args.megabytes
    from habits.curate import CurateConfig
    from habits.curate import main as curate

    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus or Path(tmp) / "corpus.jsonl"
        if not corpus.is_file():
            started = time.perf_counter()
            made = write_corpus(corpus, megabytes, kinds=tuple(args.only))
            print(f"corpus: {made['rows']:,} rows, {made['bytes'] / 1e6:.0f} MB in {time.perf_counter() - started:.0f} s")
        else:
            made = {"bytes": corpus.stat().st_size}
        runs = {}
        for keep in ("rich", "minimal"):  # the second reuses the first's scores
            cpu, wall = cpu_seconds(), time.perf_counter()
            stats = curate(CurateConfig(input=str(corpus), out=str(Path(tmp) / "out"), keep=keep,
                                        budget_tokens=args.budget_tokens, workers=args.workers, progress=False))
            cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
            mb = made["bytes"] / 1e6
            runs[keep] = {"wall_s": wall, "cpu_s": cpu, "mb_per_s_wall": mb / wall, "mb_per_s_per_core": mb / cpu,
                          "scored_shards": stats["shards"]["scored_in_this_run"], "documents": stats["documents"],
                          "skipped": stats["skipped"], "selection": stats["selections"][keep]["documents"],
                          "selection_tokens": stats["selections"][keep]["tokens"]}
            print(f"--keep {keep}: {wall:.1f} s wall, {cpu:.1f} s CPU over all processes -> {mb / wall:.2f} MB/s "
                  f"wall, {mb / cpu:.2f} MB/s per core; {stats['shards']['scored_in_this_run']} shards scored; "
                  f"kept {stats['selections'][keep]['documents']:,} documents")
        shares = {k: round(v["share"], 3) for k, v in stats["corpus"]["behaviors"].items()}
        kinds = {}
        for keep in ("rich", "minimal"):
            counts: dict[str, int] = {}
            with (Path(tmp) / "out" / f"{keep}.jsonl").open() as handle:
                for line in handle:
                    kind = json.loads(line)["kind"]
                    counts[kind] = counts.get(kind, 0) + 1
            kinds[keep] = counts
        print(f"corpus share showing each behavior: {shares}; skipped: {stats['skipped']}")
        print(f"kinds kept: {kinds}")
        path = save("bench_curate", {"megabytes": made["bytes"] / 1e6, "workers": args.workers, "corpus": made,
                                     "only": args.only or "all kinds",
                                     "runs": runs, "corpus_behavior_share": shares, "kinds_kept": kinds})
        print(f"results -> {path}")


if __name__ == "__main__":
    main()
