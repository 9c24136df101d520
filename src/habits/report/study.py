"""The SFT-vs-RL study's numbers in words: the paper's signs, drift flags, pass@k boundary, ablation table.

Everything here reads the study's ``summary.json`` shape (or a run's ``metrics.jsonl`` rows) and
returns sentences, numbers or an HTML table; the figures are in :mod:`habits.report.study_plots`.

``summary["arms"][arm]``: ``stages`` (e.g. ``["sft"]``, ``["rl"]``, ``["sft", "rl"]``) and ``points``,
one per evaluation in compute order: ``{"flops": …, "accuracy": {"test": …, "ood": …}}``, each
accuracy a number or ``{"mean": …}`` (with ``low``/``high`` when there are seeds). Optional per arm:
``viter`` (the verify-and-revise budget it was trained with), ``condition`` or ``note`` (shown in
the ablation table).
"""

from __future__ import annotations

import csv
import html
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

# (claim, held -- None when not measurable, a plain sentence with the numbers)
Sign = tuple[str, bool | None, str]


def accuracy_value(value: Any) -> float | None:
    """A point's accuracy as a number: a number, ``{"mean": …}``, or None when missing."""
    if isinstance(value, Mapping):
        value = value.get("mean")
    if value is None or isinstance(value, bool):
        return None
    return float(value)


def arm_curve(entry: Mapping[str, Any], split: str) -> list[tuple[float, float]]:
    """``[(flops, accuracy)]`` of one arm on ``split``, in compute order, points without a value left out."""
    out = []
    for point in entry.get("points") or []:
        value = accuracy_value((point.get("accuracy") or {}).get(split))
        if value is not None and point.get("flops") is not None:
            out.append((float(point["flops"]), value))
    return sorted(out, key=lambda pair: pair[0])


def last_stage(entry: Mapping[str, Any]) -> str | None:
    stages = entry.get("stages") or []
    return stages[-1] if stages else None


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _points(delta: float) -> str:
    return f"{delta * 100:+.1f} points"


# -- the paper's signs ----------------------------------------------------------------------------
def _keeps_its_start(arm: str, curve: list[tuple[float, float]], split: str) -> tuple[bool, str]:
    (_, start), (last_flops, last) = curve[0], curve[-1]
    held = last >= start
    verb = "ends at or above" if held else "ends below"
    return held, (f"{'Held' if held else 'Did not hold'}: arm {arm} {verb} its start on {split} "
                  f"({_pct(start)} → {_pct(last)} at {last_flops:.3g} FLOPs, {_points(last - start)}).")


def _falls_from_its_best(arm: str, curve: list[tuple[float, float]], split: str) -> tuple[bool, str]:
    last_flops, last = curve[-1]
    best_flops, best = max(curve, key=lambda pair: (pair[1], -pair[0]))
    if last < best:
        return True, (f"Held: arm {arm} ends below its best on {split} ({_pct(last)} at {last_flops:.3g} "
                      f"FLOPs vs {_pct(best)} at {best_flops:.3g} FLOPs, {_points(last - best)}).")
    return False, (f"Did not hold: arm {arm} ends at its best {split} accuracy ({_pct(last)} at "
                   f"{last_flops:.3g} FLOPs); no drop from memorisation shows within this compute.")


# The paper's sign for an arm, by the stage the arm ends with: (claim, judge of its curve).
SIGNS = {
    "rl": ("RL's {split} accuracy at the last compute point is at or above its start", _keeps_its_start),
    "sft": ("SFT's {split} accuracy at the last compute point is below its best", _falls_from_its_best),
}


def paper_signs(summary: Mapping[str, Any], split: str = "ood") -> list[Sign]:
    """The paper's two signs (:data:`SIGNS`), computed from the points: which held and which did not.

    * every arm that ends in RL: its ``split`` accuracy at the last compute point is at or above its
      start (its first point, the checkpoint it started from);
    * every arm that ends in SFT: its ``split`` accuracy at the last point is below its best point.

    An arm that other arms start from (the shared start, e.g. the format SFT) is the study's
    initial checkpoint, not a scaled arm, and is not judged.
    """
    arms = summary.get("arms") or {}
    starts = {(entry.get("start") or {}).get("arm") for entry in arms.values()} - {None}
    out: list[Sign] = []
    for stage, (template, judge) in SIGNS.items():
        claim = template.format(split=split)
        named = [name for name, entry in arms.items() if last_stage(entry) == stage and name not in starts]
        if not named:
            out.append((claim, None, f"No arm ends in {stage.upper()}, so this sign cannot be checked."))
        for name in named:
            curve = arm_curve(arms[name], split)
            if len(curve) < 2:
                out.append((claim, None, f"Not measurable: arm {name} has {len(curve)} {split} evaluation(s) "
                                         "with a compute label; it needs a start and a later point."))
            else:
                out.append((claim, *judge(name, curve, split)))
    return out


