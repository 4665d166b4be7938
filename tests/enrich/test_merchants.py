"""Merchant directory and recognition: aliases, candidates, scorer, matcher contract."""

from __future__ import annotations

import pickle

import numpy as np
import polars as pl
import pytest

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.enrich.merchants import (
    MERCHANT_COLUMNS,
    MIN_CONFIDENCE,
    MerchantDirectory,
    MerchantMatcher,
    MerchantScorer,
    alias_variants,
    canonical_text,
    smooth_isotonic,
)
from ledgerlens.exceptions import ConfigurationError, DataError


@pytest.fixture(scope="module")
def directory() -> MerchantDirectory:
    return MerchantDirectory.default()


@pytest.fixture(scope="module")
def matcher() -> MerchantMatcher:
    return MerchantMatcher.default()


def _match(matcher: MerchantMatcher, labels: list[str], mccs: list[str | None] | None = None,
           counterparties: list[str | None] | None = None,
           types: list[str | None] | None = None) -> pl.DataFrame:
    n = len(labels)
    frame = pl.DataFrame({
        "raw_label": labels,
        "mcc": mccs if mccs is not None else [None] * n,
        "counterparty_name": counterparties if counterparties is not None else [None] * n,
    }, schema={"raw_label": pl.String, "mcc": pl.String, "counterparty_name": pl.String})
    if types is not None:
        frame = frame.with_columns(transaction_type=pl.Series(types, dtype=pl.String))
    return matcher.match(frame)


# More distinct keys than ``QUICK_MAX_TEXTS``: a match with them runs the batch (Polars) path.
_BATCH_FILLER = [f"CB NUMERO {i} 12/03" for i in range(300)]


def _match_rows(matcher: MerchantMatcher, labels: list[str], types: list[str] | None = None,
                *, batch: bool) -> pl.DataFrame:
    """``_match`` of ``labels`` alone (the few-rows path) or, with ``batch``, after card
    payments at 300 other labels (the batch path): the rows of ``labels`` only."""
    filler = _BATCH_FILLER if batch else []
    if types is not None:
        types = types + ["card_in_store"] * len(filler)
    return _match(matcher, labels + filler, types=types).head(len(labels))


def _id_of(directory: MerchantDirectory, name: str) -> str:
    rows = directory.merchants.filter(pl.col("name") == name)
    assert rows.height >= 1, name
    return str(rows["merchant_id"][0])


# -- directory ---------------------------------------------------------------------------

def test_canonical_text_folds_accents_ligatures_and_punctuation() -> None:
    assert canonical_text("Intermarché") == "INTERMARCHE"
    assert canonical_text("Cœur de Blé") == "COEUR DE BLE"
    assert canonical_text("E.Leclerc") == "E LECLERC"


def test_alias_variants_cover_punctuation_spellings() -> None:
    leclerc = {v for v, _ in alias_variants("E.Leclerc")}
    assert {"E LECLERC", "ELECLERC", "LECLERC"} <= leclerc
    hm = {v for v, _ in alias_variants("H&M")}
    assert {"H & M", "H ET M", "H AND M", "H M"} <= hm
    assert not {"ET M", "AND M"} & hm
    assert "MARKS AND SPENCER" in {v for v, _ in alias_variants("Marks & Spencer")}
    # Card labels drop the apostrophe: MCDONALDS is the name's own spelling, not a derived
    # one that a retrained scorer may push under the bar (it did: 0.44).
    # They split a Mc name too (MC DONALD S).
    assert dict(alias_variants("McDonald's")) == {"MCDONALD S": False, "MCDONALDS": False,
                                                  "MC DONALD S": False, "MC DONALDS": False}


def test_directory_ids_are_the_generator_ids(directory: MerchantDirectory) -> None:
    bank = generate_bank(SynthConfig(customers=80, months=4, seed=7))
    known = bank.merchants.filter(pl.col("source").is_in(["nsi", "curated"]))["merchant_id"]
    missing = set(known.to_list()) - set(directory.merchant_ids())
    assert not missing


def test_directory_frame_has_contract_columns(directory: MerchantDirectory) -> None:
    frame = directory.to_frame()
    assert {"merchant_id", "name", "website", "category", "subcategory", "mcc", "country",
            "aliases"} <= set(frame.columns)
    assert frame["merchant_id"].is_unique().all()
    assert frame.height == directory.size
    assert MerchantDirectory.default() is directory


def test_ambiguous_aliases_count_their_merchants(directory: MerchantDirectory) -> None:
    shared = directory.aliases.filter(pl.col("alias") == "E LECLERC")
    assert shared.height > 1
    assert (shared["n_merchants"] == shared.height).all()


def test_a_shared_web_site_is_spelt_by_the_merchant_it_names(
        directory: MerchantDirectory) -> None:
    aliases = directory.aliases.join(directory.merchants.select("merchant_idx", "name"),
                                     on="merchant_idx")
    # amazon.fr is Amazon's, Amazon Prime's and Kindle Unlimited's site: "AMAZON FR" on a
    # label is Amazon, not a three-way tie.
    assert aliases.filter(pl.col("alias") == "AMAZON FR")["name"].to_list() == ["Amazon"]
    kindle = aliases.filter(pl.col("name") == "Kindle Unlimited")["alias"].to_list()
    assert "AMAZON KINDLE UNLTD" in kindle


def test_knows_the_spellings_real_statements_add(directory: MerchantDirectory) -> None:
    # directory_spellings.csv: Amazon's other marketplaces, which the synthetic banks never
    # print, are Amazon's own aliases.
    aliases = directory.aliases.join(directory.merchants.select("merchant_idx", "name"),
                                     on="merchant_idx")
    for alias in ("AMZN MKTP DE", "AMZN MKTP", "AMAZON CO UK"):
        assert aliases.filter(pl.col("alias") == alias)["name"].to_list() == ["Amazon"]


def test_with_extra_adds_a_merchant_and_its_aliases(directory: MerchantDirectory) -> None:
    extra = pl.DataFrame({"merchant_id": ["disc:fournil-du-parc"], "name": ["Le Fournil du Parc"],
                          "subcategory": ["bakery"], "category": ["groceries"],
                          "mcc": ["5462"], "aliases": ["FOURNIL DU PARC|FOURNIL PARC"]})
    bigger = directory.with_extra(extra)
    assert bigger.size == directory.size + 1
    assert "FOURNIL PARC" in set(bigger.aliases["alias"].to_list())
    out = MerchantMatcher.default(directory=bigger).match(
        pl.DataFrame({"raw_label": ["CB FOURNIL DU PARC 12/03"], "mcc": ["5462"]}))
    assert out["merchant_id"].to_list() == ["disc:fournil-du-parc"]


def test_brand_keys_group_merchants_a_label_cannot_separate(
        directory: MerchantDirectory) -> None:
    keys = directory.brand_keys()
    assert keys.columns == ["merchant_id", "brand_key"]
    assert keys.height == directory.size
    assert keys["merchant_id"].is_unique().all()
    key = dict(zip(keys["merchant_id"].to_list(), keys["brand_key"].to_list(), strict=True))
    total = [m for m in key if m.startswith("nsi:totalenergies-")]
    assert len(total) >= 3
    assert len({key[m] for m in total}) == 1
    # The curated online entry and the store chain share a name and a category.
    leroy = [m for m in key if "leroymerlin" in m]
    assert len(leroy) >= 2
    assert len({key[m] for m in leroy}) == 1
    # A chain's fuel stations under its name are the chain, whatever brand NSI gives them
    # (none for Netto's, another wikidata id for Casino's); fuel Puma is not Puma the shoes.
    for chain in ("Netto", "Casino"):
        entries = directory.merchants.filter(pl.col("name") == chain)
        assert "fuel" in entries["subcategory"].to_list()
        assert len({key[m] for m in entries["merchant_id"].to_list()}) == 1
    # A station listing a format of the chain (Intermarché's lists INTERMARCHE SUPER) joins
    # that format: a label reading INTERMARCHE SUPER is one business, whichever line.
    assert key[_id_of(directory, "Intermarché Super")] == key["nsi:intermarche-16b3c2"]
    puma = directory.merchants.filter(pl.col("name") == "Puma")["merchant_id"].to_list()
    assert len({key[m] for m in puma}) == 2
    # Unrelated merchants stay apart.
    assert key[_id_of(directory, "Decathlon")] != key[_id_of(directory, "Lidl")]


def test_a_generic_spelling_from_the_index_is_no_alias(directory: MerchantDirectory) -> None:
    # NSI lists STATION-SERVICE for E.Leclerc's stations and PRET for Pret A Manger: what
    # the shop is, not its name; a local STATION SERVICE DU PARC is not E.Leclerc.
    aliases = directory.aliases.join(directory.merchants.select("merchant_idx", "name"),
                                     on="merchant_idx")
    station = set(aliases.filter(pl.col("name") == "Station Service E.Leclerc")["alias"])
    assert "STATION SERVICE" not in station
    assert "STATION SERVICE E LECLERC" in station
    assert "PRET" not in set(aliases.filter(pl.col("name") == "Pret A Manger")["alias"])
    # A name after its founder's initial is spelt without it, as labels do: E.Leclerc's own
    # LECLERC, not a derived spelling that its fuel station (which lists LECLERC) outranks.
    leclerc = aliases.filter((pl.col("name") == "E.Leclerc") & (pl.col("alias") == "LECLERC"))
    assert leclerc["derived"].to_list() == [False]
    velo = aliases.filter((pl.col("name") == "C.vélo") & (pl.col("alias") == "VELO"))
    assert velo["derived"].to_list() in ([True], [])  # too short a word to stand alone


