"""The LLM judge against a real OpenAI-compatible HTTP server started on 127.0.0.1 in the test.

The server can also misbehave the ways real endpoints do (an HTML page with status 200, no
choices, a body that is not JSON, answers without a count, hanging), to check that the judge
reports it, caches nothing bad, stops on Ctrl-C, and that a re-run against a good server finishes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
from fakes import JudgeServer

from habits.behaviors import BEHAVIORS, JudgeConfig, JudgeError, judge_counts
from habits.behaviors.judge import Judge, JudgeCache, judge_messages, parse_count

def config(url: str, tmp_path, **kwargs) -> JudgeConfig:
    settings = {
        "base_url": url,
        "model": "fake-judge",
        "cache": str(tmp_path / "judge.sqlite"),
        "concurrency": 4,
        "max_retries": 1,
        "backoff_s": 0.01,
        "timeout_s": 5,
    }
    settings.update(kwargs)
    return JudgeConfig(**settings)


TEXTS = ["72 - 31 = 41, not 22. Try 31 + 63 - 72 = 22. Correct.", "3 * 8 = 24"]


def test_judge_counts_each_behavior_from_the_endpoints_answers(tmp_path):
    with JudgeServer() as server:
        counts = judge_counts(TEXTS, config(server.url, tmp_path), progress=False)
    expected = {"verification": 3, "backtracking": 1, "subgoal_setting": 0, "backward_chaining": 2}
    assert counts == [expected, expected]
    assert server.requests == len(TEXTS) * len(BEHAVIORS)  # one question per behavior per completion


def test_judge_cache_makes_a_second_run_issue_zero_requests(tmp_path):
    with JudgeServer() as server:
        first = judge_counts(TEXTS, config(server.url, tmp_path), progress=False)
        before = server.requests
        judge = Judge(config(server.url, tmp_path))
        second = judge.count(TEXTS, progress=False)
        judge.close()
    assert second == first
    assert server.requests == before
    assert judge.requests == 0 and judge.cache_hits == len(TEXTS) * len(BEHAVIORS)


def cached_answers(path) -> int:
    if not os.path.exists(path):
        return 0
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]


@pytest.mark.parametrize("mode", ["garbage", "html", "empty", "malformed"])
def test_judge_retries_unreadable_replies_caches_none_and_refuses_when_most_are_unreadable(tmp_path, mode):
    with JudgeServer(mode=mode) as server:
        with pytest.raises(JudgeError, match=r"8 of 8 answers had no readable count.*nothing unreadable was cached"):
            judge_counts(TEXTS, config(server.url, tmp_path), progress=False)
        assert server.requests == 8 * 2  # every question asked twice: max_retries=1
    assert cached_answers(tmp_path / "judge.sqlite") == 0


def test_judge_records_a_few_unreadable_answers_as_missing_not_zero(tmp_path):
    with JudgeServer(mode="garbage", good_first=6) as server:
        judge = Judge(config(server.url, tmp_path, concurrency=1, max_retries=0))
        counts = judge.count(TEXTS, progress=False)
        judge.close()
    values = [value for row in counts for value in row.values()]
    assert values.count(None) == 2 and None not in values[:6]
    assert judge.missing == 2 and "without <count>" in judge.report()
    assert cached_answers(tmp_path / "judge.sqlite") == 6


def test_judge_cache_key_names_the_endpoint_model_and_prompt_version(tmp_path):
    messages = judge_messages("verification", "3 * 8 = 24")
    base = JudgeCache.key("m", messages, 0.0, 512, "http://a/v1")
    assert base != JudgeCache.key("m", messages, 0.0, 512, "http://b/v1")
    assert base != JudgeCache.key("other", messages, 0.0, 512, "http://a/v1")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("habits.behaviors.judge.PROMPT_VERSION", "next")
        assert base != JudgeCache.key("m", messages, 0.0, 512, "http://a/v1")


def test_hanging_judge_times_out_per_request_and_against_the_deadline(tmp_path):
    with JudgeServer(mode="hang") as server:
        with pytest.raises(JudgeError, match="did not answer within"):
            judge_counts(TEXTS, config(server.url, tmp_path, timeout_s=0.5, max_retries=0), progress=False)
        with pytest.raises(JudgeError, match="deadline of 1 s"):
            judge_counts(TEXTS, config(server.url, tmp_path, timeout_s=60, deadline_s=1), progress=False)


def classify_command(rows, out, url, cache, *extra):
    return [sys.executable, "-m", "habits", "behaviors", "classify", "-i", str(rows), "-o", str(out),
            "--backend", "judge", "--judge-model", "fake-judge", "--base-url", url, "--judge-cache", str(cache),
            "--concurrency", "1", *extra]


def test_classify_reports_a_broken_judge_writes_nothing_and_a_rerun_on_a_good_server_completes(tmp_path):
    rows, out, cache = tmp_path / "rows.jsonl", tmp_path / "out.jsonl", tmp_path / "cache.sqlite"
    rows.write_text("".join(json.dumps({"completion": text}) + "\n" for text in TEXTS))
    out.write_text("earlier results\n")
    with JudgeServer(mode="html") as server:
        broken = subprocess.run(classify_command(rows, out, server.url, cache, "--judge-retries", "1"),
                                capture_output=True, text=True, timeout=300)
    assert broken.returncode == 4 and "no readable count" in broken.stderr and "Traceback" not in broken.stderr
    assert out.read_text() == "earlier results\n" and cached_answers(cache) == 0
    with JudgeServer() as server:
        fixed = subprocess.run(classify_command(rows, out, server.url, cache), capture_output=True, text=True,
                               timeout=300)
        assert fixed.returncode == 0, fixed.stderr
        assert server.requests == len(TEXTS) * len(BEHAVIORS)
    assert [json.loads(line)["behaviors"]["verification"] for line in out.read_text().splitlines()] == [3, 3]


def test_ctrl_c_stops_a_hung_classify_at_once_keeping_the_cached_answers(tmp_path):
    rows, out, cache = tmp_path / "rows.jsonl", tmp_path / "out.jsonl", tmp_path / "cache.sqlite"
    rows.write_text("".join(json.dumps({"completion": text}) + "\n" for text in TEXTS))
    with JudgeServer(mode="hang", good_first=3) as server:
        # SIGINT at its default in the child: a test run started as a background job (`make test &`)
        # ignores SIGINT, and an ignored disposition is inherited across exec.
        process = subprocess.Popen(classify_command(rows, out, server.url, cache, "--judge-timeout", "300"),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        for _ in range(1800):  # until the fourth request hangs (a loaded machine starts the CLI slowly)
            if server.requests >= 4 or process.poll() is not None:
                break
            time.sleep(0.1)
        assert server.requests >= 4, "the classify process never reached the hanging request"
        process.send_signal(signal.SIGINT)
        try:
            # A hung request (300 s timeout) must not hold the process; 60 s is far below it and
            # leaves room for a loaded machine to unwind the interpreter.
            _, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
    assert process.returncode == 130 and "interrupted" in stderr
    assert cached_answers(cache) == 3 and not out.exists()


def test_judge_endpoint_down_is_a_clear_error_naming_the_endpoint(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(JudgeError, match=rf"127\.0\.0\.1:{port}/v1.*unreachable"):
        judge_counts(TEXTS, config(url, tmp_path), progress=False)


def test_judge_wrong_path_is_a_clear_error(tmp_path):
    with JudgeServer() as server, pytest.raises(JudgeError, match="HTTP 404"):
        judge_counts(TEXTS, config(server.url.replace("/v1", "/v2"), tmp_path), progress=False)


def test_judge_sends_problem_context_and_the_taxonomy(tmp_path):
    with JudgeServer() as server:
        judge_counts(
            TEXTS[:1],
            config(server.url, tmp_path, cache=None),
            problems=[{"numbers": [72, 31, 63], "target": 22}],
            task="countdown",
            progress=False,
        )
    prompts = [body["messages"][-1]["content"] for body in server.bodies]
    assert all("[72, 31, 63]" in p and "target was 22" in p and "<count>" in p for p in prompts)
    assert all(body["temperature"] == 0.0 for body in server.bodies)


def test_parse_count_takes_the_last_tag_and_refuses_prose():
    assert parse_count("first <count>1</count> then <count> 4 </count>") == 4
    assert parse_count("there are three") is None
    assert parse_count("") is None and parse_count(None) is None


def test_judge_prompt_cuts_very_long_completions():
    messages = judge_messages("verification", "x" * 50_000, max_chars=1000)
    assert len(messages[-1]["content"]) < 5000 and "[... cut ...]" in messages[-1]["content"]


def test_judge_config_rejects_bad_settings(tmp_path):
    with pytest.raises(ValueError, match="backend"):
        JudgeConfig(backend="carrier-pigeon")
    with pytest.raises(ValueError, match="model directory"):
        JudgeConfig(backend="local", model=str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="concurrency"):
        JudgeConfig(concurrency=0)


def test_local_judge_generates_with_a_model_directory_and_caches(tiny_model_dir, tmp_path, one_torch_thread):
    settings = {
        "backend": "local",
        "model": str(tiny_model_dir),
        "max_tokens": 6,
        "cache": str(tmp_path / "local.sqlite"),
        "batch_size": 4,
    }
    judge = Judge(JudgeConfig(**settings, max_missing_share=1.0))
    counts = judge.count(["3 * 8 = 24"], progress=False)
    judge.close()
    assert judge.requests == len(BEHAVIORS)
    assert counts == [dict.fromkeys(BEHAVIORS, None)]  # a random model never writes <count>N</count>
    assert cached_answers(tmp_path / "local.sqlite") == 0  # so nothing is cached: a better model is asked again
    with pytest.raises(JudgeError, match="no readable count"):
        Judge(JudgeConfig(**settings)).count(["3 * 8 = 24"], progress=False)


def test_judge_without_the_openai_extra_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)  # what a missing package looks like
    with pytest.raises(JudgeError, match=r"habits\[judge\]"):
        judge_counts(TEXTS, config("http://127.0.0.1:9/v1", tmp_path), progress=False)
