"""The words label cleaning knows: accents, payment-method and operation prefixes, reference
markers, country codes and the towns that end a label (data for ``_clean``, no logic)."""

from __future__ import annotations

from ledgerlens.enrich._european import EUROPEAN_OPERATION_PREFIXES

__all__ = [
    "ACCENTS",
    "AMBIGUOUS_CITIES",
    "CARD_PREFIXES",
    "CONNECTORS",
    "COUNTRY_CODES",
    "COUNTRY_CODES_AFTER_TOWN",
    "FOREIGN_CITIES",
    "NUMBERED_NAMES",
    "OPERATION_PREFIXES",
    "REFERENCE",
    "TOWN_NAMING_TRADES",
    "numbered_name_regex",
]

ACCENTS: dict[str, str] = {
    **dict.fromkeys("ÀÁÂÃÄÅ", "A"), "Æ": "AE", "Ç": "C", **dict.fromkeys("ÈÉÊË", "E"),
    **dict.fromkeys("ÌÍÎÏ", "I"), "Ð": "D", "Ñ": "N", **dict.fromkeys("ÒÓÔÕÖØ", "O"),
    "Œ": "OE", **dict.fromkeys("ÙÚÛÜ", "U"), "Ý": "Y", "Ÿ": "Y", "ß": "SS", "Þ": "TH",
    # Latin Extended-A: the letters of Central European, Baltic, Turkish and Romanian names
    # (``ŁÓDŹ``, ``ŠKODA``, ``IŞIK``), which the canonical directory spells in ASCII.
    **dict.fromkeys("ĀĂĄ", "A"), **dict.fromkeys("ĆĈĊČ", "C"), **dict.fromkeys("ĎĐ", "D"),
    **dict.fromkeys("ĒĔĖĘĚ", "E"), **dict.fromkeys("ĜĞĠĢ", "G"), **dict.fromkeys("ĤĦ", "H"),
    **dict.fromkeys("ĨĪĬĮİ", "I"), "Ĳ": "IJ", "Ĵ": "J", "Ķ": "K",
    **dict.fromkeys("ĹĻĽĿŁ", "L"), **dict.fromkeys("ŃŅŇ", "N"), **dict.fromkeys("ŌŎŐ", "O"),
    **dict.fromkeys("ŔŖŘ", "R"), **dict.fromkeys("ŚŜŞŠȘ", "S"), **dict.fromkeys("ŢŤŦȚ", "T"),
    **dict.fromkeys("ŨŪŬŮŰŲ", "U"), "Ŵ": "W", "Ŷ": "Y", **dict.fromkeys("ŹŻŽ", "Z"),
    # Quotes, dashes and replacement characters read as spaces or their ASCII form.
    "’": " ", "‘": " ", "'": " ", "`": " ", "´": " ", "“": " ", "”": " ", '"': " ",
    "«": " ", "»": " ", "–": "-", "—": "-", "\ufffd": " ", "\t": " ", "\n": " ",
    "\r": " ", "\u00a0": " ", "°": " ", "€": " EUR ",
}

# Payment-method and operation prefixes, written as regex fragments (space = \s+).
# Longest first so ``PAIEMENT PAR CARTE`` wins over ``PAIEMENT``.
CARD_PREFIXES: tuple[str, ...] = (
    # cards
    "FACTURE CARTE DU [0-9]{0,8}", "FACTURE CARTE", "FACTURES CARTE",
    "PAIEMENT PAR CARTE DE DEBIT(?: NUMERO)?", "ACHAT PAR CARTE DE DEBIT(?: NUMERO)?",
    "PAIEMENT PAR CARTE",
    "PAIEMENT CARTE", "PAIEMENT CB", "PAIEMENT PSC", "PAIEMENT SANS CONTACT",
    "PAIEMENT MOBILE", "PAIEMENT DU [0-9]{0,8}", "ACHAT CB SANS CONTACT", "ACHAT CB",
    "ACHAT CARTE", "ACHAT", "CARTE BANCAIRE", "CARTE", "CB SANS CONTACT", "CB", "PSC",
    "SANS CONTACT", "TPE",
    # refunds and reversals
    "REMBOURSEMENT CB", "REMBOURSEMENT CARTE", "REMBOURSEMENT", "REMB CB", "REMB CARTE", "REMB",
    "REMBT CB", "REMBT CARTE",
    "AVOIR CARTE DU", "AVOIR CARTE", "AVOIR CB", "AVOIR", "ANNULATION CB", "ANNULATION CARTE",
    "ANNULATION",
    "ANNUL\\.?", "EXTOURNE", "RETOUR CB",
    # a direct debit or transfer sent back: the operation's own prefix follows
    "REJET DE", "REJET", "IMPAYE", "RETOUR",
)

