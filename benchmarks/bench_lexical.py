"""Throughput of the offline behavior classifier (``habits.behaviors.count_behaviors``), MB/s per core.

Three corpora, timed on one pinned core (best of ``--repeats``; CPU time, because this machine is
shared):

* ``reasoning``: the labeled fixture traces regrouped into completions of ~1.5 KB -- dense with
  checks, switches and goals, so every clause has cues: the hardest case per byte;
* ``short``: the same traces one by one (~300 B): per-call overhead dominates;
* ``prose``: English documentation of the installed packages (``*.dist-info/METADATA``), cut into
  ~8 KB documents: what labeling a web-scale corpus looks like.

Also: the time for one 1 MB text (the input cap, ``MAX_CHARS``), the behavior density of each
corpus, and the classifier's agreement with the held-out labeled sets it was never tuned on
(``heldout``, ``varied_heldout``, ``blind_heldout``): presence precision / recall / F1 per behavior. Results go to
``benchmarks/results/bench_lexical.json``.

    .venv/bin/python benchmarks/bench_lexical.py
    .venv/bin/python benchmarks/bench_lexical.py --megabytes 1 --repeats 2   # quicker
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of, pin_one_core, save

from habits.behaviors import BEHAVIORS, count_behaviors
from habits.behaviors.agreement import agreement, fixture_path, macro_f1
from habits.behaviors.lexical import MAX_CHARS


def fixture_texts() -> list[str]:
    texts = []
    for name in ("tuning", "heldout"):
        texts += [
            json.loads(line)["completion"] for line in fixture_path(name).read_text("utf-8").splitlines()
        ]
    return texts


def regroup(texts: list[str], size: int, total: int, seed: int = 0) -> list[str]:
    """Join random traces into documents of about ``size`` characters, ``total`` characters in all."""
    rng = random.Random(seed)
    docs, made = [], 0
    while made < total:
        parts, length = [], 0
        while length < size:
            part = rng.choice(texts)
            parts.append(part)
            length += len(part) + 1
        doc = "\n".join(parts)
        docs.append(doc)
        made += len(doc)
    return docs


def prose_docs(total: int, size: int = 8000) -> list[str]:
    files = sorted((Path(sys.prefix) / "lib").glob("python3*/site-packages/*.dist-info/METADATA"))
    text = "\n".join(f.read_text("utf-8", errors="ignore") for f in files)[:total]
    return [text[i : i + size] for i in range(0, len(text), size)]


def measure(docs: list[str], repeats: int) -> dict:
    size = sum(len(d.encode("utf-8")) for d in docs)
    wall, cpu, counts = best_of(lambda: [count_behaviors(d) for d in docs], repeats)
    per_kb = {name: sum(c[name] for c in counts) / (size / 1000) for name in BEHAVIORS}
    return {
        "documents": len(docs),
        "megabytes": size / 1e6,
        "mean_doc_bytes": size / max(1, len(docs)),
        "cpu_s": cpu,
        "wall_s": wall,
        "mb_per_s_cpu": size / 1e6 / cpu,
        "mb_per_s_wall": size / 1e6 / wall,
        "instances_per_kb": per_kb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=float, default=2.0, help="size of each corpus")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per corpus (the best is kept)")
    args = parser.parse_args()
    cpu = pin_one_core()
    total = int(args.megabytes * 1e6)
    texts = fixture_texts()
    corpora = {
        "reasoning": regroup(texts, 1500, total),
        "short": regroup(texts, 1, total // 2),
        "prose": prose_docs(total),
    }
    results = {"pinned_cpu": cpu, "corpora": {}}
    for name, docs in corpora.items():
        if not docs:
            continue
        result = measure(docs, args.repeats)
        results["corpora"][name] = result
        density = ", ".join(f"{k.split('_')[0]} {v:.2f}" for k, v in result["instances_per_kb"].items())
        print(
            f"{name:10s} {result['documents']:6d} docs of ~{result['mean_doc_bytes']:6.0f} B, "
            f"{result['megabytes']:.2f} MB: {result['mb_per_s_cpu']:.2f} MB/s per core (CPU time), "
            f"{result['mb_per_s_wall']:.2f} MB/s wall; instances/KB: {density}"
        )
    results["heldout_f1"] = {}
    for name in ("heldout", "varied_heldout", "blind_heldout"):
        rows = [json.loads(line) for line in fixture_path(name).read_text("utf-8").splitlines()]
        found = agreement([row["behaviors"] for row in rows], [count_behaviors(row["completion"]) for row in rows])
        results["heldout_f1"][name] = {"rows": len(rows), "macro_f1": macro_f1(found),
                                       **{b: {"precision": a.precision, "recall": a.recall, "f1": a.f1}
                                          for b, a in found.items()}}
        print(f"held-out {name:15s} ({len(rows)} rows) F1: " + ", ".join(
            f"{b.split('_')[0]} {found[b].f1:.3f}" for b in BEHAVIORS) + f"; macro {macro_f1(found):.3f}")
    huge = (" ".join(texts) * (MAX_CHARS // len(" ".join(texts)) + 1))[:MAX_CHARS]
    wall, cpu_s, _ = best_of(lambda: count_behaviors(huge), args.repeats)
    results["one_megabyte_text"] = {"cpu_s": cpu_s, "wall_s": wall}
    print(f"one {MAX_CHARS / 1e6:.0f} MB text (the input cap): {cpu_s:.2f} s CPU")
    print(f"results -> {save('bench_lexical', results)}")


if __name__ == "__main__":
    main()
