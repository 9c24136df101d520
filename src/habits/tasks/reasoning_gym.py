"""Any reasoning-gym dataset as a habits task: ``get_task("reasoning_gym", dataset="leg_counting")``.

reasoning-gym (an optional extra) runs in a worker process of its own (:mod:`habits.tasks.rg_worker`),
started on first use with a fresh environment: it generates the items and runs reasoning-gym's scorer
on each extracted answer, under a time limit. A scorer that hangs is killed after ``score_timeout``
seconds, one that tries to start a process, open a socket or write a file is refused; either way the
answer is judged ``illegal`` with the reason in ``detail``, the event is kept in ``failures`` and
logged, and the worker is replaced so the run goes on. Where habits has its own verifier for a
dataset (reasoning-gym's ``countdown``, and the ``habits_*`` datasets of
:mod:`habits.export.reasoning_gym`) that verifier is used in-process instead (``scorer="auto"``).

A problem is plain JSON: the dataset, its settings, seed and index (which regenerate the item), the
question, the reference answer and reasoning-gym's metadata. Splits use separate seeds derived from
``dataset:split:seed``; reasoning-gym makes item ``i`` from ``Random(seed + i)``, so train and test
never share a seed stream, but in a small item space the same question can still appear in both.
``ood`` exists when ``ood_args`` names harder settings. There are no priming traces for these tasks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from habits.tasks import TASKS, get_task
from habits.tasks.base import SPLITS, STREAMS, Task, Verdict, last_tagged_answer, take_distinct

log = logging.getLogger(__name__)
WORKER = Path(__file__).with_name("rg_worker.py")

BASE_TEMPLATE = ("A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
                 "The Assistant first thinks about the reasoning process in its mind and then gives the user the "
                 "answer.\nUser: {question}\nShow your work in <think> </think> tags and give only the final answer in "
                 "<answer> </answer> tags.\nAssistant: Let me solve this step by step.\n<think>")
CHAT_SYSTEM = ("You are a helpful assistant. You first think about the reasoning process in <think> </think> tags "
               "and then give only the final answer in <answer> </answer> tags.")


class ScorerError(RuntimeError):
    """The reasoning-gym worker could not start or answer."""


def available() -> bool:
    """Whether reasoning-gym is installed in this environment."""
    import importlib.util

    return importlib.util.find_spec("reasoning_gym") is not None


def dataset_names() -> list[str]:
    """reasoning-gym's registered datasets (imports it here: its generators are trusted code)."""
    import reasoning_gym  # noqa: F401
    from reasoning_gym.factory import DATASETS

    return sorted(DATASETS)


@dataclass
class ReasoningGymConfig:
    """Which reasoning-gym dataset, and how to score it."""

    dataset: str = ""  # a reasoning-gym dataset name (habits tasks list shows them)
    dataset_args: dict[str, Any] = field(default_factory=dict)  # its config fields (train and test)
    ood_args: dict[str, Any] | None = None  # settings of the ood split (e.g. larger numbers); None: no ood split
    scorer: str = "auto"  # auto: habits' verifier where it has one, else reasoning-gym's; reasoning_gym: always its own
    score_timeout: float = 5.0  # seconds one scorer call may take before the worker is killed
    startup_timeout: float = 180.0  # seconds the worker may take to import reasoning-gym
    memory_mb: int = 4096  # address-space limit of the worker (where the OS supports it)
    imports: list[str] = field(default_factory=list)  # modules the worker imports first (that register datasets)
    python: str | None = None  # interpreter of the worker (one with reasoning-gym); None: this one
    correct_threshold: float = 1.0  # a score at least this high is correct
    prompt_style: str = "base"  # base or chat
    reward: str = "binary"  # binary or tinyzero

    def __post_init__(self) -> None:
        if not self.dataset:
            raise ValueError("reasoning_gym: name a dataset, e.g. --set dataset=leg_counting (habits tasks list shows "
                             "them when reasoning-gym is installed)")
        if self.scorer not in ("auto", "reasoning_gym"):
            raise ValueError(f"reasoning_gym: scorer must be auto or reasoning_gym, got {self.scorer!r}")
        if self.prompt_style not in ("base", "chat"):
            raise ValueError(f"reasoning_gym: prompt_style must be base or chat, got {self.prompt_style!r}")
        if self.score_timeout <= 0 or self.startup_timeout <= 0:
            raise ValueError("reasoning_gym: score_timeout and startup_timeout must be > 0 seconds")
        if not 0 < self.correct_threshold <= 1:
            raise ValueError(f"reasoning_gym: correct_threshold must be in (0, 1], got {self.correct_threshold}")
        for name in ("dataset_args", "ood_args"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dict):
                raise ValueError(f"reasoning_gym: {name} must be a mapping of the dataset's config fields")
        if self.python is None and not available():
            raise ValueError("reasoning_gym: reasoning-gym is not installed; pip install -e '.[reasoning-gym]' "
                             "(or set python to an interpreter that has it)")