# Prefixes of transfers, debits, cash and loans, which a number and a connector may follow
# (``VIR INST EMIS 1234567 POUR ...``).
OPERATION_PREFIXES: tuple[str, ...] = (
    # direct debits
    "PRLV SEPA RECURRENT", "PRLV SEPA", "PRLV", "PRELEVEMENT SEPA", "PRELEVEMENT EUROPEEN",
    "PRELEVEMENT DE", "PRELEVEMENT", "PRELEV", "PRLV EUROPEEN", "PREL SEPA", "PREL",
    # transfers
    "VIR SEPA INST RECU", "VIR SEPA INST EMIS", "VIR SEPA RECU", "VIR SEPA EMIS",
    "VIR SEPA INSTANTANE", "VIR SEPA INST", "VIR SEPA", "VIR INST RECU", "VIR INST RE",
    "VIR INST EMIS", "VIR INST", "VIR INSTANTANE", "VIR RECU", "VIR EMIS",
    "VIR EUROPEEN EMIS", "VIR EUROPEEN RECU", "VIR EUROPEEN", "VIR PERMANENT",
    "VIR\\.PERMANENT", "VIR PERM", "VIR INTERNE", "VIR COMPTE A COMPTE", "VIR",
    "VIREMENT INSTANTANE EN VOTRE FAVEUR", "VIREMENT INSTANTANE EMIS VERS",
    "VIREMENT INSTANTANE EMIS", "VIREMENT INSTANTANE RECU", "VIREMENT INSTANTANE",
    "VIREMENT EN VOTRE FAVEUR", "VIREMENT EMIS VERS", "VIREMENT EMIS", "VIREMENT RECU",
    "VIREMENT SEPA RECU", "VIREMENT SEPA EMIS", "VIREMENT SEPA", "VIREMENT PERMANENT",
    "VIREMENT INTERNE", "VIREMENT COMPTE A COMPTE", "VIREMENT",
    # cash and cheques
    "RETRAIT DAB", "RETRAIT AU DISTRIBUTEUR", "RETRAIT GAB", "RETRAIT ESPECES", "RET DAB",
    "RETRAIT", "VERSEMENT ESPECES", "VERSEMENT", "DEPOT ESPECES", "REMISE CHEQUES?",
    "REMISE CHQ", "REM CHQ", "CHEQUE", "CHQ\\.?",
    # loans
    "ECHEANCE PRET", "ECH PRET", "REMBOURSEMENT PRET", "REMBT PRET", "DEBLOCAGE PRET",
    # a neobank's English transfers (``Transfer to Jean Dupont``; a bare ``To`` is
    # ``_clean.ENGLISH_TO``)
    "TRANSFER TO", "TRANSFER FROM", "PAYMENT TO", "PAYMENT FROM", "MONEY SENT TO", "SENT TO",
    "RECEIVED FROM",
    # other European banks' words (``_european.py``)
    *EUROPEAN_OPERATION_PREFIXES,
)

# Words that only connect the prefix to the party or the merchant.
CONNECTORS = "(?:DE|DU|VERS|POUR|A|N|NO|NUMERO|/DE|/BEN|/MOTIF|DE:|POUR:|MOTIF:|:|-)"

# Reference fields: a marker then one token of code. A reference field may hold words
# instead (``REF/LOYER ET CHARGES``, ``REF/NEONESS ABONNEMENT``): only a token with a digit,
# SEPA's ``NOTPROVIDED`` or a lone token ending the label (``/REF ORA``) goes with its marker;
# the words stay. A ``LIB/`` field is the debit's free text (``LIB/FITNESS PARK
# ABONNEMENT``): only its marker goes.
_REF_CODE = r"(?:\S*[0-9]\S*|NOTPROVIDED\b|\S+\s*$)?"
REFERENCE = (
    r"(?:^|\s)/?(?:REFDO|RUM|MDT|ID EMETTEUR|ID|ICS|MANDAT|ECH|NUM|NO|TRN|E2E)"
    r"\s*[:/.]\s*\S*|(?:^|\s)/(?:REFDO|RUM|MDT|ICS|ID)\s+\S*"
    rf"|(?:^|\s)/?REF\s*[:/.]\s*{_REF_CODE}|(?:^|\s)/REF\s+{_REF_CODE}"
    r"|(?:^|\s)/?LIB\s*[:/.]"
)

