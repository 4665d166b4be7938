"""Profile a (synthetic) bank: small aggregates that describe its transactions at a glance.

``profile_bank`` reduces millions of canonical transactions and their ground truth to a
``BankProfile`` of scalars and frames of a few dozen rows, so that the report, the terminal
summary and later drift checks never need the full tables again. It is pure (no I/O) and
runs every aggregation in one parallel Polars pass over a lazy join.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl

from ledgerlens.schema import ValidationReport

__all__ = ["BankProfile", "profile_bank", "summary_text"]

_KEY = ["tenant_id", "transaction_id"]

#: Levels of the amount quantiles, in percent (column ``p1`` holds the 1 % quantile, ...).
QUANTILE_LEVELS: tuple[int, ...] = (1, 5, 25, 50, 75, 95, 99)

#: Histogram bins per factor of ten: fixed log-spaced edges (10 ** (k / 5)) keep the
#: histograms of two banks, or two months, directly comparable.
BINS_PER_DECADE = 5

TOP_SUBCATEGORIES = 25
TOP_MERCHANTS = 20

#: Group label the profile frames use for transactions without ground truth.
NO_TRUTH = "(no ground truth)"


@dataclass(frozen=True, eq=False)
class BankProfile:
    """What a bank's transactions look like, as small frames and scalars.

    Compared by identity (frames have no single truth value); compare fields instead.

    Money stays exact (``Decimal``): ``money_in`` sums the credits, ``money_out`` the
    debits as a positive number, over all currencies (see ``by_currency`` when there are
    several). "Spend" everywhere means gross money out (refunds are not netted).
    Shares are fractions in [0, 1] of the transactions that have ground truth.

    Frames (all sorted for display):

    - ``by_month``: month (first day), n_transactions, money_in, money_out.
    - ``by_category``: category, n_transactions, spend, money_in (every level 1 present).
    - ``by_subcategory``: subcategory, category, n_transactions, spend (top 25 by count).
    - ``by_dialect``: dialect, n_transactions.
    - ``by_transaction_type``: transaction_type, n_transactions, money_in, money_out.
    - ``by_currency``: currency, n_transactions, money_in, money_out.
    - ``amount_quantiles``: side ("debit" / "credit"), n_transactions, p1 ... p99 of the
      absolute amount.
    - ``amount_histogram``: side, bin_start, bin_end, n_transactions (log-spaced bins of
      the absolute amount, ``BINS_PER_DECADE`` per decade).
    - ``top_merchants_by_count`` / ``top_merchants_by_spend``: merchant_id, name,
      subcategory, n_transactions, spend, n_customers (top 20; by spend keeps merchants
      with some spend only).
    - ``label_length``: dialect, n_transactions, mean, p95, max (characters of raw_label).
    - ``accounts_by_type``: account_type, n_accounts, n_active (only with ``accounts``).
    """

    n_transactions: int
    n_customers: int
    n_accounts: int
    n_active_accounts: int
    n_merchants: int
    n_directory_merchants: int
    n_without_ground_truth: int
    n_zero_amount: int
    first_date: date | None
    last_date: date | None
    money_in: Decimal
    money_out: Decimal
    share_with_merchant: float
    share_recurring: float
    share_income: float
    share_labels_with_pii: float
    by_month: pl.DataFrame
    by_category: pl.DataFrame
    by_subcategory: pl.DataFrame
    by_dialect: pl.DataFrame
    by_transaction_type: pl.DataFrame
    by_currency: pl.DataFrame
    amount_quantiles: pl.DataFrame
    amount_histogram: pl.DataFrame
    top_merchants_by_count: pl.DataFrame
    top_merchants_by_spend: pl.DataFrame
    label_length: pl.DataFrame
    accounts_by_type: pl.DataFrame | None = None

    @property
    def n_months(self) -> int:
        """Number of calendar months that have at least one transaction."""
        return self.by_month.height

    @property
    def net(self) -> Decimal:
        """Money in minus money out."""
        return self.money_in - self.money_out


def _money_in(amount: pl.Expr) -> pl.Expr:
    return amount.filter(amount > 0).sum()


def _money_out(amount: pl.Expr) -> pl.Expr:
    return (-amount.filter(amount < 0)).sum()


def _share(flag: pl.Expr) -> pl.Expr:
    """Mean of a boolean over the rows with ground truth (others are null and ignored)."""
    return pl.when(pl.col("_has_truth")).then(flag).mean().fill_null(0.0)


def _joined(
    transactions: pl.LazyFrame, ground_truth: pl.LazyFrame
) -> pl.LazyFrame:
    """One narrow lazy frame: each transaction with its ground truth (left join).

    Ground truth is deduplicated on its key so that counts always reconcile with the
    transactions table; duplicated keys are ``schema.validate``'s to report, not ours.
    """
    truth = (
        ground_truth.select(
            *_KEY,
            "merchant_id",
            "category",
            "subcategory",
            "transaction_type",
            "dialect",
            pl.col("recurring_stream_id").is_not_null().alias("is_recurring"),
            "is_income",
            (pl.col("pii_spans").list.len() > 0).alias("has_pii"),
        )
        .unique(subset=_KEY, keep="any")
        .with_columns(pl.lit(True).alias("_has_truth"))
    )
    return (
        transactions.select(
            *_KEY,
            "customer_id",
            "account_id",
            "booking_date",
            "amount",
            "currency",
            pl.col("raw_label").str.len_chars().alias("label_length"),
        )
        .join(truth, on=_KEY, how="left")
        .with_columns(
            pl.col("_has_truth").fill_null(False),
            pl.col("amount").cast(pl.Float64).abs().alias("_abs"),
            pl.when(pl.col("amount") < 0)
            .then(pl.lit("debit"))
            .when(pl.col("amount") > 0)
            .then(pl.lit("credit"))
            .alias("_side"),
            *(
                pl.col(c).fill_null(NO_TRUTH)
                for c in ("category", "subcategory", "transaction_type", "dialect")
            ),
        )
    )


def profile_bank(
    transactions: pl.DataFrame | pl.LazyFrame,
    ground_truth: pl.DataFrame | pl.LazyFrame,
    merchants: pl.DataFrame,
    accounts: pl.DataFrame | None = None,
) -> BankProfile:
    """Aggregate canonical ``transactions`` and their ``ground_truth`` into a ``BankProfile``.

    ``transactions`` follows ``schema.TRANSACTIONS``, ``ground_truth`` follows
    ``schema.GROUND_TRUTH`` (joined on tenant_id + transaction_id; transactions without
    ground truth are counted under ``NO_TRUTH``), ``merchants`` follows
    ``schema.MERCHANTS`` and names the top merchants. ``accounts``, when given, also counts
    dormant accounts. Every aggregation runs in one ``pl.collect_all`` over a lazy join,
    so a few million rows take a few seconds and no Python loop touches a row.
    """
    base = _joined(transactions.lazy(), ground_truth.lazy())
    amount = pl.col("amount")
    sums = [pl.len().alias("n_transactions"), _money_in(amount).alias("money_in"),
            _money_out(amount).alias("money_out")]

    scalars = base.select(
        pl.len().alias("n_transactions"),
        pl.col("customer_id").n_unique().alias("n_customers"),
        pl.col("account_id").n_unique().alias("n_active_accounts"),
        pl.col("merchant_id").drop_nulls().n_unique().alias("n_merchants"),
        (~pl.col("_has_truth")).sum().alias("n_without_ground_truth"),
        (amount == 0).sum().alias("n_zero_amount"),
        pl.col("booking_date").min().alias("first_date"),
        pl.col("booking_date").max().alias("last_date"),
        _money_in(amount).alias("money_in"),
        _money_out(amount).alias("money_out"),
        _share(pl.col("merchant_id").is_not_null()).alias("share_with_merchant"),
        _share(pl.col("is_recurring")).alias("share_recurring"),
        _share(pl.col("is_income")).alias("share_income"),
        _share(pl.col("has_pii")).alias("share_labels_with_pii"),
    )
    by_month = (
        base.group_by(pl.col("booking_date").dt.month_start().alias("month"))
        .agg(*sums)
        .sort("month")
    )
    by_category = (
        base.group_by("category")
        .agg(pl.len().alias("n_transactions"), _money_out(amount).alias("spend"),
             _money_in(amount).alias("money_in"))
        .sort(["n_transactions", "category"], descending=[True, False])
    )
    by_subcategory = (
        base.group_by("subcategory", "category")
        .agg(pl.len().alias("n_transactions"), _money_out(amount).alias("spend"))
        .sort(["n_transactions", "subcategory"], descending=[True, False])
        .head(TOP_SUBCATEGORIES)
    )
    by_dialect = (
        base.group_by("dialect")
        .agg(pl.len().alias("n_transactions"))
        .sort(["n_transactions", "dialect"], descending=[True, False])
    )
    by_type = (
        base.group_by("transaction_type")
        .agg(*sums)
        .sort(["n_transactions", "transaction_type"], descending=[True, False])
    )
    by_currency = (
        base.group_by("currency")
        .agg(*sums)
        .sort(["n_transactions", "currency"], descending=[True, False])
    )
    sided = base.filter(pl.col("_side").is_not_null())
    quantiles = (
        sided.group_by(pl.col("_side").alias("side"))
        .agg(
            pl.len().alias("n_transactions"),
            *(pl.col("_abs").quantile(q / 100, interpolation="linear").alias(f"p{q}")
              for q in QUANTILE_LEVELS),
        )
        .sort("side", descending=True)
    )
    k = (pl.col("_abs").log10() * BINS_PER_DECADE).floor().cast(pl.Int32)
    histogram = (
        sided.group_by(pl.col("_side").alias("side"), k.alias("_bin"))
        .agg(pl.len().alias("n_transactions"))
        .with_columns(
            (10.0 ** (pl.col("_bin") / BINS_PER_DECADE)).alias("bin_start"),
            (10.0 ** ((pl.col("_bin") + 1) / BINS_PER_DECADE)).alias("bin_end"),
        )
        .sort(["side", "_bin"], descending=[True, False])
        .select("side", "bin_start", "bin_end", "n_transactions")
    )
    per_merchant = (
        base.filter(pl.col("merchant_id").is_not_null())
        .group_by("merchant_id")
        .agg(
            pl.len().alias("n_transactions"),
            _money_out(amount).alias("spend"),
            pl.col("customer_id").n_unique().alias("n_customers"),
        )
        .join(
            merchants.lazy()
            .select("merchant_id", "name", "subcategory")
            .unique(subset="merchant_id", keep="any"),
            on="merchant_id",
            how="left",
        )
        .select("merchant_id", "name", "subcategory", "n_transactions", "spend", "n_customers")
    )
    label_length = (
        base.group_by("dialect")
        .agg(
            pl.len().alias("n_transactions"),
            pl.col("label_length").mean().alias("mean"),
            pl.col("label_length").quantile(0.95, interpolation="linear").alias("p95"),
            pl.col("label_length").max().alias("max"),
        )
        .sort(["n_transactions", "dialect"], descending=[True, False])
    )
    queries = [scalars, by_month, by_category, by_subcategory, by_dialect, by_type,
               by_currency, quantiles, histogram, per_merchant, label_length]
    if accounts is not None:
        active = base.select(pl.col("account_id").unique(), pl.lit(True).alias("_active"))
        queries.append(
            accounts.lazy()
            .select("account_id", "account_type")
            .unique(subset="account_id", keep="any")
            .join(active, on="account_id", how="left")
            .group_by("account_type")
            .agg(pl.len().alias("n_accounts"), pl.col("_active").count().alias("n_active"))
            .sort(["n_accounts", "account_type"], descending=[True, False])
        )
    results = pl.collect_all(queries)
    one = results[0].row(0, named=True)
    merchants_seen = results[9]
    accounts_by_type = results[11] if accounts is not None else None
    return BankProfile(
        n_transactions=int(one["n_transactions"]),
        n_customers=int(one["n_customers"]),
        n_accounts=accounts.height if accounts is not None else int(one["n_active_accounts"]),
        n_active_accounts=int(one["n_active_accounts"]),
        n_merchants=int(one["n_merchants"]),
        n_directory_merchants=merchants.height,
        n_without_ground_truth=int(one["n_without_ground_truth"]),
        n_zero_amount=int(one["n_zero_amount"]),
        first_date=one["first_date"],
        last_date=one["last_date"],
        money_in=Decimal(one["money_in"]),
        money_out=Decimal(one["money_out"]),
        share_with_merchant=float(one["share_with_merchant"]),
        share_recurring=float(one["share_recurring"]),
        share_income=float(one["share_income"]),
        share_labels_with_pii=float(one["share_labels_with_pii"]),
        by_month=results[1],
        by_category=results[2],
        by_subcategory=results[3],
        by_dialect=results[4],
        by_transaction_type=results[5],
        by_currency=results[6],
        amount_quantiles=results[7],
        amount_histogram=results[8],
        top_merchants_by_count=merchants_seen.sort(
            ["n_transactions", "spend", "merchant_id"], descending=[True, True, False]
        ).head(TOP_MERCHANTS),
        top_merchants_by_spend=merchants_seen.filter(pl.col("spend") > 0).sort(
            ["spend", "n_transactions", "merchant_id"], descending=[True, True, False]
        ).head(TOP_MERCHANTS),
        label_length=results[10],
        accounts_by_type=accounts_by_type,
    )


# --------------------------------------------------------------------------- terminal summary


def format_count(n: int) -> str:
    """An integer with thousands separators: 1234567 -> '1,234,567'."""
    return f"{n:,}"


def format_money(amount: Decimal) -> str:
    """An exact amount with thousands separators and cents: '1,234.50'."""
    return f"{amount:,.2f}"


def format_share(share: float) -> str:
    """A fraction as a percentage with one decimal: 0.1234 -> '12.3 %'."""
    return f"{100 * share:.1f} %" if math.isfinite(share) else "n/a"


def _top_shares(frame: pl.DataFrame, column: str, total: int, n: int = 5) -> str:
    if total == 0 or frame.is_empty():
        return "none"
    head = frame.head(n)
    parts = [
        f"{name} {format_share(count / total)}"
        for name, count in zip(head[column].to_list(), head["n_transactions"].to_list(),
                               strict=True)
    ]
    if frame.height > n:
        parts.append(f"(+{frame.height - n} more)")
    return ", ".join(parts)


def _currency_suffix(profile: BankProfile) -> str:
    if profile.by_currency.height == 1:
        return f" {profile.by_currency['currency'][0]}"
    if profile.by_currency.height > 1:
        return f" (all of {profile.by_currency.height} currencies)"
    return ""


def validation_lines(validation: Sequence[ValidationReport], max_violations: int = 6) -> list[str]:
    """One line per table (ok or its violation count), then the first violations."""
    if not validation:
        return ["validation     not run"]
    status = "; ".join(
        f"{r.table} ok" if r.ok else f"{r.table} {len(r.violations)} violation(s)"
        for r in validation
    )
    lines = [f"validation     {status}"]
    messages = [f"  - {r.table}: {v.message}" for r in validation for v in r.violations]
    lines += messages[:max_violations]
    if len(messages) > max_violations:
        lines.append(f"  ... and {len(messages) - max_violations} more violation(s)")
    return lines


def summary_text(profile: BankProfile, validation: Sequence[ValidationReport] = ()) -> str:
    """A dozen lines for the terminal: sizes, dates, money in and out, top categories,
    dialects and validation status; what ``make demo`` prints before writing the report.
    """
    p = profile
    cur = _currency_suffix(p)
    if p.first_date is None or p.last_date is None:
        span = "no dates"
    else:
        span = f"{p.first_date.isoformat()} .. {p.last_date.isoformat()}, {p.n_months} month(s)"
    sign = "+" if p.net >= 0 else "-"
    lines = [
        "ledgerlens bank profile",
        f"transactions   {format_count(p.n_transactions)} ({span})",
        f"customers      {format_count(p.n_customers)}   accounts {format_count(p.n_accounts)}"
        f" ({format_count(p.n_active_accounts)} with transactions)",
        f"merchants      {format_count(p.n_merchants)} seen"
        f" / {format_count(p.n_directory_merchants)} in the directory",
        f"money in       {format_money(p.money_in)}{cur}",
        f"money out      {format_money(p.money_out)}{cur}"
        f"   (net {sign}{format_money(abs(p.net))})",
        f"shares         with merchant {format_share(p.share_with_merchant)},"
        f" recurring {format_share(p.share_recurring)},"
        f" income {format_share(p.share_income)},"
        f" labels with PII {format_share(p.share_labels_with_pii)}",
        f"top categories {_top_shares(p.by_category, 'category', p.n_transactions)}",
        f"dialects       {_top_shares(p.by_dialect, 'dialect', p.n_transactions)}",
    ]
    if p.n_without_ground_truth:
        lines.append(f"no truth       {format_count(p.n_without_ground_truth)} transaction(s)"
                     " without ground truth")
    lines += validation_lines(validation)
    return "\n".join(lines)