class Worker:
    """One reasoning-gym process, replaced after a timeout or a crash; safe to share between threads."""

    def __init__(self, config: ReasoningGymConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self.version: str | None = None

    def request(self, message: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request; the reply, or ScorerError (timeout, crash) after which the next call restarts."""
        with self._lock:
            proc = self._start()
            try:
                assert proc.stdin is not None
                proc.stdin.write((json.dumps(message) + "\n").encode())
                proc.stdin.flush()
                return self._reply(proc, timeout)
            except (ScorerError, OSError) as exc:
                self._stop()
                if isinstance(exc, ScorerError):
                    raise
                raise ScorerError(f"worker exited ({exc.__class__.__name__})") from None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        c = self.config
        args = [c.python or sys.executable, "-P", str(WORKER), "--memory-mb", str(c.memory_mb)]
        for module in c.imports:
            args += ["--import", module]
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR", "VIRTUAL_ENV")
        env = {key: os.environ[key] for key in keep if key in os.environ}
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
        self._cwd = tempfile.TemporaryDirectory(prefix="habits-rg-")
        self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      env=env, cwd=self._cwd.name, close_fds=True, start_new_session=True)
        self._buffer = b""
        weakref.finalize(self, _kill, self._proc)
        hello = self._reply(self._proc, c.startup_timeout)
        if "error" in hello:
            self._stop()
            raise ScorerError(f"reasoning-gym worker failed to start: {hello['error']}")
        self.version = hello.get("version")
        return self._proc

    def _reply(self, proc: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        fd = proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self._stop()
                raise ScorerError(f"no answer within {timeout:g}s (stopped)")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    code = proc.poll()
                    self._stop()
                    raise ScorerError(f"worker exited (code {code})")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _stop(self) -> None:
        if self._proc is not None:
            _kill(self._proc)
            self._proc = None
        self._buffer = b""

    def close(self) -> None:
        with self._lock:
            self._stop()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, 9)
        except (ProcessLookupError, PermissionError):
            proc.kill()
        proc.wait()


@TASKS.register("reasoning_gym")
class ReasoningGymTask(Task):
    """A reasoning-gym dataset behind habits' Task contract (see the module docstring)."""

    name = "reasoning_gym"
    config_class = ReasoningGymConfig
    reward_schemes: ClassVar[tuple[str, ...]] = ("binary", "tinyzero")
    procedural = False  # items come from reasoning-gym: no disjoint-split guarantee
    chunk = 64  # items fetched per worker request

    def __init__(self, config: ReasoningGymConfig) -> None:
        super().__init__(config)
        self.worker = Worker(config)
        self.failures: list[dict[str, Any]] = []  # scorer timeouts, crashes and refused operations
        self._native: dict[str, Task] = {}

    # -- items --------------------------------------------------------------------------------
    def _seed(self, split: str, seed: int | str) -> int:
        digest = hashlib.blake2b(f"{self.config.dataset}:{split}:{seed}".encode(), digest_size=4).digest()
        return int.from_bytes(digest, "big") >> 1

    def _args(self, split: str) -> dict[str, Any]:
        return dict(self.config.ood_args if split == "ood" else self.config.dataset_args)  # type: ignore[arg-type]

    def check_split(self, split: str) -> None:
        if split == "ood" and self.config.ood_args is None:
            raise ValueError(f"reasoning_gym: dataset {self.config.dataset!r} has no ood split unless ood_args names "
                             "its out-of-distribution settings, e.g. --set 'ood_args={max_value: 1000}'")

    def _items(self, split: str, seed: int | str, indices: list[int]) -> list[dict[str, Any]]:
        rg_seed, args = self._seed(split, seed), self._args(split)
        try:
            reply = self.worker.request({"op": "items", "dataset": self.config.dataset, "config": args,
                                         "seed": rg_seed, "indices": indices},
                                        self.config.startup_timeout + 10 * len(indices))
        except ScorerError as exc:
            raise ValueError(f"reasoning_gym {self.config.dataset}: could not generate items: {exc}") from None
        if "error" in reply:
            raise ValueError(f"reasoning_gym {self.config.dataset}: {reply['error']}")
        return [{"dataset": self.config.dataset, "dataset_args": args, "seed": rg_seed, "index": index,
                 "question": item["question"], "answer": item["answer"], "metadata": item["metadata"]}
                for index, item in zip(indices, reply["items"], strict=True)]

    def iter_generate(self, n: int, split: str = "train", seed: int = 0, stream: str | None = None,
                      distinct: bool = False) -> Iterator[dict[str, Any]]:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if stream is not None and (stream not in STREAMS or split != "train"):
            raise ValueError(f"stream must be one of {', '.join(STREAMS)} and only applies to the train split")
        self.check_split(split)
        namespace = seed if stream is None else f"{stream}{seed}"
        if not distinct:
            yield from self._draws(split, namespace, n)
            return
        yield from take_distinct(self._draws(split, namespace), n, self.key, lambda found: (
            f"reasoning_gym {self.config.dataset}: only {found} distinct {split} items found, {n} asked"))

    def _draws(self, split: str, namespace: Any, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Items 0, 1, ... (up to ``limit``), fetched from the worker a chunk at a time."""
        index = 0
        while limit is None or index < limit:
            count = self.chunk if limit is None else min(self.chunk, limit - index)
            yield from self._items(split, namespace, list(range(index, index + count)))
            index += count

    def item(self, index: int, split: str = "train", seed: int = 0) -> dict[str, Any]:
        self.check_split(split)
        return self._items(split, seed, [index])[0]

    def sample(self, rng: Any, split: str) -> dict[str, Any] | None:  # items are addressed by index instead
        raise NotImplementedError("reasoning_gym items come from iter_generate/item")

    def key(self, problem: Mapping[str, Any]) -> str:
        return json.dumps([problem["dataset"], problem["question"], problem.get("answer")], sort_keys=True)

    # -- the task proper ------------------------------------------------------------------------
    def prompt(self, problem: Mapping[str, Any]) -> str | list[dict[str, str]]:
        if self.config.prompt_style == "base":
            return BASE_TEMPLATE.format(question=problem["question"])
        return [{"role": "system", "content": CHAT_SYSTEM}, {"role": "user", "content": problem["question"]}]

    def format_answer(self, problem: Mapping[str, Any], expression: str) -> str:
        return f"<answer>{expression}</answer>"

    def solve(self, problem: Mapping[str, Any]) -> list[str]:
        answer = problem.get("answer")
        return [str(answer)] if answer not in (None, "") else []

    def verify(self, problem: Mapping[str, Any], completion: str) -> Verdict:
        native = self._habits_verifier(problem) if self.config.scorer == "auto" else None
        if native is not None:
            task, native_problem = native
            return task.verify(native_problem, completion)
        found = last_tagged_answer(completion)
        if found is None:
            return Verdict(False, "no_answer", "no <answer>...</answer> block found")
        answer = found[1]
        request = {"op": "score", "dataset": problem["dataset"], "config": problem.get("dataset_args", {}),
                   "seed": problem["seed"], "index": problem["index"], "answer": answer}
        try:
            reply = self.worker.request(request, self.config.score_timeout)
        except ScorerError as exc:
            return self._failed(problem, "stopped", f"reasoning-gym's scorer gave no verdict: {exc}", answer)
        if "blocked" in reply:
            return self._failed(problem, "blocked", "the answer made reasoning-gym's scorer attempt a refused "
                                                    f"operation ({reply['blocked'][:120]})", answer)
        if "error" in reply:
            return self._failed(problem, "error", f"reasoning-gym's scorer failed: {reply['error'][:200]}", answer)
        score = float(reply["score"])
        if score >= self.config.correct_threshold:
            return Verdict(True, "correct", "", answer)
        return Verdict(False, "wrong_value", f"reasoning-gym scored the answer {score:g}", answer)

    def _failed(self, problem: Mapping[str, Any], kind: str, detail: str, answer: str) -> Verdict:
        self.failures.append({"kind": kind, "dataset": problem["dataset"], "index": problem["index"],
                              "detail": detail})
        log.warning("reasoning_gym %s item %s: %s", problem["dataset"], problem["index"], detail)
        return Verdict(False, "illegal", detail, answer)

    def _habits_verifier(self, problem: Mapping[str, Any]) -> tuple[Task, dict[str, Any]] | None:
        meta = problem.get("metadata") or {}
        if isinstance(meta.get("habits_task"), str):  # a habits task registered in reasoning-gym
            name, args, native = meta["habits_task"], dict(meta.get("task_args") or {}), dict(meta["problem"])
        elif problem["dataset"] == "countdown" and {"numbers", "target"} <= set(meta):
            name, args, native = "countdown", {"use_all": True}, {"numbers": meta["numbers"], "target": meta["target"]}
        else:
            return None
        cache_key = json.dumps([name, args], sort_keys=True)
        if cache_key not in self._native:
            self._native[cache_key] = get_task(name, **args)
        return self._native[cache_key], native
