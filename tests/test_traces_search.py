"""The executable search, read back from the terse text it writes.

Every property is checked on the *text* of the rows (parsed here), not on the search's own objects:
what a model imitating the traces sees is what must be right. A terse line is::

    [back ][T=k*x,][need N: ]a+b=c,c*d=e[ vs T yes| vs T no]

(the older comparison form ``=e==T`` / ``=e!=T`` reads the same).
"""

import re
from collections import Counter
from dataclasses import dataclass

import pytest

from habits.arith import evaluate
from habits.tasks import get_task
from habits.traces import check_arithmetic, make_rows, thoughts
from habits.traces.check import find_statements
from habits.traces.search import SearchSettings, apply, search, wrong_answer_exists

TASKS = ("countdown", "general_points")
N = 150
BUDGET = 6
_STEP = re.compile(r"(\d+)([-+*/])(\d+)=(\d+)(?: vs (\d+) (yes|no)|(==|!=)(\d+))?")
_VERDICT = {"yes": "==", "no": "!="}
_HEAD = re.compile(r"(?:(\d+)=(\d+)([*+])(\d+))?,?(?:need (\d+))?")


@dataclass
class Step:
    left: int
    op: str
    right: int
    stated: int  # the value as written
    check: str | None = None  # "==" (yes) or "!=" (no)
    goal: int | None = None  # what the value is compared with

    @property
    def true_value(self) -> int | None:
        return apply(self.left, self.op, self.right)


@dataclass
class Line:
    back: bool
    steps: list[Step]
    split: tuple[int, int, str, int] | None  # "T=k*x": (T, k, op, x)
    need: int | None  # "need N"
    leaves: list[int]  # the given numbers the line consumes
    numbers: int  # how many numbers the problem gives

    @property
    def planned(self) -> bool:
        return self.split is not None or self.need is not None

    @property
    def finished(self) -> bool:
        """Computed to the end (a plan that misses its planned value stops early)."""
        return len(self.leaves) == self.numbers


def parse(text: str, numbers: list[int]) -> list[Line]:
    """The attempt lines of a terse trace (a card line ``A J 5 8 : 1 10 5 8`` is skipped)."""
    lines = []
    for raw in text.strip("\n").split("\n"):
        if " : " in raw:
            continue
        back = raw.startswith("back ")
        body = raw[len("back "):] if back else raw
        split = need = None
        if ": " in body:
            head, body = body.split(": ", 1)
            match = _HEAD.fullmatch(head)
            assert match and (match.group(1) or match.group(5)), raw
            if match.group(1):
                split = (int(match.group(1)), int(match.group(2)), match.group(3), int(match.group(4)))
            need = int(match.group(5)) if match.group(5) else None
        steps = []
        for piece in body.split(","):
            match = _STEP.fullmatch(piece)
            assert match, (piece, raw)
            left, op, right, stated, vs_goal, verdict, check, goal = match.groups()
            check, goal = (_VERDICT[verdict], vs_goal) if verdict else (check, goal)
            steps.append(Step(int(left), op, int(right), int(stated), check, int(goal) if goal else None))
        lines.append(Line(back, steps, split, need, _leaves(steps, raw), len(numbers)))
    return lines


def _leaves(steps: list[Step], raw: str) -> list[int]:
    """Given numbers a chain of steps consumes: both operands of the first, then the operand that is not
    the running value (the value the previous step stated)."""
    leaves = [steps[0].left, steps[0].right]
    for previous, step in zip(steps, steps[1:]):
        running = previous.stated
        assert running in (step.left, step.right), f"step {step} does not continue from {running}: {raw}"
        leaves.append(step.right if step.left == running else step.left)
    return leaves


@pytest.fixture(scope="module")
def rows():
    cache = {}

    def get(task_name, condition, register="terse"):
        key = (task_name, condition, register)
        if key not in cache:
            task = get_task(task_name)
            cache[key] = list(make_rows(task, condition, task.generate(N, split="train", seed=4), seed=4,
                                        register=register, budget=BUDGET))
        return cache[key]

    return get


def traces(rows, task_name, condition):
    task = get_task(task_name)
    for row in rows(task_name, condition):
        numbers = list(task.values(row["problem"])) if task_name == "general_points" else row["problem"]["numbers"]
        yield row, numbers, row["problem"]["target"], parse(thoughts(row["completion"]), numbers)


SEARCHING = ("all", "backtracking", "backtracking_verification", "backtracking_subgoal", "backtracking_backward",
             "incorrect", "plain")
