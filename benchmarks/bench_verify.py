"""Verification throughput: habits' exact verifier vs a naive eval scorer vs reasoning-gym.

Builds ~2,000 Countdown and ~2,000 GeneralPoints problems, five labelled completions each
(see ``_completions.py``), and times on one pinned core:

* ``task.verify`` and ``task.reward_function()`` (the TRL contract) of habits;
* an UNSAFE naive scorer of the kind RL repositories ship (``_naive.py``: regex + whitelist + ``eval``);
* reasoning-gym 0.1.25's Countdown ``extract_answer`` + ``score_answer`` (Countdown strings only),
  run from a separate virtualenv in a subprocess with a timeout.

Then: agreement of the verdicts (with examples of every kind of disagreement and who is right by
construction), hand-written probes, and the worst time per string of adversarial inputs through
``task.verify`` (in a fresh process, so a hang cannot stall the run).

    .venv/bin/python benchmarks/bench_verify.py            # full run (~2-3 min on 2 cores)
    .venv/bin/python benchmarks/bench_verify.py --install-rg   # create the reasoning-gym venv first
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _naive
from _common import best_of, emit, pin_one_core, rate, run_worker, save
from _completions import Case, build_cases

from habits.progress import track
from habits.tasks import get_task

RG_VERSION = "0.1.25"
DEFAULT_RG_PYTHON = os.environ.get("HABITS_RG_PYTHON", "/tmp/rg-venv/bin/python")
WORKER = Path(__file__).resolve().parent / "_rg_worker.py"

# Hand-written probes (all benign): (numbers, target, answer, expected, what it tests).
PROBES = (
    ([4, 1, 5, 6], 24, "4/(1-5/6)", True, "exact fraction (float gives 24.000000000000004)"),
    ([8, 3, 8, 3], 24, "8/(3-8/3)", True, "exact fraction (float gives 23.99999999999999)"),
    ([3, 5, 2, 1], 16, "(3+5)*2", False, "unused number"),
    ([2, 4, 8], 22, "8+8+4+2", False, "repeated number (same set, different multiset)"),
    ([99, 1, 99, 98], 99, "99 - 1/(99*98)", False, "near miss: 98.99990 (within np.isclose's rtol)"),
    ([2, 3, 1], 8, "2**3*1", False, "power operator"),
    ([7, 2, 5], 15, "7//2*5", False, "floor division"),
    ([3, 5, 8], 16, "-(3-5)*8", True, "minus sign on a bracket (policy: accepted; unary_minus=False refuses)"),
    ([47, 29, 49], 31, "-47 + (29 + 49)", True, "leading minus on a number (policy: accepted)"),
    ([3, 5, 8], 16, "--(3-5)*8", False, "repeated signs"),
    ([3, 5, 2], 16, "(3+5)*2 = 17", False, "false '= N' (only '= target' is dropped)"),
    ([3, 5, 2], 16, "(3 + 5)\n* 2", True, "expression broken over two lines"),
    ([3, 5, 2], 16, "(3+5)*2 = 16", True, "trailing '= target' (policy: lenient)"),
    ([3, 5, 2], 16, "(3+5)×2", True, "typographic × (policy: lenient)"),
    ([3, 5, 2], 16, "(3+5)*2.0", False, "float literal"),
    ([6, 4, 1, 1], 24, "6*4*1*1", True, "ones multiplied in"),
)

ADVERSARIAL = {
    "<answer>9**9**9**9</answer>": lambda: "<answer>9**9**9**9</answer>",
    "1 MB of text, no tags": lambda: "word " * 200_000,
    "100k nested parentheses in <answer>": lambda: (
        "<answer>" + "(" * 100_000 + "1" + ")" * 100_000 + "</answer>"
    ),
    "120 nested parentheses (fits 256 chars)": lambda: "<answer>" + "(" * 120 + "1" + ")" * 120 + "</answer>",
    "10k <answer> blocks": lambda: "<answer>1+2</answer>\n" * 10_000,
    "100k-digit literal": lambda: "<answer>" + "9" * 100_000 + "</answer>",
    "250-digit literal": lambda: "<answer>" + "9" * 250 + "</answer>",
    "64 terms 999999*999999*...": lambda: "<answer>" + "*".join(["999999"] * 36) + "</answer>",
    '20k \'"formula": "\' openers': lambda: '"formula": "' * 20_000,
    "2,500 unclosed <answer> tags": lambda: "<answer> x " * 2_500,
    "5,000 unclosed <answer> tags": lambda: "<answer> x " * 5_000,
}


def time_adversarial() -> dict[str, Any]:
    """Worker: each adversarial string through both tasks' verify; seconds and verdict reasons."""
    tasks = {
        "countdown": (get_task("countdown"), {"numbers": [3, 5, 2], "target": 16}),
        "general_points": (
            get_task("general_points"),
            {"cards": ["A", "2", "3", "4"], "target": 24, "rule": "id"},
        ),
    }
    out = {}
    for name, make in ADVERSARIAL.items():
        text = make()
        for task_name, (task, problem) in tasks.items():
            start = time.perf_counter()
            verdict = task.verify(problem, text)
            out[f"{name} | {task_name}"] = {
                "seconds": time.perf_counter() - start,
                "reason": verdict.reason,
                "chars": len(text),
            }
    return out


