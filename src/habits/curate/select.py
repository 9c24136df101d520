"""Choosing the subset: which scored documents a keep rule admits, in which order, up to a token budget.

* ``rich``: documents that show at least ``min_behaviors`` of the four behaviors; those showing more
  behaviors come first (4, then 3, ...), and within a tier the order is a seeded hash of the
  document's number -- so a budget smaller than the pool takes a random sample of the richest tier
  rather than, say, the shortest documents;
* ``minimal``: documents that show none of them (the first paper's behavior-minimal control), in
  seeded hash order.

Documents are added in that order while they fit in the budget (one that does not fit is passed
over, a shorter one after it may still fit). The same scores, rule, budget and seed always give the
same subset, whatever the number of scoring processes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from habits.behaviors.taxonomy import BEHAVIORS
from habits.io import atomic_write

# a scored document: [number, tokens, characters, verification, backtracking, subgoal, backward]
NUMBER, TOKENS, CHARS = 0, 1, 2
COUNTS = slice(3, 3 + len(BEHAVIORS))


def shown(row: list[int]) -> int:
    """How many of the four behaviors a scored document shows."""
    return sum(1 for count in row[COUNTS] if count > 0)


def order_key(seed: int, number: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}:{number}".encode(), digest_size=8).digest(), "big")


def eligible(rows: Iterable[list[int]], keep: str, min_behaviors: int) -> list[list[int]]:
    if keep == "rich":
        return [row for row in rows if shown(row) >= min_behaviors]
    return [row for row in rows if shown(row) == 0]


def choose(rows: list[list[int]], keep: str, budget: int, min_behaviors: int, seed: int) -> tuple[list[list[int]], int]:
    """The chosen documents (in corpus order) and how many were eligible."""
    pool = eligible(rows, keep, min_behaviors)
    if keep == "rich":
        pool.sort(key=lambda row: (-shown(row), order_key(seed, row[NUMBER])))
    else:
        pool.sort(key=lambda row: order_key(seed, row[NUMBER]))
    chosen, total = [], 0
    for row in pool:
        if total + row[TOKENS] <= budget:
            chosen.append(row)
            total += row[TOKENS]
            if total == budget:
                break
    chosen.sort(key=lambda row: row[NUMBER])
    return chosen, len(pool)


def write_subset(path: Path, shards: list[tuple[Path, list[list[int]]]], chosen: list[list[int]]) -> int:
    """Write the chosen documents' rows, each with ``behaviors`` added, reading them from the shards' rows."""
    wanted = {row[NUMBER]: row for row in chosen}
    written = 0
    with atomic_write(path) as out:
        for rows_path, scored in shards:
            if not any(row[NUMBER] in wanted for row in scored):
                continue
            with rows_path.open(encoding="utf-8") as handle:
                for row, line in zip(scored, handle):
                    if row[NUMBER] in wanted:
                        document: dict[str, Any] = json.loads(line)
                        document["behaviors"] = dict(zip(BEHAVIORS, row[COUNTS]))
                        out.write(json.dumps(document, ensure_ascii=False, default=str) + "\n")
                        written += 1
    return written
