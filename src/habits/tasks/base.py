"""What every verifiable task shares: the Task base class, Verdict, reward schemes, split seeding.

A task generates problems (plain JSON-serialisable dicts), writes prompts for them, verifies a
completion exactly, turns the verdict into a reward under a named scheme, and solves problems.
Verification and reward shaping are separate: a scheme is a table from verdict reason to reward,
so shaping can never re-parse an answer differently from the verifier.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import numbers
import random
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

SPLITS = ("train", "test", "ood")
# Disjoint parts of the train split, one per use, so a base is never pretrained on the problems it is
# later primed or reinforced on, and priming and RL never share a problem (test/ood are disjoint anyway).
STREAMS = ("pretrain", "prime", "rl")

# The fixed vocabulary of verdict reasons, from best to worst.
REASONS = (
    "correct",  # the answer reaches the target using exactly the allowed numbers
    "wrong_value",  # legal expression, right numbers, wrong value
    "wrong_numbers",  # legal expression, but numbers missing, repeated or not among those given
    "illegal",  # an expression using something not allowed (power, names, division by zero, ...)
    "malformed",  # an answer is present but is not an arithmetic expression / not valid JSON
    "no_answer",  # no answer could be found in the completion
)
# Reasons that mean the model did not produce a checkable answer at all (the papers' "format errors").
FORMAT_ERRORS = ("malformed", "no_answer")

# Reward schemes: verdict reason -> reward. Tables, so a scheme cannot disagree with the verifier.
REWARD_SCHEMES: dict[str, dict[str, float]] = {
    "binary": {reason: (1.0 if reason == "correct" else 0.0) for reason in REASONS},
    # TinyZero / the first paper's Countdown reward: 0 without an answer, 0.1 for any answer, 1 if right.
    "tinyzero": {reason: (1.0 if reason == "correct" else 0.0 if reason == "no_answer" else 0.1)
                 for reason in REASONS},
    # The second paper's GeneralPoints reward (text variant).
    "paper": {"correct": 5.0, "wrong_value": -1.0, "wrong_numbers": -2.0,
              "illegal": -3.0, "malformed": -3.0, "no_answer": -3.0},
}


class Verdict:
    """The verifier's judgement of one completion.

    ``reason`` is one of :data:`REASONS`; ``detail`` is a short human-readable explanation
    (also what a verify-and-revise loop tells the model); ``answer`` is the extracted answer text.

    ``detail`` may be given as a function that writes it: the explanation is then only built when
    read. Only verify-and-revise feedback and saved verdicts read it, while RL rewards verify
    millions of wrong answers -- building every message eagerly was most of a failed verdict's cost.
    """

    __slots__ = ("correct", "reason", "_detail", "answer")

    def __init__(self, correct: bool, reason: str, detail: str | Callable[[], str] = "",
                 answer: str | None = None) -> None:
        self.correct = correct
        self.reason = reason
        self._detail = detail
        self.answer = answer

    @property
    def detail(self) -> str:
        if not isinstance(self._detail, str):
            self._detail = self._detail()
        return self._detail

    def to_dict(self) -> dict[str, Any]:
        return {"correct": self.correct, "reason": self.reason, "detail": self.detail, "answer": self.answer}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return (f"Verdict(correct={self.correct!r}, reason={self.reason!r}, detail={self.detail!r}, "
                f"answer={self.answer!r})")


# Tags in any (ASCII) case. Spelled as classes rather than re.IGNORECASE so the regex engine can
# jump between "<" characters: about twice as fast on the completions this scans.
_OPEN_TAG = re.compile(r"<[aA][nN][sS][wW][eE][rR]>")
_CLOSE_TAG = re.compile(r"</[aA][nN][sS][wW][eE][rR]>")


def last_tagged_answer(text: str) -> tuple[int, str] | None:
    """The last ``<answer>…</answer>`` anywhere in ``text`` (multi-line, any case), with its start offset.

    Found as the last closing tag, the nearest opening tag before it, and the first closing tag
    after that -- in linear time (a lazy ``<answer>(.*?)</answer>`` regex is quadratic on text with
    many unclosed opening tags). The common lowercase case uses ``str.rfind``; a regex scan over
    the short tail checks that no other-case tag comes later.
    """
    close = text.rfind("</answer>")
    if close < 0 and _CLOSE_TAG.search(text) is None:
        return None  # no closing tag in any case (the common case for JSON answers)
    if close < 0 or _CLOSE_TAG.search(text, close + 1):
        close = _last(_CLOSE_TAG, text, 0, len(text))
        if close < 0:
            return None
    start = text.rfind("<answer>", 0, close)
    if start < 0 or _OPEN_TAG.search(text, start + 1, close):
        start = _last(_OPEN_TAG, text, 0, close)
        if start < 0:
            return None
    body = start + len("<answer>")
    first = _CLOSE_TAG.search(text, body, close + len("</answer>"))  # the block's own closing tag
    end = first.start() if first is not None else close
    return start, text[body:end].strip()


def has_closing_tag(text: str, start: int = 0) -> bool:
    """Whether a ``</answer>`` (any case) occurs in ``text`` at or after ``start``."""
    return _CLOSE_TAG.search(text, start) is not None


def _last(pattern: re.Pattern[str], text: str, start: int, stop: int) -> int:
    found = -1
    for found_match in pattern.finditer(text, start, stop):
        found = found_match.start()
    return found


def completion_text(completion: Any) -> str:
    """Text of a completion in TRL's standard (str) or conversational (list of messages) form."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and completion and isinstance(completion[-1], Mapping):
        content = completion[-1].get("content", "")
        if isinstance(content, list):  # multimodal content parts
            return "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
        return str(content or "")
    return "" if completion is None else str(completion)


