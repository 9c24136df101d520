"""The vision-language path on a tiny LLaVA built from configs in the test (no download)."""

import json

import pytest

pytest.importorskip("PIL")

from typer.testing import CliRunner  # noqa: E402

from habits.cli import app  # noqa: E402
from habits.evaluate import evaluate  # noqa: E402
from habits.models.tiny_vlm import build_tiny_vlm, tiny_vlm_texts  # noqa: E402
from habits.tasks import get_task  # noqa: E402
from habits.vision import attach_images, generate_images, load_vlm, prompt_images  # noqa: E402

TASK_ARGS = {"modality": "image", "ood": "visual"}


@pytest.fixture(scope="module")
def vlm(tmp_path_factory):
    import torch

    torch.set_num_threads(1)
    task = get_task("general_points", **TASK_ARGS)
    return build_tiny_vlm(tmp_path_factory.mktemp("vlm") / "llava", tiny_vlm_texts(task))


def test_prompts_carry_their_images_through_revisions():
    task = get_task("general_points", **TASK_ARGS)
    problem = task.generate(1, "train", seed=0)[0]
    prompt = attach_images(task.prompt(problem), task.images(problem))
    assert len(prompt_images(prompt)) == 1
    from habits.episodes import revise

    revised = revise(prompt, "{}", "You failed this trial because you recognized wrong cards.")
    assert prompt_images(revised) == prompt_images(prompt) and revised[-1]["role"] == "user"


def test_a_tiny_vlm_samples_from_image_prompts(vlm):
    task = get_task("general_points", **TASK_ARGS)
    loaded = load_vlm(vlm)
    problems = task.generate(3, "test", seed=0)
    prompts = [attach_images(task.prompt(p), task.images(p)) for p in problems]
    from habits.sample import SamplingConfig

    groups = generate_images(loaded, prompts, SamplingConfig(temperature=0.0, max_new_tokens=5, batch_size=2))
    assert len(groups) == 3 and all(len(g) == 1 and 1 <= g[0].num_tokens <= 5 for g in groups)


