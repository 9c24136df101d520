"""Rows in and out: errors that name the file and line, outputs checked before work, nothing lost."""

import errno
import json
import os
import stat

import pytest

from habits.errors import WriteFailed
from habits.io import (InputError, atomic_write, check_output, check_output_dir, read_jsonl, read_rows,
                       write_json, write_or_rescue, write_rows)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_permissions_the_users_umask_gives(tmp_path, umask, mode):
    before = os.umask(umask)
    try:
        write_json(tmp_path / "summary.json", {"ok": True})
        with atomic_write(tmp_path / "report.html") as handle:
            handle.write("<html></html>")
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "summary.json").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == mode


@pytest.mark.parametrize(("line", "says"), [
    ('{"problem": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ('{"completion": NaN}', "NaN is not JSON"),
    ('{"completion": x}', r"not valid JSON \(Expecting value, column 16\)"),
])
def test_unreadable_rows_are_errors_naming_the_file_and_line(tmp_path, line, says):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"completion": "fine"}\n' + line + "\n")
    with pytest.raises(InputError, match=rf"rows\.jsonl:2: .*{says}"):
        list(read_jsonl(path))


def test_parquet_inputs_are_read_as_parquet_and_a_misnamed_one_is_recognised(tmp_path):
    rows = [{"problem": {"numbers": [1, 2], "target": 3}, "completion": "<answer>1+2</answer>"}]
    write_rows(tmp_path / "rows.parquet", rows)
    assert [row for _, row in read_rows(tmp_path / "rows.parquet", ("completion",))] == rows
    (tmp_path / "rows.jsonl").write_bytes((tmp_path / "rows.parquet").read_bytes())
    with pytest.raises(InputError, match="this is a Parquet file; give it the .parquet suffix"):
        read_rows(tmp_path / "rows.jsonl")


@pytest.mark.parametrize("content", ["", "\n  \n\n"])
def test_an_input_without_rows_is_refused(tmp_path, content):
    (tmp_path / "empty.jsonl").write_text(content)
    with pytest.raises(InputError, match="empty.jsonl: no rows"):
        read_rows(tmp_path / "empty.jsonl")


def test_outputs_are_refused_before_any_work_when_they_could_not_be_written(tmp_path):
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "a_dir").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        check_output(tmp_path / "a_dir", (".jsonl",))
    with pytest.raises(InputError, match="a_file is a file, not a directory"):
        check_output(tmp_path / "a_file" / "out.jsonl")
    with pytest.raises(InputError, match="unknown format '.csv'; use a name ending in .jsonl or .parquet"):
        check_output(tmp_path / "out.csv", (".jsonl", ".parquet"))
    with pytest.raises(InputError, match="is a file, not a directory"):
        check_output_dir(tmp_path / "a_file")
    assert check_output(tmp_path / "new" / "deeper" / "out.jsonl", (".jsonl",)).name == "out.jsonl"
    assert not (tmp_path / "new").exists()  # checking creates nothing


def test_an_unwritable_place_is_refused_up_front_with_the_systems_reason(tmp_path, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("habits.io.tempfile.mkstemp", read_only)
    with pytest.raises(OSError) as raised:
        check_output(tmp_path / "out.json", (".json",), "--out")
    assert raised.value.errno == errno.EROFS and "--out" in raised.value.filename


def test_a_failed_write_keeps_the_old_file_and_names_the_output_not_a_temporary(tmp_path, monkeypatch):
    target = tmp_path / "v.jsonl"
    target.write_text("SENTINEL\n")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("habits.io.os.fsync", disk_full)
    with pytest.raises(OSError) as raised:
        write_rows(target, [{"a": 1}])
    assert raised.value.filename == str(target)
    assert target.read_text() == "SENTINEL\n" and os.listdir(tmp_path) == ["v.jsonl"]


def test_results_whose_write_fails_at_the_end_are_saved_elsewhere_and_the_error_says_where(tmp_path, monkeypatch):
    monkeypatch.setattr("habits.io.tempfile.gettempdir", lambda: str(tmp_path / "rescue"))
    (tmp_path / "rescue").mkdir()
    target = tmp_path / "gone" / "eval.json"

    def write(path):
        if path == target:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write_json(path, {"accuracy": 0.5})

    with pytest.raises(WriteFailed, match=r"disk full.*the results were saved to .*rescue.*eval\.json instead"):
        write_or_rescue(target, write)
    [saved] = (tmp_path / "rescue").iterdir()
    assert json.loads(saved.read_text()) == {"accuracy": 0.5}
