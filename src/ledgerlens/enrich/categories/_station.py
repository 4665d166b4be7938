"""Which line of an oil company's station a card payment paid: its pumps, by the amount.

A bare oil company's name (``CB ESSO 12/03``, ``CB TOTALENERGIES``) is a brand of several
lines (its pumps, its shop, its chargers) that the matcher cannot tell apart; the category
model chooses by the amount. It learnt from the synthetic banks, whose fuel tickets were
drawn around 55 EUR with a narrow spread (4 % under 30 EUR), so it read every payment
there under about 30 EUR as the shop (``CB ESSO`` at 25 EUR: a convenience store at 0.82),
and a station named with its operator's legal form as the shop at any amount (``CB SARL ESSO
DU LAC`` at 60 EUR: 0.8). At a real station most card payments pay the fuel, and a top-up
of 20 or 30 EUR is common; the shop sells a coffee or a sandwich. A payment of
``STATION_FUEL_MIN`` or more at such a brand, whose label names no other line (no
``BOUTIQUE``, ``LAVAGE``, ``RECHARGE``; the operator's name and legal form, or a town, may
stand there), is fuel. A grocer's brand with a station (Carrefour Contact, Casino: not among
``MerchantDirectory.station_ids``) is left to the model: most of its payments are the shop's.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from ledgerlens.enrich.categories._row import model_text
from ledgerlens.enrich.categories._rules import CATEGORY_SCHEMA, set_rows
from ledgerlens.enrich.merchants._directory import lead_word_categories, trade_word_subcategories
from ledgerlens.schema import CARD_TYPES

__all__ = ["OTHER_LINE_WORDS", "STATION_FUEL_CONFIDENCE", "STATION_FUEL_MIN",
           "station_fuel_rule"]

#: The least payment (EUR) at an oil company's station read as fuel whatever the model
#: chose among the brand's lines.
STATION_FUEL_MIN = 20.0
STATION_FUEL_CONFIDENCE = 0.8
#: The lines the model may have chosen instead of the pumps.
_OTHER_LINES = ("convenience_store", "ev_charging")
#: Words of a station's other lines that the local trades' lexicon lacks (it has
#: ``BOUTIQUE``, ``MARKET``, ``LAVAGE``): its shop (Total's is called Bonjour), its car wash,
#: its chargers.
OTHER_LINE_WORDS: frozenset[str] = frozenset({
    "SHOP", "BONJOUR", "WASH", "CLEAN", "CHARGE", "CHARGING", "RECHARGE", "BORNE", "BORNES",
    "ELECTRIC", "ELECTRIQUE", "EV", "KWH"})
_EVIDENCE = f"rule: a station's payment of {STATION_FUEL_MIN:.0f} EUR or more (fuel)"
_FEW_ROWS = 8
_NEEDED = {"transaction_type", "amount", "merchant_id", "merchant_lines", *CATEGORY_SCHEMA}


def _station_row(ttype: object, amount: object, lines: object, sub: object, merchant: object,
                 stations: frozenset[str]) -> bool:
    """Whether one row is in the rule's scope (all but its words)."""
    if not isinstance(lines, str) or amount is None or ttype not in CARD_TYPES:
        return False
    return (sub in _OTHER_LINES and merchant in stations and "fuel" in lines.split("|")
            and float(amount) <= -STATION_FUEL_MIN)  # type: ignore[arg-type]


def _names_no_other_line(text: object, own: frozenset[str]) -> bool:
    """Whether ``text`` holds, outside the brand's own names (``own``), no word of a trade
    other than fuel (the local trades' lexicon: ``BOUTIQUE``, ``CAFE``, ``LAVAGE``) and
    none of ``OTHER_LINE_WORDS``."""
    subs, categories = trade_word_subcategories(), lead_word_categories()
    for word in model_text(str(text or "")).split():
        if word in own:
            continue
        named = subs.get(word)
        if (word in OTHER_LINE_WORDS or (named is not None and named != {"fuel"})
                or (named is None and categories.get(word, "transport") != "transport")):
            return False
    return True


def station_fuel_rule(frame: pl.DataFrame, name_words: Callable[[str], frozenset[str]],
                      stations: frozenset[str]) -> pl.DataFrame:
    """Rows of a card payment of ``STATION_FUEL_MIN`` or more at an oil company's brand
    (``stations``: its merchant ids) whose lines the matcher left open (``merchant_lines``,
    fuel among them), that the model read as the shop or the chargers, and whose label
    names no other line (``_names_no_other_line``; ``name_words``: a merchant's own words),
    are ``fuel``. Other rows, and frames without the columns, are left as they are."""
    if not set(frame.columns) >= _NEEDED:
        return frame
    source = next((c for c in ("merchant_text", "clean_label", "raw_label")
                   if c in frame.columns), None)
    if source is None:
        return frame
    if frame.height <= _FEW_ROWS:
        opened = frame.get_column("merchant_lines").to_list()
        if not any(isinstance(v, str) and "fuel" in v for v in opened):
            return frame  # one transaction: most have no open lines, and none are read
        values = zip(*(frame.get_column(c).to_list() for c in (
            "transaction_type", "amount")), opened, *(frame.get_column(c).to_list() for c in (
                "subcategory", "merchant_id")), strict=True)
        flags = [_station_row(t, a, ls, s, m, stations) for t, a, ls, s, m in values]
        if not any(flags):
            return frame  # one transaction: no query when nothing can switch
        rows = pl.Series([i for i, f in enumerate(flags) if f], dtype=pl.UInt32)
    else:
        lines = pl.col("merchant_lines").cast(pl.String)
        scope = (pl.col("transaction_type").cast(pl.String).is_in(CARD_TYPES)
                 & pl.col("subcategory").is_in(_OTHER_LINES)
                 & pl.col("merchant_id").cast(pl.String).is_in(sorted(stations))
                 & lines.str.contains(r"(?:^|\|)fuel(?:\||$)")
                 & (pl.col("amount").cast(pl.Float64) <= -STATION_FUEL_MIN))
        rows = frame.select(scope.fill_null(False).arg_true()).to_series()
        if rows.len() == 0:
            return frame
    scoped = frame[rows].select(merchant_id=pl.col("merchant_id").cast(pl.String),
                                text=pl.col(source).cast(pl.String))
    bare = {key: _names_no_other_line(key[1], name_words(key[0]))
            for key in scoped.unique().iter_rows() if key[0] is not None}
    keep = pl.Series([bare.get(key, False) for key in scoped.iter_rows()], dtype=pl.Boolean)
    rows = rows.filter(keep)
    if rows.len() == 0:
        return frame
    return set_rows(frame, rows, pl.Series(["fuel"] * rows.len(), dtype=pl.String),
                    STATION_FUEL_CONFIDENCE,
                    pl.Series([_EVIDENCE] * rows.len(), dtype=pl.String))
