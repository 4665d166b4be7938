"""Merchants abroad, for customers' trips: local businesses in the countries French people visit.

Card payments abroad read differently (foreign trade words, foreign towns, an amount in
another currency and a separate foreign-fee line), and they are a classic source of
enrichment errors, so the synthetic bank has them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ledgerlens.taxonomy import SUBCATEGORIES

__all__ = ["CHAIN_SHARE", "COUNTRIES", "INTERNATIONAL_CHAINS", "ONLINE_SEATS",
           "foreign_merchants", "foreign_trade_words"]

# code: (currency, units per EUR, trip weight, towns)
COUNTRIES: dict[str, tuple[str, float, float, tuple[str, ...]]] = {
    "ES": ("EUR", 1.0, 0.22, ("MADRID", "BARCELONA", "SEVILLA", "VALENCIA", "MALAGA", "PALMA")),
    "IT": ("EUR", 1.0, 0.16, ("ROMA", "MILANO", "FIRENZE", "NAPOLI", "VENEZIA", "TORINO")),
    "PT": ("EUR", 1.0, 0.09, ("LISBOA", "PORTO", "FARO", "LAGOS", "COIMBRA")),
    "DE": ("EUR", 1.0, 0.06, ("BERLIN", "MUENCHEN", "HAMBURG", "KOELN", "FRANKFURT")),
    "BE": ("EUR", 1.0, 0.06, ("BRUXELLES", "BRUGGE", "GENT", "LIEGE", "ANTWERPEN")),
    "NL": ("EUR", 1.0, 0.04, ("AMSTERDAM", "ROTTERDAM", "UTRECHT")),
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

_EURO_AREA = ("ES", "IT", "PT", "DE", "BE", "NL", "GR")
#: Chains French travellers pay abroad, as the name-suggestion index names them, with the
#: countries of ``COUNTRIES`` they trade in (None: all of them). A trip's payments are not
#: all at independents: ``CHAIN_SHARE`` (by subcategory; a quarter for the others) of those
#: of a trade with a chain in the country go to one of them or to that country's own chains
#: (``european_merchants.csv``).
INTERNATIONAL_CHAINS: dict[str, tuple[str, ...] | None] = {
    "McDonald's": None, "Burger King": None, "KFC": None, "Starbucks": None, "Subway": None,
    "Domino's": (*_EURO_AREA, "GB", "US", "CA"), "Hard Rock Cafe": None,
    "Five Guys": ("ES", "IT", "DE", "BE", "NL", "GB", "US", "CA"),
    "Pret A Manger": ("GB", "US"), "Lidl": (*_EURO_AREA, "GB", "CH"),
    "Aldi": ("ES", "IT", "PT", "DE", "BE", "NL", "GB", "CH", "US"),
    "Carrefour": ("ES", "IT", "BE", "MA"), "Spar": ("ES", "IT", "DE", "BE", "NL", "GB", "CH"),
    "Zara": None, "H&M": None, "Primark": ("ES", "IT", "PT", "DE", "BE", "NL", "GB", "US"),
    "Mango": (*_EURO_AREA, "GB", "CH"), "Uniqlo": ("ES", "IT", "DE", "BE", "NL", "GB", "US",
                                                    "CA", "JP"),
    "Shell": ("DE", "NL", "GB", "CH", "US", "CA", "MA"), "BP": ("ES", "PT", "DE", "NL", "GB"),
    "Esso": ("IT", "DE", "BE", "NL", "GB", "CA"), "Repsol": ("ES", "PT"),
    "TotalEnergies": ("BE", "NL", "DE", "MA"), "Ibis": None, "Novotel": None, "Mercure": None,
    "Hilton": None, "Holiday Inn": None,
}
CHAIN_SHARE: dict[str, float] = {
    "restaurant": 0.04, "cafe_bar": 0.12, "fast_food": 0.6, "supermarket": 0.5, "fuel": 0.6,
    "hotels": 0.25, "clothing_shoes": 0.4, "pharmacy": 0.1, "bakery": 0.1,
}

# subcategory: trade words by language family (romance ES/IT/PT, english, german, french)
_TRADE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "restaurant": {"ES": ("RESTAURANTE", "TABERNA", "CASA"), "IT": ("RISTORANTE", "TRATTORIA",
                   "OSTERIA"), "PT": ("RESTAURANTE", "TASCA"), "DE": ("RESTAURANT", "GASTHAUS"),
                   "EN": ("RESTAURANT", "GRILL", "DINER", "KITCHEN"), "FR": ("RESTAURANT",
                   "BRASSERIE"), "JP": ("IZAKAYA", "RAMEN", "SUSHI"),
                   "NL": ("RESTAURANT", "EETHUIS")},
    "cafe_bar": {"ES": ("BAR", "CAFETERIA"), "IT": ("BAR", "CAFFE"), "PT": ("CAFE", "PASTELARIA"),
                 "DE": ("CAFE", "BIERGARTEN"), "EN": ("CAFE", "PUB", "COFFEE"),
                 "FR": ("CAFE", "BAR"), "JP": ("KISSATEN", "CAFE"), "NL": ("CAFE", "KOFFIEBAR")},
    # Trade words only: a chain's name abroad (MERCADONA, REWE, TESCO) is a merchant the
    # directory knows, not an independent shop.
    "supermarket": {"ES": ("SUPERMERCADO", "ALIMENTACION", "AUTOSERVICIO"),
                    "IT": ("SUPERMERCATO", "ALIMENTARI"), "PT": ("SUPERMERCADO", "MINIMERCADO"),
                    "DE": ("SUPERMARKT", "LEBENSMITTEL"), "EN": ("SUPERMARKET", "GROCERY",
                    "FOOD STORE"), "FR": ("SUPERMARCHE", "ALIMENTATION", "EPICERIE"),
                    "JP": ("SUPERMARKET", "KONBINI"), "NL": ("SUPERMARKT", "LEVENSMIDDELEN")},
    "hotels": {"ES": ("HOTEL", "HOSTAL"), "IT": ("HOTEL", "ALBERGO"), "PT": ("HOTEL",
               "POUSADA"), "DE": ("HOTEL", "PENSION"), "EN": ("HOTEL", "INN", "LODGE"),
               "FR": ("HOTEL",), "JP": ("HOTEL", "RYOKAN"), "NL": ("HOTEL", "HOSTEL")},
    "museums_culture": {"ES": ("MUSEO",), "IT": ("MUSEO", "GALLERIA"), "PT": ("MUSEU",),
                        "DE": ("MUSEUM",), "EN": ("MUSEUM", "GALLERY"), "FR": ("MUSEE",),
                        "JP": ("MUSEUM", "TEMPLE"), "NL": ("MUSEUM",)},
    "clothing_shoes": {"ES": ("MODA", "ZAPATERIA"), "IT": ("MODA", "CALZATURE"),
                       "PT": ("MODA", "SAPATARIA"), "DE": ("MODE", "SCHUHE"),
                       "EN": ("OUTFITTERS", "CLOTHING"), "FR": ("BOUTIQUE",),
                       "JP": ("FASHION", "BOUTIQUE"), "NL": ("MODE", "SCHOENEN")},
    "pharmacy": {"ES": ("FARMACIA",), "IT": ("FARMACIA",), "PT": ("FARMACIA",),
                 "DE": ("APOTHEKE",), "EN": ("PHARMACY", "CHEMIST", "DRUGSTORE"),
                 "FR": ("PHARMACIE",), "JP": ("DRUGSTORE",), "NL": ("APOTHEEK", "DROGISTERIJ")},
    "taxi_ride_hailing": {"ES": ("TAXI",), "IT": ("TAXI",), "PT": ("TAXI",), "DE": ("TAXI",),
                          "EN": ("TAXI", "CAB"), "FR": ("TAXI",), "JP": ("TAXI",),
                          "NL": ("TAXI", "TAXICENTRALE")},
    "bakery": {"ES": ("PANADERIA", "HORNO"), "IT": ("PANIFICIO", "FORNO", "PASTICCERIA"),
               "PT": ("PADARIA", "PANIFICACAO"), "DE": ("BAECKEREI", "BACKEREI", "KONDITOREI"),
               "EN": ("BAKERY", "BAKEHOUSE"), "FR": ("BOULANGERIE",), "JP": ("BAKERY",),
               "NL": ("BAKKERIJ", "BANKETBAKKER")},
    "fast_food": {"ES": ("BOCATERIA", "KEBAB"), "IT": ("ROSTICCERIA", "PANINOTECA",
                  "PIZZA AL TAGLIO"), "PT": ("SNACK BAR", "HAMBURGUERIA"),
                  "DE": ("IMBISS", "DOENER"), "EN": ("TAKEAWAY", "FISH AND CHIPS", "BURGER"),
                  "FR": ("SNACK", "KEBAB"), "JP": ("BENTO", "BURGER"),
                  "NL": ("SNACKBAR", "FRITUUR")},
    "fuel": {"ES": ("GASOLINERA", "ESTACION DE SERVICIO"), "IT": ("DISTRIBUTORE",
             "STAZIONE DI SERVIZIO", "CARBURANTI"), "PT": ("POSTO COMBUSTIVEL", "BOMBA GASOLINA"),
             "DE": ("TANKSTELLE",), "EN": ("PETROL STATION", "GAS STATION", "SERVICE STATION"),
             "FR": ("STATION SERVICE",), "JP": ("GAS STATION",), "NL": ("TANKSTATION",)},
    "parking": {"ES": ("APARCAMIENTO", "PARKING"), "IT": ("PARCHEGGIO",),
                "PT": ("ESTACIONAMENTO", "PARQUE ESTACIONAMENTO"), "DE": ("PARKHAUS", "PARKPLATZ"),
                "EN": ("CAR PARK", "PARKING"), "FR": ("PARKING",), "JP": ("PARKING",),
                "NL": ("PARKEERGARAGE", "PARKEREN")},
    "butcher_fishmonger": {"ES": ("CARNICERIA", "PESCADERIA"), "IT": ("MACELLERIA", "PESCHERIA"),
                           "PT": ("TALHO", "PEIXARIA"), "DE": ("METZGEREI", "FLEISCHEREI"),
                           "EN": ("BUTCHER", "FISHMONGER"), "FR": ("BOUCHERIE",),
                           "JP": ("FISH MARKET",), "NL": ("SLAGERIJ", "VISHANDEL")},
    "hairdresser": {"ES": ("PELUQUERIA",), "IT": ("PARRUCCHIERE", "BARBIERE"),
                    "PT": ("CABELEIREIRO", "BARBEARIA"), "DE": ("FRISEUR", "FRISOER"),
                    "EN": ("HAIRDRESSER", "BARBER"), "FR": ("COIFFURE",), "JP": ("HAIR SALON",),
                    "NL": ("KAPPER", "KAPSALON")},
    "books_media": {"ES": ("LIBRERIA",), "IT": ("LIBRERIA",), "PT": ("LIVRARIA",),
                    "DE": ("BUCHHANDLUNG",), "EN": ("BOOKSHOP", "BOOKSTORE"),
                    "FR": ("LIBRAIRIE",), "JP": ("BOOKSTORE",), "NL": ("BOEKHANDEL",)},
    "gifts_flowers": {"ES": ("RECUERDOS", "FLORISTERIA"), "IT": ("SOUVENIR", "FIORAIO"),
                      "PT": ("LEMBRANCAS", "FLORISTA"), "DE": ("SOUVENIRS", "BLUMEN"),
                      "EN": ("GIFT SHOP", "FLORIST"), "FR": ("SOUVENIRS", "FLEURISTE"),
                      "JP": ("OMIYAGE", "GIFT SHOP"), "NL": ("BLOEMEN", "CADEAUWINKEL")},
}
_LANGUAGE = {"ES": "ES", "IT": "IT", "PT": "PT", "DE": "DE", "BE": "FR", "GR": "EN", "GB": "EN",
             "CH": "FR", "US": "EN", "MA": "FR", "CA": "EN", "JP": "JP", "NL": "NL"}
_TICKETS = {"restaurant": (35.0, 0.5), "cafe_bar": (8.0, 0.6), "supermarket": (30.0, 0.7),
            "hotels": (140.0, 0.5), "museums_culture": (18.0, 0.5), "clothing_shoes": (50.0, 0.7),
            "pharmacy": (15.0, 0.6), "taxi_ride_hailing": (25.0, 0.5), "bakery": (6.0, 0.6),
            "fast_food": (12.0, 0.5), "fuel": (55.0, 0.4), "parking": (12.0, 0.6),
            "butcher_fishmonger": (25.0, 0.6), "hairdresser": (30.0, 0.5),
            "books_media": (18.0, 0.6), "gifts_flowers": (20.0, 0.7)}
_NAME_WORDS = ("SOL", "MAR", "CENTRAL", "PLAZA", "ROYAL", "VISTA", "MARINA", "PARK", "OLD TOWN",
               "STATION", "PORTO", "LUNA", "VERDE", "AZUL", "BELLA", "GRAND", "CITY", "BAY")


def foreign_trade_words() -> dict[str, frozenset[str]]:
    """The one-word trade words of shops abroad, in other languages than French
    (``SUPERMARKT``, ``ALIMENTARI``, ``GASTHAUS``) -> the subcategories they name.

    >>> sorted(foreign_trade_words()["GASTHAUS"])
    ['restaurant']
    """
    out: dict[str, set[str]] = {}
    for sub, by_language in _TRADE_WORDS.items():
        for language, words in by_language.items():
            for word in words:
                if language != "FR" and " " not in word:
                    out.setdefault(word, set()).add(sub)
    return {word: frozenset(subs) for word, subs in out.items()}


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
