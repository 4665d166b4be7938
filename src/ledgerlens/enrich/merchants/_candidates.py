"""Candidate merchants for label texts: alias n-gram join, truncated prefixes, char n-grams.

Works on *unique* texts. Every contiguous run of 1 to ``MAX_GRAM`` words of a text is
joined against a table holding each alias and each truncated form of an alias (the last
word cut short, as a bank cutting a line at 32 or 50 characters leaves it): one hash
join does the work of an Aho-Corasick automaton over the whole directory; two or three
words glued together are joined against the one-word aliases (``JOUE CLUB`` -> ``JOUECLUB``).
Texts with no hit get their best character 3-gram TF-IDF neighbours among all aliases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ledgerlens.enrich._clean import town_names
from ledgerlens.enrich._clean_vocab import FOREIGN_CITIES, numbered_name_regex
from ledgerlens.enrich.merchants._char_tfidf import CharTfidf
from ledgerlens.enrich.merchants._directory import (
    NAME_PARTICLES,
    PERSON_TITLES,
    MerchantDirectory,
    english_words,
    trail_word_categories,
    trail_word_lines,
)

if TYPE_CHECKING:
    from scipy import sparse

__all__ = [
    "CANDIDATE_SCHEMA",
    "FAMILY_LINKS",
    "FAMILY_WORDS",
    "KIND_EXACT",
    "KIND_FUZZY",
    "KIND_PREFIX",
    "MAX_GRAM",
    "MAX_TOKENS",
    "REFUND_WORDS",
    "candidates",
    "family_firm_at",
    "match_key_expr",
]

MAX_GRAM = 6
MAX_TOKENS = 48
_MAX_CHARS = 400
KIND_EXACT, KIND_PREFIX, KIND_FUZZY = 0, 1, 2
_MIN_FIRST_PREFIX = 4  # a lone cut word must keep 4 letters (MONOP -> MONOPRIX)
_FUZZY_MIN_SIM = 0.55
_FUZZY_TOP = 3
_GLUED_MIN_CHARS = 6  # a one-word alias a label splits: JOUE CLUB -> JOUECLUB
_GLUED_MAX_WORDS = 3
#: Words a split name does not start with: after an article the words are a phrase, and
#: most often a town's (``MILLY LA FORET`` is no estate agent LAFORET, ``LE ROI`` no
#: LEROI); a brand named with its article has that spelling as its own alias (LA HALLE).
GLUED_NOT_FIRST = frozenset({"LA", "LE", "LES", "DU", "DES", "DE", "AU", "AUX"})

#: Columns of ``candidates``: one row per (text, merchant, alias occurrence).
CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    "text_id": pl.UInt32(), "merchant_idx": pl.UInt32(), "alias": pl.String(),
    "kind": pl.Int8(), "sim": pl.Float64(), "start": pl.Int32(), "n_gram": pl.Int32(),
    "key_tokens": pl.Int32(), "key_chars": pl.Int32(), "odd_outside": pl.Int32(),
    "next_link": pl.Boolean(), "lead_tok": pl.String(), "trail_cat": pl.String(),
    "refund_word": pl.Boolean(), "refund_lead": pl.Int32(), "next_english": pl.Boolean(),
    "title_outside": pl.Boolean(), "trail_sub": pl.String(), "title_before": pl.Boolean(),
}
_LINKS = ["DE", "DU", "D", "DES"]
#: A name followed by these words is a family firm's surname, not a brand: ``PICARD ET
#: FILS`` is no Picard frozen-food shop, ``MARTIN FRERES`` no Martin chain (the synthetic
#: banks write no such name, so the scorer cannot have learnt it). ``FAMILY_WORDS`` right
#: after the hit, or ``FAMILY_LINKS`` then ``FAMILY_WORDS`` or ``ASSOCIES``; a brand whose
#: name holds them has them in its alias (``MARIAGE FRERES``) and keeps its hit.
FAMILY_WORDS: frozenset[str] = frozenset({"FILS", "FRERES", "CIE", "SOEURS"})
FAMILY_LINKS: frozenset[str] = frozenset({"ET", "&"})
_PARTNERS: frozenset[str] = FAMILY_WORDS | {"ASSOCIES"}
#: Words by which a business says it pays money back (a true-up, a claim, a returned
#: order): ``refund_word`` of a text that holds one. An online seller's refund motif is
#: often English or the seller's language (``/DE BOOKING.COM /MOTIF REFUND``: an unknown
#: word beside the name had cut Booking.com's confidence from 0.98 to 0.05).
REFUND_WORDS: frozenset[str] = frozenset({
    "REMBOURSEMENT", "REMBOURSEMENTS", "REMB", "REMBT", "AVOIR", "TROP", "PERCU",
    "REGULARISATION", "REGUL", "INDEMNISATION", "INDEMNITE", "RESTITUTION", "RETOUR",
    "ANNULATION", "SINISTRE", "INDU", "INDUS",
    "REFUND", "REFUNDS", "REFUNDED", "RIMBORSO", "ERSTATTUNG", "RUECKERSTATTUNG",
    "DEVOLUCION", "TERUGBETALING", "TERUGSTORTING"})
_HIT_SCHEMA = {k: v for k, v in CANDIDATE_SCHEMA.items()
               if k not in ("odd_outside", "next_link", "lead_tok", "trail_cat", "refund_word",
                            "refund_lead", "next_english", "title_outside",
                            "trail_sub", "title_before")}

# Bank noise that splits or hides names: dates, times, card references, long numbers.
_DATE = r"\b\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?\b"
_TIME = r"\b\d{1,2}H\d{2}\b"
_CARD = r"\b\d{4}X{2,}\d{2,4}\b|\bX+\d{4}\b|\bCB\*\d{4}\b"


#: Numbers of 3 digits or more (store and reference numbers), unless one of a numbered
#: chain name (``OPTIC 2000``, kept as is).
NUMBER_OR_NAME = numbered_name_regex(spaced=" ") + r"|\b\d{3,}\b"
#: Four or three initials written with dots (``S.A.R.L.``, ``S.C.A``: a company's legal
#: form) are one word: spaced out, their letters would spell another merchant's alias
#: (``S C A`` holds C&A's ``C A``). Each regex's groups are the letters; longest first.
_DOTTED_SIZES = (4, 3)
DOTTED_INITIALS: tuple[str, ...] = tuple(
    r"\b" + r"\.".join(["([A-Z])"] * n) + r"\b" for n in _DOTTED_SIZES)


def match_key_expr(expr: pl.Expr) -> pl.Expr:
    """The text a label is matched on: canonical words without dates, times, card
    references and numbers of 3 digits or more (store and reference numbers)."""
    upper = (
        expr.fill_null("").str.slice(0, _MAX_CHARS)
        .str.replace_all("[œŒ]", "OE").str.replace_all("[æÆ]", "AE")
        .str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
        .str.to_uppercase()
    )
    text = upper.str.replace_all(_DATE, " ").str.replace_all(_TIME, " ").str.replace_all(
        _CARD, " ")
    for pattern, n in zip(DOTTED_INITIALS, _DOTTED_SIZES, strict=True):
        text = text.str.replace_all(pattern, "".join(f"${{{i}}}" for i in range(1, n + 1)))
    return (
        text
        .str.replace_all("&", " & ", literal=True)
        .str.replace_all(r"[^A-Z0-9&]+", " ")
        # a numbered chain name keeps its number (groups 1 and 2 are empty otherwise)
        .str.replace_all(NUMBER_OR_NAME, "${1} ${2}")
        .str.replace_all(r" {2,}", " ")
        .str.strip_chars()
    )


#: A person's titles, a doctor's included: no cut form of an alias that opens with them
#: alone is made (``DR MART`` is Dr Martin's surgery cut at 32 characters, not Dr. Martens).
_TITLES = PERSON_TITLES | {"DR", "DOCTEUR", "PR", "PROFESSEUR"}


def _prefix_rows(aliases: pl.DataFrame, lexicon: frozenset[str]) -> pl.DataFrame:
    """Truncated forms of aliases (rows ``_a``, ``alias``, ``n_chars``): ``t1 .. t(j-1) p``
    with ``p`` a proper prefix of ``tj``; ``sim`` is the share of the alias's letters kept.

    A cut is left out when its whole words are articles and particles only (or none) and
    it cuts a word of ``lexicon`` or keeps one (``LE PARIS`` of ``LE PARISIEN``: a pastry
    shop named ``LE PARIS BREST`` was a cut newspaper on 245 rows of the demo bank), or when
    its whole words are all common and it keeps fewer
    than three letters of the cut word: ``BOULANGERI``, ``INSTITU``, ``L ATELI``, ``AU P``,
    ``RISTORANTE DE`` name no chain (a shop's trade word, cut at 32 characters, was
    Boulangerie Feuillette; ``ZETTLE_*AU P`` Au Pain de mon Grand-Pere on 207 rows of the demo
    bank, ``PIZZERIA RISTORANTE DE ...`` Ristorante Del Arte on 319). ``INTERMARCH``,
    ``LEROY MERL`` and ``LA HALLE AUX CHAUSS`` stay."""
    grams: list[str] = []
    alias_ids: list[int] = []
    sims: list[float] = []
    lengths: list[int] = []
    rows = aliases.select("_a", "alias", "n_chars").iter_rows()
    seen: set[tuple[str, int]] = set()
    for a, alias, n_chars in rows:
        tokens = alias.split(" ")
        kept = 0
        for j, token in enumerate(tokens):
            if j and all(t in _TITLES for t in tokens[:j]):
                break  # a cut name after a title is a person's (DR MART: Dr Martin)
            lo = 1 if j else _MIN_FIRST_PREFIX
            head = " ".join(tokens[:j])
            plain_head = all(t in NAME_PARTICLES for t in tokens[:j])
            common_head = all(t in NAME_PARTICLES or t in lexicon for t in tokens[:j])
            for p in range(lo, len(token)):
                if ((plain_head and (token in lexicon or token[:p] in lexicon))
                        or (common_head and p < 3)):
                    continue
                gram = f"{head} {token[:p]}" if head else token[:p]
                if (gram, a) not in seen:
                    seen.add((gram, a))
                    grams.append(gram)
                    alias_ids.append(a)
                    sims.append((kept + p) / max(n_chars, 1))
                    lengths.append(j + 1)
            kept += len(token)
    return pl.DataFrame({"gram": grams, "_a": alias_ids, "sim": sims, "n_gram": lengths},
                        schema={"gram": pl.String, "_a": pl.UInt32, "sim": pl.Float64,
                                "n_gram": pl.Int32})


def _lookup(directory: MerchantDirectory) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(gram -> alias row) table for exact and prefix hits, and the set of first words."""
    aliases = directory.aliases.select("alias", "merchant_idx", "n_tokens").with_row_index("_a")
    exact = aliases.select(gram="alias", _a="_a", sim=pl.lit(1.0), n_gram="n_tokens",
                           kind=pl.lit(KIND_EXACT, pl.Int8))
    # Glued and squashed spellings are not cut: their prefixes are ordinary words.
    cuttable = directory.aliases.with_row_index("_a").filter(
        ~pl.col("derived") | (pl.col("n_tokens") > 1))
    prefix = _prefix_rows(cuttable, directory.lexicon).with_columns(
        kind=pl.lit(KIND_PREFIX, pl.Int8))
    # A lone word of the language is that word, not a name cut after it: LAVAGE AUTO is a
    # car wash, not 4 letters of AUTOROUTES DU SUD DE LA FRANCE (MONOP is Monoprix cut).
    prefix = prefix.filter((pl.col("n_gram") > 1)
                           | ~pl.col("gram").is_in(sorted(directory.lexicon)))
    # Nor is a cut that spells a town's name: ``NEW YORK PIZZA`` is no cut New Yorker,
    # ``ROMA PIZZA`` no cut Romantik Hotels, ``TUNIS`` no cut Tunisair.
    prefix = prefix.filter(~pl.col("gram").is_in(sorted(town_names() | set(FOREIGN_CITIES))))
    # A truncated form that is itself an alias of the same merchant adds nothing.
    table = pl.concat([exact, prefix.select(exact.columns)]).unique(["gram", "_a"],
                                                                    keep="first")
    table = table.join(aliases.select("_a", "alias", "merchant_idx"), on="_a").drop("_a")
    firsts = table.select(tok=pl.col("gram").str.split(" ").list.first()).unique()
    return table, firsts


