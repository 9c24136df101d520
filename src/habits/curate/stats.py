"""Statistics of a curated corpus (``stats.json``) and their plot (``stats.png``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from habits.behaviors.taxonomy import BEHAVIORS
from habits.curate.select import CHARS, COUNTS, TOKENS, shown


def describe(rows: list[list[int]]) -> dict[str, Any]:
    """Share of documents showing each behavior, mean counts, behaviors shown per document, lengths."""
    n = len(rows)
    columns = list(zip(*(row[COUNTS] for row in rows))) if rows else [()] * len(BEHAVIORS)
    behaviors = {name: {"share": sum(1 for c in column if c > 0) / n if n else 0.0,
                        "mean": sum(column) / n if n else 0.0, "total": sum(column)}
                 for name, column in zip(BEHAVIORS, columns)}
    distinct = [0] * (len(BEHAVIORS) + 1)
    for row in rows:
        distinct[shown(row)] += 1
    return {"documents": n, "tokens": sum(row[TOKENS] for row in rows), "behaviors": behaviors,
            "behaviors_shown": {str(k): v for k, v in enumerate(distinct)},
            "lengths": {"tokens": _spread([row[TOKENS] for row in rows]),
                        "characters": _spread([row[CHARS] for row in rows])}}


def _spread(values: list[int]) -> dict[str, float]:
    if not values:
        return {"mean": 0.0, "p10": 0.0, "median": 0.0, "p90": 0.0, "max": 0.0}
    ordered = sorted(values)
    at = lambda q: float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])
    return {"mean": sum(values) / len(values), "p10": at(0.1), "median": at(0.5), "p90": at(0.9),
            "max": float(ordered[-1])}


def plot(stats: dict[str, Any], path: Path) -> Path:
    """Share of documents showing each behavior (corpus and each subset) and token lengths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {"corpus": stats["corpus"], **{f"{k} subset": v for k, v in stats.get("selections", {}).items()}}
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(groups)
    for offset, (label, data) in enumerate(groups.items()):
        xs = [i + offset * width for i in range(len(BEHAVIORS))]
        left.bar(xs, [data["behaviors"][name]["share"] for name in BEHAVIORS], width, label=f"{label} "
                 f"({data['documents']:,} docs)")
    left.set_xticks([i + 0.4 - width / 2 for i in range(len(BEHAVIORS))],
                    [name.replace("_", "\n") for name in BEHAVIORS])
    left.set_ylabel("share of documents showing it")
    left.set_ylim(0, 1)
    left.legend(fontsize=8)
    labels = list(groups)
    spreads = [groups[label]["lengths"]["tokens"] for label in labels]
    right.barh(labels, [s["p90"] - s["p10"] for s in spreads], left=[s["p10"] for s in spreads], alpha=0.4,
               label="10th-90th percentile")
    right.scatter([s["median"] for s in spreads], labels, color="black", zorder=3, label="median")
    right.set_xlabel("document length (tokens)")
    right.legend(fontsize=8)
    skipped = sum(stats.get("skipped", {}).values())
    fig.suptitle(f"{stats['input']}: {stats['documents']:,} documents read, {skipped:,} skipped", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
