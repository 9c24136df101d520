"""The SFT-vs-RL miniature over seeds: each arm's held-out accuracy at its start, last and best point.

Runs the study recipe (``configs/study/tiny-general-points.yaml``) with several seeds through
``habits run`` -- each seed draws its own SFT data and RL problems and its own training randomness;
the base and the evaluation problems are shared -- then reads ``summary.json`` and reports, per arm
and split, the start → last change with a 95% t-interval over seeds, and the paper's signs (RL's OOD
at its last point at or above its start; SFT's below its best) on the seed means and per seed.
A measurement, not an assertion: it prints and writes ``benchmarks/results/bench_study_seeds.json``.

    .venv/bin/python benchmarks/bench_study_seeds.py                     # seeds 0 1 2
    .venv/bin/python benchmarks/bench_study_seeds.py --seeds 0 1 --name study-seeds-2
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


def arm_changes(summary: dict) -> dict:
    """Per arm and split: per-seed (start, last, best) and the last - start change over seeds."""
    from habits.behaviors.profile import mean_interval
    from habits.report.study import arm_curve

    out: dict = {}
    for arm, entry in summary["arms"].items():
        per_seed = entry.get("points_per_seed") or {"0": entry.get("points") or []}
        out[arm] = {"stages": entry["stages"]}
        for split in summary["splits"]:
            seeds = {}
            for seed, points in per_seed.items():
                curve = arm_curve({"points": points}, split)
                if curve:
                    values = [value for _, value in curve]
                    seeds[seed] = {"start": values[0], "last": values[-1], "best": max(values),
                                   "flops_last": curve[-1][0]}
            changes = [s["last"] - s["start"] for s in seeds.values()]
            drops = [s["best"] - s["last"] for s in seeds.values()]
            row = {"per_seed": seeds}
            for name, values in (("last_minus_start", changes), ("best_minus_last", drops)):
                if values:
                    row[name] = {"mean": sum(values) / len(values)}
                    if len(values) > 1:
                        row[name]["low"], row[name]["high"] = mean_interval(values)
            out[arm][split] = row
    return out


def signs(summary: dict, split: str = "ood") -> dict:
    """The paper's signs on the seed means, and per arm on which seeds each held."""
    from habits.report.study import paper_signs

    on_means = [{"claim": claim, "held": held, "sentence": sentence}
                for claim, held, sentence in paper_signs(summary, split)]
    per_seed: dict = {}
    for arm, entry in summary["arms"].items():
        for seed, points in sorted((entry.get("points_per_seed") or {}).items()):
            alone = {**summary, "arms": {arm: {**entry, "points": points}}}
            for claim, held, sentence in paper_signs(alone, split):
                if f"arm {arm} " in sentence:
                    per_seed.setdefault(f"{arm}: {claim}", {})[seed] = held
    return {"on_means": on_means, "per_seed": per_seed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--name", default="study-seeds")
    parser.add_argument("--config", default=str(ROOT / "configs" / "study" / "tiny-general-points.yaml"))
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--summary-only", action="store_true",
                        help="do not run: read runs/<name>/summary.json of a finished run (keeps its recorded time)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    command = [sys.executable, "-m", "habits", "run", args.config, "--set", f"name={args.name}",
               "--set", f"seeds={json.dumps(args.seeds)}", "--set", f"parallel={args.parallel}"]
    seconds = None
    if args.summary_only:
        previous = ROOT / "benchmarks" / "results" / "bench_study_seeds.json"
        seconds = json.loads(previous.read_text()).get("seconds") if previous.is_file() else None
    else:
        subprocess.run(command, cwd=ROOT, check=True)
        seconds = round(time.perf_counter() - started)
    summary = json.loads((ROOT / "runs" / args.name / "summary.json").read_text())
    result = {"command": " ".join(command[1:]), "seconds": seconds,
              "seeds": args.seeds, "arms": arm_changes(summary), "signs": signs(summary)}
    for arm, entry in result["arms"].items():
        for split in summary["splits"]:
            change = entry[split].get("last_minus_start")
            if change:
                interval = f" [{change['low']:+.1%}, {change['high']:+.1%}]" if "low" in change else ""
                print(f"{arm:18s} {split:4s} last - start = {change['mean']:+.1%}{interval}")
    for sign in result["signs"]["on_means"]:
        print(sign["sentence"])
    for claim, seeds in result["signs"]["per_seed"].items():
        print(f"{claim}: held on seeds {[s for s, held in seeds.items() if held]} of {list(seeds)}")
    save("bench_study_seeds", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
