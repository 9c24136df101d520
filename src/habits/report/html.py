"""A self-contained HTML page (images inlined as data URIs) for a pipeline run."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from habits.report.plots import BEHAVIORS, TITLES

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em} td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f5f8} td:first-child,th:first-child{text-align:left}
img{max-width:100%;border:1px solid #eee;margin:.4em 0} .muted{color:#777;font-size:.9em}
ul.findings li{margin:.3em 0}
"""


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _pct(stat: dict[str, Any] | None) -> str:
    if not stat or stat.get("mean") is None:
        return "–"
    text = f"{stat['mean']:.1%}"
    if stat.get("low") is not None:
        text += f" <span class=muted>[{stat['low']:.1%}, {stat['high']:.1%}]</span>"
    return text


def _fidelity(stat: dict[str, Any] | None) -> str:
    if not stat or stat.get("arithmetic_ok") is None:
        return "–"
    checks = stat.get("checks_agree")
    return f"{stat['arithmetic_ok']:.0%} / " + ("–" if checks is None else f"{checks:.0%}")


def _num(stat: dict[str, Any] | None, digits: int = 2) -> str:
    return "–" if not stat or stat.get("mean") is None else f"{stat['mean']:.{digits}f}"


def _expectation_section(expected: list[tuple[str, bool | None, str]]) -> str:
    if not expected:
        return ""
    marks = {True: "&#10004; held", False: "&#10008; did not hold", None: "– not measurable here"}
    rows = "".join(f"<tr><td>{html.escape(claim)}</td><td>{marks[held]}</td><td>{html.escape(detail)}</td></tr>"
                   for claim, held, detail in expected)
    return ("<h2>What the paper predicts, and whether it held</h2><p class=muted>Stated before the numbers; each "
            "verdict is computed from summary.json (test split, after RL).</p>"
            "<table><tr><th>expected</th><th>verdict</th><th>numbers</th></tr>" + rows + "</table>")


def _final_table(summary: dict[str, Any]) -> str:
    splits = summary["splits"]
    head = ["arm", "condition", "base"] + [f"{s} {w}" for s in splits for w in ("before", "after")] + \
           [f"{s} sampled pass@1 {w}" for s in splits[:1] for w in ("before", "after")] + \
           [f"{TITLES[b]} after" for b in BEHAVIORS] + ["length after (chars)",
                                                       "arithmetic right / checks right, before → after"]
    rows = []
    for name, entry in summary["arms"].items():
        test = splits[0]
        cells = [html.escape(name), html.escape(entry["condition"] or "no priming"), html.escape(entry["base"])]
        cells += [_pct(entry["accuracy"][w][s]) for s in splits for w in ("before", "after")]
        cells += [_pct((entry.get("sampled") or {}).get(w, {}).get(test)) for w in ("before", "after")]
        cells += [_num(entry["behaviors"]["after"][test][b]) for b in BEHAVIORS]
        cells += [_num(entry["length"]["after"][test], 0)]
        cells += [" → ".join(_fidelity((entry.get("fidelity") or {}).get(w, {}).get(test)) for w in ("before", "after"))]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"


def _base_section(summary: dict[str, Any], diagnoses: dict[str, Path]) -> str:
    parts = []
    for base, entry in summary["bases"].items():
        diagnosis = entry.get("diagnosis") or {}
        verdict = (diagnosis.get("verdict") or {}).get("message", "not diagnosed")
        accuracy = ", ".join(f"{s} {v:.1%}" for s, v in entry["accuracy"].items() if v is not None)
        parts.append(f"<h3>base <code>{html.escape(base)}</code></h3><p>{html.escape(str(verdict))}"
                     f"<br><span class=muted>greedy accuracy: {accuracy or '–'}</span></p>")
        if base in diagnoses:
            parts.append(_img(diagnoses[base], f"diagnosis of {base}"))
    return "".join(parts)


def render_html(summary: dict[str, Any], figures: dict[str, Path], diagnoses: dict[str, Path],
                notes: list[str], expected: list[tuple[str, bool | None, str]] | None = None,
                extra: list[str] | None = None, samples: str = "") -> str:
    """The whole page; ``extra``: more sections (HTML) placed after the final table; ``samples``: the
    highlighted sample completions (:mod:`habits.report.samples`), placed after the plots."""
    task = html.escape(f"{summary['task']} {summary.get('task_args') or ''}")
    sections = [
        f"<h1>habits run: {html.escape(summary['name'])}</h1>",
        f"<p class=muted>task {task}; seeds {summary['seeds']}; splits {', '.join(summary['splits'])} "
        "(test = in-distribution, ood = held-out targets / the other card rule)</p>",
        _expectation_section(expected or []),
        "<h2>Findings</h2><ul class=findings>" + "".join(f"<li>{n}</li>" for n in notes) + "</ul>",
        "<h2>Final table</h2>" + _final_table(summary),
        *(extra or []),
    ]
    if "before_after" in figures:
        sections.append(_img(figures["before_after"], "accuracy before and after RL"))
    if "pass_at_k" in figures:
        sections.append("<h2>pass@k before and after RL</h2><p class=muted>Sampled at the evaluation temperature on "
                        "the same problems. RL that amplifies a habit the model can already carry out lifts the "
                        "small-k end of the curve towards its large-k end.</p>"
                        + _img(figures["pass_at_k"], "pass@k"))
    sections.append("<h2>Diagnosis of the base model(s)</h2>" + _base_section(summary, diagnoses))
    for key, title in (("accuracy", "Accuracy over RL steps (ID and OOD, greedy)"),
                       ("behaviors", "The four behaviors over RL steps"),
                       ("length", "Response length and reward over RL steps")):
        if key in figures:
            sections.append(f"<h2>{title}</h2>" + _img(figures[key], title))
    if "paper" in figures:
        sections.append("<h2>The paper's curves, for shape comparison</h2><p class=muted>Gandhi et al. 2025, "
                        "released result tables; a 3B model with PPO for 250 steps on 4-8 GPUs, so compare shapes, "
                        "not numbers.</p>" + _img(figures["paper"], "paper curves"))
    if samples:
        sections.append(samples)
    stack = summary.get("versions") or {}
    made_with = ", ".join(f"{k} {v}" for k, v in stack.items() if v and k != "platform")
    sections.append("<p class=muted>Made by habits from the files of this run directory (summary.json, "
                    "arms/*/seed*/rl/metrics.jsonl, arms/*/seed*/eval_after.completions.jsonl, bases/*/diagnosis.json)."
                    + (f"<br>Software: {html.escape(made_with)}.</p>" if made_with else "</p>"))
    return (f"<!doctype html><html><head><meta charset=utf-8><title>habits: {html.escape(summary['name'])}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(sections)}</body></html>")
