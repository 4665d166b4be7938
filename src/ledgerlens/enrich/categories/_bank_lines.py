"""A bank's or insurer's product named in its label: ``PRLV SEPA FORTUNEO PEA`` is a
securities account, ``CAISSE D EPARGNE LIVRET A`` a savings book, ``BANQUE POPULAIRE PRET
AUTO`` a car loan, ``CREDIT AGRICOLE ASSURANCE VIE`` a life insurance.

The directory files a bank or an insurer under one line (its card or account fees, or the
one product an alias names: ``BANQUE POPULAIRE PRET`` is its mortgage), and the category
step takes the merchant's line. When the label's other words name exactly one banking or
insurance product, that product is the row's line (:func:`bank_line_rule`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import polars as pl

from ledgerlens.enrich.categories._rules import TYPE_RULES, TYPE_SCOPES
from ledgerlens.taxonomy import SUBCATEGORIES

__all__ = ["BANK_LINES", "BANK_LINE_CONFIDENCE", "BANK_LINE_WORDS", "bank_line_rule"]

#: The merchant lines this rule may move a row from: a bank's fees, its loans, savings and
#: securities, a life insurance (the banks' insurers), an insurer's car, home, health or
#: other contracts (a provident contract stays: ``GENERALI VIE`` is either).
BANK_LINES: frozenset[str] = frozenset({
    "account_fees", "card_fees", "mortgage", "consumer_loan", "car_loan", "student_loan",
    "securities", "savings_transfer", "life_insurance", "car_insurance", "home_insurance",
    "health_insurance", "other_insurance"})

_INSURED = r"(?:ASSURANCE|ASSUR|ASS)"
#: A product's words (on the label's text as the model reads it: upper case, no digits),
#: first match first; a matched phrase is taken out before the next is looked for (``PRET
#: AUTO`` names no car insurance by its AUTO). Bare insurance words (``AUTO``, ``SANTE``)
#: do not count: on a bank's label they may name a loan or a fee.
BANK_LINE_WORDS: tuple[tuple[str, str], ...] = (
    (rf"\b{_INSURED} VIE\b", "life_insurance"),
    (r"\b(?:PEA|COMPTE TITRES|ORDRE DE BOURSE|BOURSE)\b", "securities"),
    (r"\b(?:LIVRET|LDDS|LDD|LEP|PEL|CEL)\b", "savings_transfer"),
    (r"\b(?:PRET|CREDIT) (?:IMMO\w*|HABITAT)\b", "mortgage"),
    (r"\b(?:PRET|CREDIT) (?:AUTO|VEHICULE|VOITURE)\b", "car_loan"),
    (r"\b(?:PRET|CREDIT) (?:PERSO\w*|CONSO\w*|TRAVAUX|RENOUVELABLE)\b", "consumer_loan"),
    (r"\bPRET (?:ETUDIANT|ETUDES?)\b", "student_loan"),
    (rf"\b{_INSURED} (?:AUTO|AUTOMOBILE|MOTO|VEHICULE)\b", "car_insurance"),
    (rf"\b{_INSURED} (?:HABITATION|LOGEMENT)\b|\bMRH\b", "home_insurance"),
    (rf"\b{_INSURED} SANTE\b|\b(?:MUTUELLE|COMPLEMENTAIRE SANTE)\b", "health_insurance"),
    (rf"\bPREVOYANCE\b|\b{_INSURED} (?:DECES|EMPRUNTEUR|OBSEQUES)\b",
     "life_provident_insurance"),
)
#: Confidence of a bank's line named by its product's words.
BANK_LINE_CONFIDENCE = 0.95
#: Types whose rows keep their line: card payments and cash are no bank product.
_OTHER_TYPES = frozenset({"card_in_store", "card_online", "card_contactless", "card_abroad",
                          "refund", "reversal", *TYPE_RULES})
_NEEDED = ("merchant_id", "merchant_subcategory", "transaction_type", "category",
           "subcategory", "category_confidence", "category_evidence")


@functools.cache
def _line_res() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern), sub) for pattern, sub in BANK_LINE_WORDS)


def named_bank_line(text: str, own_words: frozenset[str],
                    type_: str | None) -> tuple[str, str] | None:
    """(line, words) when ``text`` names exactly one product by words that are not all the
    merchant's own (``own_words``: ``CAISSE D EPARGNE`` names no savings book) and the
    type allows it (a loan repayment stays a loan); None otherwise."""
    found: dict[str, str] = {}
    for pattern, sub in _line_res():
        hits = [h.group(0) for h in pattern.finditer(text) if set(h.group(0).split()) - own_words]
        if hits:
            found.setdefault(sub, hits[0])
        text = pattern.sub(" ", text)
    if len(found) != 1:
        return None
    line, words = next(iter(found.items()))
    scope = TYPE_SCOPES.get(type_ or "")
    return None if scope is not None and SUBCATEGORIES[line].category not in scope else (
        line, words)


def bank_line_rule(frame: pl.DataFrame,
                   own_words: Callable[[str], frozenset[str]]) -> pl.DataFrame:
    """Rows whose merchant is on a bank's line (``BANK_LINES``) and whose label's other
    words name one product (``named_bank_line``) take that product's line, at
    ``BANK_LINE_CONFIDENCE`` (``FORTUNEO PEA``: securities, not Fortuneo's card fees).
    ``own_words(merchant_id)`` gives the words of the merchant's aliases, which do not
    count. Card payments, cash, refunds and rows a type decides keep their line; frames
    without the columns are left as they are."""
    from ledgerlens.enrich.categories._row import model_text

    cols = set(frame.columns)
    source = next((c for c in ("merchant_text", "clean_label", "raw_label") if c in cols), None)
    if source is None or not set(_NEEDED) <= cols:
        return frame
    lines = frame.get_column("merchant_subcategory")
    if lines.dtype != pl.String or frame.get_column(source).dtype != pl.String:
        return frame
    if frame.height <= _FEW_ROWS:  # plain values, no query
        rows = [i for i, line in enumerate(lines.to_list()) if line in BANK_LINES]
        if not rows:
            return frame
        picked = frame.select(source, "merchant_id", "transaction_type", "subcategory")[rows]
        changes = [(i, *found) for i, (text, mid, type_, sub) in zip(rows, picked.iter_rows(),
                                                                    strict=True)
                   if mid is not None and type_ not in _OTHER_TYPES
                   and (found := named_bank_line(model_text(text), own_words(mid), type_))
                   is not None and found[0] != sub]
    else:  # a batch's bank rows, read once per distinct (text, merchant, type)
        changes = _batch_changes(frame, source, own_words)
    if not changes:
        return frame
    at = pl.Series([c[0] for c in changes], dtype=pl.UInt32)
    subs = [c[1] for c in changes]
    return frame.with_columns(
        subcategory=frame["subcategory"].scatter(at, subs),
        category=frame["category"].scatter(at, [SUBCATEGORIES[s].category for s in subs]),
        category_confidence=frame["category_confidence"].scatter(
            at, [BANK_LINE_CONFIDENCE] * len(changes)),
        category_evidence=frame["category_evidence"].scatter(
            at, [f'rule: product words "{c[2]}"' for c in changes]),
    )


def _batch_changes(frame: pl.DataFrame, source: str,
                   own_words: Callable[[str], frozenset[str]]) -> list[tuple[int, str, str]]:
    """(row, line, words) of the rows of a large frame that ``bank_line_rule`` changes."""
    from ledgerlens.enrich.categories._row import model_text

    keys = ["_text", "merchant_id", "transaction_type"]
    picked = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"), pl.col(source).alias("_text"),
        pl.col("merchant_id", "transaction_type", "subcategory").cast(pl.String),
        _open=pl.col("merchant_subcategory").is_in(sorted(BANK_LINES))
        & pl.col("merchant_id").is_not_null()
        & ~pl.col("transaction_type").is_in(sorted(_OTHER_TYPES)).fill_null(False),
    ).filter("_open")
    named = [(text, mid, type_, *found)
             for text, mid, type_ in picked.select(keys).unique().iter_rows()
             if (found := named_bank_line(model_text(text), own_words(mid), type_)) is not None]
    if not named:
        return []
    answers = pl.DataFrame(named, orient="row", schema={
        "_text": pl.String, "merchant_id": pl.String, "transaction_type": pl.String,
        "_line": pl.String, "_words": pl.String})
    changed = picked.join(answers, on=keys, nulls_equal=True).filter(
        pl.col("_line") != pl.col("subcategory").fill_null(""))
    return list(changed.select("_i", "_line", "_words").iter_rows())


_FEW_ROWS = 8  # up to this many rows, the bank rows are found on plain values