def as_problem(value: Any) -> dict[str, Any]:
    """Accept a problem as a dict or its JSON text (datasets may store either); drop null fields."""
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, Mapping):
        raise TypeError(f"a problem must be a dict or JSON object, got {type(value).__name__}")
    return {key: item for key, item in value.items() if item is not None}


class BadProblem(ValueError):
    """A problem that is not a valid problem of its task; the message names the field and the value."""


_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?")


def whole_number(value: Any, field: str) -> int:
    """``value`` as an exact int: ints, integral floats (``6.0``) and decimal strings (``"6"``, ``"6.0"``).

    Data that went through pandas or Parquet often turns ints into floats or strings; those are
    taken at their exact value. Anything else (``1.5``, ``"abc"``, ``True``, ``None``) is refused.
    """
    if type(value) is int:
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)  # numpy integers
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        whole, _, fraction = value.strip().partition(".")
        if not fraction.strip("0"):
            return int(whole)
    raise BadProblem(f"{field} must be a whole number, got {value!r}")


def whole_numbers(value: Any, field: str) -> list[int]:
    """A list of exact ints (see :func:`whole_number`); a string or a scalar is refused, not iterated."""
    if hasattr(value, "tolist"):  # numpy arrays from Parquet / pandas
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise BadProblem(f"{field} must be a list of whole numbers, got {value!r}")
    return [whole_number(item, f"{field}[{index}]") for index, item in enumerate(value)]


def item_rng(task: str, split: str, seed: int, index: int) -> random.Random:
    """A private RNG per item: ``task:split:seed:index``. Neighbouring seeds never share streams,
    and item ``i`` does not depend on how many items are generated."""
    return random.Random(f"{task}:{split}:{seed}:{index}")


def held_out(key: str, fraction: float) -> bool:
    """Deterministically assign a canonical problem key to the held-out side of a split.

    Train never contains a held-out problem and test/OOD only contain held-out ones, so the
    splits are disjoint by construction however many items each draws.
    """
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < fraction


class SpaceExhausted(ValueError):
    """A request for more distinct problems than the split holds."""