def test_eval_runs_visual_general_points_on_a_vlm_with_revisions(vlm, tmp_path):
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(app, ["eval", "--model", str(vlm), "--task", "general_points", "--split", "test,ood",
                                      "--n", "2", "--max-attempts", "2", "--out", str(out),
                                      "--set", "max_new_tokens=4", "--set", "behaviors=false",
                                      "--set", "task_args={modality: image, ood: visual}"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    for split in ("test", "ood"):
        found = report["splits"][split]
        assert found["n"] == 2 and found["reasons"] == {"wrong_cards": 2}  # an untrained model cannot read cards
        assert found["episodes"]["per_attempt"]["2"]["n"] == 2


def test_evaluate_accepts_a_loaded_vlm(vlm):
    result = evaluate(load_vlm(vlm), "general_points", "test", n=1, max_new_tokens=3, progress=False,
                      task_args=TASK_ARGS, behaviors=False)
    assert result["n"] == 1 and result["accuracy"] == 0.0


@pytest.mark.slow
def test_grpo_trains_a_tiny_vlm_on_visual_general_points(vlm, tmp_path):
    import torch
    from safetensors.torch import load_file

    from habits.train.config import load_config
    from habits.train.rl import main

    spy = []

    def spread(completions, images=None, **columns):  # a reward with spread, so GRPO has a signal
        spy.append(images)
        return [len(str(c)) / 100 for c in completions]

    config = load_config(None, {"model": str(vlm), "output_dir": str(tmp_path / "run"), "task": "general_points",
                                "task_args": TASK_ARGS, "max_steps": 2, "save_steps": 2,
                                "per_device_train_batch_size": 4, "num_generations": 2, "learning_rate": 1e-3,
                                "max_completion_length": 6, "train_size": 8, "eval_every": 2, "eval_n": 2,
                                "eval_max_new_tokens": 4, "report_to": [], "behaviors": False,
                                "extra_rewards": [spread]}, stage="rl")
    summary = main(config)
    assert summary["status"] == "completed" and summary["global_step"] == 2
    before = load_file(str(vlm / "model.safetensors"))
    after = load_file(str(tmp_path / "run" / "model" / "model.safetensors"))
    assert any(not torch.equal(before[name], after[name]) for name in before if name in after)
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert "eval_ood/accuracy" in lines[0]  # the periodic evaluation ran on images too
    assert spy and spy[0] is not None  # the rewards saw the image column


@pytest.mark.slow
def test_grpo_revises_on_visual_general_points_with_the_image_in_every_attempt(vlm, tmp_path, monkeypatch):
    import torch
    from safetensors.torch import load_file

    from habits.train.config import load_config
    from habits.train.rl import main
    from habits.train.trl_seam import HabitsGRPOTrainer

    seen, generations = [], []
    original = HabitsGRPOTrainer._generate_single_turn

    def watched(self, prompt_ids, images, multimodal_fields, num_generations, **kwargs):
        generations.append((len(prompt_ids), images, multimodal_fields))
        return original(self, prompt_ids, images, multimodal_fields, num_generations, **kwargs)

    monkeypatch.setattr(HabitsGRPOTrainer, "_generate_single_turn", watched)

    def spy(completions, attempt_rewards=None, attempts=None, images=None, **columns):
        seen.append({"attempt_rewards": attempt_rewards, "attempts": attempts, "images": images,
                     "completions": completions})
        return [len(str(c)) / 100 for c in completions]  # spread, so GRPO has a signal

    config = load_config(None, {"model": str(vlm), "output_dir": str(tmp_path / "run"), "task": "general_points",
                                "task_args": TASK_ARGS, "max_steps": 2, "save_steps": 2, "revise_attempts": 2,
                                "per_device_train_batch_size": 4, "num_generations": 2, "learning_rate": 1e-3,
                                "max_completion_length": 6, "train_size": 8, "eval_every": 0, "report_to": [],
                                "behaviors": False, "logging_steps": 1, "extra_rewards": [spy]}, stage="rl")
    summary = main(config)
    assert summary["status"] == "completed" and summary["global_step"] == 2
    # An untrained model never reads the cards, so every rollout used both attempts, each with its own reward.
    first = seen[0]
    assert first["attempts"] == [2, 2, 2, 2] and first["images"] is not None
    assert all(len(rewards) == 2 for rewards in first["attempt_rewards"])
    assert all("You failed this trial because" in str(c) for c in first["completions"])
    # Both attempts of each step were generated with one image and its pixel values per context.
    assert len(generations) == 4
    assert all(images is not None and [len(i) for i in images] == [1] * n and len(fields["pixel_values"]) == n
               for n, images, fields in generations)
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    logged = [line for line in lines if "revise/first_attempt_reward" in line]
    assert len(logged) == 2 and all(line["revise/attempts"] == 2.0 for line in logged)
    assert all(line["revise/last_attempt_reward"] < line["revise/first_attempt_reward"] for line in logged)  # over budget
    before = load_file(str(vlm / "model.safetensors"))
    after = load_file(str(tmp_path / "run" / "model" / "model.safetensors"))
    assert any(not torch.equal(before[name], after[name]) for name in before if name in after)


def test_revision_bridge_of_an_image_prompt_is_text_after_the_image_turn(vlm):
    from transformers import AutoProcessor

    from habits.train.rollouts import chat_bridge_text

    task = get_task("general_points", **TASK_ARGS)
    problem = task.generate(1, "train", seed=0)[0]
    prompt = attach_images(task.prompt(problem), task.images(problem))
    text = chat_bridge_text(AutoProcessor.from_pretrained(vlm), prompt, "You failed this trial because of cards.")
    assert "<image>" not in text and "of cards." in text and text.endswith("<|im_start|>assistant\n")


def test_vllm_gets_chat_text_with_one_placeholder_and_the_image_and_answers_in_prompt_order(vlm, monkeypatch):
    import sys
    import types

    from transformers import AutoProcessor

    from habits.sample import SamplingConfig
    from habits.vision import LoadedVLM, vllm_requests

    task = get_task("general_points", **TASK_ARGS)
    problems = task.generate(2, "test", seed=0)
    prompts = [attach_images(task.prompt(p), task.images(p)) for p in problems]
    processor = AutoProcessor.from_pretrained(vlm)
    requests = vllm_requests(processor, prompts)
    assert [r["prompt"].count("<image>") for r in requests] == [1, 1]  # vLLM expands the placeholder itself
    assert requests[0]["prompt"].endswith("<|im_start|>assistant\n")
    assert requests[1]["multi_modal_data"]["image"] is prompt_images(prompts[1])[0]

    class Engine:  # stands in for vllm.LLM.generate
        def __init__(self):
            self.sent = None

        def generate(self, sent, params, use_tqdm=True):
            self.sent = sent
            return [types.SimpleNamespace(outputs=[types.SimpleNamespace(text=f"reply {i}", token_ids=[1, 2],
                                                                         finish_reason="stop")])
                    for i in range(len(sent))]

    fake = types.ModuleType("vllm")
    fake.SamplingParams = lambda **kwargs: types.SimpleNamespace(kwargs=kwargs)
    monkeypatch.setitem(sys.modules, "vllm", fake)
    engine = Engine()
    groups = generate_images(LoadedVLM(engine, processor, "vllm"), prompts, SamplingConfig(temperature=0, n=2))
    assert [[c.text for c in g] for g in groups] == [["reply 0", "reply 0"], ["reply 1", "reply 1"]]
    assert engine.sent[0]["multi_modal_data"]["image"] is prompt_images(prompts[0])[0]


def test_asking_for_vllm_on_a_vlm_without_vllm_says_how_to_install(vlm):
    from habits.sample import SamplingConfig, vllm_available

    if vllm_available():
        pytest.skip("checks the message shown when vLLM is missing")
    with pytest.raises(ValueError, match=r"pip install -e '\.\[vllm\]'"):
        load_vlm(vlm, config=SamplingConfig(backend="vllm"))
