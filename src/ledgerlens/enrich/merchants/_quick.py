"""Merchant candidates and hit features of a few rows in plain Python: the same tables and
rules as ``_candidates.candidates`` and ``_scorer.hit_features``, without the fixed cost of
a hundred small Polars queries.

Each Polars operation costs 100-300 microseconds whatever the frame's size, which is most of
a one-transaction call. Here the directory's gram table and attributes become dicts (built
once per directory, kept in its cache) and the per-text work (words, n-gram lookups, fuzzy
windows, context, features) is a loop over the few texts and hits. Same rows and the same
bits as the batch path (tested equal on thousands of synthetic labels: ``tests/enrich/
test_merchants_quick.py``); the batch path stays vectorised. Shared with it: the gram table,
the common words, the TF-IDF model, the scorer.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import polars as pl

from ledgerlens.enrich.merchants._candidates import (
    _FUZZY_MIN_SIM,
    _FUZZY_TOP,
    _GLUED_MAX_WORDS,
    _LINKS,
    CANDIDATE_SCHEMA,
    GLUED_NOT_FIRST,
    KIND_EXACT,
    KIND_FUZZY,
    KIND_PREFIX,
    MAX_GRAM,
    MAX_TOKENS,
    REFUND_WORDS,
    _common_words,
    _distinct_aliases,
    _glued_lookup,
    _lookup,
    _tfidf,
    family_firm_at,
)
from ledgerlens.enrich.merchants._directory import (
    LINE_LEAD_CATEGORIES,
    MONEY_IN_LINES,
    NAME_PARTICLES,
    OTHER_LINE_CATEGORIES,
    PERSON_TITLES,
    MerchantDirectory,
    business_key,
    english_words,
    first_names,
    foreign_lead_categories,
    lead_word_categories,
    line_lead_subcategories,
    trade_lead_categories,
    trail_word_categories,
    trail_word_lines,
)

#: Transaction kinds of a card payment (``_scorer.TYPE_KINDS`` values).
CARD_KINDS = frozenset({"present", "online", "abroad"})

__all__ = ["CARD_KINDS", "HIT_COLUMNS", "QUICK_MAX_TEXTS", "feature_hits", "features_of",
           "hit_records_of", "hits_frame", "quick_candidates", "quick_features",
           "quick_hit_records"]

#: Up to this many distinct keys, the matcher takes this path (faster than the batch one).
QUICK_MAX_TEXTS = 256
#: Up to this many fuzzy windows their similarities are read from a dense array (a few
#: megabytes at most); more, from the sparse product.
_DENSE_WINDOWS = 32

# One candidate: (merchant_idx, alias, kind, sim, start, n_gram, key_tokens, key_chars,
# odd_outside, next_link, lead_tok, trail_cat, refund_word, refund_lead, next_english,
# title_outside, trail_sub, title_before), in ``CANDIDATE_SCHEMA`` order without ``text_id``.
Candidate = tuple[int, str, int, float, int, int, int, int, int, bool, str | None, str | None,
                  bool, int, bool, bool, str | None, bool]
_Hit = tuple[int, str, int, float, int, int]  # merchant_idx, alias, kind, sim, start, n_gram
# Row of ``quick_hit_records``: row_id, mcc, transaction_type, candidate columns, field.
HitRecord = tuple[int, str | None, str | None, int, str, int, float, int, int, int, int, int,
                  bool, str | None, str | None, bool, int, bool, bool, str | None, bool, int]
_LINK_SET = frozenset(_LINKS)


def _gram_dict(directory: MerchantDirectory) -> dict[str, list[tuple[int, int, str, int, float]]]:
    """gram -> [(n_gram, merchant_idx, alias, kind, sim)] of the exact + prefix table."""
    table, _ = directory.cached("candidates.lookup", _lookup)
    out: dict[str, list[tuple[int, int, str, int, float]]] = {}
    for gram, sim, n_gram, kind, alias, idx in table.select(
            "gram", "sim", "n_gram", "kind", "alias", "merchant_idx").iter_rows():
        out.setdefault(gram, []).append((n_gram, idx, alias, kind, sim))
    return out


def _alias_merchants(directory: MerchantDirectory) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for alias, idx in directory.aliases.select("alias", "merchant_idx").iter_rows():
        out.setdefault(alias, []).append(idx)
    return out


def _glued_dict(directory: MerchantDirectory) -> dict[str, list[tuple[int, str]]]:
    """glued words -> [(merchant_idx, alias)] of ``_candidates._glued_lookup``."""
    out: dict[str, list[tuple[int, str]]] = {}
    for gram, alias, idx in directory.cached("candidates.glued", _glued_lookup).iter_rows():
        out.setdefault(gram, []).append((idx, alias))
    return out


def _distinct_set(directory: MerchantDirectory) -> frozenset[str]:
    return frozenset(directory.cached("candidates.distinct", _distinct_aliases)["alias"])


def _without_stray_cuts(found: list[_Hit], distinct: frozenset[str]) -> list[_Hit]:
    """``_candidates._without_stray_cuts`` of one text's hits."""
    exact = {h[0] for h in found if h[2] == KIND_EXACT}
    anchors = [(h[0], h[4], h[4] + h[5]) for h in found
               if h[2] == KIND_EXACT and h[1] in distinct]
    return [h for h in found
            if not (h[2] == KIND_PREFIX and h[0] not in exact
                    and any(m != h[0] and (e <= h[4] or s >= h[4] + h[5]
                                           or (s, e) == (h[4], h[4] + h[5]))
                            for m, s, e in anchors))]


