"""Features of (label, candidate merchant) pairs, a logistic scorer and its calibration.

Each alias hit becomes one feature row: how it matched (exact, truncated, fuzzy; in the
label or the counterparty), how long and how shared the alias is, where it sits, whether
it is a common word (a first name, a town, a trade word), whether the label's MCC agrees
with the merchant, and how it competes with the other hits of the same label. A logistic
regression ranks hits; isotonic regression on held-out labels maps the best hit's score to
the probability that it is the right merchant. The learned state is a dict of arrays.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.datasets._mcc import mcc_subcategory_expr
from ledgerlens.enrich._clean import town_names
from ledgerlens.enrich._frame import ENGINE
from ledgerlens.enrich.merchants._candidates import KIND_EXACT, KIND_FUZZY, KIND_PREFIX
from ledgerlens.enrich.merchants._directory import (
    LINE_LEAD_CATEGORIES,
    MONEY_IN_LINES,
    NAME_PARTICLES,
    OTHER_LINE_CATEGORIES,
    PERSON_TITLES,
    business_key,
    english_words,
    first_names,
    foreign_lead_categories,
    lead_word_categories,
    line_lead_subcategories,
    trade_lead_categories,
)
from ledgerlens.enrich.merchants._quick import CARD_KINDS
from ledgerlens.exceptions import ConfigurationError
from ledgerlens.taxonomy import SUBCATEGORIES

__all__ = ["FEATURE_NAMES", "LINE_MARGIN", "MIN_CONFIDENCE", "RECEIVED_TYPES", "TYPE_KINDS",
           "MerchantScorer", "best_hits", "hit_features", "smooth_isotonic"]

FloatArray = npt.NDArray[np.float64]

_CATEGORY = {k: v.category for k, v in SUBCATEGORIES.items()}


def _f(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Float64).fill_null(0.0)


# A hit after common words only, the last of them no article or preposition (the name of
# ``CAFE BAR DE LA PLACE`` is not the chain La Place).
_PLAIN = ((pl.col("start") > 0) & (pl.col("odd_outside") == 0)
          & ~pl.col("lead_tok").is_in(list(NAME_PARTICLES)).fill_null(False))

# Transaction kinds of a card payment, in a fixed order.
_CARD = sorted(CARD_KINDS)
#: Transfers the customer receives.
RECEIVED_TYPES = frozenset({"transfer_in", "instant_transfer_in"})
#: The refund words opening the text (``REMBT TROP PERCU EDF``) before the hit, and the
#: hit's position counted after them: a name right after them stands at the start.
_LEAD = pl.when(pl.col("start") >= pl.col("refund_lead")).then(pl.col("refund_lead")).otherwise(0)
_START = pl.col("start") - _LEAD
#: A card payment, or a hit whose transaction type is unknown: where the shop rules below apply.
_ON_CARD = pl.col("t_kind").is_null() | pl.col("t_kind").is_in(_CARD)
#: A card payment (or unknown type) opening with a person-name alias that is no trade word
#: (BOULANGER is both), no trade word after it.
_NAME_OPENS = (pl.col("name_like") & pl.col("alias_cat").is_null() & (_START == 0) & _ON_CARD
               & pl.col("trail_cat").is_null())
#: ... with words after it, at least one of them unknown to the lexicon (``name_then_word``).
_NAME_THEN_WORD = (_NAME_OPENS & (pl.col("start") + pl.col("n_gram") < pl.col("key_tokens"))
                   & (pl.col("odd_outside") >= 1))
#: Feature expressions over the joined hit table, in model order.
_FEATURES: dict[str, pl.Expr] = {
    "kind_prefix": _f(pl.col("kind") == KIND_PREFIX),
    "kind_fuzzy": _f(pl.col("kind") == KIND_FUZZY),
    "from_counterparty": _f(pl.col("field") == 1),
    "sim": _f(pl.col("sim")),
    "alias_chars_log": _f(pl.col("n_chars").log1p()),
    "alias_tokens": _f(pl.col("n_tokens").clip(1, 6) / 6),
    "coverage": _f((pl.col("n_chars") / pl.col("key_chars").clip(1, None)).clip(0, 1)),
    "ambiguity_log": _f(pl.col("n_merchants").log()),
    "brand_ambiguity_log": _f(pl.col("n_brands").log()),
    "start_frac": _f(_START / (pl.col("key_tokens") - _LEAD).clip(1, None)),
    "at_start": _f(_START == 0),
    "at_end": _f(pl.col("start") + pl.col("n_gram") >= pl.col("key_tokens")),
    "mcc_missing": _f(pl.col("mcc_missing")),
    "mcc_exact": _f(pl.col("mcc_exact")),
    "mcc_sub": _f(pl.col("mcc_sub")),
    "mcc_cat": _f(pl.col("mcc_cat")),
    "mcc_conflict": _f(pl.col("mcc_conflict")),
    "is_online": _f(pl.col("is_online")),
    "is_curated": _f(pl.col("source") == "curated"),
    "is_intermediary": _f(pl.col("is_intermediary")),
    "intermediary_with_other": _f(pl.col("is_intermediary") & pl.col("has_other_merchant")),
    "common_word": _f(pl.col("common")),
    "short_alias": _f(pl.col("n_chars") <= 3),
    "single_token": _f(pl.col("n_tokens") == 1),
    "origin_name": _f(pl.col("origin") == 0),
    "origin_website": _f(pl.col("origin") == 2),
    "derived": _f(pl.col("derived")),
    "dominated": _f(pl.col("dominated")),
    "n_merchants_log": _f(pl.col("n_cand").log()),
    "longest": _f(pl.col("longest")),
    "best_mcc_in_alias": _f(pl.col("best_mcc_in_alias")),
    "name_among_alias": _f(pl.col("name_among_alias")),
    "common_x_mcc_agree": _f(pl.col("common") & (pl.col("mcc_exact") | pl.col("mcc_sub"))),
    "short_x_mcc_agree": _f((pl.col("n_chars") <= 3) & (pl.col("mcc_exact") | pl.col("mcc_sub"))),
    "common_x_mcc_missing": _f(pl.col("common") & pl.col("mcc_missing")),
    "short_x_mcc_missing": _f((pl.col("n_chars") <= 3) & pl.col("mcc_missing")),
    "ambiguous_x_best_mcc": _f((pl.col("n_merchants") > 1) & pl.col("best_mcc_in_alias")),
    "prefix_x_at_end": _f((pl.col("kind") == KIND_PREFIX)
                          & (pl.col("start") + pl.col("n_gram") >= pl.col("key_tokens"))),
    "prefix_x_sim": _f((pl.col("kind") == KIND_PREFIX) * pl.col("sim")),
    "fuzzy_x_sim": _f((pl.col("kind") == KIND_FUZZY) * pl.col("sim")),
    "conflict_x_single": _f(pl.col("mcc_conflict") & (pl.col("n_tokens") == 1)),
    "type_missing": _f(pl.col("t_kind").is_null()),
    "type_online": _f(pl.col("t_kind") == "online"),
    "type_present": _f(pl.col("t_kind") == "present"),
    "type_abroad": _f(pl.col("t_kind") == "abroad"),
    "type_debit": _f(pl.col("t_kind") == "debit"),
    "type_transfer": _f(pl.col("t_kind") == "transfer"),
    "type_other": _f(pl.col("t_kind") == "other"),
    "online_x_present": _f(pl.col("is_online") & (pl.col("t_kind") == "present")),
    "online_x_online": _f(pl.col("is_online") & (pl.col("t_kind") == "online")),
    "store_x_online": _f((pl.col("source") == "nsi") & (pl.col("t_kind") == "online")),
    "abroad_x_home": _f((pl.col("t_kind") == "abroad") & (pl.col("country") == "FR")),
    "abroad_x_store": _f((pl.col("t_kind") == "abroad") & (pl.col("source") == "nsi")),
    "curated_x_debit": _f((pl.col("source") == "curated") & (pl.col("t_kind") == "debit")),
    # A card payment at a merchant billed only by direct debit or transfer (the energy
    # line of a brand whose stations take cards): that entry is not the one paid.
    "card_at_non_card": _f(pl.col("t_kind").is_in(_CARD)
                           & ~pl.col("card_billing")),
    # The direction of the money against the line's: MGEN's contributions are debited, its
    # refunds received (same names, same web site).
    "paid_to_money_in": _f(pl.col("t_kind").is_in([*_CARD, "debit"])
                           & pl.col("m_sub").is_in(sorted(MONEY_IN_LINES))),
    "received_at_money_out": _f(pl.col("transaction_type").is_in(sorted(RECEIVED_TYPES))
                                & ~pl.col("m_sub").is_in(sorted(MONEY_IN_LINES))),
    # ... unless the label says it pays back: EDF's true-up (TROP PERCU), an insurer's
    # claim (INDEMNISATION), a marketplace's refund are the biller's own line.
    "refund_at_money_out": _f(pl.col("transaction_type").is_in(sorted(RECEIVED_TYPES))
                              & ~pl.col("m_sub").is_in(sorted(MONEY_IN_LINES))
                              & pl.col("refund_word")),
    "odd_outside_log": _f(pl.col("odd_outside").log1p()),
    "no_odd_outside": _f(pl.col("odd_outside") == 0),
    # Only common words around a hit that is not first: a shop word before the chain's name
    # (MAGASIN ZARA, SUPERMARCHE CASINO, CINEMA PATHE) when it names the merchant's category
    # or none; a trade word of another category names another shop (FROMAGERIE MARCEL).
    "plain_lead": _f(_PLAIN & pl.col("lead_cat").is_null()),
    "lead_agrees": _f(_PLAIN & (pl.col("lead_cat") == pl.col("m_cat"))),
    "lead_disagrees": _f(pl.col("lead_cat") != pl.col("m_cat")),
    # A card payment whose alias is another category's trade word with more words after
    # it (BOULANGER DURAND: a baker, not the Boulanger chain, whose labels end with its name
    # once the town goes; a transfer from the CAF is not a cafe, card payments only).
    "trade_alias_then_more": _f(pl.col("t_kind").is_in(_CARD)
                                & (pl.col("alias_cat") != pl.col("m_cat"))
                                & (pl.col("start") + pl.col("n_gram") < pl.col("key_tokens"))),
    "next_link": _f(pl.col("next_link")),
    "common_x_next_link": _f(pl.col("common") & pl.col("next_link")),
    "n_brands_cand_log": _f(pl.col("n_brand_cand").log()),
    "brand_share": _f(pl.col("brand_share")),
    # A chain named after a person (LECLERC, PICARD, NICOLAS) opening a card payment, then
    # a word no lexicon knows and no trade word: ``LECLERC GUIPAVAS``, the chain in a town
    # the places list lacks. The common-word weights, learnt mostly on shop words (SAS,
    # ATELIER), kept such hits under the threshold; a person's name then a name
    # (``PAUL MARTIN``) or a trade word (``PICARD EPICERIE``) does not fire.
    "name_then_word": _f(_NAME_THEN_WORD),
}
#: A one-word alias followed, in a card payment, by a trade word of another category names
#: a local shop, not the chain (``SMART COIFFURE``, ``STAR KEBAB``, ``SUGAR BAR``): such
#: hits are dropped before scoring. The generator never writes these names, so a learned
#: feature would get no weight; the rule is explicit instead. The same brand's line of the
#: trade's category keeps its hit (``AUCHAN`` + ``CARBURANTS``: its fuel station). So with
#: a payment app's name: ``LYDIA COIFFURE`` is a hairdresser (a wrapped shop, ``SUMUP
#: *COIFFURE``, has lost the wrapper's name before matching). So with a chain named like a
#: person followed by the trade word of another line of its category (``LECLERC EARL``, a
#: market gardener named Leclerc: E.Leclerc's supermarket on 243 rows of the demo bank;
#: ``PICARD BOUCHERIE``); a brand with a line of that trade keeps all its hits (``LECLERC
#: CARBURANT``: its station, whose confidence the brand's other lines carry).
OTHER_SHOP_AFTER = ((pl.col("n_tokens") == 1)
                    & ((pl.col("trail_cat") != pl.col("m_cat"))
                       | (pl.col("name_like") & (pl.col("trail_sub") != pl.col("m_sub"))
                          & pl.col("m_cat").is_in(LINE_LEAD_CATEGORIES)
                          & ~(pl.col("m_sub") == pl.col("trail_sub")).fill_null(False)
                          .any().over("row_id", "brand_key")))
                    & _ON_CARD).fill_null(False)
#: A card payment whose hit follows the trade word of another health line names that
#: line's shop: ``OPTIQUE LAFAYETTE`` is no Lafayette pharmacy (the lead-word features compare
#: level-1 categories, and optician and pharmacy are both health): dropped before scoring.
#: So with another food trade before a chain whose name is a person's (``BOULANGERIE
#: PICARD``, ``BOUCHERIE NICOLAS``: the owner's name, not the frozen-food or wine chain); a
#: chain with a name of its own keeps its hit (``BOULANGERIE MARIE BLACHERE``). So with a
#: trade of another transport line: ``PARKING SOL`` and ``TAXI SOL`` are no Sol fuel station
#: (at 1.0 before this rule: the lead-word features see one category, transport).
#: So with a cut alias after another food trade (``BOULANGERIE DUFOU``: a baker named Dufour,
#: not a cut Dufoux Chocolats; 330 rows of the demo bank at 0.75 with stop 39's scorer).
OTHER_LINE_BEFORE = (pl.col("lead_sub").is_not_null() & (pl.col("lead_sub") != pl.col("m_sub"))
                     & (pl.col("m_cat").is_in(OTHER_LINE_CATEGORIES)
                        | ((pl.col("m_cat") == "groceries")
                           & (pl.col("common") | (pl.col("kind") == KIND_PREFIX))))
                     & _ON_CARD).fill_null(False)
#: Money of a loan goes to or comes from a lender or a bank only: on a loan line, a hit of
#: another category is the loan's purpose, not a merchant (``ECHEANCE PRET HABITAT`` is a
#: home loan, not the Habitat furniture chain; ``PRET AUTO``): dropped before scoring. The
#: loan types are those ``categories._rules.TYPE_SCOPES`` scopes to ``loans``; a bank counts
#: too (``REMBOURSEMENT PRET BOURSORAMA``). Fee and interest lines keep their hits: a fee
#: line may name the purchase it charges for (``COMMISSION CARTE AMAZON US``).
LOAN_TYPES: tuple[str, ...] = ("loan_repayment", "loan_disbursement")
LENDER_CATEGORIES: tuple[str, ...] = ("loans", "bank_fees")
OFF_LOAN_LINE = (pl.col("transaction_type").is_in(LOAN_TYPES)
                 & ~pl.col("m_cat").is_in(LENDER_CATEGORIES)).fill_null(False)
#: A card payment whose hit follows a place's link word after the shop's own words names a
#: shop by its place, not the chain there: ``BAR DE LA POSTE``, ``RA DE LA POSTE`` (a company
#: restaurant), ``HOTEL DU CASINO`` are no La Poste or Casino (the scorer's weights for the
#: link before a hit moved with the training banks, 0.54 to 0.63 for ``BAR DE LA POSTE``
#: against a threshold near 0.62): dropped before scoring. A name that holds the link is
#: one alias (``MAISON DE LA PRESSE``) and keeps its hit.
PLACE_LINKS: tuple[str, ...] = ("DE", "DU", "DES", "D")
AFTER_PLACE_LINK = ((pl.col("start") >= 2) & pl.col("lead_tok").is_in(PLACE_LINKS)
                    & _ON_CARD).fill_null(False)
#: A hit right after a surname's particle is part of a person's name, whatever the payment:
#: ``EPICERIE DA COSTA`` is a grocer named after Mr Da Costa, not the coffee chain Costa
#: (57 rows of a test bank at 0.9), ``PIZZERIA DI MARIA``, ``M VAN HOUTEN``; so is one
#: after CHEZ (``CHEZ PAUL``, a restaurant: no Paul bakery). A chain whose name holds the
#: particle has it in its alias (``DEL ARTE``, ``CHEZ CLEMENT``) and keeps its hit.
SURNAME_PARTICLES: tuple[str, ...] = ("DA", "DI", "DOS", "DAS", "DEL", "DELLA", "VAN", "VON",
                                      "DEN", "DER", "CHEZ")
AFTER_SURNAME_PARTICLE = pl.col("lead_tok").is_in(SURNAME_PARTICLES).fill_null(False)
#: A brand named by a common word, right after the word that makes a set phrase of it, is
#: that phrase, whatever the payment: ``DUTY FREE AEROPORT CDG`` is an airport shop, not the
#: telecom Free (0.99 before this rule; the synthetic banks write no such label): dropped
#: before scoring. Alias -> the words that open such a phrase.
SET_PHRASES: dict[str, tuple[str, ...]] = {"FREE": ("DUTY", "TAX", "GLUTEN", "SUGAR")}
IN_SET_PHRASE = pl.any_horizontal(
    (pl.col("alias") == alias) & pl.col("lead_tok").is_in(list(leads))
    for alias, leads in SET_PHRASES.items()).fill_null(False)
#: A one-word brand that is also a trade word or a company's legal form names its merchant
#: only where it opens the text, or after the words that go with it: ``NUXE SPA`` and ``DAY
#: SPA`` are spas, ``AUTOGRILL SPA`` and ``COOP ITALIA SPA`` Italian companies (S.p.A.), none
#: the animal protection society (SPA at 0.6-0.7 before this rule; the synthetic banks write
#: its name alone), whatever the payment: dropped before scoring. Alias -> the words before
#: it that keep the hit (``DON SPA``, ``REFUGE SPA``).
OPENING_ALIASES: dict[str, tuple[str, ...]] = {"SPA": ("DON", "DONS", "REFUGE", "ADHESION")}
AFTER_OTHER_WORD = pl.any_horizontal(
    (pl.col("alias") == alias) & pl.col("lead_tok").is_not_null()
    & ~pl.col("lead_tok").is_in(list(keep))
    for alias, keep in OPENING_ALIASES.items()).fill_null(False)
#: A card payment whose hit is a name of one or two letters ending the text after other
#: words is the fragment a cut label leaves of its last word, not a brand: ``LEROY ME`` is
#: Leroy Merlin cut, ``LABO ANALYSES ME`` a laboratory (the hotel brand ME at 0.89-0.98
#: before this rule; AD, DG, JD, LG, QB... alike). A trade word of the brand's own category
#: before it keeps the hit (``STATION BP``), and so does a name with a digit, which no cut
#: word leaves (``MEAUX G7``: a taxi), and so does a town before it (``PARIS HM``): dropped
#: before scoring.
SHORT_TAIL_CHARS = 2


@functools.cache
def short_tail() -> pl.Expr:
    """The rule above as an expression (built on first use: it reads the towns; a town before
    the name keeps it too: ``PARIS HM`` is H&M in Paris)."""
    towns = pl.Series("towns", sorted(town_names()), dtype=pl.String).implode()
    return ((pl.col("n_chars") <= SHORT_TAIL_CHARS) & pl.col("alias").str.contains(r"^[A-Z]+$")
            & (pl.col("start") >= 1)
            & (pl.col("start") + pl.col("n_gram") == pl.col("key_tokens"))
            & pl.col("lead_cat").ne_missing(pl.col("m_cat"))
            & ~pl.col("lead_tok").is_in(towns).fill_null(False) & _ON_CARD).fill_null(False)
#: A card payment whose hit follows an article names a shop after a common word, not the
#: chain: ``BAR LE CARREFOUR``, ``LE CARREFOUR DES SAVEURS`` and ``TABAC LE CASINO`` are no
#: Carrefour or Casino (a bar called "the crossroads"); a chain's label never puts an article
#: before its name, and a name that holds one is one alias (``LE PETIT CASINO``, ``LA
#: POSTE``) and keeps its hit: dropped before scoring.
ARTICLES: tuple[str, ...] = ("LE", "LA", "LES", "L")
#: ... so does one after a Spanish or Italian article (``RESTAURANT EL SOL`` is no Sol
#: station); a chain named with one has it in its alias (``EL CORTE INGLES``).
FOREIGN_ARTICLES: tuple[str, ...] = ("EL", "IL", "LOS", "LAS")
AFTER_ARTICLE = (pl.col("lead_tok").is_in((*ARTICLES, *FOREIGN_ARTICLES))
                 & _ON_CARD).fill_null(False)
#: A card payment whose hit is an article and common words (the chains L'Atelier, La
#: Boucherie, Le Velo) followed by a link word names a local shop by that phrase:
#: ``L ATELIER DU CHEVEU`` is a hairdresser, ``LA BOUCHERIE DU MARCHE`` a butcher. A chain's
#: label ends its name there or adds a town; a name that goes on is one alias (``LA HALLE
#: AUX CHAUSSURES``) and keeps its hit: dropped before scoring. So with a digital
#: subscription named with an article (the newspaper Le Monde): ``LE MONDE DES ENFANTS`` is
#: a toy shop; a chain's branch goes on so (``LA POSTE DE VINCENNES``), a subscription has
#: no branch. So with common words after such a name that opens the text (``L ATELIER
#: GOURMET``, a delicatessen: L'Atelier at 0.99 on 1,860 rows of the demo bank): a chain's
#: label ends its name or goes on with a town or a number, which the lexicon does not hold
#: once the cleaner has taken the known towns off; a trade word of the chain's own category
#: after it keeps the hit (``LA BOUCHERIE RESTAURANT``: the restaurant chain).
DIGITAL_LINES: tuple[str, ...] = ("streaming_digital",)
_ARTICLE_ALIAS = pl.col("alias").str.contains(f"^(?:{'|'.join(ARTICLES)}) ")
ARTICLE_NAME_GOES_ON = ((((pl.col("common") | pl.col("m_sub").is_in(DIGITAL_LINES))
                         & pl.col("next_link"))
                        | (pl.col("common") & (_START == 0) & (pl.col("odd_outside") == 0)
                           & (pl.col("start") + pl.col("n_gram") < pl.col("key_tokens"))
                           & pl.col("trail_cat").ne_missing(pl.col("m_cat"))))
                        & _ARTICLE_ALIAS & _ON_CARD).fill_null(False)
#: So with a digital subscription's one-word name, whatever the payment: ``RECIBO CANAL DE
#: ISABEL II AGUA`` is Madrid's water board, not Canal+ (at 0.96 before this rule).
DIGITAL_NAME_GOES_ON = (pl.col("m_sub").is_in(DIGITAL_LINES) & pl.col("next_link")
                        & (pl.col("n_tokens") == 1)).fill_null(False)
#: A card payment whose hit is a name with an article (``LA POSTE``) right after a trade word
#: of another category names a venue after a landmark: ``RESTAURANT LA POSTE``, ``HOTEL LA
#: POSTE`` (the scorer kept La Poste at 0.88: the synthetic banks write no such label):
#: dropped before scoring.
TRADE_BEFORE_ARTICLE = (_ARTICLE_ALIAS & pl.col("lead_cat").is_not_null()
                        & (pl.col("lead_cat") != pl.col("m_cat")) & _ON_CARD).fill_null(False)
#: A card payment whose hit follows a local trade's own word of another category names a
#: shop of that trade, whatever the name (``PRESSING ZARA`` had been Zara at 0.71, ``TABAC
#: CASINO`` the Casino grocer, ``FLEURISTE MONOP`` Monop'): dropped before scoring; a brand's
#: line of that category keeps its hit (``STATION CARREFOUR``: its fuel station). The
#: lead-word feature weighs this softly: the synthetic banks print no such name. Exact
#: hits only: a cut name's rivals are cuts too (``PATISSERIE MARI``: Marionnaud, Marineland
#: and Marina Rinaldi), and dropping them left the last cut standing (Mariette at 0.80
#: instead of 0.30, a local patisserie on 49 rows of the demo bank).
OTHER_TRADE_BEFORE = (pl.col("lead_trade").is_not_null() & (pl.col("kind") == KIND_EXACT)
                      & (pl.col("lead_trade") != pl.col("m_cat")) & _ON_CARD).fill_null(False)


@functools.cache
def foreign_trade_before() -> pl.Expr:
    """A card payment whose hit follows a trade word of shops abroad naming another category
    names a shop abroad by a word of its name, not a chain: ``GASTHAUS SOL``, ``SUPERMARKT
    SOL``, ``ALIMENTARI SOL`` are no Sol fuel station (a chain abroad prints its own name;
    65 rows of the seed-1001 test bank once the synthetic trips paid chains): dropped before
    scoring. A trade word of the chain's own category keeps it (``RESTAURANTE MCDONALDS``).
    Built on first use: the words come from the bundled reference data."""
    return (pl.col("lead_tok").is_in(list(foreign_lead_categories()))
            & (pl.col("lead_cat") != pl.col("m_cat")) & _ON_CARD).fill_null(False)


#: A transfer whose hit is a person's name (NICOLAS, EMMA, CELINE, AVRIL: chains named like
#: people) is money to or from a person: ``NICOLAS MARINO LOYER`` is no wine shop. On two
#: 400-customer test banks every such hit (83 and 91 rows) was wrong: dropped before scoring.
#: So is a hit right after a title (``MME LIVI SARAH``: a name no list holds).
#: So is a hit right after a first name (``DAVID LE FUR``, a payee's name: no cut ``LE FURET
#: DU NORD``).
@functools.cache
def name_in_transfer() -> pl.Expr:
    """The rule above as an expression (built on first use: it reads the name lists)."""
    return ((pl.col("name_like")
             | pl.col("lead_tok").is_in(sorted(PERSON_TITLES | first_names())))
            & (pl.col("t_kind") == "transfer")).fill_null(False)


#: A transfer sent whose text names a person by a title (other than the hit's first word)
#: pays that person: a brand there is the motif's word, not the payee (``VIR SEPA /MOTIF
#: COACH SPORTIF /BEN MME SAMIRA DEVOS`` is no Coach handbag, ``WEEKEND M GREGORY`` no cut
#: Weekend Max Mara; 24 rows of a test bank at 0.8-1.0): dropped before scoring. A payment
#: app keeps its hit (``LYDIA ... M DUPONT``), and so does a name that opens with a title's
#: letter (``M BRICOLAGE``: the title opens the hit). A transfer received drops a hit only
#: after the title, the payer a person (``VIR SEPA RECU /DE MME ... /MOTIF VENTE
#: LEBONCOIN``: a buyer paying for a sale, Leboncoin on 101 of 238 such rows of the demo
#: bank with stop 39's scorer); a title after the hit is the payee's: an employer's pay names
#: its employee (``SNCF /MOTIF PAIE M DUPONT``).
PERSON_IN_TRANSFER = ((pl.when(pl.col("transaction_type").is_in(sorted(RECEIVED_TYPES)))
                       .then(pl.col("title_before")).otherwise(pl.col("title_outside")))
                      & (pl.col("t_kind") == "transfer")
                      & ~pl.col("is_intermediary")).fill_null(False)


def seen_as_online(t_kind: pl.Expr, is_online: pl.Expr, card_billing: pl.Expr) -> pl.Expr:
    """The transaction kind a hit is scored under: a payment abroad at an online merchant
    is an online payment to a merchant seated abroad (``AMAZON US 12,99 USD``, ``SPOTIFY
    AB STOCKHOLM SE``). The abroad weights, learnt on shops visited abroad whose names
    rarely are a directory's, dropped every such hit (Ryanair at 0.17). A refund or other
    operation of no card kind at an online merchant reads as its online payments too: the
    web-name alias weighs -3.5 outside them (``REMBOURSEMENT AMAZON.FR`` at 0.04). A refund
    or a cancelled payment at a shop paid by card reads as its payments in store: scored as
    another operation, the bare ``LECLERC`` of its refund had been no merchant (0.21). At a
    biller it stays another operation; at a payer of money in (the CPAM, a health insurer's
    reimbursements) it is that payer's money moving, scored as its transfers
    (``REMBOURSEMENT AMELI``: 0.18 as another operation)."""
    return (pl.when(t_kind.is_in(["abroad", "other", "undone"]) & is_online)
            .then(pl.lit("online"))
            .when(t_kind == "undone")
            .then(pl.when(card_billing.fill_null(True)).then(pl.lit("present"))
                  .when(pl.col("m_sub").is_in(sorted(MONEY_IN_LINES))).then(pl.lit("transfer"))
                  .otherwise(pl.lit("other")))
            .otherwise(t_kind))


def repaid_as_moved(t_kind: pl.Expr) -> pl.Expr:
    """A direct debit to a payer of money in (a benefits office, a health insurer's
    reimbursements) that says it pays back (``PRLV SEPA CAF REMBOURSEMENT INDU``: benefits
    overpaid, taken back) moves money with that payer as its transfers do: scored as one (as
    a direct debit the CAF scored 0.13, and the model read an internet box's refund)."""
    return (pl.when((t_kind == "debit") & pl.col("m_sub").is_in(sorted(MONEY_IN_LINES))
                    & pl.col("refund_word"))
            .then(pl.lit("transfer")).otherwise(t_kind))


#: A card payment whose hit opens the text with a chain named like a person (PAUL, NICOLAS,
#: CELINE) followed by one more word, a word the lexicon knows and no trade word (``PAUL
#: MARTIN``, ``NICOLAS DUPONT``), names a person or a shop after its owner, not the chain:
#: dropped before scoring. An unknown word there is a town the places list lacks
#: (``name_then_word``: ``PAUL LANDIVISIAU`` is the bakery chain), a trade word another shop
#: (``PICARD EPICERIE``). The synthetic banks write no such label, so the scorer's reading of
#: it drifted from one training to the next (``PAUL MARTIN`` at 0.19, then 0.62).
NAME_THEN_NAME = (_NAME_OPENS & (pl.col("n_tokens") == 1)
                  & (pl.col("start") + pl.col("n_gram") == pl.col("key_tokens") - 1)
                  & (pl.col("odd_outside") == 0)).fill_null(False)
#: A card payment whose hit opens the text with a one-word brand that is an everyday English
#: word (DISCOVERY, HOME, SMART) followed by one more word, an English word or one the
#: lexicon knows, and no trade word (``DISCOVERY KIDS``, ``HOME DECO``), names a local shop
#: by an English phrase, not the brand (the car dealer Discovery, the hotel @HOME): dropped
#: before scoring. An unknown word there may be a town the places list lacks. The synthetic
#: banks write no such label, and the scorer put ``DISCOVERY KIDS`` on the car dealer.
@functools.cache
def english_phrase() -> pl.Expr:
    """The rule above as an expression (built on first use: it reads the word list)."""
    return ((pl.col("n_tokens") == 1) & pl.col("alias").is_in(sorted(english_words()))
            & (_START == 0) & _ON_CARD & pl.col("trail_cat").is_null()
            & (pl.col("start") + pl.col("n_gram") == pl.col("key_tokens") - 1)
            & ((pl.col("odd_outside") == 0) | pl.col("next_english"))).fill_null(False)
#: What an exact hit counts above a cut one in a merchant's strongest evidence, in matched
#: characters: a cut alias must match 3 more characters of the label than the exact one
#: (``STARBUCKS CO``, cut at 32 characters, is the exact ``STARBUCKS``, not two letters of
#: ``STARBUCKS COFFEE``; ``CARREFOUR MARK`` is Carrefour Market).
EXACT_BONUS = 3.0
#: A cut alias that keeps less than this share of its letters is weaker evidence than any
#: exact alias of the same merchant: ``MGEN REMB`` is the exact ``MGEN`` of MGEN's refunds
#: line, not 8 letters of ``MGEN REMBOURSEMENT`` (a cut the scorer rightly distrusts).
WEAK_CUT = 0.6
#: A brand's candidates within this utility of its best one are lines of business the label
#: cannot tell apart (TotalEnergies' stations and chargers under MCC 5541: a hundredth apart,
#: which the scorer's correlated MCC features may order either way); a longer alias such as
#: LECLERC DRIVE is several units ahead of the brand's other lines. 1.0 until stop 34: the
#: name-suggestion index's Indigo chargers and the curated Indigo car parks differ only by
#: their source, whose weight (about 1.0) put them on either side of the margin from one
#: training to the next (docs/experiments/0014-apps-online-and-line-margin.md).
LINE_MARGIN = 1.5
#: Strength of the scorer's L2 penalty (per distinct training text, on standardised
#: features). Nearly unpenalised (1.0), its correlated features took weights that moved by
#: half from one training bank to the next (docs/experiments/0012-scorer-stability.md).
SCORER_L2 = 30.0
#: Lowest confidence ever returned (see ``MerchantScorer.threshold_for``).
MIN_CONFIDENCE = 0.6

#: Transaction types grouped as the scorer sees them (online, card present, abroad, ...).
TYPE_KINDS: dict[str, str] = {
    "card_online": "online", "card_in_store": "present", "card_contactless": "present",
    "card_abroad": "abroad", "direct_debit": "debit", "transfer_in": "transfer",
    "transfer_out": "transfer", "instant_transfer_in": "transfer",
    "instant_transfer_out": "transfer", "own_account_transfer": "transfer",
    # a purchase paid back or cancelled: read as the card payment it undoes
    # (``seen_as_online``)
    "refund": "undone", "reversal": "undone",
}
FEATURE_NAMES: tuple[str, ...] = tuple(_FEATURES)


@functools.cache
def _context_exprs() -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """MCC subcategory, transaction kind and MCC category expressions (built once per
    process: the MCC table makes ``mcc_subcategory_expr`` cost milliseconds to build)."""
    t_kind = pl.when(pl.col("transaction_type").is_not_null()).then(
        pl.col("transaction_type").replace_strict(TYPE_KINDS, default="other",
                                                  return_dtype=pl.String))
    l_cat = pl.col("l_sub").replace_strict(_CATEGORY, default=None, return_dtype=pl.String)
    return mcc_subcategory_expr("mcc"), t_kind, l_cat


def hit_features(hits: pl.DataFrame, merchants: pl.DataFrame,
                 aliases: pl.DataFrame) -> pl.DataFrame:
    """Join hits (``row_id``, ``mcc``, ``field`` + candidate columns) with merchant and
    alias attributes, add the context columns and the ``FEATURE_NAMES`` columns (for a few
    rows, ``_quick.quick_features`` gives the same in Python)."""
    attrs = merchants.select(
        "merchant_idx", "source", "is_online", "is_intermediary", "country", "brand_key",
        "card_billing", business_key(), m_mcc="mcc", m_sub="subcategory", m_cat="category")
    if "transaction_type" not in hits.columns:
        hits = hits.with_columns(transaction_type=pl.lit(None, dtype=pl.String))
    if "lead_tok" not in hits.columns:
        hits = hits.with_columns(lead_tok=pl.lit(None, dtype=pl.String))
    if "trail_cat" not in hits.columns:
        hits = hits.with_columns(trail_cat=pl.lit(None, dtype=pl.String))
    if "trail_sub" not in hits.columns:
        hits = hits.with_columns(trail_sub=pl.lit(None, dtype=pl.String))
    if "refund_word" not in hits.columns:
        hits = hits.with_columns(refund_word=pl.lit(False))
    if "refund_lead" not in hits.columns:
        hits = hits.with_columns(refund_lead=pl.lit(0, dtype=pl.Int32))
    if "next_english" not in hits.columns:
        hits = hits.with_columns(next_english=pl.lit(False))
    if "title_outside" not in hits.columns:
        hits = hits.with_columns(title_outside=pl.lit(False))
    if "title_before" not in hits.columns:
        hits = hits.with_columns(title_before=pl.lit(False))
    alias_attrs = aliases.select("alias", "merchant_idx", "origin", "derived", "n_tokens",
                                 "n_chars", "n_merchants", "n_brands", "common",
                                 "name_like")
    l_sub, t_kind, l_cat = _context_exprs()
    row = pl.col("row_id")
    joined = (
        hits.join(alias_attrs, on=["alias", "merchant_idx"], how="left")
        .join(attrs, on="merchant_idx", how="left")
        .with_columns(l_sub=l_sub, t_kind=repaid_as_moved(
                          seen_as_online(t_kind, pl.col("is_online"), pl.col("card_billing"))),
                      lead_cat=pl.col("lead_tok").replace_strict(
                          lead_word_categories(), default=None, return_dtype=pl.String),
                      alias_cat=pl.col("alias").replace_strict(
                          lead_word_categories(), default=None, return_dtype=pl.String),
                      lead_sub=pl.col("lead_tok").replace_strict(
                          line_lead_subcategories(), default=None, return_dtype=pl.String),
                      lead_trade=pl.col("lead_tok").replace_strict(
                          trade_lead_categories(), default=None, return_dtype=pl.String))
        .with_columns(l_cat=l_cat)
        .filter(~OTHER_SHOP_AFTER & ~OTHER_LINE_BEFORE & ~OFF_LOAN_LINE & ~AFTER_PLACE_LINK
                & ~AFTER_ARTICLE & ~ARTICLE_NAME_GOES_ON & ~DIGITAL_NAME_GOES_ON
                & ~TRADE_BEFORE_ARTICLE & ~OTHER_TRADE_BEFORE & ~foreign_trade_before()
                & ~name_in_transfer() & ~PERSON_IN_TRANSFER & ~AFTER_SURNAME_PARTICLE
                & ~IN_SET_PHRASE & ~AFTER_OTHER_WORD & ~NAME_THEN_NAME & ~short_tail()
                & ~english_phrase())
        .with_columns(
            mcc_missing=pl.col("l_sub").is_null(),
            mcc_exact=(pl.col("mcc") == pl.col("m_mcc")).fill_null(False),
            mcc_sub=(pl.col("l_sub") == pl.col("m_sub")).fill_null(False),
            mcc_cat=(pl.col("l_cat") == pl.col("m_cat")).fill_null(False),
        )
        .with_columns(
            mcc_conflict=~pl.col("mcc_missing") & ~pl.col("mcc_cat"),
            _mcc_rank=pl.col("mcc_exact").cast(pl.Int8) + pl.col("mcc_sub").cast(pl.Int8)
            + pl.col("mcc_cat").cast(pl.Int8),
            _end=pl.col("start") + pl.col("n_gram"),
        )
        .with_columns(_in=pl.col("m_sub").is_in(sorted(MONEY_IN_LINES)).fill_null(False))
        .with_columns(
            # Counted among lines of the same direction: a brand's payout or refund line
            # (Vinted's, MGEN's) is no rival of its shop or contract.
            n_cand=pl.col("merchant_idx").n_unique().over(row, "_in"),
            n_brand_cand=pl.col("brand_key").n_unique().over(row, "_in"),
            brand_share=1.0 / pl.col("merchant_idx").n_unique().over(row, "brand_key"),
            has_other_merchant=(~pl.col("is_intermediary")).any().over(row),
            longest=pl.col("n_chars") >= pl.col("n_chars").max().over(row, "field"),
            best_mcc_in_alias=pl.col("_mcc_rank") >= pl.col("_mcc_rank").max().over(
                row, "alias"),
            name_among_alias=(pl.col("origin") == 0)
            & ((pl.col("origin") == 0).sum().over(row, "alias") == 1),
        )
    )
    # One hit per (row, merchant): its strongest evidence (most label characters matched,
    # exact, in the label; a weak cut last).
    strength = (pl.col("sim") * pl.col("n_chars")
                + EXACT_BONUS * (pl.col("kind") == 0).cast(pl.Float64)
                + 0.5 * (pl.col("field") == 0).cast(pl.Float64))
    # Full sort key: the chosen hit must not depend on the (parallel) order of the hits.
    weak = (pl.col("kind") == KIND_PREFIX) & (pl.col("sim") < WEAK_CUT)
    joined = joined.with_columns(_strength=strength, _weak=weak).sort(
        ["row_id", "merchant_idx", "_weak", "_strength", "field", "kind", "start", "alias"],
        descending=[False, False, False, True, False, False, False, False],
        maintain_order=True).unique(["row_id", "merchant_idx"], keep="first",
                                    maintain_order=True)
    # A hit inside a longer hit of another merchant ("CARREFOUR" in "CARREFOUR CITY").
    spans = joined.select(row, "field", "merchant_idx", s2="start", e2="_end")
    inner = (
        joined.select(row, "field", "merchant_idx", "start", "_end")
        .join(spans, on=["row_id", "field"], suffix="_o")
        .filter((pl.col("merchant_idx_o") != pl.col("merchant_idx"))
                & (pl.col("s2") <= pl.col("start")) & (pl.col("e2") >= pl.col("_end"))
                & ((pl.col("e2") - pl.col("s2")) > (pl.col("_end") - pl.col("start"))))
        .select(row, "merchant_idx").unique().with_columns(dominated=pl.lit(True))
    )
    joined = joined.join(inner, on=["row_id", "merchant_idx"], how="left").with_columns(
        dominated=pl.col("dominated").fill_null(False))
    # Sorted so that sums over a row's candidates add up in one order (same bits each run).
    return joined.with_columns(**_FEATURES).sort("row_id", "merchant_idx")


def _as_float(arrays: Mapping[str, npt.ArrayLike], name: str) -> FloatArray:
    if name not in arrays:
        raise ConfigurationError(f"merchant scorer arrays lack {name!r}; got {sorted(arrays)}")
    return np.asarray(arrays[name], dtype=np.float64)


@dataclass(frozen=True, eq=False)
class KindCalibration:
    """Isotonic map and precision curve fitted on one kind of labels only (card payments
    without MCC, transfers)."""

    calib_x: FloatArray
    calib_y: FloatArray
    curve_conf: FloatArray
    curve_precision: FloatArray


def _calibration(raw: FloatArray, right: FloatArray,
                 weight: FloatArray) -> KindCalibration:
    """Isotonic map from raw choice probability to P(right), and the precision of the
    returned merchants at each confidence threshold (everything at or above it)."""
    calib_x, calib_y = smooth_isotonic(raw, right, weight)
    conf = np.clip(np.interp(raw, calib_x, calib_y), 0.0, 1.0)
    order = np.argsort(-conf, kind="stable")
    cum_right = np.cumsum((right * weight)[order])
    cum_all = np.cumsum(weight[order])
    precision = cum_right / np.maximum(cum_all, 1e-12)
    # One point per distinct confidence: precision of everything at or above it.
    conf_sorted = conf[order]
    last = np.r_[conf_sorted[1:] != conf_sorted[:-1], True]
    return KindCalibration(calib_x, calib_y, conf_sorted[last], precision[last])


def _threshold(curve_conf: FloatArray, curve_precision: FloatArray, precision: float) -> float:
    ok = np.nonzero(curve_precision >= precision)[0]
    if ok.size == 0:
        return float(np.nextafter(1.0, 2.0))
    return max(float(curve_conf[ok].min()), min(MIN_CONFIDENCE, precision))


#: Up to this many hits, ``MerchantScorer.linear_array`` sums each row's terms in one call.
_FEW_HITS = 256
#: Fewest calibration labels of a kind (card payments without MCC, transfers; with right and
#: wrong answers) for a map of their own.
_MIN_BARE_ROWS = 200
#: A card payment without MCC: what bank CSV, camt.053, MT940 and CFONB exports deliver.
#: (Direct debits and transfers never carry one, in any format: direct debits keep the
#: main map, transfers read their own, ``_TRANSFER``.)
_BARE_CARD = (pl.col("mcc_missing") > 0) & (
    pl.col("type_present") + pl.col("type_online") + pl.col("type_abroad") > 0)
#: A transfer, in or out: its hits are mostly people and employers named like brands, and a
#: score that is right three times in four on a card payment or a direct debit is right
#: once in ten there (a 1,000-customer bank, raw 0.4-0.6: 6-22 % right on transfers, 73-85 %
#: on card payments with MCC): pooled, one map read the transfers' rate for every kind.
_TRANSFER = pl.col("type_transfer") > 0


@dataclass(frozen=True, eq=False)
class MerchantScorer:
    """Conditional-logit hit scorer + isotonic calibration + precision curve, as arrays.

    ``coef`` and ``intercept`` act on standardized features (``mean``, ``scale``) and give
    each candidate a utility; "no known merchant" has utility 0. ``calib_x``/``calib_y``
    is the isotonic map from the best candidate's choice probability to confidence;
    ``curve_conf``/``curve_precision`` give the precision of returned merchants at each
    confidence threshold on held-out labels (used by ``threshold_for``).
    """

    coef: FloatArray
    intercept: float
    mean: FloatArray
    scale: FloatArray
    calib_x: FloatArray
    calib_y: FloatArray
    curve_conf: FloatArray
    curve_precision: FloatArray
    feature_names: tuple[str, ...] = FEATURE_NAMES
    #: Calibration and precision curve of card payments without MCC (bank CSV, camt.053,
    #: MT940 and CFONB exports): the same score is worth less there, so they get their own
    #: map and their own threshold. ``None``: the main ones serve both.
    bare: KindCalibration | None = None
    #: Calibration and precision curve of transfers (``_TRANSFER``), the same way.
    transfer: KindCalibration | None = None

    def linear_scores(self, features: pl.DataFrame) -> FloatArray:
        """Utility ``z`` of each hit row (``FEATURE_NAMES`` columns); "no known merchant"
        has utility 0."""
        return self.linear_array(
            features.select(self.feature_names).to_numpy(order="fortran").astype(np.float64))

    def linear_array(self, x: FloatArray) -> FloatArray:
        """``linear_scores`` of a (hits, features) array in ``feature_names`` order."""
        # Each row's terms summed one after the other from the intercept, not a matrix
        # product: BLAS sums a row's terms in an order that depends on the row's place in
        # the batch, so one label would score differently (last bits, which the steep parts
        # of the calibration can lift into the rounded confidence) alone and among others.
        xs = (x - self.mean) / self.scale
        if x.shape[0] <= _FEW_HITS:
            # A few hits (one transaction): the same sums as a cumulative sum along each
            # row, one numpy call instead of one per feature.
            terms = np.empty((x.shape[0], self.coef.size + 1))
            terms[:, 0] = self.intercept
            np.multiply(xs, self.coef, out=terms[:, 1:])
            few: FloatArray = np.cumsum(terms, axis=1)[:, -1]
            return few
        xs = np.asfortranarray(xs)  # contiguous columns
        out: FloatArray = np.full(x.shape[0], self.intercept)
        for j, c in enumerate(self.coef.tolist()):
            out += xs[:, j] * c
        return out

    def top(self, features: pl.DataFrame) -> pl.DataFrame:
        """The best hit of each ``row_id`` with ``_p`` (its brand's choice probability: the
        sum over the row's candidates sharing its ``brand_key``, against the others and
        "none"), ``_pb`` (the same summed over its business, ``business_key``) and
        ``confidence`` (calibrated ``_pb``, at most 1/k when the brands tied at the top
        belong to k businesses: a label that cannot tell them apart). Same-brand candidates
        do not split the probability; within the best brand the hit with the highest
        utility (MCC and transaction type agreeing) is returned. Brands of one business
        (PayPal and its payments between friends, Suravenir's life and provident contracts)
        do not split the confidence either: ``PRLV SEPA SURAVENIR`` is half one brand, half
        the other, and the confidence of a half, read on the calibration map's sparse
        middle, moved from 0.68 to 0.46 between two trainings."""
        rows = features["row_id"].to_numpy().astype(np.int64)
        linear = self.linear_scores(features)
        z, e, pm, p = self.choice(linear, rows,
                                  features["brand_key"].rank("dense").to_numpy().astype(np.int64))
        business = "business_key" if "business_key" in features.columns else "brand_key"
        pb = self.choice(linear, rows,
                         features[business].rank("dense").to_numpy().astype(np.int64))[3]
        # The floats are made: the rest is one lazy query (one collect, not six).
        scored = features.hstack([pl.Series("_z", z), pl.Series("_e", e),
                                  pl.Series("_pm", pm), pl.Series("_p", p),
                                  pl.Series("_pb", pb)]).lazy()
        best = scored.sort(["_p", "_z", "n_chars", "merchant_idx"],
                           descending=[True, True, True, False]).unique(
            "row_id", keep="first", maintain_order=True)
        # The lines of business among the business's best-scored candidates (within
        # LINE_MARGIN) ("fuel|supermarket" for a bare INTERMARCHE, "life_insurance|
        # life_provident_insurance" for a bare SURAVENIR; a longer alias such as LECLERC
        # DRIVE outscores the brand's other lines and leaves one).
        lines = scored.filter(pl.col("_z") >= pl.col("_z").max().over("row_id", business)
                              - LINE_MARGIN).group_by("row_id", business).agg(
            brand_lines=pl.col("m_sub").drop_nulls().unique().sort().str.join("|"))
        best = best.join(lines, on=["row_id", business], how="left", maintain_order="left")
        # Businesses tied at the top (the same scores: the label cannot tell them apart):
        # whichever comes first is right at most once in so many. Lines of one business
        # (an insurer's car and home contracts) are one answer, not a tie.
        top_p = pl.col("_p") == pl.col("_p").max().over("row_id")
        tied = scored.filter(top_p).group_by("row_id").agg(_tied=pl.col(business).n_unique())
        best = best.join(tied, on="row_id", how="left", maintain_order="left")
        done = best.with_columns(bare_card=_BARE_CARD, transfer=_TRANSFER).collect(
            engine=ENGINE)
        confidence = np.minimum(self.calibrate(done["_pb"].to_numpy(),
                                               done["bare_card"].to_numpy(),
                                               done["transfer"].to_numpy()),
                                1.0 / done["_tied"].to_numpy())
        return done.drop("_tied").hstack([pl.Series("confidence", confidence)])

    @staticmethod
    def choice(linear: FloatArray, rows: npt.NDArray[np.int64], brand: npt.NDArray[np.int64],
               ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """(``_z``, ``_e``, ``_pm``, ``_p``) of hits sorted by row and merchant: clipped
        utility, its exp, the hit's choice probability and its brand's (``rows``: the hit's
        row, ``brand``: any code of its ``brand_key``, the same within a row's brand)."""
        z: FloatArray = np.clip(linear, -50.0, 50.0)
        e: FloatArray = np.exp(z)
        # Sums in one fixed order (the frame's: by row_id, merchant_idx), whatever the
        # frame's size and memory layout, so that a label gets the same bits alone or among
        # others (Polars' window sums depend on the chunks and the group's place).
        pm: FloatArray = e / (1.0 + np.bincount(rows, weights=e)[rows])
        _, group = np.unique(rows * (int(brand.max(initial=0)) + 1) + brand,
                             return_inverse=True)
        p = np.asarray(np.bincount(group, weights=pm)[group], dtype=np.float64)
        return z, e, pm, p

    def calibrate(self, raw: FloatArray, bare: npt.NDArray[np.bool_] | None = None,
                  transfer: npt.NDArray[np.bool_] | None = None) -> FloatArray:
        """Calibrated confidence (monotone non-decreasing in ``raw``), in [0, 1]; rows
        flagged ``bare`` (card payments without MCC) or ``transfer`` use the map fitted on
        such labels when there is one."""
        out: FloatArray = np.clip(np.interp(raw, self.calib_x, self.calib_y), 0.0, 1.0)
        for own_map, flags in ((self.bare, bare), (self.transfer, transfer)):
            if own_map is not None and flags is not None and flags.any():
                own = np.clip(np.interp(raw, own_map.calib_x, own_map.calib_y), 0.0, 1.0)
                out = np.where(flags, own, out)
        return out

    def threshold_for(self, precision: float) -> float:
        """The lowest confidence whose returned merchants reached ``precision`` on held-out
        labels (1.0 + tiny when none did: then nothing is returned), and never below
        ``min(MIN_CONFIDENCE, precision)``: on the calibration bank the frequent easy labels
        keep the cumulative precision high down to tiny confidences, which does not carry
        over to another bank; an answer about as likely wrong as right (two candidates the
        label cannot tell apart) stays unknown."""
        if not 0.0 < precision <= 1.0:
            raise ConfigurationError(f"precision must be in (0, 1]; got {precision!r}")
        return _threshold(self.curve_conf, self.curve_precision, precision)

    def bare_threshold_for(self, precision: float) -> float:
        """``threshold_for`` on card payments without MCC (the same when no map of their
        own)."""
        return self._own_threshold(self.bare, precision)

    def transfer_threshold_for(self, precision: float) -> float:
        """``threshold_for`` on transfers (the same when no map of their own)."""
        return self._own_threshold(self.transfer, precision)

    def _own_threshold(self, own: KindCalibration | None, precision: float) -> float:
        if own is None:
            return self.threshold_for(precision)
        if not 0.0 < precision <= 1.0:
            raise ConfigurationError(f"precision must be in (0, 1]; got {precision!r}")
        return _threshold(own.curve_conf, own.curve_precision, precision)

    def to_arrays(self) -> dict[str, FloatArray]:
        """Learned state as plain float arrays (``np.savez``-able, no pickle)."""
        return {
            "coef": self.coef, "intercept": np.asarray([self.intercept]),
            "mean": self.mean, "scale": self.scale,
            "calib_x": self.calib_x, "calib_y": self.calib_y,
            "curve_conf": self.curve_conf, "curve_precision": self.curve_precision,
        } | {f"{prefix}_{name}": getattr(own, name)
             for prefix, own in (("bare", self.bare), ("transfer", self.transfer))
             if own is not None
             for name in ("calib_x", "calib_y", "curve_conf", "curve_precision")}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.ArrayLike]) -> MerchantScorer:
        """Rebuild from ``to_arrays`` output; checks shapes against ``FEATURE_NAMES``."""
        coef = _as_float(arrays, "coef")
        n = len(FEATURE_NAMES)
        for name in ("coef", "mean", "scale"):
            if _as_float(arrays, name).shape != (n,):
                raise ConfigurationError(
                    f"merchant scorer array {name!r} must have shape ({n},); "
                    f"got {_as_float(arrays, name).shape}")
        calib_x, calib_y = _as_float(arrays, "calib_x"), _as_float(arrays, "calib_y")
        if calib_x.shape != calib_y.shape or calib_x.size < 2:
            raise ConfigurationError("calib_x and calib_y must be equal-length, >= 2 points")
        return cls(
            coef=coef, intercept=float(_as_float(arrays, "intercept").ravel()[0]),
            mean=_as_float(arrays, "mean"), scale=_as_float(arrays, "scale"),
            calib_x=calib_x, calib_y=np.maximum.accumulate(calib_y),
            curve_conf=_as_float(arrays, "curve_conf"),
            curve_precision=_as_float(arrays, "curve_precision"),
            bare=_own_map(arrays, "bare"), transfer=_own_map(arrays, "transfer"),
        )

    @classmethod
    def fit(cls, train: pl.DataFrame, calib: pl.DataFrame, *,
            l2: float = SCORER_L2) -> MerchantScorer:
        """Fit on hit tables with features, ``row_id``, ``y`` (0/1) and ``weight``.

        A row is one (text, MCC, counterparty, true merchant) with its transaction count
        as weight. The model is a conditional logit: each row chooses one of its candidate
        merchants or "none" (utility 0), so duplicate brands and unknown shops are learned
        as competition, not as independent yes/no questions. On ``calib`` the best hit's
        choice probability is mapped by isotonic regression to P(right merchant).
        """
        from scipy.optimize import minimize

        for name, part in (("train", train), ("calib", calib)):
            if part.height == 0 or part["y"].n_unique() < 2:
                raise ConfigurationError(
                    f"the {name} hits need both right and wrong candidates; got "
                    f"{part.height} rows")
        train = train.sort("row_id")
        x = train.select(FEATURE_NAMES).to_numpy().astype(np.float64)
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale < 1e-9] = 1.0
        xs = (x - mean) / scale
        y = train["y"].to_numpy().astype(np.float64)
        codes = train["row_id"].rank("dense").to_numpy().astype(np.int64) - 1
        n_rows = int(codes.max()) + 1
        row_w = np.zeros(n_rows)
        row_w[codes] = train["weight"].to_numpy()
        total = row_w.sum()

        def loss(theta: FloatArray) -> tuple[float, FloatArray]:
            z = np.clip(xs @ theta[:-1] + theta[-1], -50.0, 50.0)
            e = np.exp(z)
            denom = 1.0 + np.bincount(codes, weights=e, minlength=n_rows)
            p = e / denom[codes]
            chosen = np.bincount(codes, weights=y * z, minlength=n_rows)
            nll = float((row_w * (np.log(denom) - chosen)).sum()) / total
            g = (row_w[codes] * (p - y)) / total
            grad = np.r_[xs.T @ g, g.sum()]
            reg = 0.5 * l2 * float(theta[:-1] @ theta[:-1]) / n_rows
            grad[:-1] += l2 * theta[:-1] / n_rows
            return nll + reg, grad

        result = minimize(loss, np.zeros(xs.shape[1] + 1), jac=True, method="L-BFGS-B",
                          options={"maxiter": 500})
        theta = result.x
        draft = cls(coef=theta[:-1].copy(), intercept=float(theta[-1]), mean=mean,
                    scale=scale, calib_x=np.array([0.0, 1.0]), calib_y=np.array([0.0, 1.0]),
                    curve_conf=np.array([0.0]), curve_precision=np.array([0.0]))
        # In row order: ``top`` comes sorted by score, ties in any order, and the maps' sums
        # must not depend on it (the same artifact bit for bit from the same data).
        top = draft.top(calib).sort("row_id")
        raw = top["_pb"].to_numpy()
        right = top["y_brand" if "y_brand" in top.columns else "y"].to_numpy().astype(
            np.float64)
        weight = top["weight"].to_numpy().astype(np.float64)
        main = np.ones(raw.size, dtype=bool)
        own: dict[str, KindCalibration | None] = {}
        bare = top["bare_card"].to_numpy()
        for name, flags in (("bare", bare), ("transfer", top["transfer"].to_numpy() & ~bare)):
            enough = (flags.sum() >= _MIN_BARE_ROWS and (main & ~flags).sum() >= _MIN_BARE_ROWS
                      and np.unique(right[flags]).size == 2)
            own[name] = (_calibration(raw[flags], right[flags], weight[flags]) if enough
                         else None)
            if enough:
                main &= ~flags
        cal = _calibration(raw[main], right[main], weight[main])
        return cls(coef=draft.coef, intercept=draft.intercept, mean=mean, scale=scale,
                   calib_x=cal.calib_x, calib_y=cal.calib_y,
                   curve_conf=cal.curve_conf, curve_precision=cal.curve_precision,
                   bare=own["bare"], transfer=own["transfer"])


