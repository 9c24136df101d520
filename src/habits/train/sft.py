"""SFT priming: TRL's SFTTrainer on priming traces, loss on the completion only.

``main(config)`` is the whole stage; ``habits train sft --config F.yaml`` calls it. Rows become
TRL prompt-completion examples (:mod:`habits.train.data`), so the prompt is context and only the
trace is learned. The same command resumes an interrupted run from its last complete checkpoint;
Ctrl-C saves one first. The trained model lands in ``<output_dir>/model``.

Rows with images (image tasks: an ``images`` column) train a vision-language model: the model's
processor (``AutoProcessor``) replaces the tokenizer, and TRL's vision collator turns each batch's
images into pixel values. The rows load and their images are checked before the model does, and a
model without a vision tower is refused then; the processor is saved with the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from habits.train.config import SFTConfig


def main(config: SFTConfig, callbacks: list[Any] | None = None) -> dict[str, Any]:
    """Run SFT priming; returns the summary (also written to ``<output_dir>/summary.json``)."""
    config.check_inputs()
    from habits.train import runs

    runs.preflight(config)  # output_dir writable, resume consistent, checkpoint intact
    from habits.row_images import IMAGES
    from habits.train.data import as_dataset, load_sft_rows

    # Rows first: a bad row, an image that cannot be decoded or a model that cannot see the images
    # is reported before the run directory is written and before the model loads.
    examples = load_sft_rows(config.data, config.columns, config.limit)
    held_out = load_sft_rows(config.eval_data, config.columns) if config.eval_data else None
    vision = any(IMAGES in example for example in [*examples, *(held_out or [])])
    if vision:
        from habits.vision import check_vision_rows

        check_vision_rows(config.model, config.data)
        if config.args.packing:  # TRL refuses it too, but only after loading the model
            raise ValueError(f"packing: the rows of {config.data} show images, and TRL cannot pack image rows; "
                             "set packing: false")

    runs.setup_torch(config)
    from habits.train import trl_seam

    from habits.train.callbacks import MetricsJsonl, StopOnSignal

    out = runs.prepare_run_dir(config)
    train = as_dataset(examples)
    evaluation = as_dataset(held_out) if held_out else None
    args = config.trl_args()
    tokenizer = _processing_class(config.model, vision)
    stop = StopOnSignal()
    monitors = runs.monitor_callbacks(config, config.build_task() if config.task else None)  # compute/*, drift/*
    trainer = trl_seam.sft_trainer(
        model=config.model, args=args, train_dataset=train, eval_dataset=evaluation, processing_class=tokenizer,
        peft_config=runs.peft_config(config),
        callbacks=[*monitors, MetricsJsonl(out / "metrics.jsonl"), stop, *(callbacks or [])],
    )
    if config.eval_every or config.eval_at_steps:  # held-out ID/OOD accuracy along SFT, as RL logs it (the SFT-vs-RL study's curves)
        from habits.evaluate import in_training_eval
        from habits.train.callbacks import PeriodicEval

        evaluate_fn = in_training_eval(config.build_task, config.eval_splits, config.eval_n,
                                       config.eval_max_new_tokens, seed=config.seed, behaviors=config.behaviors)
        trainer.add_callback(PeriodicEval(trainer, config.eval_every, evaluate_fn, at_start=config.eval_at_start,
                                          steps=config.eval_at_steps))
    resume = runs.resume_point(config)
    result = trainer.train(resume_from_checkpoint=resume)
    summary: dict[str, Any] = {
        "stage": "sft", "model": config.model, "data": config.data, "rows": len(train),
        "global_step": trainer.state.global_step, "resumed_from": resume,
        "train_loss": result.training_loss, **runs.last_logged(trainer, "loss", "mean_token_accuracy"),
    }
    summary["flops"] = monitors[0].flops  # the arm's training compute so far (the paper's estimate)
    if stop.requested:
        summary.update(status="interrupted", checkpoint=_last(out))
    else:
        summary.update(status="completed", model_dir=str(runs.save_final_model(trainer, out)))
    if trainer.accelerator.is_main_process:
        runs.write_summary(out, summary)
    return summary


def _processing_class(model: str, vision: bool) -> Any:
    """The tokenizer, or for rows with images the model's processor (tokenizer + image processor)."""
    if vision:
        from transformers import AutoProcessor

        processor = AutoProcessor.from_pretrained(model)
        tokenizer = processor.tokenizer
    else:
        from transformers import AutoTokenizer

        processor = tokenizer = AutoTokenizer.from_pretrained(model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return processor


def _last(out: Path) -> str | None:
    from habits.train.runs import complete_checkpoints

    found = complete_checkpoints(out)
    return str(found[-1]) if found else None
