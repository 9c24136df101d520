"""Plain-language findings from a run's summary: what RL did, and whether the paper's pattern shows."""

from __future__ import annotations

from typing import Any

CONTROLS = ("empty_cot", "length_matched", "none", "plain")  # conditions without behavior-rich thoughts


def _pts(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.1f} points"


def _acc(entry: dict[str, Any], when: str, split: str) -> float | None:
    return entry["accuracy"][when][split]["mean"]


def priming_arms(arms: dict[str, Any]) -> dict[str, Any]:
    """The first paper's arms: from a base, ending in RL (priming then RL, or RL alone).

    The SFT-vs-RL study's arms (scaled from another arm's model, or ending in SFT) answer another
    question; comparing them as primed against unprimed would be meaningless.
    """
    from habits.stages import get_stage

    return {n: e for n, e in arms.items()
            if not e.get("start") and not get_stage((e.get("stages") or ["rl"])[-1]).trains_on_priming}


def findings(summary: dict[str, Any]) -> list[str]:
    """Sentences for the report, computed from ``summary.json`` (never hand-written results)."""
    out: list[str] = []
    arms = summary["arms"]
    test = "test" if "test" in summary["splits"] else summary["splits"][0]
    ood = "ood" if "ood" in summary["splits"] else None
    for name, entry in arms.items():
        before, after = _acc(entry, "before", test), _acc(entry, "after", test)
        if before is None or after is None:
            continue
        last = (entry.get("stages") or ["rl"])[-1].upper()
        text = (f"Arm <b>{name}</b> ({entry['condition'] or 'no priming'}, base {entry['base']}): {test} accuracy "
                f"{before:.1%} → {after:.1%} after {last} ({_pts(after - before)})")
        if ood and _acc(entry, "after", ood) is not None and _acc(entry, "before", ood) is not None:
            text += f"; {ood} {_acc(entry, 'before', ood):.1%} → {_acc(entry, 'after', ood):.1%}"
        out.append(text + ".")
    loop = priming_arms(arms)
    primed = {n: e for n, e in loop.items() if e["condition"] and e["condition"] not in CONTROLS}
    unprimed = {n: e for n, e in loop.items() if e["condition"] is None}
    controls = {n: e for n, e in loop.items() if e["condition"] in CONTROLS}
    if primed:
        best = max(primed, key=lambda n: (arms[n]["gain"].get(test) or -1))
        gain = arms[best]["gain"].get(test)
        if gain is not None:
            verdict = "clearly raised" if gain >= 0.10 else "raised" if gain > 0 else "did not raise"
            out.append(f"RL {verdict} held-out ({test}) accuracy of the primed arm <b>{best}</b> by {_pts(gain)}.")
    if ood:
        for p in primed:
            for g in unprimed:
                pa, ga = _acc(arms[p], "after", ood), _acc(arms[g], "after", ood)
                if pa is not None and ga is not None and pa < ga:
                    out.append(f"<b>Out of distribution ({ood}) the primed arm {p} ends below {g}</b> ({pa:.1%} vs "
                               f"{ga:.1%}): what priming taught did not carry over to the held-out problems — "
                               "look at its OOD completions and their checks (trace fidelity) before trusting "
                               "the in-distribution gain beyond its split.")
    for label, group in (("no priming", unprimed), ("the empty/length-matched controls", controls)):
        if not primed or not group:
            continue
        pairs = [(p, g, _acc(arms[p], "after", test), _acc(arms[g], "after", test)) for p in primed for g in group]
        pairs = [pair for pair in pairs if pair[2] is not None and pair[3] is not None]
        if not pairs:
            continue
        holds = all(pa > ga for _, _, pa, ga in pairs)
        detail = ", ".join(f"{p} {pa:.1%} vs {g} {ga:.1%}" for p, g, pa, ga in pairs)
        if holds:
            out.append(f"As in the paper, every behavior-primed arm ends above {label} after RL ({detail}).")
        else:
            out.append(f"<b>Unlike the paper</b>, not every behavior-primed arm ends above {label} after RL "
                       f"({detail}).")
    return out


def _ci(entry: dict[str, Any], split: str) -> str:
    stat = entry["accuracy"]["after"][split]
    text = f"{stat['mean']:.1%}"
    if stat.get("low") is not None:
        text += f" [{stat['low']:.1%}, {stat['high']:.1%}]"
    return text


def expectation(summary: dict[str, Any], margin: float = 0.10) -> list[tuple[str, bool | None, str]]:
    """The first paper's pattern as claims, each with a verdict computed from the summary.

    ``(claim, held, numbers)``; ``held`` is None when the run has no arms to test the claim with.
    A gap claim holds when the point estimates differ by at least ``margin``; the intervals are
    shown beside it so a reader can judge the noise.
    """
    arms = summary["arms"]
    test = "test" if "test" in summary["splits"] else summary["splits"][0]
    after = {n: e["accuracy"]["after"][test]["mean"] for n, e in priming_arms(arms).items()}
    after = {n: v for n, v in after.items() if v is not None}
    from habits.traces import get_condition

    kinds = {n: (None if arms[n]["condition"] is None else get_condition(arms[n]["condition"])) for n in after}
    primed = [n for n, c in kinds.items() if c is not None and c.thoughts == "full" and c.behaviors and c.answer != "wrong"]
    unprimed = [n for n, c in kinds.items() if c is None]
    controls = [n for n, c in kinds.items() if c is not None and c.thoughts != "full"]
    wrong = [n for n, c in kinds.items() if c is not None and c.answer == "wrong"]
    out: list[tuple[str, bool | None, str]] = []

    def pairs(left: list[str], right: list[str], test_fn) -> tuple[bool | None, str]:
        found = [(a, b) for a in left for b in right if arms[a]["base"] == arms[b]["base"]]
        if not found:
            return None, "–"
        held = all(test_fn(after[a], after[b]) for a, b in found)
        return held, "; ".join(f"{a} {_ci(arms[a], test)} vs {b} {_ci(arms[b], test)}" for a, b in found)

    out.append((f"behavior-primed arms end at least {margin * 100:.0f} points above no priming after RL",
                *pairs(primed, unprimed, lambda a, b: a - b >= margin)))
    out.append(("behavior-primed arms end above the empty / length-matched controls after RL",
                *pairs(primed, controls, lambda a, b: a > b)))
    out.append((f"incorrect-answer priming ends within {margin * 100:.0f} points of correct priming (behaviors, not answers, matter)",
                *pairs(wrong, primed, lambda a, b: abs(a - b) < margin)))
    out.append((f"controls end within {margin * 100:.0f} points of no priming",
                *pairs(controls, unprimed, lambda a, b: abs(a - b) < margin)))
    return out
