"""Shop profiles: what a batch's card payments at one label say about the shop together.

One card payment of 6 EUR at ``SARL MARTIN`` could be a bakery, a café or a tobacconist;
seventy of them by two accounts, at 2 to 9 EUR, about three a week each, read as a bakery.
A shop's ticket size, how much it varies, how often an account comes back, how many
accounts come and on which days of the week (the purchase date most banks print in a card
label: a canteen is paid on weekdays, many bakeries are shut on Mondays) are the same for
every payment there, so they are summed up once per label text and added to each payment's
features as a few coarse tokens (``P_m5 P_v13 ...``), whose weight the category model
learns like any other context.

The profile is the batch's own: nothing is stored between calls, and a label seen fewer
than ``min_rows`` times in the batch (one transaction, a small batch) gets none, so its
features are what they would be without this step.
"""

from __future__ import annotations

import polars as pl

__all__ = ["PROFILE_TYPES", "purchase_weekday", "shop_profiles"]

#: Payments whose label names the shop itself: the profile reads these only.
PROFILE_TYPES: tuple[str, ...] = ("card_in_store", "card_contactless", "card_online",
                                  "card_abroad")

_MONTH_DAYS = 30.44
_MAX_LAG_DAYS = 7  # a printed purchase date this long before the booking at most
_MIN_DATED = 5  # purchase dates needed to read a shop's days of the week
# Purchase dates as banks print them in card labels: 28/11, 28/11/24, 28.11.2024,
# FACT 281124, DU 281124, PAIEMENT CB 2811.
_DATE_PATTERNS = (
    r"(?:^|[^0-9])([0-3][0-9])[/.]([01][0-9])(?:[/.][0-9]{2}(?:[0-9]{2})?)?(?:[^0-9]|$)",
    r"\b(?:FACT|FACTURE|DU)\s?([0-3][0-9])([01][0-9])[0-9]{2}\b",
    r"\b(?:CB|PSC|CARTE)\s([0-3][0-9])([01][0-9])\b",
)
_MIN_SPAN_DAYS = 30  # an account seen for a few days has still had a month to come back


def _text_column(columns: set[str]) -> str | None:
    return next((c for c in ("merchant_text", "clean_label", "raw_label") if c in columns), None)


def purchase_weekday(label: pl.Expr, booking: pl.Expr) -> pl.Expr:
    """Weekday (1 = Monday) of the purchase date printed in a card label, when it reads as a
    date at most ``_MAX_LAG_DAYS`` before the booking (year from the booking); else null."""
    day, month = pl.lit(None, pl.String), pl.lit(None, pl.String)
    for pattern in reversed(_DATE_PATTERNS):
        found = label.str.extract_groups(pattern)
        first = found.struct.field("1")
        day = pl.when(first.is_not_null()).then(first).otherwise(day)
        month = pl.when(first.is_not_null()).then(found.struct.field("2")).otherwise(month)

    def on(year: pl.Expr) -> pl.Expr:
        return pl.concat_str([year.cast(pl.String), month, day], separator="-").str.to_date(
            "%Y-%m-%d", strict=False)

    this_year = on(booking.dt.year())
    date = pl.when(this_year <= booking).then(this_year).otherwise(on(booking.dt.year() - 1))
    lag = (booking - date).dt.total_days()
    return pl.when(lag.is_between(0, _MAX_LAG_DAYS)).then(date.dt.weekday())


def _share_bin(share: pl.Expr) -> pl.Expr:
    """0: (almost) never, 1: rarely, 2: a usual day, 3: a busy day (a seventh is 0.14)."""
    return (pl.when(share < 0.03).then(0).when(share < 0.08).then(1)
            .when(share < 0.2).then(2).otherwise(3))


