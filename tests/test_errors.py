"""The one error boundary: every failure leaves the CLI as one sentence and a documented exit code."""

import errno

import pytest

from habits import errors
from habits.behaviors import JudgeError
from habits.cli import main
from habits.io import InputError


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exited:
        main(args)
    return exited.value.code, capsys.readouterr().err


@pytest.mark.parametrize(("exc", "code", "says"), [
    (InputError("rows.jsonl:3: not valid JSON"), 2, "rows.jsonl:3"),
    (ValueError("max_steps must be >= 1"), 2, "max_steps"),
    (OSError(errno.ENOSPC, "No space left on device", "out/v.jsonl"), 3, "out/v.jsonl: disk full"),
    (OSError(errno.EROFS, "Read-only file system", "mnt/v.jsonl"), 3, "read-only; write somewhere else"),
    (IsADirectoryError(errno.EISDIR, "Is a directory", "out"), 3, "out: is a directory; give a file path"),
    (NotADirectoryError(errno.ENOTDIR, "Not a directory", "a/b"), 3, "part of the path is a file"),
    (RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 2072768 vs 2072660"), 3,
     "almost always a full disk"),
    (OSError("We couldn't connect to 'https://huggingface.co' to load the files"), 4, "Hugging Face hub"),
    (JudgeError("judge endpoint http://x/v1 unreachable after 5 tries"), 4, "http://x/v1"),
    (KeyboardInterrupt(), 130, "run the same command again"),
    (TypeError("'<' not supported"), 1, "bug in habits; run again with --debug"),
])
def test_each_kind_of_failure_gets_its_exit_code_and_a_sentence_saying_what_to_do(exc, code, says):
    got_code, sentence = errors.explain(exc)
    assert got_code == code and says in sentence and "\n" not in sentence


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(monkeypatch, capsys, tmp_path):
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr("habits.cli.tasks.get_task", broken)
    monkeypatch.setenv(errors.DEBUG_ENV, "0")  # --debug sets it (for child processes): undone after the test
    args = ["tasks", "generate", "countdown", "--n", "2", "--out", str(tmp_path / "p.jsonl")]
    code, stderr = run_cli(args, capsys)
    assert code == errors.BUG and "Traceback" not in stderr
    assert "unexpected KeyError: 'boom'" in stderr and "--debug" in stderr
    with pytest.raises(KeyError, match="boom"):
        main([*args, "--debug"])
    monkeypatch.setenv(errors.DEBUG_ENV, "1")
    with pytest.raises(KeyError, match="boom"):
        main(args)


def test_a_full_disk_says_disk_full_names_the_output_and_keeps_the_old_file(monkeypatch, capsys, tmp_path):
    out = tmp_path / "p.jsonl"
    out.write_text("SENTINEL\n")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("habits.io.os.fsync", disk_full)
    code, stderr = run_cli(["tasks", "generate", "countdown", "--n", "2", "--out", str(out)], capsys)
    assert code == errors.FILESYSTEM
    assert f"{out}: disk full" in stderr and ".tmp" not in stderr and "Traceback" not in stderr
    assert out.read_text() == "SENTINEL\n"


def test_a_bad_set_value_names_the_field_instead_of_a_type_error(capsys, tmp_path):
    code, stderr = run_cli(["tasks", "generate", "countdown", "--out", str(tmp_path / "p.jsonl"), "--set",
                            "max_numbers=abc"], capsys)
    assert code == errors.BAD_INPUT and "max_numbers must be a whole number, got 'abc'" in stderr
