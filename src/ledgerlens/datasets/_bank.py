"""The synthetic bank: assembles personas, merchants, streams and spending into the
canonical tables plus ground truth, block by block.

Customers are generated in fixed blocks, each with its own random stream derived from the
seed and the block number, so that the bank is the same whether it is built in memory or
written chunk by chunk, and memory stays flat however large the bank grows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import polars as pl

from ledgerlens.datasets._calendar import Calendar
from ledgerlens.datasets._dialects import render_labels
from ledgerlens.datasets._events import deferred_card_totals, other_events, reimbursements
from ledgerlens.datasets._people import People
from ledgerlens.datasets._personas import Population, account_table, draw_population
from ledgerlens.datasets._recurring import recurring_streams
from ledgerlens.datasets._spending import SpendingModel, card_spending
from ledgerlens.datasets._universe import (
    MerchantUniverse,
    build_universe,
    identify_named_counterparties,
    regional_office_spellings,
)
from ledgerlens.exceptions import ConfigurationError
from ledgerlens.identity import transaction_fingerprints
from ledgerlens.schema import (
    ACCOUNTS,
    AMOUNT_DTYPE,
    CUSTOMERS,
    GROUND_TRUTH,
    TRANSACTIONS,
)
from ledgerlens.taxonomy import SUBCATEGORIES

__all__ = ["BANK_TABLES", "BankGenerator", "SynthConfig", "SyntheticBank", "WriteSummary",
           "generate_bank", "load_bank", "write_bank"]

#: Tables a synthetic bank writes, one folder of Parquet parts each.
BANK_TABLES = ("transactions", "ground_truth", "merchants", "customers", "accounts",
               "personas", "recurring_streams", "account_numbers")

_CATEGORY_OF = {k: v.category for k, v in SUBCATEGORIES.items()}


@dataclass(frozen=True)
class SynthConfig:
    """What bank to generate: size, window, seed. Same config, same bank, byte for byte."""

    customers: int = 2_000
    months: int = 12
    seed: int = 42
    start: dt.date = dt.date(2025, 1, 1)
    tenant_id: str = "synthetic"
    block_size: int = 250

    def __post_init__(self) -> None:
        if self.customers < 1:
            raise ConfigurationError(f"customers must be at least 1, got {self.customers}")
        if not 1 <= self.months <= 120:
            raise ConfigurationError(f"months must be between 1 and 120, got {self.months}")
        if self.seed < 0:
            raise ConfigurationError(f"seed must be non-negative, got {self.seed}")
        if self.block_size < 1:
            raise ConfigurationError(f"block_size must be at least 1, got {self.block_size}")

    @property
    def n_blocks(self) -> int:
        return -(-self.customers // self.block_size)


@dataclass(frozen=True)
class SyntheticBank:
    """The canonical tables of a synthetic bank and what it knows about them.

    ``account_numbers`` holds the bank's own identifiers (IBAN, customer number) behind the
    pseudonymous ids: made-up personal data, used to write bank-native statement files.
    """

    transactions: pl.DataFrame
    ground_truth: pl.DataFrame
    merchants: pl.DataFrame
    customers: pl.DataFrame
    accounts: pl.DataFrame
    personas: pl.DataFrame
    recurring_streams: pl.DataFrame
    account_numbers: pl.DataFrame

    def table(self, name: str) -> pl.DataFrame:
        if name not in BANK_TABLES:
            raise KeyError(f"unknown table {name!r}; expected one of {', '.join(BANK_TABLES)}")
        frame: pl.DataFrame = getattr(self, name)
        return frame


class BankGenerator:
    """Builds the shared parts of a bank once (calendar, merchants), then blocks on demand."""

    def __init__(self, config: SynthConfig) -> None:
        self.config = config
        self.calendar = Calendar.for_months(config.start, config.months)

    @cached_property
    def universe(self) -> MerchantUniverse:
        return build_universe(self.config.customers, self.config.seed)

    @cached_property
    def spending(self) -> SpendingModel:
        return SpendingModel.build(self.universe, self.calendar, self.config.seed)

    @cached_property
    def people(self) -> People:
        return People()

    @cached_property
    def ingested_at(self) -> dt.datetime:
        """A fixed ingestion time (the end of the window), so output is reproducible."""
        end = self.calendar.end
        return dt.datetime(end.year, end.month, end.day, tzinfo=dt.UTC)

    def merchants(self) -> pl.DataFrame:
        """The merchant directory, canonical columns plus the descriptor the bank sees."""
        m = self.universe.merchants
        return self.universe.directory().with_columns(
            descriptor=m["descriptor"], intermediary=m["intermediary"], city=m["city"])

    def blocks(self) -> Iterator[SyntheticBank]:
        for b in range(self.config.n_blocks):
            yield self.block(b)

    def block(self, b: int) -> SyntheticBank:
        """Customers ``b * block_size`` onwards, with everything they did."""
        cfg = self.config
        if not 0 <= b < cfg.n_blocks:
            raise IndexError(f"block {b} out of range 0..{cfg.n_blocks - 1}")
        first = b * cfg.block_size
        n = min(cfg.block_size, cfg.customers - first)
        rng = np.random.default_rng([cfg.seed, 1_000 + b])
        cal = self.calendar
        pop = draw_population(rng, first, n, cal, cfg.tenant_id)
        accounts = account_table(pop, cal, cfg.tenant_id)
        spend = card_spending(self.spending, pop, rng)
        recurring, streams = recurring_streams(pop, cal, rng, self.people, cfg.seed)
        events = pl.concat([spend, recurring, other_events(pop, cal, rng, self.people),
                            reimbursements(spend, cal, rng)])
        events = pl.concat([events, deferred_card_totals(events, cal)])
        events = identify_named_counterparties(events)
        # After identification, so the ground truth keeps the network's merchant id.
        events = regional_office_spellings(events, pop.customer_idx, pop.place_idx, cfg.seed)
        streams = regional_office_spellings(streams, pop.customer_idx, pop.place_idx, cfg.seed,
                                            customer="cust_global")
        transactions, truth = self._canonical(events, accounts)
        customers = self._customers(pop)
        return SyntheticBank(
            transactions=transactions, ground_truth=truth, merchants=self.merchants(),
            customers=customers, accounts=ACCOUNTS.conform(accounts),
            personas=_personas(pop), recurring_streams=_streams_truth(streams, accounts),
            account_numbers=accounts.select(
                "tenant_id", "account_id", "customer_id", "bank_id", "account_type",
                "currency", "iban", "customer_ref", "dialect"),
        )

    def _customers(self, pop: Population) -> pl.DataFrame:
        start = np.datetime64(self.calendar.start, "D")
        bank = np.where(pop.dialect == "aggregator", "aggregated", pop.dialect)
        return pl.DataFrame({
            "tenant_id": self.config.tenant_id, "customer_id": pop.customer_id,
            "bank_id": bank, "age_band": pop.age_band, "region": pop.region,
            "customer_since": start + pop.customer_since,
        }).select(CUSTOMERS.names)

    def _canonical(self, events: pl.DataFrame, accounts: pl.DataFrame
                   ) -> tuple[pl.DataFrame, pl.DataFrame]:
        cfg = self.config
        start = pl.lit(self.calendar.start, dtype=pl.Date)
        events = events.join(accounts.select("account_idx", "account_id", "customer_id",
                                             "dialect"), on="account_idx", how="inner")
        events = events.with_columns(
            booking_date=start + pl.duration(days=pl.col("day")),
            operation_date=start + pl.duration(days=pl.col("op_day")),
        ).sort("account_idx", "day", "op_day", "amount", maintain_order=True)
        labels = render_labels(events)
        value_date = (pl.when(pl.col("transaction_type") == "cheque_deposit")
                      .then(pl.col("booking_date") + pl.duration(days=2))
                      .otherwise(pl.col("booking_date")))
        card = pl.col("transaction_type").str.starts_with("card") | (
            pl.col("transaction_type").is_in(["refund", "reversal"]))
        tx = pl.concat([events, labels.select("raw_label", "label_complement",
                                              "counterparty_name", "pii_spans",
                                              "complement_pii_spans")],
                       how="horizontal").with_columns(
            tenant_id=pl.lit(cfg.tenant_id),
            value_date=value_date,
            amount=pl.col("amount").round(2).cast(AMOUNT_DTYPE),
            currency=pl.lit("EUR"),
            mcc=pl.when(card).then(pl.col("mcc")),
            source_format=pl.lit("synthetic"),
            source_file=pl.lit(None, dtype=pl.String),
            ingested_at=pl.lit(self.ingested_at, dtype=pl.Datetime("us", "UTC")),
        )
        tx = tx.with_columns(transaction_id=transaction_fingerprints(tx))
        truth = tx.select(
            "tenant_id", "transaction_id", "merchant_id",
            category=pl.col("subcategory").replace_strict(_CATEGORY_OF, return_dtype=pl.String),
            subcategory="subcategory", transaction_type="transaction_type",
            intermediary="intermediary", recurring_stream_id="recurring_stream_id",
            is_income=pl.col("is_income").fill_null(False), dialect="dialect",
            pii_spans="pii_spans", complement_pii_spans="complement_pii_spans",
        )
        return TRANSACTIONS.conform(tx), GROUND_TRUTH.conform(truth)


def _personas(pop: Population) -> pl.DataFrame:
    return pl.DataFrame({
        "customer_id": pop.customer_id, "age": pop.age, "age_band": pop.age_band,
        "status": pop.status, "income": pop.income, "income_band": pop.income_band,
        "household": pop.household, "n_children": pop.n_children, "housing": pop.housing,
        "city": pop.city, "region": pop.region, "digital_affinity": pop.digital,
        "has_car": pop.has_car, "deferred_card": pop.deferred_card, "dialect": pop.dialect,
        "second_dialect": pl.Series(pop.dialect2).replace("", None),
    })


def _streams_truth(streams: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    return streams.join(accounts.select("account_idx", "account_id", "customer_id"),
                        on="account_idx", how="inner").select(
        "stream_id", "customer_id", "account_id", "kind", "subcategory", "cadence",
        "merchant_id", "descriptor", amount=pl.col("amount").round(2),
        day_of_month="dom", is_income="is_income")


def generate_bank(config: SynthConfig,
                  progress: Callable[[int, int], None] | None = None) -> SyntheticBank:
    """Generate a whole bank in memory (for small banks; use ``write_bank`` for large ones).

    >>> bank = generate_bank(SynthConfig(customers=20, months=2, seed=1))
    >>> bank.transactions.height > 0
    True
    """
    gen = BankGenerator(config)
    parts: dict[str, list[pl.DataFrame]] = {t: [] for t in BANK_TABLES if t != "merchants"}
    for i, block in enumerate(gen.blocks()):
        for name in parts:
            parts[name].append(block.table(name))
        if progress is not None:
            progress(i + 1, config.n_blocks)
    tables = {name: pl.concat(frames) for name, frames in parts.items()}
    return SyntheticBank(merchants=gen.merchants(), **tables)


@dataclass(frozen=True)
class WriteSummary:
    """What ``write_bank`` wrote: rows per table and where."""

    out_dir: Path
    rows: dict[str, int]


def write_bank(config: SynthConfig, out_dir: Path,
               progress: Callable[[int, int], None] | None = None) -> WriteSummary:
    """Generate a bank block by block into ``out_dir/<table>/part-NNNNN.parquet``.

    Peak memory is one block plus the merchant universe, whatever the bank's size.
    """
    gen = BankGenerator(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = dict.fromkeys(BANK_TABLES, 0)
    for name in BANK_TABLES:
        folder = out_dir / name
        folder.mkdir(exist_ok=True)
        for old in folder.glob("part-*.parquet"):
            old.unlink()
    merchants = gen.merchants()
    merchants.write_parquet(out_dir / "merchants" / "part-00000.parquet")
    rows["merchants"] = merchants.height
    for i, block in enumerate(gen.blocks()):
        for name in BANK_TABLES:
            if name == "merchants":
                continue
            frame = block.table(name)
            frame.write_parquet(out_dir / name / f"part-{i:05d}.parquet")
            rows[name] += frame.height
        del block
        if progress is not None:
            progress(i + 1, config.n_blocks)
    return WriteSummary(out_dir, rows)


def load_bank(out_dir: Path) -> dict[str, pl.LazyFrame]:
    """Lazy scans of a bank written by ``write_bank``; raises naming a missing table."""
    scans: dict[str, pl.LazyFrame] = {}
    for name in BANK_TABLES:
        folder = out_dir / name
        if not any(folder.glob("part-*.parquet")):
            raise FileNotFoundError(f"no {name} table under {out_dir} (expected {folder}/part-*"
                                    ".parquet; was it written by 'ledgerlens synth'?)")
        scans[name] = pl.scan_parquet(folder / "part-*.parquet")
    return scans
