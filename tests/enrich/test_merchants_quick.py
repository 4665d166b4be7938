"""The few-rows merchant path (plain Python) gives what the batch path (Polars) gives, and a
label's answer does not depend on the other labels of the batch."""

from __future__ import annotations

from itertools import pairwise

import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich._clean import clean_labels
from ledgerlens.enrich._frame import prepare
from ledgerlens.enrich._intermediary import detect_intermediaries
from ledgerlens.enrich._model import EnrichmentModel
from ledgerlens.enrich._train import label_steps
from ledgerlens.enrich._types import classify_types
from ledgerlens.enrich.merchants import MERCHANT_COLUMNS, MerchantMatcher
from ledgerlens.enrich.merchants._candidates import candidates, match_key_expr
from ledgerlens.enrich.merchants._inputs import ascii_match_key
from ledgerlens.enrich.merchants._matcher import _KEY, _SEED, _hits, _key_exprs
from ledgerlens.enrich.merchants._quick import QUICK_MAX_TEXTS, quick_features, quick_hit_records
from ledgerlens.enrich.merchants._scorer import hit_features


@pytest.fixture(scope="module")
def matcher() -> MerchantMatcher:
    return MerchantMatcher.default()


@pytest.fixture(scope="module")
def pipeline_rows() -> pl.DataFrame:
    """Synthetic transactions as the matcher sees them in the pipeline."""
    tx = generate_bank(SynthConfig(customers=40, months=3, seed=5)).transactions
    return classify_types(detect_intermediaries(clean_labels(prepare(tx).working)))


def _unique_rows(matcher: MerchantMatcher, frame: pl.DataFrame, n: int) -> pl.DataFrame:
    work = matcher._rows(frame, []).with_columns(_h=pl.struct(*_KEY).hash(_SEED))
    return work.unique("_h", maintain_order=True).head(n).with_row_index("row_id")


def _check_paths_agree(matcher: MerchantMatcher, rows: pl.DataFrame) -> None:
    directory = matcher._directory()
    batch = _hits(rows, directory, True, quick=False)
    quick = _hits(rows, directory, True, quick=True)
    assert quick.schema == batch.schema
    assert quick.sort(quick.columns, nulls_last=True).equals(
        batch.sort(batch.columns, nulls_last=True))
    features = hit_features(batch, directory.merchants, directory.aliases)
    few = quick_features(quick_hit_records(rows, directory, True, *_key_exprs()), directory)
    assert few.equals(features.select(few.columns))
    scorer = matcher._scorer()
    cols = ["row_id", "merchant_idx", "_p", "confidence"]
    assert scorer.top(few).select(cols).equals(scorer.top(features).select(cols))


def test_quick_path_gives_the_batch_hits_and_features(
        matcher: MerchantMatcher, pipeline_rows: pl.DataFrame) -> None:
    _check_paths_agree(matcher, _unique_rows(matcher, pipeline_rows, 400))


@pytest.mark.slow
def test_quick_path_agrees_on_thousands_of_labels(
        matcher: MerchantMatcher, pipeline_rows: pl.DataFrame) -> None:
    _check_paths_agree(matcher, _unique_rows(matcher, pipeline_rows, 4000))


def test_one_row_at_a_time_matches_like_the_batch(
        matcher: MerchantMatcher, pipeline_rows: pl.DataFrame) -> None:
    sample = pipeline_rows.sample(300, seed=1)
    cols = list(MERCHANT_COLUMNS)
    whole = matcher.match(sample).select(cols)
    singles = pl.concat([matcher.match(sample.slice(i, 1)) for i in range(sample.height)])
    assert singles.select(cols).equals(whole)  # bit for bit, confidences included
    halves = pl.concat([matcher.match(sample.head(150)), matcher.match(sample.tail(150))])
    assert halves.select(cols).equals(whole)


def test_fuzzy_windows_never_join_words_of_two_labels(matcher: MerchantMatcher) -> None:
    directory = matcher._directory()
    texts = ["HONG KONG DU BOURG", "RESTAURANTE BAY", "URBAN OUTFITERS", "LE PETIT ZINC"]
    keys = pl.DataFrame({"text_id": list(range(len(texts))), "key": texts},
                        schema={"text_id": pl.UInt32, "key": pl.String})
    together = candidates(keys, directory)
    for i in range(len(texts)):
        alone = candidates(keys.slice(i, 1), directory)
        mine = together.filter(pl.col("text_id") == i)
        assert alone.sort(alone.columns).equals(mine.sort(mine.columns)), texts[i]


