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

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.enrich._frame import ENGINE, UNKNOWN_ACCOUNT

__all__ = ["PROFILE_TYPES", "describe_profile", "profile_decides", "purchase_weekday",
           "shop_profiles"]

#: Payments whose label names the shop itself: the profile reads these only.
PROFILE_TYPES: tuple[str, ...] = ("card_in_store", "card_contactless", "card_online",
                                  "card_abroad")

_MONTH_DAYS = 30.44
_NO_ID = pl.lit("").hash()  # the hash of a missing transaction id
_MAX_LAG_DAYS = 7  # a printed purchase date this long before the booking at most
_MIN_DATED = 5  # purchase dates needed to read a shop's days of the week
# Purchase dates as banks print them in card labels: 28/11, 28/11/24, 28.11.2024,
# FACT 281124, DU 281124, PAIEMENT CB 2811.
_DATE_PATTERN = "|".join((
    r"(?:^|[^0-9])([0-3][0-9])[/.]([01][0-9])(?:[/.][0-9]{2}(?:[0-9]{2})?)?(?:[^0-9]|$)",
    r"\b(?:FACT|FACTURE|DU)\s?([0-3][0-9])([01][0-9])[0-9]{2}\b",
    r"\b(?:CB|PSC|CARTE)\s([0-3][0-9])([01][0-9])\b",
))
_DAYS_BEFORE = dict(enumerate((0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334), 1))
_MONTH_DAYS_OF = dict(enumerate((31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), 1))
_MIN_SPAN_DAYS = 30  # an account seen for a few days has still had a month to come back
#: An account counts in the profiles when the batch holds its history: this many rows at
#: least. A table of transactions sampled from many customers (one or a few rows each)
#: tells nothing of how often a payer comes back; read as histories, a supermarket's payers
#: each came once a month, as at a fuel station (``CB CARREFOUR MARKET 12/03`` read as fuel
#: at 0.9999: thirteen labels of the development set given one account each).
_HISTORY_ROWS = 8


def _text_column(columns: set[str]) -> str | None:
    return next((c for c in ("merchant_text", "clean_label", "raw_label") if c in columns), None)


