"""Token counts for traces: a dependency-free regex estimate, or any Hugging Face tokenizer directory.

Used for the length-matched control (one " ." per token of the thoughts it replaces) and for
reporting trace lengths. The regex estimate counts numbers, words and single punctuation marks; it
is close to what subword tokenizers give on this kind of text and needs no files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

_TOKEN = re.compile(r"\d+|[^\W\d_]+|[^\w\s]|_")

TokenCounter = Callable[[str], int]


def _ascii_class(code: int) -> int:
    """What ``_TOKEN`` makes of an ASCII character: a digit (0), a letter (a), "_", a space or other (.)."""
    char = chr(code)
    if char.isdecimal():  # the regex's classes are str's: \d isdecimal, \w isalnum or "_", \s isspace
        return ord("0")
    if char == "_":
        return ord("_")
    if char.isalnum():
        return ord("a")
    return ord(" ") if char.isspace() else ord(".")


_CLASSES = bytes(map(_ascii_class, range(128))) + b"." * 128
_RUNS = bytes.maketrans(b"._", b"  ")  # digits and letters stay; the rest separates runs


def count_regex_tokens(text: str) -> int:
    """Numbers, words and single punctuation marks: ``"25 - 7 = 18."`` -> 6 tokens."""
    if not text.isascii():
        return len(_TOKEN.findall(text))
    # The same count without the regex (several times faster on long documents): each character
    # becomes its class, and a token is a run of digits, a run of letters, or one other character
    classes = text.encode("ascii").translate(_CLASSES)
    runs = b" " + classes.translate(_RUNS)
    starts = runs.count(b" 0") + runs.count(b" a") + runs.count(b"a0") + runs.count(b"0a")
    return starts + classes.count(b".") + classes.count(b"_")


FILLERS = (" .", ".", " ,", ",", " -", "-", " _", "_")  # the length-matched control's dot, in order of preference


def one_token_filler(count: TokenCounter) -> str:
    """A filler that ``count`` sees as exactly one token however often it repeats (" ." for words).

    Under a tokenizer that gives the space its own token (the tiny model's: " ." is two tokens)
    the length-matched control would otherwise be twice as long as the thoughts it replaces.
    """
    for filler in FILLERS:
        if count(filler) == 1 and count(filler * 16) == 16:
            return filler
    raise ValueError(f"no one-token filler among {FILLERS!r} under this tokenizer; length-matched dots would "
                     "not match the thoughts' length")


def token_counter(tokenizer: str | Path | None = None) -> TokenCounter:
    """``None`` or ``"regex"``: the regex estimate; otherwise a Hugging Face tokenizer (directory or hub id).

    Raises ValueError (before any work) if no tokenizer loads from it.
    """
    if tokenizer is None or str(tokenizer) == "regex":
        return count_regex_tokens
    path = Path(tokenizer)
    from transformers import AutoTokenizer

    try:  # a local directory, or a hub id (resolved from the local cache or downloaded)
        hf = AutoTokenizer.from_pretrained(str(path), local_files_only=path.is_dir())
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"tokenizer {str(tokenizer)!r} could not be loaded ({type(exc).__name__}: {exc}); pass "
                         "'regex', a local Hugging Face tokenizer directory, or a hub id you can reach") from None

    def count(text: str) -> int:
        return len(hf(text, add_special_tokens=False)["input_ids"])

    return count
