"""Random French people for counterparties (landlords, friends, children), vectorized."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from ledgerlens.datasets._vocab import load_first_names, load_last_names

__all__ = ["People"]

StrArray = npt.NDArray[np.str_]


class People:
    """Random French people for counterparties: names with their weights, vectorized."""

    def __init__(self) -> None:
        first = load_first_names()
        last = load_last_names()
        self.first = np.asarray(first["first_name"].to_list(), dtype=object)
        self.sex = np.asarray(first["sex"].to_list(), dtype=object)
        fw = first["weight"].cast(pl.Float64).to_numpy()
        self.first_p = fw / fw.sum()
        self.last = np.asarray(last["last_name"].to_list(), dtype=object)
        lw = last["weight"].cast(pl.Float64).to_numpy()
        self.last_p = lw / lw.sum()

    def draw(self, rng: np.random.Generator, n: int) -> tuple[StrArray, StrArray, StrArray]:
        """Titles (M/MME/MLLE), first names and last names of ``n`` people."""
        i = rng.choice(self.first.size, size=n, p=self.first_p)
        j = rng.choice(self.last.size, size=n, p=self.last_p)
        female = self.sex[i] == "F"
        title = np.where(female, np.where(rng.random(n) < 0.1, "MLLE", "MME"), "M")
        return title, self.first[i], self.last[j]