def _tokens(m: pl.Expr, s: pl.Expr, v: pl.Expr, a: pl.Expr) -> pl.Expr:
    """Binned profile as tokens: median ticket (half octaves), spread of log tickets (steps of
    0.15), visits per account and month (half octaves), accounts (octaves), and ticket
    crossed with visits and with spread (coarser)."""
    m_bin = ((m + 1.0).log(2.0) * 2.0).floor().clip(0, 24).cast(pl.Int32)
    s_bin = (s.fill_null(0.0) / 0.15).floor().clip(0, 8).cast(pl.Int32)
    v_bin = ((v.log(2.0) * 2.0).floor() + 8).clip(0, 16).cast(pl.Int32)
    a_bin = a.cast(pl.Float64).log(2.0).floor().clip(0, 6).cast(pl.Int32)
    return pl.format("P_m{} P_s{} P_v{} P_a{} P_mv{}_{} P_ms{}_{}",
                     m_bin, s_bin, v_bin, a_bin, m_bin // 2, v_bin // 2, m_bin // 2, s_bin)


def shop_profiles(frame: pl.DataFrame, min_rows: int) -> pl.Series:
    """``shop_profile`` of every row: the profile tokens of its label text's card payments in
    ``frame``, or ``""`` (not a card payment, no text, fewer than ``min_rows`` payments).

    Reads ``merchant_text`` (else ``clean_label``, else ``raw_label``), ``transaction_type``,
    ``amount`` and ``booking_date``; ``account_id`` (else ``customer_id``) tells accounts
    apart and ``tenant_id`` tenants when present; rows repeating a ``transaction_id`` count
    once.
    """
    cols = set(frame.columns)
    text = _text_column(cols)
    needed = {"transaction_type", "amount", "booking_date"}
    if min_rows <= 0 or text is None or not needed <= cols or frame.height < min_rows:
        return pl.Series("shop_profile", [""] * frame.height, dtype=pl.String)

    def optional(name: str, *fallbacks: str) -> pl.Expr:
        found = next((c for c in (name, *fallbacks) if c in cols), None)
        return pl.col(found).cast(pl.String).fill_null("") if found else pl.lit("")

    base = frame.lazy().select(
        key=pl.col(text).cast(pl.String).fill_null("").str.strip_chars(),
        tenant=optional("tenant_id"),
        account=optional("account_id", "customer_id"),
        tx=optional("transaction_id"),
        day=pl.col("booking_date").cast(pl.Date, strict=False),
        ticket=-pl.col("amount").cast(pl.Float64),
        label=optional("raw_label"),
        card=pl.col("transaction_type").cast(pl.String).is_in(PROFILE_TYPES).fill_null(False),
    ).with_row_index("row")
    # How long each account is seen in the batch: its visits are counted per month of that.
    span = base.group_by("tenant", "account").agg(
        months=((pl.col("day").max() - pl.col("day").min()).dt.total_days() + 1)
        .clip(_MIN_SPAN_DAYS) / _MONTH_DAYS)
    paid = base.filter(pl.col("card") & (pl.col("key") != "") & (pl.col("ticket") > 0)
                       & pl.col("ticket").is_finite() & pl.col("day").is_not_null())
    once = pl.concat([paid.filter(pl.col("tx") == ""),
                      paid.filter(pl.col("tx") != "").unique(["tenant", "tx"], keep="first")])
    per_account = (once.group_by("tenant", "key", "account")
                   .agg(n=pl.len())
                   .join(span, on=["tenant", "account"], how="left")
                   .group_by("tenant", "key")
                   .agg(visits=(pl.col("n") / pl.col("months")).median(),
                        accounts=pl.len()))
    weekday = purchase_weekday(pl.col("label"), pl.col("day"))
    dated = weekday.is_not_null().sum()

    def share(days: tuple[int, ...]) -> pl.Expr:
        return _share_bin(weekday.is_in(days).sum() / dated)

    days = pl.when(dated >= _MIN_DATED).then(pl.format(
        " P_dm{} P_ds{} P_dz{} P_dw{}{}{}", share((1,)), share((6,)), share((7,)),
        share((1,)), share((6,)), share((7,)))).otherwise(pl.lit(""))
    groups = (once.group_by("tenant", "key")
              .agg(n=pl.len(), median=pl.col("ticket").median(),
                   spread=pl.col("ticket").log().std(), days=days)
              .filter(pl.col("n") >= min_rows)
              .join(per_account, on=["tenant", "key"], how="left")
              .select("tenant", "key", shop_profile=pl.concat_str([_tokens(
                  pl.col("median"), pl.col("spread"), pl.col("visits"), pl.col("accounts")),
                  pl.col("days")])))
    out = (paid.select("row", "tenant", "key")
           .join(groups, on=["tenant", "key"], how="inner")
           .select("row", "shop_profile"))
    rows = base.select("row").join(out, on="row", how="left").sort("row")
    return rows.select(pl.col("shop_profile").fill_null("")).collect().to_series()
