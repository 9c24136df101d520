"""Agreement of habits' verifiers with the reference checkers of the field, side by side.

Same labelled completions for every scorer: the realistic mix of ``_completions.py`` plus the
cases where checkers are known to differ (a leading minus, an answer padded with whitespace, a
false ``= N``, ``target = …`` first, upper-case tags, a formula written without spaces). Each
completion carries the verdict it should get by construction (habits' policy, stated in
benchmarks/README.md). Scorers:

* habits ``task.verify`` (in this process);
* TinyZero's Countdown ``compute_score`` and the GeneralPoints reward of "SFT Memorizes, RL
  Generalizes" -- REIMPLEMENTED from their public source in ``_reference_scorers.py`` (they call
  ``eval``, so they run in a separate worker process, on these benign strings only);
* reasoning-gym 0.1.25's Countdown ``score_answer`` (the installed package, from its own venv, in a
  separate process with a timeout: its ``parse_expr`` executes Python). Skipped without that venv
  (``bench_verify.py --install-rg`` makes it).

For each scorer and task: how many completions it accepts, how many match the construction, how
many agree with habits, and every disagreement category (completion kind x who accepts), with who
matches the construction and one example. Writes ``benchmarks/results/crosscheck_verifiers.json``.

    .venv/bin/python benchmarks/crosscheck_verifiers.py            # ~1-2 min on 2 cores
    .venv/bin/python benchmarks/crosscheck_verifiers.py --problems 200
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULT_MARKER, run_worker, save
from _completions import Case, build_cases, reasoning

from habits.tasks import get_task

BENCH = Path(__file__).resolve().parent
DEFAULT_RG_PYTHON = os.environ.get("HABITS_RG_PYTHON", "/tmp/rg-venv/bin/python")
assert RESULT_MARKER == "@@RESULT@@ "  # the workers print the same marker


def _top_level_minus(expression: str) -> int:
    """Index of the last ' - ' outside brackets, or -1."""
    depth, found = 0, -1
    for i, char in enumerate(expression):
        depth += (char == "(") - (char == ")")
        if depth == 0 and expression.startswith(" - ", i):
            found = i
    return found


def leading_minus(expression: str) -> str | None:
    """'P - t' -> '-t + P': the same value and numbers, with a sign in front (None if no top-level -)."""
    cut = _top_level_minus(expression)
    if cut <= 0:
        return None
    return f"-{expression[cut + 3:]} + {expression[:cut]}"


def extra_cases(task: Any, problems: list[dict[str, Any]], seed: int) -> list[Case]:
    """The cases where checkers are known to disagree, once per problem each (where they apply)."""
    rng = random.Random(f"crosscheck:{task.name}:{seed}")
    out: list[Case] = []
    for problem in problems:
        numbers = task.values(problem) if hasattr(task, "values") else list(problem["numbers"])
        target = problem["target"]
        expression = rng.choice(task.solve(problem)[:8])
        head = reasoning(rng, numbers, target) + "\n</think>\n"
        if task.name != "countdown":
            head = "<think>" + head

        def add(kind: str, expected: bool, answer: str, problem: dict[str, Any] = problem) -> None:
            out.append(Case(task.name, problem, kind, expected, head + answer))

        signed = leading_minus(expression)
        if signed:
            add("leading_minus", True, task.format_answer(problem, signed))
        padded = expression.replace(" ", " " * 12)
        add("whitespace_padded", True, task.format_answer(problem, " " * 200 + padded))
        if task.name == "countdown":
            add("false_equals", False, f"<answer>{expression} = {target + 1}</answer>")
            add("target_equals_first", True, f"<answer>{target} = {expression}</answer>")
            add("upper_case_tags", True, f"<ANSWER>{expression}</ANSWER>")
        else:
            add("false_equals", False, task.format_answer(problem, expression).replace(f"= {target}", f"= {target + 1}"))
            tight = task.format_answer(problem, expression.replace(" ", "")).replace(f" = {target}", f"={target}")
            add("formula_without_spaces", True, tight)
            add("false_equals_without_spaces", False, tight.replace(f"={target}", f"={target + 1}"))
            if signed:
                add("leading_minus_without_spaces", True, task.format_answer(problem, signed.replace(" ", ""))
                    .replace(f" = {target}", f"={target}"))
            draft = tight.replace(f"={target}", "+1=" + str(target))  # a wrong first formula, then the right one
            add("wrong_draft_then_right_formula", True, draft + "\nWait, that is wrong. Corrected:\n" + tight)
    return out


def run_reference(cases: list[Case], task: Any) -> dict[str, Any]:
    """TinyZero / SFTvsRL reimplementations in a worker process."""
    rows = []
    for c in cases:
        if task.name == "countdown":  # TinyZero scores the whole decoded sequence: prompt + completion
            rows.append({"sequence": task.prompt(c.problem) + c.completion, "numbers": c.problem["numbers"],
                         "target": c.problem["target"]})
        else:
            rows.append({"completion": c.completion, "values": task.values(c.problem), "target": c.problem["target"]})
    return _job([str(BENCH / "_reference_scorers.py")], {task.name: rows}, sys.executable, 600)


def run_rg(cases: list[Case], python: str) -> dict[str, Any]:
    job = {"completions": [c.completion for c in cases], "repeats": 1,
           "entries": [{"numbers": c.problem["numbers"], "target": c.problem["target"]} for c in cases]}
    return _job([str(BENCH / "_rg_worker.py")], job, python, 900)


def _job(args: list[str], job: dict[str, Any], python: str, timeout: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(job, handle)
    try:
        return run_worker([*args, handle.name], timeout=timeout, python=python)
    finally:
        os.unlink(handle.name)


def compare(name: str, cases: list[Case], habits: list[bool], other: list[bool]) -> dict[str, Any]:
    """Counts and every disagreement category (kind x verdicts) for one scorer on one task."""
    expected = [c.expected for c in cases]
    groups: dict[tuple[str, bool], list[Case]] = {}
    for case, ours, theirs in zip(cases, habits, other, strict=True):
        if ours != theirs:
            groups.setdefault((case.kind, ours), []).append(case)
    categories = []
    for (kind, ours), members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        example = members[0]
        categories.append({
            "kind": kind, "count": len(members), "habits_accepts": ours, "other_accepts": not ours,
            "expected": example.expected, "right": "habits" if ours == example.expected else name,
            "problem": example.problem, "answer_tail": example.completion[-120:],
        })
    return {
        "n": len(cases),
        "accepted": sum(other),
        "matches_construction": sum(a == b for a, b in zip(other, expected, strict=True)),
        "agrees_with_habits": sum(a == b for a, b in zip(other, habits, strict=True)),
        "disagreements": categories,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", type=int, default=600, help="problems per task")
    parser.add_argument("--per-problem", type=int, default=5, help="mixed completions per problem")
    parser.add_argument("--rg-python", default=DEFAULT_RG_PYTHON,
                        help="python of a venv with reasoning-gym 0.1.25 (env HABITS_RG_PYTHON)")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {}
    notes: list[str] = []
    for name in ("countdown", "general_points"):
        task = get_task(name)
        problems = task.generate(args.problems, "train", seed=13)
        cases = build_cases(task, problems, args.per_problem, seed=13) + extra_cases(task, problems, seed=13)
        habits = [task.verify(c.problem, c.completion).correct for c in cases]
        wrong = Counter(c.kind for c, v in zip(cases, habits, strict=True) if v != c.expected)
        results[f"habits | {name}"] = {
            "n": len(cases), "accepted": sum(habits), "matches_construction": len(cases) - sum(wrong.values()),
            "differs_from_construction": dict(wrong), "kinds": dict(Counter(c.kind for c in cases)),
        }
        reference = run_reference(cases, task)
        label = "TinyZero compute_score (reimplemented)" if name == "countdown" else "SFTvsRL reward (reimplemented)"
        if "error" in reference:
            notes.append(f"{label}: {reference['error']}")
        else:
            scores = reference["tinyzero" if name == "countdown" else "sftvsrl"]
            best = 1.0 if name == "countdown" else 5.0  # full marks
            results[f"{label} | {name}"] = compare(label, cases, habits, [s == best for s in scores])
        if name == "countdown":
            if Path(args.rg_python).exists():
                rg = run_rg(cases, args.rg_python)
                if "error" in rg:
                    notes.append(f"reasoning-gym: {rg['error']}")
                else:
                    label = f"reasoning-gym {rg['version']} score_answer"
                    results[f"{label} | {name}"] = compare(label, cases, habits, [s == 1.0 for s in rg["scores"]])
            else:
                notes.append(f"reasoning-gym skipped: {args.rg_python} not found (bench_verify.py --install-rg)")

    for key, row in results.items():
        line = f"{key:58s} accepts {row['accepted']:5,} / {row['n']:,}; matches construction {row['matches_construction']:5,}"
        if "agrees_with_habits" in row:
            line += f"; agrees with habits {row['agrees_with_habits']:5,} ({row['agrees_with_habits'] / row['n']:.2%})"
        print(line)
        for d in row.get("disagreements", []):
            print(f"    {d['count']:5d} x {d['kind']:30s} habits={d['habits_accepts']!s:5} other={d['other_accepts']!s:5} "
                  f"-> {d['right']} right; e.g. ...{d['answer_tail'][-60:]!r}")
    for note in notes:
        print("note: " + note)
    path = save("crosscheck_verifiers", {"config": vars(args), "results": results, "notes": notes})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