def _glued_lookup(directory: MerchantDirectory) -> pl.DataFrame:
    """One-word aliases of ``_GLUED_MIN_CHARS`` letters or more (``JOUECLUB``,
    ``MCDONALDS``), which a label may split in two or three words (``JOUE CLUB``,
    ``MC DONALDS``): rows ``gram``, ``alias``, ``merchant_idx``."""
    return directory.aliases.filter(
        (pl.col("n_tokens") == 1) & (pl.col("n_chars") >= _GLUED_MIN_CHARS)
        & pl.col("alias").str.contains(r"[A-Z]")
    ).select(gram="alias", alias="alias", merchant_idx="merchant_idx").unique(
        maintain_order=True)


def _tokens(keys: pl.DataFrame, common: pl.Series) -> pl.DataFrame:
    """One row per (text, word) with ``odd`` (a distinctive word: 3+ characters, not a
    number, not a common word or cut common word, not one of ``REFUND_WORDS``: the
    ``REMBT TROP PERCU`` before ``EDF`` says why the biller pays, it names no rival) and
    its running count ``cum_odd``."""
    words = pl.col("key").str.split(" ").list.head(MAX_TOKENS)
    tokens = (
        keys.filter(pl.col("key") != "")
        .select("text_id", tok=words, pos=pl.int_ranges(0, words.list.len(), dtype=pl.Int32),
                key_tokens=words.list.len().cast(pl.Int32),
                key_chars=pl.col("key").str.replace_all(" ", "", literal=True).str.len_chars()
                .cast(pl.Int32))
        .explode("tok", "pos")
    )
    odd = ((pl.col("tok").str.len_chars() >= 3) & ~pl.col("tok").str.contains(r"^\d+$")
           & ~pl.col("tok").is_in(common.implode())
           & ~pl.col("tok").is_in(sorted(REFUND_WORDS))).cast(pl.Int32)
    return tokens.with_columns(odd=odd).with_columns(
        cum_odd=pl.col("odd").cum_sum().over("text_id"),
        odd_total=pl.col("odd").sum().over("text_id").cast(pl.Int32))


