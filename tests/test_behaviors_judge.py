"""The LLM judge against a real OpenAI-compatible HTTP server started on 127.0.0.1 in the test."""

from __future__ import annotations

import socket
import sys

import pytest
from fakes import JudgeServer

from habits.behaviors import BEHAVIORS, JudgeConfig, JudgeError, judge_counts
from habits.behaviors.judge import Judge, judge_messages, parse_count

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


def test_judge_records_garbage_answers_as_missing_not_zero(tmp_path):
    with JudgeServer(mode="garbage") as server:
        counts = judge_counts(TEXTS, config(server.url, tmp_path), progress=False)
    assert counts == [dict.fromkeys(BEHAVIORS, None)] * len(TEXTS)


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
    judge = Judge(JudgeConfig(**settings))
    counts = judge.count(["3 * 8 = 24"], progress=False)
    judge.close()
    assert judge.requests == len(BEHAVIORS)
    assert counts == [dict.fromkeys(BEHAVIORS, None)]  # a random model never writes <count>N</count>
    again = Judge(JudgeConfig(**settings))
    assert again.count(["3 * 8 = 24"], progress=False) == counts and again.requests == 0
    again.close()


def test_judge_without_the_openai_extra_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)  # what a missing package looks like
    with pytest.raises(JudgeError, match=r"habits\[judge\]"):
        judge_counts(TEXTS, config("http://127.0.0.1:9/v1", tmp_path), progress=False)
