"""``MerchantMatcher.match`` of a few rows end to end in plain Python and numpy: the same
candidates, features, choice probabilities, calibration, thresholds and evidence as the
frame path (``_matcher``), without its Polars queries (each costs 0.2-1.5 ms whatever the
frame's size: most of a one-transaction call).

The floats go through the scorer's own numpy code (``MerchantScorer.linear_array``,
``choice``, ``calibrate``) in the same order, so the answers are the same bits; tested equal
row by row on synthetic labels (``tests/enrich/test_merchants_quick.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from ledgerlens.enrich.merchants._candidates import KIND_FUZZY, KIND_PREFIX
from ledgerlens.enrich.merchants._directory import MerchantDirectory, display_name
from ledgerlens.enrich.merchants._inputs import RowInputs
from ledgerlens.enrich.merchants._quick import (
    CARD_KINDS,
    feature_hits,
    features_of,
    hit_records_of,
)
from ledgerlens.enrich.merchants._scorer import FEATURE_NAMES, LINE_MARGIN, MerchantScorer

#: Lowest confidence at which an unreturned candidate still gives its line of business as a
#: hint to the category model (``merchant_hint``; below ``SURE_HINT`` it is marked weak, and
#: the model learns how far to trust each): ``LECLERC GUIPAVAS``, the chain in a town the
#: places list lacks, is a candidate at 0.46, and without the hint its words read fuel.
HINT_MIN_CONFIDENCE = 0.3

__all__ = ["ANSWER_COLUMNS", "quick_answers"]

#: The columns of ``quick_answers`` (``_matcher.MERCHANT_COLUMNS``' names).
ANSWER_COLUMNS = ("merchant_id", "merchant_name", "merchant_website", "merchant_confidence",
                  "merchant_category", "merchant_subcategory", "merchant_evidence",
                  "merchant_lines", "merchant_hint")


def _answer_attrs(directory: MerchantDirectory) -> dict[int, tuple[Any, ...]]:
    """merchant_idx -> (merchant_id, display name, website, category, subcategory)."""
    return {i: (mid, display_name(name), *rest) for i, mid, name, *rest
            in directory.merchants.select("merchant_idx", "merchant_id", "name", "website",
                                          "category", "subcategory").iter_rows()}


def _evidence(hit: dict[str, Any]) -> str | None:
    """``_matcher._evidence`` of one hit."""
    if hit["alias"] is None:
        return None
    kind = hit["kind"]
    head = ("truncated alias " if kind == KIND_PREFIX else
            "similar to alias " if kind == KIND_FUZZY else "alias ")
    where = " in counterparty" if hit["field"] == 1 else ""
    mcc = ("; MCC agrees" if hit["mcc_exact"] or hit["mcc_sub"] else
           "; MCC differs" if hit["mcc_conflict"] else "")
    return f'{head}"{hit["alias"]}"{where}{mcc}'


def _best(hits: list[dict[str, Any]], z: list[float],
          p: list[float]) -> dict[int, tuple[int, list[str]]]:
    """row_id -> (index of its best hit, the lines of business of its business's
    best-scored hits, within ``LINE_MARGIN``): ``MerchantScorer.top``'s sort by (``_p``,
    ``_z``, ``n_chars``) descending, then ``merchant_idx``."""
    best: dict[int, int] = {}
    for i, h in enumerate(hits):
        j = best.get(h["row_id"])
        if j is None or (p[i], z[i], h["n_chars"], -h["merchant_idx"]) > (
                p[j], z[j], hits[j]["n_chars"], -hits[j]["merchant_idx"]):
            best[h["row_id"]] = i
    top_z: dict[tuple[int, str], float] = {}
    for h, hit_z in zip(hits, z, strict=True):
        key = (h["row_id"], h["business_key"])
        top_z[key] = max(top_z.get(key, hit_z), hit_z)
    lines: dict[tuple[int, str], set[str]] = {}
    for h, hit_z in zip(hits, z, strict=True):
        key = (h["row_id"], h["business_key"])
        subs = lines.setdefault(key, set())
        if h["m_sub"] is not None and hit_z >= top_z[key] - LINE_MARGIN:
            subs.add(h["m_sub"])
    return {r: (i, sorted(lines[(r, hits[i]["business_key"])])) for r, i in best.items()}


def _codes(keys: Iterable[str]) -> npt.NDArray[np.int64]:
    """An integer code per key, the same for equal keys (first seen first)."""
    seen: dict[str, int] = {}
    return np.array([seen.setdefault(k, len(seen)) for k in keys], dtype=np.int64)


def quick_answers(rows: list[RowInputs], directory: MerchantDirectory, scorer: MerchantScorer,
                  *, fuzzy: bool, precision: float) -> dict[str, list[Any]]:
    """The ``ANSWER_COLUMNS`` values of each row, as ``MerchantMatcher.match`` gives them."""
    distinct: dict[tuple[str, str | None, str | None, str | None], int] = {}
    records: list[tuple[int, str | None, str | None, str, str, str | None]] = []
    for text, mcc, party, ttype, key, party_key in rows:
        if (text, mcc, party, ttype) not in distinct:
            distinct[(text, mcc, party, ttype)] = len(records)
            records.append((len(records), mcc, ttype, key, party_key, party))
    out: dict[str, list[Any]] = {c: [None] * len(rows) for c in ANSWER_COLUMNS}
    hits = feature_hits(hit_records_of(records, directory, fuzzy), directory)
    if not hits:
        return out
    x = np.array([features_of(h) for h in hits], dtype=np.float64)
    if scorer.feature_names != FEATURE_NAMES:
        x = x[:, [FEATURE_NAMES.index(n) for n in scorer.feature_names]]
    linear, row_ids = (scorer.linear_array(x),
                       np.array([h["row_id"] for h in hits], dtype=np.int64))
    z, _, _, p = scorer.choice(linear, row_ids, _codes(h["brand_key"] for h in hits))
    # The confidence reads the business's probability (``MerchantScorer.top``'s ``_pb``).
    pb = scorer.choice(linear, row_ids, _codes(h["business_key"] for h in hits))[3]
    best = _best(hits, z.tolist(), p.tolist())
    order = list(best)
    bare = [bool(hits[best[r][0]]["mcc_missing"]) and hits[best[r][0]]["t_kind"] in CARD_KINDS
            for r in order]
    transfer = [hits[best[r][0]]["t_kind"] == "transfer" for r in order]  # ``_TRANSFER``
    top_p: dict[int, float] = {}
    for h, hit_p in zip(hits, p.tolist(), strict=True):
        top_p[h["row_id"]] = max(top_p.get(h["row_id"], hit_p), hit_p)
    businesses: dict[int, set[str]] = {}
    for h, hit_p in zip(hits, p.tolist(), strict=True):
        if hit_p == top_p[h["row_id"]]:
            businesses.setdefault(h["row_id"], set()).add(h["business_key"])
    tied = [len(businesses[r]) for r in order]
    confidence = np.minimum(
        scorer.calibrate(np.array([pb[best[r][0]] for r in order], dtype=np.float64),
                         np.array(bare, dtype=np.bool_), np.array(transfer, dtype=np.bool_)),
        1.0 / np.array(tied, dtype=np.float64)).tolist()
    threshold, bare_threshold, transfer_threshold = (
        scorer.threshold_for(precision), scorer.bare_threshold_for(precision),
        scorer.transfer_threshold_for(precision))
    attrs = directory.cached("quick.answer_attrs", _answer_attrs)
    answers: dict[int, tuple[Any, ...]] = {}
    for r, is_bare, is_transfer, conf in zip(order, bare, transfer, confidence, strict=True):
        i, subs = best[r]
        hit = hits[i]
        lines = "|".join(subs)
        merchant_id, name, website, category, subcategory = attrs[hit["merchant_idx"]]
        # A brand with several lines of business that the label cannot tell apart: the
        # brand is known, its line is not (see ``MerchantMatcher.match``).
        sure = "|" not in lines
        if conf < (bare_threshold if is_bare else transfer_threshold if is_transfer
                   else threshold):
            hint = subcategory if sure and conf >= HINT_MIN_CONFIDENCE else None
            answers[r] = (None, None, None, conf, None, None, None, None, hint)
            continue
        answers[r] = (merchant_id, name, website, conf, category if sure else None,
                      subcategory if sure else None, _evidence(hit), None if sure else lines,
                      None)
    for n, (text, mcc, party, ttype, _, _) in enumerate(rows):
        answer = answers.get(distinct[(text, mcc, party, ttype)])
        if answer is not None:
            for column, value in zip(ANSWER_COLUMNS, answer, strict=True):
                out[column][n] = value
    return out
