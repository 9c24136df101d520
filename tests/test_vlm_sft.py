"""SFT priming on images: visual GeneralPoints rows with their images, stored in Parquet and JSONL, train a
tiny LLaVA built in the test (no download); broken rows and text-only models are refused before training."""

import json

import pytest

pytest.importorskip("PIL")

import datasets  # noqa: E402

from habits.io import InputError, load_rows, write_rows  # noqa: E402
from habits.tasks import get_task  # noqa: E402
from habits.traces import make_rows  # noqa: E402
from habits.traces.data import PrimeConfig  # noqa: E402
from habits.traces.data import main as prime  # noqa: E402
from habits.train.data import load_sft_rows  # noqa: E402

TASK_ARGS = {"modality": "image", "ood": "visual"}


def _png(image):
    from habits.tasks.cards import png_bytes

    return png_bytes(image)


@pytest.fixture(scope="module")
def primed(tmp_path_factory):
    """Priming rows of visual GeneralPoints written both ways (chat format), and the task."""
    root = tmp_path_factory.mktemp("prime")
    for name in ("prime_pq.parquet", "prime.jsonl"):
        prime(PrimeConfig(task="general_points", task_config=TASK_ARGS, n=6, format="chat", register="terse",
                          out=root / name), progress=False)
    return root, get_task("general_points", **TASK_ARGS)


def test_parquet_priming_rows_load_in_datasets_with_the_same_image_bytes_and_no_image_files(primed):
    root, task = primed
    assert not (root / "prime_pq_images").exists()  # the images are inside the file
    loaded = datasets.load_dataset("parquet", data_files=str(root / "prime_pq.parquet"), split="train")
    assert isinstance(loaded.features["images"], datasets.List)
    assert isinstance(loaded.features["images"].feature, datasets.Image)
    raw = loaded.cast_column("images", datasets.List(datasets.Image(decode=False)))
    for row, rawrow in zip(loaded, raw, strict=True):
        problem = row["problem"]
        expected = _png(task.images(problem)[0])
        assert rawrow["images"][0]["bytes"] == expected  # the PNG itself, not a path to it
        assert row["images"][0].size == task.images(problem)[0].size
    assert [part["type"] for part in loaded[0]["prompt"][0]["content"]] == ["image", "text"]


def test_jsonl_priming_rows_point_at_png_files_that_datasets_opens(primed):
    root, task = primed
    rows = load_rows(root / "prime.jsonl")
    assert all(isinstance(path, str) and path.endswith(".png") for row in rows for path in row["images"])
    loaded = datasets.load_dataset("json", data_files=str(root / "prime.jsonl"), split="train")
    loaded = loaded.cast_column("images", datasets.List(datasets.Image(decode=False)))
    with open(loaded[0]["images"][0]["path"], "rb") as handle:
        assert handle.read() == _png(task.images(rows[0]["problem"])[0])


def test_priming_rows_of_image_tasks_keep_the_trace_and_verify_correct(primed):
    root, task = primed
    rows = load_rows(root / "prime_pq.parquet")
    assert all(row["correct"] for row in rows)
    text_task = get_task("general_points")
    text_row = next(make_rows(text_task, "all", [rows[0]["problem"]], register="terse"))
    # The reasoning is the program's, as for text; the answer also states the cards the image shows.
    assert text_row["answer"] == rows[0]["answer"] and '"cards"' in rows[0]["completion"][0]["content"]


def test_a_row_whose_image_is_broken_is_named_before_training(primed, tmp_path):
    root, _ = primed
    rows = load_rows(root / "prime.jsonl")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    rows[1]["images"] = [str(broken)]
    write_rows(tmp_path / "bad.jsonl", rows)
    with pytest.raises(InputError, match=r"bad.jsonl:2: images\[0\].*cannot be decoded"):
        load_sft_rows(tmp_path / "bad.jsonl")


