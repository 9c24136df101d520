"""The ``habits`` command line: one typer app, one module per command group.

Each module in ``COMMAND_MODULES`` exposes ``register(app)``. Modules import heavy libraries
(torch, transformers) inside their commands, so ``habits --help`` stays instant.

``main`` is the one error boundary: every failure leaves as one sentence on stderr and an exit
code from :mod:`habits.errors` (``--debug`` or ``HABITS_DEBUG=1`` shows the traceback instead).
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.console import Console
from rich.markup import escape

from habits import errors

EPILOG = ("Exit codes: 0 ok; 1 unexpected error (a bug: add --debug for the traceback); 2 fix the input "
          "(file, recipe field, option, model); 3 the file system refused (disk full, read-only, permissions, "
          "path is a file/directory); 4 an outside service failed (judge endpoint, model hub); 130 interrupted "
          "(run the same command again to resume).")

app = typer.Typer(
    name="habits",
    help="Reason first, reinforce later: check a model for reasoning habits, instil them, reinforce, measure.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help=f"Show the full traceback of an error (same as "
                                                      f"{errors.DEBUG_ENV}=1); may also follow the command."),
) -> None:
    """Reason first, reinforce later: check a model for reasoning habits, instil them, reinforce, measure."""


COMMAND_MODULES = ("tasks", "demo", "prime", "train", "behaviors", "diagnose", "evaluate", "run", "export", "curate")

for _name in COMMAND_MODULES:
    importlib.import_module(f"habits.cli.{_name}").register(app)

err = Console(stderr=True)


def _take_debug_flag(args: list[str]) -> bool:
    """Remove ``--debug`` wherever it is (before a ``--``) so it works after the command name too."""
    end = args.index("--") if "--" in args else len(args)
    found = "--debug" in args[:end]
    if found:
        del args[args.index("--debug")]
        os.environ[errors.DEBUG_ENV] = "1"  # worker processes (parallel pipeline chains) see it too
    return found


def main(argv: list[str] | None = None) -> None:
    """Entry point: every failure becomes one sentence and a documented exit code, not a traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    _take_debug_flag(args)
    try:
        app(args=args, prog_name="habits")  # usage errors: typer prints them and exits 2
    except SystemExit as exc:
        if exc.code == errors.INTERRUPTED:  # typer turns Ctrl-C into exit code 130 and says nothing
            _fail(*errors.explain(KeyboardInterrupt()))
        raise
    except BaseException as exc:  # noqa: BLE001 -- the one place errors meet the user
        if errors.debug_enabled() and not isinstance(exc, KeyboardInterrupt):
            raise
        _fail(*errors.explain(exc))


def _fail(code: int, message: str) -> None:
    if code == errors.INTERRUPTED:
        label, message = "[yellow]interrupted:[/]", message.removeprefix("interrupted; ")
    else:
        label = "[bold red]error:[/]"
    try:
        err.print(f"{label} {escape(message)}", highlight=False, soft_wrap=True)
    except BaseException:  # noqa: BLE001 -- stderr itself may be gone (closed pipe)
        pass
    sys.exit(code)
