"""The models enrichment needs, loaded once and passed in: merchant matcher and categorizer.

An ``EnrichmentModel`` is saved as artifacts (``ledgerlens.models``: arrays + JSON, never
pickles) in one folder. ``EnrichmentModel.default()`` is the model shipped inside the
package (trained by ``ledgerlens train enrichment --default``), so enrichment works right
after install with no training step.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledgerlens.enrich.categories import CategoryModel
from ledgerlens.enrich.merchants import MerchantDirectory, MerchantMatcher
from ledgerlens.exceptions import ArtifactError
from ledgerlens.models import ArtifactInfo, load_artifact, save_artifact

__all__ = ["DEFAULT_MODEL_DIR", "EnrichmentModel"]

#: Where the shipped model lives inside the package.
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"

_MERCHANTS, _CATEGORIES = "merchant_scorer", "category_model"


@dataclass(frozen=True)
class EnrichmentModel:
    """Merchant matcher + category model, and what is known of how they were trained."""

    merchants: MerchantMatcher
    categories: CategoryModel
    metadata: dict[str, Any] = field(default_factory=dict)

    def save(self, folder: Path) -> list[ArtifactInfo]:
        """Write both models as artifacts under ``folder`` (replacing what is there)."""
        arrays, cat_meta = self.categories.to_arrays()
        return [
            save_artifact(folder, _MERCHANTS, dict(self.merchants.to_arrays()),
                          {"kind": "merchant_scorer", "precision": self.merchants.precision,
                           "training": self.metadata}),
            save_artifact(folder, _CATEGORIES, arrays,
                          {"kind": "category_model", "model": cat_meta,
                           "training": self.metadata}),
        ]

    @classmethod
    def load(cls, folder: Path, *, directory: MerchantDirectory | None = None) -> EnrichmentModel:
        """Load a model saved by ``save`` (hash-checked, no unpickling)."""
        if not folder.is_dir():
            raise ArtifactError(f"no enrichment model folder at {folder}")
        m_arrays, m_meta = load_artifact(folder, _MERCHANTS)
        c_arrays, c_meta = load_artifact(folder, _CATEGORIES)
        try:
            matcher = MerchantMatcher.from_arrays(m_arrays, directory=directory,
                                                  precision=float(m_meta["precision"]))
            categories = CategoryModel.from_arrays(c_arrays, c_meta["model"])
        except (KeyError, ValueError) as exc:
            raise ArtifactError(f"enrichment model in {folder} is unreadable: {exc}") from exc
        return cls(matcher, categories, dict(c_meta.get("training", {})))

    def warm_up(self) -> None:
        """Build now what the first calls would build lazily (the directory's lookup tables,
        the TF-IDF model of its aliases, cached expressions): about a second once, so that a
        service's first requests take as long as the next ones."""
        import polars as pl

        from ledgerlens.enrich._pipeline import enrich

        sample = pl.DataFrame({
            "booking_date": ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04",
                             "2025-03-05", "2025-03-06", "2025-03-07"],
            "amount": [-23.4, -9.99, 2100.0, -61.2, -35.0, -100.0, -55.0],
            "label": ["CB CARREFOUR CITY 01/03", "PRLV SEPA NETFLIX.COM",
                      "VIR SEPA RECU /DE ACME SAS /MOTIF SALAIRE", "CARTE X1234 BOULANGRIE DUPOND",
                      "COTISATION CARTE VISA", "PRLV SEPA FORTUNEO PEA",
                      "PRLV SEPA CREDIT AGRICOLE ASSURANCES AUTO"],
        })
        for i in range(sample.height):  # the one-transaction paths
            enrich(sample.slice(i, 1), self)
        enrich(pl.concat([sample] * 80), self)  # the table paths

    @classmethod
    def default(cls) -> EnrichmentModel:
        """The model shipped with the package (loaded once per process)."""
        return _default_model()


@functools.lru_cache(maxsize=1)
def _default_model() -> EnrichmentModel:
    if not (DEFAULT_MODEL_DIR / f"{_CATEGORIES}.npz").is_file():
        raise ArtifactError(
            f"the default enrichment model is missing from {DEFAULT_MODEL_DIR}; rebuild it "
            "with 'ledgerlens train enrichment --default'")
    return EnrichmentModel.load(DEFAULT_MODEL_DIR)
