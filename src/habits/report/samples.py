"""Sample completions in the report, each behavior instance highlighted where it is.

A number says how often a habit occurs; reading a few completions with the instances marked says
what the classifier counted and whether the model's checks and switches are real. For each arm the
report shows a few greedy test completions after its last stage (read from the evaluation's
``*.completions.jsonl``), preferring ones that show a behavior, one right and one wrong where it can,
with :func:`habits.behaviors.behavior_spans` marking each counted instance's clause.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from habits.behaviors import BEHAVIORS, behavior_spans, count_behaviors

COLORS = {"verification": "#cde8ff", "backtracking": "#ffd9c2", "subgoal_setting": "#d7f5d0",
          "backward_chaining": "#ecd9ff"}
LABELS = {"verification": "verification", "backtracking": "backtracking", "subgoal_setting": "subgoal setting",
          "backward_chaining": "backward chaining"}
STYLE = ("pre.sample{white-space:pre-wrap;background:#fafafa;border:1px solid #e4e4e4;padding:.6em;"
         "font-size:.88em;max-height:28em;overflow:auto} pre.sample mark{padding:0 1px;border-radius:2px}")
MAX_CHARS = 3000  # a long completion is cut (its marks with it) so the page stays readable


def highlight(text: str, spans: Mapping[str, Sequence[tuple[int, int]]]) -> str:
    """``text`` as HTML with every span marked by its behavior's color; a stretch inside the spans of
    several behaviors is marked with the first one's color and names all of them in its title."""
    cuts = {0, len(text)}
    for where in spans.values():
        for start, end in where:
            cuts.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    points = sorted(cuts)
    out = []
    for start, end in zip(points, points[1:]):
        names = [name for name in BEHAVIORS if any(a <= start and end <= b for a, b in spans.get(name, ()))]
        piece = html.escape(text[start:end])
        if not names:
            out.append(piece)
            continue
        underline = "".join(f";border-bottom:3px solid {COLORS[n]}" for n in names[1:2])
        title = ", ".join(LABELS[n] for n in names)
        out.append(f'<mark title="{title}" style="background:{COLORS[names[0]]}{underline}">{piece}</mark>')
    return "".join(out)


def legend() -> str:
    return " ".join(f'<mark style="background:{COLORS[name]}">{LABELS[name]}</mark>' for name in BEHAVIORS)


def pick(rows: Sequence[Mapping[str, Any]], count: int = 2) -> list[Mapping[str, Any]]:
    """Up to ``count`` test completions: those that show a behavior first, a right and a wrong one
    where both exist, in the evaluation's order otherwise."""
    test = [row for row in rows if row.get("split", "test") == "test" and isinstance(row.get("completion"), str)]
    showing = [row for row in test if any(count_behaviors(row["completion"]).values())]  # (spans: only the shown)
    pool = showing or test
    right = [row for row in pool if (row.get("verdict") or {}).get("correct")]
    wrong = [row for row in pool if not (row.get("verdict") or {}).get("correct")]
    chosen = [*right[:1], *wrong[:1]]
    chosen += [row for row in pool if row not in chosen]
    return chosen[:count]


def sample_block(row: Mapping[str, Any]) -> str:
    text = row["completion"]
    cut = text[:MAX_CHARS]
    verdict = row.get("verdict") or {}
    status = "right" if verdict.get("correct") else f"wrong ({html.escape(str(verdict.get('reason', '?')))})"
    problem = html.escape(", ".join(f"{k} {v}" for k, v in (row.get("problem") or {}).items()
                                    if k in ("numbers", "target", "cards", "rule")))
    more = f" <span class=muted>(first {MAX_CHARS:,} of {len(text):,} characters)</span>" if len(text) > MAX_CHARS else ""
    return (f"<p class=muted>{problem} -- {status}{more}</p>"
            f"<pre class=sample>{highlight(cut, behavior_spans(cut))}</pre>")


def samples_section(arms: Mapping[str, Path]) -> str:
    """The report section: for each arm, its picked completions from ``arms[arm]`` (a completions
    JSONL); arms without one are left out, and so is the section when none has any."""
    from habits.io import read_jsonl

    parts = []
    for arm, path in arms.items():
        if not path.is_file():
            continue
        rows = [row for _, row in read_jsonl(path)]
        chosen = pick(rows)
        if chosen:
            parts.append(f"<h3>{html.escape(arm)}</h3>" + "".join(sample_block(row) for row in chosen))
    if not parts:
        return ""
    return (f"<style>{STYLE}</style><h2>Sample completions after the last stage</h2><p class=muted>Greedy, test "
            "split, first seed; each clause the offline classifier counts is marked: " + legend()
            + ". Hover a mark for its behaviors.</p>" + "".join(parts))