def _own_map(arrays: Mapping[str, npt.ArrayLike], prefix: str) -> KindCalibration | None:
    """The ``prefix`` map of ``to_arrays`` output (None when it has none)."""
    if f"{prefix}_calib_x" not in arrays:
        return None
    return KindCalibration(_as_float(arrays, f"{prefix}_calib_x"),
                           np.maximum.accumulate(_as_float(arrays, f"{prefix}_calib_y")),
                           _as_float(arrays, f"{prefix}_curve_conf"),
                           _as_float(arrays, f"{prefix}_curve_precision"))


def smooth_isotonic(raw: FloatArray, right: FloatArray,
                    weight: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Monotone piecewise-linear calibration map: isotonic regression, then one knot per
    isotonic level at the weighted mean score of its block, linear between knots (a
    step function would put every score of a block on one level, so a threshold could
    only fall between levels), flat beyond the first and last knots."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    fitted = np.asarray(iso.fit_transform(raw, right, sample_weight=weight), dtype=np.float64)
    levels, inverse = np.unique(fitted, return_inverse=True)
    if levels.size < 2:
        level = float(levels[0]) if levels.size else 0.0
        return np.array([0.0, 1.0]), np.array([level, level])
    wsum = np.bincount(inverse, weights=weight, minlength=levels.size)
    centre = np.bincount(inverse, weights=weight * raw, minlength=levels.size) / np.maximum(
        wsum, 1e-12)
    knots_x = np.r_[0.0, centre, 1.0]
    knots_y = np.r_[levels[0], levels, levels[-1]]
    keep = np.r_[True, np.diff(knots_x) > 1e-12]
    return knots_x[keep], np.maximum.accumulate(knots_y[keep])


def best_hits(hits: pl.DataFrame, score: str) -> pl.DataFrame:
    """The highest-scoring hit of each ``row_id`` (ties: longer alias, then lower idx)."""
    return hits.sort([score, "n_chars", "merchant_idx"], descending=[True, True, False]).unique(
        "row_id", keep="first", maintain_order=True)
