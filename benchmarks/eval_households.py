"""Do whole account histories, written as people spend, read right? Category accuracy per shop.

The probes and the development set read labels one at a time; the steps that read a
history (shop profiles, recurring streams) only show what they do on whole accounts. Here
hand-written households (each shop a card label, a ticket drawn log-normally around its
median, so many payments a month, and the line the shop sells) spend for a year, and each
household is enriched alone (an app's view of one customer), then all together (a bank's
batch). The shops are everyday French ones, chains and local, with tickets as people pay
them: a weekly shop of 50 to 110 EUR, a baguette every other day, fill-ups twice a month;
two of them go abroad for a week (London, Barcelona), where a chain paid at home is paid too.
Both the line and whether the payment was made abroad are scored.
Synthetic banks taught the profiles their tickets; a history read wrong here shows where
those differ from people's (experiments/0025).

    python benchmarks/eval_households.py [--copies 6] [--record] [--show]
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import polars as pl
from _record import record

from ledgerlens.enrich import enrich

#: (card label, median ticket EUR, log-sigma, payments a month, line) per household.
HOUSEHOLDS: dict[str, tuple[tuple[str, float, float, float, str], ...]] = {
    "suburban family": (
        ("BOULANGERIE MARIE", 4.5, 0.5, 10, "bakery"),
        ("LE FOURNIL DU BOURG", 6.0, 0.5, 3, "bakery"),
        ("TABAC LE BALTO", 11.0, 0.4, 4, "tobacco_press"),
        ("PHARMACIE DU CENTRE", 18.0, 0.7, 1.5, "pharmacy"),
        ("TOTALENERGIES", 62.0, 0.25, 2.5, "fuel"),
        ("CARREFOUR MARKET", 70.0, 0.45, 4, "supermarket"),
        ("CARREFOUR CITY", 14.0, 0.6, 3, "convenience_store"),
        ("LIDL", 38.0, 0.5, 2, "supermarket"),
        ("PICARD", 32.0, 0.4, 1, "specialty_food"),
        ("AMAZON PAYMENTS", 28.0, 0.8, 2, "marketplace"),
        ("MC DONALDS", 16.0, 0.4, 1.5, "fast_food"),
        ("LE PETIT ZINC", 3.2, 0.3, 6, "cafe_bar"),
        ("SNCF CONNECT", 45.0, 0.6, 0.5, "trains_coaches"),
        ("UBER", 18.0, 0.5, 1, "taxi_ride_hailing"),
        ("DECATHLON", 35.0, 0.8, 0.5, "sport_equipment"),
        ("ZARA", 49.0, 0.5, 0.7, "clothing_shoes"),
        ("INTERMARCHE", 52.0, 0.35, 2, "supermarket"),
        ("E.LECLERC", 85.0, 0.4, 2, "supermarket"),
        ("ESSO", 55.0, 0.2, 1, "fuel"),
        ("CINEMA PATHE", 24.0, 0.3, 0.7, "cinema"),
        ("COIFFURE STYL", 28.0, 0.2, 0.7, "hairdresser"),
        ("MARCHE BIO DU SAMEDI", 21.0, 0.4, 3, "market_greengrocer"),
        ("BOUCHERIE DUPONT", 24.0, 0.5, 2, "butcher_fishmonger"),
        ("SUPER U", 64.0, 0.4, 2, "supermarket"),
        ("AUCHAN", 90.0, 0.35, 1, "supermarket"),
    ),
    "city couple": (
        ("TOTALENERGIES", 58.0, 0.3, 2, "fuel"),
        ("LE BISTROT DES HALLES", 15.0, 0.2, 8, "restaurant"),
        ("BRASSERIE LE CENTRAL", 32.0, 0.3, 1.5, "restaurant"),
        ("DOMINOS PIZZA", 24.0, 0.3, 1.5, "fast_food"),
        ("FRANPRIX", 18.0, 0.6, 6, "convenience_store"),
        ("MONOPRIX", 42.0, 0.6, 3, "supermarket"),
        ("CARREFOUR", 95.0, 0.4, 2, "supermarket"),
        ("LECLERC DRIVE", 110.0, 0.3, 2, "supermarket"),
        ("IKEA", 80.0, 0.9, 0.4, "furniture_home_equipment"),
        ("LEROY MERLIN", 45.0, 0.8, 0.6, "diy_home_improvement"),
        ("DECATHLON", 40.0, 0.7, 0.6, "sport_equipment"),
        ("H ET M", 35.0, 0.5, 0.8, "clothing_shoes"),
        ("PHARMACIE LAFAYETTE", 14.0, 0.8, 2, "pharmacy"),
        ("RATP", 2.15, 0.2, 4, "public_transport"),
        ("INDIGO", 9.0, 0.5, 2, "parking"),
        ("SEPHORA", 38.0, 0.5, 0.7, "cosmetics_perfume"),
        ("NICOLAS", 22.0, 0.4, 1, "specialty_food"),
        ("BOUCHERIE DES LILAS", 31.0, 0.4, 2, "butcher_fishmonger"),
        ("LA MIE CALINE", 7.5, 0.4, 4, "bakery"),
        ("PAUL", 8.0, 0.4, 2, "bakery"),
        ("STARBUCKS", 5.5, 0.2, 3, "cafe_bar"),
        ("UGC", 12.0, 0.1, 1, "cinema"),
        ("VINTED", 15.0, 0.6, 1, "second_hand"),
    ),
    "student": (
        ("CROUS RESTAURATION", 3.3, 0.05, 12, "canteen"),
        ("MC DONALDS", 9.0, 0.3, 3, "fast_food"),
        ("UBER EATS", 19.0, 0.3, 2, "food_delivery"),
        ("DELIVEROO", 22.0, 0.3, 1, "food_delivery"),
        ("STEAM", 15.0, 0.6, 0.5, "video_games"),
        ("LIDL", 22.0, 0.5, 4, "supermarket"),
        ("CARREFOUR CITY", 9.0, 0.5, 5, "convenience_store"),
        ("BURGER KING", 11.0, 0.3, 1.5, "fast_food"),
        ("PRIMARK", 25.0, 0.5, 0.6, "clothing_shoes"),
    ),
    "retired widow": (
        ("BOULANGERIE DU BOURG", 2.6, 0.3, 20, "bakery"),
        ("PHARMACIE DE L EGLISE", 9.0, 0.8, 3, "pharmacy"),
        ("INTERMARCHE CONTACT", 28.0, 0.5, 4, "convenience_store"),
        ("TABAC PRESSE LE CELTIC", 6.0, 0.4, 6, "tobacco_press"),
        ("DR LEFEBVRE", 26.5, 0.0, 1, "doctor"),
        ("FLEURISTE ROSE ET LYS", 25.0, 0.3, 0.4, "gifts_flowers"),
        ("GAMM VERT", 35.0, 0.6, 0.6, "garden"),
        ("LA POSTE", 8.0, 0.5, 0.5, "post_courier"),
    ),
    "rural family": (
        ("E.LECLERC STATION", 70.0, 0.2, 3, "fuel"),
        ("SUPER U", 95.0, 0.4, 3, "supermarket"),
        ("MR BRICOLAGE", 40.0, 0.7, 0.6, "diy_home_improvement"),
        ("CLINIQUE VETERINAIRE DES PINS", 55.0, 0.5, 0.3, "pets"),
        ("AUCHAN", 110.0, 0.35, 1, "supermarket"),
        ("NORAUTO", 80.0, 0.6, 0.3, "vehicle_maintenance"),
        ("KFC", 32.0, 0.3, 1, "fast_food"),
        ("LA GRANDE RECRE", 35.0, 0.5, 0.4, "toys"),
        ("INTERMARCHE STATION", 60.0, 0.25, 1, "fuel"),
    ),
}
_START = dt.date(2024, 4, 1)
#: Trips abroad: (household, first day after the start, days, [(label with ``{d}`` the
#: date and ``{fx}`` the amount in the currency, median ticket EUR, payments, line)]). A chain
#: paid at home is paid there too; a shop abroad prints its country on some labels only.
TRIPS: tuple[tuple[str, int, int, tuple[tuple[str, float, int, str], ...]], ...] = (
    ("suburban family", 124, 7, (
        ("MC DONALDS LONDON GB {fx} GBP", 18.0, 3, "fast_food"),
        ("PRET A MANGER {fx} GBP", 12.0, 3, "fast_food"),
        ("THE RED LION PUB LONDON GB {fx} GBP", 30.0, 2, "cafe_bar"),
        ("ZARA OXFORD STREET GB {fx} GBP", 45.0, 1, "clothing_shoes"))),
    ("city couple", 190, 6, (
        ("TAPAS EL BORN ES {d}", 40.0, 2, "restaurant"),
        ("TAPAS EL BORN {d}", 35.0, 1, "restaurant"),
        ("ZARA BARCELONA ES {d}", 50.0, 1, "clothing_shoes"),
        ("MERCADONA ES {d}", 25.0, 2, "supermarket"))),
)
_GBP = 1.17  # EUR for one pound, for the labels' amounts


def _payments(rng: np.random.Generator, label: str, median: float, sigma: float, n: int,
              days: tuple[int, int], line: str, abroad: bool) -> pl.DataFrame:
    """``n`` card payments at one shop: ``label`` with ``{d}`` the date and ``{fx}`` the
    amount in pounds, on days drawn in ``days`` (from, to after the start), tickets drawn
    log-normally around ``median``."""
    dates = [_START + dt.timedelta(days=int(d)) for d in rng.integers(*days, n)]
    tickets = np.round(median * np.exp(rng.normal(0.0, sigma, n)), 2)
    return pl.DataFrame({
        "date": dates, "amount": -tickets,
        "label": ["CB " + label.format(d=f"{d:%d/%m}", fx=f"{t / _GBP:.2f}".replace(".", ","))
                  for d, t in zip(dates, tickets, strict=True)],
        "line": line, "shop": label.split(" {")[0], "abroad": abroad})


def history(household: str, account: str, seed: int) -> pl.DataFrame:
    """A year of the household's card payments (``date``, ``amount``, ``label``,
    ``account_id``, ``line``, ``shop``, ``abroad``), drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    parts = []
    for name, median, sigma, per_month, line in HOUSEHOLDS[household]:
        n = max(1, round(per_month * 12 + rng.uniform(-1, 1)))
        parts.append(_payments(rng, name + " {d}", median, sigma, n, (0, 365), line, False))
    for kind, first, length, shops in TRIPS:
        if kind == household:
            parts.extend(_payments(rng, label, median, 0.3, n, (first, first + length), line,
                                   True) for label, median, n, line in shops)
    return pl.concat(parts).with_columns(account_id=pl.lit(account))


