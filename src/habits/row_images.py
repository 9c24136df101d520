"""Images in row files: PNG bytes inside Parquet, PNG files beside JSONL, and back again for training.

Rows of image tasks (problems from ``habits tasks generate``, priming rows from ``habits prime-data``)
carry the images their prompt shows in an ``images`` column -- TRL's name for it: its trainers fill a
prompt's ``{"type": "image"}`` parts from that column in order. Producers put PIL images there and
:func:`habits.io.write_rows` stores them as the file format allows:

* **Parquet**: each image is ``{"bytes": <PNG>, "path": "<name>.png"}`` and the column is tagged with
  ``datasets``' feature ``List(Image())`` in the file's schema metadata, so
  ``datasets.load_dataset("parquet", data_files=F)`` gives PIL images, with no other file needed.
* **JSONL**: JSON has no bytes, so the images are PNG files in ``<stem>_images/`` beside the file and
  the row keeps their paths; ``load_dataset("json", ...).cast_column("images", List(Image()))``
  opens them.

:func:`image_features` reads either form back (and a path relative to the file's folder, for a file
moved together with its images folder) into what ``datasets.Image`` stores, checking that each
image can be decoded, so a broken one is named with its file and row before any model loads.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

IMAGES = "images"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def has_images(rows: Sequence[Mapping[str, Any]]) -> bool:
    return any(row.get(IMAGES) for row in rows)


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(image: Any) -> str:
    """A PIL image as a ``data:image/png;base64,...`` URL (OpenAI-compatible ``image_url`` parts)."""
    import base64

    return "data:image/png;base64," + base64.b64encode(_png(image)).decode("ascii")


def _stored(item: Any) -> tuple[bytes | None, str | None]:
    """(bytes, path) of one image as a producer or a reader left it: PIL image, bytes, path, or datasets' dict."""
    if isinstance(item, Mapping):
        return item.get("bytes"), item.get("path")
    if isinstance(item, (bytes, bytearray)):
        return bytes(item), None
    if isinstance(item, (str, Path)):
        return None, str(item)
    if hasattr(item, "save"):  # a PIL image
        return _png(item), None
    raise TypeError(f"an image must be a PIL image, PNG bytes or a path, got {type(item).__name__}")


def _name(row: Mapping[str, Any], index: int, k: int) -> str:
    stem = _UNSAFE.sub("_", str(row.get("id", index)))[:120] or str(index)
    return f"{stem}-{k}.png"


def encode_rows(path: Path, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with their ``images`` in the stored form of ``path``'s format (see the module docstring)."""
    parquet = path.suffix == ".parquet"
    folder = path.with_name(path.stem + "_images")
    out = []
    for index, row in enumerate(rows):
        items = row.get(IMAGES)
        if not items:
            out.append(dict(row) if IMAGES not in row else {**row, IMAGES: []})
            continue
        stored = []
        for k, item in enumerate(items):
            data, where = _stored(item)
            name = _name(row, index, k)
            if parquet:
                if data is None:  # a path: embed the file, so the Parquet file stands alone
                    data = Path(where).read_bytes()
                stored.append({"bytes": data, "path": name})
            elif data is None:
                stored.append(where)  # already a file: keep pointing at it
            else:
                folder.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(data)
                stored.append(str(folder / name))
        out.append({**row, IMAGES: stored})
    return out


def arrow_table(rows: Sequence[Mapping[str, Any]]) -> Any:
    """A pyarrow table of ``rows`` whose ``images`` column (if any) ``datasets`` reads as ``List(Image())``.

    Arrow would type a column of ``{"bytes", "path": None}`` dicts as struct<bytes, null>, which
    ``datasets`` does not take for its Image feature; the column is built with the feature's own type.
    """
    import pyarrow as pa

    if not has_images(rows):
        return pa.Table.from_pylist(list(rows))
    import datasets

    features = datasets.Features({IMAGES: datasets.List(datasets.Image())})
    column = pa.array([row.get(IMAGES) or [] for row in rows], type=features.arrow_schema.field(IMAGES).type)
    table = pa.Table.from_pylist([{k: v for k, v in row.items() if k != IMAGES} for row in rows])
    table = table.append_column(IMAGES, column)
    metadata = {**(table.schema.metadata or {}),
                b"huggingface": json.dumps({"info": {"features": features.to_dict()}}).encode()}
    return table.replace_schema_metadata(metadata)


# -- reading back ---------------------------------------------------------------------------------
def _resolve(where: str, data_file: Path) -> Path | None:
    """The image file ``where`` names: as written (absolute or from the working directory), or relative
    to the data file's folder, or in the ``<stem>_images`` folder beside it (a file moved with its images)."""
    path = Path(where).expanduser()
    for candidate in (path, data_file.parent / path, data_file.parent / path.parent.name / path.name):
        if candidate.is_file():
            return candidate
    return None


def _check_decodes(data: bytes | Path, where: str) -> None:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("rows with images need Pillow: pip install 'habits[vision]' "
                          "(or pip install pillow)") from None
    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
            image.verify()  # checks the file's structure and checksums without decoding every pixel
    except Exception as exc:  # noqa: BLE001 -- Pillow raises many types for a damaged file
        from habits.io import InputError

        raise InputError(f"{where}: the image cannot be decoded ({type(exc).__name__}: {exc}); regenerate the "
                         "rows (habits prime-data / habits tasks generate) or fix the image") from None


def image_features(value: Any, where: str, data_file: str | Path) -> list[dict[str, Any]]:
    """One row's ``images`` as ``datasets.Image`` storage (``{"bytes", "path"}``), each checked to decode.

    ``where`` names the file and row in errors; ``data_file`` is the row file (relative paths).
    """
    from habits.io import InputError

    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        value = [value]
    out = []
    for k, item in enumerate(value):
        here = f"{where}: images[{k}]"
        try:
            data, named = _stored(item)
        except TypeError as exc:
            raise InputError(f"{here}: {exc}") from None
        if data is None:
            if not named:
                raise InputError(f"{here}: neither bytes nor a path")
            found = _resolve(named, Path(data_file))
            if found is None:
                raise InputError(f"{here}: image file {named} not found (looked beside {data_file} too); keep the "
                                 "images folder next to the JSONL file, or write Parquet, which holds the images")
            _check_decodes(found, f"{here} ({found})")
            out.append({"bytes": None, "path": str(found)})
        else:
            _check_decodes(data, here)
            out.append({"bytes": data, "path": named})
    return out


def image_placeholders(prompt: Any) -> int:
    """How many ``{"type": "image"}`` parts a chat prompt has (TRL fills them from the ``images`` column)."""
    if isinstance(prompt, str):
        return 0
    return sum(1 for message in prompt if isinstance(message.get("content"), list)
               for part in message["content"] if isinstance(part, Mapping) and part.get("type") == "image")
