"""Shared fixtures. Keep them cheap: the whole suite runs on 2 CPU cores."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A randomly initialised tiny Qwen2-style model + ChatML tokenizer, built once per session (~1 s)."""
    from habits.models.tiny import TinyModelConfig, build_tiny_model

    texts = [
        "A conversation between User and Assistant. User: Using the numbers [19, 36, 55, 7], create an equation "
        "that equals 65. Assistant: Let me solve this step by step.\n<think> 55 + 36 = 91, 91 - 19 = 72, "
        "72 - 7 = 65 </think>\n<answer> 55 + 36 - 19 - 7 </answer>",
        '{"cards": ["4", "5", "K", "Q"], "number": [4, 5, 10, 10], "formula": "10 * 10 / 5 + 4 = 24"}',
        "Let me check: 3 * 8 = 24. Wait, that leaves 7 unused. Let me try another way.",
    ] * 4
    config = TinyModelConfig(vocab_size=320, hidden_size=32, num_layers=2, num_heads=2, num_kv_heads=1,
                             intermediate_size=64, max_positions=1024)
    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"), config, texts=texts)


def _single_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def one_torch_thread():
    """One intra-op thread while a test samples: two threads on a busy 2-core machine are ~10x slower."""
    yield from _single_thread()


@pytest.fixture(scope="module")
def one_torch_thread_per_module():
    """The same for a whole module (training tests build their models in module-scoped fixtures)."""
    yield from _single_thread()
