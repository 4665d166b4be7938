"""Merchants abroad, for customers' trips: local businesses in the countries French people visit.

Card payments abroad read differently (foreign trade words, foreign towns, an amount in
another currency and a separate foreign-fee line), and they are a classic source of
enrichment errors, so the synthetic bank has them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ledgerlens.taxonomy import SUBCATEGORIES

__all__ = ["COUNTRIES", "ONLINE_SEATS", "foreign_merchants"]

# code: (currency, units per EUR, trip weight, towns)
COUNTRIES: dict[str, tuple[str, float, float, tuple[str, ...]]] = {
    "ES": ("EUR", 1.0, 0.22, ("MADRID", "BARCELONA", "SEVILLA", "VALENCIA", "MALAGA", "PALMA")),
    "IT": ("EUR", 1.0, 0.16, ("ROMA", "MILANO", "FIRENZE", "NAPOLI", "VENEZIA", "TORINO")),
    "PT": ("EUR", 1.0, 0.09, ("LISBOA", "PORTO", "FARO", "LAGOS", "COIMBRA")),
    "DE": ("EUR", 1.0, 0.06, ("BERLIN", "MUENCHEN", "HAMBURG", "KOELN", "FRANKFURT")),
    "BE": ("EUR", 1.0, 0.06, ("BRUXELLES", "BRUGGE", "GENT", "LIEGE", "ANTWERPEN")),
    "GR": ("EUR", 1.0, 0.05, ("ATHINA", "THESSALONIKI", "HERAKLION", "RHODES")),
    "GB": ("GBP", 0.85, 0.10, ("LONDON", "EDINBURGH", "MANCHESTER", "BRIGHTON", "OXFORD")),
    "CH": ("CHF", 0.94, 0.06, ("GENEVE", "LAUSANNE", "ZURICH", "BASEL", "ZERMATT")),
    "US": ("USD", 1.08, 0.08, ("NEW YORK", "SAN FRANCISCO", "LOS ANGELES", "MIAMI", "BOSTON")),
    "MA": ("MAD", 10.8, 0.06, ("MARRAKECH", "CASABLANCA", "AGADIR", "FES", "TANGER")),
    "CA": ("CAD", 1.47, 0.03, ("MONTREAL", "QUEBEC", "TORONTO", "VANCOUVER")),
    "JP": ("JPY", 162.0, 0.03, ("TOKYO", "KYOTO", "OSAKA", "NARA")),
}

#: Where a country's online sellers are seated, as card acquirers print it after the seller's
#: name (``SPOTIFY STOCKHOLM``, ``RYANAIR DUBLIN``): the seller's town, not the customer's.
ONLINE_SEATS: dict[str, str] = {
    "IE": "DUBLIN", "NL": "AMSTERDAM", "LU": "LUXEMBOURG", "SE": "STOCKHOLM", "GB": "LONDON",
    "DE": "BERLIN", "US": "SAN FRANCISCO", "ES": "MADRID", "CH": "ZURICH", "DK": "COPENHAGEN",
    "CZ": "PRAHA", "IT": "MILANO", "BE": "BRUXELLES",
}

# subcategory: trade words by language family (romance ES/IT/PT, english, german, french)
_TRADE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "restaurant": {"ES": ("RESTAURANTE", "TABERNA", "CASA"), "IT": ("RISTORANTE", "TRATTORIA",
                   "OSTERIA"), "PT": ("RESTAURANTE", "TASCA"), "DE": ("RESTAURANT", "GASTHAUS"),
                   "EN": ("RESTAURANT", "GRILL", "DINER", "KITCHEN"), "FR": ("RESTAURANT",
                   "BRASSERIE"), "JP": ("IZAKAYA", "RAMEN", "SUSHI")},
    "cafe_bar": {"ES": ("BAR", "CAFETERIA"), "IT": ("BAR", "CAFFE"), "PT": ("CAFE", "PASTELARIA"),
                 "DE": ("CAFE", "BIERGARTEN"), "EN": ("CAFE", "PUB", "COFFEE"),
                 "FR": ("CAFE", "BAR"), "JP": ("KISSATEN", "CAFE")},
    # Trade words only: a chain's name abroad (MERCADONA, REWE, TESCO) is a merchant the
    # directory knows, not an independent shop.
    "supermarket": {"ES": ("SUPERMERCADO", "ALIMENTACION", "AUTOSERVICIO"),
                    "IT": ("SUPERMERCATO", "ALIMENTARI"), "PT": ("SUPERMERCADO", "MINIMERCADO"),
                    "DE": ("SUPERMARKT", "LEBENSMITTEL"), "EN": ("SUPERMARKET", "GROCERY",
                    "FOOD STORE"), "FR": ("SUPERMARCHE", "ALIMENTATION", "EPICERIE"),
                    "JP": ("SUPERMARKET", "KONBINI")},
    "hotels": {"ES": ("HOTEL", "HOSTAL"), "IT": ("HOTEL", "ALBERGO"), "PT": ("HOTEL",
               "POUSADA"), "DE": ("HOTEL", "PENSION"), "EN": ("HOTEL", "INN", "LODGE"),
               "FR": ("HOTEL",), "JP": ("HOTEL", "RYOKAN")},
    "museums_culture": {"ES": ("MUSEO",), "IT": ("MUSEO", "GALLERIA"), "PT": ("MUSEU",),
                        "DE": ("MUSEUM",), "EN": ("MUSEUM", "GALLERY"), "FR": ("MUSEE",),
                        "JP": ("MUSEUM", "TEMPLE")},
    "clothing_shoes": {"ES": ("MODA", "ZAPATERIA"), "IT": ("MODA", "CALZATURE"),
                       "PT": ("MODA", "SAPATARIA"), "DE": ("MODE", "SCHUHE"),
                       "EN": ("OUTFITTERS", "CLOTHING"), "FR": ("BOUTIQUE",),
                       "JP": ("FASHION", "BOUTIQUE")},
    "pharmacy": {"ES": ("FARMACIA",), "IT": ("FARMACIA",), "PT": ("FARMACIA",),
                 "DE": ("APOTHEKE",), "EN": ("PHARMACY", "CHEMIST", "DRUGSTORE"),
                 "FR": ("PHARMACIE",), "JP": ("DRUGSTORE",)},
    "taxi_ride_hailing": {"ES": ("TAXI",), "IT": ("TAXI",), "PT": ("TAXI",), "DE": ("TAXI",),
                          "EN": ("TAXI", "CAB"), "FR": ("TAXI",), "JP": ("TAXI",)},
}
_LANGUAGE = {"ES": "ES", "IT": "IT", "PT": "PT", "DE": "DE", "BE": "FR", "GR": "EN", "GB": "EN",
             "CH": "FR", "US": "EN", "MA": "FR", "CA": "EN", "JP": "JP"}
_TICKETS = {"restaurant": (35.0, 0.5), "cafe_bar": (8.0, 0.6), "supermarket": (30.0, 0.7),
            "hotels": (140.0, 0.5), "museums_culture": (18.0, 0.5), "clothing_shoes": (50.0, 0.7),
            "pharmacy": (15.0, 0.6), "taxi_ride_hailing": (25.0, 0.5)}
_NAME_WORDS = ("SOL", "MAR", "CENTRAL", "PLAZA", "ROYAL", "VISTA", "MARINA", "PARK", "OLD TOWN",
               "STATION", "PORTO", "LUNA", "VERDE", "AZUL", "BELLA", "GRAND", "CITY", "BAY")


def foreign_merchants(seed: int, per_trade: int = 6) -> pl.DataFrame:
    """Local businesses abroad: ``per_trade`` per (country, trade), deterministic for a seed."""
    rng = np.random.default_rng([seed, 7_003])
    rows: list[dict[str, object]] = []
    # A few hundred reference rows built once per bank: a loop is clearer than arrays here.
    for code, (_currency, _rate, _w, towns) in COUNTRIES.items():
        lang = _LANGUAGE[code]
        for sub, words in _TRADE_WORDS.items():
            options = words[lang]
            for k in range(per_trade):
                word = options[k % len(options)]
                town = towns[int(rng.integers(len(towns)))]
                extra = _NAME_WORDS[int(rng.integers(len(_NAME_WORDS)))]
                name = f"{word} {extra}" if rng.random() < 0.6 else f"{word} {town}"
                median, sigma = _TICKETS[sub]
                rows.append({
                    "merchant_id": f"abr:{code.lower()}-{sub}-{k}",
                    "name": name, "subcategory": sub,
                    "category": SUBCATEGORIES[sub].category, "country": code, "city": town,
                    "ticket_median": median, "ticket_sigma": sigma,
                })
    return pl.DataFrame(rows)
