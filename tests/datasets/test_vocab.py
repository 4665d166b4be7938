"""Bundled vocabularies (trades, name words, people, places) and generated local shops."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from ledgerlens.datasets import _vocab
from ledgerlens.datasets._calendar import SEASONALITY_PROFILES
from ledgerlens.datasets._universe import SPEND_PROFILES
from ledgerlens.datasets._vocab import (
    NAME_STYLES,
    TRADE_WORD_FREE_STYLES,
    generate_local_merchants,
    load_communes,
    load_curated_merchants,
    load_english_words,
    load_first_names,
    load_last_names,
    load_local_trades,
    load_name_words,
    load_places,
)
from ledgerlens.exceptions import ConfigurationError, ReferenceDataError
from ledgerlens.taxonomy import SUBCATEGORIES, category_of

REFERENCE = Path(_vocab.__file__).parent / "reference"
S, F = pl.String, pl.Float64
UPPER_ASCII = r"^[A-Z0-9]+( [A-Z0-9]+)*$"


@pytest.fixture(scope="module")
def shops() -> pl.DataFrame:
    return generate_local_merchants(3_000, seed=11)


@pytest.mark.parametrize(
    ("loader", "schema"),
    [
        (load_local_trades, {"trade": S, "subcategory": S, "mcc": S, "words": S,
                             "name_styles": S, "fancy_names": S, "ticket_median": F,
                             "ticket_sigma": F, "visits_per_month": F, "opening_days": S,
                             "seasonality": S, "share": F, "name_heads": S}),
        (load_name_words, {"kind": S, "word": S}),
        (load_english_words, {"word": S}),
        (load_first_names, {"first_name": S, "sex": S, "weight": F}),
        (load_last_names, {"last_name": S, "weight": F}),
        (load_places, {"city": S, "label_forms": S, "postcode": S, "department": S,
                       "region": S, "population": pl.Int64}),
        (load_communes, {"city": S, "label_forms": S, "department": S}),
        (load_curated_merchants, {"merchant_id": S, "name": S, "website": S,
                                  "subcategory": S, "mcc": S, "country": S, "kind": S,
                                  "descriptors": S, "billing": S, "cadence": S,
                                  "amount_median": F, "amount_sigma": F, "popularity": F,
                                  "creditor_id": S}),
    ],
)
def test_bundled_files_load_with_their_columns_and_dtypes(loader, schema) -> None:  # type: ignore[no-untyped-def]
    frame = loader()
    assert dict(frame.schema) == schema
    assert frame.height > 0


def test_loaders_return_copies_a_caller_cannot_corrupt() -> None:
    places = load_places()
    places.drop_in_place("city")
    assert "city" in load_places().columns


def test_trades_name_taxonomy_ids_four_digit_mccs_and_known_profiles() -> None:
    trades = load_local_trades()
    assert trades.height >= 60
    assert trades["trade"].is_unique().all()
    assert set(trades["subcategory"]) <= set(SUBCATEGORIES)
    assert trades["mcc"].str.contains(r"^[0-9]{4}$").all()
    assert trades["opening_days"].str.contains(r"^[01]{7}$").all()
    assert set(trades["seasonality"]) <= set(SEASONALITY_PROFILES)
    assert (trades["share"] > 0).all()
    assert (trades["ticket_median"] > 0).all()
    assert (trades["ticket_sigma"] > 0).all()
    for styles in trades["name_styles"].str.split("|").to_list():
        assert set(styles) <= set(NAME_STYLES)


def test_trades_cover_the_main_independent_shops_of_a_french_town() -> None:
    trades = set(load_local_trades()["trade"])
    assert {"bakery", "butcher", "pharmacy", "restaurant", "bar", "bar_tabac", "hairdresser",
            "florist", "garage", "dry_cleaner", "creche", "funeral_services"} <= trades


#: Trades that give a local-shop vocabulary to card-spending subcategories that once had
#: brands only, with words their descriptors must show.
_NEW_TRADES = {
    "fuel_station": ("fuel", {"STATION SERVICE", "CARBURANT", "CARBURANTS"}),
    "parking": ("parking", {"PARKING", "PARC DE STATIONNEMENT", "HORODATEUR"}),
    "company_restaurant": ("canteen", {"RESTAURANT D ENTREPRISE", "RIE", "CANTINE", "SELF"}),
    "university_restaurant": ("canteen", {"CROUS", "RESTAU U", "RU"}),
    "notary": ("professional_services", {"NOTAIRE", "OFFICE NOTARIAL", "ETUDE NOTARIALE"}),
    "lawyer": ("professional_services", {"AVOCAT", "CABINET D AVOCATS"}),
    "accountant": ("professional_services", {"EXPERT COMPTABLE", "CABINET COMPTABLE"}),
    "museum": ("museums_culture", {"MUSEE", "MUSEE DES BEAUX ARTS", "EXPOSITION"}),
    "monument": ("museums_culture", {"CHATEAU", "ABBAYE", "MONUMENT"}),
    "leisure_park": ("museums_culture", {"ZOO", "AQUARIUM", "PARC DE LOISIRS"}),
    "travel_agency": ("travel_agencies", {"AGENCE DE VOYAGES", "VOYAGES", "TOURISME"}),
    "bazaar": ("general_merchandise", {"BAZAR", "SOLDERIE", "DESTOCKAGE", "DISCOUNT"}),
    "hospital": ("hospital_clinic", {"CENTRE HOSPITALIER", "CH", "CHU", "HOPITAL"}),
    "clinic": ("hospital_clinic", {"CLINIQUE", "POLYCLINIQUE", "CLINIQUE PRIVEE"}),
    # Trades real labels showed that no list held (stop 20): GITE DU MOULIN read as an
    # own-account transfer, MENUISERIE and CUISINES as nothing at all.
    "holiday_home": ("holiday_rentals", {"GITE", "LOCATION SAISONNIERE", "VILLAGE VACANCES"}),
    "builder": ("diy_home_improvement", {"MENUISERIE", "MACONNERIE", "CARRELAGE", "TOITURE"}),
    "kitchen_bath": ("furniture_home_equipment", {"CUISINES", "CUISINISTE", "SALLE DE BAINS"}),
    "appliances": ("electronics", {"ELECTROMENAGER", "TELE HIFI"}),
    "tattoo": ("beauty_salon", {"TATOUAGE", "TATTOO", "PIERCING"}),
    "motorcycle_shop": ("vehicle_maintenance", {"MOTO", "MOTOS", "SCOOTERS"}),
    "removals": ("home_services", {"DEMENAGEMENT", "GARDE MEUBLES"}),
    "art_craft": ("hobbies", {"ENCADREMENT", "POTERIE", "GALERIE D ART"}),
    "tutoring": ("school_fees", {"SOUTIEN SCOLAIRE", "COURS PARTICULIERS", "ECOLE DE LANGUES"}),
}


def test_card_spending_subcategories_visited_locally_have_local_trades() -> None:
    trades = load_local_trades()
    by_trade = dict(zip(trades["trade"], trades["subcategory"], strict=True))
    for trade, (subcategory, words) in _NEW_TRADES.items():
        assert by_trade[trade] == subcategory, trade
        spelled = trades.filter(pl.col("trade") == trade)["words"].item().split("|")
        assert words <= set(spelled), trade
    # A subcategory whose visits go mostly to independents must have some to go to.
    local = SPEND_PROFILES.filter(pl.col("local_share") >= 0.25)["subcategory"]
    assert set(local) <= set(by_trade.values())


def test_new_trades_words_belong_to_no_other_subcategory() -> None:
    trades = load_local_trades().with_columns(word=pl.col("words").str.split("|")).explode("word")
    new = trades.filter(pl.col("trade").is_in(list(_NEW_TRADES)))
    clash = new.join(trades, on="word").filter(pl.col("subcategory") != pl.col("subcategory_right"))
    # CENTRE MEDICAL and CABINET MEDICAL mean a doctor, never a hospital.
    assert clash.select("trade", "word", "trade_right").rows() == []


def test_new_trades_show_their_words_in_generated_descriptors() -> None:
    shops = generate_local_merchants(12_000, seed=5)
    for trade in _NEW_TRADES:
        ours = shops.filter(pl.col("trade") == trade)
        assert ours.height >= 5, trade
        spelled = load_local_trades().filter(pl.col("trade") == trade)["words"].item()
        pattern = "^(" + spelled + ") "
        assert ours["descriptor"].str.contains(pattern).any(), trade
    clinics = shops.filter(pl.col("trade") == "clinic", pl.col("name_style") == "trade_place")
    assert clinics["name"].str.contains(r"^CLINIQUE( [A-Z]+)? (DU|DE LA|DES|DE L) ").all()


def test_trade_words_start_with_the_full_word_and_are_upper_case_ascii() -> None:
    trades = load_local_trades()
    bakery = trades.filter(pl.col("trade") == "bakery")["words"].item().split("|")
    assert bakery[0] == "BOULANGERIE"
    assert {"BOUL", "BLG"} <= set(bakery)
    for words in trades["words"].str.split("|").to_list():
        assert all(re.fullmatch(UPPER_ASCII, word) for word in words)


def test_fancy_names_exist_where_allowed_and_never_spell_out_the_trade() -> None:
    for row in load_local_trades().iter_rows(named=True):
        if "fancy" not in row["name_styles"].split("|"):
            continue
        fancy = row["fancy_names"].split("|")
        assert len(fancy) >= 5, row["trade"]
        for name in fancy:
            assert re.fullmatch(UPPER_ASCII, name), name
            for word in row["words"].split("|"):
                if len(word) >= 4:
                    assert f" {word} " not in f" {name} ", (row["trade"], name, word)


def test_name_heads_are_evocative_words_no_trade_spells() -> None:
    trades = load_local_trades()
    spelled = {word for words in trades["words"].str.split("|").to_list() for word in words
               if len(word) >= 4}
    heads = trades.filter(pl.col("name_heads").is_not_null())
    assert heads.height >= 30
    links = {"LE", "LA", "LES", "L", "AU", "AUX", "DE", "DU", "DES", "D", "A", "EN", "ET"}
    subcategory_of: dict[str, set[str]] = {}
    for row in heads.iter_rows(named=True):
        assert "fancy" in row["name_styles"].split("|"), row["trade"]
        for head in row["name_heads"].split("|"):
            assert re.fullmatch(UPPER_ASCII, head), head
            # ``LE FOURNIL``, not ``LA BOULANGERIE``: a head teaches a word trade names lack.
            assert not any(f" {word} " in f" {head} " for word in spelled), (row["trade"], head)
            for word in set(head.split(" ")) - links:
                subcategory_of.setdefault(word, set()).add(row["subcategory"])
    # One word, one line of business (CIVETTE: a tobacconist's, with or without a bar).
    assert {w: s for w, s in subcategory_of.items() if len(s) > 1} == {}


def test_shops_named_on_a_head_carry_its_word_with_a_place_or_a_first_name() -> None:
    shops = generate_local_merchants(12_000, seed=5)
    bakeries = shops.filter(pl.col("trade") == "bakery", pl.col("name_style") == "fancy")
    headed = bakeries.filter(pl.col("name").str.contains(
        r"^(LE FOURNIL|LE PETRIN|LA MIE|LE LEVAIN|LA FARINE|LA BRIOCHE|LA FOUGASSE)\b"))
    assert headed.height >= 5
    assert headed["name"].str.contains(r" (DU|DE LA|DES|DE L|DE|D) [A-Z]").any()


def test_name_words_have_every_kind_in_quantity() -> None:
    words = load_name_words()
    counts = dict(words.group_by("kind").len().iter_rows())
    assert counts["adjective"] >= 25
    assert counts["noun"] >= 25
    assert counts["place"] >= 25
    legal = set(words.filter(pl.col("kind") == "legal")["word"])
    assert {"SARL", "SAS", "SASU", "EURL", "ETS", "STE", "SNC", "SCI", "EI"} <= legal
    assert words["word"].str.contains(UPPER_ASCII).all()


def test_english_words_are_single_upper_case_words_once_each() -> None:
    words = load_english_words()["word"]
    assert words.str.contains(r"^[A-Z]+$").all()
    assert words.n_unique() == words.len()
    assert {"HOME", "SMART", "FRESH"} <= set(words)


def test_person_names_are_upper_case_ascii_with_weights() -> None:
    first, last = load_first_names(), load_last_names()
    assert first.height >= 400
    assert last.height >= 500
    assert first["first_name"].str.contains(UPPER_ASCII).all()
    assert last["last_name"].str.contains(UPPER_ASCII).all()
    assert set(first["sex"]) == {"M", "F"}
    assert not first.select("first_name", "sex").is_duplicated().any()
    assert last["last_name"].is_unique().all()
    assert (first["weight"] > 0).all()
    assert (last["weight"] > 0).all()
    assert {"JEAN PIERRE", "MOHAMED", "FATIMA"} <= set(first["first_name"])
    assert {"LE GALL", "DE SOUSA", "DA SILVA"} <= set(last["last_name"])


def test_places_have_unique_cities_and_first_forms_and_five_character_postcodes() -> None:
    places = load_places()
    assert places.height >= 250
    first_forms = places["label_forms"].str.split("|").list.first()
    assert places["city"].is_unique().all()
    assert first_forms.is_unique().all()
    assert places["postcode"].str.contains(r"^[0-9]{5}$").all()
    assert (places["population"] > 0).all()
    for town, count in (("PARIS", 20), ("LYON", 9), ("MARSEILLE", 16)):
        assert places["city"].str.contains(rf"^{town} [0-9]+$").sum() == count
    assert "ISSY LES MX" in places.filter(pl.col("city") == "ISSY LES MOULINEAUX")[
        "label_forms"].item().split("|")
    assert {"971", "972", "973", "974", "2A", "2B"} <= set(places["department"])


def _spellings(frame: pl.DataFrame) -> set[str]:
    return set(frame["label_forms"].str.split("|").explode().to_list())


def test_communes_are_label_spellings_the_places_list_lacks() -> None:
    communes = load_communes()
    assert 1_500 <= communes.height <= 2_500
    spellings = _spellings(communes)
    assert all(re.fullmatch(UPPER_ASCII, s) for s in spellings)
    assert not spellings & _spellings(load_places())
    assert not communes.select("city", "department").is_duplicated().any()
    assert set(communes["department"]) >= {"01", "29", "2A", "2B", "59", "93", "971", "974"}
    row = communes.filter(pl.col("city") == "SAINT MEDARD EN JALLES")
    assert row["label_forms"].item().split("|") == ["ST MEDARD EN JALLES",
                                                    "SAINT MEDARD EN JALLES"]
    assert "PLOUGASTEL" in _spellings(communes.filter(pl.col("department") == "29"))


def test_commune_spellings_are_no_name_or_shop_word_and_no_short_word() -> None:
    # A town word that is also a person's name or a shop's word would be cut from names.
    spellings = _spellings(load_communes())
    people = set(load_first_names()["first_name"]) | set(load_last_names()["last_name"])
    trades = set(load_local_trades()["words"].str.split("|").explode())
    words = set(load_name_words()["word"]) | set(load_english_words()["word"])
    assert not spellings & (people | trades | words)
    assert min(len(s) for s in spellings) >= 4


@pytest.mark.parametrize(("rows", "message"), [
    ("GUIPAVAS,GUIPAVAS,29\nQUIMPERLE,QUIMPERLE,299\n", r"department must be.*'line': 3"),
    ("QUIMPERLE,Quimperlé|QUIMPERLE,29\n", r"communes\.csv: label_forms must be upper"),
], ids=["bad department", "lower case spelling"])
def test_a_bad_commune_row_is_rejected_with_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rows: str, message: str
) -> None:
    (tmp_path / "communes.csv").write_text("city,label_forms,department\n" + rows)
    monkeypatch.setattr(_vocab, "_reference_dir", lambda: tmp_path)
    with pytest.raises(ReferenceDataError, match=message):
        _vocab._load.__wrapped__("communes.csv")


def test_generation_is_deterministic_for_a_seed_and_differs_for_another() -> None:
    first = generate_local_merchants(500, seed=3)
    assert first.equals(generate_local_merchants(500, seed=3))
    assert not first["name"].equals(generate_local_merchants(500, seed=4)["name"])


def test_generated_names_are_unique_upper_case_ascii(shops: pl.DataFrame) -> None:
    assert shops.height == 3_000
    assert shops["name"].is_unique().all()
    assert shops["name"].str.contains(UPPER_ASCII).all()
    assert shops["merchant_id"].str.contains(r"^loc:[0-9]{6}$").all()
    assert shops["merchant_id"].is_unique().all()


def test_about_a_third_of_names_hold_no_trade_word(shops: pl.DataFrame) -> None:
    free = shops.filter(pl.col("name_style").is_in(list(TRADE_WORD_FREE_STYLES)))
    assert 0.25 <= free.height / shops.height <= 0.45
    full_word = load_local_trades().select(
        "trade", full=pl.col("words").str.split("|").list.first())
    spelled = free.join(full_word, on="trade").filter(
        pl.concat_str([pl.lit(" "), "name", pl.lit(" ")]).str.contains(
            pl.concat_str([pl.lit(" "), "full", pl.lit(" ")]), literal=True))
    # Only owners called like their trade (SARL BARBIER, a barber) may slip through.
    assert spelled.height <= 0.01 * free.height
    assert set(shops["name_style"]) == set(NAME_STYLES)


def test_descriptors_are_short_upper_case_ascii(shops: pl.DataFrame) -> None:
    lengths = shops["descriptor"].str.len_chars()
    assert lengths.max() <= 25
    assert lengths.min() >= 2
    assert (lengths <= 22).mean() >= 0.8
    assert shops["descriptor"].str.contains(r"^[A-Z0-9 \-]+$").all()
    # Descriptors shorten the trade word at least some of the time.
    bakeries = shops.filter(pl.col("trade") == "bakery", pl.col("name_style") == "trade_owner")
    assert bakeries["descriptor"].str.contains(r"^(BOUL|BLG) ").any()


def test_every_city_is_the_first_label_form_of_a_place(shops: pl.DataFrame) -> None:
    places = load_places().select(
        city=pl.col("label_forms").str.split("|").list.first(), postcode="postcode",
        region="region")
    joined = shops.join(places, on="city", how="left", suffix="_place")
    assert joined["postcode_place"].null_count() == 0
    assert (joined["postcode"] == joined["postcode_place"]).all()
    assert (joined["region"] == joined["region_place"]).all()


def test_generated_shops_carry_valid_taxonomy_ids_and_trade_attributes(
    shops: pl.DataFrame,
) -> None:
    assert set(shops["subcategory"]) <= set(SUBCATEGORIES)
    expected = shops["subcategory"].map_elements(category_of, return_dtype=pl.String)
    assert (shops["category"] == expected).all()
    assert shops["mcc"].str.contains(r"^[0-9]{4}$").all()
    assert (shops["ticket_median"] > 0).all()
    assert shops.null_count().sum_horizontal().item() == 0
    # Bakeries outnumber funeral homes, as in any town.
    counts = shops["trade"].value_counts()
    n = dict(counts.iter_rows())
    assert n["bakery"] > n.get("funeral_services", 0)


def test_zero_shops_is_an_empty_frame_with_the_same_columns(shops: pl.DataFrame) -> None:
    empty = generate_local_merchants(0, seed=1)
    assert empty.height == 0
    assert empty.columns == shops.columns


def test_rejects_a_negative_count() -> None:
    with pytest.raises(ConfigurationError, match="got -1"):
        generate_local_merchants(-1, seed=1)


def test_missing_file_raises_reference_data_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(_vocab, "_reference_dir", lambda: tmp_path)
    with pytest.raises(ReferenceDataError, match=r"'places\.csv' is missing"):
        _vocab._read_reference("places.csv")


def test_file_without_a_column_raises_naming_the_file_and_the_column(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "last_names.csv").write_text("last_name\nMARTIN\n")
    monkeypatch.setattr(_vocab, "_reference_dir", lambda: tmp_path)
    with pytest.raises(ReferenceDataError, match=r"last_names\.csv: missing column.*weight"):
        _vocab._read_reference("last_names.csv")


def test_trade_with_an_unknown_subcategory_is_rejected_with_its_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = (REFERENCE / "local_trades.csv").read_text()
    (tmp_path / "local_trades.csv").write_text(text.replace(",bakery,5462,", ",bread,5462,", 1))
    monkeypatch.setattr(_vocab, "_reference_dir", lambda: tmp_path)
    with pytest.raises(ReferenceDataError, match=r"subcategory must be a taxonomy id.*'line': 2"):
        _vocab._load.__wrapped__("local_trades.csv")