# Country codes that end a foreign card label (``... MADRID ES``). The first group is never
# a French word at the end of a shop name; the second only counts after a town.
COUNTRY_CODES: tuple[str, ...] = (
    "ES", "PT", "GR", "GB", "UK", "US", "USA", "CH", "JP", "NL", "IE", "LU", "PL", "CZ", "DK", "FI",
    "HR", "TN", "DZ", "TR", "CN", "AE", "MX", "BR", "DEU", "ESP", "ITA", "PRT", "GBR",
    "CHE", "BEL", "NLD", "IRL", "LUX", "FRA",
)
COUNTRY_CODES_AFTER_TOWN: tuple[str, ...] = ("DE", "BE", "IT", "CA", "MA", "NO", "AT",
                                              "SE", "FR",
                                              # the taxe d'habitation: DGFIP TH 2025
                                              "TH")

#: French shops' trade words after which a foreign town is the shop's name, not where it
#: is (``PIZZA NAPOLI``, ``KEBAB ISTANBUL``, ``SUSHI TOKYO``): the cleaning keeps the town
#: and the transaction type reads no payment abroad in it (``_types.FOREIGN_NAMERS``).
TOWN_NAMING_TRADES: tuple[str, ...] = (
    "KEBAB", "PIZZERIA", "PIZZA", "PIZZAS", "SUSHI", "RESTAURANT", "REST", "RESTO", "SNACK",
    "TACOS", "GRILL", "BURGER", "TRAITEUR", "CAFE", "BAR", "BRASSERIE", "HOTEL", "EPICERIE",
    "BOULANGERIE", "WOK", "CREPERIE", "GLACIER", "SALON", "COIFFURE", "BOUTIQUE")
#: Major foreign cities (towns travellers pay in), in their label spelling.
FOREIGN_CITIES: tuple[str, ...] = (
    "MADRID", "BARCELONA", "SEVILLA", "SEVILLE", "VALENCIA", "MALAGA", "PALMA", "IBIZA",
    "BILBAO", "GRANADA", "ALICANTE", "SAN SEBASTIAN", "TENERIFE", "ROMA", "ROME", "MILANO",
    "MILAN", "FIRENZE", "FLORENCE", "NAPOLI", "NAPLES", "VENEZIA", "VENICE", "TORINO",
    "BOLOGNA", "VERONA", "PISA", "GENOVA", "PALERMO", "LISBOA", "LISBON", "PORTO", "FARO",
    "LAGOS", "COIMBRA", "FUNCHAL", "BERLIN", "MUENCHEN", "MUNCHEN", "MUNICH", "HAMBURG",
    "KOELN", "KOLN", "COLOGNE", "FRANKFURT", "STUTTGART", "DUSSELDORF", "BRUXELLES",
    "BRUSSEL", "BRUSSELS", "BRUGGE", "BRUGES", "GENT", "GAND", "LIEGE", "ANTWERPEN", "ANVERS",
    "NAMUR", "LEUVEN", "LOUVAIN", "MECHELEN", "MALINES", "HASSELT", "KORTRIJK", "OOSTENDE",
    "CHARLEROI", "EINDHOVEN", "GRONINGEN", "MAASTRICHT", "ATHINA", "ATHENS",
    "THESSALONIKI", "HERAKLION", "RHODES", "SANTORINI",
    "LONDON", "LONDRES", "EDINBURGH", "MANCHESTER", "BRIGHTON", "OXFORD", "CAMBRIDGE",
    "LIVERPOOL", "GENEVE", "GENEVA", "LAUSANNE", "ZURICH", "BASEL", "BALE", "ZERMATT",
    "NEW YORK", "SAN FRANCISCO", "LOS ANGELES", "MIAMI", "BOSTON", "CHICAGO", "LAS VEGAS",
    "WASHINGTON", "MARRAKECH", "CASABLANCA", "AGADIR", "FES", "TANGER", "RABAT", "TUNIS",
    "ALGER", "MONTREAL", "QUEBEC", "TORONTO", "VANCOUVER", "TOKYO", "KYOTO", "OSAKA", "NARA",
    "AMSTERDAM", "ROTTERDAM", "UTRECHT", "DUBLIN", "WIEN", "VIENNA", "PRAHA", "PRAGUE", "BUDAPEST",
    "WARSZAWA", "KRAKOW", "KOBENHAVN", "COPENHAGEN", "STOCKHOLM", "OSLO", "HELSINKI",
    "ISTANBUL", "DUBAI", "BANGKOK", "SINGAPORE", "HONG KONG", "REYKJAVIK", "LUXEMBOURG",
    "MONACO", "MONTE CARLO", "ANDORRA", "SAN MARINO",
)