def _context(hits: pl.DataFrame, tokens: pl.DataFrame) -> pl.DataFrame:
    """Add ``odd_outside`` (distinctive words of the text outside the hit),
    ``next_link`` (the hit is followed by DE/DU/D/DES: a longer name goes on),
    ``next_english`` (the word right after the hit is an everyday English word: ``KIDS``
    of ``DISCOVERY KIDS``), ``lead_tok`` (the word right before the hit: ``FROMAGERIE``
    of ``FROMAGERIE MARCEL``), ``trail_cat`` (the category of the text's last trade word
    when it comes after the hit: ``KEBAB`` of ``STAR KEBAB``, see
    ``trail_word_categories``), ``refund_word`` (the text holds one of ``REFUND_WORDS``),
    ``refund_lead`` (how many of them open the text: ``REMBT TROP PERCU EDF`` names
    EDF first all the same), ``title_outside`` (a person's title, ``PERSON_TITLES``,
    stands elsewhere than the hit's first word: ``COACH SPORTIF MME SAMIRA``, ``WEEKEND M
    GREGORY`` where a cut alias took the title's letter; ``M BRICOLAGE`` has none) and
    ``trail_sub`` (the line of that last trade word when it names one, ``trail_word_lines``:
    ``EARL`` of ``LECLERC EARL``) and ``title_before`` (a person's title stands before the
    hit: ``MME ANNE DURAND VENTE LEBONCOIN``)."""
    at_start = tokens.select("text_id", start="pos", _o0="odd", _c0="cum_odd",
                             odd_total="odd_total")
    trade = tokens.select(
        "text_id", "pos", _tc=pl.col("tok").replace_strict(
            trail_word_categories(), default=None, return_dtype=pl.String),
        _ts=pl.col("tok").replace_strict(
            trail_word_lines(), default=None, return_dtype=pl.String),
    ).drop_nulls("_tc").group_by("text_id").agg(pl.all().sort_by("pos").last())
    at_end = tokens.select("text_id", _end=pl.col("pos") + 1, _c1="cum_odd")
    after = tokens.select("text_id", _end="pos", next_link=pl.col("tok").is_in(_LINKS),
                          next_english=pl.col("tok").is_in(sorted(english_words())))
    is_refund = pl.col("tok").is_in(sorted(REFUND_WORDS))
    refund = tokens.group_by("text_id").agg(
        refund_word=is_refund.any(),
        refund_lead=((~is_refund).sort_by("pos").cum_sum() == 0).sum().cast(pl.Int32))
    before = tokens.select("text_id", start=pl.col("pos") + 1, lead_tok="tok")
    titles = tokens.filter(pl.col("tok").is_in(sorted(PERSON_TITLES))).group_by(
        "text_id").agg(_tf=pl.col("pos").min(), _tl=pl.col("pos").max())
    return (
        hits.with_columns(_end=pl.col("start") + pl.col("n_gram"))
        .join(at_start, on=["text_id", "start"], how="left")
        .join(at_end, on=["text_id", "_end"], how="left")
        .join(after, on=["text_id", "_end"], how="left")
        .join(before, on=["text_id", "start"], how="left")
        .join(trade, on="text_id", how="left")
        .join(refund, on="text_id", how="left")
        .join(titles, on="text_id", how="left")
        .with_columns(
            title_outside=((pl.col("_tf") != pl.col("start")) | (pl.col("_tl") != pl.col("start")))
            .fill_null(False),
            title_before=(pl.col("_tf") < pl.col("start")).fill_null(False),
            refund_word=pl.col("refund_word").fill_null(False),
            refund_lead=pl.col("refund_lead").fill_null(0),
            odd_outside=(pl.col("odd_total") - (pl.col("_c1") - pl.col("_c0") + pl.col("_o0")))
            .clip(0, None).fill_null(0).cast(pl.Int32),
            next_link=pl.col("next_link").fill_null(False),
            next_english=pl.col("next_english").fill_null(False),
            trail_cat=pl.when(pl.col("pos") >= pl.col("_end")).then(pl.col("_tc")),
            trail_sub=pl.when(pl.col("pos") >= pl.col("_end")).then(pl.col("_ts")))
        .drop("_end", "_o0", "_c0", "_c1", "odd_total", "pos", "_tc", "_tf", "_tl", "_ts")
    )


