"""Problem streams and distinct draws: pretraining, priming and RL never share a problem; evaluation never repeats one."""

import pytest

from habits.tasks import TASKS as REGISTRY
from habits.tasks import get_task, task_names
from habits.tasks.base import STREAMS

# Tasks generated here; reasoning_gym draws each stream from its own seed instead (test_reasoning_gym_bridge).
TASKS = [name for name in task_names() if REGISTRY.get(name).procedural]


@pytest.mark.parametrize("name", TASKS)
def test_train_streams_are_pairwise_disjoint_across_seeds(name):
    task = get_task(name)
    keys = {stream: {task.key(p) for seed in range(2) for p in task.generate(80, "train", seed, stream=stream)}
            for stream in STREAMS}
    for first in STREAMS:
        assert keys[first], first
        for second in STREAMS:
            if first < second:
                assert not keys[first] & keys[second], (first, second)


@pytest.mark.parametrize("name", TASKS)
def test_every_problem_of_a_stream_belongs_to_it_and_the_draw_is_reproducible(name):
    task = get_task(name)
    for stream in STREAMS:
        drawn = task.generate(40, "train", seed=5, stream=stream)
        assert all(task.in_stream(problem, stream) for problem in drawn)
        assert drawn == task.generate(40, "train", seed=5, stream=stream)
    assert task.generate(40, "train", seed=5, stream="prime") != task.generate(40, "train", seed=5, stream="rl")


@pytest.mark.parametrize("name", TASKS)
def test_the_whole_train_split_spans_every_stream(name):
    task = get_task(name)
    owners = {next(s for s in STREAMS if task.in_stream(p, s)) for p in task.generate(200, "train", seed=0)}
    assert owners == set(STREAMS)


@pytest.mark.parametrize("split, stream", [("test", "prime"), ("ood", "rl"), ("train", "sft")])
def test_a_stream_outside_the_train_split_or_unknown_is_refused(split, stream):
    task = get_task("countdown")
    with pytest.raises(ValueError, match="only applies to the train split"):
        task.generate(3, split, seed=0, stream=stream)


def _small_countdown():
    # 2 numbers in 1..4, targets 2..8: a space of a few dozen problems, so repeats are common.
    return get_task("countdown", min_numbers=2, max_numbers=2, number_range=[1, 4], target_range=[2, 8])


def test_distinct_draws_never_repeat_a_problem_where_plain_draws_do():
    task = _small_countdown()
    plain = [task.key(p) for p in task.generate(40, "train", seed=0)]
    assert len(set(plain)) < len(plain)  # the space is small: an ordinary draw repeats
    distinct = [task.key(p) for p in task.generate(12, "train", seed=0, distinct=True)]
    assert len(distinct) == 12 == len(set(distinct))
    assert task.generate(12, "train", seed=0, distinct=True) == task.generate(12, "train", seed=0, distinct=True)


@pytest.mark.parametrize("name", TASKS)
def test_distinct_evaluation_problems_never_repeat(name):
    task = get_task(name)
    for split in ("test", "train"):
        keys = [task.key(p) for p in task.generate(150, split, seed=2, distinct=True)]
        assert len(keys) == len(set(keys)) == 150


def test_asking_for_more_distinct_problems_than_exist_says_how_many_there_are():
    task = _small_countdown()
    with pytest.raises(ValueError, match=r"only \d+ distinct train problems found, 500 asked"):
        task.generate(500, "train", seed=0, distinct=True)