def _common_set(directory: MerchantDirectory) -> frozenset[str]:
    return frozenset(directory.cached("candidates.common_words", _common_words).to_list())


def _is_number(token: str) -> bool:
    return token.isascii() and token.isdigit()


def _fuzzy(texts: list[tuple[list[str], list[int], int, int]],
           directory: MerchantDirectory) -> list[list[_Hit]]:
    """Best char-3-gram TF-IDF aliases of the 1-3 word windows of distinctive words of each
    text (see ``_candidates._fuzzy_hits``)."""
    per_text: list[list[tuple[str, int, int]]] = []  # (gram, start, n_gram), first kept
    for tokens, odd, _, _ in texts:
        words = [(p, t) for p, (t, o) in enumerate(zip(tokens, odd, strict=True)) if o]
        seen: set[str] = set()
        windows: list[tuple[str, int, int]] = []
        for n in (1, 2, 3):
            for i in range(len(words) - n + 1):
                run = words[i:i + n]
                if any(run[k][0] != run[0][0] + k for k in range(1, n)):
                    continue
                gram = " ".join(t for _, t in run)
                if gram not in seen:
                    seen.add(gram)
                    windows.append((gram, run[0][0], n))
        per_text.append(windows)
    distinct = list(dict.fromkeys(g for windows in per_text for g, _, _ in windows))
    found: dict[str, tuple[str, float]] = {}
    if distinct:
        model, alias_t, names = directory.cached("candidates.tfidf", _tfidf)
        product = model.transform(distinct) @ alias_t
        if len(distinct) <= _DENSE_WINDOWS:
            # A few windows' similarities as a dense array (a few times the directory's
            # aliases): the sparse argmax sorts the product's indices first, 0.4 ms a call.
            dense = product.toarray()
            best_idx = dense.argmax(axis=1)
            best_sim = dense[np.arange(len(distinct)), best_idx].astype(np.float64)
        else:
            best_idx = np.zeros(len(distinct), dtype=np.int64)
            best_sim = np.zeros(len(distinct), dtype=np.float64)
            sims = product.tocsr()
            if sims.nnz:
                best_idx[:] = np.asarray(sims.argmax(axis=1)).ravel()
                best_sim[:] = sims.max(axis=1).toarray().ravel()
        for gram, i, s in zip(distinct, best_idx.tolist(), best_sim.tolist(), strict=True):
            if s >= _FUZZY_MIN_SIM:
                found[gram] = (str(names[i]), s)
    merchants = directory.cached("quick.alias_merchants", _alias_merchants)
    out: list[list[_Hit]] = []
    for windows in per_text:
        scored = [(found[g][1], start, n, found[g][0]) for g, start, n in windows if g in found]
        scored.sort(key=lambda w: (-w[0], w[1], w[2], w[3]))
        out.append([(idx, alias, KIND_FUZZY, sim, start, n)
                    for sim, start, n, alias in scored[:_FUZZY_TOP]
                    for idx in merchants.get(alias, [])])
    return out


