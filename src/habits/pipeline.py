"""``habits run CONFIG.yaml``: the whole loop -- base -> diagnose -> prime -> RL -> evaluate -> report.

Each stage is the same importable ``main(config)`` a user can run alone (``habits pretrain``,
``habits diagnose``, ``habits prime-data``, ``habits train sft|rl``, ``habits eval``); this module
only plans them, runs the unfinished ones in order and keeps every output in the run directory
``runs/<name>/`` (``bases/<base>/``, ``arms/<arm>/seed<k>/``, summary, report: the paths are
owned by :class:`habits.layout.RunLayout`). The resolved recipe is saved there, and a re-run with
a different one is refused.

A stage counts as finished when its output file exists (written atomically) or its training run
says ``completed``; re-running the same command skips finished stages and resumes the rest
(training resumes from its last checkpoint).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console

from habits.layout import RunLayout
from habits.pipeline_config import PipelineConfig, dump

console = Console()
EVAL_SEED = 0  # every arm and replicate is evaluated on the same problems


@dataclass
class Stage:
    """One unit of work: finished when ``output`` exists (and, for training, says completed)."""

    label: str
    output: Path
    run: Callable[[], Any]
    weight: float  # rough relative cost, for the ETA
    chain: str = ""  # stages of one chain run in order in one process: "bases/<base>" or "arms/<arm>/seed<k>"
    after: str | None = None  # the chain that must finish first (an arm chain waits for its base's)

    def done(self) -> bool:
        if not self.output.is_file():
            return False
        if self.output.suffix == ".json":
            from habits.io import InputError, read_json

            try:
                data = read_json(self.output)
            except InputError as exc:  # written atomically, so only bit rot or an edit damages it: redo
                console.print(f"[yellow]{exc}; redoing the stage[/]")
                return False
            if self.output.name != "summary.json":
                return True
            return isinstance(data, dict) and data.get("status") == "completed"
        return True


def base_model_dir(config: PipelineConfig, base: str) -> str:
    """The model the base's arms start from (after continued pretraining, when the base has some)."""
    spec = config.bases[base]
    if spec.cpt is not None:
        return str(config.layout.base(base) / "cpt" / "model")
    return _starting_model(config, base)


def _starting_model(config: PipelineConfig, base: str) -> str:
    spec = config.bases[base]
    return spec.model if spec.model is not None else str(config.layout.base_model(base))


def plan(config: PipelineConfig) -> list[Stage]:
    """Every stage of the run, in order."""
    from habits.diagnose import DiagnoseConfig
    from habits.stages import get_stage

    layout = config.layout
    stages: list[Stage] = []
    used_bases = dict.fromkeys(arm.base for arm in config.arms.values())
    for base in used_bases:
        first = len(stages)
        spec = config.bases[base]
        if spec.pretrain is not None:
            stages.append(Stage(f"pretrain base '{base}'", layout.base(base) / "summary.json",
                                _pretrain_runner(config, base), weight=6))
        if spec.cpt is not None:
            stages.append(Stage(f"continued pretraining of base '{base}' ({spec.cpt.get('keep', 'rich')} subset)",
                                layout.base(base) / "cpt" / "summary.json", _cpt_runner(config, base), weight=3))
        model = base_model_dir(config, base)
        diagnose = DiagnoseConfig(model=model, task=config.task, task_args=config.task_args,
                                  n=config.diagnose.n, seed=EVAL_SEED, sampling=config.diagnose.sampling(),
                                  out=str(layout.diagnosis(base)))
        stages.append(Stage(f"diagnose base '{base}'", layout.diagnosis(base), _diagnose_runner(diagnose), 1))
        any_arm = next(name for name, arm in config.arms.items() if arm.base == base)
        stages.append(Stage(f"evaluate base '{base}'", layout.base_eval(base),
                            _eval_runner(config, any_arm, config.seeds[0], model, layout.base_eval(base)), 1))
        for stage in stages[first:]:
            stage.chain = layout.base_chain(base)
    for seed in config.seeds:
        for name in arm_order(config):
            arm = config.arms[name]
            first = len(stages)
            tag = f"arm '{name}' seed {seed}"
            before, after = layout.evaluation(name, seed, "before"), layout.evaluation(name, seed, "after")
            model: str | Callable[[], str] = partial(start_model, config, name, seed)
            last = arm.stages[-1]
            # "before" evaluates the model the last stage starts from; "after", what it made. A base's
            # evaluation is done once per base and copied.
            if len(arm.stages) == 1 and arm.start is None:
                stages.append(Stage(f"{tag}: evaluation before {last.upper()} = base", before,
                                    _copy_runner(layout.base_eval(arm.base), before), 0))
            for stage in arm.stages:
                if get_stage(stage).trains_on_priming:
                    stages.append(Stage(f"{tag}: SFT data ({arm.condition})", layout.priming(name, seed),
                                        _prime_runner(config, name, seed), 0.3))
                if stage == last and (len(arm.stages) > 1 or arm.start is not None):
                    stages.append(Stage(f"{tag}: evaluate before {last.upper()}", before,
                                        _eval_runner(config, name, seed, model, before), 1))
                stages.append(_training(config, name, seed, stage, model, f"{tag}: {stage.upper()}",
                                        get_stage(stage).weight))
                model = str(layout.stage_model(name, seed, stage))
            stages.append(Stage(f"{tag}: evaluate after {last.upper()}", after,
                                _eval_runner(config, name, seed, model, after), 1))
            source = layout.arm_chain(arm.start.arm, seed) if arm.start is not None else layout.base_chain(arm.base)
            for stage in stages[first:]:
                stage.chain, stage.after = layout.arm_chain(name, seed), source
    return stages


