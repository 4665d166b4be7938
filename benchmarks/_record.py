"""Write a benchmark's figures into its own block of docs/benchmarks.md (replacing the old one)."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def record(name: str, lines: list[str], heading: str = "") -> None:
    """Replace the ``<!-- name:begin -->`` block, or append it under ``heading`` if absent."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = "\n".join([begin, *lines, end])
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + (heading + "\n\n" if heading else "") + block + "\n"
    DOC.write_text(text, encoding="utf-8")