CHECKED = ("all", "backtracking_verification", "incorrect")


@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", SEARCHING)
def test_every_line_computes_a_value_from_the_given_numbers_each_used_once(rows, task_name, condition):
    for row, numbers, target, lines in traces(rows, task_name, condition):
        assert 1 <= len(lines) <= BUDGET, row["completion"]
        for index, line in enumerate(lines):
            assert line.back == (index > 0), row["completion"]  # "back" opens every line but the first
            if line.split is not None:  # "T=k*x" / "T=k+x": the target split by a given number k
                split_target, given, op, need = line.split
                assert split_target == target and apply(given, op, need) == target
                assert line.need in (None, need)
                if line.finished:  # the made value is combined with k by the split's own operation
                    last = line.steps[-1]
                    assert (last.left, last.op, last.right) == (given, op, need), row["completion"]
            assert not Counter(line.leaves) - Counter(numbers), (line, numbers)
            if line.finished:
                assert sorted(line.leaves) == sorted(numbers)
            else:  # a plan that missed its planned value: every number but the split one
                assert line.planned and len(line.leaves) == len(numbers) - 1, row["completion"]
            for step in line.steps:
                assert step.stated > 0  # values stay positive whole numbers


@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", CHECKED)
def test_with_verification_every_line_is_compared_before_the_next_one_and_comparisons_tell_the_truth(
        rows, task_name, condition):
    for row, _, target, lines in traces(rows, task_name, condition):
        for line in lines:
            checks = [(position, step) for position, step in enumerate(line.steps) if step.check]
            last = line.steps[-1]
            assert last.check is not None, f"line ends without a comparison: {row['completion']}"
            for _, step in checks:
                assert (step.check == "==") == (step.stated == step.goal), row["completion"]
            if not line.planned:
                assert [s for _, s in checks] == [last] and last.goal == target
                continue
            need = line.need if line.need is not None else line.split[3]
            part_position, part = checks[0]
            assert part.goal == need, row["completion"]
            if part.check == "!=":  # the planned value was missed: the line stops there
                assert part is last
            else:  # made: one more step combines it with the split number, compared with the target
                assert len(checks) == 2 and part_position == len(line.steps) - 2 and last.goal == target


@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", SEARCHING)
def test_the_search_stops_at_the_first_hit_and_never_calls_a_hit_a_miss(rows, task_name, condition):
    slip = condition == "incorrect"
    for row, _, target, lines in traces(rows, task_name, condition):
        for index, line in enumerate(lines):
            final = line.steps[-1]
            hit_as_written = line.finished and final.stated == target
            really_hit = line.finished and final.true_value == target
            is_last = index == len(lines) - 1
            if not (slip and is_last):
                assert hit_as_written == really_hit, row["completion"]
            if not is_last:
                assert not hit_as_written, f"went on after a hit: {row['completion']}"
        if len(lines) < BUDGET and condition not in ("incorrect", "plain"):
            # it stopped before the budget ran out, so its last line was a hit
            assert lines[-1].finished and lines[-1].steps[-1].stated == target, row["completion"]


@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", [c for c in SEARCHING if c != "incorrect"])
def test_every_arithmetic_step_written_is_right(rows, task_name, condition):
    for row, _, _, lines in traces(rows, task_name, condition):
        for line in lines:
            assert all(step.stated == step.true_value for step in line.steps), row["completion"]
        found = check_arithmetic(thoughts(row["completion"]))
        assert found.wrong == 0  # and the re-checker reads every step, and every "T=k*x", as a statement
        assert found.statements == sum(len(line.steps) + (line.split is not None) for line in lines)


@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("condition", [c for c in SEARCHING if c != "incorrect"])
def test_the_answer_is_the_last_hit_or_the_closest_finished_line_and_the_verifier_agrees_with_the_trace(
        rows, task_name, condition):
    task = get_task(task_name)
    for row, numbers, target, lines in traces(rows, task_name, condition):
        answer = evaluate(row["answer"])
        assert answer.ok and sorted(answer.numbers) == sorted(numbers), row["answer"]
        finished = [line.steps[-1].stated for line in lines if line.finished]
        trace_says_solved = lines[-1].finished and lines[-1].steps[-1].stated == target
        if trace_says_solved:
            assert answer.value == target
        else:
            closest = min(finished, key=lambda value: abs(value - target))
            assert answer.value == closest, (row["completion"], row["answer"])
        assert task.verify(row["problem"], row["completion"]).correct == trace_says_solved == row["correct"]


