"""Towns the bundled places list does not hold, as labels show them.

France has some 35,000 communes and the places list (``reference/places.csv``) a few hundred:
real labels end with towns the cleaner has never seen (``CB AUCHAN ST PRIEST``, ``CARTE
X1234 BOULANGERIE FOUGERES``), and their words stay in the text the model reads. The
synthetic banks show such a town for a share of the shops (a chain's store in a suburb, a
local shop of a small commune), so that the models learn town words as noise rather than
meet them for the first time on real data. The names are made from the parts French place
names are made of (saints, ``-VILLE`` and ``-COURT`` endings, ``SUR`` / ``SOUS`` / ``EN``
qualifiers) and none is a spelling of the places list: the cleaner does not strip them.

Each bank draws its own towns (``unlisted_towns(salt)``, the bank's seed as the salt) from
some hundred thousand possible names, and gives them to its shops by a hash salted the same
way: a chain's shop does not show the same made-up town in every training bank and in the
test bank, so a model cannot learn ``LECLERC BELLEANGES`` by heart and must read a town it
has never seen as noise, as it will on real labels.
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = ["UNLISTED_SHARE", "shown_towns", "unlisted_towns"]

#: Per cent of (shop, town) pairs that show a town the places list does not hold.
UNLISTED_SHARE = 30
_COUNT = 3000
_SEED = 20261202

_SAINTS = ("MARTIN", "JEAN", "PIERRE", "GERMAIN", "DENIS", "ANDRE", "GEORGES", "LAURENT",
           "MAUR", "PRIEST", "QUENTIN", "HILAIRE", "CYR", "GENIS", "AVOLD", "AUBIN", "BENOIT",
           "CLAUDE", "FLOUR", "GILLES", "JULIEN", "LEU", "MEDARD", "OUEN", "PRIX", "REMY",
           "SEBASTIEN", "VALLIER", "VICTOR", "AMAND", "LOUBES", "JORY", "EGREVE", "ISMIER",
           "BRICE", "ALBAN", "VIT", "JUST", "ROMAIN", "LOUP", "MICHEL", "PAUL", "SAVIN")
_SAINTES = ("GENEVIEVE", "MARIE", "FOY", "LUCE", "CATHERINE", "MAXIME", "HELENE", "ANNE",
            "SAVINE", "CROIX")
_ROOTS = ("BEAU", "MONT", "FONT", "ROCHE", "CHAMP", "VAL", "BELLE", "NEUF", "PONT", "CLER",
          "LAN", "PLOU", "KER", "VERN", "SAV", "BRET", "COR", "MAL", "SEN", "BOUR", "CHAN",
          "GRAND", "AUB", "BRI", "CAST", "COL", "DAM", "ETR", "FER", "GOU", "HER", "JOU",
          "LOR", "MAR", "NOY", "ORG", "PER", "RAM", "SAL", "TAL", "VER", "VIL", "ARG", "BAR")
#: Syllables between a root and an ending (or none): BEAU-MAR-VILLE, PLOU-GAS-TEL.
_MIDDLES = ("", "", "", "AR", "EN", "IL", "OR", "AN", "ER", "OU", "AI", "IN", "EL", "AU", "ON",
            "ES", "AG", "OL", "IS", "AM", "ET")
_ENDINGS = ("VILLE", "COURT", "AC", "IGNY", "EUIL", "ERES", "ON", "OIS", "AIN", "ANS", "ERS",
            "ELLES", "EC", "AT", "IEU", "ENNE", "AY", "INES", "OUX", "ANGES", "ERNE", "ILLY",
            "ESSE", "ARD", "ERAY", "OLE")
_ARTICLES = ("LE ", "LA ", "LES ", "")
_QUALIFIERS = ("SUR MER", "SUR LOIRE", "SUR SEINE", "SUR SAONE", "SOUS BOIS", "EN BRIE",
               "LES BAINS", "LE ROI", "LA FORET", "DU LAC", "DES BOIS", "DE BRAYE", "EN LAYE",
               "LE VIEUX", "SUR ORGE", "LES PINS", "DU VAR", "D HERES", "LE CHATEL", "SUR YVETTE")


@functools.cache
def unlisted_towns(salt: int = 0) -> tuple[str, ...]:
    """Made-up town names in label spelling (``ST PRIEST DU LAC``, ``MONTIGNY SUR ORGE``),
    none of them a spelling of the places list; the same list for the same ``salt`` (a
    bank's seed), another one for another salt."""
    from ledgerlens.datasets._vocab import load_places

    forms = load_places()["label_forms"].str.split("|").explode().drop_nulls().to_list()
    known = {f.upper().replace("-", " ").strip() for f in forms}
    rng = np.random.default_rng([_SEED, salt])
    names: dict[str, None] = {}
    while len(names) < _COUNT:
        kind = rng.integers(0, 3)
        if kind == 0:
            saint = rng.random() < 0.8
            prefix = ("ST " if rng.random() < 0.75 else "SAINT ") if saint else (
                "STE " if rng.random() < 0.75 else "SAINTE ")
            name = prefix + str(rng.choice(_SAINTS if saint else _SAINTES))
        else:
            name = str(rng.choice(_ARTICLES, p=[0.1, 0.1, 0.05, 0.75])) + str(
                rng.choice(_ROOTS)) + str(rng.choice(_MIDDLES)) + str(rng.choice(_ENDINGS))
        if rng.random() < 0.3:
            name += " " + str(rng.choice(_QUALIFIERS))
        if name not in known:
            names[name] = None
    return tuple(names)


def shown_towns(towns: pl.Series, shop_key: npt.NDArray[np.int64], salt: int = 0) -> pl.Series:
    """The town each payment's label shows: for ``UNLISTED_SHARE`` per cent of the shops (a
    stable number per shop and town, ``shop_key``) a town of :func:`unlisted_towns` of the
    ``salt``, fixed per shop; the given town otherwise. Missing towns stay missing."""
    names = pl.Series("city", unlisted_towns(salt), dtype=pl.String)
    key = (shop_key.astype(np.int64) + (salt % 1_000_003) * 7_919) % 1_000_003
    unlisted = pl.Series((key * 7_561) % 100 < UNLISTED_SHARE) & towns.is_not_null()
    return names.gather((key * 104_729) % names.len()).zip_with(unlisted, towns.cast(pl.String))