def _gram_hits(tokens: pl.DataFrame, table: pl.DataFrame,
               firsts: pl.DataFrame) -> pl.DataFrame:
    shifted = tokens.with_columns(
        *(pl.col("tok").shift(-k).alias(f"_t{k}") for k in range(1, MAX_GRAM)),
        *(pl.col("text_id").shift(-k).alias(f"_i{k}") for k in range(1, MAX_GRAM)),
    ).join(firsts, on="tok", how="semi")
    frames = []
    for n in range(1, MAX_GRAM + 1):
        parts = [pl.col("tok"), *(pl.col(f"_t{k}") for k in range(1, n))]
        conds = [pl.col(f"_i{k}") == pl.col("text_id") for k in range(1, n)]
        ok = pl.all_horizontal(conds).fill_null(False) if conds else pl.repeat(True, pl.len())
        frames.append(shifted.filter(ok).select(
            "text_id", "key_tokens", "key_chars", start="pos",
            gram=pl.concat_str(parts, separator=" "), n_gram=pl.lit(n, pl.Int32)))
    grams = pl.concat(frames)
    return grams.join(table, on=["gram", "n_gram"], how="inner").select(
        "text_id", "merchant_idx", "alias", "kind", "sim", "start", "n_gram",
        "key_tokens", "key_chars")