@pytest.mark.parametrize("task_name", TASKS)
def test_incorrect_traces_believe_one_silent_slip_in_their_last_step(rows, task_name):
    task = get_task(task_name)
    for row, _, target, lines in traces(rows, task_name, "incorrect"):
        text = thoughts(row["completion"])
        final = lines[-1].steps[-1]
        assert final.stated == target != final.true_value and final.check == "==", row["completion"]
        assert all(step.stated == step.true_value for line in lines for step in line.steps if step is not final)
        found = check_arithmetic(text)
        assert found.wrong == 1, (text, found.wrong_statements)
        left, right = find_statements(text)[-1]
        assert found.wrong_statements == [f"{left} = {right}"]  # the last statement is the wrong one
        assert not task.verify(row["problem"], row["completion"]).correct and not row["correct"]


@pytest.mark.parametrize("task_name", TASKS)
def test_failures_are_not_forced_many_problems_are_solved_by_the_first_line(rows, task_name):
    batch = list(traces(rows, task_name, "backtracking_verification"))
    first_line = sum(len(lines) == 1 and row["correct"] for row, _, _, lines in batch) / len(batch)
    searched = sum(len(lines) > 1 for _, _, _, lines in batch) / len(batch)
    assert first_line >= 0.08 and searched >= 0.3, (first_line, searched)
    assert all(row["behaviors"]["backtracking"] == len(lines) - 1 for row, _, _, lines in batch)


@pytest.mark.parametrize("task_name, low", [("countdown", 0.5), ("general_points", 0.25)])
def test_correctness_is_natural_neither_forced_right_nor_forced_wrong(task_name, low):
    # general_points is harder for six forward lines (four cards, one target): about 0.3-0.4 solve.
    task = get_task(task_name)
    rows = list(make_rows(task, "backtracking_verification", task.generate(200, seed=17), seed=17))
    correct = sum(row["correct"] for row in rows) / len(rows)
    assert low < correct < 1.0, correct


def test_attempts_follow_the_fixed_enumeration_order_with_no_hidden_ranking():
    # [3, 5, 2] -> 16: the first pair, the first operation, then the closest step: solved at once.
    found = search([3, 5, 2], 16, SearchSettings(budget=6))
    assert [a.steps[0].text() for a in found.attempts] == ["3 + 5 = 8"]
    assert found.reached and found.answer.expression == "(3 + 5) * 2"
    # [3, 1, 10] -> 31: pairs in the given order, + * - / for each (no "/ 1": it changes nothing).
    found = search([3, 1, 10], 31, SearchSettings(budget=6))
    assert [a.steps[0].text() for a in found.attempts] == ["3 + 1 = 4", "3 * 1 = 3", "3 - 1 = 2", "3 + 10 = 13",
                                                           "3 * 10 = 30"]
    assert found.reached and found.answer.expression == "(3 * 10) + 1"


def test_the_budget_caps_the_lines_and_without_backtracking_a_trace_is_one_line():
    numbers, target = [72, 50, 25, 76], 80
    assert not search(numbers, target, SearchSettings(budget=6)).reached
    assert len(search(numbers, target, SearchSettings(budget=6)).attempts) == 6
    assert len(search(numbers, target, SearchSettings(budget=3)).attempts) == 3
    assert len(search(numbers, target, SearchSettings(budget=6, stop_at_hit=False)).attempts) == 1


def test_a_missed_plan_is_never_the_answer_because_its_value_was_never_written():
    found = search([72, 50, 25, 76], 80, SearchSettings(budget=6, plans=2))
    assert any(a.plan is not None and not a.finished for a in found.attempts)
    assert found.answer.finished


@pytest.mark.parametrize("settings, message", [
    ({"budget": 0}, "budget of at least 1"),
    ({"plans": -1}, "plans must be"),
])
def test_impossible_search_settings_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        SearchSettings(**settings)


def test_a_search_needs_two_numbers_and_a_wrong_answer_needs_a_line_that_misses():
    with pytest.raises(ValueError, match="at least two numbers"):
        search([5], 5)
    assert wrong_answer_exists([3, 4, 5], 12)
    assert not wrong_answer_exists([12, 12, 12], 12)  # every line lands on 12
    with pytest.raises(ValueError, match="no wrong answer"):
        search([12, 12, 12], 12, SearchSettings(slip=True))
