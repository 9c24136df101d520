"""habits rewrite: question / thoughts / answer through an OpenAI-compatible endpoint (a local test server)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from habits.behaviors import JudgeError
from habits.curate.rewrite import RewriteConfig, main, parse_rewrite, rewrite_messages

RICH_THOUGHTS = ("First I need 6 from 2 and 3. 2 + 3 = 5, not 6. Let me try another way: 2 * 3 = 6. "
                 "Check: 6 * 4 = 24, correct.")
PLAIN_THOUGHTS = "Multiply 2 by 3 to get 6. Multiply 6 by 4 to get 24."


class FakeEndpoint(BaseHTTPRequestHandler):
    """Answers chat completions like a rewriting model; 'garbage' documents get an unreadable reply."""

    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 -- the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeEndpoint.requests.append(body)
        prompt = body["messages"][-1]["content"]
        if "garbage" in prompt:
            content = "I would rather not."
        else:
            thoughts = RICH_THOUGHTS if "show these habits" in prompt else PLAIN_THOUGHTS
            content = (f"<question>Make 24 from 2, 3 and 4.</question>\n<thoughts>{thoughts}</thoughts>\n"
                       "<answer>(2 * 3) * 4</answer>")
        reply = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": content}}],
                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    FakeEndpoint.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def write_rows(path, texts):
    path.write_text("".join(json.dumps({"id": i, "text": t, "url": f"u{i}"}) + "\n" for i, t in enumerate(texts)))
    return path


def config(tmp_path, endpoint, style="behaviors", output="out.jsonl"):
    return RewriteConfig(input=str(tmp_path / "in.jsonl"), output=str(tmp_path / output), style=style,
                         judge={"base_url": endpoint, "model": "rewriter", "cache": str(tmp_path / "cache.sqlite"),
                                "max_retries": 0, "concurrency": 2})


def test_rewrite_writes_question_thoughts_answer_and_keeps_every_field(tmp_path, endpoint):
    write_rows(tmp_path / "in.jsonl", ["Some document about 24.", "Another one about 2, 3 and 4."])
    summary = main(config(tmp_path, endpoint))
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert summary["written"] == 2 and summary["requests"] == 2
    for row in rows:
        assert row["url"].startswith("u") and row["original_text"].startswith(("Some", "Another"))
        assert row["question"] == "Make 24 from 2, 3 and 4." and row["answer"] == "(2 * 3) * 4"
        assert row["text"].startswith("Question: ") and "<think>" in row["text"]
        assert row["rewrite_style"] == "behaviors"


def test_rewrite_arms_differ_in_the_behaviors_their_thoughts_show(tmp_path, endpoint):
    write_rows(tmp_path / "in.jsonl", ["A document."])
    rich = main(config(tmp_path, endpoint, "behaviors", "rich.jsonl"))
    plain = main(config(tmp_path, endpoint, "plain", "plain.jsonl"))
    assert all(share == 1.0 for share in rich["share_showing"].values() if share) and rich["share_showing"][
        "verification"] == 1.0
    assert plain["share_showing"] == dict.fromkeys(plain["share_showing"], 0.0)
    prompts = [r["messages"][-1]["content"] for r in FakeEndpoint.requests]
    assert "show these habits" in prompts[0] and "do not check" in prompts[1]


def test_rewrite_resumes_from_its_cache_without_asking_again(tmp_path, endpoint):
    write_rows(tmp_path / "in.jsonl", ["One.", "Two.", "Three."])
    main(config(tmp_path, endpoint))
    asked = len(FakeEndpoint.requests)
    summary = main(config(tmp_path, endpoint, output="again.jsonl"))
    assert len(FakeEndpoint.requests) == asked == 3
    assert summary["requests"] == 0 and summary["cache_hits"] == 3
    assert (tmp_path / "out.jsonl").read_text() == (tmp_path / "again.jsonl").read_text()


def test_rewrite_leaves_out_unreadable_answers_and_asks_for_them_again(tmp_path, endpoint):
    write_rows(tmp_path / "in.jsonl", ["Good document.", "garbage document"])
    summary = main(config(tmp_path, endpoint))
    assert summary["written"] == 1 and summary["unreadable"] == 1
    again = main(config(tmp_path, endpoint))
    assert again["requests"] == 1 and again["cache_hits"] == 1  # only the unreadable one is asked again


def test_rewrite_names_an_endpoint_that_is_down(tmp_path):
    write_rows(tmp_path / "in.jsonl", ["One."])
    with pytest.raises(JudgeError, match="127.0.0.1:9"):
        main(config(tmp_path, "http://127.0.0.1:9/v1"))


def test_parse_rewrite_needs_all_three_parts():
    assert parse_rewrite("<question>q</question><thoughts>t</thoughts><answer>a</answer>") == {
        "question": "q", "thoughts": "t", "answer": "a"}
    assert parse_rewrite("<question>q</question><thoughts> </thoughts><answer>a</answer>") is None
    assert parse_rewrite(None) is None
    assert "plain, direct steps" in rewrite_messages("doc", "plain")[-1]["content"]
    with pytest.raises(ValueError, match="--style"):
        RewriteConfig(input="a", output="b", style="fancy")


def test_rewrite_with_a_local_model_generates_for_every_document_and_keeps_only_readable_answers(
        tmp_path, tiny_model_dir, one_torch_thread):
    write_rows(tmp_path / "in.jsonl", ["A document about 24.", "Another one."])
    settings = RewriteConfig(input=str(tmp_path / "in.jsonl"), output=str(tmp_path / "out.jsonl"), style="plain",
                             judge={"backend": "local", "model": str(tiny_model_dir), "max_tokens": 8,
                                    "cache": str(tmp_path / "cache.sqlite"), "batch_size": 2})
    summary = main(settings)
    # the tiny random model is asked once per document and never writes the three tagged parts
    assert summary["requests"] == 2 and summary["unreadable"] == 2 and summary["written"] == 0
    assert (tmp_path / "out.jsonl").read_text() == ""
    assert main(settings)["requests"] == 2  # unreadable answers are not cached: a better model is asked again