def _glued_hits(tokens: pl.DataFrame, glued: pl.DataFrame,
                hits: pl.DataFrame) -> pl.DataFrame:
    """Exact hits of a one-word alias on two or three consecutive words glued together,
    the last of them two letters or more and the first no article (``GLUED_NOT_FIRST``),
    unless the same merchant already has a hit on the same words (``LEROY MERLIN`` is its
    own alias; ``LEROYMERLIN`` adds nothing there) or an exact one of several words within
    them (``GOOGLE YOUTUBE PREMIUM``: its spaced aliases ``YOUTUBE PREMIUM`` and ``GOOGLE
    YOUTUBE`` say it; the glued ``GOOGLEYOUTUBEPREMIUM``, a one-word alias the scorer
    trusts little, had been kept as the stronger evidence and returned no merchant)."""
    shifted = tokens.with_columns(
        *(pl.col("tok").shift(-k).alias(f"_t{k}") for k in range(1, _GLUED_MAX_WORDS)),
        *(pl.col("text_id").shift(-k).alias(f"_i{k}") for k in range(1, _GLUED_MAX_WORDS)))
    frames = []
    for n in range(2, _GLUED_MAX_WORDS + 1):
        parts = [pl.col("tok"), *(pl.col(f"_t{k}") for k in range(1, n))]
        ok = pl.all_horizontal([pl.col(f"_i{k}") == pl.col("text_id")
                                for k in range(1, n)]).fill_null(False)
        # A name is not split before its last letter: LE BAR A is no LEBARA (a lone first
        # letter is: C DISCOUNT, E LECLERC).
        ok = (ok & (pl.col(f"_t{n - 1}").str.len_chars() >= 2)
              & ~pl.col("tok").is_in(sorted(GLUED_NOT_FIRST)))
        frames.append(shifted.filter(ok).select(
            "text_id", "key_tokens", "key_chars", start="pos",
            gram=pl.concat_str(parts, separator=""), n_gram=pl.lit(n, pl.Int32)))
    found = pl.concat(frames).join(glued, on="gram", how="inner").select(
        "text_id", "merchant_idx", "alias", kind=pl.lit(KIND_EXACT, pl.Int8),
        sim=pl.lit(1.0), start="start", n_gram="n_gram", key_tokens="key_tokens",
        key_chars="key_chars")
    found = found.join(hits, on=["text_id", "merchant_idx", "start", "n_gram"], how="anti")
    spaced = hits.filter((pl.col("kind") == KIND_EXACT) & (pl.col("n_gram") >= 2)).select(
        "text_id", "merchant_idx", s2="start", e2=pl.col("start") + pl.col("n_gram"))
    within = found.join(spaced, on=["text_id", "merchant_idx"]).filter(
        (pl.col("s2") >= pl.col("start")) & (pl.col("e2") <= pl.col("start") + pl.col("n_gram")))
    return found.join(within.select("text_id", "merchant_idx", "start", "n_gram").unique(),
                      on=["text_id", "merchant_idx", "start", "n_gram"], how="anti")


