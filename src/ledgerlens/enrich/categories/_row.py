"""``CategoryModel.predict`` for a handful of rows: the same features and decisions on
plain Python values.

A one-row Polars frame pays a fixed cost per query (about fifty of them in the table path,
15 ms for one transaction); here the text normalisation runs with Python's compiled regexes
and the decision rules in plain code, then the same hashing, linear scores, calibration,
scopes and evidence as the table path. Only text whose characters both regex engines read
alike takes this path (:func:`safe_text`); the tests check that it gives exactly the table
path's output.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ledgerlens.enrich._few_rows import with_values
from ledgerlens.enrich.categories._features import (
    _PAYMENT_RE,
    INTERMEDIARY_READ_AS,
    SURE_HINT,
    TEXT_COLUMNS,
    FeatureSpec,
)
from ledgerlens.enrich.categories._linear import softmax
from ledgerlens.enrich.categories._names import name_words_re
from ledgerlens.enrich.categories._rules import (
    CATEGORY_SCHEMA,
    MERCHANT_LINE_SCOPES,
    TRANSFER_LINES,
    TYPE_RULES,
    TYPE_SCOPES,
    scope_mask,
)
from ledgerlens.taxonomy import SUBCATEGORIES

if TYPE_CHECKING:
    import numpy.typing as npt

    from ledgerlens.enrich.categories._linear import LinearScorer
    from ledgerlens.enrich.categories._model import CategoryModel

__all__ = ["ROW_PATH_MAX_ROWS", "model_text", "predict_rows", "safe_text"]

#: Frames up to this many rows take the plain-value path.
ROW_PATH_MAX_ROWS = 4

# Printable ASCII and Latin-1 letters: on these, Rust's and Python's regexes, case
# mappings and NFKD decompositions agree.
_SAFE = frozenset(chr(i) for i in range(0x20, 0x7F)) | frozenset(
    chr(i) for i in range(0xC0, 0x100) if chr(i) not in "×÷")
_DIGIT_TOKEN = re.compile(r"\S*[0-9]\S*")
_NON_ASCII = re.compile(r"[^\x00-\x7F]")
_NON_LETTERS = re.compile(r"[^A-Z]+")
_PAYMENT = re.compile(_PAYMENT_RE)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"(\w+)")
_MCC_NONE = re.compile(r"\bM_none\b")
_LN2 = math.log(2.0)


def safe_text(*texts: object) -> bool:
    """Whether every text is None or made only of characters this path handles exactly."""
    return all(t is None or (isinstance(t, str) and _SAFE.issuperset(t)) for t in texts)


@functools.cache
def _names() -> re.Pattern[str]:
    return re.compile(name_words_re())


def model_text(value: str | None) -> str:
    """``model_text_expr`` of one string."""
    text = unicodedata.normalize("NFKD", (value or "")[:200]).upper()
    text = _DIGIT_TOKEN.sub(" ", _NON_ASCII.sub("", text))
    text = _PAYMENT.sub(" ", _NON_LETTERS.sub(" ", text))
    return _SPACES.sub(" ", _names().sub(" ", text)).strip()


def _amount_tokens(amount: object) -> str:
    """``_amount_code`` then ``_amount_tokens`` of one amount (null and NaN count as 0)."""
    value = 0.0 if amount is None else float(amount)  # type: ignore[arg-type]
    value = 0.0 if math.isnan(value) else value
    magnitude = abs(value)
    log_bin = (14 if math.isinf(magnitude)  # the query's log bin, clipped to 14
               else min(max(math.floor(math.log(magnitude + 1.0) / _LN2), 0), 14))
    if magnitude == 0:
        roundness = 3
    elif magnitude >= 10 and magnitude % 10 == 0:
        roundness = 2
    elif magnitude % 1 == 0:
        roundness = 1
    else:
        roundness = 0
    code = (1000 if value < 0 else 0) + roundness * 100 + log_bin
    sign = "d" if code >= 1000 else "c"
    suffix = {3: " A_zero", 2: " A_round10", 1: " A_int"}.get(roundness, "")
    return f"A_{sign}{code % 100}{suffix}"


def _read_as(intermediary: str | None) -> str | None:
    """``INTERMEDIARY_READ_AS`` of one value."""
    if intermediary is None:
        return None
    return INTERMEDIARY_READ_AS.get(intermediary, intermediary)


def _token(prefix: str, value: str | None) -> str:
    return prefix + ("none" if value is None else _SPACES.sub("_", value))


@dataclass(frozen=True, slots=True)
class _Row:
    text: str
    context: str
    type: str | None
    lines: str | None


def _key(row: Mapping[str, Any], source: str | None, has_amount: bool,
         mcc_subcategory: Mapping[str, str],
         mcc_read_as: Mapping[str, str] | None = None) -> _Row:
    """The feature key of one row, as ``unique_keys`` builds it."""
    src = row.get(source) if source else None
    text = model_text(_DIGIT_TOKEN.sub(" ", str(src)[:200]) if src is not None else "")
    merchant = None
    if "merchant_subcategory" in row:
        conf = row.get("merchant_confidence", 1.0)
        if (0.0 if conf is None else float(conf)) >= 0.5:
            merchant = row.get("merchant_subcategory")
    lines = row.get("merchant_lines")
    mer = (merchant if merchant in SUBCATEGORIES
           else "multi" if lines is not None else "none")
    mcc = row.get("mcc")
    amount = _amount_tokens(row.get("amount")) if has_amount else "A_none"
    cp = _WORD.sub(r"C_\1", model_text(row.get("counterparty_name")))
    hint = row.get("merchant_hint")
    hint_token = "MH_none"
    if hint in SUBCATEGORIES:
        hint_conf = row.get("merchant_confidence")
        weak = hint_conf is not None and float(hint_conf) < SURE_HINT
        hint_token = f"MH_{hint} MHW_{hint}" if weak else f"MH_{hint}"
    read = mcc if mcc is None or not mcc_read_as else mcc_read_as.get(mcc, mcc)
    parts = [_token("T_", row.get("transaction_type")), _token("M_", read),
             "MS_" + (mcc_subcategory.get(mcc, "none") if mcc is not None else "none"),
             _token("I_", _read_as(row.get("intermediary"))), amount, "MER_" + mer, hint_token, cp]
    if lines is not None:
        joined = lines.replace("|", "+")
        parts.append(f"ML_{joined} MA_{joined}_{amount.split(' ')[0][2:]}")
    return _Row(text, " ".join(parts).strip(), row.get("transaction_type"), lines)


_MASK = 2**64 - 1
_P = 0x100000001B3


def _bucket(data: bytes, start: int, end: int, salt: int, n_bits: int) -> int:
    """``segment_buckets`` of one byte segment, on Python integers."""
    h = 0
    for byte in data[start:end]:
        h = (h * _P + byte) & _MASK
    z = h ^ ((salt * 0x9E3779B97F4A7C15) & _MASK)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return (z ^ (z >> 31)) >> (64 - n_bits)


def _block(buckets: set[int], weight: float) -> dict[int, np.float32]:
    """One binary block, L2-normalised and scaled (``_normalised`` of one row)."""
    if not buckets:
        return {}
    value = np.float32(weight / math.sqrt(len(buckets)))
    return dict.fromkeys(buckets, value)


@functools.lru_cache(maxsize=4_096)
def _hashed_row(text: str, n_bits: int, char_ngrams: tuple[int, int] | None,
                word_ngrams: tuple[int, int], char_weight: float,
                word_weight: float) -> dict[int, np.float32]:
    """``hash_block([text], ...)`` computed on Python integers: the same buckets and the
    same float32 values (bucket -> value), without the batch machinery's fixed cost.
    Remembered for the last few thousand texts (a label's context, the type and amount
    words, recurs in most calls; 0.1-0.3 ms a text): callers read the mapping, never
    change it."""
    data = f" {text} ".encode()
    space = [b == 0x20 for b in data]
    chars: set[int] = set()
    if char_ngrams is not None:
        for n in range(char_ngrams[0], char_ngrams[1] + 1):
            for st in range(len(data) - n + 1):
                window = space[st:st + n]
                inner = any(window[1:-1]) if n > 2 else False
                if not inner and sum(window) < n:
                    chars.add(_bucket(data, st, st + n, n, n_bits))
    starts = [i + 1 for i in range(len(data) - 1) if space[i] and not space[i + 1]]
    ends = [i + 1 for i in range(len(data) - 1) if not space[i] and space[i + 1]]
    words: set[int] = set()
    for n in range(word_ngrams[0], word_ngrams[1] + 1):
        for st, en in zip(starts[:len(starts) - n + 1], ends[n - 1:], strict=True):
            if n > 1 or en - st >= 2:
                words.add(_bucket(data, st, en, 100 + n, n_bits))
    values = _block(chars, char_weight)
    for bucket, value in _block(words, word_weight).items():
        values[bucket] = values[bucket] + value if bucket in values else value
    return values


def _scores(scorer: LinearScorer, values: dict[int, np.float32]) -> npt.NDArray[np.float32]:
    """``(scorer.compact(row) @ scorer.weights).toarray()`` of one hashed row, bit for bit:
    the sparse product adds each known bucket's weights times its value, in bucket order,
    in float32 (here with numpy on the weight rows, without building sparse matrices)."""
    weights = scorer.weights
    out = np.zeros(weights.shape[1], dtype=np.float32)
    if not values:
        return out
    buckets = np.array(sorted(values), dtype=np.int64)
    rows = scorer.rows_of(buckets)
    known = rows >= 0
    if not known.any():
        return out
    rows = rows[known]
    scale = np.array([values[b] for b in buckets[known].tolist()], dtype=np.float32)
    # The weight entries of the known buckets, bucket after bucket; ``np.add.at`` adds them
    # one at a time in that order, as the sparse product does.
    lo, lengths = weights.indptr[rows], weights.indptr[rows + 1] - weights.indptr[rows]
    ends = np.cumsum(lengths)
    take = np.arange(int(ends[-1])) + np.repeat(lo - (ends - lengths), lengths)
    np.add.at(out, weights.indices[take], np.repeat(scale, lengths) * weights.data[take])
    return out


def _weight(scorer: LinearScorer, row: int, column: int) -> float:
    """``scorer.weights[row, column]`` read from the CSR arrays (0 for row -1 or a pruned
    weight), without scipy's indexing machinery."""
    if row < 0:
        return 0.0
    weights = scorer.weights
    lo, hi = int(weights.indptr[row]), int(weights.indptr[row + 1])
    hits = np.flatnonzero(weights.indices[lo:hi] == column)
    return float(weights.data[lo + hits].sum()) if hits.size else 0.0