def quick_candidates(keys: list[str], directory: MerchantDirectory, *,
                     fuzzy: bool = True) -> list[list[Candidate]]:
    """The candidates of each match key (a list per key, in ``CANDIDATE_SCHEMA`` order
    without ``text_id``): the rows ``candidates`` gives for the same keys."""
    grams = directory.cached("quick.grams", _gram_dict)
    glued = directory.cached("quick.glued", _glued_dict)
    distinct = directory.cached("quick.distinct", _distinct_set)
    common = directory.cached("quick.common", _common_set)
    trail_words = trail_word_categories()
    trail_lines = trail_word_lines()
    english = english_words()
    texts: list[tuple[list[str], list[int], int, int]] = []
    for key in keys:
        tokens = key.split(" ")[:MAX_TOKENS] if key else []
        odd = [int(len(t) >= 3 and not _is_number(t) and t not in common
                   and t not in REFUND_WORDS) for t in tokens]
        texts.append((tokens, odd, len(tokens), len(key.replace(" ", ""))))
    hits: list[list[_Hit]] = []
    for tokens, _, _, _ in texts:
        found: list[_Hit] = []
        for start in range(len(tokens)):
            for n in range(1, min(MAX_GRAM, len(tokens) - start) + 1):
                for n_gram, idx, alias, kind, sim in grams.get(
                        " ".join(tokens[start:start + n]), ()):
                    if n_gram == n:
                        found.append((idx, alias, kind, sim, start, n))
        spans = {(h[0], h[4], h[5]) for h in found}
        spaced = [(h[0], h[4], h[4] + h[5]) for h in found if h[2] == KIND_EXACT and h[5] >= 2]
        for start in range(len(tokens)):
            for n in range(2, min(_GLUED_MAX_WORDS, len(tokens) - start) + 1):
                # _candidates._glued_hits: no lone end, no article first
                if len(tokens[start + n - 1]) < 2 or tokens[start] in GLUED_NOT_FIRST:
                    continue
                for idx, alias in glued.get("".join(tokens[start:start + n]), ()):
                    if (idx, start, n) not in spans and not any(
                            i == idx and s2 >= start and e2 <= start + n
                            for i, s2, e2 in spaced):
                        found.append((idx, alias, KIND_EXACT, 1.0, start, n))
        hits.append([h for h in _without_stray_cuts(found, distinct)
                     if not family_firm_at(tokens, h[4] + h[5])])
    if fuzzy:
        todo = [i for i, (t, h) in enumerate(zip(texts, hits, strict=True)) if t[0] and not h]
        for i, extra in zip(todo, _fuzzy([texts[i] for i in todo], directory), strict=True):
            hits[i] = [h for h in extra if not family_firm_at(texts[i][0], h[4] + h[5])]
    out: list[list[Candidate]] = []
    for (tokens, odd, n_tokens, n_chars), found in zip(texts, hits, strict=True):
        cum = np.cumsum(odd).tolist() if odd else []
        total = cum[-1] if cum else 0
        # The text's last trade word (``_candidates._context``'s trail_cat).
        trade = next(((k, trail_words[t], trail_lines.get(t))
                      for k, t in reversed(list(enumerate(tokens))) if t in trail_words), None)
        refund = any(t in REFUND_WORDS for t in tokens)
        refund_lead = next((k for k, t in enumerate(tokens) if t not in REFUND_WORDS),
                           len(tokens))
        titles = [k for k, t in enumerate(tokens) if t in PERSON_TITLES]
        rows: list[Candidate] = []
        for idx, alias, kind, sim, start, n in found:
            end = start + n
            inside = cum[end - 1] - cum[start] + odd[start]
            rows.append((idx, alias, kind, sim, start, n, n_tokens, n_chars,
                         max(total - inside, 0), end < n_tokens and tokens[end] in _LINK_SET,
                         tokens[start - 1] if start > 0 else None,
                         trade[1] if trade is not None and trade[0] >= end else None,
                         refund, refund_lead, end < n_tokens and tokens[end] in english,
                         any(k != start for k in titles),
                         trade[2] if trade is not None and trade[0] >= end else None,
                         any(k < start for k in titles)))
        out.append(rows)
    return out


def quick_hit_records(rows: pl.DataFrame, directory: MerchantDirectory, fuzzy: bool,
                      match_key: pl.Expr, party_key: pl.Expr) -> list[HitRecord]:
    """The rows of ``_matcher._hits`` for a few rows (``row_id``, ``mcc``,
    ``transaction_type``, ``_t``, ``_c``; ``_kt``, ``_kc`` their match keys when already
    made) as tuples (``HIT_COLUMNS``): at most one Polars query, the rest in Python."""
    if "_kt" not in rows.columns:  # the caller may have added the keys to its own query
        rows = rows.select("row_id", "mcc", "transaction_type", "_c", _kt=match_key,
                           _kc=party_key)
    records = list(zip(*(rows[c].to_list() for c in (
        "row_id", "mcc", "transaction_type", "_kt", "_kc", "_c")), strict=True))
    return hit_records_of(records, directory, fuzzy)


