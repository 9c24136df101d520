"""Resuming a run directory: only the same run, only from an intact checkpoint (no training needed)."""

import json
import struct
import subprocess
import sys
import zipfile

import pytest
import yaml

from habits.train.config import load_config
from habits.train.runs import check_resume_config, resume_point


def rl_config(model, out, **extra):
    values = {"model": str(model), "output_dir": str(out), "max_steps": 8, "save_steps": 4,
              "per_device_train_batch_size": 4, "num_generations": 2, "learning_rate": 1e-5, "report_to": [],
              "task_args": {"min_numbers": 3, "max_numbers": 3}}
    values.update(extra)
    return load_config(None, values, stage="rl")


def write_safetensors(path, size=16, cut=0):
    header = json.dumps({"w": {"dtype": "F32", "shape": [size // 4], "data_offsets": [0, size]}}).encode()
    data = struct.pack("<Q", len(header)) + header + bytes(size)
    path.write_bytes(data[: len(data) - cut])


def write_checkpoint(folder, step, optimizer=True, cut_weights=0):
    folder.mkdir(parents=True)
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    write_safetensors(folder / "model.safetensors", cut=cut_weights)
    for name in ("optimizer.pt", "scheduler.pt") if optimizer else ("scheduler.pt",):
        with zipfile.ZipFile(folder / name, "w") as archive:
            archive.writestr("data.pkl", b"state")
    return folder


@pytest.fixture
def tiny_model_dir(tmp_path):
    """A directory that passes the model checks (config.json + whole weights); nothing here loads it."""
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "qwen2"}))
    write_safetensors(model / "model.safetensors")
    return model


@pytest.fixture
def interrupted_run(tmp_path, tiny_model_dir):
    """A run directory as an interrupted `habits train rl` leaves it: config.yaml and two checkpoints."""
    out = tmp_path / "run"
    config = rl_config(tiny_model_dir, out)
    write_checkpoint(out / "checkpoint-4", 4)
    write_checkpoint(out / "checkpoint-8", 8)
    (out / "config.yaml").write_text(yaml.safe_dump({"stage": "rl", **config.to_dict()}))
    return out


def test_resuming_under_a_changed_config_is_refused_naming_the_changed_fields(interrupted_run, tiny_model_dir):
    changed = rl_config(tiny_model_dir, interrupted_run, learning_rate=0.5,
                        task_args={"min_numbers": 3, "max_numbers": 3, "target_range": [50, 90]})
    with pytest.raises(ValueError, match=r"different config \(changed: (?=.*learning_rate 1e-05 -> 0.5)"
                                         r"(?=.*task_args .*target_range)"):
        check_resume_config(changed)
    check_resume_config(rl_config(tiny_model_dir, interrupted_run, max_steps=16, save_steps=2, eval_every=0))
    check_resume_config(rl_config(tiny_model_dir, interrupted_run, learning_rate=0.5, resume="never"))


def test_the_cli_refuses_the_changed_resume_before_training(interrupted_run, tmp_path, tiny_model_dir):
    recipe = tmp_path / "rl.yaml"
    recipe.write_text((interrupted_run / "config.yaml").read_text())
    result = subprocess.run([sys.executable, "-m", "habits", "train", "rl", "--config", str(recipe), "--set",
                             "learning_rate=0.5", "--set", "max_steps=16", "--check"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "changed: learning_rate 1e-05 -> 0.5" in result.stderr
    assert "max_steps" not in result.stderr.split("changed:")[1].split(")")[0]


def test_a_damaged_latest_checkpoint_falls_back_to_the_one_before(interrupted_run, tiny_model_dir, capsys):
    weights = interrupted_run / "checkpoint-8" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-5])
    assert resume_point(rl_config(tiny_model_dir, interrupted_run)).endswith("checkpoint-4")
    assert "skipped damaged checkpoint-8 (model.safetensors is truncated" in capsys.readouterr().err
    optimizer = interrupted_run / "checkpoint-4" / "optimizer.pt"
    optimizer.write_bytes(optimizer.read_bytes()[:10])
    with pytest.raises(ValueError, match="no intact checkpoint.*resume: never"):
        resume_point(rl_config(tiny_model_dir, interrupted_run))


def test_a_checkpoint_without_optimizer_state_is_refused_not_resumed_with_a_fresh_optimizer(
        interrupted_run, tiny_model_dir):
    (interrupted_run / "checkpoint-8" / "optimizer.pt").unlink()
    with pytest.raises(ValueError, match="checkpoint-8 cannot be resumed: it has no optimizer.pt"):
        resume_point(rl_config(tiny_model_dir, interrupted_run))
    with pytest.raises(ValueError, match="cannot be resumed: it has no optimizer.pt"):
        resume_point(rl_config(tiny_model_dir, interrupted_run, resume=str(interrupted_run / "checkpoint-8")))