def _top_words(model: CategoryModel, text: str, best: int) -> str:
    """Up to two label words that pushed most towards the chosen class."""
    scorer = model.scorer_
    words = [w for w in text.split(" ") if len(w) >= 2]
    if not words or scorer.feature_ids.size == 0:
        return ""
    vocab = list(dict.fromkeys(words))
    buckets = [_bucket(w.encode(), 0, len(w.encode()), 101, model.n_bits) for w in vocab]
    pos = scorer.rows_of(np.array(buckets, dtype=np.int64))
    weight = {w: _weight(scorer, p, best) for w, p in zip(vocab, pos.tolist(), strict=True)}
    ranked = sorted((w for w in words if weight[w] > 0), key=lambda w: -weight[w])
    return " ".join(list(dict.fromkeys(ranked))[:2])


def _scope_row(model: CategoryModel, type_: str) -> npt.NDArray[np.bool_]:
    """``model._scope_mask`` of one type (a copy: the caller narrows it)."""
    return _scope_of(tuple(model.classes_), type_).copy()


@functools.lru_cache(maxsize=256)
def _scope_of(classes: tuple[str, ...], type_: str) -> npt.NDArray[np.bool_]:
    """``scope_mask`` of one type, built once per classes and type."""
    return scope_mask(classes, np.array([type_]))