class Task(ABC):
    """A verifiable environment. Subclasses set ``name``, ``config_class`` and ``reward_schemes``.

    A task owns everything task-specific, so nothing outside its module branches on its name or on
    a problem's fields: its verdict ``reasons`` and reward tables, how a problem is described to a
    judge (:meth:`describe`), the feedback a verify-and-revise loop gives (:meth:`feedback`), the
    wrong answers its tests use (:meth:`perturbations`), whether and how a priming trace is searched
    (:meth:`trace_numbers`, :meth:`check_traceable`), the decisions an episode is made of
    (:meth:`steps`) and the images a prompt shows (:meth:`images`).
    """

    name: ClassVar[str]
    reward_schemes: ClassVar[tuple[str, ...]]
    # Generated here, with disjoint train/test/ood splits (the contract test's promises); False for
    # tasks bridged from another library (reasoning-gym), which have their own tests.
    procedural: ClassVar[bool] = True
    max_tries: ClassVar[int] = 10_000  # rejection-sampling budget per item
    reasons: ClassVar[tuple[str, ...]] = REASONS  # this task's verdict vocabulary, best first
    reward_tables: ClassVar[dict[str, dict[str, float]]] = {}  # task-specific schemes (reason -> reward)
    description: ClassVar[str] = "a verifiable puzzle"  # what the task is, in a phrase (judge prompts)
    variants: ClassVar[str] = ""  # its ID/OOD and modality variants, in a phrase (habits tasks list)
    # The SFT-vs-RL paper's generation factor lambda (inference token-reads per trained RL token) for this
    # environment, or None when the paper has none (habits.compute.paper_lambda).
    paper_generation_factor: ClassVar[float | None] = None

    def __init__(self, config: Any) -> None:
        self.config = config
        if config.reward not in self.reward_schemes:
            raise ValueError(f"{self.name}: unknown reward scheme {config.reward!r}; "
                             f"choose one of: {', '.join(self.reward_schemes)}")

    # -- generation -------------------------------------------------------------------------
    def generate(self, n: int, split: str = "train", seed: int = 0, stream: str | None = None,
                 distinct: bool = False) -> list[dict[str, Any]]:
        """``n`` solvable problems of ``split`` (train, test or ood); same arguments, same items.

        ``stream`` and ``distinct``: see :meth:`iter_generate`.
        """
        return list(self.iter_generate(n, split, seed, stream=stream, distinct=distinct))

    def iter_generate(self, n: int, split: str = "train", seed: int = 0, stream: str | None = None,
                      distinct: bool = False) -> Iterator[dict[str, Any]]:
        """Like :meth:`generate`, one problem at a time (for progress bars and streaming).

        ``stream`` (train only): keep the problems of one of :data:`STREAMS`, a fixed partition of
        the train problems by their :meth:`key` -- different streams never share a problem.
        ``distinct``: never repeat a problem (same :meth:`key`); raises ValueError when the space
        runs out, saying how many distinct problems it holds.
        """
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if stream is not None and (stream not in STREAMS or split != "train"):
            raise ValueError(f"stream must be one of {', '.join(STREAMS)} and only applies to the train split, "
                             f"got stream={stream!r} split={split!r}")
        self.check_split(split)
        namespace = seed if stream is None else f"{stream}{seed}"
        draws = (self._draw(item_rng(self.name, split, namespace, index), split, stream) for index in itertools.count())
        if not distinct:
            yield from itertools.islice(draws, n)
            return
        yield from take_distinct(draws, n, self.key, lambda found: (
            f"{self.name}: only {found} distinct {split} problems found, {n} asked; ask for fewer or widen the "
            "number/target ranges"))

    def item(self, index: int, split: str = "train", seed: int = 0) -> dict[str, Any]:
        """Problem ``index`` of ``generate(n, split, seed)`` for any ``n > index``, drawn directly
        (what index-addressed datasets such as reasoning-gym's need)."""
        if index < 0:
            raise ValueError(f"index must be >= 0, got {index}")
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
        self.check_split(split)
        return self._draw(item_rng(self.name, split, seed, index), split)

    def key(self, problem: Mapping[str, Any]) -> str:
        """The problem's canonical identity (what splits and streams are assigned by)."""
        return json.dumps(problem, sort_keys=True)

    def in_stream(self, problem: Mapping[str, Any], stream: str) -> bool:
        """Whether a train problem belongs to ``stream`` (see :data:`STREAMS`)."""
        return stable_choice(STREAMS, "stream|" + self.key(problem)) == stream

    def check_split(self, split: str) -> None:
        """Raise ValueError if this configuration cannot produce ``split`` (override per task)."""

    def _draw(self, rng: random.Random, split: str, stream: str | None = None) -> dict[str, Any]:
        for _ in range(self.max_tries):
            problem = self.sample(rng, split)
            if problem is not None and (stream is None or self.in_stream(problem, stream)):
                return problem
        raise RuntimeError(f"{self.name}: no solvable {split} problem found in {self.max_tries} draws; "
                           "widen the number or target ranges")

    @abstractmethod
    def sample(self, rng: random.Random, split: str) -> dict[str, Any] | None:
        """One candidate problem for ``split``, or None to reject and draw again."""

    # -- the task proper ----------------------------------------------------------------------
    @abstractmethod
    def prompt(self, problem: Mapping[str, Any]) -> str | list[dict[str, str]]:
        """The prompt: a string (base-model style) or a list of chat messages (chat style)."""

    def check_problem(self, problem: Any) -> dict[str, Any]:
        """``problem`` with its fields in their exact types, or :class:`BadProblem` naming the bad field.

        Accepts a dict or its JSON text. ``verify`` and ``solve`` call it, so they agree on every
        problem; commands call it on each input row to name the file and line of a bad one.
        """
        if type(problem) is not dict:
            try:
                problem = as_problem(problem)
            except (TypeError, ValueError) as exc:
                raise BadProblem(f"not a problem: {exc}") from None
        return self.normalize_problem(problem)

    def normalize_problem(self, problem: dict[str, Any]) -> dict[str, Any]:
        """Task-specific part of :meth:`check_problem` (override); the base accepts any dict.

        Overrides return a problem already in exact types as it is (the hot path of every reward),
        and otherwise drop null fields (:func:`as_problem`) before checking each one.
        """
        return as_problem(problem)

    @staticmethod
    def field(problem: Mapping[str, Any], name: str) -> Any:
        """``problem[name]``, or :class:`BadProblem` saying the field is missing."""
        if name not in problem:
            raise BadProblem(f"problem has no {name!r} field (fields present: {', '.join(sorted(problem)) or 'none'})")
        return problem[name]

    @abstractmethod
    def verify(self, problem: Mapping[str, Any], completion: str) -> Verdict:
        """Exact verdict for ``completion``; never raises on any completion.

        A problem that is not valid for this task (see :meth:`check_problem`) raises
        :class:`BadProblem`: scoring it would hide broken data behind a plausible verdict.
        """

    @abstractmethod
    def solve(self, problem: Mapping[str, Any]) -> list[str]:
        """All distinct solutions (commutative and associative rearrangements merged).

        Raises :class:`BadProblem` for an invalid problem and ``SolverLimit`` (a ValueError) for one
        too large to search exhaustively.
        """

    @abstractmethod
    def format_answer(self, problem: Mapping[str, Any], expression: str) -> str:
        """The answer part of a completion in this task's format (what ``verify`` reads)."""

    def reward_table(self, scheme: str | None = None) -> dict[str, float]:
        """Reason -> reward under ``scheme`` (default: the configured one)."""
        scheme = scheme or self.config.reward
        return self.reward_tables.get(scheme) or REWARD_SCHEMES[scheme]

    def reward(self, problem: Mapping[str, Any], completion: str) -> float:
        """The configured scheme's reward for ``completion``."""
        return self.score(problem, completion, self.verify(problem, completion))

    def score(self, problem: Mapping[str, Any] | None, completion: str, verdict: Verdict) -> float:
        """The reward of ``completion`` whose verdict is already made (a scheme may read it again)."""
        return self.reward_for(verdict)

    def reward_for(self, verdict: Verdict) -> float:
        """The configured scheme's reward for a verdict already made (verify once, then score and log)."""
        return self.reward_table()[verdict.reason]

    # -- what else a task owns (defaults suit a single-answer, text-only task) ------------------
    def steps(self, problem: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The decisions an episode on ``problem`` is made of, each a problem that :meth:`prompt`,
        :meth:`verify` and :meth:`solve` accept. One for single-answer tasks; a route's decision
        points for navigation (route success = every step correct)."""
        return [dict(problem)]

    @property
    def shows_images(self) -> bool:
        """Whether prompts show images (a vision-language model is needed)."""
        return False

    def images(self, problem: Mapping[str, Any]) -> list[Any]:
        """PIL images shown with the prompt of a decision (empty for text tasks)."""
        return []

    def describe(self, problem: Mapping[str, Any]) -> str:
        """One sentence naming the problem, for judge prompts and logs."""
        return f"The problem was {json.dumps(dict(problem), sort_keys=True)}."

    def feedback(self, verdict: Verdict) -> str:
        """Why an attempt failed, in the words a verify-and-revise loop sends back (after
        "You failed this trial because ")."""
        return (verdict.detail or verdict.reason.replace("_", " ")).rstrip(".")

    def perturbations(self, problem: Mapping[str, Any], answer: str) -> list[tuple[str, str]]:
        """``(expected_reason, completion)`` pairs, all wrong, derived from a correct ``answer``."""
        raise NotImplementedError(f"{self.name} defines no perturbations")

    def trace_numbers(self, problem: Mapping[str, Any]) -> tuple[list[int], list[str] | None]:
        """The numbers a priming trace combines (and card names, when the task reads cards)."""
        raise ValueError(self._no_traces())

    def check_traceable(self, planned: bool = False, answer: str = "correct") -> None:
        """Raise ValueError (before any work) if this configuration cannot give priming traces;
        ``planned``: the condition shows subgoal setting / backward chaining; ``answer``: the
        condition's answer policy (``correct``, or ``wrong``: the trace believes a wrong answer)."""
        raise ValueError(self._no_traces())

    def write_trace(self, problem: Mapping[str, Any], behaviors: frozenset[str], rng: random.Random,
                    register: str = "natural") -> tuple[str, dict[str, int], str] | None:
        """A priming trace this task writes itself: (thoughts, exact counts of the four behaviors, the
        answer for :meth:`format_answer`), showing at most ``behaviors``. None (the default): the
        number search of :mod:`habits.traces` writes it from :meth:`trace_numbers`."""
        return None

    def _no_traces(self) -> str:
        return (f"{self.name} has no trace search: priming traces are written for tasks that combine numbers "
                "to reach a target (see habits tasks list)")

    def reward_function(self) -> Callable[..., list[float]]:
        """This task's reward in TRL's contract: ``f(completions, problem, **columns) -> list[float]``.

        >>> from habits.tasks import get_task
        >>> f = get_task("countdown").reward_function()
        >>> f(["<answer>(3+5)*2</answer>"], problem=[{"numbers": [2, 3, 5], "target": 16}])
        [1.0]
        """

        def reward(completions: list[Any], problem: list[Any], **_: Any) -> list[float]:
            return [self.reward(as_problem(p), completion_text(c)) for c, p in zip(completions, problem, strict=True)]

        reward.__name__ = f"{self.name}_{self.config.reward}_reward"
        return reward


def take_distinct(draws: Iterable[dict[str, Any]], n: int, key: Callable[[Mapping[str, Any]], str],
                  exhausted: Callable[[int], str]) -> Iterator[dict[str, Any]]:
    """The first ``n`` draws with distinct ``key``; SpaceExhausted(``exhausted(found)``) when the
    draws keep repeating (the space is used up)."""
    seen: set[str] = set()
    misses = 0
    for problem in draws:
        if len(seen) >= n:
            return
        name = key(problem)
        if name in seen:
            misses += 1
            # Consecutive repeats this long mean the space is used up (the chance of missing a
            # remaining problem that often is below 1% for any space size).
            if misses > 200 + 5 * len(seen):
                raise SpaceExhausted(exhausted(len(seen)))
            continue
        misses = 0
        seen.add(name)
        yield problem
        if len(seen) == n:
            return


def stable_choice(options: Sequence[Any], key: str) -> Any:
    """Pick from ``options`` by a hash of ``key`` (deterministic across runs and processes)."""
    digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
    return options[int.from_bytes(digest, "big") % len(options)]