def purchase_weekday(frame: pl.LazyFrame, label: str, booking: str) -> pl.LazyFrame:
    """``frame`` with ``weekday`` (1 = Monday): the weekday of the purchase date printed in
    the card label ``label``, when it reads as a date at most ``_MAX_LAG_DAYS`` before the
    booking date ``booking`` (year from the booking); else null.

    The first date-like piece of the label counts. Dates are counted in days of the year, in
    steps of columns (integers, no string parsing: this runs on every card payment of a
    batch)."""
    found = pl.col(label).str.extract_groups(_DATE_PATTERN)
    day, month = pl.col("_day"), pl.col("_month")
    year = pl.col(booking).dt.year()

    def ordinal(leap: pl.Expr) -> pl.Expr:
        """Day of the year of (day, month) in a year that is ``leap`` or not; null if no such
        day (31/04, 29/02 of a common year)."""
        extra = (leap & (month > 2)).cast(pl.Int32)
        length = (month.replace_strict(_MONTH_DAYS_OF, default=0, return_dtype=pl.Int32)
                  + (leap & (month == 2)).cast(pl.Int32))
        before = month.replace_strict(_DAYS_BEFORE, default=0, return_dtype=pl.Int32)
        return pl.when(day.is_between(1, length)).then(before + day + extra)

    def is_leap(y: pl.Expr) -> pl.Expr:
        return ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)

    booked = pl.col(booking).dt.ordinal_day().cast(pl.Int32)
    this_year = booked - ordinal(is_leap(year))
    last_year = booked + 365 + is_leap(year - 1).cast(pl.Int32) - ordinal(is_leap(year - 1))
    lag = pl.col("_lag")
    weekday = (pl.col(booking).dt.weekday().cast(pl.Int32) - 1 - lag) % 7 + 1
    return (frame.with_columns(_found=found)
            .with_columns(_day=pl.coalesce(pl.col("_found").struct.field(k)
                                           for k in ("1", "3", "5")).cast(pl.Int32),
                          _month=pl.coalesce(pl.col("_found").struct.field(k)
                                             for k in ("2", "4", "6")).cast(pl.Int32))
            .with_columns(_lag=pl.when(this_year >= 0).then(this_year).otherwise(last_year))
            .with_columns(weekday=pl.when(lag.is_between(0, _MAX_LAG_DAYS))
                          .then(weekday.cast(pl.Int8)))
            .drop("_found", "_day", "_month", "_lag"))


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
    """``shop_profile`` of every row (Categorical): the profile tokens of its label text's card
    payments in ``frame``, or ``""`` (not a card payment, no text, fewer than ``min_rows``
    payments).

    Reads ``merchant_text`` (else ``clean_label``, else ``raw_label``), ``transaction_type``,
    ``amount``, ``booking_date`` and ``account_id`` (else ``customer_id``): a payment without
    either gets no profile, as how often its payer comes back cannot be told (a table of
    labels from many customers without their ids would read as one customer paying every
    day); nor does one of ``UNKNOWN_ACCOUNT``, the account ``prepare`` gives rows without
    ids (a development set of 2,346 hand-written labels read six Carrefour Market payments
    as one shopper's visits every other month: the fuel line, at 0.997), nor one whose
    history the batch does not hold (fewer than ``_HISTORY_ROWS`` rows: a sample of
    customers' transactions). ``tenant_id`` tells tenants apart when present; rows repeating
    a ``transaction_id`` count once.
    """
    cols = set(frame.columns)
    text = _text_column(cols)
    needed = {"transaction_type", "amount", "booking_date"}
    if min_rows <= 0 or text is None or not needed <= cols or frame.height < min_rows:
        return pl.Series("shop_profile", [""] * frame.height, dtype=pl.Categorical)

    def optional(name: str) -> pl.Expr:
        return pl.col(name).cast(pl.String).fill_null("") if name in cols else pl.lit("")

    base = frame.lazy().select(
        key=pl.col(text).cast(pl.String).fill_null("").str.strip_chars(),
        tenant=optional("tenant_id"),
        account=pl.coalesce([*(pl.col(c).cast(pl.String) for c in ("account_id", "customer_id")
                               if c in cols), pl.lit(None, pl.String)])
        .replace(UNKNOWN_ACCOUNT, None).fill_null(""),
        tx=optional("transaction_id").hash(),
        day=pl.col("booking_date").cast(pl.Date, strict=False),
        ticket=-pl.col("amount").cast(pl.Float64),
        label=optional("raw_label"),
        card=pl.col("transaction_type").cast(pl.String).is_in(PROFILE_TYPES).fill_null(False),
    )
    paying = (pl.col("card") & (pl.col("key") != "") & (pl.col("account") != "")
              & (pl.col("ticket") > 0)
              & pl.col("ticket").is_finite() & pl.col("day").is_not_null())
    # How long each account is seen in the batch: its visits are counted per month of that.
    # Accounts whose history the batch does not hold are left out (``_HISTORY_ROWS``).
    days = (pl.col("day").max() - pl.col("day").min()).dt.total_days() + 1
    span = base.group_by("tenant", "account").agg(
        months=days.clip(_MIN_SPAN_DAYS) / _MONTH_DAYS,
        history=pl.len() >= _HISTORY_ROWS,
    ).filter(pl.col("history")).drop("history")
    # Rows repeating a transaction id (a training frame's copies without MCC) count once.
    once = (base.filter(paying)
            .join(span.select("tenant", "account"), on=["tenant", "account"], how="semi",
                  maintain_order="left")
            .filter(pl.col("tx").is_first_distinct() | (pl.col("tx") == _NO_ID))
            # String work per row, before grouping: inside a group-by aggregation it runs
            # once per group, a hundred times slower on a bank's thousands of shops.
            .pipe(purchase_weekday, "label", "day"))
    per_account = (once.group_by("tenant", "key", "account")
                   .agg(n=pl.len())
                   .join(span, on=["tenant", "account"], how="left")
                   .group_by("tenant", "key")
                   .agg(visits=(pl.col("n") / pl.col("months")).median(),
                        accounts=pl.len()))
    weekday = pl.col("weekday")
    groups = (once.group_by("tenant", "key")
              .agg(n=pl.len(), median=pl.col("ticket").median(),
                   spread=pl.col("ticket").log().std(), dated=weekday.is_not_null().sum(),
                   monday=(weekday == 1).sum(), saturday=(weekday == 6).sum(),
                   sunday=(weekday == 7).sum())
              .filter(pl.col("n") >= min_rows)
              .join(per_account, on=["tenant", "key"], how="left"))

    def share(name: str) -> pl.Expr:
        return _share_bin(pl.col(name) / pl.col("dated"))

    days = pl.when(pl.col("dated") >= _MIN_DATED).then(pl.format(
        " P_dm{} P_ds{} P_dz{} P_dw{}{}{}", share("monday"), share("saturday"),
        share("sunday"), share("monday"), share("saturday"), share("sunday")))
    # Categorical: a few thousand profiles over a million rows, grouped on cheaply after.
    profiles = groups.select("tenant", "key", profile=pl.concat_str([_tokens(
        pl.col("median"), pl.col("spread"), pl.col("visits"), pl.col("accounts")),
        days.fill_null("")]).cast(pl.Categorical))
    rows = (base.select("tenant", "key", paying=paying)
            .join(profiles, on=["tenant", "key"], how="left", maintain_order="left")
            .select(shop_profile=pl.when(pl.col("paying")).then("profile").fill_null("")))
    return rows.collect(engine=ENGINE).to_series()


