"""Sample completions in the report: behavior instances marked where the classifier counted them."""

from __future__ import annotations

import json

from habits.behaviors import behavior_spans
from habits.report.samples import COLORS, highlight, pick, samples_section

TRACE = ("<think>72 - 31 = 41, not 22. Let me try another way: 31 + 63 - 72 = 22. Correct!</think>"
         "<answer>31 + 63 - 72</answer>")


def test_highlight_marks_each_counted_clause_and_escapes_the_rest():
    page = highlight(TRACE, behavior_spans(TRACE))
    assert "&lt;answer&gt;31 + 63 - 72&lt;/answer&gt;" in page and "<answer>" not in page
    marked = page.split("<mark")[1:]
    assert any(COLORS["verification"] in m and "41, not 22" in m for m in marked)
    assert any("backtracking" in m and "Let me try another way" in m for m in marked)
    # taking the marks out gives the text back, escaped
    plain = page
    while "<mark" in plain:
        head, rest = plain.split("<mark", 1)
        plain = head + rest.split(">", 1)[1].replace("</mark>", "", 1)
    assert plain == TRACE.replace("<", "&lt;").replace(">", "&gt;")


def test_highlight_names_every_behavior_of_a_clause_shared_by_two():
    text = "Try 5 * 5 = 25 no"
    page = highlight(text, {"verification": [(0, len(text))], "backtracking": [(4, 14)]})
    assert 'title="verification, backtracking"' in page and page.count("<mark") == 3


def test_pick_prefers_completions_showing_a_behavior_one_right_one_wrong():
    rows = [{"split": "test", "completion": "<answer>1+2</answer>", "verdict": {"correct": True}},
            {"split": "ood", "completion": TRACE, "verdict": {"correct": True}},
            {"split": "test", "completion": "8 * 3 = 24, too big. " + TRACE, "verdict": {"correct": False}},
            {"split": "test", "completion": TRACE, "verdict": {"correct": True}}]
    chosen = pick(rows)
    assert [row["verdict"]["correct"] for row in chosen] == [True, False]
    assert all(row["split"] == "test" and "not 22" in row["completion"] for row in chosen)


def test_samples_section_reads_each_arms_completions_and_skips_arms_without(tmp_path):
    path = tmp_path / "eval_after.completions.jsonl"
    path.write_text(json.dumps({"split": "test", "problem": {"numbers": [72, 31, 63], "target": 22},
                                "completion": TRACE, "verdict": {"correct": True, "reason": "correct"}}) + "\n")
    section = samples_section({"all": path, "missing": tmp_path / "nothing.jsonl"})
    assert "<h3>all</h3>" in section and "missing" not in section and "numbers [72, 31, 63]" in section
    assert samples_section({"missing": tmp_path / "nothing.jsonl"}) == ""