def test_directory_pickles_without_its_caches(directory: MerchantDirectory,
                                              matcher: MerchantMatcher) -> None:
    _match(matcher, ["CB LIDL 01/02"])  # fills the lookup caches
    again = pickle.loads(pickle.dumps(directory))
    assert again.size == directory.size
    assert again.brand_keys().equals(directory.brand_keys())
    out = _match(MerchantMatcher.default(directory=again), ["CB LIDL 01/02"], ["5411"])
    assert out["merchant_name"].to_list() == ["Lidl"]


def test_names_that_end_in_a_town_are_kept_whole(directory: MerchantDirectory) -> None:
    names = directory.town_names
    # cut, they would name nothing (TAN) or not the merchant (THE); or the town is the name
    assert {"TAN NANTES", "THE GAP", "EAU DU GRAND LYON", "KIKO MILANO"} <= names
    # DEEZER, cut from DEEZER PARIS, is the same merchant's name: the town may go; STAR, cut
    # from STAR RENNES (the buses), is also the bicycles' name: the town tells them apart
    assert "DEEZER PARIS" not in names
    assert "STAR RENNES" in names
    assert all(len(name.split(" ")) >= 2 for name in names)


def test_an_alias_made_of_person_names_is_marked_name_like(
        directory: MerchantDirectory) -> None:
    # LECLERC, PICARD and JULES are surnames and first names as well as chains, ME a title
    # (Maître) as well as a hotel brand; E LECLERC holds a letter no name is. A legal form
    # alone (SAS) is no alias at all.
    marks = dict(directory.aliases.select("alias", "name_like").unique().iter_rows())
    assert [marks[a] for a in ("LECLERC", "PICARD", "JULES", "FRANCK PROVOST", "ME")] == [
        True] * 5
    assert [marks[a] for a in ("E LECLERC", "CARREFOUR", "SAS SHOES")] == [False] * 3
    assert "SAS" not in marks


def test_directory_rejects_duplicate_ids() -> None:
    frame = pl.DataFrame({"merchant_id": ["x:1", "x:1"], "name": ["A", "B"]})
    with pytest.raises(DataError, match="unique"):
        MerchantDirectory.from_frame(frame)


# -- matching ------------------------------------------------------------------------------

def test_exact_alias_with_bank_noise(matcher: MerchantMatcher,
                                     directory: MerchantDirectory) -> None:
    out = _match(matcher, ["CB CARREFOUR MARKET 28/11", "CB DECATHLON 12/03"], ["5411", "5941"])
    assert out["merchant_name"].to_list() == ["Carrefour Market", "Decathlon"]
    assert out["merchant_evidence"].str.contains("alias").all()
    # A long raw label (no cleaning step) scores lower than the pipeline's merchant_text.
    noisy = _match(matcher, ["PAIEMENT PAR CARTE X1234 DECATHLON 4521 NANTES 12/03"], ["5941"])
    clean = matcher.match(pl.DataFrame({"merchant_text": ["DECATHLON"], "mcc": ["5941"],
                                        "transaction_type": ["card_in_store"]}))
    assert clean["merchant_name"].to_list() == ["Decathlon"]
    assert noisy["merchant_id"][0] in (None, clean["merchant_id"][0])
    assert (noisy["merchant_confidence"][0] or 0.0) <= clean["merchant_confidence"][0]


def test_punctuation_variants_find_the_same_merchant(matcher: MerchantMatcher) -> None:
    out = _match(matcher, ["CB E.LECLERC 12/03", "CB E LECLERC 12/03", "CB ELECLERC 12/03"],
                 ["5411"] * 3)
    assert out["merchant_id"].n_unique() == 1
    assert out["merchant_name"][0] == "E.Leclerc"


def test_a_one_word_name_split_in_the_label_is_found(matcher: MerchantMatcher) -> None:
    out = _match(matcher, ["CB JOUE CLUB 12/03", "CB MC DONALDS", "CB INTER MARCHE",
                           "CB MC DONALD S 12/03"], types=["card_in_store"] * 4)
    assert out["merchant_name"].to_list() == ["JouéClub", "McDonald's", "Intermarché",
                                              "McDonald's"]
    # Well above the bar (MC DONALDS: 0.87 to 0.99 from one retrained scorer to the next).
    assert (out["merchant_confidence"] > 0.85).all()
    # Glued words that spell no alias add nothing: a local shop stays unknown.
    assert _match(matcher, ["CB AU PETIT FOUR"])["merchant_id"][0] is None
    # Nor does a name split before its last letter: LE BAR A BIERES is no Lebara.
    assert _match(matcher, ["CB LE BAR A BIERES"])["merchant_id"][0] is None
    # Nor words after an article, a town's most often: a shop in a town the cleaner does
    # not know, ...LA FORET, is no estate agent Laforet.
    assert _match(matcher, ["CB CITY MARKET COLANINES LA FORET"])["merchant_id"][0] is None


def test_a_month_in_a_motif_is_no_brand(matcher: MerchantMatcher) -> None:
    # AVRIL is a brand of cosmetics and the month a rent is paid for: a common word, which
    # alone in a card payment still names the brand.
    out = _match(matcher, ["VIR SEPA EMIS /MOTIF LOYER AVRIL /BEN SCI LES TILLEULS",
                           "CB AVRIL 12/03"], types=["transfer_out", "card_in_store"])
    assert out["merchant_name"].to_list() == [None, "Avril"]


def _best_candidate(matcher: MerchantMatcher, label: str) -> tuple[str, str] | None:
    """(name, line) of the scorer's best candidate for ``label``, whatever its confidence."""
    best = matcher.score(pl.DataFrame({"raw_label": [label]}))
    if best.height == 0:
        return None
    row = (matcher.directory or MerchantDirectory.default()).merchants.filter(
        pl.col("merchant_idx") == best["merchant_idx"][0])
    return str(row["name"][0]), str(row["subcategory"][0])


def _chain_or_clue(out: pl.DataFrame, row: int, name: str, line: str) -> bool:
    """The chain was returned, or was the best candidate kept as a clue for its line."""
    return bool(out["merchant_name"][row] == name
                or (out["merchant_name"][row] is None and out["merchant_hint"][row] == line))


def test_a_shop_word_before_a_chain_s_name_keeps_the_chain(matcher: MerchantMatcher) -> None:
    labels = ["CB SUPERMARCHE MONOPRIX", "CB CINEMA PATHE", "CB MAGASIN DECATHLON",
              "CB FROMAGERIE MARCEL", "CB CAFE BAR DE LA PLACE"]
    out = _match(matcher, labels, types=["card_in_store"] * len(labels))
    assert out["merchant_name"].to_list()[:2] == ["Monoprix", "Pathé"]
    # Without an MCC, a shop word before the name sits near the threshold: the chain is
    # returned, or kept as the category model's clue (retrained scorers fall either side).
    assert _chain_or_clue(out, 2, "Decathlon", "sport_equipment")
    # A trade word of another kind names another shop (a cheese shop, not the Marcel cab
    # company); a name after an article is a place (not the chain La Place).
    assert out["merchant_id"].to_list()[3:] == [None, None]


def test_truncated_label_still_matches() -> None:
    # SFR sells both internet and mobile under this name: the right brand, low confidence.
    out = _match(MerchantMatcher.default(precision=0.5), ["PRLV SOCIETE FRANCAISE DU RADIOT"],
                 [None], ["SOCIETE FRANCAISE DU RADIOTELEPHONE"])
    assert out["merchant_id"][0] is not None
    assert out["merchant_id"][0].startswith("cur:sfr")


def test_a_lone_word_of_the_language_is_no_cut_name(directory: MerchantDirectory) -> None:
    # AUTO ends LAVAGE AUTO (a car wash); it is not AUTOROUTES DU SUD DE LA FRANCE cut
    # after four letters (it had scored 0.98). A cut past the first word still counts.
    from ledgerlens.enrich.merchants._candidates import KIND_PREFIX, candidates

    asf = directory.merchants.filter(
        pl.col("name") == "ASF (Autoroutes du Sud de la France)")["merchant_idx"][0]
    keys = pl.DataFrame({"text_id": [0, 1], "key": ["LAVAGE AUTO", "AUTOROUTES DU SU"]},
                        schema={"text_id": pl.UInt32, "key": pl.String})
    cuts = candidates(keys, directory).filter(
        (pl.col("merchant_idx") == asf) & (pl.col("kind") == KIND_PREFIX))
    assert cuts["text_id"].unique().to_list() == [1]


