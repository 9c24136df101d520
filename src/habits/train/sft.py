"""SFT priming: TRL's SFTTrainer on priming traces, loss on the completion only.

``main(config)`` is the whole stage; ``habits train sft --config F.yaml`` calls it. Rows become
TRL prompt-completion examples (:mod:`habits.train.data`), so the prompt is context and only the
trace is learned. The same command resumes an interrupted run from its last complete checkpoint;
Ctrl-C saves one first. The trained model lands in ``<output_dir>/model``.
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

    runs.setup_torch(config)
    import trl
    from transformers import AutoTokenizer

    from habits.train.callbacks import MetricsJsonl, StopOnSignal
    from habits.train.data import sft_dataset

    out = runs.prepare_run_dir(config)
    train = sft_dataset(config.data, config.columns, config.limit)
    evaluation = sft_dataset(config.eval_data, config.columns) if config.eval_data else None
    args = config.trl_args()
    tokenizer = AutoTokenizer.from_pretrained(config.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    stop = StopOnSignal()
    trainer = trl.SFTTrainer(
        model=config.model, args=args, train_dataset=train, eval_dataset=evaluation, processing_class=tokenizer,
        peft_config=runs.peft_config(config),
        callbacks=[MetricsJsonl(out / "metrics.jsonl"), stop, *(callbacks or [])],
    )
    resume = runs.resume_point(config)
    result = trainer.train(resume_from_checkpoint=resume)
    summary: dict[str, Any] = {
        "stage": "sft", "model": config.model, "data": config.data, "rows": len(train),
        "global_step": trainer.state.global_step, "resumed_from": resume,
        "train_loss": result.training_loss, **runs.last_logged(trainer, "loss", "mean_token_accuracy"),
    }
    if stop.requested:
        summary.update(status="interrupted", checkpoint=_last(out))
    else:
        summary.update(status="completed", model_dir=str(runs.save_final_model(trainer, out)))
    if trainer.accelerator.is_main_process:
        runs.write_summary(out, summary)
    return summary


def _last(out: Path) -> str | None:
    from habits.train.runs import complete_checkpoints

    found = complete_checkpoints(out)
    return str(found[-1]) if found else None