def _conf_text(conf: float) -> str:
    """Polars' ``round(2)`` (half away from zero) then cast to text."""
    return str(math.floor(conf * 100.0 + 0.5) / 100.0)


def _lines_row(model: CategoryModel, lines: str) -> npt.NDArray[np.bool_]:
    """``CategoryModel._lines_mask`` of one key's lines, on Python values: only the brand's
    lines when one of them is a class, every class otherwise."""
    allowed = set(lines.split("|"))
    row = np.array([c in allowed for c in model.classes_], dtype=bool)
    return row[None, :] if row.any() else np.ones((1, row.size), dtype=bool)


def _decide_key(model: CategoryModel, key: _Row) -> tuple[str, float, str]:
    """(subcategory, confidence, evidence) of the model for one key (``predict_keys``)."""
    scorer = model.scorer_
    spec = FeatureSpec(n_bits=model.n_bits)
    text = _hashed_row(key.text, spec.n_bits, spec.char_ngrams, spec.word_ngrams,
                       spec.char_weight, spec.word_weight)
    context = _hashed_row(key.context, spec.n_bits, None, (1, 1), 1.0, spec.context_weight)
    logits = _scores(scorer, text)  # ``logits_parts``' order: text, + context, + intercept
    logits += _scores(scorer, context)
    logits += scorer.intercept
    proba = softmax(logits[None, :], model.temperature_)
    mask = _scope_row(model, key.type or "")
    if key.lines is not None:
        mask &= _lines_row(model, key.lines)
    scoped = np.where(mask, proba, 0.0)
    total = scoped.sum(axis=1, keepdims=True)
    proba = np.where(total > 0, scoped / np.maximum(total, 1e-12), proba)
    best = int(proba[0].argmax())
    conf = float(proba[0, best])
    label = model.classes_[best]
    if key.text == "" and key.type is None and _MCC_NONE.search(key.context):
        return "uncategorised", 0.0, "rule: empty label"
    shown = _conf_text(conf)
    if conf < model.abstain_below:
        return "uncategorised", conf, f"model: unsure, best {label} ({shown})"
    words = _top_words(model, key.text, best)
    if words:
        return label, conf, f"model: words {words} ({shown})"
    return label, conf, f"model: context ({shown})"


