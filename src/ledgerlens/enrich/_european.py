"""The words other European banks write for an operation's kind (data for ``_types``,
``_clean`` and ``_income``; no logic).

A German, Spanish, Italian, Dutch, Portuguese or English statement names the same
operations as a French one in its own words: ``KARTENZAHLUNG`` or ``COMPRA TARJETA`` for a
card payment, ``SEPA-LASTSCHRIFT`` or ``RECIBO`` for a direct debit, ``UEBERWEISUNG``,
``TRANSFERENCIA`` or ``BONIFICO`` for a transfer, ``GELDAUTOMAT`` or ``PRELIEVO`` for a cash
withdrawal. A Belgian bank writes French of its own: ``PAIEMENT AVEC LA CARTE DE DEBIT``,
``ACHAT BANCONTACT``, ``DOMICILIATION`` for a direct debit, ``ORDRE PERMANENT`` for a
standing order, ``VIREMENT EUROPEEN EN FAVEUR DE``. Labels are matched after
``normalize_text`` (upper case, accents and umlauts stripped: ``ÜBERWEISUNG`` reads
``UBERWEISUNG``, written ``UEBERWEISUNG`` by banks that export ASCII). Each fragment is a
regex alternation that starts with ``|``, added to the French rule of the same type; the
words are whole operation words that French labels never open with (``PAGAMENTO`` alone,
``BETALING`` or ``ADDEBITO`` alone say too little and are only taken with the word that
says how).
"""

from __future__ import annotations

__all__ = [
           "EUROPEAN_FEE_LINES",
           "EUROPEAN_INCOME_WORDS",
           "EUROPEAN_OPERATION_PREFIXES",
           "EUROPEAN_TRADE_OPENINGS",
           "EUROPEAN_TYPE_WORDS",
           "HOME_CARD_WORDS",
]

_UE = r"(?:UE|U)"  # Ü written UE (ASCII exports) or U (accents stripped)

#: A card payment written by a bank of another country: at home for that bank, so the
#: foreign towns and trade words of its labels are no sign of a payment abroad.
HOME_CARD_WORDS = (
    r"^(?:PAIEMENT\s+(?:BANCONTACT|MAESTRO)|(?:PAIEMENT|ACHAT)\s+(?:AVEC\s+LA|PAR)\s+CARTE"
    r"\s+DE\s+DEBIT|ACHAT\s+BANCONTACT|KARTENZAHLUNG|KARTENZAHL|KARTENUMSATZ|GIROCARD"
    r"|EC[- ]?KARTE|EC[- ]?ZAHLUNG"
    r"|DEBITKARTE|KREDITKARTE|MAESTRO[- ]?KARTE"
    r"|COMPRA\s+(?:CON\s+)?(?:TARJ\.?|TARJETA|TARJ\s+DEB|EN\s+COMERCIO)|PAGO\s+(?:CON\s+)?TARJETA"
    # a Spanish bank's phone and contactless payments (``PAGO MOVIL EN MERCADONA``)
    r"|PAGO\s+MOVIL|TRANSACCION\s+CONTACTLESS"
    # Portuguese banks: a card payment on the Multibanco network (``COMPRA MB CONTINENTE``)
    r"|COMPRA\s+(?:CARTAO|CARTAO\s+DEBITO|MB|MULTIBANCO)"
    r"|PAGAMENTO\s+(?:POS|CARTA|CON\s+CARTA|TRAMITE\s+POS"
    r"|CONTACTLESS|PAGOBANCOMAT|BANCOMAT)|PAGOBANCOMAT|POS\s+(?:CARTA|PAGAMENTO)"
    r"|BETAALAUTOMAAT|BETAALPAS|PINBETALING|BANCONTACT|MAESTRO\s+BETALING"
    # Flemish banks (``BETALING MET DEBETKAART``, ``AANKOOP BANCONTACT``) and a Dutch bank's
    # card code (``BEA NR:5X8F72 12.11.24/14.32 JUMBO UTRECHT,PAS123``, ``BEA, Betaalpas``)
    r"|BETALING\s+(?:MET\s+|VIA\s+)?(?:BANCONTACT|DEBETKAART|BANKKAART|MAESTRO)"
    r"|AANKOOP\s+(?:BANCONTACT|MAESTRO|MET\s+DEBETKAART)|BEA\s+NR|BEA,?\s+BETAALPAS"
    r"|CARD\s+PAYMENT|DEBIT\s+CARD\s+PAYMENT|CONTACTLESS\s+PAYMENT"
    # a point-of-sale payment as Italian, Greek or Irish banks write it (``POS ENI SPA``)
    r"|POS(?:\s+(?:PURCHASE|TRANSACTION|PAYMENT))?"
    # an Irish bank's Visa debit codes glued to the shop (``VDP-DUNNES``, ``VDC-TESCO``) and
    # its POS date (``POS05JAN PENNEYS``)
    r"|VD[PC]-|POS[0-9]{2}[A-Z]{3}"
    # a purchase alone (``COMPRA CONTINENTE MODELO PORTO``): Portuguese and Spanish banks
    r"|COMPRA)\b"
    # the type written after the shop, as a Dutch or German bank's export column joined to
    # it (``JUMBO UTRECHT BETAALAUTOMAAT``, ``EDEKA CENTER MUENCHEN KARTENZAHLUNG``)
    r"|\b(?:BETAALAUTOMAAT|KARTENZAHLUNG)\s*$"
)

