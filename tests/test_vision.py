"""A model without a vision tower given an image task fails before any heavy work, naming the model."""

import json

import pytest

from habits.evaluate import EvalConfig
from habits.tasks import get_task
from habits.vision import check_vision, model_sees_images


def _model(tmp_path, name, config):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    return str(folder)


def test_a_text_model_given_an_image_task_is_refused_with_what_to_do(tmp_path):
    text_model = _model(tmp_path, "text", {"model_type": "qwen2", "hidden_size": 8})
    with pytest.raises(ValueError, match="text/config.json: this model has no vision tower") as caught:
        check_vision(text_model, get_task("general_points", modality="image"))
    assert "modality=text" in str(caught.value)
    check_vision(text_model, get_task("general_points"))  # text tasks are fine


def test_a_vision_language_model_passes(tmp_path):
    vlm = _model(tmp_path, "vlm", {"model_type": "qwen2_5_vl", "vision_config": {"depth": 1}})
    assert model_sees_images(vlm) is True
    check_vision(vlm, get_task("general_points", modality="image"))
    assert model_sees_images("Qwen/Qwen2.5-VL-3B-Instruct") is None  # not on disk: cannot tell, not refused


def test_eval_refuses_before_loading_the_model(tmp_path):
    text_model = _model(tmp_path, "text", {"model_type": "llama"})
    config = EvalConfig(model=text_model, task="general_points", task_args={"modality": "image"})
    with pytest.raises(ValueError, match="no vision tower"):
        config.check_inputs()
