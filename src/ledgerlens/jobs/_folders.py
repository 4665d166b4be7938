"""The main job's own output folders: emptied at the start of each run, and only when an
earlier run of the job wrote them."""

from __future__ import annotations

import shutil
from pathlib import Path

from ledgerlens.exceptions import ConfigurationError

__all__ = ["JOB_MARK", "fresh_job_folder"]

#: The file that marks a folder as the main job's own (its statements, its lake): a later
#: run replaces such a folder whole, so that an older run's files never mix with its own.
JOB_MARK = ".ledgerlens-main-job"


def fresh_job_folder(folder: Path) -> None:
    """Empty ``folder`` for this run: removed when an earlier run of the job marked it,
    refused when it holds files the job did not write (an older run's lake would fail the
    round trip with transactions of another bank; someone else's files are not ours to
    delete)."""
    if folder.exists() and not folder.is_dir():
        raise ConfigurationError(f"{folder} is a file, not a folder: choose another --out")
    if folder.is_dir() and any(folder.iterdir()):
        if not (folder / JOB_MARK).is_file():
            raise ConfigurationError(
                f"{folder} already holds files this job did not write (an older ledgerlens "
                f"run, or other data): remove it or choose another --out")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / JOB_MARK).write_text("written by ledgerlens' main job; replaced on each run\n",
                                   encoding="utf-8")