EUROPEAN_TYPE_WORDS: dict[str, str] = {
    # returned debits and cancelled operations
    "reversal": (rf"|^(?:STORNO|R{_UE}CKBUCHUNG|R{_UE}CKLASTSCHRIFT|LASTSCHRIFTR{_UE}CKGABE"
                 r"|RETOURBOEKING|STORNERING|STORNO\s+INCASSO|DEVOLUCION\s+(?:DE\s+)?RECIBO"
                 r"|ANULACION|ANNULLAMENTO|INSOLUTO)\b"),
    "refund": (rf"|^(?:ERSTATTUNG|R{_UE}CKERSTATTUNG|R{_UE}CKZAHLUNG|DEVOLUCION|REEMBOLSO"
               r"|RIMBORSO|TERUGBETALING|TERUGSTORTING|REFUND|DEVOLUCAO)\b"),
    "interest": (r"|^(?:ZINSEN|HABENZINSEN|SOLLZINSEN|ZINSGUTSCHRIFT|ABSCHLUSS\s+ZINSEN"
                 r"|INTERESES|LIQUIDACION\s+(?:DE\s+)?INTERESES|INTERESSI|COMPETENZE"
                 r"|CREDITRENTE|DEBETRENTE|JUROS|INTEREST\s+CHARGED|INTERESTEN"
                 r"|INTEREST\s+(?:PAYOUT|CREDIT|PAID|EARNED)|RENTE\s+(?:SPAAR|ZICHT)\w*)\b"),
    "fee": (rf"|^(?:ENTGELT\w*|KONTOF{_UE}HRUNG\w*|GEB{_UE}HR\w*|KONTOGEB{_UE}HR\w*"
            r"|JAHRESGEB\w*|PREIS\s+F\w*R|COMISION|COMISIONES|CUOTA\s+(?:TARJETA|MANTENIMIENTO"
            r"|ANUAL)|COMMISSION[EI]|CANONE|SPESE|IMPOSTA\s+(?:DI\s+)?BOLLO|KOSTEN|BANKKOSTEN"
            r"|BETAALPAKKET|KOSTEN\s+BETAALREKENING|COMISSAO|MONTHLY\s+(?:ACCOUNT\s+)?FEE"
            r"|BEHEERSKOSTEN|BEHEERSVERGOEDING)\b"),
    "cash_withdrawal": (r"|\b(?:GELDAUTOMAT|BARGELDAUSZAHLUNG|BARGELDABHEBUNG|BARAUSZAHLUNG"
                        r"|AUSZAHLUNG\s+GA|GA\s+AUSZAHLUNG|GELDAUTOMAAT|GELDOPNAME|GELDOPNEMING"
                        r"|CAJERO|^VDA-"
                        r"|^GEA(?:\s+NR|,?\s+BETAALPAS)|^GA\s+NR:?[0-9]*"
                        r"|REINTEGRO|DISPOSICION\s+(?:DE\s+)?EFECTIVO|RETIRADA|PRELIEVO"
                        r"|PRELEVAMENTO\s+(?:BANCOMAT|ATM|CONTANTI)|LEVANTAMENTO"
                        r"|CASH\s+WITHDRAWAL)\b"),
    "cash_deposit": (r"|^(?:BAREINZAHLUNG|EINZAHLUNG|INGRESO\s+(?:EN\s+)?EFECTIVO"
                     r"|VERSAMENTO\s+(?:DI\s+)?CONTANTI|STORTING\s+CONTANT\w*|CASH\s+DEPOSIT"
                     r"|DEPOSITO\s+(?:EM\s+)?NUMERARIO)\b"),
    "cheque_deposit": (r"|^(?:SCHECKEINREICHUNG|SCHECKGUTSCHRIFT|VERSAMENTO\s+ASSEGN[OI]"
                       r"|INGRESO\s+(?:DE\s+)?CHEQUES?|CHEQUE\s+DEPOSIT)\b"),
    "cheque": r"|^(?:SCHECK|ASSEGNO)\b",
    "direct_debit": (r"|\b(?:SEPA[- ]?)?(?:BASIS[- ]?|FIRMEN[- ]?|ERST[- ]?|FOLGE[- ]?|CORE[- ]?)?"
                     r"LASTSCHRIFT\b|^(?:ABBUCHUNG|EINZUG|RECIBO|ADEUDO|ADEUDO\s+SEPA|INCASSO"
                     r"|DOMICILIERING|DOMICILIATION|DOMICILIACION|DIRECT\s+DEBIT|DEBITO\s+DIRECTO"
                     r"|DEBITO\s+DIRETO)\b"
                     r"|^ADDEBITO\s+(?:DIRETTO|SDD|SEPA|RID|UTENZA|DELEGA|F24)\b|^(?:SDD|RID)\s"
                     # Portuguese and Irish banks' short codes (``DD EDP COMERCIAL``, ``D/D
                     # ELECTRIC IRELAND``)
                     r"|^(?:DD|D/D)\s"
                     # a Dutch bank's collection named after the creditor (``KPN B.V.
                     # INCASSO ALGEMEEN DOORLOPEND``)
                     r"|\bINCASSO\s+(?:ALGEMEEN|DOORLOPEND|EENMALIG|FACTUUR)\b|\bINCASSO\s*$"),
    "own_account_transfer": (rf"|^(?:UMBUCHUNG|{_UE}BERTRAG|UEBERTRAG|TRASPASO|GIROCONTO"
                             r"|GIROFONDO|GIRO\s+CONTO)\b"),
    "transfer": (rf"|^(?:(?:SEPA[- ]|ONLINE[- ]|ECHTZEIT[- ]?)?{_UE}BERWEISUNG|DAUERAUFTRAG"
                 r"|(?:SEPA[- ])?GUTSCHRIFT|TRANSFERENCIA|TRANSF\.?|BIZUM|BONIFICO|EMISSIONE"
                 r"\s+BONIFICO|OVERBOEKING|OVERSCHRIJVING|STORTING|TRANSFERENCIA\s+SEPA"
                 r"|STANDING\s+ORDER|FASTER\s+PAYMENTS?|BANK\s+TRANSFER|BANK\s+GIRO\s+CREDIT"
                 r"|SEPA\s+CREDIT\s+TRANSFER|TRF|ORDRE\s+PERMANENT|DOORLOPENDE\s+OPDRACHT"
                 r"|PERIODIEKE\s+OVERBOEKING|MB\s?WAY|MONEYBEAM|SENT\s+MONEY\s+TO"
                 r"|(?:OUTGOING|INCOMING)\s+TRANSFER)\b"),
    "card": "|" + HOME_CARD_WORDS,
}

