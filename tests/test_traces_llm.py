"""LLM-written priming through a real (local, fake) OpenAI-compatible HTTP server on 127.0.0.1."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from habits.io import load_rows
from habits.tasks import get_task
from habits.traces.conditions import get_condition
from habits.traces.data import PrimeConfig
from habits.traces.llm import LLMConfig, llm_rows, main_llm, split_reply, system_prompt

RIGHT = ("<think>\nLet me try 3 + 5 = 8. Wait, 8 is not 16 yet; multiply: 8 * 2 = 16. "
         "Check: (3 + 5) * 2 = 16. Correct.\n</think>\n<answer> (3 + 5) * 2 </answer>")
WRONG = "<think>\nTry 3 * 5 = 15, then 15 + 2 = 17. Close enough.\n</think>\n<answer> 3 * 5 + 2 </answer>"
PROBLEM = {"numbers": [3, 5, 2], "target": 16}


class _Server:
    """A tiny chat-completions endpoint: replies in order from ``replies``, records the requests."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                content = outer.replies[(len(outer.requests) - 1) % len(outer.replies)]
                payload = json.dumps({
                    "id": "cmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": content}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _words(text):
    low = text.lower()
    return {"verification": low.count("check"), "backtracking": low.count("wait"),
            "subgoal_setting": 0, "backward_chaining": 0}


@pytest.fixture
def api_key(monkeypatch):
    monkeypatch.setenv("HABITS_TEST_KEY", "local-key")
    return "HABITS_TEST_KEY"


def test_llm_rows_come_from_the_endpoint_under_the_condition_system_prompt(api_key):
    task = get_task("countdown")
    with _Server([RIGHT]) as server:
        config = LLMConfig(base_url=server.url, model="fake-model", api_key_env=api_key)
        rows = list(llm_rows(task, "backtracking_verification", [PROBLEM], config, classifier=_words))
    request = server.requests[0]
    assert request["path"].endswith("/chat/completions") and request["auth"] == "Bearer local-key"
    system, user = request["body"]["messages"]
    assert system["content"] == system_prompt(get_condition("backtracking_verification"), task)
    assert system["content"].startswith("You solve the Countdown game")
    assert "Never show" in system["content"] and "backward chaining" in system["content"]
    assert user["content"] == task.prompt(PROBLEM)
    (row,) = rows
    assert row["correct"] and row["source"] == "llm" and row["model"] == "fake-model"
    assert row["behaviors"] == {"verification": 1, "backtracking": 1, "subgoal_setting": 0, "backward_chaining": 0}
    assert not row["completion"].startswith("<think>")  # the base prompt already opened it
    assert row["completion"].endswith("<answer> (3 + 5) * 2 </answer>")


def test_wrong_answer_condition_keeps_asking_until_the_verifier_rejects_the_reply(api_key):
    task = get_task("countdown")
    with _Server([RIGHT, WRONG]) as server:
        config = LLMConfig(base_url=server.url, model="m", api_key_env=api_key, attempts=3)
        rows = list(llm_rows(task, "incorrect", [PROBLEM], config, classifier=_words))
    assert len(server.requests) == 2
    assert len(rows) == 1 and not rows[0]["correct"] and "17" in rows[0]["completion"]


def test_problems_without_a_fitting_reply_are_skipped_and_reported(api_key):
    skipped = []
    with _Server([RIGHT]) as server:
        config = LLMConfig(base_url=server.url, model="m", api_key_env=api_key, attempts=2)
        rows = list(llm_rows(get_task("countdown"), "incorrect", [PROBLEM, PROBLEM], config, classifier=_words,
                             skipped=skipped))
    assert rows == [] and skipped == [0, 1] and len(server.requests) == 4


def test_main_llm_writes_every_reply_with_the_verifier_verdict(api_key, tmp_path):
    with _Server([RIGHT]) as server:
        llm = LLMConfig(base_url=server.url, model="m", api_key_env=api_key)
        config = PrimeConfig(task="countdown", condition="backtracking", n=3, out=tmp_path / "llm.jsonl")
        summary = main_llm(config, llm, classifier=_words)
    rows = load_rows(tmp_path / "llm.jsonl")
    assert summary["rows"] == 3 == len(rows) and summary["skipped"] == 0
    task = get_task("countdown")
    assert all(row["correct"] == task.verify(row["problem"], row["completion"]).correct for row in rows)


def test_length_matched_llm_rows_replace_the_reply_thoughts_with_dots(api_key):
    task = get_task("countdown", prompt_style="chat")
    with _Server([RIGHT]) as server:
        config = LLMConfig(base_url=server.url, model="m", api_key_env=api_key)
        (row,) = llm_rows(task, "length_matched", [PROBLEM], config, classifier=_words, fmt="chat")
    content = row["completion"][0]["content"]
    assert content.startswith("<think> . .") and "Wait" not in content and row["correct"]
    assert content.count(" .") == row["thought_tokens"] > 10
    assert row["behaviors"] == dict.fromkeys(row["behaviors"], 0)


def test_missing_api_key_and_bad_endpoint_settings_are_clear_errors(monkeypatch):
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    config = LLMConfig(base_url="http://127.0.0.1:9/v1", model="m", api_key_env="NO_SUCH_KEY_VAR")
    with pytest.raises(ValueError, match="NO_SUCH_KEY_VAR"):
        list(llm_rows(get_task("countdown"), "all", [PROBLEM], config, classifier=_words))
    with pytest.raises(ValueError, match="http"):
        LLMConfig(base_url="localhost:8000", model="m")


def test_split_reply_reads_think_block_and_answer():
    assert split_reply("<think> a </think> <answer>1</answer>") == ("a", "<answer>1</answer>")
    assert split_reply("just an answer") == ("", "just an answer")


def test_image_tasks_send_the_problem_image_as_a_data_url_part_and_rows_keep_it(api_key, tmp_path):
    import base64
    import io

    from PIL import Image

    task = get_task("general_points", modality="image")
    problem = task.generate(1, "train", seed=0)[0]
    reply = "<think>\nI see the cards.\n</think>\n" + task.format_answer(problem, task.solve(problem)[0])
    with _Server([reply]) as server:
        llm = LLMConfig(base_url=server.url, model="m", api_key_env=api_key)
        config = PrimeConfig(task="general_points", condition="none", n=1, format="chat",
                             task_config={"modality": "image"}, out=tmp_path / "llm.parquet")
        summary = main_llm(config, llm, classifier=_words)
    _, user = server.requests[0]["body"]["messages"]
    kinds = [part["type"] for part in user["content"]]
    assert kinds == ["image_url", "text"]  # where the prompt places its image part
    url = user["content"][0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    sent = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert sent.convert("RGB").tobytes() == task.images(problem)[0].convert("RGB").tobytes()
    assert summary["rows"] == 1 and summary["correct"] == 1.0
    (row,) = load_rows(tmp_path / "llm.parquet")
    assert len(row["images"]) == 1


def test_text_prompts_still_go_to_the_endpoint_as_plain_text():
    from habits.traces.llm import user_content

    task = get_task("countdown", prompt_style="chat")
    (user,) = [m for m in task.prompt(PROBLEM) if m["role"] == "user"]  # the system turn is the condition's
    assert user_content(task, PROBLEM, task.prompt(PROBLEM)) == user["content"]