def hit_records_of(records: list[tuple[int, str | None, str | None, str, str, str | None]],
                   directory: MerchantDirectory, fuzzy: bool) -> list[HitRecord]:
    """``quick_hit_records`` of rows given as (row_id, mcc, transaction_type, label key,
    counterparty key, counterparty) tuples: no Polars at all."""
    label_keys = list(dict.fromkeys(r[3] for r in records))
    party_keys = list(dict.fromkeys(r[4] for r in records if r[5] is not None))
    label = dict(zip(label_keys, quick_candidates(label_keys, directory, fuzzy=fuzzy),
                     strict=True))
    party = dict(zip(party_keys, quick_candidates(party_keys, directory, fuzzy=False),
                     strict=True))
    out: list[HitRecord] = []
    for row_id, mcc, ttype, kt, _, _ in records:
        out.extend((row_id, mcc, ttype, *cand, 0) for cand in label[kt])
    for row_id, mcc, ttype, _, kc, c in records:
        if c is not None:
            out.extend((row_id, mcc, ttype, *cand, 1) for cand in party[kc])
    return out


#: Columns of a hit record (``_matcher._hits``' columns, in order).
HIT_COLUMNS: dict[str, pl.DataType] = {
    "row_id": pl.UInt32(), "mcc": pl.String(), "transaction_type": pl.String(),
    **{c: t for c, t in CANDIDATE_SCHEMA.items() if c != "text_id"}, "field": pl.Int8()}


def hits_frame(records: list[HitRecord]) -> pl.DataFrame:
    """Hit records as the frame ``_matcher._hits`` gives."""
    return pl.DataFrame(records, schema=HIT_COLUMNS, orient="row")


# -- features of a few hits -------------------------------------------------------------


def _alias_attrs(directory: MerchantDirectory) -> dict[tuple[str, int], tuple[Any, ...]]:
    return {(a, i): tuple(rest) for a, i, *rest in directory.aliases.select(
        "alias", "merchant_idx", "origin", "derived", "n_tokens", "n_chars", "n_merchants",
        "n_brands", "common", "name_like").iter_rows()}


def _merchant_attrs(directory: MerchantDirectory) -> dict[int, tuple[Any, ...]]:
    return {i: tuple(rest) for i, *rest in directory.merchants.select(
        "merchant_idx", "source", "is_online", "is_intermediary", "country", "brand_key",
        "mcc", "subcategory", "category", business_key(), "card_billing").iter_rows()}


@functools.cache
def _logs(size: int = 4096) -> tuple[list[float], list[float], list[float]]:
    """``log``, ``log1p`` and the ``alias_tokens`` share of 0..size-1 as Polars computes them
    (the features' logs are of counts; Polars divides by a literal as a product by its
    inverse), so that both paths give the same bits."""
    out = pl.select(x=pl.int_range(size, dtype=pl.Int32)).select(
        log=pl.col("x").log(), log1p=pl.col("x").log1p(), tokens=pl.col("x").clip(1, 6) / 6)
    return out["log"].to_list(), out["log1p"].to_list(), out["tokens"].to_list()


def _log(n: int) -> float:
    table = _logs()[0]
    return table[n] if 0 <= n < len(table) else float(pl.select(pl.lit(n).log()).item())


def _log1p(n: int) -> float:
    table = _logs()[1]
    return table[n] if 0 <= n < len(table) else float(pl.select(pl.lit(n).log1p()).item())


def quick_features(records: list[HitRecord], directory: MerchantDirectory) -> pl.DataFrame:
    """``_scorer.hit_features`` of a few hits, in Python: ``row_id``, ``merchant_idx``,
    ``brand_key``, ``m_sub``, ``alias``, ``kind``, ``field``, ``n_chars`` and
    ``FEATURE_NAMES``, sorted by ``row_id``, ``merchant_idx`` (the columns ``top``, the
    evidence and the threshold read)."""
    from ledgerlens.enrich.merchants._scorer import FEATURE_NAMES

    kept = feature_hits(records, directory)
    ids = [pl.Series(c, [h[c] for h in kept], dtype=t) for c, t in _ID_COLUMNS.items()]
    # One flat series for the features, cut into columns by Polars: building one Series
    # per feature costs more than the rest of the call.
    flat = pl.Series("x", [v for h in kept for v in features_of(h)], dtype=pl.Float64)
    features = flat.reshape((len(kept), len(FEATURE_NAMES))).arr.to_struct(
        fields=list(FEATURE_NAMES)).struct.unnest()
    return pl.DataFrame(ids).hstack(features.get_columns())


