"""Does a label read the same whatever bank format prints it? Category accuracy per format.

The development set's card payments (``CB NAME [dd/mm]``), direct debits (``PRLV SEPA
NAME``) and transfers (``VIR SEPA RECU /DE NAME /MOTIF M``, ``VIR SEPA EMIS VERS NAME
/MOTIF M``) are printed again the way other French banks print them (card references and
dates before or after the name, a town, a store number, lower or mixed case, the European
direct debit's creditor id and motif, a cut at 32 characters, a name cut to 70 % of its
letters) and enriched, each format as a whole table; a label that reads right in one format
and wrong in another shows a step that depends on the bank's wording rather than on the
merchant. The cuts lose letters, so they are expected to read worse.

    python benchmarks/eval_label_formats.py [--truth tests/data/enrich/development_labels.csv]
        [--show FORMAT]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import polars as pl

from ledgerlens.enrich import enrich

_DEV = Path(__file__).resolve().parents[1] / "tests" / "data" / "enrich" / "development_labels.csv"

#: Card formats: ``{n}`` the name, ``{t}`` in title case, ``{l}`` in lower case.
CARD_FORMATS: dict[str, str] = {
    "cb": "CB {n} 12/03",
    "carte_x": "CARTE X4821 12/03 {n}",
    "paiement_par_carte": "PAIEMENT PAR CARTE X4821 {n} 12/03",
    "facture_carte": "FACTURE CARTE DU 120325 {n} CARTE 4974XXXXXXXX4821",
    "paiement_cb_town": "PAIEMENT CB 1203 PARIS {n}",
    "achat_cb_dot": "ACHAT CB {n} 12.03.25",
    "sans_contact": "PAIEMENT SANS CONTACT X4821 {n}",
    "mixed_case": "Paiement Par Carte {t}",
    "lower_case": "cb {l} 12/03",
    "town_after": "CB {n} 12/03 PARIS 15",
    "store_number": "CB {n} 4512 12/03",
    "card_star_time": "CB*4821 {n} 12/03/25 14H32",
}
#: Direct debit formats.
DEBIT_FORMATS: dict[str, str] = {
    "prlv_sepa": "PRLV SEPA {n}",
    "prelevement_europeen": ("PRELEVEMENT EUROPEEN 5365869 DE: {n} ID: FR12ZZZ123456 "
                             "MOTIF: ECHEANCE 0325"),
    "prlv_references": "PRLV SEPA {n} ECH/120325 MDT/++R3479723 REF/3573804036",
    "prelevement": "PRELEVEMENT {n}",
    "prelevement_de": "PRELEVEMENT DE {n} REF : 5278239247",
    "prlv_mixed_case": "Prélèvement Sepa {t}",
}
#: Transfer formats, received and sent: ``{m}`` the motif.
TRANSFER_FORMATS: dict[str, tuple[str, str]] = {
    "vir_sepa": ("VIR SEPA RECU /DE {n} /MOTIF {m}", "VIR SEPA EMIS VERS {n} /MOTIF {m}"),
    "virement_de": ("VIREMENT DE {n} {m}", "VIREMENT A {n} {m}"),
    "vir_inst": ("VIR INST RE 123456 DE {n} {m}", "VIR INST EMIS VERS {n} {m}"),
    "en_votre_faveur": ("VIREMENT EN VOTRE FAVEUR {n} {m}", "VIREMENT EMIS {n} {m}"),
    "vir_mixed_case": ("Virement reçu de {t} - {ml}", "Virement émis vers {t} - {ml}"),
}
_CUT_WIDTH = 32


def _sources(truth: pl.DataFrame) -> dict[str, list[dict[str, object]]]:
    """The truth's card, debit and transfer labels with their name (and motif)."""
    found: dict[str, list[dict[str, object]]] = {"card": [], "debit": [], "transfer": []}
    for row in truth.iter_rows(named=True):
        label, amount = row["label"], row["amount"]
        truth_of = {"t_cat": row["category"], "t_sub": row["subcategory"], "amount": amount}
        card = re.match(r"^CB ([A-Z].*?)(?:\s+[0-9]{2}/[0-9]{2})?$", label)
        debit = re.match(r"^PRLV SEPA ([A-Z].*)$", label)
        sent = re.match(r"^VIR SEPA EMIS VERS (.+?) /MOTIF (.+)$", label)
        received = re.match(r"^VIR SEPA RECU /DE (.+?) /MOTIF (.+)$", label)
        if card and amount < 0 and not re.search(r"[0-9]{2}/[0-9]{2}", card.group(1)):
            found["card"].append({"name": card.group(1), **truth_of})
        elif debit and amount < 0:
            found["debit"].append({"name": debit.group(1), **truth_of})
        elif (sent and amount < 0) or (received and amount > 0):
            match = sent or received
            assert match is not None
            found["transfer"].append({"name": match.group(1), "motif": match.group(2),
                                      **truth_of})
    return found


