"""Income: which credits are earnings (salary, pension, benefits, rent received, interest).

A credit is income when its label or payer names an income (``SALAIRE``, ``RETRAITE``,
``CARSAT``, ``CAF``, ``FRANCE TRAVAIL``, ``LOYER``...), when the categorizer put it in the
``income`` category, or when it is a monthly recurring transfer from an organisation (a salary
paid without a motif). Refunds, reversals, health and tax reimbursements, transfers between
the customer's own accounts, cash and cheque deposits, loan disbursements and money from
private persons (except rent) are not income. Only credits are looked at, so the rules run
on a fraction of the table.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import polars as pl

from ledgerlens.enrich._clean_vocab import MONTH_WORDS
from ledgerlens.enrich._european import EUROPEAN_INCOME_WORDS as _EU
from ledgerlens.enrich._few_rows import with_values
from ledgerlens.enrich._frame import ENGINE
from ledgerlens.enrich._recurring import fold_accents
from ledgerlens.enrich.categories._rules import CATEGORY_SCHEMA

__all__ = ["INCOME_CATEGORY_CONFIDENCE", "INCOME_TYPES", "detect_income", "income_category",
           "salary_without_merchant"]

#: Income types, as the ``income`` category's subcategories.
INCOME_TYPES: tuple[str, ...] = ("salary", "pension", "unemployment_benefits", "family_benefits",
                                 "rental_income", "interest_dividends", "other_income")

#: Confidence given to a category that the income rules set (keyword and payer rules are
#: right on 100 % of the synthetic bank's credits; real payers will miss some).
INCOME_CATEGORY_CONFIDENCE = 0.95
_INCOME_SCHEMA = {"is_income": pl.Boolean(), "income_type": pl.String(),
                  "income_payer": pl.String()}

# Checked in order: payers first (a public body says what it pays), then the motif words.
_RULES: tuple[tuple[str, str], ...] = (
    ("other_income", r"\bPENSION\s+ALIM"),
    ("unemployment_benefits", r"\bPOLE\s*EMPLOI\b|\bFRANCE\s+TRAVAIL\b|\bASSEDIC\b|\bUNEDIC\b"
                              r"|\bALLOC\w*\s+(?:CHOMAGE|ARE|RETOUR\s+A\s+L\s?EMPLOI)\b"
                              + _EU["unemployment_benefits"]),
    ("family_benefits", r"\bCAF\b|\bCNAF\b|\bALLOC\w*\s+FAMILIALE|\bPRESTATIONS?\s+FAMILIA"
                        r"|\bPAJE\b|\bALLOC\w*\s+LOGEMENT\b|\bAPL\b|\bPRIME\s+D\s?ACTIVITE\b"
                        # the minimum income and the disabled adult's allowance
                        r"|\bRSA\b|\bAAH\b"
                        + _EU["family_benefits"]),
    ("pension", r"\bRETRAITES?\b|\bCARSAT\b|\bCNAV\b|\bAGIRC\b|\bARRCO\b|\bCNRACL\b"
                r"|\bIRCANTEC\b|\bPENSIONS?\b|\bCIPAV\b|\bMSA\s+RETRAITE"
                # an annuity an insurer or a pension fund pays (rente viagere, d invalidite)
                r"|\bRENTES?\b" + _EU["pension"]),
    # A savings account's pay is its interest (``REMUNERATION LDDS``), not a salary.
    ("interest_dividends", r"\bREMUNERATION\s+(?:(?:DU|DE|D)\s+)?(?:LIVRETS?|LDDS|LDD|LEP|PEL|CEL"
                           r"|EPARGNE|COMPTE\s+(?:SUR\s+)?LIVRET)\b|\b(?:LIVRETS?|LDDS|LEP)\b.*"
                           r"\bREMUNERATION\b"),
    ("salary", r"\bSALAIRES?\b|\bPAIE\b|\bPAYE\b|\bREMUNERATION\b|\bTRAITEMENT\b|\bSALARY\b"
               r"|\bWAGES?\b|\bPAYROLL\b|\bINDEMNITES?\s+(?:JOURNALIERES|STAGE)\b|\bIJSS\b"
               # a soldier's pay (solde) from the armed forces
               r"|\b(?:ARMEES?|GENDARMERIE|MARINE\s+NATIONALE|DEFENSE)\b.*\bSOLDE\b"
               # the final pay of a job that ends
               r"|\bSOLDE\s+DE\s+TOUT\s+COMPTE\b"
               # a bonus or profit share from the employer (PRIME ANNUELLE, PRIME DE PARTAGE
               # DE LA VALEUR, INTERESSEMENT, 13EME MOIS); the CAF's PRIME D ACTIVITE is above
               r"|\bPRIMES?\s+(?:ANNUELLE|EXCEPTIONNELLE|(?:DE\s+)?FIN\s+D\s?ANNEE|(?:DE\s+)?PARTAGE"
               r"|PPV|D\s?INTERESSEMENT|DE\s+PERFORMANCE|DE\s+VACANCES|DE\s+NOEL|(?:SUR\s+)?OBJECTIFS?"
               r"|DE\s+RENDEMENT|D\s?ANCIENNETE)\b|\bPRIMES?\s*$|\bINTERESSEMENT\b"
               r"|\b13\s?(?:E|EME)?\s+MOIS\b"
               + _EU["salary"]),
    ("rental_income", r"\bLOYERS?\b|\bREVENUS?\s+LOCATIFS?\b|\bLOCATAIRES?\b"),
    ("interest_dividends", r"\bINTERETS?\b|\bDIVIDENDES?\b|\bCOUPONS?\b|\bREMUNERATION\s+LIVRET"),
    ("other_income", r"\bALLOC\w*\b|\bBOURSE\s+(?:SCOLAIRE|CROUS|ETUDES?)\b|\bCROUS\b"
                     r"|\bFACTURE\b|\bFACT\b|\bHONORAIRES\b|\bDROITS\s+D\s?AUTEUR\b"),
)

# Credits that give money back or move it, never earnings.
_NOT_INCOME = (r"\bREMB\w*|\bANNUL\w*|\bAVOIR\b|\bRETOUR\b|\bREGUL\w*|\bRESTITUTION\b"
               r"|\bREFUND\w*|\bRIMBORSO\b|\b(?:RUECK)?ERSTATTUNG\b|\bDEVOLUCION\b"
               r"|\bRETROCESSION\b|\bINDEMNISATION\b|\bTROP\s+PERCU\b"
               r"|\bCPAM\b|\bAMELI\b|\bMUTUELLE\b|\bVERSEMENT\s+ESPECES\b"
               r"|\bDEPOT\s+ESP|\bREMISE\s+(?:DE\s+)?CHEQ|\bVIR\w*\s+INTERNE\b"
               r"|\bCOMPTE\s+A\s+COMPTE\b|\bDEBLOCAGE\b|\bDECAISSEMENT\b|\bPRET\b"
               # an employer paying back what was spent for it (NOTE DE FRAIS, NDF, FRAIS DE
               # DEPLACEMENT): no earnings
               r"|\bNOTES?\s+(?:DE\s+)?FRAIS\b|\bNDF\b|\bFRAIS\s+(?:DE\s+)?(?:DEPLACEMENTS?"
               r"|MISSIONS?|PROFESSIONNELS|KILOMETRIQUES|REPAS|TRANSPORT)\b")
# ... except the daily allowances the health insurer pays in place of a salary.
_SICK_PAY = r"\bINDEMNITES?\s+JOURNALIERES\b|\bIJSS\b"
_NOT_INCOME_TYPES = ("refund", "reversal", "own_account_transfer", "cash_deposit",
                     "cheque_deposit", "loan_disbursement", "card_in_store", "card_online",
                     "card_contactless", "card_abroad")
_TRANSFER_TYPES = ("transfer_in", "instant_transfer_in")

# Words that mark an organisation, not a person, as the payer.
_ORG_WORDS = (r"\b(?:SA|SAS|SASU|SARL|EURL|SNC|SCI|SCOP|GIE|EI|GROUPE?|HOLDING|CONSEIL"
              r"|SERVICES?|TRANSPORTS?|BTP|INDUSTRIES?|LOGISTIQUE|INFORMATIQUE|DISTRIBUTION"
              r"|ASSOCIES|MAIRIE|CENTRE|HOSPITALIER|HOPITAL|DEPARTEMENTAL|REGION|EDUCATION"
              r"|NATIONALE|MINISTERE|DRFIP|DDFIP|DGFIP|ASSOCIATION|SOCIETE|STE|CIE|ENTREPRISE"
              r"|FRANCE|INTERNATIONAL|SYSTEMS?|TECHNOLOGIES?|LTD|GMBH|INC|BV|SPA|SL)\b")
_TITLE = r"^(?:M|MR|MME|MLLE|MM|MONSIEUR|MADAME|MADEMOISELLE)\b"

# Transfer wording in front of a payer's name, what follows the name, and an income's word
# before it (``VIR RETRAITE CARSAT``). What is left of ``VIR SEPA RECU SALAIRE MARS 2025``
# (a month, nothing) names no payer.
_LEAD = (r"^(?:(?:VIR(?:EMENT)?S?|VRT|SEPA|RECU|INST(?:ANTANE)?|RE|EN|VOTRE|FAVEUR|DE|DU|D"
         r"|FROM|PERMANENT|EUROPEEN|\d+)\s+)+")
_TAIL = (r"\s(?:SALAIRES?|PAIE|PAYE|RETRAITES?|PENSIONS?|ALLOC\w*|PRESTATIONS?|LOYERS?|MOTIF"
         r"|REF|REFDO|ECH|VIREMENT|MENSUEL\w*|INDEMNIT\w*|IJSS|REMUNERATION)\b.*$")
_INCOME_LEAD = r"^(?:(?:SALAIRES?|PAIE|PAYE|RETRAITES?|PENSIONS?|REMUNERATION)(?:\s+|$))+"
_MONTHS_ONLY = rf"^(?:(?:{MONTH_WORDS}|DU|DE|MOIS)\b\s*)*$"


@functools.cache
def _first_name_pattern() -> str:
    """A regex matching a French first name (bundled reference list) as a whole word."""
    from ledgerlens.datasets import load_first_names

    names = load_first_names()["first_name"].str.to_uppercase().str.split(" ").explode()
    words = sorted({n for n in names.to_list() if n and len(n) > 2 and n.isalpha()})
    return r"\b(?:" + "|".join(words) + r")\b"


def _fold(text: pl.Expr) -> pl.Expr:
    """Upper case without accents and punctuation, single spaces."""
    return (fold_accents(text.str.to_uppercase())
            .str.replace_all(r"[^A-Z0-9/]+", " ").str.strip_chars())


def _payer_from_label(label: pl.Expr) -> pl.Expr:
    """The payer's name in a transfer label: after ``/DE``, else after the transfer words."""
    slashed = label.str.extract(r"/DE\s+([^/]+)", 1)
    plain = label.str.replace(r"^[^/]*?\bVIR\w*\s", "VIR ").str.replace(_LEAD, "")
    plain = plain.str.replace(r"/.*$", "")
    name = (pl.coalesce(slashed, plain).str.replace(_INCOME_LEAD, "").str.replace(_TAIL, "")
            .str.replace(_TITLE, ""))
    name = name.str.replace_all(r"\b\d+\b", "").str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when((name.str.len_chars() >= 2) & ~name.str.contains(_MONTHS_ONLY)).then(name)


