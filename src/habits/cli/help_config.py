"""``--help-config``: a config class's fields (YAML keys / ``--set KEY=VALUE``) with default and help text."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

console = Console()


def print_config_fields(cls: type, title: str) -> None:
    from habits.configs import describe

    table = Table(title=f"{title} config fields (YAML keys / --set KEY=VALUE)")
    for column in ("field", "default", "help"):
        table.add_column(column, overflow="fold")
    for name, default, text in describe(cls):
        table.add_row(name, default, text)
    console.print(table)