@pytest.mark.parametrize("rows", [1, 3])
def test_a_trade_word_of_another_health_line_names_another_shop(rows: int) -> None:
    # OPTIQUE before the name of a pharmacy chain is an optician of that name; the chain's
    # own line word (PHARMACIE) or another optician's name keeps its merchant.
    from ledgerlens.enrich import EnrichmentModel

    labels = ["CB OPTIQUE LAFAYETTE", "CB PHARMACIE LAFAYETTE", "CB OPTIQUE KRYS"][:rows]
    out = _match(EnrichmentModel.default().merchants, labels, types=["card_in_store"] * rows)
    assert out["merchant_id"][0] is None
    if rows > 1:
        assert out["merchant_name"].to_list()[1:] == ["Lafayette", "Krys"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_trade_word_of_another_shopping_line_names_another_shop(matcher: MerchantMatcher,
                                                                  batch: bool) -> None:
    # A pet shop or a jeweller named like a clothes chain is no branch of it (a cut CROCS,
    # the GEMO chain at 1.0); the chain's own line word, or a shop's generic word before a
    # chain of another line, keeps the chain.
    labels = ["ANIMALERIE GEMO", "BIJOUTERIE CROC", "TOILETTAGE ANDRE", "CHAUSSURES ERAM",
              "BOUTIQUE DARTY", "BIJOUTERIE HISTOIRE D OR"]
    out = _match_rows(matcher, labels, ["card_in_store"] * len(labels), batch=batch)
    assert out["merchant_name"].to_list() == [None, None, None, "Éram", "Darty",
                                              "Histoire d'Or"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_local_trade_of_another_category_before_a_chain_names_that_trade_s_shop(
        matcher: MerchantMatcher, batch: bool) -> None:
    # A dry cleaner, a florist or a car park named like a chain of another category is no
    # branch of it; the chain's line of that category keeps its hit (Carrefour's station).
    # FROM, a cheese shop's abbreviation, is English first: a neobank's refund keeps Zalando.
    labels = ["PRESSING ZARA", "FLEURISTE MONOP", "PARKING CARREFOUR", "STATION CARREFOUR",
              "CINEMA PATHE", "REFUND FROM ZALANDO"]
    types = ["card_in_store"] * 5 + ["refund"]
    out = _match_rows(matcher, labels, types, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, None, "Carrefour", "Pathé",
                                              "Zalando"]
    assert out["merchant_subcategory"][3] in (None, "fuel")


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_bar_or_a_spanish_article_before_a_chain_names_a_local_shop(
        matcher: MerchantMatcher, batch: bool) -> None:
    # BAR SOL is a bar and RESTAURANT EL SOL a restaurant, not the Sol fuel station; the
    # station's own label keeps it, and so does a chain named with its article.
    labels = ["BAR SOL", "RESTAURANT EL SOL", "PANADERIA EL SOL", "SOL STATION",
              "EL CORTE INGLES"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 5, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, None, "Sol", "El Corte Inglés"]


@pytest.mark.parametrize("rows", [1, 3])
def test_a_loan_line_names_no_shop(rows: int) -> None:
    # ``PRET HABITAT`` is a home loan, not the Habitat furniture chain: on a loan line only
    # a lender or a bank may be the merchant; the same name paid by card stays the chain.
    from ledgerlens.enrich import EnrichmentModel

    labels = ["ECHEANCE PRET HABITAT 12345678", "CB HABITAT 12/03",
              "DEBLOCAGE PRET HABITAT"][:rows]
    types = ["loan_repayment", "card_in_store", "loan_disbursement"][:rows]
    out = _match(EnrichmentModel.default().merchants, labels, types=types)
    assert out["merchant_id"][0] is None
    if rows > 1:
        assert out["merchant_name"].to_list()[1:] == ["Habitat", None]


@pytest.mark.parametrize("rows", [1, 4])
def test_a_shop_named_after_its_place_is_not_the_chain_there(rows: int) -> None:
    # BAR DE LA POSTE is a bar by the post office, HOTEL DU CASINO a hotel by the casino;
    # the chain's own name, or a name that holds the link word, keeps its merchant.
    from ledgerlens.enrich import EnrichmentModel

    labels = ["CB BAR DE LA POSTE 12/03", "CB LA POSTE 12/03", "CB HOTEL DU CASINO",
              "CB MAISON DE LA PRESSE"][:rows]
    out = _match(EnrichmentModel.default().merchants, labels, types=["card_in_store"] * rows)
    assert out["merchant_id"][0] is None
    if rows > 1:
        assert out["merchant_name"].to_list()[1:] == ["La Poste", None, "Maison de la Presse"]


# A bar called Le Carrefour (the crossroads) is no Carrefour, L'Atelier du Cheveu (a
# hairdresser) no L'Atelier; the chains' own names, with or without an article (Le Petit
# Casino, La Boucherie, La Halle aux Chaussures), keep their merchant.
_ARTICLE_CASES = {
    "article before a chain": (
        ["CB BAR LE CARREFOUR 12/03", "CB LE CARREFOUR DES SAVEURS", "CB CARREFOUR 12/03",
         "CB LE PETIT CASINO", "CB LA FOIR FOUILLE"],
        [None, "Carrefour", "Casino", "La Foir'Fouille"]),
    "article chain named on": (
        ["CB L ATELIER DU CHEVEU 12/03", "CB LA BOUCHERIE DU MARCHE", "CB L ATELIER 12/03",
         "CB LA BOUCHERIE 12/03", "CB LA HALLE AUX CHAUSSURES"],
        [None, "L'Atelier", "La Boucherie", "La Halle aux Chaussures"]),
    # Common words after it: a shop's phrase; the chain's own trade word after it: the chain.
    "article chain then common words": (
        ["CB L ATELIER GOURMET", "CB L ATELIER 12/03", "CB LA BOUCHERIE RESTAURANT",
         "CB LA BOUCHERIE 12/03", "CB LA HALLE AUX CHAUSSURES"],
        ["L'Atelier", "La Boucherie", "La Boucherie", "La Halle aux Chaussures"]),
    # A digital subscription has no branch; a chain's branch goes on after its name.
    "article subscription named on": (
        ["CB LE MONDE DES ENFANTS", "CB LE MONDE", "CB LA POSTE DE VINCENNES",
         "CB LA POSTE DE LA MAIRIE", "CB LE MONDE DU BEBE"],
        ["Le Monde", "La Poste", "La Poste", None]),
    # A subscription has no branch, whatever the payment: a longer name goes on.
    "subscription's one word named on": (
        ["RECIBO CANAL DE ISABEL II AGUA", "PRLV SEPA CANAL+", "CB NETFLIX.COM",
         "PRLV SEPA CANAL PLUS", "CB LE MONDE"],
        ["Canal+", "Netflix", "Canal+", "Le Monde"]),
    # A venue named after a landmark: another trade's word right before the article.
    "trade word before an article name": (
        ["CB RESTAURANT LA POSTE", "CB LA POSTE 12/03", "CB BUREAU LA POSTE",
         "CB BOULANGERIE LA MIE CALINE", "CB LA POSTE DE VINCENNES"],
        ["La Poste", "La Poste", "La Mie Câline", "La Poste"]),
}


@pytest.mark.parametrize(("rows", "batch"), [(1, False), (5, False), (5, True)],
                         ids=["one row", "few rows", "batch"])
@pytest.mark.parametrize("case", sorted(_ARTICLE_CASES))
def test_a_shop_named_with_an_article_is_not_the_chain(matcher: MerchantMatcher, case: str,
                                                       rows: int, batch: bool) -> None:
    labels, names = _ARTICLE_CASES[case]
    out = _match_rows(matcher, labels[:rows], ["card_in_store"] * rows, batch=batch)
    assert out["merchant_id"][0] is None
    if rows > 1:
        assert out["merchant_name"].to_list()[1:5] == names


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_person_s_name_in_a_transfer_is_no_chain(matcher: MerchantMatcher,
                                                   batch: bool) -> None:
    # Nicolas, Emma, Celine are chains named like people; in a transfer they are people, and
    # so is a title before a name (ME: Maître, a lawyer; also the hotel brand ME) and the
    # name after a title (MME LIVI: no list's name, and the teleconsultation app's). The same
    # name on a card keeps its chain.
    labels = ["NICOLAS MARINO LOYER", "EMMA CARLIER COVOITURAGE", "CELINE DURAND RESTO",
              "ME DURAND AVOCAT HONORAIRES", "MME LIVI SARAH", "NICOLAS"]
    types = ["transfer_out", "instant_transfer_in", "transfer_in", "transfer_out",
             "transfer_out", "card_in_store"]
    out = _match_rows(matcher, labels, types, batch=batch)
    assert out["merchant_name"].head(6).to_list() == [None, None, None, None, None, "Nicolas"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_transfer_sent_to_a_person_names_no_brand_of_its_motif(matcher: MerchantMatcher,
                                                                 batch: bool) -> None:
    # The beneficiary is a person (a title, or a first name before the surname): the brand
    # words are the motif's (Coach, a cut Weekend Max Mara) or the surname's (a cut Le
    # Furet du Nord). A payment app and a transfer received keep their hits; so does a card.
    labels = ["COACH SPORTIF MME SAMIRA DEVOS", "WEEKEND M GREGORY RENOUX",
              "DAVID LE FUR LOYER", "COACH", "LE FURET DU NORD", "LYDIA"]
    types = ["transfer_out", "transfer_out", "transfer_out", "card_in_store", "transfer_out",
             "transfer_out"]
    out = _match_rows(matcher, labels, types, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, None, "Coach", "Le Furet du Nord",
                                              "Lydia"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_transfer_received_from_a_person_names_no_brand_of_its_motif(
        matcher: MerchantMatcher, batch: bool) -> None:
    # A buyer paying for a sale on Leboncoin is no Leboncoin payout; the platform paying
    # out, with the customer's name after it, is.
    labels = ["MME ANNE DURAND VENTE LEBONCOIN", "LEBONCOIN VIREMENT M DUPONT"]
    out = _match_rows(matcher, labels, ["transfer_in"] * 2, batch=batch)
    assert out["merchant_name"].to_list() == [None, "Leboncoin"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_cut_name_after_another_food_trade_is_that_trade_s_shop(
        matcher: MerchantMatcher, batch: bool) -> None:
    # A baker named Dufour, cut by the bank, is no cut Dufoux Chocolats; the chocolatier's
    # own cut label is.
    labels = ["BOULANGERIE DUFOU", "DUFOUX CHOCO"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 2, batch=batch)
    assert out["merchant_name"].to_list() == [None, "Dufoux Chocolats"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_name_after_a_surname_particle_is_a_person_s(matcher: MerchantMatcher,
                                                       batch: bool) -> None:
    # Mr Da Costa's grocery is no Costa coffee shop, Chez Paul no Paul bakery; the chains'
    # own labels are.
    labels = ["EPICERIE DA COSTA BELLEAGERNE LE ROI", "CB CHEZ PAUL", "COSTA COFFEE",
              "CB PAUL GARE DE LYON"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 4, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, "Costa", "Paul"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_brand_word_in_a_set_phrase_is_the_phrase(matcher: MerchantMatcher,
                                                    batch: bool) -> None:
    # An airport's duty-free shop is no Free (the telecom); Free's own labels are.
    labels = ["DUTY FREE AEROPORT CDG", "TAX FREE SHOP", "FREE", "FREE MOBILE"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 4, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, "Free", "Free Mobile"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_brand_that_is_a_trade_word_names_it_only_first(matcher: MerchantMatcher,
                                                         batch: bool) -> None:
    # SPA after another word is a spa or an Italian company (S.p.A.), not the animal
    # protection society; its name opening the text, or after a donation's word, is.
    labels = ["NUXE SPA", "DAY SPA LYON", "COOP ITALIA SPA", "SPA", "LA SPA", "DON SPA",
              "AUTOGRILL SPA", "ENI SPA"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 8, batch=batch)
    names = out["merchant_name"].to_list()
    assert names[:2] == [None] * 2
    assert all(name is not None and name.startswith("SPA") for name in names[3:6])
    # ... and the legal form after an Italian company's name leaves the company (S.p.A.)
    assert names[2] == "Coop"
    assert names[6:] == ["Autogrill", "Eni"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_the_public_health_insurance_by_its_name_is_the_cpam(matcher: MerchantMatcher,
                                                              batch: bool) -> None:
    out = _match_rows(matcher, ["ASSURANCE MALADIE", "L ASSURANCE MALADIE"],
                      ["transfer_in"] * 2, batch=batch)
    assert out["merchant_id"].to_list() == ["cur:cpam"] * 2


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_purchase_paid_back_names_its_shop_as_the_payment_did(matcher: MerchantMatcher,
                                                                batch: bool) -> None:
    # A refund or a cancelled payment is read as the card payment it undoes: the bare LECLERC
    # of a card payment is E.Leclerc, its refund had no merchant (0.21).
    labels = ["LECLERC", "LECLERC", "LECLERC"]
    out = _match_rows(matcher, labels, ["card_in_store", "reversal", "refund"], batch=batch)
    assert out["merchant_name"].to_list() == ["E.Leclerc"] * 3


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_benefits_taken_back_by_direct_debit_name_their_payer(matcher: MerchantMatcher,
                                                              batch: bool) -> None:
    # Benefits overpaid, taken back by the payer's direct debit: the CAF, as its transfers
    # name it (0.13 as a debit); the company running TotalEnergies' stations is its pumps.
    labels = ["CAF REMBOURSEMENT INDU", "CPAM INDU", "TOTAL MARKETING FRANCE"]
    out = _match_rows(matcher, labels, ["direct_debit", "direct_debit", "card_in_store"],
                      batch=batch)
    assert out["merchant_id"].to_list()[:2] == ["cur:caf", "cur:cpam"]
    assert out["merchant_name"][2] == "TotalEnergies"


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_cut_word_s_last_letters_are_no_brand(matcher: MerchantMatcher, batch: bool) -> None:
    # LEROY ME is Leroy Merlin cut, not the hotel brand ME; a station's BP, a taxi's G7 after
    # its town, ME alone and H&M after its town are the brands. A doctor's name cut after his
    # title is no cut Dr. Martens.
    labels = ["LEROY ME", "LABO ANALYSES ME", "STATION BP", "MEAUX G7", "ME", "PARIS HM",
              "DR MART", "DR MARTENS"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 8, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, "BP", "G7", "ME", "H&M", None,
                                              "Dr. Martens"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_name_glued_over_spaced_aliases_is_read_by_them(matcher: MerchantMatcher,
                                                           batch: bool) -> None:
    # GOOGLEYOUTUBEPREMIUM, a one-word alias the scorer trusts little, had been the hit kept
    # over YOUTUBE PREMIUM and GOOGLE YOUTUBE, and returned no merchant.
    labels = ["GOOGLE *YOUTUBE PREMIUM", "GOOGLE YOUTUBE PREMIUM", "GOOGLE*YOUTUBEPREMIUM"]
    out = _match_rows(matcher, labels, ["card_online"] * 3, batch=batch)
    assert out["merchant_name"].to_list() == ["YouTube Premium"] * 3


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_h_and_m_without_its_ampersand_is_found(matcher: MerchantMatcher, batch: bool) -> None:
    # Card labels drop the ampersand (CB HM 12/03); the letters in a person's name are no
    # shop.
    labels = ["HM", "HM PARIS", "H ET M", "M HM DUPONT"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 3 + ["transfer_out"], batch=batch)
    assert out["merchant_name"].to_list() == ["H&M", "H&M", "H&M", None]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_bare_sncf_is_the_railway_and_its_lines_keep_their_names(matcher: MerchantMatcher,
                                                                batch: bool) -> None:
    # Two curated lines once shared the bare spelling, and neither was returned for it.
    labels = ["SNCF", "SNCF PARIS GARE DE LYON", "SNCF INTERNET", "SNCF TER", "TER SNCF"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 5, batch=batch)
    assert out["merchant_name"].to_list() == ["SNCF", "SNCF", "SNCF Connect", "SNCF TER",
                                              "SNCF TER"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_another_transport_trade_before_a_name_is_that_trade_s_shop(
        matcher: MerchantMatcher, batch: bool) -> None:
    # A car park and a taxi named SOL are no Sol fuel station; a car park's own brand, a
    # garage's maker and a station's car wash are found.
    labels = ["CB PARKING SOL", "CB TAXI SOL", "CB PARKING INDIGO", "CB GARAGE RENAULT",
              "CB LAVAGE TOTAL"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 5, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, "Indigo", "Renault", "Wash"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_trade_word_of_shops_abroad_before_a_name_is_that_shop_s(
        matcher: MerchantMatcher, batch: bool) -> None:
    # An inn, a grocer and a supermarket abroad named SOL are no Sol fuel station, nor a
    # supermarket in Valencia a cut Supermercados Dia; a chain of the trade's own category
    # and the chain's own name are found.
    labels = ["CB GASTHAUS SOL FACT 050625", "CB ALIMENTARI SOL", "CB SUPERMARKT SOL",
              "PAIEMENT PAR CARTE X7385 SUPERMERCADO VALENCIA VAL",
              "CB RESTAURANTE MCDONALDS", "CB SUPERMERCADOS DIA MADRID", "CB SOL 12/03"]
    out = _match_rows(matcher, labels, ["card_abroad"] * 6 + ["card_in_store"], batch=batch)
    assert out["merchant_name"].to_list() == [None, None, None, None, "McDonald's",
                                              "Supermercados Dia", "Sol"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_cut_common_word_names_no_chain(matcher: MerchantMatcher, batch: bool) -> None:
    # A shop's trade word cut at 32 characters (Boulangerie Feuillette), an article and a
    # letter (Au Pain de mon Grand-Pere), a trade word and two letters (Ristorante Del
    # Arte), an article and a whole word (Le Parisien; a pastry shop named after the
    # Paris-Brest): no chain. A chain's own name cut keeps it.
    labels = ["CB BOULANGERI", "CB AU P", "CB PIZZERIA RISTORANTE DE LE PEREC",
              "CB LE PARIS BREST DES V", "CB INTERMARCH", "CB LEROY MERL", "CB CARREFOUR MARK",
              "CB LE PARISIEN"]
    names = _match_rows(matcher, labels, ["card_in_store"] * 8, batch=batch)[
        "merchant_name"].to_list()
    assert names[:4] == [None, None, None, None]
    assert names[4].startswith("Intermarch")
    assert names[5:] == ["Leroy Merlin", "Carrefour Market", "Le Parisien"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_chain_named_like_a_person_then_another_line_s_trade_is_a_local_shop(
        matcher: MerchantMatcher, batch: bool) -> None:
    # A market gardener named Leclerc, a butcher named Picard: no chain. The chain's own
    # line after its name (its fuel station) and the bare names keep their chains.
    labels = ["CB LECLERC EARL", "CB PICARD BOUCHERIE", "CB LECLERC CARBURANT",
              "CB LECLERC 12/03", "CB PICARD 12/03"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 5, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, "Station Service E.Leclerc",
                                              "E.Leclerc", "Picard"]


def test_a_number_is_no_alias(directory: MerchantDirectory, matcher: MerchantMatcher) -> None:
    # The US stations 76 are in the name-suggestion index; a telephone number ends with 76.
    assert directory.aliases.filter(pl.col("alias").str.contains(r"^[0-9 ]+$")).height == 0
    out = _match(matcher, ["EMMANUELLE REYNAUD PART COLOC 06 89 26 80 76"],
                 types=["instant_transfer_out"])
    assert out["merchant_name"][0] is None


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_an_online_seller_paid_abroad_is_found(matcher: MerchantMatcher, batch: bool) -> None:
    # Amazon's US store in dollars, Ryanair in pounds: an online merchant seated abroad,
    # not a shop visited abroad.
    labels = ["AMAZON US 12,99 USD", "RYANAIR 12,99 GBP", "SPOTIFY AB STOCKHOLM SE"]
    out = _match_rows(matcher, labels, ["card_abroad"] * 3, batch=batch)
    assert out["merchant_name"].to_list() == ["Amazon", "Ryanair", "Spotify"]


def test_intermediary_stripped_text_is_used(matcher: MerchantMatcher) -> None:
    frame = pl.DataFrame({"raw_label": ["CB PAYPAL *DELIVEROO 12/03"],
                          "merchant_text": ["DELIVEROO"], "mcc": ["5814"]})
    out = matcher.match(frame)
    assert out["merchant_name"].to_list() == ["Deliveroo"]
    # Without the intermediary step the wrapper is never returned as the merchant.
    wrapped = _match(matcher, ["CB PAYPAL *DELIVEROO 12/03"], ["5814"])
    assert wrapped["merchant_name"][0] in (None, "Deliveroo")


def test_ambiguous_short_alias_needs_mcc_support(matcher: MerchantMatcher) -> None:
    # PAUL is a bakery chain and a first name: a transfer to a person must not match it,
    # a card payment with the bakery MCC may.
    out = _match(matcher, ["VIR SEPA EMIS /BEN PAUL /MOTIF CADEAU", "CB PAUL 12/03"],
                 [None, "5462"])
    assert out["merchant_id"][0] is None
    assert out["merchant_name"][1] == "Paul"
    assert out["merchant_confidence"][1] > (out["merchant_confidence"][0] or 0.0)


def test_unknown_local_shop_returns_null(matcher: MerchantMatcher) -> None:
    out = _match(matcher, ["CB BOULANGERIE DUPONT 12/03", "PAIEMENT CB AU FOURNIL DE LEA"],
                 ["5462", "5462"])
    assert out["merchant_id"].to_list() == [None, None]
    assert out["merchant_name"].to_list() == [None, None]


def test_same_brand_candidates_do_not_split_the_probability(
        matcher: MerchantMatcher, directory: MerchantDirectory) -> None:
    # Three TotalEnergies stations share the label; the brand is sure. Its line is fuel or
    # EV charging (both MCC 5541 in the index): the MCC's own line, fuel, or both left open
    # to the category model (the score gap between them varies from one training to the
    # next around the margin).
    out = _match(matcher, ["CB TOTALENERGIES 12/03"], ["5541"], types=["card_in_store"])
    merchant = out["merchant_id"][0]
    assert merchant is not None
    assert merchant.startswith("nsi:totalenergies-")
    assert out["merchant_confidence"][0] >= matcher.threshold
    lines = out["merchant_lines"][0]
    assert (out["merchant_subcategory"][0] == "fuel" if lines is None
            else {"ev_charging", "fuel"} <= set(lines.split("|")))


def test_two_businesses_the_label_cannot_tell_apart_stay_unknown(
        matcher: MerchantMatcher) -> None:
    # The same hit twice, under two businesses: whichever is first, it cannot be right more
    # than half the time, however sure the calibration map is.
    import dataclasses

    from ledgerlens.enrich.merchants._matcher import _key_exprs
    from ledgerlens.enrich.merchants._quick import quick_features, quick_hit_records

    directory = matcher._directory()
    frame = pl.DataFrame({"raw_label": ["PRLV SEPA EDF CLIENTS PARTICULIERS"],
                          "transaction_type": ["direct_debit"]})
    rows = matcher._rows(frame, []).with_row_index("row_id")
    one = quick_features(quick_hit_records(rows, directory, True, *_key_exprs()), directory)
    one = one.sort("merchant_idx").head(1)
    # A calibration map sure of any hit, as one fitted where such twins were mostly right.
    scorer = dataclasses.replace(matcher._scorer(), calib_x=np.array([0.0, 1.0]),
                                 calib_y=np.array([0.8, 1.0]), bare=None)
    twin = one.with_columns(merchant_idx=pl.col("merchant_idx") + 1,
                            brand_key=pl.lit("another brand"))
    tied = scorer.top(pl.concat([one, twin.with_columns(business_key=pl.lit("another"))]))
    assert tied["confidence"][0] == 0.5
    # Two lines of one business (an insurer's car and home contracts): no tie, and they do
    # not split the confidence: it is the business's probability, calibrated, above
    # either brand's.
    lines = scorer.top(pl.concat([one, twin]))
    assert lines["_pb"][0] > lines["_p"][0]
    assert lines["confidence"][0] == scorer.calibrate(lines["_pb"].to_numpy())[0] > 0.9


def test_a_brand_s_longer_alias_decides_its_line_without_mcc(matcher: MerchantMatcher) -> None:
    # A bare INTERMARCHE is a shop or a fuel station: the line stays open. LECLERC DRIVE
    # names one line of the brand: it outscores the brand's other lines and is sure.
    out = _match(matcher, ["CB INTERMARCHE 12/03", "CB LECLERC DRIVE 12/03"], [None, None],
                 types=["card_in_store", "card_in_store"])
    assert out["merchant_subcategory"][0] is None
    assert "|" in out["merchant_lines"][0]
    assert out["merchant_subcategory"][1] == "supermarket"
    assert out["merchant_lines"][1] is None


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_station_word_after_a_grocer_s_name_names_its_fuel_station(
        matcher: MerchantMatcher, batch: bool) -> None:
    # E.Leclerc's stations are another index entry (Station Service E.Leclerc) that its
    # shops' exact name outscored: E.LECLERC STATION had read as the supermarket at 1.0.
    labels = ["CB E.LECLERC STATION 12/03", "CB CARREFOUR CARBURANT", "CB SUPER U CARBU"]
    out = _match_rows(matcher, labels, ["card_in_store"] * len(labels), batch=batch)
    assert out["merchant_subcategory"].to_list()[:3] == ["fuel"] * 3
    assert out["merchant_name"][0] == "Station Service E.Leclerc"


def test_a_fuel_station_s_name_with_a_station_word_is_an_alias_of_the_station_only(
        directory: MerchantDirectory) -> None:
    aliases = directory.aliases.join(directory.merchants.select("merchant_idx", "name"),
                                     on="merchant_idx")
    shop = set(aliases.filter(pl.col("name") == "E.Leclerc")["alias"])
    station = set(aliases.filter(pl.col("name") == "Station Service E.Leclerc")["alias"])
    assert "E LECLERC" in shop & station
    assert {"E LECLERC STATION", "LECLERC CARBURANT", "E LECLERC CARBU"} <= station - shop


def test_transaction_type_separates_online_and_store_duplicates(
        matcher: MerchantMatcher) -> None:
    out = _match(matcher, ["IKEA", "IKEA"], ["5712", "5712"],
                 types=["card_online", "card_in_store"])
    online, store = out["merchant_id"].to_list()
    assert online == "cur:ikea-online"
    assert store is not None
    assert store.startswith("nsi:ikea-")


def test_card_fee_line_is_no_merchant(matcher: MerchantMatcher) -> None:
    out = _match(matcher, ["COTISATION CARTE VISA CLASSIC"], [None], types=["fee"])
    assert out["merchant_id"].to_list() == [None]


def test_smooth_calibration_is_monotone_with_many_levels() -> None:
    rng = np.random.default_rng(3)
    raw = rng.uniform(0, 1, 4000)
    right = (rng.uniform(0, 1, 4000) < raw).astype(np.float64)
    x, y = smooth_isotonic(raw, right, np.ones_like(raw))
    assert (np.diff(x) > 0).all()
    assert (np.diff(y) >= 0).all()
    conf = np.interp(raw, x, y)
    assert np.unique(conf).size > 100  # no big plateaus: a threshold can fall anywhere
    bins = np.minimum((conf * 10).astype(int), 9)
    ece = sum((bins == b).mean() * abs(conf[bins == b].mean() - right[bins == b].mean())
              for b in range(10) if (bins == b).any())
    assert ece < 0.05


def test_threshold_never_returns_a_coin_flip(matcher: MerchantMatcher) -> None:
    assert matcher.threshold >= min(MIN_CONFIDENCE, matcher.precision)
    assert MerchantMatcher.default(precision=0.5).threshold >= 0.5 - 1e-12


def test_confidence_is_monotone_in_the_model_score(matcher: MerchantMatcher) -> None:
    scorer = matcher.scorer_
    assert scorer is not None
    grid = np.linspace(0.0, 1.0, 201)
    conf = scorer.calibrate(grid)
    assert (np.diff(conf) >= -1e-12).all()
    assert conf.min() >= 0.0
    assert conf.max() <= 1.0
    assert scorer.threshold_for(0.9) <= scorer.threshold_for(0.99)


def test_a_hit_scores_the_same_alone_and_in_a_large_batch(matcher: MerchantMatcher) -> None:
    scorer = matcher.scorer_
    assert scorer is not None
    hits = np.random.default_rng(3).normal(size=(600, scorer.coef.size)) * 2.0
    batch = scorer.linear_array(hits)  # the per-feature loop
    alone = np.concatenate([scorer.linear_array(hits[i:i + 3]) for i in range(0, 600, 3)])
    assert np.array_equal(alone, batch)  # bit for bit: the few-hits cumulative sum


def test_mcc_agreement_raises_confidence(matcher: MerchantMatcher) -> None:
    out = _match(matcher, ["CB DECATHLON 12/03", "CB DECATHLON 12/03"], ["5941", "5812"])
    agree, disagree = out["merchant_confidence"].to_list()
    assert agree is not None
    assert disagree is not None
    assert agree >= disagree


def test_match_keeps_rows_order_and_columns(matcher: MerchantMatcher) -> None:
    labels = ["CB LIDL 01/02", "VIR DE MAMAN", "CB LIDL 01/02", "", "RETRAIT DAB 12/03"]
    frame = pl.DataFrame({"raw_label": labels, "extra": list(range(5))})
    out = matcher.match(frame)
    assert out.columns == ["raw_label", "extra", *MERCHANT_COLUMNS]
    assert out["extra"].to_list() == list(range(5))
    assert out["merchant_id"][0] == out["merchant_id"][2]
    assert dict(out.select(list(MERCHANT_COLUMNS)).schema) == MERCHANT_COLUMNS


def test_bad_input_never_crashes(matcher: MerchantMatcher) -> None:
    labels = ["", "X" * 10_000, "CB \ufffd\ufffd LIDL", "CARREFOUR " * 1_000, None]
    frame = pl.DataFrame({"raw_label": labels, "mcc": ["12", None, "abcd", "5411", None]},
                         schema={"raw_label": pl.String, "mcc": pl.String})
    out = matcher.match(frame)
    assert out.height == 5
    assert out["merchant_id"][0] is None
    conf = out["merchant_confidence"].drop_nulls()
    assert ((conf >= 0) & (conf <= 1)).all()
    empty = matcher.match(frame.head(0))
    assert empty.height == 0
    assert "merchant_id" in empty.columns


def test_missing_text_column_is_a_clear_error(matcher: MerchantMatcher) -> None:
    with pytest.raises(DataError, match="raw_label"):
        matcher.match(pl.DataFrame({"amount": [1.0]}))


# -- learning and persistence -------------------------------------------------------------

@pytest.fixture(scope="module")
def small_bank() -> pl.DataFrame:
    bank = generate_bank(SynthConfig(customers=150, months=4, seed=7))
    return bank.transactions.join(
        bank.ground_truth.select("tenant_id", "transaction_id", "merchant_id"),
        on=["tenant_id", "transaction_id"]).rename({"merchant_id": "truth"})


def test_fit_learns_a_scorer_that_finds_known_merchants(small_bank: pl.DataFrame) -> None:
    fitted = MerchantMatcher(precision=0.95, fuzzy=False).fit(small_bank, "truth")
    out = fitted.match(small_bank)
    returned = out.filter(pl.col("merchant_id").is_not_null())
    assert returned.height > 0.2 * out.height
    precision = (returned["merchant_id"] == returned["truth"]).fill_null(False).mean()
    assert precision is not None
    assert precision >= 0.9


def test_fit_rows_limit_what_the_weights_learn_not_what_calibrates(
        small_bank: pl.DataFrame) -> None:
    half = small_bank["customer_id"].hash(3) % 2 == 0
    hits = MerchantMatcher(fuzzy=False).training_hits(small_bank, "truth", half)
    sides = dict(hits.unique("row_id").group_by("_fit").agg(pl.col("weight").sum()).iter_rows())
    assert 0 < sides[True] <= half.sum()
    assert 0 < sides[False] <= (~half).sum()
    fitted = MerchantMatcher(fuzzy=False).fit(small_bank, "truth", fit_rows=half).to_arrays()
    alone = MerchantMatcher(fuzzy=False).fit(small_bank.filter(half), "truth").to_arrays()
    # The same weights as from the half alone; a calibration map from both halves.
    assert np.allclose(fitted["coef"], alone["coef"])
    assert not np.array_equal(fitted["calib_y"], alone["calib_y"])
    with pytest.raises(DataError, match="fit_rows"):
        MerchantMatcher(fuzzy=False).training_hits(small_bank, "truth", half.head(10))


def test_fit_gives_the_same_arrays_whatever_the_row_order(small_bank: pl.DataFrame) -> None:
    first = MerchantMatcher(fuzzy=False).fit(small_bank, "truth").to_arrays()
    shuffled = small_bank.sample(fraction=1.0, shuffle=True, seed=3)
    again = MerchantMatcher(fuzzy=False).fit(shuffled, "truth").to_arrays()
    assert first.keys() == again.keys()
    assert all(np.array_equal(first[k], again[k]) for k in first)


def test_arrays_round_trip_gives_identical_matches(matcher: MerchantMatcher) -> None:
    arrays = matcher.to_arrays()
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float64 for v in arrays.values())
    again = MerchantMatcher.from_arrays({k: v.copy() for k, v in arrays.items()})
    labels = ["CB E.LECLERC 12/03", "CB MONOP 12/03", "PRLV SEPA EDF CLIENTS PARTICULIERS"]
    first = _match(matcher, labels, ["5411", "5411", None])
    second = _match(again, labels, ["5411", "5411", None])
    assert first.equals(second)


def test_scorer_rejects_wrong_shapes(matcher: MerchantMatcher) -> None:
    arrays = matcher.to_arrays()
    arrays["coef"] = arrays["coef"][:-1]
    with pytest.raises(ConfigurationError, match="coef"):
        MerchantScorer.from_arrays(arrays)


def test_unfitted_matcher_says_so() -> None:
    with pytest.raises(ConfigurationError, match="not fitted"):
        MerchantMatcher().match(pl.DataFrame({"raw_label": ["CB LIDL"]}))


def test_precision_must_be_a_probability(matcher: MerchantMatcher) -> None:
    scorer = matcher.scorer_
    assert scorer is not None
    with pytest.raises(ConfigurationError, match="precision"):
        scorer.threshold_for(1.5)


def test_labels_without_mcc_get_their_own_calibration_and_threshold(
        small_bank: pl.DataFrame) -> None:
    # Bank CSV, camt.053, MT940 and CFONB exports carry no MCC: the same card label is worth
    # less there. The card types come from the label steps.
    from ledgerlens.enrich._train import label_steps

    truth = small_bank.select("transaction_id", "truth")
    typed = label_steps(small_bank.drop("truth")).join(truth, on="transaction_id")
    bare = typed.with_columns(mcc=pl.lit(None, dtype=pl.String))
    fitted = MerchantMatcher(fuzzy=False).fit(pl.concat([typed, bare]), "truth")
    scorer = fitted.scorer_
    assert scorer is not None
    assert scorer.bare is not None
    again = MerchantScorer.from_arrays(scorer.to_arrays())
    assert again.bare is not None
    assert again.bare_threshold_for(0.99) == scorer.bare_threshold_for(0.99)
    assert scorer.bare_threshold_for(0.99) >= MIN_CONFIDENCE
    out = fitted.match(bare)
    brands = MerchantDirectory.default().brand_keys()
    returned = (out.filter(pl.col("merchant_id").is_not_null())
                .join(brands, on="merchant_id", how="left")
                .join(brands.rename({"merchant_id": "truth", "brand_key": "true_brand"}),
                      on="truth", how="left"))
    assert returned.height > 0.1 * out.height
    right = (returned["brand_key"] == returned["true_brand"]).fill_null(False).mean()
    assert right is not None
    assert right >= 0.95
    # A brand with several lines of business and no MCC: merchant known, line left open.
    unsure = out.filter(pl.col("merchant_lines").is_not_null())
    assert unsure.height > 0
    assert unsure["merchant_subcategory"].null_count() == unsure.height
    assert unsure["merchant_lines"].str.contains("|", literal=True).all()


def test_an_unsure_candidate_leaves_its_line_as_a_hint_not_a_merchant(
        small_bank: pl.DataFrame) -> None:
    # Card payments without MCC: brand labels scoring below a strict threshold return no
    # merchant, but the best candidate's line of business is a clue for the category
    # model: exactly what a lenient matcher would return. (At the default precision the
    # shipped scorer's thresholds sit at their 0.6 floor, where such labels may be none.)
    from ledgerlens.enrich._train import label_steps
    from ledgerlens.enrich.merchants._quick_match import HINT_MIN_CONFIDENCE

    bare = label_steps(small_bank.drop("truth")).with_columns(mcc=pl.lit(None, pl.String))
    strict = MerchantMatcher.default(precision=0.9995).match(bare)
    lenient = MerchantMatcher.default(precision=0.5).match(bare)
    hinted = strict["merchant_hint"].is_not_null()
    assert hinted.sum() > 0
    assert strict.filter(hinted)["merchant_id"].null_count() == hinted.sum()
    assert (strict.filter(hinted)["merchant_confidence"].min()  # type: ignore[operator]
            >= HINT_MIN_CONFIDENCE)
    assert (strict.filter(hinted)["merchant_hint"]
            == lenient.filter(hinted)["merchant_subcategory"]).all()
    returned = strict["merchant_id"].is_not_null()
    assert strict.filter(returned)["merchant_hint"].null_count() == returned.sum()


@pytest.mark.parametrize("rows", [1, 40])
def test_the_category_s_line_settles_which_of_a_brand_s_merchants(
        matcher: MerchantMatcher, rows: int) -> None:
    # DIRECT ASSURANCE debits the car and the home contracts alike: the matcher leaves the
    # line open and the category model's choice names the contract.
    labels = ["PRLV SEPA DIRECT ASSURANCE"] * 3
    out = _match(matcher, labels, types=["direct_debit"] * 3)
    assert set(out["merchant_lines"].to_list()) == {"car_insurance|home_insurance"}
    chosen = out.with_columns(
        subcategory=pl.Series(["car_insurance", "home_insurance", "electricity"]))
    chosen = pl.concat([chosen] * rows)
    settled = matcher.settle_lines(chosen)
    assert settled["merchant_id"].head(3).to_list() == [
        "cur:direct-assurance-auto", "cur:direct-assurance-habitation",
        out["merchant_id"][2]]
    assert settled["merchant_name"][0] == "Direct Assurance"
    # The line keeps the display name the label read when the brand has such an entry:
    # SUPER U settled as a supermarket is Super U, not the brand's first one (Hyper U).
    fuel = _entry_id(matcher, "Super U", "fuel")
    super_u = pl.DataFrame({"merchant_id": [fuel], "merchant_name": ["Super U"],
                            "merchant_website": [None], "subcategory": ["supermarket"],
                            "merchant_lines": ["fuel|supermarket"]},
                           schema_overrides={"merchant_website": pl.String})
    settled = matcher.settle_lines(pl.concat([super_u] * rows))
    assert set(settled["merchant_name"].to_list()) == {"Super U"}
    assert fuel not in set(settled["merchant_id"].to_list())
    # Rows without open lines are left alone.
    plain = _match(matcher, ["CB E.LECLERC 12/03"], ["5411"]).with_columns(
        subcategory=pl.lit("supermarket"))
    assert matcher.settle_lines(plain).equals(plain)


def _entry_id(matcher: MerchantMatcher, name: str, subcategory: str) -> str:
    """The merchant id of ``name``'s entry in ``subcategory``."""
    rows = matcher._directory().merchants.filter(
        (pl.col("name") == name) & (pl.col("subcategory") == subcategory))
    return str(rows["merchant_id"][0])


def test_a_numbered_chain_name_is_found_with_its_number(matcher: MerchantMatcher) -> None:
    out = _match(matcher, ["CB OPTIC 2000 07/05", "CB SPORT 2000 12/03 ANNECY",
                           "CB MCDONALDS 2041 12/03"], ["8043", "5941", "5814"])
    assert out["merchant_name"].to_list() == ["Optic 2000", "Sport 2000", "McDonald's"]


def test_a_trade_word_of_another_category_before_a_name_is_no_chain() -> None:
    # BOULANGER is the electronics chain and a baker's trade word: BOULANGER DURAND is a
    # bakery (its owner's name follows), a bare BOULANGER the chain (shipped scorer).
    from ledgerlens.enrich import EnrichmentModel

    out = _match(EnrichmentModel.default().merchants,
                 ["CB BOULANGER DURAND 12/03", "CB BOULANGER IRIGOYEN", "CB BOULANGER 12/03"],
                 types=["card_in_store"] * 3)
    assert out["merchant_name"].to_list() == [None, None, "Boulanger"]


_OTHER_SHOP_LABELS = ["CB SMART COIFFURE 12/03", "CB STAR KEBAB 12/03", "CB SUGAR BAR 12/03",
                      "CB AUCHAN CARBURANTS 12/03", "CB BOUTIQUE ORANGE 12/03",
                      "CB SHELL STATION 12/03", "CB ZARA HOME 12/03",
                      "CB MINI MARKET COULIBALY", "CB MINI MARCHE DE LA LIBERATION"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_trade_word_of_another_category_after_a_one_word_alias_is_no_chain(
        matcher: MerchantMatcher, batch: bool) -> None:
    # SMART, STAR, SUGAR and MINI are chains' one-word names; COIFFURE, KEBAB, BAR and
    # MARKET say the shop is a hairdresser, a kebab, a bar and a grocer. Auchan keeps its
    # fuel line (CARBURANTS), Orange its shop (BOUTIQUE is what chains write: the curated
    # entry of its shops), Shell its station; a two-word alias is no concern of the rule.
    # The batch path (more than QUICK_MAX_TEXTS keys) answers the same.
    out = _match_rows(matcher, _OTHER_SHOP_LABELS, batch=batch)
    names = out["merchant_name"].to_list()
    assert names[:3] == [None, None, None]
    assert out["merchant_hint"].to_list()[:3] == [None, None, None]
    assert names[4:] == ["Orange", "Shell", "Zara Home", None, None]
    assert out["merchant_id"][4] == "cur:orange-boutique"
    # Auchan's fuel line keeps its hit (the rule spares it): the best candidate, returned
    # or not (without type nor amount, retrained scorers put it either side of the bar).
    assert _best_candidate(matcher, "CB AUCHAN CARBURANTS 12/03") == ("Auchan", "fuel")
    assert names[3] in (None, "Auchan")


_PERSON_CHAIN_LABELS = ["CB LECLERC GUIPAVAS 12/03", "CB NICOLAS QUIMPERLE",
                        "CB PAUL LANDIVISIAU", "CB PAUL MARTIN", "CB NICOLAS DUPONT"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_chain_named_after_a_person_then_an_unknown_town_is_the_chain(
        matcher: MerchantMatcher, batch: bool) -> None:
    # LECLERC, NICOLAS and PAUL are names of people and of chains; after them comes a town
    # the places list lacks (shipped scorer). A person's name (MARTIN, DUPONT) after the
    # name makes it a person: not the chain (dropped). A trade word of the chain's own
    # category after it (PICARD EPICERIE) is left to the scorer, no rule: stop 35's put
    # Picard at 0.50, stop 36's at 0.81.
    out = _match_rows(matcher, _PERSON_CHAIN_LABELS,
                      ["card_in_store"] * len(_PERSON_CHAIN_LABELS), batch=batch)
    assert out["merchant_name"].to_list() == ["E.Leclerc", "Nicolas", "Paul", None, None]


_ENGLISH_NAME_LABELS = ["CB HOME DECO 12/03", "CB SMART PHONE REPAIR", "CB PINK BEAUTY 12/03",
                        "CB BURGER KING 12/03", "CB NEW LOOK 12/03", "CB U EXPRESS 12/03"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_an_everyday_english_word_in_a_local_shop_s_name_is_no_brand(
        matcher: MerchantMatcher, batch: bool) -> None:
    # HOME, SMART and PINK are one-word brand names (a hotel, a car maker, a clothes shop)
    # and words French shops take for their names: such a shop is not the brand. A brand's
    # phrase (BURGER KING, NEW LOOK, U EXPRESS) is still found.
    out = _match_rows(matcher, _ENGLISH_NAME_LABELS, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, None, "Burger King", "New Look",
                                              "U Express"]


_ENGLISH_PHRASE_LABELS = ["CB DISCOVERY KIDS 12/03", "CB HOME DECO 12/03", "CB SMART KIDS"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
@pytest.mark.parametrize("kind", [None, "card_in_store", "card_contactless"])
def test_a_shop_named_by_an_english_phrase_is_no_brand_of_its_first_word(
        matcher: MerchantMatcher, batch: bool, kind: str | None) -> None:
    # DISCOVERY (a car dealer), HOME (a hotel) and SMART (a car maker) are one-word brands
    # and everyday English words: followed by one more such word they name a local shop
    # (the scorer had put DISCOVERY KIDS on the car dealer on card payments).
    labels = _ENGLISH_PHRASE_LABELS
    out = _match_rows(matcher, labels, [kind] * len(labels) if kind else None, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, None]


def test_money_goes_the_way_of_the_line(matcher: MerchantMatcher) -> None:
    # MGEN's contributions are debited and its refunds received, under the same name: the
    # direction of the money picks the entry (shipped scorer).
    from ledgerlens.enrich import EnrichmentModel

    out = _match(EnrichmentModel.default().merchants,
                 ["PRLV SEPA MGEN", "VIR SEPA RECU MGEN", "PRLV SEPA MALAKOFF HUMANIS",
                  "VIR SEPA RECU MALAKOFF HUMANIS"],
                 types=["direct_debit", "transfer_in", "direct_debit", "transfer_in"])
    assert out["merchant_id"].to_list() == [
        "cur:mgen", "cur:mgen-remb", "cur:malakoff-humanis", "cur:malakoff-humanis-remb"]


@pytest.mark.parametrize("batch", [False, True])
def test_a_short_cut_of_an_alias_does_not_hide_the_exact_name(batch: bool) -> None:
    # REMB (a motif's abbreviation) is 4 letters of MGEN REMBOURSEMENT: that weak cut must
    # not stand for MGEN's refunds line where the exact MGEN does (it had scored 0.04;
    # retrained scorers give it 0.84 to 0.95, well above the matcher's 0.6).
    from ledgerlens.enrich import EnrichmentModel

    filler = [f"VIR SEPA RECU NUMERO {i}" for i in range(300)] if batch else []
    labels = ["VIR MGEN REMB", "VIR MGEN"]
    out = _match(EnrichmentModel.default().merchants, labels + filler,
                 types=["transfer_in"] * (len(labels) + len(filler))).head(len(labels))
    assert out["merchant_id"].to_list() == ["cur:mgen-remb"] * 2
    assert out["merchant_confidence"][0] > 0.8


def test_a_card_payment_is_not_paid_to_a_direct_debit_only_entry(
        directory: MerchantDirectory) -> None:
    # TotalEnergies' electricity contract is billed by direct debit only: a card payment
    # at TOTALENERGIES is the stations' brand, a direct debit the energy supplier (the
    # shipped model's scorer, which has learned what a label without MCC is worth).
    from ledgerlens.enrich import EnrichmentModel

    no_card = set(directory.merchants.filter(~pl.col("card_billing"))["merchant_id"])
    assert "cur:totalenergies-electricite" in no_card
    out = _match(EnrichmentModel.default().merchants,
                 ["CB TOTALENERGIES 12/03", "PRLV SEPA TOTALENERGIES EGF"],
                 types=["card_in_store", "direct_debit"])
    card, debit = out["merchant_id"].to_list()
    assert card is not None
    assert card.startswith("nsi:totalenergies")
    assert debit in {"cur:totalenergies-electricite", "cur:totalenergies-gaz"}


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_cash_and_card_totals_name_no_merchant(matcher: MerchantMatcher, batch: bool) -> None:
    # A cash machine in a shop, or in a town that is also a brand (Gap), buys nothing: no
    # merchant; the brand's own card payment keeps it. A deferred card's month added up
    # (TOTAL DES FACTURES CARTE) is no TotalEnergies.
    labels = ["RETRAIT DAB CARREFOUR MARKET", "RETRAIT DAB 29/09/25 GAP",
              "TOTAL DES FACTURES CARTE 30/11", "CB GAP 12/03"]
    types = ["cash_withdrawal", "cash_withdrawal", "deferred_card_total", "card_in_store"]
    out = _match_rows(matcher, labels, types, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, None, "Gap"]
    assert out["merchant_confidence"].to_list()[:3] == [None, None, None]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_fee_names_only_its_bank(matcher: MerchantMatcher, batch: bool) -> None:
    # The fee on a payment abroad names the shop, which sold nothing on that line; a
    # bank's own fee keeps the bank.
    labels = ["COMMISSION CARTE X1234 27/11 AMAZON US", "REVOLUT PREMIUM PLAN FEE"]
    out = _match_rows(matcher, labels, ["fee", "fee"], batch=batch)
    assert out["merchant_name"].to_list() == [None, "Revolut Premium"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_an_english_refund_motif_is_a_refund_word(matcher: MerchantMatcher,
                                                  batch: bool) -> None:
    # REFUND beside the name had read as another name's word: Booking.com at 0.05.
    labels = ["BOOKING.COM REFUND", "AIR FRANCE REFUND"]  # cleaned transfer labels
    out = _match_rows(matcher, labels, ["transfer_in"] * 2, batch=batch)
    assert out["merchant_name"].to_list() == ["Booking.com", "Air France"]


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_an_online_merchants_refund_reads_its_web_name(matcher: MerchantMatcher,
                                                       batch: bool) -> None:
    # AMAZON FR is Amazon's web name, no cut of AMAZON FRESH; a refund of an online merchant
    # is scored as its online payments are (the web name's weight is learnt on those).
    labels = ["REMBOURSEMENT AMAZON.FR", "AVOIR AMAZON.FR", "CB AMAZON FRES"]
    types = ["refund", "refund", "card_online"]
    out = _match_rows(matcher, labels, types, batch=batch)
    assert out["merchant_name"].to_list() == ["Amazon", "Amazon", "Amazon Fresh"]


def test_loan_types_are_the_types_scoped_to_loans() -> None:
    from ledgerlens.enrich.categories._rules import TYPE_SCOPES
    from ledgerlens.enrich.merchants._scorer import LOAN_TYPES

    assert set(LOAN_TYPES) == {t for t, cats in TYPE_SCOPES.items() if cats == ("loans",)}


def test_transfers_get_a_calibration_map_and_threshold_of_their_own(
        matcher: MerchantMatcher) -> None:
    # A score right three times in four on a card payment is right once in ten on a
    # transfer (people and employers named like brands): transfers read their own map.
    import copy
    import dataclasses

    from ledgerlens.enrich.merchants._scorer import KindCalibration

    scorer = matcher._scorer()
    low = KindCalibration(np.array([0.0, 1.0]), np.array([0.0, 0.5]), np.array([0.5]),
                          np.array([0.9]))
    own = dataclasses.replace(scorer, transfer=low)
    raw = np.array([0.8, 0.8, 0.8])
    flags = np.array([False, False, True])
    out = own.calibrate(raw, np.zeros(3, dtype=np.bool_), flags)
    assert out[2] == pytest.approx(0.4)
    assert out[0] == out[1] == scorer.calibrate(raw)[0]
    # Never reaching 99 % precision, the map returns no merchant at all.
    assert own.transfer_threshold_for(0.99) > 1.0
    assert scorer.transfer_threshold_for(0.99) == (
        scorer.threshold_for(0.99) if scorer.transfer is None
        else scorer._own_threshold(scorer.transfer, 0.99))
    again = MerchantScorer.from_arrays(own.to_arrays())
    assert again.transfer is not None
    assert np.array_equal(again.transfer.calib_y, low.calib_y)
    # Both paths read it: a transfer to a biller is unknown under that map.
    labels = ["VIR SEPA EMIS VERS EDF CLIENTS PARTICULIERS"] * 2
    lowered = copy.copy(matcher)
    lowered.scorer_ = own
    for rows in (1, 2):
        found = _match_rows(lowered, labels[:rows], ["transfer_out"] * rows, batch=rows > 1)
        assert found["merchant_id"].null_count() == rows


def test_station_ids_are_oil_companies_not_grocers(directory: MerchantDirectory) -> None:
    # Pumps and a shop under one brand: Esso's, TotalEnergies' every entry. A grocer with
    # pumps is no oil company: Carrefour Contact (named as the supermarket), Casino (which
    # has one).
    names = dict(directory.merchants.select("merchant_id", "name").iter_rows())
    stations = {names[i] for i in directory.station_ids}
    assert {"Esso", "Shell", "TotalEnergies"} <= stations
    assert not {"Carrefour Contact", "Casino", "Intermarché", "E.Leclerc"} & stations
    subs = directory.merchants.filter(pl.col("merchant_id").is_in(sorted(
        directory.station_ids))).get_column("subcategory").unique().to_list()
    assert "fuel" in subs
    assert "supermarket" not in subs


@pytest.mark.parametrize("batch", [False, True], ids=["few rows", "batch"])
def test_a_family_firm_is_not_the_brand_of_its_surname(matcher: MerchantMatcher,
                                                       batch: bool) -> None:
    # PICARD ET FILS is the Picard family's firm, not the frozen-food chain; each was a
    # chain before. A brand alone, or whose name holds the words, keeps its hit.
    labels = ["CB PICARD ET FILS", "CB LECLERC FRERES", "CB NICOLAS & ASSOCIES",
              "CB PAUL ET CIE", "CB PICARD 12/03"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 5, batch=batch)
    assert out["merchant_name"].to_list() == [None, None, None, None, "Picard"]


@pytest.mark.parametrize("batch", [True, False])
def test_a_town_s_name_is_no_cut_brand(matcher: MerchantMatcher, batch: bool) -> None:
    # NEW YORK is a town, not NEW YORKER cut short; ROMA no cut Romantik Hotels, TUNIS no
    # cut Tunisair (each was that brand). The whole names keep their brands.
    labels = ["CB NEW YORK PIZZA 12/03", "CB ROMA PIZZA", "CB TUNIS", "CB NEW YORKER 12/03",
              "CB TUNISAIR"]
    out = _match_rows(matcher, labels, ["card_in_store"] * 5, batch=batch)
    assert out["merchant_name"].to_list()[:3] == [None, None, None]
    assert [n is not None and n.upper().startswith(w) for n, w in zip(
        out["merchant_name"].to_list()[3:], ["NEW YORKER", "TUNISAIR"], strict=True)] == [
        True, True]