#: The same words as cleaning prefixes (regex fragments, a space is ``\s+``): the operation
#: word goes, the party or merchant after it stays.
EUROPEAN_OPERATION_PREFIXES: tuple[str, ...] = (
    # cards
    "PAIEMENT AVEC LA CARTE DE DEBIT", "ACHAT AVEC LA CARTE DE DEBIT", "ACHAT BANCONTACT",
    "PAIEMENT BANCONTACT", "PAIEMENT MAESTRO", "KARTENZAHLUNG", "KARTENZAHL", "KARTENUMSATZ",
    "GIROCARD", "EC-KARTE", "EC KARTE",
    "EC-ZAHLUNG", "DEBITKARTE", "KREDITKARTE", "COMPRA CON TARJETA", "COMPRA TARJETA",
    "COMPRA TARJ\\.?", "COMPRA EN COMERCIO", "COMPRA MB", "COMPRA MULTIBANCO", "COMPRA",
    "PAGO CON TARJETA", "PAGO TARJETA", "PAGO MOVIL EN", "PAGO MOVIL",
    "TRANSACCION CONTACTLESS EN", "TRANSACCION CONTACTLESS",
    "COMPRA CARTAO", "PAGAMENTO POS", "PAGAMENTO CARTA", "PAGAMENTO CON CARTA",
    "PAGAMENTO TRAMITE POS", "PAGAMENTO CONTACTLESS", "PAGAMENTO PAGOBANCOMAT",
    "PAGAMENTO BANCOMAT", "PAGOBANCOMAT", "POS CARTA", "BETAALAUTOMAAT", "BETAALPAS",
    "PINBETALING", "BETALING MET BANCONTACT", "BETALING BANCONTACT",
    "BETALING MET DEBETKAART NUMMER", "BETALING MET DEBETKAART",
    "BETALING DEBETKAART", "BETALING MET BANKKAART", "BETALING MET MAESTRO",
    "AANKOOP BANCONTACT", "AANKOOP MAESTRO", "AANKOOP MET DEBETKAART", "BEA NR:?\\S*",
    "BEA,? BETAALPAS",
    "BANCONTACT", "CARD PAYMENT TO", "CARD PAYMENT", "POS PURCHASE", "POS TRANSACTION",
    "POS PAYMENT", "POS", "BETALING VIA BANCONTACT", "POS[0-9]{2}[A-Z]{3}",
    "CONTACTLESS PAYMENT",
    # direct debits
    "SEPA-BASISLASTSCHRIFT", "SEPA-LASTSCHRIFT", "SEPA LASTSCHRIFT", "BASISLASTSCHRIFT",
    "FOLGELASTSCHRIFT", "ERSTLASTSCHRIFT", "LASTSCHRIFT", "ABBUCHUNG", "EINZUG",
    "ADEUDO SEPA", "ADEUDO", "RECIBO", "ADDEBITO DIRETTO SDD", "ADDEBITO DIRETTO",
    "ADDEBITO SEPA DD", "ADDEBITO SDD", "ADDEBITO SEPA", "ADDEBITO", "INCASSO", "D/D", "DD",
    "DOMICILIERING", "DIRECT DEBIT",
    "DOMICILIATION EUROPEENNE CREANCIER:?", "DOMICILIATION EUROPEENNE", "DOMICILIATION",
    "DOMICILIACION SEPA", "DOMICILIACION",
    # transfers
    "ECHTZEIT-UEBERWEISUNG", "ECHTZEITUEBERWEISUNG", "SEPA-UEBERWEISUNG", "SEPA UEBERWEISUNG",
    "ONLINE-UEBERWEISUNG", "UEBERWEISUNG", "UBERWEISUNG", "DAUERAUFTRAG", "SEPA-GUTSCHRIFT",
    "GUTSCHRIFT", "UMBUCHUNG", "TRANSFERENCIA RECIBIDA", "TRANSFERENCIA EMITIDA",
    "TRANSFERENCIA SEPA", "TRANSFERENCIA INMEDIATA", "TRANSFERENCIA A FAVOR DE",
    "TRANSFERENCIA INMEDIATA A FAVOR DE", "TRANSFERENCIA", "BIZUM", "BONIFICO SEPA",
    "BONIFICO A VOSTRO FAVORE", "BONIFICO ISTANTANEO", "BONIFICO SEPA ISTANTANEO",
    "BONIFICO A FAVORE DI", "BONIFICO ISTANTANEO A FAVORE DI", "BONIFICO SEPA A FAVORE DI",
    "BONIFICO", "EMISSIONE BONIFICO", "OVERBOEKING", "OVERSCHRIJVING", "STANDING ORDER",
    "FASTER PAYMENT", "BANK TRANSFER", "ORDRE PERMANENT", "DOORLOPENDE OPDRACHT",
    "PERIODIEKE OVERBOEKING", "SENT MONEY TO", "OUTGOING TRANSFER TO", "OUTGOING TRANSFER",
    "INCOMING TRANSFER FROM", "INCOMING TRANSFER", "MB WAY", "MBWAY", "MONEYBEAM",
    "VIREMENT EUROPEEN EN FAVEUR DE",
    "VIREMENT EUROPEEN EN VOTRE FAVEUR DE", "VIREMENT EUROPEEN EN VOTRE FAVEUR",
    "VIREMENT EUROPEEN",
    # cash
    "BARGELDAUSZAHLUNG", "BARGELDABHEBUNG", "GELDAUTOMAT", "GELDAUTOMAAT", "GELDOPNAME",
    "GEA NR:?\\S*", "GEA,? BETAALPAS", "GA NR:?\\S*",
    "REINTEGRO CAJERO", "REINTEGRO", "RETIRADA", "PRELIEVO BANCOMAT", "PRELIEVO ATM",
    "PRELIEVO", "CASH WITHDRAWAL", "GELDOPNEMING", "RETRAIT D ARGENT AVEC LA CARTE DE DEBIT",
    "RETRAIT D ARGENT",
)