#: Town names that are also everyday words, brands or shop names: never taken as a town alone.
AMBIGUOUS_CITIES: frozenset[str] = frozenset({
    "ORANGE", "SALON", "COGNAC", "VICHY", "CHANTILLY", "BOURG", "LAGOS", "NARA",
    "PORTO", "FES", "GENT", "PALMA", "MONACO",
    # communes (``communes.csv``) named like a wine, a cheese, a mineral water, a brand or a
    # phrase that shops take for their name (``LE PORT``, ``LA GARDE``, ``LES LILAS``)
    "ARBOIS", "CASSIS", "CHABLIS", "CHAMBORD", "ECHIRE", "ESPELETTE", "EVIAN", "L HUISSERIE",
    "L UNION", "LA BRESSE", "LA CHATRE", "LA CLAYETTE", "LA COURONNE", "LA FLOTTE", "LA GARDE",
    "LA MADELEINE", "LA POSSESSION", "LA SOUTERRAINE", "LA TRINITE", "LA VERRIERE", "LAGUIOLE",
    "LE CENDRE", "LE CONQUET", "LE DIAMANT", "LE DORAT", "LE FRANCOIS", "LE GOSIER", "LE MARIGOT",
    "LE MARIN", "LE MOULE", "LE PONTET", "LE PORT", "LE PRECHEUR", "LE ROBERT", "LES ACHARDS",
    "LES ANGLES", "LES ARCS", "LES AVIRONS", "LES ECHELLES", "LES ESSARTS", "LES HERBIERS",
    "LES LILAS", "LES PIEUX", "LES ROUSSES", "LES VANS", "MORTEAU", "MUTZIG", "PAUILLAC",
    "PETIT BOURG", "PETIT CANAL", "SAINT AMOUR", "SAINT EMILION", "SAINT MARCELLIN", "SANCERRE",
    "ST AMOUR", "ST EMILION", "ST MARCELLIN", "VITTEL", "VOLVIC", "VOUVRAY",
})

#: Month names and their bank abbreviations, French and English (a regex alternation): the
#: month a payment is for (``NAVIGO SEPTEMBRE``, ``SALAIRE OCTOBRE``), not its payee.
MONTH_WORDS = ("JANVIER|FEVRIER|MARS|AVRIL|MAI|JUIN|JUILLET|AOUT|SEPTEMBRE|OCTOBRE|NOVEMBRE"
               "|DECEMBRE|JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER"
               "|NOVEMBER|DECEMBER|JANV|FEVR|AVR|JUIL|SEPT|OCT|NOV|DEC")
#: Names that hold a number that cleaning and matching would take for a store or reference
#: number (``OPTIC 2000``, ``SPORT 2000``, ``ASSU 2000``): the number is kept after them.
#: Without it, ``MICROSOFT*MICROSOFT 365`` matched only the bare ``MICROSOFT`` (0.38).
NUMBERED_NAMES: tuple[str, ...] = ("OPTIC 2000", "SPORT 2000", "ASSU 2000", "MICROSOFT 365")


def numbered_name_regex(*, spaced: str = r"\s+") -> str:
    """A regex of ``NUMBERED_NAMES`` (groups: the word, the number), words ``spaced``."""
    heads = "|".join(sorted({n.split(" ")[0] for n in NUMBERED_NAMES}))
    numbers = "|".join(sorted({n.split(" ")[1] for n in NUMBERED_NAMES}))
    return rf"\b({heads}){spaced}({numbers})\b"