#: Lines of one brand that a profile does not tell apart (``merchant_lines`` holding both).
_LINES_NO_PROFILE: tuple[tuple[str, str], ...] = (("fuel", "supermarket"),
                                                  ("ev_charging", "parking"))


def profile_decides(lines: pl.Series) -> npt.NDArray[np.bool_]:
    """Whether each key's shop profile may choose its line (``merchant_lines``): not
    between a supermarket chain's pumps and its shop, nor a car park's spaces and its
    chargers (``_LINES_NO_PROFILE``), which the labels do not tell apart. Households' shops
    there, as people shop (a weekly shop of 50 to 90 EUR, tickets alike), read as fuel at
    0.98, at Carrefour Market, Auchan, Super U and Intermarché alike, for one account as for
    twelve: the synthetic banks' shoppers pay smaller and more varied tickets, so that
    steady ones there were learnt as fill-ups; twice a month at an Indigo car park read as
    its chargers (as it does on the synthetic banks more often wrong than right). The text
    model decides those lines; an oil company's station (its shop, pumps and chargers) and a
    chain's convenience and supermarket formats keep their profiles."""
    lines = lines.fill_null("")
    mixed = pl.repeat(False, lines.len(), eager=True)
    for first, second in _LINES_NO_PROFILE:
        mixed = mixed | (lines.str.contains(rf"\b{first}\b")
                         & lines.str.contains(rf"\b{second}\b"))
    return (~mixed).to_numpy()


_DAY_NAMES = {"P_dm0": "Mondays", "P_ds0": "Saturdays", "P_dz0": "Sundays"}


def _bounds(bin_: int, offset: int) -> tuple[float, float]:
    """The range a half-octave bin stands for: ``[2**((b - o) / 2), 2**((b - o + 1) / 2))``."""
    return 2.0 ** ((bin_ - offset) / 2), 2.0 ** ((bin_ - offset + 1) / 2)


def _number(value: float) -> str:
    return f"{value:.2f}" if value < 1 else f"{value:.1f}" if value < 3 else f"{value:.0f}"


def describe_profile(profile: str) -> str:
    """A profile's tokens in words, for explanations: ``5-7 EUR, 6-8 a month per account,
    never on Mondays``; ``""`` for no profile.

    >>> describe_profile("P_m5 P_s4 P_v13 P_a2 P_mv2_6 P_ms2_4 P_dm0 P_ds3 P_dz2 P_dw032")
    '5-7 EUR, 6-8 a month per account, never on Mondays'
    """
    tokens = profile.split()
    ticket = next((int(t[3:]) for t in tokens if t.startswith("P_m") and t[3:].isdigit()), None)
    visits = next((int(t[3:]) for t in tokens if t.startswith("P_v") and t[3:].isdigit()), None)
    parts = []
    if ticket is not None:
        low, high = _bounds(ticket, 0)
        parts.append(f"{_number(low - 1)}-{_number(high - 1)} EUR")
    if visits is not None:
        low, high = _bounds(visits, 8)
        parts.append(f"{_number(low)}-{_number(high)} a month per account")
    closed = [name for token, name in _DAY_NAMES.items() if token in tokens]
    if closed:
        listed = ", ".join(closed[:-1]) + " or " + closed[-1] if len(closed) > 1 else closed[0]
        parts.append("never on " + listed)
    return ", ".join(parts)