def naive_correct(case: Case, values: dict[int, list[int]]) -> bool:
    if case.task == "countdown":
        return _naive.countdown_correct(case.problem, case.completion)
    return _naive.general_points_correct(case.problem, values[id(case)], case.completion)


def run_rg(python: str, cases: list[Case], repeats: int, timeout: float) -> dict[str, Any]:
    job = {
        "completions": [c.completion for c in cases],
        "repeats": repeats,
        "entries": [{"numbers": c.problem["numbers"], "target": c.problem["target"]} for c in cases],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(job, handle)
    try:
        return run_worker([str(WORKER), handle.name], timeout=timeout, python=python)
    finally:
        os.unlink(handle.name)


def disagreements(cases: list[Case], ours: list[bool], theirs: list[bool]) -> list[dict[str, Any]]:
    """Disagreements grouped by completion kind, one example each, with who matches the construction."""
    groups: dict[tuple[str, str, bool], list[Case]] = {}
    for case, a, b in zip(cases, ours, theirs, strict=True):
        if a != b:
            groups.setdefault((case.task, case.kind, a), []).append(case)
    rows = []
    for (task, kind, habits_says), members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        example = members[0]
        answer = example.completion[example.completion.rfind("</think>") + 9 :][-160:]
        rows.append(
            {
                "task": task,
                "kind": kind,
                "count": len(members),
                "habits": habits_says,
                "other": not habits_says,
                "expected": example.expected,
                "right": "habits" if habits_says == example.expected else "other",
                "problem": example.problem,
                "answer_text": answer,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=2000, help="problems per task")
    parser.add_argument("--per-problem", type=int, default=5, help="completions per problem")
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats (best is reported)")
    parser.add_argument(
        "--rg-python",
        default=DEFAULT_RG_PYTHON,
        help="python of a venv with reasoning-gym (env HABITS_RG_PYTHON)",
    )
    parser.add_argument(
        "--rg-timeout", type=float, default=900, help="seconds before the reasoning-gym run is killed"
    )
    parser.add_argument(
        "--install-rg", action="store_true", help=f"create that venv with reasoning-gym=={RG_VERSION}"
    )
    parser.add_argument("--worker", choices=["adversarial"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "adversarial":
        emit(time_adversarial())
        return 0
    if args.install_rg:
        venv = Path(args.rg_python).parent.parent
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [args.rg_python, "-m", "pip", "install", "-q", f"reasoning-gym=={RG_VERSION}"], check=True
        )

    core = pin_one_core()
    print(
        f"bench_verify: pinned to CPU {core}; {args.problems} problems/task, {args.per_problem} completions each"
    )
    cases: list[Case] = []
    gp_values: dict[int, list[int]] = {}
    for name in ("countdown", "general_points"):
        task = get_task(name)
        problems = list(
            track(task.iter_generate(args.problems, "train", seed=7), f"generate {name}", args.problems)
        )
        solved = [
            problems[i]
            for i in track(range(len(problems)), f"solve {name}", len(problems))
            if task.solve(problems[i])
        ]
        task_cases = build_cases(task, solved, args.per_problem, seed=7)
        if name == "general_points":
            gp_values.update({id(c): task.values(c.problem) for c in task_cases})
        cases += task_cases
    tasks = {name: get_task(name) for name in ("countdown", "general_points")}
    by_task = {name: [c for c in cases if c.task == name] for name in tasks}
    mean_chars = sum(len(c.completion) for c in cases) / len(cases)
    print(
        f"{len(cases):,} completions, mean {mean_chars:.0f} characters; kinds: "
        + ", ".join(f"{k} {n}" for k, n in Counter(c.kind for c in cases).most_common())
    )

    timings: dict[str, dict[str, Any]] = {}
    verdicts: dict[str, dict[str, list[bool]]] = {"habits": {}, "naive_eval": {}, "reasoning_gym": {}}
    for name, task in tasks.items():
        group = by_task[name]
        wall, cpu, result = best_of(
            lambda t=task, g=group: [t.verify(c.problem, c.completion).correct for c in g], args.repeats
        )
        verdicts["habits"][name] = result
        timings[f"habits verify | {name}"] = {"seconds": wall, "cpu_seconds": cpu, "n": len(group)}
        reward = task.reward_function()
        wall, cpu, _ = best_of(
            lambda r=reward, g=group: r([c.completion for c in g], problem=[c.problem for c in g]),
            args.repeats,
        )
        timings[f"habits reward_function | {name}"] = {"seconds": wall, "cpu_seconds": cpu, "n": len(group)}
        wall, cpu, result = best_of(lambda g=group: [naive_correct(c, gp_values) for c in g], args.repeats)
        verdicts["naive_eval"][name] = result
        timings[f"naive eval (unsafe) | {name}"] = {"seconds": wall, "cpu_seconds": cpu, "n": len(group)}

    countdown = by_task["countdown"]
    rg_note = ""
    if Path(args.rg_python).exists():
        rg = run_rg(args.rg_python, countdown, args.repeats, args.rg_timeout)
        if "error" in rg:
            rg_note = f"reasoning-gym run failed: {rg['error']}"
        else:
            verdicts["reasoning_gym"]["countdown"] = [score == 1.0 for score in rg["scores"]]
            timings[f"reasoning-gym {rg['version']} score_answer | countdown"] = {
                "seconds": rg["seconds"],
                "cpu_seconds": rg["cpu_seconds"],
                "n": len(countdown),
            }
    else:
        rg_note = (
            f"reasoning-gym skipped: {args.rg_python} not found "
            "(run with --install-rg, or set HABITS_RG_PYTHON)"
        )

    print(f"\n== throughput (one core, best of {args.repeats}; wall, then CPU time of this process) ==")
    for label, row in timings.items():
        row["per_second"] = row["n"] / row["seconds"]
        row["us_each"] = row["seconds"] / row["n"] * 1e6
        row["cpu_us_each"] = row["cpu_seconds"] / row["n"] * 1e6
        print(f"  {label:48s} {rate(row['n'], row['seconds'])}  cpu {row['cpu_us_each']:,.1f} µs each")
    if rg_note:
        print("  " + rg_note)
    for name in tasks:  # the target: habits at least as fast as the naive scorer (ratio <= 1)
        ratio = (
            timings[f"habits verify | {name}"]["cpu_seconds"]
            / timings[f"naive eval (unsafe) | {name}"]["cpu_seconds"]
        )
        timings[f"habits verify | {name}"]["cpu_ratio_to_naive"] = ratio
        print(f"  habits verify / naive eval, CPU time per completion, {name}: {ratio:.2f}x")

    agreement = report_agreement(cases, by_task, verdicts)
    probes = run_probes(args, tasks["countdown"])

    adversarial = run_worker([__file__, "--worker", "adversarial"], timeout=600)
    print("\n== adversarial strings through task.verify (fresh process) ==")
    if "error" in adversarial:
        print("  " + adversarial["error"])
    else:
        for label, row in adversarial.items():
            print(f"  {label:62s} {row['seconds'] * 1e3:9.2f} ms  {row['reason']}")
        worst = max(adversarial.items(), key=lambda kv: kv[1]["seconds"])
        print(f"  max: {worst[1]['seconds'] * 1e3:.1f} ms ({worst[0]})")

    path = save(
        "bench_verify",
        {
            "config": vars(args) | {"pinned_cpu": core},
            "completions": len(cases),
            "mean_chars": mean_chars,
            "kinds": Counter(c.kind for c in cases),
            "throughput": timings,
            "rg_note": rg_note,
            "agreement": agreement,
            "probes": probes,
            "adversarial": adversarial,
        },
    )
    print(f"\nwrote {path}")
    return 0


def report_agreement(
    cases: list[Case], by_task: dict[str, list[Case]], verdicts: dict[str, dict[str, list[bool]]]
) -> dict[str, Any]:
    print("\n== agreement (accepted = counted correct) ==")
    out: dict[str, Any] = {}
    for name, group in by_task.items():
        expected = [c.expected for c in group]
        ours = verdicts["habits"][name]
        for scorer in ("habits", "naive_eval", "reasoning_gym"):
            theirs = verdicts[scorer].get(name)
            if theirs is None:
                continue
            key = f"{scorer} | {name}"
            matches_construction = sum(a == b for a, b in zip(theirs, expected, strict=True))
            row: dict[str, Any] = {
                "accepted": sum(theirs),
                "matches_construction": matches_construction,
                "n": len(group),
            }
            line = (
                f"  {key:32s} accepts {sum(theirs):6,} / {len(group):,};"
                f" matches construction {matches_construction / len(group):7.2%}"
            )
            if scorer != "habits":
                same = sum(a == b for a, b in zip(ours, theirs, strict=True))
                row |= {"agree_with_habits": same, "disagreements": disagreements(group, ours, theirs)}
                line += f"; agrees with habits {same / len(group):7.2%}"
            print(line)
            out[key] = row
    for key, row in out.items():
        for d in row.get("disagreements", []):
            print(
                f"    {key}: {d['count']:5d} × {d['kind']:26s} habits={d['habits']!s:5} other={d['other']!s:5}"
                f" -> {d['right']} right;  e.g. {d['problem']} ...{d['answer_text'][-70:]!r}"
            )
    wrong = [
        c
        for c, v in zip(
            by_task["countdown"] + by_task["general_points"],
            verdicts["habits"]["countdown"] + verdicts["habits"]["general_points"],
            strict=True,
        )
        if v != c.expected
    ]
    for kind, count in Counter(c.kind for c in wrong).most_common():
        print(f"    habits differs from construction: {count} × {kind}")
    return out


def run_probes(args: argparse.Namespace, countdown: Any) -> list[dict[str, Any]]:
    cases = [
        Case("countdown", {"numbers": n, "target": t}, note, expected, f"<answer>{answer}</answer>")
        for n, t, answer, expected, note in PROBES
    ]
    rg = run_rg(args.rg_python, cases, 1, 120) if Path(args.rg_python).exists() else {"error": "skipped"}
    print("\n== probes (countdown) ==  expected | habits (reason) | naive eval | reasoning-gym score")
    rows = []
    for i, case in enumerate(cases):
        verdict = countdown.verify(case.problem, case.completion)
        naive = _naive.countdown_correct(case.problem, case.completion)
        rg_score = rg["scores"][i] if "scores" in rg else None
        rows.append(
            {
                "probe": case.kind,
                "numbers": case.problem["numbers"],
                "target": case.problem["target"],
                "answer": PROBES[i][2],
                "expected": case.expected,
                "habits": verdict.correct,
                "habits_reason": verdict.reason,
                "naive_eval": naive,
                "reasoning_gym": rg_score,
            }
        )
        print(
            f"  {PROBES[i][2]!r:20s} {case.expected!s:5} | {verdict.correct!s:5} ({verdict.reason:13s}) | "
            f"{naive!s:5} | {rg_score}  -- {case.kind}"
        )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