def _kind_seen(kind: str | None, online: bool | None, card_billing: bool | None,
               money_in: bool, refund_word: bool) -> str | None:
    """``_scorer.seen_as_online`` and ``_scorer.repaid_as_moved`` of one hit: its
    transaction kind, an online merchant's payment abroad, refund or other non-card operation
    counted as online, the refund of a merchant paid by card as a payment in store and at a
    payer of money in (``money_in``) as a transfer, a direct debit that pays such a payer
    back (a ``refund_word``) as a transfer."""
    if kind in ("abroad", "other", "undone") and online:
        return "online"
    if kind == "undone":
        return ("present" if card_billing is None or card_billing
                else "transfer" if money_in else "other")
    return "transfer" if kind == "debit" and money_in and refund_word else kind


def _dropped_before_scoring(h: dict[str, Any],
                            own_line: frozenset[tuple[int, Any]] = frozenset()) -> bool:
    """``_scorer.OTHER_SHOP_AFTER``, ``_scorer.OTHER_LINE_BEFORE``,
    ``_scorer.OFF_LOAN_LINE``, ``_scorer.AFTER_PLACE_LINK``, ``_scorer.AFTER_ARTICLE``,
    ``_scorer.ARTICLE_NAME_GOES_ON``, ``_scorer.DIGITAL_NAME_GOES_ON``,
    ``_scorer.TRADE_BEFORE_ARTICLE``, ``_scorer.OTHER_TRADE_BEFORE``,
    ``_scorer.foreign_trade_before``,
    ``_scorer.name_in_transfer``, ``_scorer.PERSON_IN_TRANSFER``,
    ``_scorer.AFTER_SURNAME_PARTICLE``, ``_scorer.IN_SET_PHRASE``, ``_scorer.short_tail``,
    ``_scorer.NAME_THEN_NAME`` or ``_scorer.english_phrase`` of one hit."""
    if h["off_loan_line"] or h["after_surname_particle"] or h["in_set_phrase"] or (
            (h["name_like"] or h["lead_tok"] in PERSON_TITLES or h["lead_tok"] in first_names()
             or h["person_in_transfer"])
            and h["t_kind"] == "transfer"):
        return True
    if h["digital_name_goes_on"]:
        return True
    card = h["t_kind"] is None or h["t_kind"] in CARD_KINDS
    lead = h["refund_lead"] if h["start"] >= h["refund_lead"] else 0
    name_then_name = (h["name_like"] and h["n_tokens"] == 1 and h["alias_cat"] is None
                      and h["start"] - lead == 0
                      and h["start"] + h["n_gram"] == h["key_tokens"] - 1
                      and h["odd_outside"] == 0 and h["trail_cat"] is None)
    other_shop = (h["n_tokens"] == 1 and h["trail_cat"] is not None
                  and (h["trail_cat"] != h["m_cat"]
                       or (h["name_like"] and h["trail_sub"] is not None
                           and h["trail_sub"] != h["m_sub"]
                           and h["m_cat"] in LINE_LEAD_CATEGORIES
                           and (h["row_id"], h["brand_key"]) not in own_line)))
    english_phrase = (h["n_tokens"] == 1 and h["alias"] in english_words()
                      and h["start"] - lead == 0 and h["trail_cat"] is None
                      and h["start"] + h["n_gram"] == h["key_tokens"] - 1
                      and (h["odd_outside"] == 0 or h["next_english"]))
    other_line = (h["lead_sub"] is not None and h["lead_sub"] != h["m_sub"]
                  and (h["m_cat"] in OTHER_LINE_CATEGORIES
                       or (h["m_cat"] == "groceries"
                           and (h["common"] or h["kind"] == KIND_PREFIX))))
    trade_before_article = (h["article_alias"] and h["lead_cat"] is not None
                            and h["lead_cat"] != h["m_cat"])
    other_trade = (h["lead_trade"] is not None and h["kind"] == KIND_EXACT
                   and h["lead_trade"] != h["m_cat"])
    foreign_trade_before = (h["lead_tok"] in foreign_lead_categories()
                            and h["lead_cat"] != h["m_cat"])
    return card and (other_shop or other_line or h["after_place_link"] or h["after_article"]
                     or h["short_tail"]
                     or h["article_name_goes_on"] or trade_before_article or other_trade
                     or name_then_name
                     or english_phrase or foreign_trade_before)