def _decide(model: CategoryModel, row: Mapping[str, Any], key: _Row,
            has_merchant: bool) -> tuple[str, float, str]:
    """Type rule, then a merchant sure enough (``merchant_threshold``, or surer than the
    model), then the model (``predict``'s order)."""
    type_ = row.get("transaction_type")
    if type_ in TYPE_RULES:
        sub, evidence = TYPE_RULES[type_]
        return sub, 0.99, evidence
    if has_merchant:
        m_sub = row.get("merchant_subcategory")
        m_conf = row.get("merchant_confidence", 1.0)
        lines = TRANSFER_LINES.get(type_) if type_ is not None else None
        if lines is not None and m_sub in lines:
            m_sub = lines[m_sub]
        in_line_scope = (m_sub in SUBCATEGORIES and type_ in MERCHANT_LINE_SCOPES
                         and SUBCATEGORIES[m_sub].category in MERCHANT_LINE_SCOPES[type_])
        excluded = type_ in (*TYPE_SCOPES, "refund", "reversal") and not in_line_scope
        if m_sub in SUBCATEGORIES and m_conf is not None and not excluded:
            # The merchant's line when it is sure, or surer than the model's own answer, or
            # in its type's scope (MERCHANT_LINE_SCOPES).
            answer = (None if float(m_conf) >= model.merchant_threshold or in_line_scope
                      else _decide_key(model, key))
            if answer is not None and answer[1] >= float(m_conf):
                return answer
            name = row.get("merchant_name") if "merchant_name" in row else row.get("merchant_id")
            shown = "?" if name is None else name
            return m_sub, float(m_conf), f"merchant {shown} -> {m_sub}"
    return _decide_key(model, key)


def predict_rows(model: CategoryModel, frame: pl.DataFrame,
                 mcc_subcategory: Mapping[str, str]) -> pl.DataFrame | None:
    """``model.predict(frame)`` for a small frame, or None when a value is not plain text
    this path reads exactly (the caller then takes the table path)."""
    cols = set(frame.columns)
    source = next((name for name in TEXT_COLUMNS if name in cols), None)
    rows = [{k: (v if v is None or isinstance(v, (str, float, int)) else str(v))
             for k, v in row.items()} for row in frame.to_dicts()]
    # The merchant's name only goes into the evidence as it is: any text is read alike.
    text_fields = (source, "transaction_type", "mcc", "intermediary", "counterparty_name",
                   "merchant_subcategory", "merchant_lines", "merchant_hint")
    for row in rows:
        if not safe_text(*(row.get(f) for f in text_fields if f and f in row)):
            return None
    has_amount = "amount" in cols
    read_as = model.mcc_read_as()
    decided = [_decide(model, row, _key(row, source, has_amount, mcc_subcategory, read_as),
                       "merchant_subcategory" in cols) for row in rows]
    subs = [d[0] for d in decided]
    return with_values(frame, {
        "category": [SUBCATEGORIES[s].category for s in subs], "subcategory": subs,
        "category_confidence": [d[1] for d in decided],
        "category_evidence": [d[2] for d in decided]}, CATEGORY_SCHEMA)
