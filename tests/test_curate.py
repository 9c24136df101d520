"""habits curate: scoring a corpus in shards, choosing a subset under a token budget, resuming, skipping."""

from __future__ import annotations

import json
import os

import pytest

from habits.behaviors import BEHAVIORS
from habits.curate import CurateConfig, main
from habits.curate import run as curate_run

RICH = [
    "Target 24 from 4, 6, 9, 2. First I need 4 from 9, 2 and 6: 9 - 6 + 2 = 5, not 4. Let me try another way: "
    "6 - 2 = 4, so 24 = 4 * 6? the 6 is taken. Check: 9 * 2 + 6 = 24, correct, but 4 is unused.",
    "Working backwards from 30: 30 = 5 * 6, so I need 6 from 8 and 2: 8 - 2 = 6. Check: 5 * 6 = 30. Correct!",
    "We want 17. 3 * 4 = 12, too small. Scratch that: 3 * 5 = 15, 15 + 2 = 17. Yes, that matches the target.",
]
MINIMAL = [
    "The museum opens at nine and closes at five. Tickets are sold at the door.",
    "Rivers carry sediment to the sea, where it settles into layers over many years.",
    "Step 1: 5 + 3 = 8. Step 2: 8 * 3 = 24.",
    "Our club meets on Tuesdays in the library. New members are always welcome.",
]


def write_corpus(path, n=40, extra=()):
    with path.open("wb") as handle:
        for i in range(n):
            text = RICH[i % len(RICH)] if i % 2 == 0 else MINIMAL[i % len(MINIMAL)]
            handle.write(json.dumps({"id": f"doc{i}", "text": text, "source": "unit"}).encode() + b"\n")
        for line in extra:
            handle.write(line + b"\n")
    return path


def run(tmp_path, corpus, **kwargs):
    values = dict(input=str(corpus), out=str(tmp_path / "out"), keep="rich", budget_tokens=10_000, workers=1,
                  shard_size=8, progress=False)
    values.update(kwargs)
    return main(CurateConfig(**values))


