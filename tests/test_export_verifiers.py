"""`habits export verifiers`: the generated package, built and scored by verifiers 0.4 itself.

Nothing is installed at run time: the package is written to a temporary directory put on sys.path,
which is how verifiers resolves an environment id (by import). The episode test runs verifiers' own
Env / interaction / interception machinery in-process, with a scripted policy: a chat-completions
server on 127.0.0.1 that replays fixed replies, called by a minimal in-process harness.
"""

import asyncio
import json
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import verifiers.v1 as vf  # the dev extras install verifiers 0.4.0
from verifiers.v1.graph import MessageNode
from verifiers.v1.types import AssistantMessage, UserMessage

from habits.export.verifiers import VerifiersExportConfig, main
from habits.tasks import get_task
from habits.tasks.perturb import perturbations

HARNESS = textwrap.dedent('''
    """A harness that runs in-process: one chat-completions call through the interception endpoint."""
    import httpx
    import verifiers.v1 as vf
    from verifiers.v1.runtimes import ProgramResult


    class ScriptedHarnessConfig(vf.HarnessConfig):
        pass


    class ScriptedHarness(vf.Harness[ScriptedHarnessConfig]):
        APPENDS_SYSTEM_PROMPT = True
        SUPPORTS_RESUME = True
        EXECUTES_CODE = False
        NEEDS_CONTAINER = False

        async def launch(self, ctx, trace, runtime, endpoint, secret, mcp_urls, data, **_):
            system, prompt = self.resolve_prompt(data)
            messages = [] if system is None else [{"role": "system", "content": system}]
            if isinstance(prompt, str):
                messages.append({"role": "user", "content": prompt})
            else:
                messages += [m.model_dump(mode="json", exclude_none=True) for m in prompt]
            async with httpx.AsyncClient() as client:
                response = await client.post(endpoint.rstrip("/") + "/chat/completions", timeout=60,
                                             json={"model": ctx.model, "messages": messages},
                                             headers={"Authorization": f"Bearer {secret}"})
            ok = response.status_code == 200
            return ProgramResult(exit_code=0 if ok else 1, stdout=response.text, stderr="" if ok else response.text)


    __all__ = ["ScriptedHarness"]
''')