def arm_order(config: PipelineConfig) -> list[str]:
    """The arms, each after the arm it starts from (recipe order otherwise)."""
    ordered: list[str] = []

    def visit(name: str) -> None:
        start = config.arms[name].start
        if start is not None and start.arm not in ordered:
            visit(start.arm)  # cycles are refused when the recipe is loaded
        if name not in ordered:
            ordered.append(name)

    for name in config.arms:
        visit(name)
    return ordered


def start_model(config: PipelineConfig, arm: str, seed: int) -> str:
    """The model ``arm`` starts from: its base, or the model / checkpoint of the arm it starts from.

    Resolved when the arm's first stage runs: ``peak`` needs the source stage's evaluations.
    """
    from habits.train.runs import complete_checkpoints

    spec = config.arms[arm]
    if spec.start is None:
        return base_model_dir(config, spec.base)
    start = spec.start
    run_dir = config.layout.stage(start.arm, seed, start.stage)
    if start.checkpoint == "final":
        return str(run_dir / "model")
    found = {int(path.name.rsplit("-", 1)[1]): path for path in complete_checkpoints(run_dir)}
    if start.checkpoint.startswith("step-"):
        step = int(start.checkpoint.removeprefix("step-"))
        if step not in found:
            raise ValueError(f"arm {arm!r} starts from {run_dir}/checkpoint-{step}, which its run did not keep "
                             f"(kept: {', '.join(map(str, sorted(found))) or 'none'})")
        return str(found[step])
    if not found:
        raise ValueError(f"arm {arm!r} starts from the {start.checkpoint} checkpoint of {run_dir}, which kept none")
    if start.checkpoint == "early":
        return str(found[min(found)])
    scores = _evaluations(run_dir / "metrics.jsonl")  # peak: the best held-out OOD accuracy (then ID), earliest
    kept = [step for step in sorted(found) if step in scores]
    if not kept:
        raise ValueError(f"arm {arm!r} starts from the peak checkpoint of {run_dir}, but none of its checkpoints "
                         "was evaluated (its metrics.jsonl has no eval_*/accuracy at their steps)")
    return str(found[max(kept, key=lambda step: (scores[step], -step))])


def arm_flops_before(config: PipelineConfig, arm: str, seed: int, stage: str) -> float:
    """Training FLOPs behind the model ``arm``'s ``stage`` starts from, counted from the base.

    An arm that starts from another arm's model carries that model's compute (the paper's D_init),
    so arms scaled from one shared checkpoint start their curves at the same x.
    """
    from habits.compute import flops_at
    from habits.io import read_json, read_jsonl

    layout, spec = config.layout, config.arms[arm]
    index = spec.stages.index(stage)
    if index:
        summary = layout.stage(arm, seed, spec.stages[index - 1]) / "summary.json"
        return float(read_json(summary).get("flops") or 0.0) if summary.is_file() else 0.0
    if spec.start is None:
        return 0.0
    start = spec.start
    run_dir = layout.stage(start.arm, seed, start.stage)
    model = Path(start_model(config, arm, seed))
    if model.name.startswith("checkpoint-") and (run_dir / "metrics.jsonl").is_file():
        rows = [row for _, row in read_jsonl(run_dir / "metrics.jsonl")]
        found = flops_at(rows, int(model.name.rsplit("-", 1)[1]))
        if found is not None:
            return float(found)
    summary = run_dir / "summary.json"
    return float(read_json(summary).get("flops") or 0.0) if summary.is_file() else 0.0


