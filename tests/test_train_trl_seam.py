"""The TRL seam: the start-up check fails with one sentence when TRL lacks what RL uses, and batches
joined for dynamic sampling keep TRL's layout (padding sides, loss mask, token count)."""

from types import SimpleNamespace

import pytest
import torch
import trl

from habits.train import trl_seam
from habits.train.trl_seam import IncompatibleTRL, check_trl


def test_installed_trl_has_everything_the_rl_stage_uses():
    assert check_trl(rollout=True, batches=True).startswith("1.16")


def test_trl_without_the_private_generation_method_fails_in_one_sentence(monkeypatch):
    def generate_single_turn(self, prompt_ids):  # what an older or newer TRL might have instead
        return None

    monkeypatch.setattr(trl.GRPOTrainer, "_generate_single_turn", generate_single_turn)
    with pytest.raises(IncompatibleTRL) as caught:
        check_trl(rollout=True)
    message = str(caught.value)
    assert "_generate_single_turn(prompt_ids, images, multimodal_fields, num_generations)" in message
    assert "\n" not in message and message.count(". ") == 0 and "pip install 'trl>=1.16,<1.17'" in message
    check_trl(rollout=False)  # single-attempt RL does not use it, so it still starts


def test_trl_without_rollout_func_or_env_mask_is_refused_for_verify_and_revise(monkeypatch):
    monkeypatch.setattr(trl_seam, "_source_mentions", lambda func, text: text != '"env_mask"')
    with pytest.raises(IncompatibleTRL, match="'env_mask' key of rollout_func output"):
        check_trl(rollout=True)


def test_older_trl_release_is_refused_before_any_model_loads(monkeypatch):
    monkeypatch.setattr(trl_seam.importlib.metadata, "version", lambda name: "0.23.1")
    with pytest.raises(IncompatibleTRL, match="installed trl 0.23.1: it is older"):
        check_trl()


def test_cli_check_reports_the_missing_piece_as_one_line(monkeypatch):
    from typer.testing import CliRunner

    from habits.cli import app

    monkeypatch.setattr(trl.GRPOTrainer, "_tokenize_prompts", lambda self, prompts, images: None)
    result = CliRunner().invoke(app, ["train", "rl", "--set", "revise_attempts=2", "--check"])
    assert isinstance(result.exception, IncompatibleTRL) and "_tokenize_prompts(prompts)" in str(result.exception)


def _batch(width, rows, value):
    return {
        "prompt_ids": torch.full((rows, 3), 7), "prompt_mask": torch.ones(rows, 3, dtype=torch.long),
        "completion_ids": torch.full((rows, width), value), "completion_mask": torch.ones(rows, width, dtype=torch.long),
        "advantages": torch.arange(rows, dtype=torch.float) + value, "num_items_in_batch": torch.tensor(rows * width),
    }


def fake_trainer():
    from accelerate import Accelerator

    return SimpleNamespace(accelerator=Accelerator(cpu=True), processing_class=SimpleNamespace(pad_token_id=0))


def test_joined_batches_keep_only_chosen_groups_padded_the_way_trl_pads():
    first, second = _batch(width=2, rows=4, value=1), _batch(width=5, rows=4, value=2)
    second["prompt_ids"] = torch.full((4, 4), 9)
    second["prompt_mask"] = torch.ones(4, 4, dtype=torch.long)
    out = trl_seam._merge(fake_trainer(), [(first, [1]), (second, [0])], size=2)
    assert out["completion_ids"].shape == (4, 5) and out["prompt_ids"].shape == (4, 4)
    assert out["prompt_ids"][0].tolist() == [0, 7, 7, 7]  # prompts are padded on the left
    assert out["completion_mask"][0].tolist() == [1, 1, 0, 0, 0]  # completions on the right
    assert out["advantages"].tolist() == [3.0, 4.0, 2.0, 3.0]  # rows 2-3 of the first batch, 0-1 of the second
    assert int(out["num_items_in_batch"]) == 2 * 2 + 2 * 5  # recounted over what is kept


def test_filler_groups_are_in_the_batch_but_out_of_the_loss():
    batch = _batch(width=3, rows=4, value=1)
    filled = trl_seam._without_signal(batch, [1], size=2)
    out = trl_seam._merge(fake_trainer(), [(batch, [0]), (filled, [1])], size=2)
    assert out["completion_mask"][2:].sum() == 0 and out["advantages"][2:].tolist() == [0.0, 0.0]
    assert int(out["num_items_in_batch"]) == 2 * 3


def test_batches_with_images_are_refused_by_dynamic_sampling():
    batch = {**_batch(width=2, rows=2, value=1), "pixel_values": torch.zeros(2, 3)}
    with pytest.raises(RuntimeError, match="text-only.*pixel_values"):
        trl_seam._merge(fake_trainer(), [(batch, [0])], size=2)
