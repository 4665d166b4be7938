"""What every reader returns: statement records as the file states them, and rejects.

Readers only parse: they turn a file into ``STATEMENT_RECORD`` rows (one per movement,
signed exact amounts, dates, the label untouched) and ``QUARANTINE_RECORD`` rows for what
they could not trust, with the reason and where it was in the file. Normalisation,
pseudonymisation, masking, fingerprinting and storage happen after, once for all formats.
Counts reconcile: every movement found is either a record or a reject.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from ledgerlens.schema import AMOUNT_DTYPE

__all__ = [
    "BALANCE_RECORD",
    "MAX_RAW_RECORD",
    "QUARANTINE_RECORD",
    "REASONS",
    "STATEMENT_RECORD",
    "ReadResult",
    "Reader",
    "empty_balances",
    "empty_rejects",
]

STATEMENT_RECORD = pl.Schema({
    "account_ref": pl.String(),  # account identifier as the file gives it (IBAN, number)
    "booking_date": pl.Date(),
    "value_date": pl.Date(),
    "amount": AMOUNT_DTYPE,  # signed: negative = money out
    "currency": pl.String(),
    "raw_label": pl.String(),  # untouched (only the file's own line breaks are kept out)
    "label_complement": pl.String(),
    "counterparty_name": pl.String(),
    "counterparty_iban": pl.String(),
    "mcc": pl.String(),
    "bank_transaction_code": pl.String(),
    "end_to_end_id": pl.String(),
    "source_position": pl.String(),  # "line 12", "Stmt[1]/Ntry[3]/TxDtls[2]", "booked[4]"
    "raw_record": pl.String(),  # the record's text, cut at MAX_RAW_RECORD characters
})

QUARANTINE_RECORD = pl.Schema({
    "source_position": pl.String(),
    "reason": pl.String(),  # one of REASONS
    "detail": pl.String(),  # what was wrong, without personal data
    "raw_record": pl.String(),
})

#: Opening and closing balances a statement declares, to check movements against.
BALANCE_RECORD = pl.Schema({
    "account_ref": pl.String(),
    "opening_date": pl.Date(),
    "opening_balance": AMOUNT_DTYPE,
    "closing_date": pl.Date(),
    "closing_balance": AMOUNT_DTYPE,
    "currency": pl.String(),
    "source_position": pl.String(),
})

#: Reason codes of quarantined records.
REASONS: dict[str, str] = {
    "malformed_record": "the record does not have the structure of its format",
    "missing_field": "a required field (date, amount, label, account) is missing",
    "unparseable_amount": "the amount is not a number in any accepted notation",
    "unparseable_date": "the date does not exist or is in no accepted format",
    "missing_currency": "no currency for the record or its account",
    "unknown_currency": "the currency is not an ISO 4217 code",
    "future_date": "booked further in the future than the tolerance allows",
    "balance_mismatch": "movements do not add up to the statement's closing balance",
    "duplicate_in_file": "the same movement appears twice in the file",
    "encoding_error": "the text could not be decoded",
    "pending_not_booked": "a pending (or otherwise not booked) entry: counted, not a movement "
                          "yet; it comes back booked in a later statement",
}

MAX_RAW_RECORD = 65_536


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_RECORD)


def empty_balances() -> pl.DataFrame:
    return pl.DataFrame(schema=BALANCE_RECORD)


@dataclass(frozen=True)
class ReadResult:
    """One file read: its format, the records found, the rejects and declared balances."""

    format: str
    records: pl.DataFrame
    rejects: pl.DataFrame = field(default_factory=empty_rejects)
    balances: pl.DataFrame = field(default_factory=empty_balances)

    def __post_init__(self) -> None:
        for name, frame, schema in (("records", self.records, STATEMENT_RECORD),
                                    ("rejects", self.rejects, QUARANTINE_RECORD),
                                    ("balances", self.balances, BALANCE_RECORD)):
            if frame.schema != schema:
                raise TypeError(f"{self.format} reader returned {name} with schema "
                                f"{dict(frame.schema)}, expected {dict(schema)}")

    @property
    def n_found(self) -> int:
        return self.records.height + self.rejects.height


#: A reader takes the file's bytes and its name (for messages) and returns what it found.
#: It raises ``ledgerlens.exceptions.IngestError`` only when the file cannot be read at all.
Reader = Callable[[bytes, str], ReadResult]
