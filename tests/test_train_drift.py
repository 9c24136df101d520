"""DriftCallback: mean token KL to the start checkpoint on fixed probe texts, from a top-k cache."""

import copy
from types import SimpleNamespace

import pytest
import torch
from transformers import AutoModelForCausalLM, Qwen2Config, TrainerControl, TrainerState

from habits.train.drift import DriftCallback, kl_to_reference, start_reference

VOCAB = 24
PROBES = ["the cards are 4 5 K Q", "check: 3 * 8 = 24", "go north then turn left"]


class CharTokenizer:
    """One token per character (ids below the vocabulary): enough to feed probe texts to a tiny model."""

    def __call__(self, text, add_special_tokens=False, truncation=False, max_length=None):
        ids = [1 + ord(ch) % (VOCAB - 1) for ch in text]
        return {"input_ids": ids[:max_length] if truncation and max_length else ids}


def tiny_model(seed=0):
    torch.manual_seed(seed)
    config = Qwen2Config(vocab_size=VOCAB, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                         num_key_value_heads=1, intermediate_size=32)
    return AutoModelForCausalLM.from_config(config)


def nudged(model, scale=0.3, seed=1):
    moved = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in moved.parameters():
            parameter.add_(torch.randn(parameter.shape, generator=generator) * scale)
    return moved


def exact_kl(now, start, reference):
    """Full-vocabulary KL(now || start) per valid position, averaged -- with a frozen copy of the start."""
    ids, mask = reference["input_ids"], reference["attention_mask"]
    with torch.no_grad():
        p = torch.log_softmax(now(input_ids=ids, attention_mask=mask).logits[:, :-1].float(), -1)
        q = torch.log_softmax(start(input_ids=ids, attention_mask=mask).logits[:, :-1].float(), -1)
    kl = (p.exp() * (p - q)).sum(-1)
    valid = (mask[:, :-1] * mask[:, 1:]).bool()
    return float(kl[valid].mean())


def test_kl_to_the_start_is_zero_for_the_start_model():
    model = tiny_model()
    reference = start_reference(model, CharTokenizer(), PROBES, top_k=4)
    assert kl_to_reference(model, reference)["drift/kl_to_start"] == pytest.approx(0.0, abs=1e-6)


def test_a_cache_covering_the_vocabulary_gives_the_exact_kl_of_a_frozen_copy():
    start = tiny_model()
    reference = start_reference(start, CharTokenizer(), PROBES, top_k=VOCAB)
    now = nudged(start)
    measured = kl_to_reference(now, reference)["drift/kl_to_start"]
    assert measured == pytest.approx(exact_kl(now, start, reference), rel=1e-4)
    assert measured > 0.01


def test_a_small_cache_gives_a_lower_bound_of_the_full_kl_that_still_sees_drift():
    start = tiny_model()
    reference = start_reference(start, CharTokenizer(), PROBES, top_k=3)
    now = nudged(start)
    result = kl_to_reference(now, reference)
    assert 0.0 < result["drift/kl_to_start"] <= exact_kl(now, start, reference) + 1e-6
    assert 0.0 < result["drift/start_tail_mass"] < 1.0  # what the cache left out, reported beside it
    assert reference["top_indices"].shape[-1] == 3  # k entries per position, not the vocabulary


def test_padding_does_not_count_as_probe_tokens():
    model = tiny_model()
    now = nudged(model)
    short, long = PROBES[0], PROBES[2] * 2  # the short text is padded when the two share a batch

    def kl(texts):
        reference = start_reference(model, CharTokenizer(), texts, top_k=VOCAB)
        return kl_to_reference(now, reference)["drift/kl_to_start"]

    pairs_short, pairs_long = len(short) - 1, len(long) - 1  # positions with a next token
    expected = (kl([short]) * pairs_short + kl([long]) * pairs_long) / (pairs_short + pairs_long)
    assert kl([short, long]) == pytest.approx(expected, rel=1e-4)


