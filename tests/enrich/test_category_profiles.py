"""Shop profiles: a label's card payments in the batch, summed up as tokens the category
model reads (``enrich/categories/_profiles.py``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from ledgerlens.enrich.categories import CategoryModel
from ledgerlens.enrich.categories._profiles import purchase_weekday, shop_profiles

_START = dt.date(2025, 1, 1)


def _payments(label: str, tickets: list[float], *, every_days: int = 7, account: str = "a1",
              type_: str = "card_in_store", first_id: int = 0) -> pl.DataFrame:
    n = len(tickets)
    return pl.DataFrame({
        "transaction_id": [f"t{first_id + i}" for i in range(n)],
        "account_id": [account] * n,
        "booking_date": [_START + dt.timedelta(days=every_days * i) for i in range(n)],
        "amount": [-t for t in tickets],
        "merchant_text": [label] * n,
        "transaction_type": [type_] * n,
    })


def _tokens(profile: str) -> dict[str, str]:
    return {tok.split("_")[1][0] if tok.count("_") == 1 else tok.split("_")[1]: tok
            for tok in profile.split()}


def test_a_shop_seen_often_enough_gets_one_profile_on_every_payment() -> None:
    frame = pl.concat([_payments("AU PAIN DORE", [4.0, 5.5, 6.0, 3.8, 7.1, 5.0, 4.4, 6.3]),
                       _payments("LE GRAND CERF", [40.0, 55.0], first_id=100)])
    profile = shop_profiles(frame, min_rows=6)
    assert profile.len() == frame.height
    assert profile.head(8).n_unique() == 1
    assert profile[0].startswith("P_m")
    # Fewer payments than min_rows: no profile, the features stay those of one payment.
    assert profile.tail(2).to_list() == ["", ""]


def test_profile_bins_ticket_visits_and_accounts() -> None:
    # One account, weekly for eight weeks: about 4.3 visits a month at a median of 5.25 EUR.
    profile = shop_profiles(_payments("AU PAIN DORE", [4.0, 5.5, 6.0, 3.8, 7.1, 5.0, 4.4, 6.3]),
                            min_rows=6)[0]
    tokens = set(profile.split())
    median, visits = 5.25, 8 / (50 / 30.44)
    assert f"P_m{int(np.floor(2 * np.log2(median + 1)))}" in tokens
    assert f"P_v{int(np.floor(2 * np.log2(visits))) + 8}" in tokens
    assert "P_a0" in tokens  # one account


def test_only_card_payments_out_with_a_text_count() -> None:
    card = _payments("AU PAIN DORE", [5.0] * 6)
    debit = _payments("AU PAIN DORE", [5.0] * 6, type_="direct_debit", first_id=50)
    refund = _payments("AU PAIN DORE", [-5.0] * 6, first_id=80)  # money in
    blank = _payments("", [5.0] * 6, first_id=90)
    profile = shop_profiles(pl.concat([card.head(3), debit, refund, blank]), min_rows=6)
    assert set(profile.to_list()) == {""}
    assert shop_profiles(card, min_rows=6).n_unique() == 1


def test_a_repeated_transaction_id_counts_once() -> None:
    three = _payments("AU PAIN DORE", [5.0, 6.0, 7.0])
    bills = _payments("EDF", [60.0] * 4, type_="direct_debit", every_days=30, first_id=50)
    # The same three payments twice (a training frame's copies without MCC): still three.
    frame = pl.concat([three, three, bills])
    assert set(shop_profiles(frame, min_rows=6).to_list()) == {""}
    assert shop_profiles(frame, min_rows=3)[0] != ""


def test_an_account_whose_history_the_batch_lacks_counts_in_no_profile() -> None:
    # Transactions sampled from many customers, one or a few each: how often a payer comes
    # back cannot be told (read as histories, each supermarket shopper came once a month,
    # as at a fuel station). An account with its history in the batch counts.
    sampled = pl.concat([_payments("CARREFOUR MARKET", [42.0] * 2, account=f"c{k}",
                                   first_id=10 * k) for k in range(8)])
    assert set(shop_profiles(sampled, min_rows=6).to_list()) == {""}
    history = _payments("CARREFOUR MARKET", [42.0] * 8, account="c0", first_id=500)
    assert shop_profiles(pl.concat([sampled, history]), min_rows=6).tail(8).n_unique() == 1
    assert shop_profiles(pl.concat([sampled, history]), min_rows=6)[-1] != ""


def test_tenants_do_not_share_a_profile() -> None:
    frame = pl.concat([_payments("AU PAIN DORE", [5.0] * 4).with_columns(tenant_id=pl.lit(t))
                       for t in ("bank_a", "bank_b")])
    frame = frame.with_columns(transaction_id=pl.Series([f"x{i}" for i in range(8)]))
    assert set(shop_profiles(frame, min_rows=6).to_list()) == {""}
    assert set(shop_profiles(frame.with_columns(tenant_id=pl.lit("one")), min_rows=6)
               .to_list()) != {""}


def test_a_payment_without_an_account_gets_no_profile() -> None:
    # A table of labels from many customers without their ids: visits cannot be counted.
    frame = _payments("AU PAIN DORE", [5.0] * 8)
    assert set(shop_profiles(frame.drop("account_id"), min_rows=6).to_list()) == {""}
    nulls = frame.with_columns(account_id=pl.lit(None, pl.String))
    assert set(shop_profiles(nulls, min_rows=6).to_list()) == {""}
    by_customer = frame.rename({"account_id": "customer_id"})
    assert shop_profiles(by_customer, min_rows=6)[0] == shop_profiles(frame, min_rows=6)[0]


def test_a_table_without_ids_gets_no_profile_through_the_pipeline() -> None:
    # ``prepare`` gives rows without ids the placeholder account: one table of hand-written
    # labels read six Carrefour Market payments as one shopper's visits every other month
    # (the fuel line, at 0.997). The placeholder is no account; a real id keeps its profile.
    from ledgerlens.enrich import enrich

    dates = [str(_START + dt.timedelta(days=30 * i)) for i in range(8)]
    rows = pl.DataFrame({"date": dates, "amount": [-42.0] * 8,
                         "label": ["CB CARREFOUR MARKET 12/03"] * 8})
    assert not enrich(rows)["explanation"].str.contains("shop profile").any()
    local = rows.with_columns(label=pl.lit("CB AU PAIN DORE 12/03"))
    assert not enrich(local)["explanation"].str.contains("shop profile").any()
    with_ids = enrich(local.with_columns(account_id=pl.lit("FR76-1")))
    assert with_ids["explanation"].str.contains("shop profile").all()


@pytest.mark.parametrize("accounts", [1, 6])
def test_households_weekly_shop_at_a_chain_with_pumps_is_their_groceries(accounts: int) -> None:
    # Weekly shops at Carrefour Market, 55 to 90 EUR, tickets alike, had read as fuel at
    # 0.98 by their profile, for one account as for many: a profile does not choose between
    # a supermarket chain's pumps and its shop. A local shop's profile still counts.
    from ledgerlens.enrich import enrich

    rng = np.random.default_rng(3)
    days = [_START + dt.timedelta(days=7 * i) for i in range(48)] * accounts
    tickets = np.round(rng.uniform(55.0, 90.0, len(days)), 2)
    shop = pl.DataFrame({"date": days, "amount": -tickets,
                         "account_id": [f"FR76-{i // 48}" for i in range(len(days))],
                         "label": [f"CB CARREFOUR MARKET {d:%d/%m}" for d in days]})
    out = enrich(shop)
    assert set(out["subcategory"]) == {"supermarket"}
    assert not out["explanation"].str.contains("shop profile").any()
    local = enrich(shop.with_columns(label=pl.lit("CB BOUCHERIE DU MARCHE")))
    assert local["explanation"].str.contains("shop profile").all()


@pytest.mark.parametrize("drop", ["booking_date", "amount", "transaction_type"])
def test_without_the_columns_it_reads_there_is_no_profile(drop: str) -> None:
    frame = _payments("AU PAIN DORE", [5.0] * 8).drop(drop)
    assert set(shop_profiles(frame, min_rows=6).to_list()) == {""}
    assert set(shop_profiles(_payments("AU PAIN DORE", [5.0] * 8), min_rows=0)
               .to_list()) == {""}


def _shops(prefix: str, count: int, ticket: float, every_days: int, visits: int,
           rng: np.random.Generator) -> pl.DataFrame:
    """``count`` shops named by made-up words, paid ``visits`` times each."""
    frames = []
    for k in range(count):
        name = f"{prefix}{chr(65 + k % 26)}{chr(65 + k // 26)}Q"
        tickets = list(np.round(ticket * rng.lognormal(0.0, 0.3, visits), 2))
        frames.append(_payments(name, tickets, every_days=every_days, account=f"{prefix}{k}",
                                first_id=k * 1000 + (0 if prefix == "ZORB" else 500_000)))
    return pl.concat(frames)


def test_the_model_learns_what_a_shops_profile_says() -> None:
    rng = np.random.default_rng(0)
    # Nameless shops: small tickets twice a week are bakeries, large ones monthly restaurants.
    bakeries = _shops("ZORB", 40, ticket=6.0, every_days=3, visits=20, rng=rng)
    restaurants = _shops("KLIM", 40, ticket=6.0, every_days=30, visits=8, rng=rng)
    frame = pl.concat([bakeries, restaurants])
    truth = ["bakery"] * bakeries.height + ["restaurant"] * restaurants.height
    model = CategoryModel(max_iter=50, n_bits=18, calibration_share=0.0).fit(frame, truth)
    # New shops with the same tickets: only how often their customers come tells them apart.
    tickets = [6.0, 5.5, 6.5, 6.2, 5.8, 6.1, 5.9, 6.3]
    new_bakery = _payments("VOXT", tickets * 2, every_days=3, account="n1", first_id=900_000)
    new_restaurant = _payments("PLUW", tickets, every_days=30, account="n2", first_id=950_000)
    out = model.predict(pl.concat([new_bakery, new_restaurant]))
    assert out.head(16)["subcategory"].unique().to_list() == ["bakery"]
    assert out.tail(8)["subcategory"].unique().to_list() == ["restaurant"]
    # The evidence says what the profile was: ticket, visits (every 3 days: ~10 a month).
    assert out["category_evidence"][0].startswith("model: shop profile 5-7 EUR, 8-11 a month")
    # Alone, a payment has no profile: the same input reads the same either way.
    alone = model.predict(new_bakery.head(1))["category_evidence"][0]
    assert "shop profile" not in alone


def test_a_saved_model_keeps_its_profile_scorer_and_an_older_one_reads_none() -> None:
    rng = np.random.default_rng(1)
    frame = pl.concat([_shops("ZORB", 8, ticket=5.0, every_days=3, visits=8, rng=rng),
                       _shops("KLIM", 8, ticket=50.0, every_days=30, visits=8, rng=rng)])
    model = CategoryModel(max_iter=5, n_bits=14, calibration_share=0.0)
    model.fit(frame, ["bakery"] * 64 + ["restaurant"] * 64)
    arrays, metadata = model.to_arrays()
    loaded = CategoryModel.from_arrays(arrays, metadata)
    assert loaded.predict(frame).equals(model.predict(frame))
    assert "shop profile" in loaded.predict(frame)["category_evidence"][0]
    # A model saved before profiles: no profile arrays, and the same answers as one
    # fitted with profiles off.
    del metadata["profile_temperature"]
    older = CategoryModel.from_arrays(
        {k: v for k, v in arrays.items() if not k.startswith("profile_")}, metadata)
    plain = CategoryModel(max_iter=5, n_bits=14, calibration_share=0.0,
                          profile_min_rows=0).fit(frame, ["bakery"] * 64 + ["restaurant"] * 64)
    assert older.profile_scorer_ is None
    assert plain.profile_scorer_ is None
    assert older.predict(frame).equals(plain.predict(frame))


def test_transactions_without_a_profile_read_as_without_profiles() -> None:
    # The scorer for transactions without a profile learns as if profiles did not exist.
    rng = np.random.default_rng(2)
    frame = pl.concat([_shops("ZORB", 12, ticket=6.0, every_days=3, visits=10, rng=rng),
                       _shops("KLIM", 12, ticket=30.0, every_days=20, visits=8, rng=rng)])
    truth = ["bakery"] * 120 + ["restaurant"] * 96
    with_profiles = CategoryModel(max_iter=20, n_bits=16).fit(frame, truth)
    without = CategoryModel(max_iter=20, n_bits=16, profile_min_rows=0).fit(frame, truth)
    one = frame.head(1)
    assert with_profiles.predict(one).equals(without.predict(one))


@pytest.mark.parametrize(("label", "booked", "weekday"), [
    ("CB BOULANGERIE MARTIN 28/11", dt.date(2025, 12, 1), 5),  # Friday 28 Nov 2025
    ("CARTE 28/11/25 BOULANGERIE MARTIN CB*1234", dt.date(2025, 12, 1), 5),
    ("ACHAT CB SANS CONTACT THE BUTCHER 12.03.25", dt.date(2025, 3, 14), 3),
    ("FACTURE CARTE DU 281125 BOULANGERIE MARTIN CARTE 4978XXXXXXXX7460",
     dt.date(2025, 12, 1), 5),
    ("CB SARL MONTEIRO FACT 290125", dt.date(2025, 1, 31), 3),
    ("PAIEMENT CB 3112 CAEN BOULANGERIE", dt.date(2026, 1, 2), 3),  # the year before
    ("PAIEMENT PSC 2602 CAEN BOULANGERIE", dt.date(2025, 3, 3), 3),
    ("CB BOULANGERIE MARTIN", dt.date(2025, 12, 1), None),  # no date printed
    ("CB BOULANGERIE MARTIN 28/09", dt.date(2025, 12, 1), None),  # too long before booking
    ("CB BOULANGERIE MARTIN 31/02", dt.date(2025, 3, 2), None),  # no such day
    ("CB BOULANGERIE MARTIN 02/12", dt.date(2025, 12, 1), None),  # after the booking
])
def test_purchase_weekday_reads_the_date_the_bank_printed(label: str, booked: dt.date,
                                                          weekday: int | None) -> None:
    frame = pl.LazyFrame({"label": [label], "booked": [booked]})
    out = purchase_weekday(frame, "label", "booked").collect()["weekday"].item()
    assert out == weekday


def test_a_shops_days_of_the_week_join_its_profile() -> None:
    # A canteen: dated purchases Monday to Friday only.
    days = [_START + dt.timedelta(days=d) for d in range(60)]
    weekdays = [d for d in days if d.weekday() < 5][:20]
    frame = pl.DataFrame({
        "account_id": ["a1"] * 20,
        "booking_date": weekdays,
        "amount": [-7.0] * 20,
        "merchant_text": ["LE CARRE"] * 20,
        "raw_label": [f"CB LE CARRE {d:%d/%m}" for d in weekdays],
        "transaction_type": ["card_in_store"] * 20,
    })
    tokens = set(shop_profiles(frame, min_rows=6)[0].split())
    assert {"P_ds0", "P_dz0"} <= tokens  # never on Saturday or Sunday
    undated = frame.with_columns(raw_label=pl.lit("CB LE CARRE"))
    assert not any(t.startswith("P_d") for t in shop_profiles(undated, min_rows=6)[0].split())


def test_twice_a_month_at_a_car_park_is_parking_not_its_chargers() -> None:
    # Indigo's car parks have chargers too: a profile of 9 EUR twice a month read as them.
    from ledgerlens.enrich import enrich

    rng = np.random.default_rng(5)
    days = [_START + dt.timedelta(days=15 * i) for i in range(24)]
    fees = np.round(9.0 * np.exp(rng.normal(0.0, 0.5, len(days))), 2)
    parking = pl.DataFrame({"date": days, "amount": -fees, "account_id": "FR76-1",
                            "label": [f"CB INDIGO {d:%d/%m}" for d in days]})
    assert set(enrich(parking)["subcategory"]) == {"parking"}