#: Income words of other languages, by income type (regex alternations).
EUROPEAN_INCOME_WORDS: dict[str, str] = {
    "unemployment_benefits": (r"|\bARBEITSLOSENGELD\b|\bAGENTUR\s+F\w*R\s+ARBEIT\b|\bSEPE\b"
                              r"|\bPRESTACION\s+(?:POR\s+)?DESEMPLEO\b|\bNASPI\b|\bUWV\b"
                              r"|\bWW[- ]UITKERING\b"),
    "family_benefits": (r"|\bKINDERGELD\b|\bFAMILIENKASSE\b|\bELTERNGELD\b|\bKINDERBIJSLAG\b"
                        r"|\bASSEGNO\s+UNICO\b|\bTOESLAGEN\b|\bZORGTOESLAG\b|\bHUURTOESLAG\b"),
    "pension": (r"|\bRENTENZAHLUNG\b|\bDEUTSCHE\s+RENTENVERSICHERUNG\b|\bRENTENSERVICE\b"
                r"|\bJUBILACION\b|\bPENSIONE\b|\bPENSIOEN\b|\bAOW\b|\bREFORMA\b"),
    "salary": (r"|\bGEHALT\b|\bLOHN\b|\bLOHN\s*/\s*GEHALT\b|\bBEZ\w*GE\b|\bNOMINA\b"
               r"|\bSTIPENDIO\b|\bEMOLUMENTI\b|\bRETRIBUZIONE\b|\bSALARIS\b|\bLOON\b"
               r"|\bSALARIO\b|\bVENCIMENTO\b|\bORDENADO\b"),
}

