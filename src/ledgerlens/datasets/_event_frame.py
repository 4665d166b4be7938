"""The intermediate "events" frame: one row per movement, before labels are written.

Every generator (recurring streams, card spending, cash, transfers, fees) returns a frame
with these columns; the bank assembles them, renders labels in each customer's dialect
(``_dialects.render_labels``) and derives the canonical tables and the ground truth.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

__all__ = ["EVENT_SCHEMA", "event_frame"]

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "customer_idx": pl.Int64(),
    "account_idx": pl.Int64(),
    "day": pl.Int32(),  # booking day number in the simulation calendar
    "op_day": pl.Int32(),  # operation (purchase) day number, <= day
    "operation_minute": pl.Int16(),
    "amount": pl.Float64(),
    "original_amount": pl.Float64(),
    "original_currency": pl.String(),
    "fx_rate": pl.Float64(),
    "transaction_type": pl.String(),
    "label_kind": pl.String(),
    "descriptor": pl.String(),
    "city": pl.String(),
    "country": pl.String(),
    "card_last4": pl.String(),
    "card_bin": pl.String(),
    "person_title": pl.String(),
    "person_first": pl.String(),
    "person_last": pl.String(),
    "motif": pl.String(),
    "motif_pii_kind": pl.String(),
    "motif_pii_value": pl.String(),
    "reference": pl.String(),
    "mandate_id": pl.String(),
    "creditor_id": pl.String(),
    "cheque_number": pl.String(),
    "loan_number": pl.String(),
    "merchant_id": pl.String(),
    "subcategory": pl.String(),
    "intermediary": pl.String(),
    "recurring_stream_id": pl.String(),
    "is_income": pl.Boolean(),
    "mcc": pl.String(),
    "counterparty_iban": pl.String(),
    "bank_transaction_code": pl.String(),
}


def event_frame(n: int, **columns: Any) -> pl.DataFrame:
    """Build an events frame of ``n`` rows; absent columns are null, scalars are broadcast.

    Values may be numpy arrays, lists, Polars Series or scalars; every column is cast to
    its ``EVENT_SCHEMA`` dtype so that frames from different generators concatenate.
    """
    unknown = set(columns) - set(EVENT_SCHEMA)
    if unknown:
        raise KeyError(f"unknown event column(s): {', '.join(sorted(unknown))}")
    data: dict[str, pl.Series] = {}
    for name, dtype in EVENT_SCHEMA.items():
        value = columns.get(name)
        if isinstance(value, pl.Series):
            data[name] = value.alias(name).cast(dtype)
        elif isinstance(value, (np.ndarray, list)):
            data[name] = pl.Series(name, value).cast(dtype)
        else:
            data[name] = pl.repeat(value, n, eager=True, dtype=dtype).alias(name)
        if data[name].len() != n:
            raise ValueError(f"event column {name!r} has {data[name].len()} values, expected {n}")
    return pl.DataFrame(data)


def strings(values: Any, n: int = 0) -> pl.Series:
    """A String series from numpy arrays (object arrays may hold None) or lists; ``None``
    gives ``n`` nulls."""
    if values is None:
        return pl.repeat(None, n, dtype=pl.String, eager=True)
    if isinstance(values, np.ndarray):
        values = values.tolist()
    return pl.Series(values, dtype=pl.String)


def masked(keep: Any, values: Any) -> pl.Series:
    """``values`` as a String series, null where ``keep`` is false (numpy's where with None)."""
    frame = pl.DataFrame({"v": strings(values), "k": pl.Series(np.asarray(keep, dtype=bool))})
    return frame.select(pl.when(pl.col("k")).then(pl.col("v"))).to_series()
