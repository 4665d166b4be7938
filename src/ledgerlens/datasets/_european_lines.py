"""Bills, rent, taxes and loans as other European banks print them: a German, Spanish,
Italian, Dutch, Portuguese or British statement names the line in its own words
(``SEPA-LASTSCHRIFT STADTWERKE STROM``, ``RECIBO ... SEGURO HOGAR``, ``BONIFICO AFFITTO``).

The synthetic bank's customers are French, so its labels never say ``MIETE`` or
``KRANKENKASSE``: these labels teach the category model the words (``european_line_labels``,
drawn evenly over the spellings), the way the trade lexicon teaches it rare trade words.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ledgerlens.datasets._vocab import load_last_names

__all__ = ["LINE_WORDS", "european_line_labels"]

#: subcategory -> language -> the words a statement of that language names the line with.
LINE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "rent": {"DE": ("MIETE", "WOHNUNGSMIETE", "KALTMIETE"), "ES": ("ALQUILER", "ALQUILER PISO"),
             "IT": ("AFFITTO", "CANONE LOCAZIONE"), "NL": ("HUUR", "HUUR WONING"),
             "PT": ("RENDA", "RENDA CASA"), "EN": ("RENT", "HOUSE RENT")},
    "building_charges": {"DE": ("HAUSGELD", "NEBENKOSTEN"),
                         "ES": ("COMUNIDAD PROPIETARIOS", "CUOTA COMUNIDAD"),
                         "IT": ("CONDOMINIO", "SPESE CONDOMINIALI"),
                         "NL": ("VVE BIJDRAGE", "SERVICEKOSTEN"),
                         "PT": ("CONDOMINIO", "QUOTAS CONDOMINIO"),
                         "EN": ("SERVICE CHARGE", "GROUND RENT")},
    "electricity": {"DE": ("STROM", "STROMABSCHLAG"), "ES": ("LUZ", "ELECTRICIDAD"),
                    "IT": ("ENERGIA ELETTRICA", "BOLLETTA LUCE"),
                    "NL": ("STROOM", "ELEKTRICITEIT"), "PT": ("ELETRICIDADE", "ENERGIA ELETRICA"),
                    "EN": ("ELECTRICITY", "ELECTRIC BILL")},
    "gas_heating": {"DE": ("GASABSCHLAG", "ERDGAS", "HEIZOEL"), "ES": ("GAS NATURAL", "BUTANO"),
                    "IT": ("BOLLETTA GAS", "GAS METANO"), "NL": ("GASLEVERING", "AARDGAS"),
                    "PT": ("GAS NATURAL", "GAS CANALIZADO"), "EN": ("GAS BILL", "HEATING OIL")},
    "water": {"DE": ("WASSERGELD", "TRINKWASSER", "ABWASSER"), "ES": ("AGUA", "SUMINISTRO AGUA"),
              "IT": ("ACQUA", "BOLLETTA ACQUA"), "NL": ("WATERLEVERING", "DRINKWATER"),
              "PT": ("AGUA", "AGUAS MUNICIPAIS"), "EN": ("WATER RATES", "WATER BILL")},
    "internet_tv": {"DE": ("DSL", "INTERNET FESTNETZ", "KABEL TV"),
                    "ES": ("FIBRA", "INTERNET FIBRA"), "IT": ("FIBRA", "ADSL"),
                    "NL": ("GLASVEZEL", "INTERNET TV"), "PT": ("FIBRA", "TV NET VOZ"),
                    "EN": ("BROADBAND", "FIBRE BROADBAND")},
    "mobile_phone": {"DE": ("MOBILFUNK", "HANDYVERTRAG"), "ES": ("MOVIL", "TARIFA MOVIL"),
                     "IT": ("RICARICA", "TELEFONIA MOBILE"),
                     "NL": ("MOBIEL ABONNEMENT", "SIM ONLY"),
                     "PT": ("TELEMOVEL", "TARIFARIO MOVEL"),
                     "EN": ("MOBILE PHONE", "PHONE CONTRACT")},
    "health_insurance": {"DE": ("KRANKENKASSE", "KRANKENVERSICHERUNG"),
                         "ES": ("SEGURO MEDICO", "SEGURO SALUD"),
                         "IT": ("ASSICURAZIONE SANITARIA", "FONDO SANITARIO"),
                         "NL": ("ZORGVERZEKERING", "ZORGPREMIE"),
                         "PT": ("SEGURO SAUDE", "SEGURO DE SAUDE"),
                         "EN": ("HEALTH INSURANCE", "PRIVATE MEDICAL")},
    "car_insurance": {"DE": ("KFZ VERSICHERUNG", "AUTOVERSICHERUNG"),
                      "ES": ("SEGURO COCHE", "SEGURO AUTO"),
                      "IT": ("RC AUTO", "ASSICURAZIONE AUTO"), "NL": ("AUTOVERZEKERING",),
                      "PT": ("SEGURO AUTOMOVEL", "SEGURO AUTO"),
                      "EN": ("CAR INSURANCE", "MOTOR INSURANCE")},
    "home_insurance": {"DE": ("HAUSRATVERSICHERUNG", "WOHNGEBAEUDEVERSICHERUNG"),
                       "ES": ("SEGURO HOGAR",), "IT": ("ASSICURAZIONE CASA",),
                       "NL": ("INBOEDELVERZEKERING", "OPSTALVERZEKERING"),
                       "PT": ("SEGURO HABITACAO", "SEGURO MULTIRRISCOS"),
                       "EN": ("HOME INSURANCE", "CONTENTS INSURANCE")},
    "life_provident_insurance": {"DE": ("RISIKOLEBENSVERSICHERUNG", "BERUFSUNFAEHIGKEIT"),
                                 "ES": ("SEGURO DE VIDA",),
                                 "IT": ("ASSICURAZIONE VITA", "POLIZZA VITA"),
                                 "NL": ("OVERLIJDENSRISICOVERZEKERING",),
                                 "PT": ("SEGURO DE VIDA",),
                                 "EN": ("LIFE INSURANCE", "LIFE COVER")},
    "income_tax": {"DE": ("FINANZAMT", "EINKOMMENSTEUER"), "ES": ("AGENCIA TRIBUTARIA", "IRPF"),
                   "IT": ("AGENZIA ENTRATE", "F24 IRPEF"),
                   "NL": ("BELASTINGDIENST", "INKOMSTENBELASTING"),
                   "PT": ("AUTORIDADE TRIBUTARIA", "IRS"), "EN": ("HMRC", "SELF ASSESSMENT")},
    "property_housing_tax": {"DE": ("GRUNDSTEUER",), "ES": ("IBI", "IMPUESTO BIENES INMUEBLES"),
                             "IT": ("IMU", "TASI"), "NL": ("OZB", "GEMEENTELIJKE BELASTINGEN"),
                             "PT": ("IMI",), "EN": ("COUNCIL TAX",)},
    "administrative_fees": {"DE": ("RUNDFUNKBEITRAG",), "IT": ("CANONE RAI",),
                            "EN": ("TV LICENCE",)},
    "mortgage": {"DE": ("BAUFINANZIERUNG", "DARLEHEN TILGUNG"),
                 "ES": ("HIPOTECA", "CUOTA HIPOTECA"), "IT": ("RATA MUTUO", "MUTUO CASA"),
                 "NL": ("HYPOTHEEK",), "PT": ("PRESTACAO HABITACAO", "CREDITO HABITACAO"),
                 "EN": ("MORTGAGE",)},
    "consumer_loan": {"DE": ("RATENKREDIT", "KREDITRATE"), "ES": ("PRESTAMO PERSONAL",),
                      "IT": ("PRESTITO PERSONALE", "RATA FINANZIAMENTO"),
                      "NL": ("PERSOONLIJKE LENING",), "PT": ("CREDITO PESSOAL",),
                      "EN": ("PERSONAL LOAN",)},
    "car_loan": {"DE": ("AUTOKREDIT",), "ES": ("PRESTAMO COCHE",), "IT": ("FINANZIAMENTO AUTO",),
                 "NL": ("AUTOLENING",), "PT": ("CREDITO AUTOMOVEL",), "EN": ("CAR FINANCE",)},
    "savings_transfer": {"DE": ("SPARPLAN", "TAGESGELD"), "ES": ("CUENTA AHORRO",),
                         "IT": ("CONTO DEPOSITO", "RISPARMIO"), "NL": ("SPAARREKENING",),
                         "PT": ("CONTA POUPANCA",), "EN": ("SAVINGS ACCOUNT",)},
    "childcare": {"DE": ("KITA GEBUEHR", "KINDERGARTEN"), "ES": ("GUARDERIA",
                  "ESCUELA INFANTIL"), "IT": ("ASILO NIDO",), "NL": ("KINDEROPVANG",),
                  "EN": ("NURSERY FEES", "CHILDMINDER")},
    "school_fees": {"DE": ("SCHULGELD",), "ES": ("COLEGIO", "MATRICULA"),
                    "IT": ("RETTA SCOLASTICA",), "NL": ("SCHOOLGELD", "OUDERBIJDRAGE"),
                    "PT": ("PROPINAS", "MENSALIDADE ESCOLA"), "EN": ("SCHOOL FEES", "TUITION")},
    "sport_clubs_gyms": {"DE": ("FITNESSSTUDIO", "SPORTVEREIN"),
                         "ES": ("GIMNASIO", "CUOTA GIMNASIO"),
                         "IT": ("PALESTRA", "ABBONAMENTO PALESTRA"),
                         "NL": ("SPORTSCHOOL", "CONTRIBUTIE"),
                         "PT": ("GINASIO", "MENSALIDADE GINASIO"), "EN": ("GYM MEMBERSHIP",)},
    "charity_donations": {"DE": ("SPENDE",), "ES": ("DONATIVO", "DONACION"),
                          "IT": ("DONAZIONE", "EROGAZIONE LIBERALE"), "NL": ("DONATIE",),
                          "PT": ("DONATIVO",), "EN": ("DONATION", "CHARITY")},
}

#: Typical amount of each line (euros, paid out).
_AMOUNTS: dict[str, float] = {
    "rent": 800, "building_charges": 150, "electricity": 70, "gas_heating": 60, "water": 35,
    "internet_tv": 40, "mobile_phone": 20, "health_insurance": 150, "car_insurance": 50,
    "home_insurance": 20, "life_provident_insurance": 30, "income_tax": 300,
    "property_housing_tax": 80, "administrative_fees": 55, "mortgage": 900,
    "consumer_loan": 200, "car_loan": 250, "savings_transfer": 100, "childcare": 300,
    "school_fees": 150, "sport_clubs_gyms": 35, "charity_donations": 30,
}
#: Lines more often paid by transfer (a standing order) than by direct debit.
_BY_TRANSFER: dict[str, float] = {"rent": 0.8, "savings_transfer": 0.8, "charity_donations": 0.5}

# language -> (direct-debit words, transfer words, legal forms, months)
_BANK_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...],
                             tuple[str, ...]]] = {
    "DE": (("SEPA-LASTSCHRIFT", "LASTSCHRIFT", "FOLGELASTSCHRIFT", "SEPA-BASISLASTSCHRIFT"),
           ("DAUERAUFTRAG", "UEBERWEISUNG", "SEPA-UEBERWEISUNG"), ("GMBH", "AG", "EG"),
           ("JANUAR", "FEBRUAR", "MAERZ", "APRIL", "MAI", "JUNI", "JULI", "AUGUST",
            "SEPTEMBER", "OKTOBER", "NOVEMBER", "DEZEMBER")),
    "ES": (("RECIBO", "ADEUDO SEPA", "ADEUDO"), ("TRANSFERENCIA EMITIDA", "TRANSFERENCIA"),
           ("SL", "SA"), ("ENERO", "FEBRERO", "MARZO", "ABRIL", "MAYO", "JUNIO", "JULIO",
                          "AGOSTO", "SEPTIEMBRE", "OCTUBRE", "NOVIEMBRE", "DICIEMBRE")),
    "IT": (("ADDEBITO SEPA", "ADDEBITO DIRETTO SDD", "ADDEBITO SDD"),
           ("BONIFICO", "BONIFICO SEPA", "EMISSIONE BONIFICO"), ("SPA", "SRL"),
           ("GENNAIO", "FEBBRAIO", "MARZO", "APRILE", "MAGGIO", "GIUGNO", "LUGLIO", "AGOSTO",
            "SETTEMBRE", "OTTOBRE", "NOVEMBRE", "DICEMBRE")),
    "NL": (("INCASSO", "DOMICILIERING"), ("OVERBOEKING", "OVERSCHRIJVING"), ("BV", "NV"),
           ("JANUARI", "FEBRUARI", "MAART", "APRIL", "MEI", "JUNI", "JULI", "AUGUSTUS",
            "SEPTEMBER", "OKTOBER", "NOVEMBER", "DECEMBER")),
    "PT": (("DEBITO DIRETO",), ("TRANSFERENCIA SEPA", "TRANSFERENCIA"), ("LDA", "SA"),
           ("JANEIRO", "FEVEREIRO", "MARCO", "ABRIL", "MAIO", "JUNHO", "JULHO", "AGOSTO",
            "SETEMBRO", "OUTUBRO", "NOVEMBRO", "DEZEMBRO")),
    "EN": (("DIRECT DEBIT",), ("STANDING ORDER", "BANK TRANSFER"), ("LTD", "PLC"),
           ("JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST",
            "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER")),
}


def european_line_labels(n: int, seed: int) -> pl.DataFrame:
    """``n`` payments of bills, rent, taxes and loans as other European banks write them,
    drawn evenly over the spellings of ``LINE_WORDS``: ``raw_label`` (operation word, then
    the line's word with or without a month, and a direct debit's creditor before or after
    it), ``amount`` (negative) and ``subcategory``. Deterministic for a seed."""
    spellings = [(sub, lang, word) for sub, langs in LINE_WORDS.items()
                 for lang, words in langs.items() for word in words]
    if n <= 0:
        return pl.DataFrame(schema={"raw_label": pl.String, "amount": pl.Float64,
                                    "subcategory": pl.String})
    rng = np.random.default_rng([seed, 4_411])
    names = load_last_names()["last_name"].to_list()
    labels: list[str] = []
    subs: list[str] = []
    # A few thousand reference labels built once per training: a loop reads best here.
    for pick in rng.integers(len(spellings), size=n):
        sub, lang, word = spellings[int(pick)]
        debits, transfers, forms, months = _BANK_WORDS[lang]
        by_transfer = rng.random() < _BY_TRANSFER.get(sub, 0.15)
        ops = transfers if by_transfer else debits
        op = ops[int(rng.integers(len(ops)))]
        payee = f"{names[int(rng.integers(len(names)))]} {forms[int(rng.integers(len(forms)))]}"
        month = months[int(rng.integers(len(months)))]
        # A creditor's name heads a direct debit; a transfer names the line and the month
        # only, so that a transfer to a company (VIR SEPA AVOCAT ME ROUSSEL) is not read as
        # rent because the rent rows, mostly transfers, carried a payee's name.
        shape = rng.random() * (0.4 if by_transfer else 1.0) + (0.6 if by_transfer else 0.0)
        body = (f"{payee} {word}" if shape < 0.4 else f"{word} {payee}" if shape < 0.6
                else f"{word} {month}" if shape < 0.8 else word)
        labels.append(f"{op} {body}")
        subs.append(sub)
    median = np.asarray([_AMOUNTS[s] for s in subs])
    amount = -np.round(median * rng.lognormal(0.0, 0.3, n), 2)
    return pl.DataFrame({"raw_label": labels, "amount": amount, "subcategory": subs})
