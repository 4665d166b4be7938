"""Merchant discovery: unknown merchants that many customers pay become directory candidates.

Card and direct-debit transactions that the matcher left without a merchant are grouped
by a normalized key of their merchant text (no digits, punctuation, accents or payment
words). Keys are then linked and merged with connected components: a key that is a
character prefix of another (``BURGERS MAISON DU BOU`` / ``BURGERS MAISON DU BOURG``,
``CAB MED BERTRAND`` / ``CAB MED BERTRAND ST PIERRE``: a cut, a city, a second line), and
keys whose character 3-gram TF-IDF vectors are nearly the same (spacing, typos). Keys
that many others extend or resemble (``CABINET DENTAIRE``) link nothing, so different
merchants that share a start stay apart; one-word trade words (``RESTAURANT``) are
dropped. A group becomes a candidate only when at least ``min_customers`` distinct
customers paid it: the evidence that it is a real merchant, and a privacy guard (a name
seen at one customer may be a person). A person accepts candidates into the directory
with :func:`accept_candidates`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import polars as pl

from ledgerlens.exceptions import ConfigurationError, DataError

__all__ = [
    "CANDIDATE_COLUMNS",
    "DISCOVERED_COLUMNS",
    "accept_candidates",
    "discover_merchants",
    "discovery_key",
]

#: Transaction types whose label names a merchant worth discovering.
_MERCHANT_TYPES = ("card_in_store", "card_online", "card_contactless", "card_abroad",
                   "direct_debit")
# Payment words that a label cleaner may leave behind; never part of a merchant's name.
_NOISE = ("CB", "CARTE", "CARD", "PAIEMENT", "PAIEMT", "ACHAT", "FACT", "FACTURE", "PRLV",
          "PRELEVEMENT", "SEPA", "SANS", "CONTACT", "PSC", "NUMERO", "EUR", "EURO",
          "ECH", "REF", "MDT")
# Words a merged prefix may not end with (it would be a cut name, not a name).
_STOPWORDS = frozenset({"DU", "DE", "DES", "LA", "LE", "LES", "ET", "AU", "AUX", "EN", "SUR",
                        "ST", "STE", "SAINT", "SAINTE", "SARL", "SAS", "EURL", "ETS"})
_MIN_PREFIX_CHARS = 8
# A prefix key that more keys than this extend is a shared start, not one merchant's name.
_MAX_EXTENSIONS = 3
# A one-word key that is a word of more keys than this is a trade word, not a name.
_GENERIC_KEYS = 5
#: Cosine similarity of char 3-gram TF-IDF vectors above which two keys are merged.
SIMILARITY = 0.95
_MAX_EXAMPLES = 3
_MAX_ALIASES = 20

#: Columns of :func:`discover_merchants`.
CANDIDATE_COLUMNS: dict[str, pl.DataType] = {
    "candidate_id": pl.String(), "name": pl.String(), "examples": pl.List(pl.String()),
    "aliases": pl.List(pl.String()), "n_transactions": pl.UInt32(),
    "n_customers": pl.UInt32(), "mcc": pl.String(), "category": pl.String(),
    "subcategory": pl.String(), "amount_median": pl.Float64(),
}

#: Columns of :func:`accept_candidates` (those of the merchant directory).
DISCOVERED_COLUMNS: dict[str, pl.DataType] = {
    "merchant_id": pl.String(), "name": pl.String(), "website": pl.String(),
    "category": pl.String(), "subcategory": pl.String(), "mcc": pl.String(),
    "country": pl.String(), "source": pl.String(), "brand": pl.String(), "kind": pl.String(),
    "is_online": pl.Boolean(), "is_intermediary": pl.Boolean(),
    "aliases": pl.List(pl.String()),
}


def discovery_key(text: pl.Expr) -> pl.Expr:
    """The grouping key of a merchant text: upper-case ASCII letters, payment words dropped."""
    words = (text.cast(pl.String).fill_null("").str.slice(0, 200).str.to_uppercase()
             .str.normalize("NFKD").str.replace_all(r"\p{M}", "")
             .str.replace_all(r"[^A-Z]+", " ").str.strip_chars().str.split(" "))
    kept = words.list.eval(pl.element().filter(
        (pl.element() != "") & ~pl.element().is_in(list(_NOISE))))
    return kept.list.join(" ")


def _prefix_edges(keys: pl.DataFrame) -> pl.DataFrame:
    """(key index, prefix index): each key to its longest key that is a character prefix.

    Labels are cut at a fixed width, lose or gain spaces, and a city or a second line may
    follow the name, so ``BURGERS MAISON DU BOU``, ``ANIMALERIE DESAR PAU`` and ``CAB MED
    BERTRAND ST PIERRE`` are variants of a shorter key. Keys are compared without spaces;
    the shorter key must be ``_MIN_PREFIX_CHARS`` long and not end on a stopword, and be
    either the main form (seen by at least as many customers, extended by few keys) or a
    cut of the one key that extends it directly.
    """
    spans = (keys.select("_k", "compact", "nc",
                         n=pl.int_ranges(_MIN_PREFIX_CHARS, pl.col("compact").str.len_chars()))
             .explode("n").drop_nulls("n")
             .with_columns(prefix=pl.col("compact").str.slice(0, pl.col("n"))))
    targets = keys.filter(~pl.col("key").str.split(" ").list.last().is_in(list(_STOPWORDS)))
    joined = spans.join(targets.select(pl.col("_k").alias("_p"), pl.col("compact").alias("prefix"),
                                       pl.col("nc").alias("prefix_nc")), on="prefix")
    joined = joined.with_columns(n_ext=pl.col("_k").n_unique().over("_p"))
    # the main form absorbs its variants, unless many keys extend it: then it is a shared
    # start (CABINET DENTAIRE), not one name
    main = joined.filter((pl.col("prefix_nc") >= pl.col("nc"))
                         & (pl.col("n_ext") <= _MAX_EXTENSIONS))
    best = (main.sort(["_k", "n", "prefix_nc", "_p"], descending=[False, True, True, False])
            .unique("_k", keep="first", maintain_order=True).select("_k", "_p"))
    # a rarer key that one key alone extends directly is a cut of it (PODOLOGUE M ->
    # PODOLOGUE MICHEL; longer keys that pass through that one key do not count)
    direct = (joined.sort(["_k", "n", "_p"], descending=[False, True, False])
              .unique("_k", keep="first", maintain_order=True))
    cut = direct.filter((pl.col("_k").count().over("_p") == 1)
                        & (pl.col("prefix_nc") < pl.col("nc")))
    best = pl.concat([best, cut.select("_k", "_p")])
    # keys that differ only by spaces are one key
    same = (keys.with_columns(_p=pl.col("_k").min().over("compact"))
            .filter(pl.col("_p") != pl.col("_k")).select("_k", "_p"))
    return pl.concat([best, same])


def _generic_words(keys: pl.DataFrame) -> pl.Series:
    """One-word keys that are a word of many other keys (``RESTAURANT``, ``HOTEL``): a trade
    word left alone once the name was cut; they name no merchant."""
    single = keys.filter(~pl.col("key").str.contains(" "))
    words = (keys.select(pl.col("key").str.split(" ").list.unique().alias("word"))
             .explode("word").group_by("word").len())
    frequent = words.filter(pl.col("len") > _GENERIC_KEYS)["word"]
    return single.filter(pl.col("key").is_in(frequent.implode()))["key"]


def _similar_edges(keys: list[str], threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of keys whose char 3-gram TF-IDF cosine is at least ``threshold``."""
    if len(keys) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(analyzer="char", ngram_range=(3, 3), sublinear_tf=True,
                              dtype=np.float32).fit_transform(keys).tocsr()
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    step = max(64, 20_000_000 // len(keys))  # bounds one block's product (memory)
    transposed = vectors.T.tocsc()
    for start in range(0, vectors.shape[0], step):
        block = (vectors[start:start + step] @ transposed).tocoo()
        keep = (block.data >= threshold) & (block.row + start < block.col)
        rows.append(block.row[keep].astype(np.int64) + start)
        cols.append(block.col[keep].astype(np.int64))
    src, dst = np.concatenate(rows), np.concatenate(cols)
    # a key close to many keys is a shared start (CABINET DENTAIRE ~ ... D, ... B), no link
    degree = np.bincount(np.concatenate([src, dst]), minlength=len(keys))
    keep = (degree[src] <= _MAX_EXTENSIONS) & (degree[dst] <= _MAX_EXTENSIONS)
    return src[keep], dst[keep]


def _components(n: int, edges: Iterable[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Connected component label of each of ``n`` nodes (union-find over the edges)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    pairs = list(edges)
    src = np.concatenate([p[0] for p in pairs]) if pairs else np.empty(0, np.int64)
    dst = np.concatenate([p[1] for p in pairs]) if pairs else np.empty(0, np.int64)
    graph = coo_matrix((np.ones(src.size, np.int8), (src, dst)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def _candidate_id(aliases: list[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(aliases)).encode()).hexdigest()[:12]
    return f"cand:{digest}"


def discover_merchants(enriched: pl.DataFrame, *, min_customers: int = 5,
                       min_transactions: int = 10,
                       similarity: float = SIMILARITY) -> pl.DataFrame:
    """Candidate new merchants among unmatched card and direct-debit transactions.

    One row per candidate (columns :data:`CANDIDATE_COLUMNS`): a suggested ``name`` (the
    commonest spelling of its main form), up to three ``examples`` and up to twenty
    ``aliases`` (clean labels that at least two customers share, most customers first),
    how many transactions and distinct customers, the dominant ``mcc``, the most common
    predicted ``category``/``subcategory`` and the median amount. Groups seen by fewer
    than ``min_customers`` customers or ``min_transactions`` transactions are dropped.
    Sorted by customers, then transactions.
    """
    if min_customers < 2 or min_transactions < 1:
        raise ConfigurationError(
            "min_customers must be at least 2 (a name seen at one customer may be a person) "
            f"and min_transactions at least 1; got {min_customers} and {min_transactions}")
    if not 0.0 < similarity <= 1.0:
        raise ConfigurationError(f"similarity must be in (0, 1]; got {similarity}")
    text_col = next((c for c in ("merchant_text", "clean_label") if c in enriched.columns), None)
    if text_col is None or "customer_id" not in enriched.columns:
        raise DataError("merchant discovery needs customer_id and clean_label (or "
                        f"merchant_text) columns; got {', '.join(enriched.columns)}")
    rows = enriched
    if "merchant_id" in rows.columns:
        rows = rows.filter(pl.col("merchant_id").is_null())
    if "transaction_type" in rows.columns:
        rows = rows.filter(pl.col("transaction_type").cast(pl.String).is_in(_MERCHANT_TYPES))
    optional = {name: pl.col(name).cast(dtype) if name in rows.columns else pl.lit(None, dtype)
                for name, dtype in (("mcc", pl.String), ("subcategory", pl.String),
                                    ("category", pl.String), ("amount", pl.Float64))}
    rows = rows.select(
        text=pl.col(text_col).cast(pl.String).fill_null("").str.strip_chars(),
        customer_id=pl.col("customer_id").cast(pl.String),
        **optional,
    ).with_columns(key=discovery_key(pl.col("text"))).filter(pl.col("key") != "")
    if rows.is_empty():
        return pl.DataFrame(schema=CANDIDATE_COLUMNS)

    keys = rows.group_by("key").agg(pl.col("customer_id").n_unique().alias("nc"))
    keys = keys.filter(~pl.col("key").is_in(_generic_words(keys).implode()))
    keys = keys.sort("key").with_row_index("_k").with_columns(
        compact=pl.col("key").str.replace_all(" ", "", literal=True))
    key_list = keys["key"].to_list()
    prefix = _prefix_edges(keys)
    src, dst = _similar_edges(keys["compact"].to_list(), similarity)
    labels = _components(len(key_list), [
        (prefix["_k"].to_numpy().astype(np.int64), prefix["_p"].to_numpy().astype(np.int64)),
        (src, dst)])
    group_of = pl.DataFrame({"key": key_list, "group": labels})
    rows = rows.join(group_of, on="key")

    stats = rows.group_by("group").agg(
        n_transactions=pl.len().cast(pl.UInt32),
        n_customers=pl.col("customer_id").n_unique().cast(pl.UInt32),
        mcc=pl.col("mcc").drop_nulls().mode().sort().first(),
        subcategory=pl.col("subcategory").drop_nulls().mode().sort().first(),
        category=pl.col("category").drop_nulls().mode().sort().first(),
        amount_median=pl.col("amount").median(),
    ).filter((pl.col("n_customers") >= min_customers)
             & (pl.col("n_transactions") >= min_transactions))
    if stats.is_empty():
        return pl.DataFrame(schema=CANDIDATE_COLUMNS)
    kept = rows.join(stats.select("group"), on="group")
    order = ["group", "nc", "n", "text"], [False, True, True, False]
    # privacy: only spellings that two customers or more share are shown (a spelling seen
    # at one customer may carry that customer's name); a group with none is dropped
    texts = (kept.group_by("group", "key", "text")
             .agg(pl.col("customer_id").n_unique().alias("nc"), pl.len().alias("n"))
             .filter(pl.col("nc") >= 2).sort(order[0], descending=order[1]))
    # the name: the commonest spelling of the key most customers share (the main form)
    main_key = (kept.group_by("group", "key")
                .agg(pl.col("customer_id").n_unique().alias("key_nc"), pl.len().alias("key_n"))
                .sort(["group", "key_nc", "key_n", "key"], descending=[False, True, True, False])
                .unique("group", keep="first", maintain_order=True).select("group", "key"))
    names = (texts.join(main_key, on=["group", "key"]).sort(order[0], descending=order[1])
             .unique("group", keep="first", maintain_order=True)
             .select("group", main_name=pl.col("text")))
    texts = (texts.group_by("group", maintain_order=True)
             .agg(aliases=pl.col("text").head(_MAX_ALIASES))
             .join(names, on="group", how="left")
             .with_columns(name=pl.coalesce("main_name", pl.col("aliases").list.first())))
    out = stats.join(texts, on="group").with_columns(
        examples=pl.col("aliases").list.head(_MAX_EXAMPLES))
    # a subcategory voted for the group implies its category
    if out["subcategory"].null_count() < out.height:
        from ledgerlens.taxonomy import SUBCATEGORIES

        parents = {k: v.category for k, v in SUBCATEGORIES.items()}
        out = out.with_columns(category=pl.coalesce(
            pl.col("subcategory").replace_strict(parents, default=None, return_dtype=pl.String),
            pl.col("category")))
    ids = [_candidate_id(a) for a in out["aliases"].to_list()]
    out = out.with_columns(candidate_id=pl.Series(ids, dtype=pl.String))
    return (out.select([pl.col(c).cast(t) for c, t in CANDIDATE_COLUMNS.items()])
            .sort(["n_customers", "n_transactions", "candidate_id"],
                  descending=[True, True, False]))


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60].strip("-") or "merchant"


def accept_candidates(candidates: pl.DataFrame, ids: Iterable[str]) -> pl.DataFrame:
    """Directory rows (:data:`DISCOVERED_COLUMNS`) for the accepted candidates.

    ``merchant_id`` is ``disc:<slug of the name>`` (``-2``, ``-3`` ... when two names give
    the same slug), ``source`` is ``discovered``, ``aliases`` the candidate's clean labels.
    An id that is not among ``candidates`` is an error naming it.
    """
    wanted = list(dict.fromkeys(ids))
    missing = {"candidate_id", "name"} - set(candidates.columns)
    if missing:
        raise DataError(f"candidates need columns {sorted(missing)}; got {candidates.columns}")
    known = set(candidates["candidate_id"].to_list())
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise ConfigurationError(f"unknown candidate id(s) {', '.join(unknown)}; "
                                 f"{len(known)} candidate(s) are listed")
    chosen = candidates.filter(pl.col("candidate_id").is_in(wanted)).sort("candidate_id")
    seen: dict[str, int] = {}
    merchant_ids: list[str] = []
    for name in chosen["name"].to_list():
        slug = _slug(name or "")
        seen[slug] = seen.get(slug, 0) + 1
        merchant_ids.append(f"disc:{slug}" + (f"-{seen[slug]}" if seen[slug] > 1 else ""))

    def column(name: str) -> pl.Expr:
        dtype = DISCOVERED_COLUMNS[name]
        return (pl.col(name) if name in chosen.columns else pl.lit(None)).cast(dtype).alias(name)

    return chosen.select(
        pl.Series("merchant_id", merchant_ids, dtype=pl.String), column("name"),
        pl.lit(None, pl.String).alias("website"), column("category"), column("subcategory"),
        column("mcc"), pl.lit(None, pl.String).alias("country"),
        pl.lit("discovered").alias("source"), pl.lit(None, pl.String).alias("brand"),
        pl.lit("local").alias("kind"), pl.lit(False).alias("is_online"),
        pl.lit(False).alias("is_intermediary"),
        (pl.col("aliases") if "aliases" in chosen.columns
         else pl.concat_list(pl.col("name"))).cast(pl.List(pl.String)).alias("aliases"),
    )