# -- match of a few rows (plain Python end to end) against the frame path -------------------

#: Labels the generator does not write: brands with several lines of business, accents,
#: empty and very long texts, separators, intermediaries, typos.
_ODD_LABELS = [
    "CB INTERMARCHE", "CB CARREFOUR MARKET", "CARTE X1234 12/03 INTERMARCHE SUPER",
    "CB INTERMARCHE 12/03 STATION", "CB CAFÉ DE LA GARE", "CB LÉON DE BRUXELLES 02/11",
    "PRLV SEPA ŒUVRE DES ÉCOLES", "", "   ", "CB " + "CARREFOUR CITY " * 700,
    "\x1cCB CARREFOUR\x1f", "cb carrefour city paris", "CB*1234 AMAZON PAYMENTS",
    "CB\u00a0MONOPRIX", "PAYPAL *SPOTIFY", "CB SUMUP *LE PETIT ZINC", "CB CARFOUR MARKET",
    "PRLV SEPA EDF CLIENTS PARTICULIERS", "VIR SEPA RECU /DE ACME SAS /MOTIF SALAIRE",
    "CB MONOP 28/11 12H30", "CB STRASSE straße 4970XX12", "CB E.LECLERC & CO 1234567",
    "PAIEMENT PAR CARTE CB: BOUL DU MARCHE", "CB HONG KONG DU BOURG", "CB 12/03",
    "CB JOUE CLUB 12/03", "CB CITY MARKET COLANINES LA FORET", "CB MC DONALDS PARIS",
    "CB MCDONALD S 4512", "CB LEROY MERLIN",
    "CB OPTIC 2000 1234 12/03", "CB SPORT 20000", "Sport 2000 Annecy", "CB LE BAR A BIERES",
    "CB BAR DE LA POSTE 12/03", "CB HOTEL DU CASINO", "CB MAISON DE LA PRESSE",
    "PRLV SEPA PAYPAL EUROPE S.A.R.L. ET CIE S.C.A", "CB M.A.C COSMETICS", "A.B.C.D.E.F",
]
_ODD_PARTIES = [None, "AMAZON EU SARL", "Société Générale", "", "EDF", "ORANGE SA"]


@pytest.fixture(scope="module")
def odd_rows() -> pl.DataFrame:
    """~1,500 synthetic transactions after the label steps: a third without MCC, the
    generator's counterparties and intermediaries, and the odd labels above (with and
    without MCC, with counterparty names)."""
    tx = generate_bank(SynthConfig(customers=40, months=3, seed=5)).transactions
    sample = tx.sample(1400, seed=3)
    odd = pl.concat([sample.head(len(_ODD_LABELS)).with_columns(
        raw_label=pl.Series(_ODD_LABELS), label_complement=pl.lit(None, pl.String),
        mcc=pl.lit(mcc, pl.String),
        counterparty_name=pl.Series([_ODD_PARTIES[(i + k) % len(_ODD_PARTIES)]
                                     for i in range(len(_ODD_LABELS))], dtype=pl.String))
        for k, mcc in enumerate([None, "5411", "5541", None])])
    frame = pl.concat([sample, odd]).with_columns(
        mcc=pl.when(pl.int_range(pl.len()) % 3 == 0).then(None).otherwise(pl.col("mcc")))
    return label_steps(frame)


def _check_few_rows_match_like_the_frame(matcher: MerchantMatcher, frame: pl.DataFrame) -> None:
    whole = matcher.match(frame)  # more rows than the quick path takes: the Polars path
    assert frame.height > QUICK_MAX_TEXTS
    assert whole["merchant_id"].drop_nulls().len() > 0
    singles = pl.concat([matcher.match(frame.slice(i, 1)) for i in range(frame.height)])
    assert singles.equals(whole)  # every column, dtype and bit, in the same order
    assert singles.schema == whole.schema  # names, order and dtypes
    cuts = [0]
    while cuts[-1] < frame.height:
        cuts.append(min(cuts[-1] + 2 + len(cuts) % 2, frame.height))
    few = pl.concat([matcher.match(frame.slice(a, b - a)) for a, b in pairwise(cuts)])
    assert few.equals(whole)


@pytest.mark.parametrize("model", ["shipped", "default"])
def test_a_few_rows_match_bit_for_bit_like_the_whole_frame(
        model: str, matcher: MerchantMatcher, odd_rows: pl.DataFrame) -> None:
    m = EnrichmentModel.default().merchants if model == "shipped" else matcher
    _check_few_rows_match_like_the_frame(m, odd_rows)
    # Both ways of being a brand known without its line of business are exercised.
    lines = m.match(odd_rows)["merchant_lines"].drop_nulls()
    assert model == "default" or lines.str.contains("|", literal=True).any()


