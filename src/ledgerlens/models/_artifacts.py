"""Save and load model state as arrays + metadata, with a content hash checked on load.

An artifact ``NAME`` in a folder is two files: ``NAME.npz`` (numpy arrays, read back with
``allow_pickle=False`` so a tampered file cannot run code) and ``NAME.json`` (metadata: format
version, library and schema versions, creation time, the arrays' sha256 and whatever the model
adds: data window, metrics, parameters).

>>> import tempfile, numpy as np
>>> folder = Path(tempfile.mkdtemp())
>>> info = save_artifact(folder, "demo", {"w": np.arange(3.0)}, {"kind": "demo"})
>>> arrays, meta = load_artifact(folder, "demo")
>>> arrays["w"].tolist(), meta["kind"]
([0.0, 1.0, 2.0], 'demo')
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ledgerlens.exceptions import ArtifactError

__all__ = ["ArtifactInfo", "artifact_exists", "load_artifact", "save_artifact"]

FORMAT_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")


@dataclass(frozen=True, slots=True)
class ArtifactInfo:
    """Where an artifact lies and the hash of its arrays."""

    folder: Path
    name: str
    sha256: str
    n_bytes: int

    @property
    def arrays_path(self) -> Path:
        return self.folder / f"{self.name}.npz"

    @property
    def metadata_path(self) -> Path:
        return self.folder / f"{self.name}.json"


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ArtifactError(f"artifact name {name!r} must match {_NAME.pattern}")


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _versions() -> dict[str, str]:
    from ledgerlens import __version__
    from ledgerlens.schema import SCHEMA_VERSION

    return {"ledgerlens": __version__, "schema": SCHEMA_VERSION, "numpy": np.__version__,
            "python": platform.python_version()}


def save_artifact(folder: Path, name: str, arrays: dict[str, np.ndarray],
                  metadata: dict[str, Any]) -> ArtifactInfo:
    """Write ``arrays`` and ``metadata`` under ``folder``; object arrays (pickles) are refused."""
    _check_name(name)
    for key, arr in arrays.items():
        if arr.dtype.hasobject:
            raise ArtifactError(f"array {key!r} of artifact {name!r} has dtype object; "
                                "store strings as a fixed-width unicode array instead")
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    ordered = {k: arrays[k] for k in sorted(arrays)}
    np.savez_compressed(buffer, allow_pickle=False, **ordered)
    payload = buffer.getvalue()
    digest = hashlib.sha256(payload).hexdigest()
    meta = {**metadata, "artifact": {"name": name, "format_version": FORMAT_VERSION,
                                     "sha256": digest, "bytes": len(payload),
                                     "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                     "versions": _versions()}}
    info = ArtifactInfo(folder, name, digest, len(payload))
    _atomic_write(info.arrays_path, payload)
    _atomic_write(info.metadata_path,
                  json.dumps(meta, indent=2, sort_keys=True, default=str).encode())
    return info


def artifact_exists(folder: Path, name: str) -> bool:
    """Whether both files of an artifact are there."""
    return (folder / f"{name}.npz").is_file() and (folder / f"{name}.json").is_file()


def load_artifact(folder: Path, name: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read an artifact back, refusing one whose arrays do not match the recorded hash."""
    _check_name(name)
    arrays_path, meta_path = folder / f"{name}.npz", folder / f"{name}.json"
    if not arrays_path.is_file() or not meta_path.is_file():
        raise ArtifactError(f"no artifact {name!r} in {folder} (expected "
                            f"{arrays_path.name} and {meta_path.name})")
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"metadata of artifact {name!r} in {folder} is not JSON: "
                            f"{exc}") from exc
    payload = arrays_path.read_bytes()
    recorded = meta.get("artifact", {}).get("sha256")
    actual = hashlib.sha256(payload).hexdigest()
    if recorded != actual:
        raise ArtifactError(f"artifact {name!r} in {folder} is corrupted or was modified: "
                            f"sha256 {actual[:12]}… does not match the recorded "
                            f"{str(recorded)[:12]}…")
    version = meta["artifact"].get("format_version")
    if version != FORMAT_VERSION:
        raise ArtifactError(f"artifact {name!r} has format version {version}; "
                            f"this ledgerlens reads version {FORMAT_VERSION}")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except ValueError as exc:
        raise ArtifactError(f"artifact {name!r} in {folder} holds pickled objects; "
                            "refused") from exc
    return arrays, meta
