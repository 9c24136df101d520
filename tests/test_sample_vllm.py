"""The vLLM generation path without vLLM: argument mapping and output handling against a stand-in.

vLLM needs a GPU and is not installed here; these tests check what habits hands to ``vllm.LLM`` and
``vllm.SamplingParams`` and how it reads the outputs back. The engine itself is only exercised on a GPU.
"""

import sys
import types
from dataclasses import dataclass

import pytest

from habits.sample import (
    END_TOKENS,
    LoadedModel,
    SamplingConfig,
    generate,
    load_model,
    vllm_available,
    vllm_engine_args,
    vllm_sampling_args,
)


def test_greedy_asks_vllm_for_one_sequence_and_sampling_for_n():
    greedy = vllm_sampling_args(SamplingConfig(temperature=0, n=4, top_p=0.5, max_new_tokens=7), [2, 5])
    assert (greedy["n"], greedy["temperature"], greedy["top_p"], greedy["max_tokens"]) == (1, 0.0, 1.0, 7)
    sampled = vllm_sampling_args(SamplingConfig(temperature=0.7, n=4, top_p=0.9, seed=3, stop=("</answer>",)), [2])
    assert (sampled["n"], sampled["temperature"], sampled["top_p"], sampled["seed"]) == (4, 0.7, 0.9, 3)
    assert sampled["stop"] == ["</answer>"] and sampled["include_stop_str_in_output"] is True
    assert sampled["stop_token_ids"] == [2] and vllm_sampling_args(SamplingConfig(), [])["stop"] is None


def test_engine_arguments_carry_seed_dtype_and_user_overrides():
    args = vllm_engine_args("/models/m", SamplingConfig(seed=9, dtype="bfloat16",
                                                        vllm_args={"tensor_parallel_size": 2, "seed": 1}))
    assert args == {"model": "/models/m", "seed": 1, "dtype": "bfloat16", "tensor_parallel_size": 2}
    with pytest.raises(ValueError, match="vllm_args must be a mapping"):
        SamplingConfig(vllm_args=["tensor_parallel_size=2"])


@pytest.mark.skipif(vllm_available(), reason="checks the message shown when vLLM is missing")
def test_asking_for_vllm_without_it_says_how_to_install(tiny_model_dir):
    with pytest.raises(ValueError, match=r"pip install -e '\.\[vllm\]'"):
        load_model(tiny_model_dir, SamplingConfig(backend="vllm"))


@dataclass
class Output:
    text: str
    token_ids: list
    finish_reason: str


class FakeEngine:
    """Stands in for vllm.LLM.generate: one output group per prompt, recording what it was asked."""

    def __init__(self):
        self.calls = []

    def generate(self, prompts, params, use_tqdm=True):
        self.calls.append((prompts, params))
        return [types.SimpleNamespace(outputs=[Output(f"reply {i}.{j}", [1] * (j + 1), "stop" if j else "length")
                                               for j in range(params.kwargs["n"])]) for i in range(len(prompts))]


def test_vllm_outputs_become_completions_in_prompt_order(tiny_model_dir, monkeypatch):
    from transformers import AutoTokenizer

    fake = types.ModuleType("vllm")
    fake.SamplingParams = lambda **kwargs: types.SimpleNamespace(kwargs=kwargs)
    monkeypatch.setitem(sys.modules, "vllm", fake)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    engine = FakeEngine()
    loaded = LoadedModel(engine, tokenizer, "vllm", str(tiny_model_dir))
    prompts = ["first prompt", [{"role": "user", "content": "second"}]]
    groups = generate(loaded, prompts, SamplingConfig(temperature=1.0, n=2, progress=False))
    assert [[c.text for c in g] for g in groups] == [["reply 0.0", "reply 0.1"], ["reply 1.0", "reply 1.1"]]
    assert [c.finish_reason for c in groups[0]] == ["length", "stop"] and groups[0][1].num_tokens == 2
    sent, params = engine.calls[0]
    assert sent[0]["prompt_token_ids"] == tokenizer("first prompt")["input_ids"]
    ends = {tokenizer.convert_tokens_to_ids(t) for t in END_TOKENS if t in tokenizer.get_vocab()}
    assert ends <= set(params.kwargs["stop_token_ids"])
    greedy = generate(loaded, prompts, SamplingConfig(temperature=0, n=3, progress=False))
    assert engine.calls[-1][1].kwargs["n"] == 1 and [c.text for c in greedy[1]] == ["reply 1.0"] * 3


def test_a_vision_language_model_tells_vllm_how_many_images_a_prompt_carries():
    args = vllm_engine_args("/models/vlm", SamplingConfig(seed=2), images_per_prompt=1)
    assert args["limit_mm_per_prompt"] == {"image": 1} and args["model"] == "/models/vlm"
    assert "limit_mm_per_prompt" not in vllm_engine_args("/models/m", SamplingConfig())  # text models: none
    mine = vllm_engine_args("/m", SamplingConfig(vllm_args={"limit_mm_per_prompt": {"image": 4}}), images_per_prompt=1)
    assert mine["limit_mm_per_prompt"] == {"image": 4}  # the user's vllm_args win
