"""Person names the category model does not read: an owner's name says nothing of a trade.

A local shop is often named after its owner (``SAS LE ROUX``, ``SARL TESSIER``); learnt as
words, such names tie a surname to whichever trade the training banks' few shops of that
name happened to have (a bakery read as a tobacconist for ``ROUX``). The lexicon is the
bundled list of common French first and last names, less the words that mean something
here: trade words (``BOULANGER``, ``BOUCHER``) and names that are a known merchant's
one-word spelling (``LECLERC``, ``PAUL``, ``PICARD``).
"""

from __future__ import annotations

import functools
import re

__all__ = ["name_words_re", "surnames"]


@functools.cache
def surnames() -> frozenset[str]:
    """The bundled French surnames, trade words (``BOULANGER``) and merchants' names
    (``LECLERC``) included: a word among them may open a person's name."""
    from ledgerlens.datasets._vocab import load_last_names

    return frozenset(str(n).upper() for n in load_last_names()["last_name"].to_list())


@functools.cache
def name_words_re() -> str:
    """A regex of the name words, whole words only (for upper-case ASCII text)."""
    from ledgerlens.datasets._vocab import load_first_names, load_local_trades
    from ledgerlens.enrich.merchants import MerchantDirectory

    names = set(surnames())
    names |= {str(n).upper() for n in load_first_names()["first_name"].to_list()}
    meaningful = {token for words in load_local_trades()["words"].to_list()
                  for spelling in str(words).split("|") for token in spelling.split()}
    aliases = MerchantDirectory.default().aliases
    meaningful |= set(aliases.filter(aliases["n_tokens"] == 1)["alias"].to_list())
    words = sorted(n for n in names - meaningful if re.fullmatch(r"[A-Z]{2,}", n))
    return rf"\b(?:{'|'.join(words)})\b"
