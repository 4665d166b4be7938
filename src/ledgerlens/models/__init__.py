"""Model artifacts: versioned, hashed, saved as numpy arrays plus JSON metadata; never pickled."""

from ledgerlens.models._artifacts import ArtifactInfo, artifact_exists, load_artifact, save_artifact

__all__ = ["ArtifactInfo", "artifact_exists", "load_artifact", "save_artifact"]
