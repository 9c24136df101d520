"""Sampling from a model directory: shapes, determinism, padding, chat prompts, stopping."""

from __future__ import annotations

import pytest

from habits.sample import (
    Completion,
    LoadedModel,
    SamplingConfig,
    end_token_ids,
    finish,
    generate,
    load_model,
    sample,
)


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Every test here samples."""


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return load_model(tiny_model_dir, SamplingConfig(device="cpu", progress=False))


PROMPTS = [
    "Using the numbers [19, 36, 55, 7], create an equation that equals 65.",
    [{"role": "user", "content": "Make 24 from 4, 5, 10, 10."}],
    "x",
]


def config(**kwargs) -> SamplingConfig:
    settings = {"max_new_tokens": 12, "progress": False, "device": "cpu"}
    settings.update(kwargs)
    return SamplingConfig(**settings)


def test_sample_returns_n_completions_per_prompt_without_the_prompt(model):
    groups = generate(model, PROMPTS, config(n=3, temperature=1.0))
    assert len(groups) == len(PROMPTS) and all(len(group) == 3 for group in groups)
    for group in groups:
        for completion in group:
            assert isinstance(completion, Completion)
            assert "Using the numbers" not in completion.text
            assert 1 <= completion.num_tokens <= 12
            assert completion.finish_reason in ("stop", "length")


def test_sampling_with_the_same_seed_repeats_and_another_seed_differs(model):
    first = sample(model, PROMPTS, config(n=2, temperature=1.0, seed=7))
    again = sample(model, PROMPTS, config(n=2, temperature=1.0, seed=7))
    other = sample(model, PROMPTS, config(n=2, temperature=1.0, seed=8))
    assert first == again
    assert first != other


def test_greedy_is_deterministic_and_identical_across_n(model):
    groups = sample(model, PROMPTS, config(n=3, temperature=0))
    assert all(len(set(group)) == 1 for group in groups)
    assert groups == sample(model, PROMPTS, config(n=3, temperature=0, seed=99))


def test_left_padding_gives_the_same_greedy_text_as_sampling_alone(model):
    batched = sample(model, PROMPTS, config(temperature=0, batch_size=8))
    alone = [sample(model, [prompt], config(temperature=0))[0] for prompt in PROMPTS]
    assert batched == alone


def test_chat_prompts_use_the_chat_template(model):
    from habits.sample import render

    ids = render(model.tokenizer, PROMPTS[1])
    text = model.tokenizer.decode(ids)
    assert text.startswith("<|im_start|>user") and text.endswith("<|im_start|>assistant\n")


def test_model_directory_path_works_directly(tiny_model_dir):
    assert len(sample(tiny_model_dir, ["hello"], config())[0]) == 1


def test_max_new_tokens_bounds_each_completion(model):
    groups = generate(model, PROMPTS, config(max_new_tokens=5, temperature=1.0))
    assert all(c.num_tokens <= 5 for group in groups for c in group)


def test_finish_cuts_at_the_first_end_token_and_at_stop_strings(model):
    tokenizer = model.tokenizer
    ends = end_token_ids(tokenizer, model.model)
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert im_end in ends and tokenizer.eos_token_id in ends
    body = tokenizer("<answer> 1 + 2 </answer> trailing", add_special_tokens=False)["input_ids"]
    pad = tokenizer.pad_token_id
    stopped = finish(tokenizer, body + [im_end, pad, pad], ends, pad_id=pad)
    assert stopped.finish_reason == "stop" and stopped.num_tokens == len(body) + 1
    assert stopped.text == tokenizer.decode(body, skip_special_tokens=True)
    cut = finish(tokenizer, body, ends, stop=("</answer>",))
    assert cut.text.endswith("</answer>") and "trailing" not in cut.text and cut.finish_reason == "stop"
    assert finish(tokenizer, body, ends).finish_reason == "length"


def test_loaded_model_wraps_an_in_memory_model(model):
    wrapped = LoadedModel(model.model, model.tokenizer)
    assert sample(wrapped, ["x"], config(temperature=0)) == sample(model, ["x"], config(temperature=0))


def test_sampling_config_rejects_bad_values(tiny_model_dir, tmp_path):
    with pytest.raises(ValueError, match="temperature"):
        SamplingConfig(temperature=-1)
    with pytest.raises(ValueError, match="top_p"):
        SamplingConfig(top_p=0)
    with pytest.raises(ValueError, match="backend"):
        SamplingConfig(backend="magic")
    with pytest.raises(ValueError, match="device must be auto, cpu, cuda, cuda:N or mps, got 'tpu9'"):
        SamplingConfig(device="tpu9")
    with pytest.raises(ValueError, match="config.json"):
        load_model(tmp_path)


def test_generation_stops_at_the_models_context_length(model):
    limit = model.model.config.max_position_embeddings
    groups = generate(model, ["x"], config(max_new_tokens=limit + 50, temperature=1.0))
    assert groups[0][0].num_tokens <= limit