# -- reward rising while held-out accuracy falls ----------------------------------------------------
HELDOUT = (("ID", "eval_test/accuracy"), ("OOD", "eval_ood/accuracy"))


def reward_heldout_divergence(rows: Sequence[Mapping[str, Any]], reward: str = "reward",
                              heldout: Sequence[tuple[str, str]] = HELDOUT, accuracy_margin: float = 0.02,
                              reward_margin: float = 0.0, run: str = "this run") -> list[str]:
    """Sentences flagging a run whose training reward rose while a held-out accuracy fell.

    ``rows``: the run's ``metrics.jsonl`` lines (``step`` plus the logged keys). The reward's trend
    is the mean of its last third of logged steps minus the mean of its first third (per-step rewards
    are noisy); a held-out accuracy's is its last evaluation minus its first (evaluations are
    few and on fixed problems). Flagged when the reward rose by more than ``reward_margin`` and the
    accuracy fell by at least ``accuracy_margin``. Empty when nothing is flagged.
    """
    rewards = _series(rows, reward)
    if len(rewards) < 2:
        return []
    third = max(1, len(rewards) // 3)
    early = sum(v for _, v in rewards[:third]) / third
    late = sum(v for _, v in rewards[-third:]) / third
    if late - early <= reward_margin:
        return []
    out = []
    for label, key in heldout:
        series = _series(rows, key)
        if len(series) < 2:
            continue
        (first_step, first), (last_step, last) = series[0], series[-1]
        if first - last >= accuracy_margin:
            out.append(f"<b>{html.escape(run)}: the training reward rose while held-out {label} accuracy "
                       f"fell</b> (reward {early:.3g} → {late:.3g}, means of the first and last thirds of "
                       f"its steps; {label} accuracy {_pct(first)} at step {first_step} → {_pct(last)} at "
                       f"step {last_step}). "
                       "The model is learning something the reward pays for that does not carry over to "
                       "held-out problems: read its completions before trusting the reward curve.")
    return out


def _series(rows: Sequence[Mapping[str, Any]], key: str) -> list[tuple[int, float]]:
    found = {}
    for row in rows:
        value = row.get(key)
        if value is not None and row.get("step") is not None:
            found[int(row["step"])] = float(value)  # a step logged twice (resume) keeps its last value
    return sorted(found.items())


# -- the boundary: pass@k for large k --------------------------------------------------------------
def boundary_curves(counts: Mapping[str, Sequence[tuple[int, int]]],
                    max_k: int = 256) -> dict[str, dict[int, float]]:
    """pass@k for k = 1, 2, 4, … up to ``max_k`` per checkpoint, from ``(samples, correct)`` per problem.

    ``counts``: ``{"start": [(n, c) per problem], "after SFT": …, "after RL": …}`` on the same problems.
    Uses the unbiased estimator of :func:`habits.evaluate.pass_at_k`; k stops at the fewest samples
    any problem of that checkpoint has.
    """
    from habits.evaluate import ks_up_to, pass_at_k

    curves = {}
    for label, per_problem in counts.items():
        if not per_problem:
            raise ValueError(f"boundary: checkpoint {label!r} has no problems")
        top = min(min(n for n, _ in per_problem), max_k)
        if top < 1:
            raise ValueError(f"boundary: checkpoint {label!r} has a problem with no samples")
        curves[label] = {k: sum(pass_at_k(n, c, k) for n, c in per_problem) / len(per_problem)
                         for k in ks_up_to(top)}
    return curves


def curve_from_keys(values: Mapping[str, float]) -> dict[int, float]:
    """``{"pass@1": …, "pass@8": …}`` (an evaluation JSON's keys) as ``{1: …, 8: …}``."""
    return {int(key.split("@")[1]): float(v) for key, v in values.items()
            if key.startswith("pass@") and key.split("@")[1].isdigit() and v is not None}


def boundary_findings(curves: Mapping[str, Mapping[int, float]], start: str = "start") -> list[str]:
    """For each checkpoint against ``start``: does training lift pass@1, and what happens at the largest k?"""
    if start not in curves:
        return []
    out = []
    for label, curve in curves.items():
        if label == start:
            continue
        shared = sorted(set(curve) & set(curves[start]))
        if not shared:
            continue
        small, large = shared[0], shared[-1]
        s_small, s_large = curves[start][small], curves[start][large]
        c_small, c_large = curve[small], curve[large]
        if abs(c_large - s_large) < 0.01:
            reach = f"leaves pass@{large} where it was ({_pct(s_large)} → {_pct(c_large)})"
        elif c_large > s_large:
            reach = f"widens what the model can solve at all: pass@{large} {_pct(s_large)} → {_pct(c_large)}"
        else:
            reach = f"narrows what the model can solve at all: pass@{large} {_pct(s_large)} → {_pct(c_large)}"
        out.append(f"{html.escape(label)} vs {html.escape(start)}: pass@{small} {_pct(s_small)} → "
                   f"{_pct(c_small)}; it {reach}.")
    return out


# -- verify-and-revise budgets ----------------------------------------------------------------------
def viter_bars(summary: Mapping[str, Any], split: str = "ood") -> dict[int, dict[str, Any]]:
    """``{budget: {"arm", "start", "end", "gain"}}`` for the arms that carry a ``viter`` budget."""
    out: dict[int, dict[str, Any]] = {}
    for name, entry in (summary.get("arms") or {}).items():
        if entry.get("viter") is None:
            continue
        curve = arm_curve(entry, split)
        if not curve:
            continue
        start, end = curve[0][1], curve[-1][1]
        out[int(entry["viter"])] = {"arm": name, "start": start, "end": end,
                                    "gain": end - start if len(curve) > 1 else None}
    return dict(sorted(out.items()))


# -- the ablation table ------------------------------------------------------------------------------
def ablation_table(summary: Mapping[str, Any], splits: Sequence[str] | None = None) -> str:
    """An HTML table: per arm its stages, what it varies, compute reached, per split start → end and best."""
    arms = summary.get("arms") or {}
    splits = list(splits or summary.get("splits") or ["test", "ood"])
    head = ["arm", "stages", "varies", "FLOPs at last point"]
    head += [f"{s} {w}" for s in splits for w in ("start → last", "best")]
    rows = []
    for name, entry in arms.items():
        points = entry.get("points") or []
        flops = max((p["flops"] for p in points if p.get("flops") is not None), default=None)
        varies = entry.get("note") or entry.get("condition") or ""
        if entry.get("viter") is not None:
            varies = f"{varies}; VIter {entry['viter']}".lstrip("; ")
        cells = [html.escape(name), html.escape(" → ".join(entry.get("stages") or [])) or "–",
                 html.escape(varies) or "–", "–" if flops is None else f"{flops:.3g}"]
        for split in splits:
            curve = arm_curve(entry, split)
            if not curve:
                cells += ["–", "–"]
                continue
            first, last = curve[0][1], curve[-1][1]
            change = f" ({_points(last - first)})" if len(curve) > 1 else ""
            cells += [f"{_pct(first)} → {_pct(last)}{change}", _pct(max(v for _, v in curve))]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return ("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>" + "".join(rows)
            + "</table>")


# -- the paper's numbers --------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _table(name: str) -> tuple[dict[str, str], ...]:
    text = resources.files("habits.report").joinpath("paper_results", name).read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))


PAPER_SETTINGS = ("GP-L", "GP-VL", "V-IRL-L", "V-IRL-VL")


def paper_ood(setting: str) -> dict[str, dict[str, float]]:
    """The paper's OOD numbers for ``setting`` (fractions): ``{ood kind: {"init", "rl", "sft"}}``."""
    if setting not in PAPER_SETTINGS:
        raise ValueError(f"paper setting must be one of {', '.join(PAPER_SETTINGS)}, got {setting!r}")
    return {row["ood"]: {key: float(row[key]) / 100 for key in ("init", "rl", "sft")}
            for row in _table("sft_vs_rl.csv") if row["setting"] == setting}


def paper_viter_gains(setting: str = "GP-L") -> dict[int, float]:
    """The paper's OOD gain (fraction) of RL per verification budget, at equal compute (GP-L only)."""
    return {int(row["viter"]): float(row["ood_gain"]) / 100 for row in _table("sft_vs_rl_viter.csv")
            if row["setting"] == setting}