def feature_hits(records: list[HitRecord], directory: MerchantDirectory) -> list[dict[str, Any]]:
    """The hits ``quick_features`` keeps (one per row and merchant, sorted by ``row_id``,
    ``merchant_idx``) as dicts of the attributes its features read (``features_of``)."""
    from ledgerlens.datasets._mcc import _code_table
    from ledgerlens.enrich._clean import town_names
    from ledgerlens.enrich.merchants._scorer import (
        _CATEGORY,
        ARTICLES,
        DIGITAL_LINES,
        EXACT_BONUS,
        FOREIGN_ARTICLES,
        LENDER_CATEGORIES,
        LOAN_TYPES,
        OPENING_ALIASES,
        PLACE_LINKS,
        RECEIVED_TYPES,
        SET_PHRASES,
        SHORT_TAIL_CHARS,
        SURNAME_PARTICLES,
        TYPE_KINDS,
        WEAK_CUT,
    )

    alias_attrs = directory.cached("quick.alias_attrs", _alias_attrs)
    towns = town_names()
    lead_categories = lead_word_categories()
    line_leads = line_lead_subcategories()
    trade_leads = trade_lead_categories()
    merchant_attrs = directory.cached("quick.merchant_attrs", _merchant_attrs)
    mcc_table = _code_table()
    hits: list[dict[str, Any]] = []
    for (row_id, mcc, ttype, idx, alias, kind, sim, start, n_gram, key_tokens, key_chars,
         odd_outside, next_link, lead_tok, trail_cat, refund_word, refund_lead, next_english,
         title_outside, trail_sub, title_before, field) in records:
        (origin, derived, n_tokens, n_chars, n_merchants, n_brands, common,
         name_like) = alias_attrs[(alias, idx)]
        (source, online, intermediary, country, brand, m_mcc, m_sub, m_cat,
         business, card_billing) = merchant_attrs[idx]
        l_sub = mcc_table.get(mcc) if mcc is not None else None
        l_cat = _CATEGORY.get(l_sub) if l_sub is not None else None
        exact, sub, cat = mcc == m_mcc and mcc is not None, l_sub == m_sub and l_sub is not None, \
            l_cat == m_cat and l_cat is not None
        article_alias = " " in alias and alias.split(" ", 1)[0] in ARTICLES
        hits.append({
            "row_id": row_id, "merchant_idx": idx, "alias": alias, "kind": kind, "sim": sim,
            "start": start, "n_gram": n_gram, "key_tokens": key_tokens, "key_chars": key_chars,
            "odd_outside": odd_outside, "next_link": next_link, "field": field,
            "lead_tok": lead_tok, "trail_cat": trail_cat, "trail_sub": trail_sub,
            "refund_word": refund_word,
            "refund_lead": refund_lead, "next_english": next_english,
            "lead_cat": lead_categories.get(lead_tok) if lead_tok is not None else None,
            "alias_cat": lead_categories.get(alias),
            "lead_sub": line_leads.get(lead_tok) if lead_tok is not None else None,
            "lead_trade": trade_leads.get(lead_tok) if lead_tok is not None else None,
            "m_cat": m_cat,
            "origin": origin, "derived": derived, "n_tokens": n_tokens, "n_chars": n_chars,
            "n_merchants": n_merchants, "n_brands": n_brands, "common": common,
            "name_like": name_like,
            "source": source, "is_online": online, "is_intermediary": intermediary,
            "country": country, "brand_key": brand, "business_key": business, "m_sub": m_sub,
            "card_billing": card_billing,
            "t_kind": _kind_seen(None if ttype is None else TYPE_KINDS.get(ttype, "other"),
                                 online, card_billing, m_sub in MONEY_IN_LINES, refund_word),
            "t_received": ttype in RECEIVED_TYPES,
            "off_loan_line": ttype in LOAN_TYPES and m_cat not in LENDER_CATEGORIES,
            "after_place_link": start >= 2 and lead_tok in PLACE_LINKS,
            "after_surname_particle": lead_tok in SURNAME_PARTICLES,
            "in_set_phrase": lead_tok in SET_PHRASES.get(alias, ()) or (
                alias in OPENING_ALIASES and lead_tok is not None
                and lead_tok not in OPENING_ALIASES[alias]),
            "person_in_transfer": (not intermediary and (
                title_before if ttype in RECEIVED_TYPES else title_outside)),
            "after_article": lead_tok in ARTICLES or lead_tok in FOREIGN_ARTICLES,
            "short_tail": (n_chars <= SHORT_TAIL_CHARS and alias.isalpha() and start >= 1
                           and start + n_gram == key_tokens and lead_tok not in towns
                           and (None if lead_tok is None
                                else lead_categories.get(lead_tok)) != m_cat),
            "article_alias": article_alias,
            "digital_name_goes_on": bool(m_sub in DIGITAL_LINES and next_link
                                         and n_tokens == 1),
            "article_name_goes_on": bool(article_alias and (
                ((common or m_sub in DIGITAL_LINES) and next_link)
                or (common and start - (refund_lead if start >= refund_lead else 0) == 0
                    and odd_outside == 0 and start + n_gram < key_tokens
                    and trail_cat != m_cat))),
            "mcc_missing": l_sub is None, "mcc_exact": exact, "mcc_sub": sub, "mcc_cat": cat,
            "mcc_conflict": l_sub is not None and not cat, "_rank": exact + sub + cat,
            "_end": start + n_gram,
        })
    # brands with a line of the trade word after the hit (``_scorer.OTHER_SHOP_AFTER``)
    own_line = frozenset((h["row_id"], h["brand_key"]) for h in hits
                         if h["trail_sub"] is not None and h["m_sub"] == h["trail_sub"])
    hits = [h for h in hits if not _dropped_before_scoring(h, own_line)]
    by_row: dict[int, list[dict[str, Any]]] = {}
    for h in hits:
        by_row.setdefault(h["row_id"], []).append(h)
    for group in by_row.values():
        merchants_of: dict[str, set[int]] = {}
        longest: dict[int, int] = {}
        rank: dict[str, int] = {}
        names: dict[str, int] = {}
        for h in group:
            merchants_of.setdefault(h["brand_key"], set()).add(h["merchant_idx"])
            longest[h["field"]] = max(longest.get(h["field"], h["n_chars"]), h["n_chars"])
            rank[h["alias"]] = max(rank.get(h["alias"], h["_rank"]), h["_rank"])
            names[h["alias"]] = names.get(h["alias"], 0) + (h["origin"] == 0)
        # Candidates and brands counted among lines of the same direction (hit_features).
        flow = {h["merchant_idx"]: h["m_sub"] in MONEY_IN_LINES for h in group}
        n_cand = {f: sum(1 for v in flow.values() if v == f) for f in (False, True)}
        n_brands_of = {f: len({h["brand_key"] for h in group if flow[h["merchant_idx"]] == f})
                       for f in (False, True)}
        other = any(not h["is_intermediary"] for h in group)
        for h in group:
            mine = flow[h["merchant_idx"]]
            h.update(n_cand=n_cand[mine], n_brand_cand=n_brands_of[mine],
                     brand_share=1.0 / len(merchants_of[h["brand_key"]]),
                     has_other_merchant=other, longest=h["n_chars"] >= longest[h["field"]],
                     best_mcc_in_alias=h["_rank"] >= rank[h["alias"]],
                     name_among_alias=h["origin"] == 0 and names[h["alias"]] == 1)
    # One hit per (row, merchant): its strongest evidence (same order as ``hit_features``).
    for h in hits:
        h["_strength"] = (h["sim"] * h["n_chars"] + EXACT_BONUS * float(h["kind"] == 0)
                          + 0.5 * float(h["field"] == 0))
    hits.sort(key=lambda h: (h["row_id"], h["merchant_idx"],
                             h["kind"] == KIND_PREFIX and h["sim"] < WEAK_CUT, -h["_strength"],
                             h["field"], h["kind"], h["start"], h["alias"]))
    kept: list[dict[str, Any]] = []
    for h in hits:
        if not kept or (kept[-1]["row_id"], kept[-1]["merchant_idx"]) != (h["row_id"],
                                                                           h["merchant_idx"]):
            kept.append(h)
    for h in kept:
        h["dominated"] = any(
            o["row_id"] == h["row_id"] and o["field"] == h["field"]
            and o["merchant_idx"] != h["merchant_idx"] and o["start"] <= h["start"]
            and o["_end"] >= h["_end"] and o["_end"] - o["start"] > h["_end"] - h["start"]
            for o in kept)
    return kept


