"""Model files that cannot run code, written so that a crash leaves the old version.

Every model or derived file the project writes is numpy arrays (``.npz``, read with
``allow_pickle=False``) or JSON. A pickle (or joblib, or ``torch.load``) executes
whatever its bytes say when loaded, and the models directory is reachable by anyone
who can write a file into the workspace, so nothing there is ever unpickled.

A write goes to a temporary file beside the target, is flushed to disk and renamed
over the target: a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from assistant.errors import DataError

RETRAIN_HINT = "run `insight index` to train it again"


class ModelFileError(DataError):
    """A model file is missing a part, damaged, or not in a safe format."""

    def __init__(self, path: Path | str, problem: str, *, hint: str = RETRAIN_HINT) -> None:
        super().__init__(f"{path}: {problem}", hint=hint)
        self.path = str(path)


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a flushed temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """The arrays as ``.npz`` bytes; object arrays (which would need pickle) are refused."""
    for name, arr in arrays.items():
        if np.asarray(arr).dtype.hasobject:
            raise TypeError(f"array {name!r} has dtype object, which only pickle can store")
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def save_npz_atomic(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    return write_bytes_atomic(path, npz_bytes(arrays))


def save_json_atomic(path: Path, data: dict) -> Path:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str, allow_nan=False)
    return write_bytes_atomic(path, text.encode("utf-8"))


def load_npz(source: Path | bytes, *, where: Path | str | None = None) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file (or its bytes), read without pickle.

    A damaged, truncated or pickled file is a :class:`ModelFileError` naming the file.
    """
    where = where or source
    try:
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        loaded = np.load(io.BytesIO(raw), allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("a single .npy array, not an .npz archive")
        with loaded as npz:
            return {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise ModelFileError(where, "missing") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        # numpy refuses pickled content with a ValueError when allow_pickle=False.
        raise ModelFileError(where, f"not a readable numpy .npz file ({exc})") from None


def load_json(path: Path, *, max_bytes: int = 4_000_000) -> dict:
    """A JSON object from ``path``; anything else is a :class:`ModelFileError`."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ModelFileError(path, f"{size} bytes, more than a model description can be")
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise ModelFileError(path, "missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(path, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ModelFileError(path, "expected a JSON object")
    return data


def load_described_npz(json_path: Path, meta: dict, *, hint: str) -> tuple[Path, dict]:
    """The arrays a model description names in its ``arrays`` field (a bare file name
    beside it), checked against its ``arrays_sha256``: (their path, the arrays)."""
    arrays_name = meta.get("arrays")
    if not isinstance(arrays_name, str) or Path(arrays_name).name != arrays_name:
        raise ModelFileError(json_path, f"arrays file name {arrays_name!r} is not allowed")
    arrays_path = Path(json_path).parent / arrays_name
    try:
        raw = arrays_path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(arrays_path, "missing", hint=hint) from None
    if hashlib.sha256(raw).hexdigest() != meta.get("arrays_sha256"):
        raise ModelFileError(arrays_path, "damaged: digest differs from its description")
    return arrays_path, load_npz(raw, where=arrays_path)