def read(table: pl.DataFrame) -> pl.DataFrame:
    """``table`` enriched, with ``right`` (the line read is the shop's) and ``where`` (the
    payment read as abroad or not, as it was)."""
    out = enrich(table.drop("line", "shop", "abroad"))
    return table.with_columns(subcategory=out["subcategory"],
                              right=out["subcategory"] == table["line"],
                              where=(out["transaction_type"] == "card_abroad") == table["abroad"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=6,
                        help="households of each kind in the bank's batch (drawn apart)")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--show", action="store_true", help="print the shops read wrong")
    args = parser.parse_args()
    alone = pl.concat([read(history(kind, kind, seed=k)) for k, kind in enumerate(HOUSEHOLDS)]
                      ).with_columns(batch=pl.lit("alone"))
    together = read(pl.concat([history(kind, f"{kind} {c}", seed=100 * k + c)
                               for k, kind in enumerate(HOUSEHOLDS)
                               for c in range(args.copies)])).with_columns(
        batch=pl.lit("together"))
    both = pl.concat([alone, together])
    lines = ["| household | payments | shops | line, alone | line, together "
             "| abroad or not, alone | abroad or not, together |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for kind in HOUSEHOLDS:
        a = alone.filter(pl.col("account_id") == kind)
        t = together.filter(pl.col("account_id").str.starts_with(kind))
        lines.append(f"| {kind} | {a.height:,} | {a['shop'].n_unique()} | "
                     f"{a['right'].mean():.4f} | {t['right'].mean():.4f} | "
                     f"{a['where'].mean():.4f} | {t['where'].mean():.4f} |")
    lines.append(f"| **all** | {alone.height:,} | "
                 f"{alone.select('account_id', 'shop').n_unique()} | "
                 f"**{alone['right'].mean():.4f}** | **{together['right'].mean():.4f}** | "
                 f"**{alone['where'].mean():.4f}** | **{together['where'].mean():.4f}** |")
    print("\n".join(lines))
    wrong = (both.filter(~pl.col("right") | ~pl.col("where"))
             .group_by("batch", "shop", "line", "subcategory", "abroad", "where")
             .len().sort("batch", "len", descending=[False, True]))
    if args.show or not args.record:
        with pl.Config(tbl_rows=60, fmt_str_lengths=40):
            print(wrong)
    if args.record:
        record("eval_households", [
            f"Measured {dt.date.today()} with `python benchmarks/eval_households.py --record` "
            f"(default model; each household alone, then {args.copies} of each kind in one "
            "batch).", "", *lines, "",
            "Shops read wrong: " + ("none" if wrong.is_empty() else "; ".join(
                f"{b}: {s} ({line} read as {sub}" + ("" if w else ", abroad or not wrong")
                + f", {n})" for b, s, line, sub, _, w, n in wrong.iter_rows())) + "."],
            "## Households' histories (`benchmarks/eval_households.py`)\n\nWhole account "
            "histories written as people spend, line and abroad-or-not accuracy per household "
            "(experiments/0025).")


if __name__ == "__main__":
    main()