def _evaluations(metrics: Path) -> dict[int, float]:
    """Step -> OOD accuracy (ID when there is no OOD split) of a training run's periodic evaluations."""
    from habits.io import read_jsonl

    scores: dict[int, float] = {}
    if not metrics.is_file():
        return scores
    for _, row in read_jsonl(metrics):
        value = row.get("eval_ood/accuracy", row.get("eval_test/accuracy"))
        if isinstance(value, (int, float)) and isinstance(row.get("step"), int):
            scores[row["step"]] = float(value)
    return scores


def main(config: PipelineConfig, restart: bool = False) -> dict[str, Any]:
    """Run (or resume) the pipeline; returns the summary. Finished stages are skipped.

    A second run on the same run directory is refused while this one runs (a lock beside it).
    """
    from habits.io import check_output_dir, exclusive
    from habits.train.config import check_model_path

    layout = config.layout
    check_output_dir(layout.root, "output_root/name")
    for name, spec in config.bases.items():  # a base given as a directory must load (hub ids pass)
        if spec.model is not None:
            try:
                check_model_path(spec.model)
            except ValueError as exc:
                raise ValueError(f"{config.source or 'recipe'}: bases.{name}.model: {exc}") from None
    # One run per directory: two processes writing the same checkpoints would corrupt both.
    with exclusive(layout.root.parent / f".{layout.root.name}.lock", str(layout.root)):
        return _run(config, restart)


def _run(config: PipelineConfig, restart: bool) -> dict[str, Any]:
    from habits.io import atomic_write
    from habits.report import build_report
    from habits.summary import summarize

    layout = config.layout
    _check_run_dir(config, restart)
    layout.root.mkdir(parents=True, exist_ok=True)
    with atomic_write(layout.config) as handle:
        handle.write(dump(config))
    from habits.versions import write_versions

    write_versions(layout.root)
    stages = plan(config)
    total = sum(s.weight for s in stages) or 1.0
    todo = [s for s in stages if not s.done()]
    console.rule(f"[bold]habits run {config.name}[/]: {len(stages)} stages, {len(stages) - len(todo)} already done")
    started = time.perf_counter()
    if config.parallel > 1:
        _run_chains_in_parallel(config, todo, started)
    else:
        _run_in_order(todo, started)
    summary = summarize(config)
    report = build_report(config)
    console.rule(f"[bold green]done in {_clock(time.perf_counter() - started)}[/] (whole plan weight {total:.0f})")
    console.print(f"summary: {layout.summary}\nreport:  {report}")
    return summary


def _run_in_order(todo: list[Stage], started: float) -> None:
    spent_weight = 0.0
    remaining = sum(s.weight for s in todo)
    for index, stage in enumerate(todo, start=1):
        elapsed = time.perf_counter() - started
        eta = f", ETA {_clock(elapsed / spent_weight * remaining)}" if spent_weight else ""
        console.rule(f"[{index}/{len(todo)}] {stage.label}  (elapsed {_clock(elapsed)}{eta})", align="left")
        stage.run()
        if not stage.done():
            console.print(f"[yellow]stage '{stage.label}' stopped before finishing; run the same command to resume[/]")
            raise SystemExit(130)
        spent_weight += stage.weight
        remaining -= stage.weight


