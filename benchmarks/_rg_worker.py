"""Runs inside a separate virtualenv that has reasoning-gym 0.1.25 (never the project's .venv).

Reads a JSON file ``{"completions": [...], "entries": [{"numbers": [...], "target": t}, ...],
"repeats": r}`` and prints, after the result marker, reasoning-gym's Countdown scores and the best
wall and CPU times of ``extract_answer`` + ``score_answer`` over the whole list.

reasoning-gym's scorer calls sympy's ``parse_expr``, which executes Python: the benchmark passes
only strings it built itself, in this separate process, under a timeout.
"""

import json
import sys
import time
from importlib.metadata import version

import reasoning_gym
from reasoning_gym.utils import extract_answer

MARKER = "@@RESULT@@ "


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    dataset = reasoning_gym.create_dataset("countdown", size=1, seed=0)
    entries = [{"metadata": {"numbers": e["numbers"], "target": e["target"]}} for e in job["entries"]]
    pairs = list(zip(job["completions"], entries))
    best, best_cpu, scores = float("inf"), float("inf"), []
    for _ in range(job["repeats"]):
        start, start_cpu = time.perf_counter(), time.process_time()
        scores = [dataset.score_answer(extract_answer(c), e) for c, e in pairs]
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    # reasoning_gym.__version__ lags the release (0.1.25 says 0.1.19), so ask the installed metadata.
    print(
        MARKER
        + json.dumps(
            {"version": version("reasoning-gym"), "seconds": best, "cpu_seconds": best_cpu, "scores": scores}
        )
    )


if __name__ == "__main__":
    main()
