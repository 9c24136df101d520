"""The demo's effect over seeds: primed minus no-priming accuracy after RL, with a 95% interval.

Runs the demo recipe (``configs/demo.yaml``) with several seeds -- each seed draws its own
priming data and RL problems and initialises its own SFT/RL randomness; the base and the
evaluation problems are shared -- through ``habits run``, the same code path as ``make demo``,
then reads ``summary.json`` and reports, per split, each arm's after-RL accuracy and the gap
between the primed arm and ``no_priming`` (mean over seeds, t-interval over seeds, and per seed).
A measurement, not an assertion: it prints and writes ``benchmarks/results/bench_demo_seeds.json``.

    .venv/bin/python benchmarks/bench_demo_seeds.py                  # seeds 0 1 2 (about an hour on 2 cores)
    .venv/bin/python benchmarks/bench_demo_seeds.py --seeds 0 1 --name demo-seeds-2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import save  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def gaps(summary: dict, primed: str, reference: str) -> dict:
    """Per split: per-seed gap (primed - reference, after RL), its mean and 95% interval over seeds."""
    from habits.behaviors.profile import mean_interval

    out = {}
    for split in summary["splits"]:
        a = summary["arms"][primed]["per_seed"]["after"][split]
        b = summary["arms"][reference]["per_seed"]["after"][split]
        per_seed = {seed: a[seed] - b[seed] for seed in a if a.get(seed) is not None and b.get(seed) is not None}
        values = list(per_seed.values())
        entry = {"per_seed": per_seed, "mean": sum(values) / len(values) if values else None}
        if len(values) > 1:
            entry["low"], entry["high"] = mean_interval(values)
        out[split] = entry
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--name", default="demo-seeds")
    parser.add_argument("--config", default=str(ROOT / "configs" / "demo.yaml"))
    parser.add_argument("--primed", default="backtracking_verification", help="the behavior-primed arm")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    command = [sys.executable, "-m", "habits", "run", args.config, "--set", f"name={args.name}",
               "--set", f"seeds={json.dumps(args.seeds)}"]
    subprocess.run(command, cwd=ROOT, check=True)
    summary = json.loads((ROOT / "runs" / args.name / "summary.json").read_text())
    result = {
        "command": " ".join(command[1:]),
        "seconds": round(time.perf_counter() - started),
        "seeds": args.seeds,
        "after": {arm: {split: entry["accuracy"]["after"][split] for split in summary["splits"]}
                  for arm, entry in summary["arms"].items()},
        "gap_vs_no_priming": gaps(summary, args.primed, "no_priming"),
        "gap_vs_empty_cot": gaps(summary, args.primed, "empty_cot") if "empty_cot" in summary["arms"] else None,
    }
    for split, gap in result["gap_vs_no_priming"].items():
        interval = f" [{gap['low']:+.1%}, {gap['high']:+.1%}]" if "low" in gap else ""
        print(f"{split}: {args.primed} - no_priming after RL = {gap['mean']:+.1%}{interval} "
              f"(per seed {', '.join(f'{v:+.1%}' for v in gap['per_seed'].values())})")
    save("bench_demo_seeds", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