def _run_chains_in_parallel(config: PipelineConfig, todo: list[Stage], started: float) -> None:
    """Each chain (a base, or an (arm, seed)) in its own process with one torch thread.

    ``config.parallel`` chains run at a time; an arm chain starts as soon as its own base is ready,
    so arms on a shipped base train while another base is still pretraining. On a small CPU several
    single-threaded processes beat one process with several threads (tiny models do not fill a
    core's worth of parallel work per op). Each chain logs to ``<chain>/log.txt`` in the run
    directory; this process reports which stage each chain is on.
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    chains = list(dict.fromkeys(stage.chain for stage in todo))
    if not chains:
        return
    by_chain = {chain: [s for s in todo if s.chain == chain] for chain in chains}
    waits_for = {chain: by_chain[chain][0].after for chain in chains}
    total = sum(s.weight for s in todo)
    shown: dict[str, str] = {}
    console.print(f"running {len(chains)} chain(s), {config.parallel} at a time (logs: <chain>/log.txt)")
    context = multiprocessing.get_context("spawn")
    phase_started = time.perf_counter()
    errors: list[str] = []
    stopped: list[str] = []
    failed: set[str] = set()
    futures: dict[str, Any] = {}
    pool = ProcessPoolExecutor(max_workers=config.parallel, mp_context=context)
    try:
        while True:
            # submit every chain whose prerequisite chain is finished (or was never in this run's to-do)
            for chain in chains:
                need = waits_for[chain]
                if chain in futures or (need in by_chain and not _chain_done(by_chain[need])):
                    continue
                if need in failed:
                    failed.add(chain)
                    errors.append(f"{chain} did not start: {need} did not finish")
                    futures[chain] = None
                    continue
                futures[chain] = pool.submit(_run_chain, config, chain)
            pending = {future: chain for chain, future in futures.items() if future is not None and not future.done()}
            if not pending:
                break
            finished, _ = wait(pending, timeout=5, return_when=FIRST_COMPLETED)
            for future in finished:
                chain = pending[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # noqa: BLE001 -- a worker killed (memory, signal) breaks the pool
                    outcome = ("failed", f"its process died ({type(exc).__name__})")
                if outcome is None:
                    continue
                kind, message = outcome
                failed.add(chain)
                if kind == "stopped":
                    stopped.append(f"{chain}: {message}")
                else:
                    errors.append(f"{chain} failed: {message} (see {config.layout.log(chain)})")
                    console.print(f"[red]{errors[-1]}[/]; the other chains go on")
            # ETA from this phase only: weight finished here per second, over the weight still to do
            done_weight = sum(s.weight for s in todo if s.done())
            elapsed = time.perf_counter() - phase_started
            eta = f", ETA {_clock(elapsed / done_weight * (total - done_weight))}" if done_weight >= 1 else ""
            for chain, stages in by_chain.items():
                future = futures.get(chain)
                current = next((s.label for s in stages if not s.done()), None)
                status = (f"{chain}: finished" if current is None else current
                          if future is not None and (future.running() or future.done()) else f"{chain}: queued")
                if shown.get(chain) != status:
                    shown[chain] = status
                    console.print(f"[{_clock(time.perf_counter() - started)}{eta}] {status}")
    except BaseException:
        # Ctrl-C (which the workers get too: training saves a checkpoint and stops) or an error here:
        # start no queued chain, wait for the running ones to stop, keep every finished stage.
        console.print("[yellow]stopping: queued chains will not start; finished stages are kept[/]")
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    if errors:
        from habits.errors import StageFailed

        raise StageFailed("; ".join(errors) + ". Fix the cause and run the same command to resume.")
    if stopped or any(not s.done() for s in todo):
        console.print(f"[yellow]{'; '.join(stopped) or 'some stages did not finish'}; "
                      "run the same command to resume[/]")
        raise SystemExit(130)


def _chain_done(stages: list[Stage]) -> bool:
    return all(stage.done() for stage in stages)


def _run_chain(config: PipelineConfig, chain: str) -> tuple[str, str] | None:
    """Worker: run the unfinished stages of one chain with one torch thread.

    Returns None when every stage finished, ``("stopped", why)`` when a stage stopped early
    (Ctrl-C: resumable), ``("failed", error)`` on an exception (the traceback is in the log).
    """
    import os
    import traceback

    log_path = config.layout.log(chain)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 -- lives as long as this worker process
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    for section in (config.sft, config.rl, config.eval, *(b.pretrain for b in config.bases.values() if b.pretrain),
                    *(b.cpt for b in config.bases.values() if b.cpt is not None)):
        section["torch_threads"] = 1
    import torch

    torch.set_num_threads(1)
    try:
        for stage in plan(config):
            if stage.chain == chain and not stage.done():
                print(f"== {stage.label}", flush=True)
                stage.run()
                if not stage.done():
                    return "stopped", f"stage '{stage.label}' stopped before finishing"
    except KeyboardInterrupt:
        return "stopped", "interrupted"
    except Exception as exc:  # noqa: BLE001 -- reported to the parent with the log's path
        traceback.print_exc()
        from habits.errors import explain

        return "failed", explain(exc)[1]  # the sentence a user would get from the stage run alone
    return None


def _check_run_dir(config: PipelineConfig, restart: bool) -> None:
    """Refuse to mix outputs of two different configs in one run directory."""
    import yaml

    existing = config.layout.config
    if not existing.is_file():
        return
    if restart:
        shutil.rmtree(config.run_dir)
        return
    try:
        old = yaml.safe_load(existing.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"{existing} is damaged ({type(exc).__name__}); restore it, or pass --restart to delete "
                         f"{config.run_dir} and start over") from None
    if not isinstance(old, dict):
        raise ValueError(f"{existing} is not a pipeline config; restore it, or pass --restart to start over")
    old.pop("stage", None)
    new = config.fingerprint()
    old = {key: config.typed_section(key, old.get(key)) for key in {*old, *new}}
    changed = sorted(key for key in new if json.dumps(old.get(key), sort_keys=True, default=str)
                     != json.dumps(new[key], sort_keys=True, default=str))
    if changed:
        raise ValueError(f"{config.run_dir} holds a run made with a different config (changed: {', '.join(changed)}). "
                         f"Finished stages there are kept. Give this config another `name:`, or pass --restart "
                         f"to delete {config.run_dir} and start over.")


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


# -- stage runners ------------------------------------------------------------------------------
def _pretrain_runner(config: PipelineConfig, base: str) -> Callable[[], Any]:
    def run() -> Any:
        from habits.stages import get_stage
        from habits.configs import build

        values = dict(config.bases[base].pretrain or {})
        values.update(output_dir=str(config.layout.base(base)), task=config.task,
                      task_args={**config.task_args, **values.get("task_args", {})})
        stage = get_stage("pretrain")
        return stage.run(build(stage.config_class(), values, f"bases.{base}.pretrain"))

    return run


def _cpt_runner(config: PipelineConfig, base: str) -> Callable[[], Any]:
    def run() -> Any:
        from habits.curate.cpt import CPTConfig, main
        from habits.configs import build

        cpt = build(CPTConfig, dict(config.bases[base].cpt or {}), f"bases.{base}.cpt")
        return main(cpt, _starting_model(config, base), config.layout.base(base) / "cpt", config.task, config.task_args)

    return run


def _diagnose_runner(diagnose: Any) -> Callable[[], Any]:
    def run() -> Any:
        from habits.diagnose import main

        return main(diagnose)

    return run


def _prime_runner(config: PipelineConfig, arm: str, seed: int) -> Callable[[], Any]:
    def run() -> Any:
        from habits.traces.data import PrimeConfig, main

        priming, spec = config.priming, config.arms[arm]
        tokenizer = base_model_dir(config, spec.base) if priming.tokenizer == "base" else priming.tokenizer
        # data_args: each part's settings over the recipe's, never one part's over another's
        return main(PrimeConfig(task=config.task, condition=spec.condition or "", seed=seed,
                                n=priming.n, format=priming.format, register=priming.register, budget=priming.budget,
                                tokenizer=tokenizer, stream="prime", task_config=config.task_args,
                                mixture=spec.data_parts() if spec.data_args else [],
                                out=config.layout.priming(arm, seed)))

    return run


def _model(model: str | Callable[[], str]) -> str:
    return model if isinstance(model, str) else model()


def _training(config: PipelineConfig, arm: str, seed: int, stage: str, model: str | Callable[[], str], label: str,
              weight: float) -> Stage:
    """The plan's entry for one of the arm's training stages (a run directory with its own summary.json)."""
    return Stage(label, config.layout.stage(arm, seed, stage) / "summary.json",
                 _train_runner(config, arm, seed, stage, model), weight)


def _train_runner(config: PipelineConfig, arm: str, seed: int, stage: str,
                  model: str | Callable[[], str]) -> Callable[[], Any]:
    def run() -> Any:
        from habits.stages import get_stage

        settings = config.stage_configs(arm, seed, _model(model))[stage]
        settings.start_flops = arm_flops_before(config, arm, seed, stage)
        return get_stage(stage).run(settings)

    return run


def _eval_runner(config: PipelineConfig, arm: str, seed: int, model: str | Callable[[], str],
                 out: Path) -> Callable[[], Any]:
    def run() -> Any:
        from habits.stages import get_stage

        eval_config = config.stage_configs(arm, seed, _model(model))["eval"]
        eval_config.seed = EVAL_SEED
        eval_config.out = str(out)
        eval_config.completions = str(RunLayout.completions_of(out))  # the report shows some, highlighted
        return get_stage("eval").run(eval_config)

    return run


def _copy_runner(source: Path, target: Path) -> Callable[[], Any]:
    def run() -> Any:
        from habits.io import atomic_write

        with atomic_write(target) as handle:
            handle.write(source.read_text())

    return run