@pytest.fixture
def package(tmp_path, monkeypatch):
    """Export countdown and general_points and put the packages (and the test harness) on sys.path."""
    made = {}
    for task in ("countdown", "general_points"):
        summary = main(VerifiersExportConfig(task=task, out=tmp_path / "envs"))
        monkeypatch.syspath_prepend(summary["dir"])
        made[task] = summary
    (tmp_path / "scripted_harness.py").write_text(HARNESS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield made
    for name in [m for m in sys.modules if m.startswith(("habits_countdown", "habits_general_points", "scripted_"))]:
        del sys.modules[name]


def trace_for(task, reply):
    return vf.Trace(agent=vf.AgentInfo(config=vf.AgentConfig()), task=vf.TraceTask(type="HabitsTask", data=task.data),
                    nodes=[MessageNode(parent=None, message=UserMessage(content=task.data.prompt_text), sampled=False),
                           MessageNode(parent=0, message=AssistantMessage(content=reply), sampled=True)])


@pytest.mark.parametrize("name", ["countdown", "general_points"])
def test_exported_taskset_scores_rows_with_habits_verifier_and_behavior_metrics(package, name):
    env = vf.load_environment(vf.resolve_env_config({"taskset": {"id": package[name]["dist"], "split": "test"}}))
    habits_task = get_task(name, **package[name]["task_args"])
    scheme = habits_task.reward_table()
    tasks = list(env.taskset.take(4))
    assert [t.data.problem for t in tasks] == habits_task.generate(4, split="test")
    assert len({t.key for t in tasks}) == 4

    async def score(task, reply):
        trace = trace_for(task, reply)
        await task.score(trace)
        return trace

    for task in tasks:
        problem = task.data.problem
        solution = habits_task.solve(problem)[0]
        check = f"Check: {solution} = {problem['target']}. Correct.\n"
        right = asyncio.run(score(task, check + habits_task.format_answer(problem, solution)))
        assert right.rewards["reward"].score == scheme["correct"] and right.rewards["reward"].weight == 1.0
        assert right.metrics["correct"] == 1.0 and right.metrics["reason_correct"] == 1.0
        assert set(right.metrics) >= {"verification", "backtracking", "subgoal_setting", "backward_chaining"}
        assert right.metrics["verification"] >= 1
        assert right.reward == scheme["correct"]  # metrics carry no weight
        for reason, wrong in perturbations(habits_task, problem, solution):
            trace = asyncio.run(score(task, wrong))
            assert trace.rewards["reward"].score == scheme[reason] and trace.metrics[f"reason_{reason}"] == 1.0


def test_exported_taskset_rejects_an_unknown_split_when_loaded(package):
    with pytest.raises(Exception, match="split must be one of"):
        vf.load_environment(vf.resolve_env_config({"taskset": {"id": "habits-countdown", "split": "validation"}}))


class ScriptedPolicy:
    """A chat-completions endpoint on 127.0.0.1 that answers with the given replies, in order."""

    def __init__(self, replies):
        self.replies, self.requests = list(replies), []
        policy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                policy.requests.append(body)
                text = policy.replies[min(len(policy.requests), len(policy.replies)) - 1]
                data = json.dumps({"id": f"r{len(policy.requests)}", "object": "chat.completion",
                                   "created": int(time.time()), "model": body["model"],
                                   "choices": [{"index": 0, "finish_reason": "stop",
                                                "message": {"role": "assistant", "content": text}}],
                                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def context(self, monkeypatch):
        monkeypatch.setenv("HABITS_TEST_KEY", "unused")
        return vf.ModelContext(model="scripted", client=vf.EvalClientConfig(
            base_url=f"http://127.0.0.1:{self.server.server_port}/v1", api_key_var="HABITS_TEST_KEY"))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def run_episode(monkeypatch, dist, replies, **env_fields):
    config = {"taskset": {"id": dist, "split": "test"},
              "agent": {"harness": {"id": "scripted_harness"}, "runtime": {"type": "subprocess"}}, **env_fields}
    env = vf.load_environment(vf.resolve_env_config(config))
    task = next(iter(env.taskset))
    policy = ScriptedPolicy(replies(task))

    async def episode():
        async with env.serving():
            return await env.run_episode(task, policy.context(monkeypatch))

    try:
        return task, asyncio.run(episode()), policy
    finally:
        policy.close()


def test_revise_episode_sends_the_papers_feedback_after_a_wrong_attempt_and_rewards_the_last(package, monkeypatch):
    countdown = get_task("countdown", prompt_style="chat")

    def replies(task):
        problem = task.data.problem
        first = f"<answer> {' + '.join(map(str, problem['numbers']))} + 1000 </answer>"  # uses a number not given
        return [first, "<think>retry</think> " + countdown.format_answer(problem, countdown.solve(problem)[0])]

    task, episode, policy = run_episode(monkeypatch, "habits-countdown-revise", replies, attempts=5)
    assert episode.ok, episode.errors
    (trace,) = episode.traces
    assert len(policy.requests) == 2  # stopped at the first correct attempt
    feedback = policy.requests[1]["messages"][-1]
    assert feedback["role"] == "user"
    assert feedback["content"].startswith("You failed this trial because used numbers not available: 1000")
    assert policy.requests[1]["messages"][-2] == {"role": "assistant", "content": replies(task)[0]}
    assert trace.rewards["reward"].score == 1.0 and trace.metrics["attempts"] == 2.0


def test_revise_episode_stops_after_the_attempt_budget(package, monkeypatch):
    task, episode, policy = run_episode(monkeypatch, "habits-countdown-revise", lambda task: ["no idea"], attempts=3)
    (trace,) = episode.traces
    assert len(policy.requests) == 3 and trace.metrics["attempts"] == 3.0
    assert all(r["messages"][-1]["content"] == "You failed this trial because no <answer>...</answer> block found."
               for r in policy.requests[1:])
    assert trace.rewards["reward"].score == 0.0 and trace.metrics["reason_no_answer"] == 1.0


def test_single_turn_env_asks_the_policy_once(package, monkeypatch):
    task, episode, policy = run_episode(monkeypatch, "habits-countdown", lambda task: ["no idea", "unused"])
    (trace,) = episode.traces
    assert len(policy.requests) == 1 and trace.metrics["attempts"] == 1.0
    assert policy.requests[0]["messages"][0]["role"] == "system"  # chat-style prompt: system + user


def test_package_load_environment_builds_both_envs(package):
    import habits_countdown
    import habits_countdown_revise

    single = habits_countdown.load_environment(split="ood")
    revise = habits_countdown_revise.load_environment(attempts=4)
    assert type(single).__name__ == "SingleAgentEnv" and single.taskset.config.split == "ood"
    assert type(revise).__name__ == "ReviseEnv" and revise.config.attempts == 4


def test_cli_export_verifiers_writes_an_installable_package(tmp_path):
    import subprocess

    result = subprocess.run([sys.executable, "-m", "habits", "export", "verifiers", "--task", "general_points",
                             "--out", str(tmp_path), "--set", "reward=binary"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    root = tmp_path / "habits-general-points"
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "habits-general-points"' in pyproject and "verifiers==0.4.0" in pyproject
    assert "'reward': 'binary'" in (root / "habits_general_points" / "__init__.py").read_text()
    assert (root / "habits_general_points_revise" / "__init__.py").is_file()
    bad = subprocess.run([sys.executable, "-m", "habits", "export", "verifiers", "--task", "countdown",
                          "--out", str(tmp_path), "--set", "reward=paper"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "unknown reward scheme" in bad.stderr


def test_feedback_message_is_the_papers_sentence_with_the_verifiers_reason():
    from habits.export.verifiers_env import PAPER_FEEDBACK, feedback_message
    from habits.tasks import Verdict

    assert feedback_message(Verdict(False, "wrong_numbers", "did not use: 7.")) == (
        "You failed this trial because did not use: 7.")
    assert feedback_message(Verdict(False, "no_answer", ""), "{reason}!") == "no_answer!"
    assert PAPER_FEEDBACK.startswith("You failed this trial because")