def run_steps(callback, model, steps, start_step=0, state=None):
    """Call the callback as the Trainer does: train begin, then each step's end and log line."""
    state = state or TrainerState()
    state.global_step = start_step
    args = SimpleNamespace()
    callback.on_train_begin(args, state, TrainerControl(), model=model, processing_class=CharTokenizer())
    lines = []
    for step in range(start_step + 1, start_step + steps + 1):
        state.global_step = step
        moved = nudged(model, 0.1 * step, seed=step)
        control = callback.on_step_end(args, state, TrainerControl(), model=moved)
        logs = {"loss": 1.0}
        state.log_history.append({**logs, "step": step})
        callback.on_log(args, state, control, logs=logs)
        lines.append((step, control.should_log, logs))
    return lines


def test_callback_logs_kl_to_start_every_n_steps_with_that_steps_line():
    callback = DriftCallback(PROBES, every=2, top_k=4)
    lines = run_steps(callback, tiny_model(), steps=4)
    measured = {step: logs.get("drift/kl_to_start") for step, _, logs in lines}
    assert measured[1] is None and measured[3] is None
    assert 0 < measured[2] < measured[4]  # the model moved further by step 4
    assert [should_log for _, should_log, _ in lines] == [False, True, False, True]


def test_a_resumed_run_measures_against_the_cached_start_not_the_resumed_weights(tmp_path):
    model = tiny_model()
    cache = tmp_path / "drift_reference.pt"
    fresh = DriftCallback(PROBES, every=1, top_k=4, cache_path=cache)
    run_steps(fresh, model, steps=1)
    assert cache.is_file()
    resumed = DriftCallback(PROBES, every=1, top_k=4, cache_path=cache)
    run_steps(resumed, nudged(model, 1.0, seed=9), steps=1, start_step=5)  # resumed weights are not the start
    assert torch.equal(resumed.reference["top_log_probs"], fresh.reference["top_log_probs"])


def test_a_fresh_run_replaces_a_cache_left_by_an_earlier_run(tmp_path):
    cache = tmp_path / "drift_reference.pt"
    run_steps(DriftCallback(PROBES, every=1, top_k=4, cache_path=cache), tiny_model(seed=1), steps=1)
    fresh = DriftCallback(PROBES, every=1, top_k=4, cache_path=cache)
    run_steps(fresh, tiny_model(seed=2), steps=1)
    expected = start_reference(tiny_model(seed=2), CharTokenizer(), PROBES, top_k=4)
    assert torch.allclose(fresh.reference["top_log_probs"], expected["top_log_probs"])
    assert torch.allclose(torch.load(cache, weights_only=True)["top_log_probs"], expected["top_log_probs"])


def test_a_resumed_run_rebuilds_the_start_from_its_directory(tmp_path):
    model = tiny_model()
    model.save_pretrained(tmp_path / "start")
    expected = start_reference(model, CharTokenizer(), PROBES, top_k=4)
    callback = DriftCallback(PROBES, every=1, top_k=4, start_model=tmp_path / "start")
    run_steps(callback, nudged(model), steps=1, start_step=3)
    assert torch.allclose(callback.reference["top_log_probs"], expected["top_log_probs"])


def test_a_resumed_run_without_the_start_is_refused():
    callback = DriftCallback(PROBES, every=1)
    with pytest.raises(ValueError, match="give cache_path .* or start_model"):
        run_steps(callback, tiny_model(), steps=1, start_step=3)


@pytest.mark.parametrize("kwargs", [{"probe_texts": []}, {"every": 0}, {"top_k": 0}, {"max_length": 1}])
def test_bad_settings_are_refused(kwargs):
    values = {"probe_texts": PROBES, "every": 1, **kwargs}
    with pytest.raises(ValueError, match="DriftCallback"):
        DriftCallback(**values)
