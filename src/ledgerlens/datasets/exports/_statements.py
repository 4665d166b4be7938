"""Write a synthetic bank's accounts as bank-native statement files, one file per account
and format, plus the manifest that tells ingestion whose account each file is."""

from __future__ import annotations

import datetime as dt
import decimal
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ledgerlens.datasets.exports._base import Exporter, StatementAccount
from ledgerlens.exceptions import ConfigurationError

__all__ = ["EXPORT_FORMATS", "NATIVE_FORMAT", "ExportSummary", "export_statements",
           "statement_account"]

#: format -> (module, function, file extension)
EXPORT_FORMATS: dict[str, tuple[str, str, str]] = {
    "csv": ("_csv", "export_csv", "csv"),
    "ofx": ("_ofx", "export_ofx", "ofx"),
    "camt053": ("_camt", "export_camt053", "xml"),
    "mt940": ("_mt940", "export_mt940", "sta"),
    "cfonb": ("_cfonb", "export_cfonb", "cfo"),
    "stet": ("_psd2", "export_stet", "json"),
    "berlin": ("_psd2", "export_berlin_group", "json"),
}

MANIFEST = "accounts.csv"

#: The format each synthetic bank hands its statements out in ("native" export).
NATIVE_FORMAT: dict[str, str] = {
    "national_facture": "camt053",
    "national_two_line": "cfonb",
    "mutualist_two_line": "csv",
    "mutualist_50": "csv",
    "cooperative_32": "ofx",
    "network_32": "mt940",
    "postal_50": "csv",
    "online_bank": "ofx",
    "neobank": "berlin",
    "mobile_40": "csv",
    "aggregator": "stet",
}


def _exporter(fmt: str) -> Exporter:
    try:
        module, name, _ = EXPORT_FORMATS[fmt]
    except KeyError:
        raise ConfigurationError(
            f"unknown export format {fmt!r}; expected some of {', '.join(EXPORT_FORMATS)}"
        ) from None
    function: Exporter = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    return function


def statement_account(row: dict[str, object], opening_date: dt.date) -> StatementAccount:
    """The ``StatementAccount`` of a row of the synthetic bank's ``account_numbers``."""
    bank = str(row["bank_id"])
    customer_ref = str(row["customer_ref"])
    return StatementAccount(
        iban=str(row["iban"]), customer_ref=customer_ref, currency=str(row["currency"]),
        bank_id=str(row.get("dialect", bank)),
        bic=(bank.replace("_", "")[:4].upper().ljust(4, "X") + "FRPPXXX"),
        holder=f"CLIENT {customer_ref[3:]}",
        opening_balance=decimal.Decimal("1500.00"), opening_date=opening_date,
    )


@dataclass(frozen=True)
class ExportSummary:
    """Files written per format, and where the manifest is."""

    out_dir: Path
    files: dict[str, int]
    manifest: Path


def export_statements(
    transactions: pl.DataFrame,
    account_numbers: pl.DataFrame,
    out_dir: Path,
    formats: Iterable[str],
    *,
    opening_date: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> ExportSummary:
    """Write every account's statements in every format under ``out_dir/<format>/``;
    ``formats=["native"]`` writes each account once, in its own bank's format.

    Files are named after the pseudonymous account id (never the IBAN); the manifest
    ``accounts.csv`` maps each file to its account reference and customer number.
    """
    files, manifest = _export_accounts(transactions, account_numbers, out_dir, list(formats),
                                       opening_date, progress)
    return ExportSummary(out_dir, files, _write_manifest(out_dir, manifest))


def export_bank_folder(bank_dir: Path, out_dir: Path, formats: Iterable[str], *,
                       opening_date: dt.date,
                       progress: Callable[[int, int], None] | None = None) -> ExportSummary:
    """``export_statements`` over a bank written by ``write_bank``, one block at a time."""
    fmts = list(formats)
    parts = sorted((bank_dir / "transactions").glob("part-*.parquet"))
    files: dict[str, int] = {}
    manifest: list[dict[str, str]] = []
    for i, part in enumerate(parts):
        numbers = pl.read_parquet(bank_dir / "account_numbers" / part.name)
        done, rows = _export_accounts(pl.read_parquet(part), numbers, out_dir, fmts,
                                      opening_date, None)
        for fmt, n in done.items():
            files[fmt] = files.get(fmt, 0) + n
        manifest.extend(rows)
        if progress is not None:
            progress(i + 1, len(parts))
    return ExportSummary(out_dir, files, _write_manifest(out_dir, manifest))


def _write_manifest(out_dir: Path, rows: list[dict[str, str]]) -> Path:
    path = out_dir / MANIFEST
    pl.DataFrame(rows, schema={"file": pl.String, "account_ref": pl.String,
                               "customer_ref": pl.String}).write_csv(path)
    return path


def _export_accounts(
    transactions: pl.DataFrame, account_numbers: pl.DataFrame, out_dir: Path,
    fmts: list[str], opening_date: dt.date, progress: Callable[[int, int], None] | None,
) -> tuple[dict[str, int], list[dict[str, str]]]:
    fmts = list(dict.fromkeys(fmts))
    native = fmts == ["native"]
    if native:
        fmts = sorted(set(NATIVE_FORMAT.values()))
    exporters = {fmt: _exporter(fmt) for fmt in fmts}
    out_dir.mkdir(parents=True, exist_ok=True)
    by_account = transactions.partition_by("account_id", as_dict=True, maintain_order=True)
    files = dict.fromkeys(fmts, 0)
    manifest: list[dict[str, str]] = []
    accounts = account_numbers.filter(pl.col("account_id").is_in(
        transactions["account_id"].unique().to_list())).sort("account_id")
    total = accounts.height * (1 if native else len(fmts))
    done = 0
    for row in accounts.iter_rows(named=True):
        account = statement_account(row, opening_date)
        tx = by_account[(row["account_id"],)].sort("booking_date", maintain_order=True)
        for fmt in ([NATIVE_FORMAT[account.bank_id]] if native else fmts):
            ext = EXPORT_FORMATS[fmt][2]
            path = out_dir / fmt / f"{row['account_id']}.{ext}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(exporters[fmt](account, tx))
            files[fmt] += 1
            manifest.append({"file": f"{fmt}/{path.name}", "account_ref": account.iban,
                             "customer_ref": account.customer_ref})
            done += 1
            if progress is not None:
                progress(done, total)
    return {k: v for k, v in files.items() if v}, manifest