def detect_income(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``is_income`` (Boolean), ``income_type`` (``INCOME_TYPES`` or null) and
    ``income_payer`` (the employer or payer, null when unknown or not income).

    Reads ``amount``, ``raw_label``/``label_complement`` (or ``full_label``) and
    ``counterparty_name``; uses ``transaction_type``, ``subcategory``, ``is_recurring`` and
    ``recurrence_period`` when the frame has them.
    """
    from ledgerlens.enrich._income_row import ROW_PATH_MAX_ROWS, income_rows

    has = set(frame.columns)
    out_cols = ("is_income", "income_type", "income_payer")
    drop = [c for c in out_cols if c in has]
    base = frame.drop(drop) if drop else frame
    text_cols = (["full_label"] if "full_label" in has
                 else [c for c in ("raw_label", "label_complement") if c in has])
    extra = [c for c in ("counterparty_name", "transaction_type", "subcategory",
                         "recurrence_period", "is_recurring") if c in has]
    if base.height <= ROW_PATH_MAX_ROWS:
        found_rows = income_rows(base, text_cols)
        if found_rows is not None:  # a few rows: the rules on plain strings
            return with_values(base, {
                "is_income": [r is not None for r in found_rows],
                "income_type": [r and r[0] for r in found_rows],
                "income_payer": [r and r[1] for r in found_rows]}, _INCOME_SCHEMA)
    credits = base.lazy().select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"),
        pl.col("amount").cast(pl.Float64).alias("__amount"), *text_cols, *extra,
    ).filter(pl.col("__amount") > 0).collect(engine=ENGINE)
    if credits.height == 0:  # no credit, no income: skip the rules (fast for one debit)
        return _with_income(base, None)
    text = (pl.concat_str([pl.col(c).cast(pl.String) for c in text_cols], separator=" ",
                          ignore_nulls=True) if text_cols else pl.lit("", dtype=pl.String))

    def optional(name: str, dtype: pl.DataType) -> pl.Expr:
        return pl.col(name).cast(dtype) if name in has else pl.lit(None, dtype=dtype)

    lazy = credits.lazy().select(
        "__row", "__amount", _fold(text.fill_null("")).alias("__label"),
        _fold(optional("counterparty_name", pl.String())).alias("__cp"),
        *[optional(c, pl.String()).alias(f"__{c}")
          for c in ("transaction_type", "subcategory", "recurrence_period")],
        optional("is_recurring", pl.Boolean()).fill_null(False).alias("__recurring"),
    )

    words, flags, sure, kept = _rule_exprs()
    credits = lazy.with_columns(words).with_columns(*flags).with_columns(sure).filter(
        kept).collect(engine=ENGINE)
    if credits.height == 0:
        return _with_income(base, None)

    # The payer, and whether it is a private person, only for the few candidates left.
    payer, income_type, answer = _payer_exprs()
    found = credits.lazy().with_columns(payer).with_columns(income_type).filter(
        pl.col("income_type").is_not_null()).select(*answer)
    return _with_income(base, found.collect(engine=ENGINE))


@functools.cache
def _rule_exprs() -> tuple[pl.Expr, tuple[pl.Expr, ...], pl.Expr, pl.Expr]:
    """The rules over the folded credit columns (``__label``, ``__cp``, ``__transaction_type``
    ...), built once per process: building them costs about as much as running them on one
    row. Each intermediate is made a column once (``__words``, ``__keyword``...)."""
    label, ttype = pl.col("__label"), pl.col("__transaction_type")
    words = pl.concat_str([pl.col("__cp").fill_null(""), label], separator=" ").alias("__words")
    keyword: pl.Expr = pl.lit(None, dtype=pl.String)
    for kind, pattern in reversed(_RULES):
        keyword = pl.when(pl.col("__words").str.contains(pattern)).then(pl.lit(kind)).otherwise(
            keyword)
    excluded = ((label.str.contains(_NOT_INCOME) & ~label.str.contains(_SICK_PAY))
                | ttype.is_in(_NOT_INCOME_TYPES).fill_null(False))
    transfer = (ttype.is_in(_TRANSFER_TYPES).fill_null(True)
                & ~label.str.contains(r"^(?:CB|CARTE|PAIEMENT|ACHAT)\b"))
    kw = pl.col("__keyword")
    # A word naming earnings (PAIE, RETRAITE) outranks the model's reading of the payer.
    sure = pl.coalesce(
        pl.when(ttype == "interest").then(pl.lit("interest_dividends")),
        pl.when(kw.is_in(_EARNINGS)).then(kw),
        pl.when(pl.col("__subcategory").is_in(INCOME_TYPES)).then("__subcategory"),
        pl.when(kw != "rental_income").then(kw),
        pl.when((kw == "rental_income") & pl.col("__transfer")).then(kw)).alias("__sure")
    kept = (~pl.col("__excluded")
            & (pl.col("__sure").is_not_null() | (_MONTHLY & pl.col("__transfer"))))
    return (words, (keyword.alias("__keyword"), transfer.alias("__transfer"),
                    excluded.alias("__excluded")), sure, kept)


_MONTHLY = pl.col("__recurring") & (pl.col("__recurrence_period") == "monthly")
#: Below this a company's steady monthly transfer with no word of what for is no salary (a
#: cashback, a loyalty reward, a share of a bill: DECATHLON at 23.50 EUR a month had been a
#: salary); a salary named as such (PAIE, SALAIRE) is one at any amount.
SALARY_MIN_AMOUNT = 50.0


@functools.cache
def _payer_exprs() -> tuple[pl.Expr, pl.Expr, tuple[pl.Expr, ...]]:
    """The payer, the income type (a salary paid without a motif: a monthly recurring
    transfer from an organisation, not a person, that no keyword names, even where the
    model read other earnings) and the answer columns (built once)."""
    label = pl.col("__label")
    payer_expr = pl.coalesce(pl.when(pl.col("__cp") != "").then("__cp"),
                             _payer_from_label(label)).alias("__payer")
    payer = pl.col("__payer")
    person = (payer.str.contains(_TITLE) | label.str.contains(
        r"\b(?:DE|FAVEUR|/DE)\s+(?:M|MR|MME|MLLE|MONSIEUR|MADAME)\b")
              | payer.str.contains(_first_name_pattern()))
    person = person.fill_null(False) & ~payer.str.contains(_ORG_WORDS).fill_null(False)
    steady = (_MONTHLY & pl.col("__transfer") & ~person
              & (pl.col("__subcategory") != "p2p_transfer").fill_null(True)
              & (pl.col("__amount") >= SALARY_MIN_AMOUNT))
    # A company paying the same account every month with no word of what for is an
    # employer, whatever the model made of the name (other earnings: a freelancer's client).
    unsaid = (pl.col("__sure") == "other_income") & pl.col("__keyword").is_null()
    income_type = pl.coalesce(pl.when(steady & unsaid).then(pl.lit("salary")), "__sure",
                              pl.when(steady).then(pl.lit("salary"))).alias("income_type")
    answer = (pl.col("__row"), pl.col("income_type"),
              pl.when(pl.col("income_type") != "interest_dividends").then(pl.col("__payer"))
              .alias("income_payer"))
    return payer_expr, income_type, answer


def _with_income(base: pl.DataFrame, credits: pl.DataFrame | None) -> pl.DataFrame:
    """``base`` with the income columns: ``credits`` rows (``__row``, ``income_type``,
    ``income_payer``) set, the others null (all null when ``credits`` is None)."""
    income_type = pl.Series("income_type", [None] * base.height, dtype=pl.String)
    payer_col = pl.Series("income_payer", [None] * base.height, dtype=pl.String)
    if credits is not None and credits.height:
        rows = credits["__row"]
        income_type = income_type.scatter(rows, credits["income_type"])
        payer_col = payer_col.scatter(rows, credits["income_payer"])
    return base.hstack([income_type.is_not_null().alias("is_income"), income_type, payer_col])


#: Incomes that name what a received transfer is whatever its payer sells: a salary paid by
#: SNCF or La Poste (both merchants too) is a salary, not a train ticket or a parcel; the
#: dividends TotalEnergies pays are no gas bill.
_EARNINGS = ("salary", "pension", "unemployment_benefits", "family_benefits",
             "interest_dividends")
#: Transaction types on which found earnings decide: received transfers, and the bank's own
#: interest lines (``REMUNERATION LIVRET A`` had read as an incident fee).
_EARNING_TYPES = (*_TRANSFER_TYPES, "interest")


def income_category(frame: pl.DataFrame) -> pl.DataFrame:
    """Where the income rules found an income the categorizer left in a generic bucket
    (``transfers``, ``other``, or rent on a credit), the category follows the income:
    ``VIR CAF DES BOUCHES DU RHONE`` is family benefits, not a transfer from a person. So
    does any category of a received transfer that the rules found to be earnings
    (``VIR SEPA RECU /DE SNCF VOYAGEURS /MOTIF SALAIRE``: salary, not trains).

    Needs ``detect_income``'s columns and the category columns; the evidence names the
    income type only (never the payer, which may be a person).
    """
    needed = {"income_type", "category", "subcategory", "category_confidence",
              "category_evidence"}
    if not needed <= set(frame.columns):
        return frame
    if frame.height <= _FEW_ROWS and _plain_category_columns(frame):
        return _income_category_rows(frame)
    income = pl.col("income_type")
    received = (pl.col("transaction_type").is_in(_EARNING_TYPES)
                if "transaction_type" in frame.columns else pl.lit(False))
    generic = (pl.col("category").is_in(["transfers", "other"])
               | ((pl.col("subcategory") == "rent") & (income == "rental_income"))
               | (income.is_in(_EARNINGS) & received))
    switch = (income.is_not_null() & income.is_in(INCOME_TYPES) & generic).fill_null(False)
    return frame.with_columns(
        category=pl.when(switch).then(pl.lit("income")).otherwise("category"),
        subcategory=pl.when(switch).then(income).otherwise("subcategory"),
        category_confidence=pl.when(switch).then(pl.lit(INCOME_CATEGORY_CONFIDENCE))
        .otherwise("category_confidence"),
        category_evidence=pl.when(switch).then(pl.format("income rule: {}", income))
        .otherwise("category_evidence"),
    )


_FEW_ROWS = 8  # up to this many rows, ``income_category`` runs on plain values
_CATEGORY_COLUMNS = ("income_type", "category", "subcategory", "category_evidence",
                     "category_confidence")


def _plain_category_columns(frame: pl.DataFrame) -> bool:
    dtype = {c: frame.get_column(c).dtype for c in _CATEGORY_COLUMNS}
    return (all(dtype[c] == pl.String for c in _CATEGORY_COLUMNS[:-1])
            and dtype["category_confidence"] == pl.Float64)


def _income_category_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """``income_category`` of a few rows with String categories and Float64 confidences,
    on plain values (no query); the same output."""
    incomes = frame.get_column("income_type").to_list()
    cats = frame.get_column("category").to_list()
    subs = frame.get_column("subcategory").to_list()
    types = (frame.get_column("transaction_type").to_list()
             if "transaction_type" in frame.columns else [None] * frame.height)
    switch = [inc is not None and inc in INCOME_TYPES
              and (cat in ("transfers", "other") or (sub == "rent" and inc == "rental_income")
                   or (inc in _EARNINGS and ttype in _EARNING_TYPES))
              for inc, cat, sub, ttype in zip(incomes, cats, subs, types, strict=True)]
    if not any(switch):
        return frame
    conf = frame.get_column("category_confidence").to_list()
    evidence = frame.get_column("category_evidence").to_list()
    return with_values(frame, {
        "category": ["income" if s else c for s, c in zip(switch, cats, strict=True)],
        "subcategory": [i if s else c for s, i, c in zip(switch, incomes, subs, strict=True)],
        "category_confidence": [INCOME_CATEGORY_CONFIDENCE if s else c
                                for s, c in zip(switch, conf, strict=True)],
        "category_evidence": [f"income rule: {i}" if s else c
                              for s, i, c in zip(switch, incomes, evidence, strict=True)]},
        CATEGORY_SCHEMA)


def salary_without_merchant(frame: pl.DataFrame, merchant_columns: Sequence[str]) -> pl.DataFrame:
    """A salary's employer is its payer (``income_payer``), not a merchant: the merchant
    columns (``merchant_columns``) of rows whose ``income_type`` is ``salary`` are emptied.
    ``VIR SEPA RECU /DE DECATHLON SE /MOTIF SALAIRE`` is no purchase at Decathlon; the
    synthetic banks name no merchant on a salary either. Frames without the columns are
    left as they are."""
    present = [c for c in merchant_columns if c in frame.columns]
    if "income_type" not in frame.columns or "merchant_id" not in present:
        return frame
    if frame.height <= _FEW_ROWS:  # plain values: no query when no salary has a merchant
        pairs = zip(frame.get_column("income_type").to_list(),
                    frame.get_column("merchant_id").to_list(), strict=True)
        if not any(t == "salary" and m is not None for t, m in pairs):
            return frame
    paid = ((pl.col("income_type") == "salary") & pl.col("merchant_id").is_not_null()
            ).fill_null(False)
    if not frame.select(paid.any()).item():
        return frame
    return frame.with_columns(pl.when(paid).then(None).otherwise(pl.col(c)).alias(c)
                              for c in present)
