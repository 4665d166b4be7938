"""Behaviour of recurring-stream detection: cadences, price changes, shopping, status, edges."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich._frame import prepare
from ledgerlens.enrich._recurring import (
    PERIODS,
    STREAM_COLUMNS,
    detect_recurring,
    normalize_key,
    stream_keys,
    streams_as_enriched,
)
from ledgerlens.exceptions import DataError


def _business_day(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _frame(rows: list[tuple[dt.date, float, str]], account: str = "acc_1",
           counterparty: str | None = None) -> pl.DataFrame:
    return pl.DataFrame({
        "account_id": [account] * len(rows),
        "customer_id": ["cus_1"] * len(rows),
        "booking_date": [r[0] for r in rows],
        "amount": [r[1] for r in rows],
        "raw_label": [r[2] for r in rows],
        "counterparty_name": [counterparty] * len(rows),
    }, schema_overrides={"booking_date": pl.Date, "amount": pl.Float64,
                         "counterparty_name": pl.String})


def _detect(frame: pl.DataFrame, **kwargs: object) -> tuple[pl.DataFrame, pl.DataFrame]:
    return detect_recurring(stream_keys(frame), **kwargs)  # type: ignore[arg-type]


def _netflix_year() -> pl.DataFrame:
    rows = []
    for month in range(1, 13):
        day = _business_day(dt.date(2025, month, 5))
        amount = -13.49 if month < 7 else -15.99
        rows.append((day, amount, f"CB NETFLIX.COM {day:%d/%m} CARTE X1234"))
    return _frame(rows)


def test_monthly_subscription_with_weekend_shifts_and_price_change_is_one_stream() -> None:
    out, streams = _detect(_netflix_year())
    assert out["is_recurring"].all()
    assert out["recurring_stream_id"].n_unique() == 1
    assert set(out["recurrence_period"]) == {"monthly"}
    assert streams.height == 1
    stream = streams.row(0, named=True)
    assert stream["price_change_date"] == _business_day(dt.date(2025, 7, 5))
    assert stream["price_change_old_amount"] == pytest.approx(-13.49)
    assert stream["price_change_new_amount"] == pytest.approx(-15.99)
    assert stream["direction"] == "out"
    assert stream["n_occurrences"] == 12
    assert stream["status"] == "mature"
    assert stream["next_expected_date"] > stream["last_date"]
    assert stream["next_expected_amount"] == pytest.approx(-15.99)


def test_streams_table_has_the_documented_columns() -> None:
    _, streams = _detect(_netflix_year())
    assert tuple(streams.columns) == STREAM_COLUMNS


def test_weekly_payments_are_a_weekly_stream() -> None:
    start = dt.date(2025, 3, 3)
    rows = [(start + dt.timedelta(weeks=k), -25.0, "PRLV SEPA CLUB DE SPORT ECH/0303") for k in
            range(10)]
    out, streams = _detect(_frame(rows))
    assert out["is_recurring"].all()
    assert set(out["recurrence_period"]) == {"weekly"}
    assert streams["period"].to_list() == ["weekly"]


def test_biweekly_and_quarterly_cadences_are_recognised() -> None:
    start = dt.date(2025, 1, 6)
    biweekly = [(start + dt.timedelta(days=14 * k), -40.0, "PRLV MENAGE SERVICE") for k in range(8)]
    quarterly = [(_business_day(dt.date(2025, m, 10)), -95.5, "PRLV EAU DE PARIS")
                 for m in (1, 4, 7, 10)]
    out, _ = _detect(_frame(biweekly + quarterly))
    periods = dict(zip(out["raw_label"], out["recurrence_period"], strict=True))
    assert periods["PRLV MENAGE SERVICE"] == "biweekly"
    assert periods["PRLV EAU DE PARIS"] == "quarterly"


def test_bills_every_two_and_six_months_are_streams_and_shop_visits_are_not() -> None:
    # An electricity bill every two months follows the seasons; an insurer's half-yearly
    # premium does not move. A monthly stream with missed months stays monthly; a shop
    # visited every two months at much the same amount is no bill.
    typed = "transaction_type"
    power = [(_business_day(dt.date(2025, m, 12)), a, "PRLV SEPA EDF CLIENTS PARTICULIERS")
             for m, a in zip((1, 3, 5, 7, 9, 11), (-182.4, -151.0, -96.3, -88.1, -120.5,
                                                   -176.9), strict=True)]
    premium = [(_business_day(dt.date(2024, 10, 5)), -312.0, "PRLV SEPA MAAF ASSURANCES"),
               (_business_day(dt.date(2025, 4, 5)), -312.0, "PRLV SEPA MAAF ASSURANCES")]
    gym = [(_business_day(dt.date(2025, m, 3)), -29.9, "PRLV SEPA BASIC FIT")
           for m in (1, 2, 4, 6, 7, 8, 10, 12)]
    shop = [(_business_day(dt.date(2025, m, 15)), -45.0, "CB STATION DU LAC")
            for m in (1, 3, 5, 7, 9, 11)]
    frame = _frame(power + premium + gym + shop).with_columns(
        pl.when(pl.col("raw_label").str.starts_with("CB")).then(pl.lit("card_in_store"))
        .otherwise(pl.lit("direct_debit")).alias(typed))
    out, _ = _detect(frame)
    periods = out.group_by("raw_label").agg(pl.col("recurrence_period").unique())
    got = {label: sorted(p, key=str) for label, p in periods.iter_rows()}
    assert got == {"PRLV SEPA EDF CLIENTS PARTICULIERS": ["bimonthly"],
                   "PRLV SEPA MAAF ASSURANCES": ["semiannual"],
                   "PRLV SEPA BASIC FIT": ["monthly"], "CB STATION DU LAC": [None]}
    assert {"bimonthly", "semiannual"} <= set(PERIODS)


def test_a_biweekly_stream_with_fortnights_skipped_is_still_biweekly() -> None:
    # A cleaner paid every two weeks, two fortnights off in August: double gaps, whose mean
    # with the others (14.8 days) is no half month.
    start = dt.date(2025, 1, 7)
    days = [start + dt.timedelta(days=14 * k) for k in range(26) if k not in (15, 16)]
    rows = [(d, -72.0, "VIR INST EMIS VERS MME DA SILVA MARIA") for d in days]
    out, streams = _detect(_frame(rows))
    assert out["is_recurring"].all()
    assert streams["period"].to_list() == ["biweekly"]


def test_a_premium_raised_or_a_bill_on_what_was_used_stays_yearly_or_half_yearly() -> None:
    # A home insurance raised 5.5 % a year, a water bill every six months on what was used,
    # both debited by the creditor; two transfers to a friend six months apart are no bill.
    typed = "transaction_type"
    insurance = [(dt.date(2024, 3, 11), -172.10, "PRLV SEPA MAIF ASSURANCE HABITATION"),
                 (dt.date(2025, 3, 10), -181.60, "PRLV SEPA MAIF ASSURANCE HABITATION")]
    water = [(dt.date(2024, 3, 18), -147.28, "PRLV SEPA EAU DU GRAND LYON"),
             (dt.date(2024, 9, 18), -138.82, "PRLV SEPA EAU DU GRAND LYON"),
             (dt.date(2025, 3, 18), -164.72, "PRLV SEPA EAU DU GRAND LYON")]
    friend = [(dt.date(2024, 4, 2), -25.0, "VIR SEPA EMIS VERS PAULINE MENAGER"),
              (dt.date(2024, 10, 1), -27.3, "VIR SEPA EMIS VERS PAULINE MENAGER")]
    frame = _frame(insurance + water + friend).with_columns(
        pl.when(pl.col("raw_label").str.starts_with("VIR")).then(pl.lit("transfer_out"))
        .otherwise(pl.lit("direct_debit")).alias(typed))
    out, _ = _detect(frame)
    periods = dict(zip(out["raw_label"], out["recurrence_period"], strict=False))
    assert periods == {"PRLV SEPA MAIF ASSURANCE HABITATION": "yearly",
                       "PRLV SEPA EAU DU GRAND LYON": "semiannual",
                       "VIR SEPA EMIS VERS PAULINE MENAGER": None}


def test_a_price_change_is_a_new_amount_that_holds() -> None:
    # Instalments of 72 raised to 79, a true-up bill of 143.27 between them: the change is
    # 72 -> 79. A salary that moves every month has no price change.
    days = [_business_day(dt.date(2024, m, 15)) for m in range(1, 13)]
    power = [(d, a, "PRLV SEPA EDF CLIENTS PARTICULIERS") for d, a in
             zip(days, [-72.0] * 8 + [-143.27, -79.0, -79.0, -79.0], strict=True)]
    salaries = [2352.76, 2368.03, 2393.47, 2371.10, 2388.74, 2359.20, 2402.35, 2366.81,
                2381.05, 2349.92, 2395.60, 2374.18]
    pay = [(d, a, "VIR SEPA RECU /DE ACME SAS /MOTIF SALAIRE")
           for d, a in zip(days, salaries, strict=True)]
    _, streams = _detect(_frame(power + pay))
    changes = {r["display_name"]: (r["price_change_old_amount"], r["price_change_new_amount"])
               for r in streams.iter_rows(named=True)}
    assert changes == {"PRLV SEPA EDF CLIENTS PARTICULIERS": (-72.0, -79.0),
                       "VIR SEPA RECU /DE ACME SAS /MOTIF SALAIRE": (None, None)}


def test_yearly_payment_seen_twice_is_a_yearly_stream() -> None:
    rows = [(dt.date(2024, 3, 11), -69.9, "AMAZON PRIME ANNUAL 11/03"),
            (dt.date(2025, 3, 10), -69.9, "AMAZON PRIME ANNUAL 10/03")]
    out, streams = _detect(_frame(rows))
    assert out["is_recurring"].all()
    assert streams["period"].to_list() == ["yearly"]
    assert streams["status"].to_list() == ["early"]


def test_annual_card_fee_seen_once_is_a_yearly_stream() -> None:
    out, streams = _detect(_frame([(dt.date(2025, 2, 3), -45.0, "COTISATION CARTE VISA CLASSIC")]))
    assert out["is_recurring"].to_list() == [True]
    assert streams["period"].to_list() == ["yearly"]


def test_annual_fee_whose_card_word_was_cleaned_away_is_a_yearly_stream() -> None:
    # Cleaning drops a trailing CARTE: COTISATION ANNUELLE CARTE reads COTISATION ANNUELLE.
    frame = _frame([(dt.date(2025, 2, 3), -39.0, "COTISATION ANNUELLE CARTE")])
    out, streams = _detect(frame.with_columns(clean_label=pl.lit("COTISATION ANNUELLE")))
    assert out["is_recurring"].to_list() == [True]
    assert streams["period"].to_list() == ["yearly"]


def test_irregular_grocery_visits_are_not_flagged() -> None:
    rng = np.random.default_rng(3)
    days = np.sort(rng.choice(365, size=110, replace=False))
    amounts = -np.round(rng.lognormal(np.log(45), 0.5, days.size), 2)
    rows = [(dt.date(2025, 1, 1) + dt.timedelta(days=int(d)), float(a),
             f"CB CARREFOUR MARKET {k:02d}/01") for k, (d, a) in enumerate(zip(days, amounts,
                                                                             strict=True))]
    out, streams = _detect(_frame(rows))
    assert not out["is_recurring"].any()
    assert streams.height == 0


def test_weekly_shopping_with_varying_amounts_is_not_a_subscription() -> None:
    rng = np.random.default_rng(5)
    start = dt.date(2025, 1, 4)  # every Saturday at the supermarket
    rows = [(start + dt.timedelta(weeks=k), float(-np.round(rng.uniform(30, 140), 2)),
             "CB LECLERC DRIVE") for k in range(30)]
    out, _ = _detect(_frame(rows))
    assert not out["is_recurring"].any()


def test_subscription_among_random_purchases_at_the_same_merchant_is_found() -> None:
    rng = np.random.default_rng(11)
    prime = [(_business_day(dt.date(2025, m, 14)), -6.99, "AMAZON PAYMENTS") for m in range(1, 13)]
    days = rng.choice(365, size=40, replace=False)
    shopping = [(dt.date(2025, 1, 1) + dt.timedelta(days=int(d)),
                 float(-np.round(rng.uniform(12, 180), 2)), "AMAZON PAYMENTS") for d in days]
    out, streams = _detect(_frame(prime + shopping))
    flagged = out.filter("is_recurring")
    assert set(flagged["amount"]) == {-6.99}
    assert flagged.height >= 11
    assert streams.height == 1


def test_three_purchases_of_one_amount_among_a_shop_s_many_are_no_stream() -> None:
    # Sixteen purchases at a clothes shop, three of them near 41 EUR five weeks apart: picked
    # out by their amount, three payments in a shop are chance; a parking pass paid there
    # every month is a stream.
    typed = "transaction_type"
    amounts = [-40.83, -18.5, -76.2, -41.76, -12.99, -59.0, -40.2, -25.4, -88.1, -33.3,
               -15.0, -64.9, -22.7, -49.5, -95.0, -29.99]
    days = [dt.date(2024, 11, 8), dt.date(2024, 11, 20), dt.date(2024, 12, 2),
            dt.date(2024, 12, 13), dt.date(2024, 12, 28), dt.date(2025, 1, 6),
            dt.date(2025, 1, 17), dt.date(2025, 2, 3), dt.date(2025, 2, 21),
            dt.date(2025, 3, 8), dt.date(2025, 3, 29), dt.date(2025, 4, 12),
            dt.date(2025, 5, 2), dt.date(2025, 5, 24), dt.date(2025, 6, 14),
            dt.date(2025, 7, 5)]
    kiabi = [(d, a, "CB KIABI") for d, a in zip(days, amounts, strict=True)]
    parking = [(_business_day(dt.date(2025, m, 2)), -45.0, "CB PARKING GARE") for m in range(1, 7)]
    parking += [(_business_day(dt.date(2025, m, 16)), -3.5, "CB PARKING GARE")
                for m in range(1, 7, 2)]
    frame = _frame(kiabi + parking).with_columns(pl.lit("card_in_store").alias(typed))
    out, streams = _detect(frame)
    assert not out.filter(pl.col("raw_label") == "CB KIABI")["is_recurring"].any()
    assert streams["display_name"].to_list() == ["CB PARKING GARE"]
    assert streams["n_occurrences"].to_list() == [6]


def test_charges_per_operation_and_a_yearly_pair_with_a_twin_are_no_streams() -> None:
    # Two foreign fees of one amount a year apart are charges per payment abroad; a friend's
    # 25 EUR twice one day and once a year later is no yearly stream. A card's yearly fee is.
    rows = [(dt.date(2024, 5, 14), -3.24, "COMMISSION CARTE HORS ZONE EURO"),
            (dt.date(2025, 5, 13), -3.25, "COMMISSION CARTE HORS ZONE EURO"),
            (dt.date(2024, 2, 3), 25.0, "VIR INST RE DE LYDIA SOLUTIONS ALEX"),
            (dt.date(2024, 2, 4), 25.0, "VIR INST RE DE LYDIA SOLUTIONS ALEX"),
            (dt.date(2025, 1, 17), 25.0, "VIR INST RE DE LYDIA SOLUTIONS ALEX"),
            (dt.date(2024, 3, 5), -45.0, "COTISATION CARTE VISA"),
            (dt.date(2025, 3, 5), -45.0, "COTISATION CARTE VISA")]
    subs = ["foreign_fees"] * 2 + ["p2p_transfer"] * 3 + ["card_fees"] * 2
    out, streams = _detect(_frame(rows).with_columns(subcategory=pl.Series(subs)))
    assert streams["display_name"].to_list() == ["COTISATION CARTE VISA"]
    assert out["is_recurring"].to_list() == [False] * 5 + [True] * 2


def test_two_subscriptions_to_the_same_service_are_two_streams() -> None:
    rows = [(_business_day(dt.date(2025, m, d)), -13.49, "NETFLIX.COM")
            for m in range(1, 13) for d in (3, 12)]
    out, streams = _detect(_frame(rows))
    assert out["is_recurring"].all()
    assert streams.height == 2
    assert set(streams["period"]) == {"monthly"}


def test_two_subscriptions_half_a_month_apart_are_not_one_biweekly_stream() -> None:
    # The 3rd and the 19th alternate gaps of 12 to 16 days, like a fortnight's payments,
    # but average half a month: two monthly streams.
    rows = [(_business_day(dt.date(2025, m, d)), -2.99, "APPLE.COM/BILL")
            for m in range(1, 13) for d in (3, 19)]
    out, streams = _detect(_frame(rows))
    assert out["is_recurring"].all()
    assert streams.height == 2
    assert set(streams["period"]) == {"monthly"}


def test_two_subscriptions_of_one_price_a_day_apart_are_two_streams() -> None:
    # Two apps billed by Google Play on the 15th and the 16th: gaps alternate a day and a
    # month, and no day of the month tells them apart; the first and the second payment of
    # each month are the two streams.
    rows = [(_business_day(dt.date(2025, m, d)), -4.99, "GOOGLE *GOOGLE PLAY")
            for m in range(1, 13) for d in (15, 16)]
    rows = [r for r in rows if r[0] != dt.date(2025, 6, 16)] + [(dt.date(2025, 6, 17), -4.99,
                                                                "GOOGLE *GOOGLE PLAY")]
    out, streams = _detect(_frame(rows))
    assert out["is_recurring"].all()
    assert streams.height == 2
    assert set(streams["period"]) == {"monthly"}
    assert streams["recurring_stream_id"].n_unique() == 2


def test_a_shop_visited_twice_a_month_is_no_pair_of_streams() -> None:
    # Two visits most months at one price (a haircut, a car wash) on drifting days: the
    # n-th visit of each month keeps no day of the month, so no stream.
    rng = np.random.default_rng(4)
    rows = []
    for m in range(1, 13):
        for d in sorted(rng.choice(np.arange(1, 29), size=2, replace=False)):
            rows.append((dt.date(2025, m, int(d)), -8.0, "CB LAVAGE AUTO"))
    out, streams = _detect(_frame(rows))
    assert not out["is_recurring"].any()
    assert streams.height == 0


@pytest.mark.parametrize("rows", [1, 3])
def test_an_income_tax_debit_alone_on_its_key_is_a_yearly_stream(rows: int) -> None:
    # The year's income tax balance is paid once; monthly instalments are found by cadence.
    frame = _frame([(dt.date(2025, 9, 15), -612.0, "PRLV SEPA DGFIP IMPOT"),
                    (dt.date(2025, 9, 20), -35.0, "CB CARREFOUR CITY"),
                    (dt.date(2025, 10, 15), 120.0, "VIR DGFIP REMBOURSEMENT IMPOT")][:rows])
    frame = frame.with_columns(subcategory=pl.Series(
        ["income_tax", "supermarket", "income_tax"][:rows], dtype=pl.String))
    out, streams = _detect(frame)
    assert out["recurrence_period"].to_list() == ["yearly", None, None][:rows]
    assert streams["period"].to_list() == ["yearly"]
    # two debits of one key are no lone balance: the cadence search decides (none here)
    twice = pl.concat([frame.head(1), frame.head(1).with_columns(
        booking_date=pl.lit(dt.date(2025, 11, 3)))])
    assert not _detect(twice)[0]["is_recurring"].any()


def test_stream_that_stopped_long_before_the_end_of_data_has_ended() -> None:
    rows = [(_business_day(dt.date(2025, m, 8)), -29.99, "PRLV SEPA BASIC FIT") for m in
            range(1, 7)]
    _, streams = _detect(_frame(rows), as_of=dt.date(2025, 12, 31))
    assert streams["status"].to_list() == ["ended"]
    _, streams = _detect(_frame(rows), as_of=dt.date(2025, 6, 20))
    assert streams["status"].to_list() == ["mature"]


def test_stream_ids_are_stable_and_rows_keep_their_order() -> None:
    frame = _netflix_year().with_row_index("n").sample(fraction=1.0, shuffle=True, seed=2)
    out, _ = _detect(frame)
    assert out["n"].to_list() == frame["n"].to_list()
    again, _ = _detect(_netflix_year())
    assert set(out["recurring_stream_id"]) == set(again["recurring_stream_id"])


def test_same_counterparty_on_two_accounts_makes_two_streams() -> None:
    rows = [(_business_day(dt.date(2025, m, 2)), -50.0, "PRLV EDF") for m in range(1, 7)]
    frame = pl.concat([_frame(rows, account="a"), _frame(rows, account="b")])
    out, streams = _detect(frame)
    assert out["is_recurring"].all()
    assert streams.height == 2


def test_salary_labels_with_month_names_share_one_key() -> None:
    months = ["JANVIER", "FEVRIER", "MARS", "AVRIL"]
    rows = [(_business_day(dt.date(2025, k + 1, 27)), 2100.0 + k,
             f"VIR DE ACME SAS SALAIRE {m} 2025") for k, m in enumerate(months)]
    out, streams = _detect(_frame(rows))
    assert out["stream_key"].n_unique() == 1
    assert out["is_recurring"].all()
    assert streams["direction"].to_list() == ["in"]


def test_stream_keys_prefer_merchant_then_counterparty_then_label() -> None:
    frame = pl.DataFrame({
        "merchant_id": ["nsi:netflix", None, None, ""],
        "counterparty_name": ["NETFLIX", "Mme Jeanne Durand", None, None],
        "raw_label": ["X", "VIR LOYER", "PRLV ORANGE 12/05/25 REF 99", ""],
    })
    keys = stream_keys(frame)["stream_key"].to_list()
    assert keys == ["m:nsi:netflix", "c:JEANNE DURAND", "l:PRLV ORANGE REF", None]


def test_a_label_cleaned_to_nothing_is_keyed_by_its_raw_label() -> None:
    # A loan's instalment is all bank wording and a reference: cleaning leaves nothing,
    # and the raw label without its numbers still keys it, from month to month.
    months = range(1, 13)
    frame = _frame([(dt.date(2025, m, 10), -1846.59, f"ECHEANCE PRET 568156454 DU 10/{m:02d}/25")
                    for m in months]).with_columns(clean_label=pl.lit(""))
    assert stream_keys(frame.head(2))["stream_key"].to_list() == ["l:ECHEANCE PRET DU"] * 2
    assert stream_keys(frame)["stream_key"].unique().to_list() == ["l:ECHEANCE PRET DU"]
    out, streams = detect_recurring(stream_keys(frame))
    assert out["is_recurring"].all()
    assert streams["period"].to_list() == ["monthly"]
    assert streams["display_name"].to_list() == ["ECHEANCE PRET"]  # its key, not ""


def test_normalize_key_drops_numbers_months_and_accents() -> None:
    text = pl.DataFrame({"t": ["Prélèvement EDF échéance 05/2025 ++R123", "SALAIRE DÉCEMBRE 2024"]})
    assert text.select(normalize_key(pl.col("t")))["t"].to_list() == [
        "PRELEVEMENT EDF ECHEANCE", "SALAIRE"]


def test_empty_frame_gives_empty_streams() -> None:
    out, streams = _detect(_frame([]))
    assert out.height == 0
    assert {"is_recurring", "recurrence_period", "recurring_stream_id"} <= set(out.columns)
    assert streams.height == 0
    assert tuple(streams.columns) == STREAM_COLUMNS


def test_single_row_is_not_recurring() -> None:
    out, streams = _detect(_frame([(dt.date(2025, 5, 2), -12.0, "CB BOULANGERIE")]))
    assert out["is_recurring"].to_list() == [False]
    assert out["recurrence_period"].to_list() == [None]
    assert streams.height == 0


@pytest.mark.parametrize(("ttype", "amounts", "recurring"), [
    ("direct_debit", (-31.9, -34.5), True),  # a bill a month apart: a young stream
    ("card_online", (-9.99, -9.99), True),  # a subscription's price
    ("card_online", (-23.99, -25.5), False),  # two online purchases
    ("card_in_store", (-12.0, -12.0), False),  # shopping in person
    ("direct_debit", (-31.9, -64.0), False),  # not the same bill
])
def test_two_payments_a_month_apart_are_a_stream_only_as_bills_are_paid(
        ttype: str, amounts: tuple[float, float], recurring: bool) -> None:
    rows = [(dt.date(2025, 10, 6), amounts[0], "FREE MOBILE"),
            (dt.date(2025, 11, 6), amounts[1], "FREE MOBILE"),
            (dt.date(2025, 12, 20), -50.0, "BOULANGERIE")]
    frame = _frame(rows).with_columns(transaction_type=pl.lit(ttype))
    out, streams = _detect(frame)
    assert out["is_recurring"].to_list() == [recurring, recurring, False]
    if recurring:
        assert streams["period"].to_list() == ["monthly"]
        assert streams["status"].to_list() == ["early"]


def test_two_payments_two_months_apart_are_no_stream() -> None:
    rows = [(dt.date(2025, 9, 6), -31.9, "FREE MOBILE"), (dt.date(2025, 11, 6), -31.9,
                                                           "FREE MOBILE")]
    out, _ = _detect(_frame(rows).with_columns(transaction_type=pl.lit("direct_debit")))
    assert not out["is_recurring"].any()


def test_bad_rows_never_crash() -> None:
    frame = pl.DataFrame({
        "account_id": [None, "a", "a"], "customer_id": [None, None, "c"],
        "booking_date": [dt.date(2025, 1, 1)] * 3, "amount": [0.0, None, -3.0],
        "raw_label": [None, "x" * 10_000, "\ufffd\ufffd"],
    }, schema_overrides={"amount": pl.Float64, "raw_label": pl.String})
    out, _ = _detect(frame)
    assert out.height == 3
    assert not out["is_recurring"].any()


def test_an_annual_charge_in_the_last_year_a_date_holds_is_still_a_stream() -> None:
    out, streams = _detect(_frame([(dt.date(9999, 12, 1), -45.0, "COTISATION CARTE VISA")]))
    assert out["recurrence_period"].to_list() == ["yearly"]
    assert streams["n_occurrences"].to_list() == [1]


def test_missing_columns_are_named() -> None:
    with pytest.raises(DataError, match="account_id"):
        detect_recurring(pl.DataFrame({"booking_date": [dt.date(2025, 1, 1)], "amount": [1.0],
                                       "stream_key": ["k"]}))


def test_rerunning_replaces_previous_results() -> None:
    out, _ = _detect(_netflix_year())
    again, _ = detect_recurring(out)
    assert again.columns == out.columns
    assert again["is_recurring"].to_list() == out["is_recurring"].to_list()


def test_finds_the_synthetic_bank_streams() -> None:
    bank = generate_bank(SynthConfig(customers=60, months=4, seed=7))
    truth = bank.transactions.select("tenant_id", "transaction_id").join(
        bank.ground_truth, on=["tenant_id", "transaction_id"], how="left", maintain_order="left")
    out, streams = detect_recurring(stream_keys(prepare(bank.transactions).working))
    true = truth["recurring_stream_id"].is_not_null()
    pred = out["is_recurring"]
    tp = int((true & pred).sum())
    precision, recall = tp / max(int(pred.sum()), 1), tp / max(int(true.sum()), 1)
    assert precision >= 0.95
    assert recall >= 0.9
    assert set(streams["period"]) <= set(PERIODS)
    assert set(streams["status"]) <= {"early", "mature", "ended"}


def test_payments_seen_once_only_make_annual_streams_like_in_a_larger_table() -> None:
    once = _frame([(dt.date(2025, 1, 10), -45.0, "COTISATION CARTE VISA PREMIER"),
                   (dt.date(2025, 2, 3), -12.5, "CB CARREFOUR CITY"),
                   (dt.date(2025, 2, 7), 1800.0, "VIR SALAIRE ACME")])
    monthly = _frame([(_business_day(dt.date(2025, m, 5)), -19.99, "PRLV FREE MOBILE")
                      for m in range(1, 7)], account="acc_2")
    alone, alone_streams = detect_recurring(stream_keys(once))  # no group of two payments
    both, both_streams = detect_recurring(stream_keys(pl.concat([once, monthly])))
    assert alone.equals(both.head(once.height))
    assert alone["recurrence_period"].to_list() == ["yearly", None, None]
    assert alone_streams.equals(both_streams.filter(pl.col("account_id") == "acc_1"))


@pytest.mark.parametrize(("day", "amount"), [(dt.date(2024, 2, 29), -45.0),
                                             (dt.date(2024, 3, 1), -45.005)])
def test_a_lone_annual_charge_reads_alike_in_one_row_and_in_a_table(
        day: dt.date, amount: float) -> None:
    # A leap day's charge is next expected on 28 February; an amount finer than the cent
    # has its mean rounded to the cent, as the table's query rounds it.
    once = _frame([(day, amount, "COTISATION CARTE VISA PREMIER")])
    monthly = _frame([(_business_day(dt.date(2024, m, 5)), -19.99, "PRLV FREE MOBILE")
                      for m in range(1, 10)], account="acc_2")
    _, alone = detect_recurring(stream_keys(once), as_of=dt.date(2025, 6, 30))
    _, both = detect_recurring(stream_keys(pl.concat([once, monthly])),
                               as_of=dt.date(2025, 6, 30))
    assert alone.equals(both.filter(pl.col("account_id") == "acc_1"))
    assert alone["next_expected_date"].to_list() == [
        dt.date(2025, 2, 28) if day.month == 2 else dt.date(2025, 3, 1)]


def test_streams_read_as_their_payments_alike_in_a_few_rows_and_in_a_table() -> None:
    # Each stream takes its payments' most common merchant and subcategory (the smallest of
    # equally common ones, nulls not counted); a stream with no payment here keeps its own.
    streams = pl.DataFrame({
        "recurring_stream_id": ["rs_a", "rs_b", "rs_c", "rs_d"],
        "merchant_id": ["m_old", "m_old", "m_old", "m_old"],
        "category": ["shopping", "shopping", "shopping", "shopping"],
        "subcategory": ["clothing", "clothing", "clothing", "clothing"],
    })
    few = pl.DataFrame({
        "recurring_stream_id": ["rs_a", "rs_a", "rs_a", "rs_b", "rs_b", "rs_c", None],
        "merchant_id": ["m_2", "m_1", "m_2", "m_3", "m_1", None, "m_9"],
        "subcategory": ["salary", "bakery", "bakery", None, None, "sport_clubs_gyms", "rent"],
    })
    padding = pl.DataFrame({"recurring_stream_id": [None] * 9, "merchant_id": ["m_9"] * 9,
                            "subcategory": ["rent"] * 9}, schema=few.schema)
    assert few.height <= 8 < few.height + padding.height  # the row path, then the query
    in_few = streams_as_enriched(streams, few)
    assert in_few.equals(streams_as_enriched(streams, pl.concat([few, padding])))
    assert in_few.rows() == [("rs_a", "m_2", "groceries", "bakery"),
                             ("rs_b", "m_1", None, None),
                             ("rs_c", None, "leisure", "sport_clubs_gyms"),
                             ("rs_d", "m_old", "shopping", "clothing")]
