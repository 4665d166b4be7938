"""The bank's own identifiers for synthetic customers and accounts: customer numbers and
checksum-valid French IBANs. They are personal data in real life; canonical tables only
hold their pseudonyms (``ledgerlens.privacy.Pseudonymizer``)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["customer_refs", "french_ibans"]

IntArray = npt.NDArray[np.int64]


def french_ibans(bank: IntArray, branch: IntArray, account: IntArray) -> npt.NDArray[np.str_]:
    """IBANs ``FRkk BBBBB GGGGG CCCCCCCCCCC RR`` with a valid RIB key and IBAN check digits."""
    out = []
    for b, g, a in zip(bank.tolist(), branch.tolist(), account.tolist(), strict=True):
        rib_key = 97 - ((89 * b + 15 * g + 3 * a) % 97)
        bban = f"{b:05d}{g:05d}{a:011d}{rib_key:02d}"
        check = 98 - int(bban + "152700") % 97  # "FR00" moved to the end, letters as numbers
        out.append(f"FR{check:02d}{bban}")
    return np.asarray(out, dtype=str)


def customer_refs(customer_idx: IntArray) -> npt.NDArray[np.str_]:
    """The bank's customer numbers (``CLI000000042``)."""
    return np.char.add("CLI", np.char.zfill(customer_idx.astype(str), 9))