def _distinct_aliases(directory: MerchantDirectory) -> pl.DataFrame:
    """Aliases with a word that is not a common word (``common`` false): rows ``alias``."""
    return directory.aliases.filter(~pl.col("common")).select("alias").unique()


def _without_stray_cuts(hits: pl.DataFrame, distinct: pl.DataFrame) -> pl.DataFrame:
    """Drop a merchant's truncated-alias hits when it has no exact hit in the text and
    another merchant's distinctive exact hit lies outside them, or spells the very same
    words: ``AUTOROUTE APRR`` is APRR, ``AUTOROUTE`` no cut ``AUTOROUTES DU SUD DE LA
    FRANCE``; ``AMAZON FR`` is Amazon's name, no cut ``AMAZON FRESH``."""
    exact = hits.filter(pl.col("kind") == KIND_EXACT)
    anchors = exact.join(distinct, on="alias", how="semi").select(
        "text_id", _m="merchant_idx", _s="start", _e=pl.col("start") + pl.col("n_gram"))
    cuts = hits.filter(pl.col("kind") == KIND_PREFIX).join(
        exact.select("text_id", "merchant_idx").unique(), on=["text_id", "merchant_idx"],
        how="anti")
    keys = ["text_id", "merchant_idx", "alias", "start", "n_gram"]
    stray = cuts.join(anchors, on="text_id").filter(
        (pl.col("_m") != pl.col("merchant_idx"))
        & ((pl.col("_e") <= pl.col("start"))
           | (pl.col("_s") >= pl.col("start") + pl.col("n_gram"))
           | ((pl.col("_s") == pl.col("start"))
              & (pl.col("_e") == pl.col("start") + pl.col("n_gram"))))).select(keys).unique()
    return hits.join(stray, on=keys, how="anti", maintain_order="left")


