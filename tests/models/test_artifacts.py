from pathlib import Path

import numpy as np
import pytest

from ledgerlens.exceptions import ArtifactError
from ledgerlens.models import artifact_exists, load_artifact, save_artifact


def test_round_trip_keeps_arrays_and_metadata(tmp_path: Path) -> None:
    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "vocab": np.array(["A", "BC"])}
    info = save_artifact(tmp_path, "model", arrays, {"window": "2025-01..2025-12"})
    assert artifact_exists(tmp_path, "model")
    loaded, meta = load_artifact(tmp_path, "model")
    np.testing.assert_array_equal(loaded["w"], arrays["w"])
    assert loaded["vocab"].tolist() == ["A", "BC"]
    assert meta["window"] == "2025-01..2025-12"
    assert meta["artifact"]["sha256"] == info.sha256
    assert meta["artifact"]["versions"]["schema"]


def test_refuses_a_modified_file(tmp_path: Path) -> None:
    info = save_artifact(tmp_path, "model", {"w": np.zeros(4)}, {})
    save_artifact(tmp_path, "other", {"w": np.ones(4)}, {})
    info.arrays_path.write_bytes((tmp_path / "other.npz").read_bytes())
    with pytest.raises(ArtifactError, match="corrupted or was modified"):
        load_artifact(tmp_path, "model")


def test_refuses_object_arrays_and_names_the_missing_artifact(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="dtype object"):
        save_artifact(tmp_path, "m", {"x": np.array([{"a": 1}], dtype=object)}, {})
    with pytest.raises(ArtifactError, match="no artifact 'absent'"):
        load_artifact(tmp_path, "absent")
    with pytest.raises(ArtifactError, match="must match"):
        save_artifact(tmp_path, "../escape", {}, {})