_ID_COLUMNS: dict[str, pl.DataType] = {
    "row_id": pl.UInt32(), "merchant_idx": pl.UInt32(), "brand_key": pl.String(),
    "business_key": pl.String(),
    "m_sub": pl.String(), "alias": pl.String(), "kind": pl.Int8(), "field": pl.Int8(),
    "n_chars": pl.Int32()}


def features_of(h: dict[str, Any]) -> list[float]:
    """``_scorer._FEATURES`` of one hit, in ``FEATURE_NAMES`` order (null -> 0, as ``_f``)."""
    from ledgerlens.enrich.merchants._scorer import FEATURE_NAMES

    t_kind, n_chars, kind = h["t_kind"], h["n_chars"], h["kind"]
    agree = h["mcc_exact"] or h["mcc_sub"]
    at_end = h["start"] + h["n_gram"] >= h["key_tokens"]
    # Position counted after the refund words that open the text (``_scorer._START``).
    lead = h["refund_lead"] if h["start"] >= h["refund_lead"] else 0
    start = h["start"] - lead
    short = n_chars <= 3
    plain = (h["start"] > 0 and h["odd_outside"] == 0
             and h["lead_tok"] not in NAME_PARTICLES)
    values: dict[str, Any] = {
        "kind_prefix": kind == KIND_PREFIX, "kind_fuzzy": kind == KIND_FUZZY,
        "from_counterparty": h["field"] == 1, "sim": h["sim"],
        "alias_chars_log": _log1p(n_chars),
        "alias_tokens": _logs()[2][min(max(h["n_tokens"], 0), 6)],
        "coverage": min(max(n_chars / max(h["key_chars"], 1), 0.0), 1.0),
        "ambiguity_log": _log(h["n_merchants"]),
        "brand_ambiguity_log": _log(h["n_brands"]),
        "start_frac": start / max(h["key_tokens"] - lead, 1),
        "at_start": start == 0, "at_end": at_end,
        "mcc_missing": h["mcc_missing"], "mcc_exact": h["mcc_exact"], "mcc_sub": h["mcc_sub"],
        "mcc_cat": h["mcc_cat"], "mcc_conflict": h["mcc_conflict"],
        "is_online": h["is_online"], "is_curated": h["source"] == "curated",
        "is_intermediary": h["is_intermediary"],
        "intermediary_with_other": h["is_intermediary"] and h["has_other_merchant"],
        "common_word": h["common"], "short_alias": short,
        "single_token": h["n_tokens"] == 1, "origin_name": h["origin"] == 0,
        "origin_website": h["origin"] == 2, "derived": h["derived"],
        "dominated": h["dominated"], "n_merchants_log": _log(h["n_cand"]),
        "longest": h["longest"], "best_mcc_in_alias": h["best_mcc_in_alias"],
        "name_among_alias": h["name_among_alias"],
        "common_x_mcc_agree": h["common"] and agree, "short_x_mcc_agree": short and agree,
        "common_x_mcc_missing": h["common"] and h["mcc_missing"],
        "short_x_mcc_missing": short and h["mcc_missing"],
        "ambiguous_x_best_mcc": h["n_merchants"] > 1 and h["best_mcc_in_alias"],
        "prefix_x_at_end": kind == KIND_PREFIX and at_end,
        "prefix_x_sim": float(kind == KIND_PREFIX) * h["sim"],
        "fuzzy_x_sim": float(kind == KIND_FUZZY) * h["sim"],
        "conflict_x_single": h["mcc_conflict"] and h["n_tokens"] == 1,
        "type_missing": t_kind is None, "type_online": t_kind == "online",
        "type_present": t_kind == "present", "type_abroad": t_kind == "abroad",
        "type_debit": t_kind == "debit", "type_transfer": t_kind == "transfer",
        "type_other": t_kind == "other",
        "online_x_present": h["is_online"] and t_kind == "present",
        "online_x_online": h["is_online"] and t_kind == "online",
        "store_x_online": h["source"] == "nsi" and t_kind == "online",
        "abroad_x_home": t_kind == "abroad" and h["country"] == "FR",
        "abroad_x_store": t_kind == "abroad" and h["source"] == "nsi",
        "curated_x_debit": h["source"] == "curated" and t_kind == "debit",
        "card_at_non_card": t_kind in CARD_KINDS and h["card_billing"] is False,
        "paid_to_money_in": (t_kind in CARD_KINDS or t_kind == "debit")
        and h["m_sub"] in MONEY_IN_LINES,
        "received_at_money_out": h["t_received"] and h["m_sub"] is not None
        and h["m_sub"] not in MONEY_IN_LINES,
        "refund_at_money_out": h["t_received"] and h["m_sub"] is not None
        and h["m_sub"] not in MONEY_IN_LINES and h["refund_word"],
        "odd_outside_log": _log1p(h["odd_outside"]),
        "no_odd_outside": h["odd_outside"] == 0, "next_link": h["next_link"],
        "plain_lead": plain and h["lead_cat"] is None,
        "lead_agrees": plain and h["lead_cat"] == h["m_cat"],
        "lead_disagrees": h["lead_cat"] is not None and h["lead_cat"] != h["m_cat"],
        "trade_alias_then_more": t_kind in CARD_KINDS and h["alias_cat"] is not None
        and h["m_cat"] is not None and h["alias_cat"] != h["m_cat"] and not at_end,
        "common_x_next_link": h["common"] and h["next_link"],
        "n_brands_cand_log": _log(h["n_brand_cand"]), "brand_share": h["brand_share"],
        "name_then_word": h["name_like"] and h["alias_cat"] is None and start == 0
        and not at_end
        and (t_kind is None or t_kind in CARD_KINDS) and h["trail_cat"] is None
        and h["odd_outside"] >= 1,
    }
    return [float(values[name]) for name in FEATURE_NAMES]