def family_firm_at(tokens: list[str], end: int) -> bool:
    """Whether the words from ``end`` on name a family firm (``FAMILY_WORDS``): a hit
    ending there is the family's surname."""
    word = tokens[end] if end < len(tokens) else None
    after = tokens[end + 1] if end + 1 < len(tokens) else None
    return word in FAMILY_WORDS or (word in FAMILY_LINKS and after in _PARTNERS)


def _without_family_firms(hits: pl.DataFrame, tokens: pl.DataFrame) -> pl.DataFrame:
    """Drop the hits that end right before a family firm's words (``family_firm_at``)."""
    # The next word of the same text (tokens come in text and word order): no window.
    after = pl.when(pl.col("text_id").shift(-1) == pl.col("text_id")).then(
        pl.col("tok").shift(-1))
    firms = tokens.filter(pl.col("tok").is_in(sorted(FAMILY_WORDS))
                          | (pl.col("tok").is_in(sorted(FAMILY_LINKS))
                             & after.is_in(sorted(_PARTNERS)).fill_null(False)))
    if firms.height == 0 or hits.height == 0:
        return hits
    return hits.join(firms.select("text_id", _end="pos"), left_on=[
        "text_id", pl.col("start") + pl.col("n_gram")], right_on=["text_id", "_end"],
        how="anti", maintain_order="left")


def _common_words(directory: MerchantDirectory) -> pl.Series:
    """Lexicon words and their cut forms (4+ letters of a 5+ letter word: ``AUBERVIL``)."""
    words = set(directory.lexicon)
    for word in directory.lexicon:
        words.update(word[:p] for p in range(4, len(word)) if len(word) >= 5)
    return pl.Series("tok", sorted(words), dtype=pl.String)


def _tfidf(directory: MerchantDirectory) -> tuple[CharTfidf, sparse.csr_matrix, np.ndarray]:
    """The aliases' TF-IDF model, its alias columns (one row per 3-gram) and the aliases."""
    unique = directory.aliases.select("alias").unique(maintain_order=True)
    unique = unique.filter(pl.col("alias").str.len_chars() >= 4)
    model, matrix = CharTfidf.fit(unique["alias"].to_list())
    return model, matrix.T.tocsr(), unique["alias"].to_numpy()


