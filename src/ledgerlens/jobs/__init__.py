"""End-to-end jobs that chain the library's steps; ``make demo`` runs the main job."""

from ledgerlens.jobs._main_job import MainJobResult, run_main_job

__all__ = ["MainJobResult", "run_main_job"]
