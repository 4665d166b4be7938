"""How accurate can the strict transaction type be on the synthetic bank? Prints the
ceiling next to the model's accuracy.

The generator pays in person contactless at random (probability 0.35 + 0.5 x the customer's
digital habit, at most 50 EUR) and some bank dialects write a contactless payment exactly like
one with the chip and PIN (their templates coincide: ``Dialect.template``). On those rows no
label-based classifier can do better than the majority type of each amount band, so the
ceiling is 1 - (minority rows of the ambiguous bands) / all rows. The merged figure (in store
and contactless as one type) has no such limit.

    python benchmarks/eval_type_ceiling.py [--customers 400] [--seed 1001]
"""

from __future__ import annotations

import argparse

import polars as pl

from ledgerlens.datasets import SynthConfig, generate_bank
from ledgerlens.datasets._dialects import DIALECTS
from ledgerlens.enrich import EnrichmentModel, enrich

_CARD = ("card_in_store", "card_contactless")
_CONTACTLESS_MAX = 50.0  # EUR: above it the generator never pays contactless


def ambiguous_dialects() -> list[str]:
    """Dialects whose contactless label template is their in-store one."""
    return [d.id for d in DIALECTS
            if d.template("card_contactless", "out") == d.template("card_in_store", "out")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1_001)
    args = parser.parse_args()
    bank = generate_bank(SynthConfig(customers=args.customers, months=12, seed=args.seed))
    key = ["tenant_id", "transaction_id"]
    truth = bank.transactions.select(key).join(
        bank.ground_truth.select(*key, "transaction_type", "dialect"), on=key, how="left",
        maintain_order="left")
    predicted = enrich(bank.transactions, EnrichmentModel.default())["transaction_type"]
    rows = truth.with_columns(predicted=predicted, amount=bank.transactions["amount"].abs())
    ambiguous = ambiguous_dialects()
    band = (pl.col("dialect").is_in(ambiguous) & pl.col("transaction_type").is_in(_CARD)
            & (pl.col("amount") <= _CONTACTLESS_MAX))
    counts = rows.filter(band).group_by("transaction_type").len()
    minority = int(counts["len"].min() or 0) if counts.height == 2 else 0
    n = rows.height
    merged = pl.col("transaction_type").replace(dict.fromkeys(_CARD, "card"))
    merged_pred = pl.col("predicted").replace(dict.fromkeys(_CARD, "card"))
    accuracy = rows.select((pl.col("predicted") == pl.col("transaction_type")).mean()).item()
    merged_acc = rows.select((merged_pred == merged).mean()).item()
    print(f"test bank: {n:,} transactions (seed {args.seed}); dialects writing contactless "
          f"like in store: {', '.join(ambiguous)}")
    print(f"ambiguous card payments <= {_CONTACTLESS_MAX:.0f} EUR: "
          f"{counts['len'].sum():,}, of which the minority type {minority:,}")
    print(f"strict type ceiling: {1 - minority / n:.4f}; model: {accuracy:.4f}")
    print(f"merged card type (in store = contactless): model {merged_acc:.4f}")


if __name__ == "__main__":
    main()
