"""reasoning-gym in a process of its own: generates items and runs its scorers for ``habits.tasks.reasoning_gym``.

Run as a script (``python rg_worker.py [--import MODULE ...] [--memory-mb N]``) by the parent, with a
fresh environment and working directory, so nothing of the parent's state is reachable. It uses only
the standard library and reasoning-gym.

Protocol: one JSON object per line each way. After start-up it says ``{"ready": true, "version": ...}``.
  {"op": "names"}                                              -> {"names": [...]}
  {"op": "items", "dataset", "config", "seed", "indices"}      -> {"items": [{question, answer, metadata}]}
  {"op": "score", "dataset", "config", "seed", "index", "answer"} -> {"score": float} or {"blocked": "..."}
Any failure -> {"error": "..."}.

Some scorers evaluate the model's answer as Python (reasoning-gym's Countdown scorer calls sympy's
``parse_expr``). While a scorer runs, an audit hook refuses starting processes, network access,
changing files and loading native code, and the reply says ``blocked`` with what was attempted even if
the scorer swallowed the refusal. A scorer that hangs (``9**9**9**9``) is the parent's to stop: it
kills this process after its time limit and starts another. This is a tripwire, not a sandbox: run
untrusted scorers in a container as well.
"""

import json
import os
import sys

# This file sits beside habits' own tasks/reasoning_gym.py: never let that shadow the real package.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

_GUARDED = False
_ATTEMPTS = []
_DENIED = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.kill", "os.killpg",
           "subprocess.", "socket.", "os.remove", "os.unlink", "os.rmdir", "os.rename", "os.replace", "os.mkdir",
           "os.chmod", "os.chown", "os.truncate", "os.symlink", "os.link", "os.putenv", "os.unsetenv", "shutil.",
           "ctypes.", "pty.", "webbrowser.", "urllib.", "http.", "ftplib.", "smtplib.", "sys.addaudithook")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _writes(args):
    mode, flags = (args[1], args[2]) if len(args) >= 3 else (None, 0)
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _audit(event, args):
    if _GUARDED and (event.startswith(_DENIED) or (event == "open" and _writes(args))):
        _ATTEMPTS.append(f"{event} {args!r}"[:300])
        raise PermissionError(f"{event} is not allowed while scoring")


def _limit_memory(megabytes):
    try:
        import resource

        limit = megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the parent's time limit still applies


class Datasets:
    def __init__(self):
        import reasoning_gym  # noqa: F401 (registers the datasets)
        from reasoning_gym.factory import DATASETS, create_dataset

        self.registry, self.create, self.cache = DATASETS, create_dataset, {}

    def get(self, name, config, seed, index):
        key = (name, json.dumps(config, sort_keys=True), seed)
        dataset = self.cache.get(key)
        if dataset is None or index >= len(dataset):
            size = 64
            while size <= index:
                size *= 2
            dataset = self.create(name, **{**config, "seed": seed, "size": size})
            self.cache[key] = dataset
        return dataset


def _plain(value):
    return json.loads(json.dumps(value, default=repr))


def handle(request, datasets):
    global _GUARDED
    op = request.get("op")
    if op == "names":
        return {"names": sorted(datasets.registry)}
    if op == "items":
        items = []
        for index in request["indices"]:
            dataset = datasets.get(request["dataset"], request["config"], request["seed"], index)
            entry = dataset[index]
            items.append({"question": str(entry["question"]), "answer": entry.get("answer"),
                          "metadata": _plain(entry.get("metadata", {}))})
        return {"items": items}
    if op == "score":
        dataset = datasets.get(request["dataset"], request["config"], request["seed"], request["index"])
        entry = dataset[request["index"]]
        del _ATTEMPTS[:]
        _GUARDED = True
        try:
            score = dataset.score_answer(request["answer"], entry)
        finally:
            _GUARDED = False
        if _ATTEMPTS:
            return {"blocked": "; ".join(_ATTEMPTS)}
        return {"score": float(score)}
    return {"error": f"unknown op {op!r}"}


def main(argv):
    imports = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--import"]
    memory = [int(argv[i + 1]) for i, arg in enumerate(argv[:-1]) if arg == "--memory-mb"]
    out = sys.stdout
    sys.stdout = sys.stderr  # a scorer's prints must not corrupt the protocol
    if memory:
        _limit_memory(memory[-1])
    try:
        datasets = Datasets()
        for module in imports:
            __import__(module)
        from importlib.metadata import version

        hello = {"ready": True, "version": version("reasoning-gym")}
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises a clear error
        hello = {"error": f"{type(exc).__name__}: {exc}"}
    out.write(json.dumps(hello) + "\n")
    out.flush()
    if "error" in hello:
        return 1
    sys.addaudithook(_audit)
    for line in sys.stdin:
        try:
            reply = handle(json.loads(line), datasets)
        except Exception as exc:  # noqa: BLE001 - one bad item must not end the worker
            reply = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