#: What a bank fee of another language is for, by subcategory (regex on the upper-case
#: clean label, first match wins): the fee words above give the type, these the line; the
#: category model, taught on French fee lines, reads them as incident fees.
EUROPEAN_FEE_LINES: tuple[tuple[str, str], ...] = (
    ("foreign_fees", rf"\b(?:AUSLANDSEINSATZ\w*|FREMDW{_UE}HRUNG\w*|W{_UE}HRUNGSUMRECHNUNG"
                     r"|COMISION\s+(?:DE\s+)?CAMBIO|COMMISSION[EI]\s+(?:SU\s+)?ESTER[OI]"
                     r"|BUITENLAND\w*|FOREIGN\s+(?:TRANSACTION|EXCHANGE|CURRENCY)"
                     r"|NON[- ]STERLING|CAMBIO\s+DIVISA|(?:FX|EXCHANGE)\s+FEE)\b"),
    ("card_fees", rf"\b(?:KARTENGEB{_UE}HR\w*|JAHRESGEB{_UE}HR\w*\s+(?:\w+\s+)?KARTE\w*"
                  r"|KREDITKARTE\w*|GIROCARD|DEBITKARTE|CUOTA\s+(?:ANUAL\s+)?TARJETA"
                  r"|(?:CANONE|QUOTA)\s+(?:ANNUA\s+)?CARTA|KAARTKOSTEN|PASKOSTEN"
                  r"|CARD\s+FEE|ANNUAL\s+CARD|CARD\s+(?:DELIVERY|REPLACEMENT)\s+FEE)\b"),
    ("account_fees", rf"\b(?:KONTOF{_UE}HRUNG\w*|KONTOGEB{_UE}HR\w*|KONTOPAKET|GRUNDPREIS"
                     r"|MANTENIMIENTO|CANONE\s+(?:MENSILE\s+)?(?:CONTO|MENSILE)|TENUTA\s+CONTO"
                     r"|SPESE\s+(?:DI\s+)?(?:TENUTA|GESTIONE)|BETAALPAKKET|BETAALREKENING"
                     r"|MONTHLY\s+(?:ACCOUNT\s+)?FEE|ACCOUNT\s+FEE|MANUTENCAO"
                     # a neobank's plan: Metal plan fee, Premium plan fee
                     r"|PLAN\s+FEE)\b"),
)


#: Words that open the name of a business at home for another country's bank and name its
#: trade: a German town's utility (``STADTWERKE MUENCHEN``: electricity above all, the
#: model read home help at 0.32), a building's manager, a doctor's practice. The trades of
#: shops abroad come with the generator's trips (``foreign_trade_words``).
EUROPEAN_TRADE_OPENINGS: dict[str, str] = {
    "STADTWERKE": "electricity", "ENERGIEVERSORGUNG": "electricity",
    "WASSERVERSORGUNG": "water", "WASSERWERKE": "water",
    "HAUSVERWALTUNG": "building_charges", "ZAHNARZT": "dentist", "ZAHNARZTPRAXIS": "dentist",
    "ARZTPRAXIS": "doctor", "TIERARZT": "pets", "TIERARZTPRAXIS": "pets",
}