def _fuzzy_hits(tokens: pl.DataFrame, directory: MerchantDirectory) -> pl.DataFrame:
    """Best char-3-gram TF-IDF aliases of each 1-3 word window of distinctive (``odd``)
    words; each distinct window is searched once."""
    words = tokens.filter(pl.col("odd") == 1)
    if words.height == 0:
        return pl.DataFrame(schema=_HIT_SCHEMA)
    windows = []
    for n in (1, 2, 3):
        parts = [pl.col("tok").shift(-k) for k in range(n)]
        conds = [(pl.col("text_id").shift(-k) == pl.col("text_id"))
                 & (pl.col("pos").shift(-k) == pl.col("pos") + k) for k in range(1, n)]
        ok = pl.all_horizontal(conds).fill_null(False) if conds else pl.repeat(
            True, pl.len())
        # The window's words are read before the filter: after it, the next row may be
        # another text's word.
        windows.append(words.select(
            "text_id", "key_tokens", "key_chars", start="pos",
            gram=pl.concat_str(parts, separator=" "), n_gram=pl.lit(n, pl.Int32), _ok=ok)
            .filter("_ok").drop("_ok"))
    win = pl.concat(windows).filter(pl.col("gram").is_not_null()).unique(
        ["text_id", "gram"], keep="first", maintain_order=True)
    model, alias_t, names = directory.cached("candidates.tfidf", _tfidf)
    distinct = win.select("gram").unique(maintain_order=True)
    grams = distinct["gram"].to_list()
    best_idx = np.zeros(len(grams), dtype=np.int64)
    best_sim = np.zeros(len(grams), dtype=np.float64)
    chunk = 4096
    for lo in range(0, len(grams), chunk):
        sims = (model.transform(grams[lo:lo + chunk]) @ alias_t).tocsr()
        if sims.nnz == 0:
            continue
        dense_arg = np.asarray(sims.argmax(axis=1)).ravel()
        best_idx[lo:lo + chunk] = dense_arg
        best_sim[lo:lo + chunk] = sims.max(axis=1).toarray().ravel()
    found = distinct.with_columns(alias=pl.Series(names[best_idx], dtype=pl.String),
                                  sim=pl.Series(best_sim)).filter(
        pl.col("sim") >= _FUZZY_MIN_SIM)
    hits = win.join(found, on="gram", how="inner", maintain_order="left")
    hits = hits.sort(["text_id", "sim", "start", "n_gram", "alias"],
                     descending=[False, True, False, False, False]).group_by(
        "text_id", maintain_order=True).head(_FUZZY_TOP)
    return hits.join(directory.aliases.select("alias", "merchant_idx"), on="alias").select(
        "text_id", "merchant_idx", "alias", kind=pl.lit(KIND_FUZZY, pl.Int8), sim="sim",
        start="start", n_gram="n_gram", key_tokens="key_tokens", key_chars="key_chars")


def candidates(keys: pl.DataFrame, directory: MerchantDirectory, *,
               fuzzy: bool = True) -> pl.DataFrame:
    """Candidate merchants of unique match keys (``text_id`` UInt32, ``key`` String).

    Exact and truncated-prefix alias hits for every text (a one-word alias also on two or
    three words glued together; no stray cut beside another merchant's exact hit);
    character n-gram neighbours for texts without any (when ``fuzzy``). Returns
    ``CANDIDATE_SCHEMA`` rows.
    """
    table, firsts = directory.cached("candidates.lookup", _lookup)
    common = directory.cached("candidates.common_words", _common_words)
    tokens = _tokens(keys.select(pl.col("text_id").cast(pl.UInt32), "key"), common)
    if tokens.height == 0:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    hits = _gram_hits(tokens, table, firsts)
    glued = _glued_hits(tokens, directory.cached("candidates.glued", _glued_lookup), hits)
    hits = _without_stray_cuts(pl.concat([hits, glued], how="vertical_relaxed"),
                               directory.cached("candidates.distinct", _distinct_aliases))
    hits = _without_family_firms(hits, tokens)
    out = [hits]
    if fuzzy:
        rest = tokens.join(hits.select("text_id").unique(), on="text_id", how="anti")
        if rest.height:
            out.append(_without_family_firms(_fuzzy_hits(rest, directory), tokens))
    found = pl.concat(out, how="vertical_relaxed")
    return _context(found, tokens).select(
        pl.col(c).cast(t) for c, t in CANDIDATE_SCHEMA.items())