def read_rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_curate_keeps_behavior_rich_documents_with_their_fields_and_counts(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    stats = run(tmp_path, corpus)
    rows = read_rows(tmp_path / "out" / "rich.jsonl")
    assert rows and {row["text"] for row in rows} <= set(RICH)
    for row in rows:
        assert row["source"] == "unit" and row["id"].startswith("doc")
        assert set(row["behaviors"]) == set(BEHAVIORS)
        assert sum(1 for n in row["behaviors"].values() if n) >= 2
    assert (tmp_path / "out" / "stats.png").stat().st_size > 1000
    saved = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert saved["documents"] == 40 and saved["scored"] == 40
    assert saved["selections"]["rich"]["documents"] == len(rows) == stats["selections"]["rich"]["documents"]
    assert 0 < saved["corpus"]["behaviors"]["verification"]["share"] < 1


def test_curate_stops_at_the_token_budget(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    stats = run(tmp_path, corpus, budget_tokens=150)
    selection = stats["selections"]["rich"]
    assert 0 < selection["tokens"] <= 150
    assert selection["documents"] < selection["eligible"]


def test_curate_minimal_subset_shows_no_behavior_and_scores_nothing_again(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    run(tmp_path, corpus)
    index_files = sorted((tmp_path / "out" / "scored").glob("shard-*.json"))
    before = {path: path.stat().st_mtime_ns for path in index_files}
    stats = run(tmp_path, corpus, keep="minimal")
    rows = read_rows(tmp_path / "out" / "minimal.jsonl")
    assert rows and all(not any(row["behaviors"].values()) for row in rows)
    assert {row["text"] for row in rows} <= set(MINIMAL)
    assert stats["shards"]["scored_in_this_run"] == 0
    assert {path: path.stat().st_mtime_ns for path in index_files} == before
    assert set(stats["selections"]) == {"rich", "minimal"}  # both subsets are described


def test_curate_counts_and_skips_documents_that_are_not_text(tmp_path):
    bad = [
        b'{"id": "latin1", "text": "caf\xe9"}',  # not UTF-8
        b"not json at all",
        b'["a", "list"]',
        b'{"id": "nofield", "body": "text elsewhere"}',
        b'{"id": "number", "text": 42}',
        b'{"id": "blank", "text": "   "}',
        b'{"id": "binary", "text": "\\u0000\\u0001\\u0002 ELF header"}',
        b'{"id": "huge", "text": "' + b"a" * 5000 + b'"}',
        b'{"id": "surrogate", "text": "broken \\ud800 pair"}',
    ]
    corpus = write_corpus(tmp_path / "corpus.jsonl", n=10, extra=bad)
    stats = run(tmp_path, corpus, max_chars=1000)
    assert stats["skipped"] == {"invalid_utf8": 2, "invalid_json": 2, "no_text_field": 1, "not_text": 1,
                                "empty": 1, "binary": 1, "too_large": 1}
    assert stats["documents"] == 19 and stats["scored"] == 10
    assert stats["skipped_examples"]["too_large"] == [17]


def test_curate_resumes_a_killed_run_without_rescoring_finished_shards(tmp_path, monkeypatch):
    corpus = write_corpus(tmp_path / "corpus.jsonl", n=40)
    scored = []
    real = curate_run.score_shard

    def dies_on_the_third_shard(index, *args, **kwargs):
        if index == 2:
            raise KeyboardInterrupt  # the run is killed while scoring shard 2
        scored.append(index)
        return real(index, *args, **kwargs)

    monkeypatch.setattr(curate_run, "score_shard", dies_on_the_third_shard)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, corpus)
    assert scored == [0, 1]
    finished = {p: p.stat().st_mtime_ns for p in (tmp_path / "out" / "scored").glob("shard-*")}
    assert len(finished) == 4  # rows + index of shards 0 and 1

    scored.clear()
    monkeypatch.setattr(curate_run, "score_shard", lambda index, *a, **k: scored.append(index) or real(index, *a, **k))
    stats = run(tmp_path, corpus)
    assert scored == [2, 3, 4]
    assert all(p.stat().st_mtime_ns == t for p, t in finished.items())
    assert stats["scored"] == 40 and stats["shards"]["scored_in_this_run"] == 3


def test_curate_output_depends_on_the_seed_not_on_the_number_of_processes(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", n=60)
    one = run(tmp_path / "a", corpus, budget_tokens=300, workers=1)
    two = run(tmp_path / "b", corpus, budget_tokens=300, workers=2)
    text = lambda root: (root / "out" / "rich.jsonl").read_text()
    assert text(tmp_path / "a") == text(tmp_path / "b")
    assert one["selections"] == two["selections"]
    other = run(tmp_path / "c", corpus, budget_tokens=300, workers=1, seed=7)
    assert text(tmp_path / "c") != text(tmp_path / "a")
    assert other["selections"]["rich"]["tokens"] <= 300


def test_curate_reads_parquet_and_a_directory_of_data_files(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [RICH[0], MINIMAL[0], RICH[1], MINIMAL[1], b"raw bytes"]
    pq.write_table(pa.table({"content": [t if isinstance(t, str) else None for t in texts], "n": list(range(5))}),
                   tmp_path / "corpus.parquet")
    stats = run(tmp_path, tmp_path / "corpus.parquet", text_field="content")
    assert stats["scored"] == 4 and stats["skipped"] == {"not_text": 1}
    rows = read_rows(tmp_path / "out" / "rich.jsonl")
    assert {row["n"] for row in rows} == {0, 2}

    folder = tmp_path / "dataset"
    folder.mkdir()
    write_corpus(folder / "part-0.jsonl", n=12)
    stats = run(tmp_path / "ds", folder)
    assert stats["scored"] == 12


def test_curate_refuses_shards_scored_with_other_settings(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl")
    run(tmp_path, corpus)
    with pytest.raises(ValueError, match="other settings.*shard_size"):
        run(tmp_path, corpus, shard_size=5)
    stats = main(CurateConfig(input=str(corpus), out=str(tmp_path / "out"), workers=1, shard_size=5,
                              progress=False), restart=True)
    assert stats["shards"]["total"] == 8


def test_curate_config_says_what_is_wrong():
    with pytest.raises(ValueError, match="--keep"):
        CurateConfig(input="x.jsonl", out="o", keep="everything")
    with pytest.raises(ValueError, match="budget-tokens"):
        CurateConfig(input="x.jsonl", out="o", budget_tokens=0)


def test_curate_command_line_help_and_missing_input(tmp_path):
    from typer.testing import CliRunner

    from habits.cli import app

    runner = CliRunner()
    for command in ("curate", "rewrite"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "--input" in result.output
    result = runner.invoke(app, ["curate", "--input", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o")])
    assert result.exit_code != 0 and "no such file" in str(result.exception)


@pytest.mark.skipif(os.cpu_count() == 1, reason="needs two cores to run two processes")
def test_curate_scores_on_several_processes(tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", n=30)
    stats = run(tmp_path, corpus, workers=2)
    assert stats["scoring"]["processes"] == 2 and stats["scored"] == 30


def test_curate_scores_with_the_llm_judge_and_its_cache_answers_a_second_run(tmp_path):
    from fakes import JudgeServer  # a real OpenAI-compatible HTTP server on 127.0.0.1

    corpus = write_corpus(tmp_path / "corpus.jsonl", n=6)
    with JudgeServer() as server:
        judge = {"base_url": server.url, "model": "fake-judge", "cache": str(tmp_path / "judge.sqlite"),
                 "concurrency": 2, "max_retries": 1, "backoff_s": 0.01, "timeout_s": 5}
        stats = run(tmp_path, corpus, classifier="judge", judge=judge)
        asked = server.requests
        run(tmp_path, corpus, classifier="judge", judge=judge, out=str(tmp_path / "again"))  # scores again
        assert server.requests == asked  # ... every answer from the cache
    assert asked == 6 * len(BEHAVIORS)  # one question per behavior per document
    rows = read_rows(tmp_path / "out" / "rich.jsonl")
    assert len(rows) == stats["selections"]["rich"]["documents"] == 6
    assert {json.dumps(row["behaviors"], sort_keys=True) for row in rows} == {json.dumps(
        {"verification": 3, "backtracking": 1, "subgoal_setting": 0, "backward_chaining": 2}, sort_keys=True)}
    assert read_rows(tmp_path / "again" / "rich.jsonl") == rows