def test_a_row_with_fewer_images_than_its_prompt_shows_is_refused(primed, tmp_path):
    root, _ = primed
    rows = load_rows(root / "prime_pq.parquet")
    rows[2]["images"] = []
    write_rows(tmp_path / "short.parquet", rows)
    with pytest.raises(InputError, match=r"short.parquet row 3: the prompt has 1 image part\(s\) but the row has 0"):
        load_sft_rows(tmp_path / "short.parquet")


def test_jsonl_rows_moved_with_their_images_folder_still_load(primed, tmp_path):
    root, _ = primed
    import shutil

    moved = tmp_path / "moved"
    moved.mkdir()
    rows = load_rows(root / "prime.jsonl")
    for row in rows:  # paths as a user would write them: relative to the file
        row["images"] = ["prime_images/" + path.rsplit("/", 1)[1] for path in row["images"]]
    (moved / "prime.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    shutil.copytree(root / "prime_images", moved / "prime_images")
    examples = load_sft_rows(moved / "prime.jsonl")
    assert all(example["images"][0]["path"].startswith(str(moved)) for example in examples)


def test_sft_refuses_a_text_only_model_for_rows_with_images_before_writing_anything(primed, tiny_model_dir,
                                                                                     tmp_path):
    from habits.train.config import load_config
    from habits.train.sft import main

    root, _ = primed
    config = load_config(None, {"model": str(tiny_model_dir), "data": str(root / "prime_pq.parquet"),
                                "output_dir": str(tmp_path / "run"), "report_to": []}, stage="sft")
    with pytest.raises(ValueError, match="config.json: this model has no vision tower") as caught:
        main(config)
    assert str(tiny_model_dir) in str(caught.value)
    assert "prime_pq.parquet" in str(caught.value) and "Qwen2.5-VL" in str(caught.value)
    assert not (tmp_path / "run" / "config.yaml").exists()  # nothing written before the refusal


def test_sft_refuses_packing_rows_with_images_before_loading_the_model(primed, tmp_path):
    from habits.models.tiny_vlm import build_tiny_vlm
    from habits.train.config import load_config
    from habits.train.sft import main

    root, _ = primed
    vlm = build_tiny_vlm(tmp_path / "llava", ["cards 24"] * 4, vocab_size=300)
    config = load_config(None, {"model": str(vlm), "data": str(root / "prime.jsonl"), "packing": True,
                                "output_dir": str(tmp_path / "run"), "report_to": []}, stage="sft")
    with pytest.raises(ValueError, match="packing: .*prime.jsonl show images.*packing: false"):
        main(config)
    assert not (tmp_path / "run" / "config.yaml").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["prime_pq.parquet", "prime.jsonl"])
def test_sft_trains_a_tiny_vlm_on_visual_general_points_rows(primed, tmp_path, name, one_torch_thread):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from habits.models.tiny_vlm import build_tiny_vlm, tiny_vlm_texts
    from habits.train.config import load_config
    from habits.train.sft import main

    root, task = primed
    texts = tiny_vlm_texts(task) + [row["completion"][0]["content"] for row in load_rows(root / "prime.jsonl")]
    vlm = build_tiny_vlm(tmp_path / "llava", texts)
    config = load_config(None, {"model": str(vlm), "data": str(root / name),
                                "output_dir": str(tmp_path / "run"), "max_steps": 3, "save_steps": 3,
                                "per_device_train_batch_size": 2, "learning_rate": 1e-3, "report_to": [],
                                "max_length": 1024}, stage="sft")
    summary = main(config)
    assert summary["status"] == "completed" and summary["global_step"] == 3
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert lines and all(torch.isfinite(torch.tensor(line["loss"])) for line in lines)
    before = load_file(str(vlm / "model.safetensors"))
    after = load_file(str(tmp_path / "run" / "model" / "model.safetensors"))
    changed = [name for name in before if name in after and not torch.equal(before[name], after[name])]
    assert any("vision" in name or "projector" in name for name in changed)  # the images reached the model
    assert any("language_model" in name or "lm_head" in name for name in changed)
    AutoProcessor.from_pretrained(tmp_path / "run" / "model")  # saved with its processor
    AutoModelForImageTextToText.from_pretrained(tmp_path / "run" / "model")