def _printed(sources: dict[str, list[dict[str, object]]]) -> pl.DataFrame:
    """One row per (format, source label): the label as that format prints it."""
    rows: list[dict[str, object]] = []

    def add(fmt: str, label: str, src: dict[str, object], kind: str) -> None:
        rows.append({"kind": kind, "format": fmt, "label": label, "amount": src["amount"],
                     "t_cat": src["t_cat"], "t_sub": src["t_sub"]})

    for src in sources["card"]:
        n = str(src["name"])
        for fmt, template in CARD_FORMATS.items():
            add(fmt, template.format(n=n, t=n.title(), l=n.lower()), src, "card")
        add("cut_at_32", f"PAIEMENT PAR CARTE X4821 {n}"[:_CUT_WIDTH], src, "card")
        add("name_cut_70pc", "CB " + n[:max(6, int(len(n) * 0.7))], src, "card")
    for src in sources["debit"]:
        n = str(src["name"])
        for fmt, template in DEBIT_FORMATS.items():
            add(fmt, template.format(n=n, t=n.title()), src, "debit")
    for src in sources["transfer"]:
        n, m = str(src["name"]), str(src["motif"])
        for fmt, (received, sent) in TRANSFER_FORMATS.items():
            template = received if float(str(src["amount"])) > 0 else sent
            add(fmt, template.format(n=n, m=m, t=n.title(), ml=m.lower()), src, "transfer")
    return pl.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truth", type=Path, default=_DEV)
    parser.add_argument("--show", help="print the labels of this format that read otherwise "
                                       "than in the kind's first format")
    args = parser.parse_args()
    truth = pl.read_csv(args.truth, infer_schema_length=0).with_columns(
        pl.col("amount").str.replace(",", ".").cast(pl.Float64))
    printed = _printed(_sources(truth))
    enriched = pl.concat([
        enrich(part.select("label", "amount").with_columns(date=pl.lit("2025-03-12")))
        .select("subcategory", "category", "category_confidence", "merchant_name")
        .hstack(part.get_columns())
        for part in printed.partition_by("format", maintain_order=True)])
    right = (pl.when(pl.col("t_sub").is_not_null()).then(pl.col("subcategory") == pl.col("t_sub"))
             .otherwise(pl.col("category") == pl.col("t_cat")))
    table = (enriched.group_by("kind", "format", maintain_order=True)
             .agg(labels=pl.len(), accuracy=right.mean().round(4)))
    with pl.Config(tbl_rows=40, tbl_hide_dataframe_shape=True):
        print(table)
    if args.show:
        kind = printed.filter(pl.col("format") == args.show)["kind"][0]
        first = printed.filter(pl.col("kind") == kind)["format"][0]
        base = enriched.filter(pl.col("format") == first)["subcategory"]
        shown = enriched.filter(pl.col("format") == args.show).with_columns(
            first_format=base).filter(pl.col("subcategory") != pl.col("first_format"))
        with pl.Config(tbl_rows=60, fmt_str_lengths=70, tbl_width_chars=220):
            print(shown.select("label", "t_sub", "first_format", "subcategory",
                               "category_confidence", "merchant_name"))


if __name__ == "__main__":
    main()