def test_a_few_raw_rows_match_like_the_whole_frame(odd_rows: pl.DataFrame) -> None:
    """Without the label steps (raw label, second line, MCC as integers)."""
    raw = odd_rows.select("raw_label", "label_complement", "counterparty_name",
                          mcc=pl.col("mcc").cast(pl.Int32, strict=False))
    _check_few_rows_match_like_the_frame(EnrichmentModel.default().merchants, raw)


def test_ascii_match_keys_are_the_polars_ones(odd_rows: pl.DataFrame) -> None:
    texts = [t for t in pl.concat([odd_rows["raw_label"], odd_rows["merchant_text"],
                                   pl.Series(_ODD_LABELS)]).drop_nulls().to_list()
             if t.isascii()]
    keys = pl.DataFrame({"t": texts}).select(match_key_expr(pl.col("t")))["t"].to_list()
    assert [ascii_match_key(t) for t in texts] == keys


def test_dotted_initials_are_one_word_of_the_match_key() -> None:
    # A legal form spaced out would spell another merchant (S C A holds C&A's C A); an
    # initial before a name stays apart (E.LECLERC is matched as E LECLERC).
    texts = ["PAYPAL EUROPE S.A.R.L. ET CIE S.C.A", "M.A.C COSMETICS", "E.LECLERC"]
    want = ["PAYPAL EUROPE SARL ET CIE SCA", "MAC COSMETICS", "E LECLERC"]
    assert pl.DataFrame({"t": texts}).select(match_key_expr(pl.col("t")))["t"].to_list() == want
    assert [ascii_match_key(t) for t in texts] == want


@pytest.mark.parametrize("quick", [False, True])
def test_words_saying_why_a_biller_pays_back_are_no_distinctive_words(
        matcher: MerchantMatcher, quick: bool) -> None:
    # REMBT TROP PERCU before EDF says why EDF pays: no rival name outside the hit.
    rows = pl.DataFrame({"_t": ["REMBT TROP PERCU EDF", "CHEZ MARCEL EDF"],
                         "mcc": [None, None], "_c": [None, None],
                         "transaction_type": ["transfer_in", "transfer_in"]},
                        schema={"_t": pl.String, "mcc": pl.String, "_c": pl.String,
                                "transaction_type": pl.String}).with_row_index("row_id")
    hits = _hits(rows, matcher._directory(), True, quick=quick)
    edf = hits.filter(pl.col("alias") == "EDF").sort("row_id")
    assert edf["odd_outside"].to_list()[0] == 0
    assert edf["refund_word"].to_list()[0]
    assert edf["odd_outside"].to_list()[-1] > 0  # MARCEL is one


@pytest.mark.parametrize("quick", [False, True])
def test_refund_words_opening_a_label_are_counted_before_the_name(
        matcher: MerchantMatcher, quick: bool) -> None:
    # REMBT TROP PERCU EDF names EDF first all the same: the scorer counts its position
    # after the three refund words (a word inside the text does not count).
    rows = pl.DataFrame({"_t": ["REMBT TROP PERCU EDF", "EDF REMBT", "TROP"],
                         "mcc": [None] * 3, "_c": [None] * 3,
                         "transaction_type": ["transfer_in"] * 3},
                        schema={"_t": pl.String, "mcc": pl.String, "_c": pl.String,
                                "transaction_type": pl.String}).with_row_index("row_id")
    hits = _hits(rows, matcher._directory(), True, quick=quick)
    edf = hits.filter(pl.col("alias") == "EDF").sort("row_id")
    assert edf["refund_lead"].to_list() == [3, 0]
    assert edf["start"].to_list() == [3, 0]


def test_a_biller_refund_worded_motif_first_finds_the_biller() -> None:
    from ledgerlens.enrich import EnrichmentModel, enrich

    out = enrich(pl.DataFrame({"date": ["2025-03-12"] * 2, "amount": [45.0, 30.0],
                               "label": ["VIR REMBT TROP PERCU EDF",
                                         "VIR SEPA RECU REMBOURSEMENT TROP PERCU ENGIE"]}),
                 EnrichmentModel.default())
    assert out["merchant_name"].to_list()[0] == "EDF"
    assert out["merchant_name"].to_list()[1].startswith("Engie")
    assert (out["category"] == "utilities").all()
