"""A few iterations of the reader fuzzer (``benchmarks/fuzz_readers.py`` runs many, each in a
worker process with a time bound): mutated files of every format either raise
``IngestError`` or read with every entry accounted for."""

from __future__ import annotations

import random

import pytest

from ledgerlens.exceptions import IngestError
from ledgerlens.ingest import _fuzz

ITERATIONS = 12


def test_every_format_has_seeds_that_read_cleanly() -> None:
    seeds = _fuzz.seed_files()
    assert {fmt for fmt, _, _ in seeds} == set(_fuzz.FUZZ_FORMATS)
    for fmt, data, account in seeds:
        result = _fuzz.read(fmt, data, account)
        assert result.records.height > 0
        assert _fuzz.check(fmt, data, result) == []


def test_mutations_are_reproducible_and_change_the_file() -> None:
    fmt, data, _ = _fuzz.seed_files()[0]
    first = [_fuzz.mutate(data, fmt, random.Random(3)) for _ in range(2)]
    assert first[0] == first[1]
    assert first[0][0] != data
    assert set(first[0][1]) <= set(_fuzz.MUTATIONS)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fmt", _fuzz.FUZZ_FORMATS)
def test_mutated_files_raise_only_ingest_error_and_lose_no_entry(fmt: str) -> None:
    rng = random.Random(f"test-{fmt}")
    files = [(data, account) for f, data, account in _fuzz.seed_files() if f == fmt]
    for _ in range(ITERATIONS):
        data, account = rng.choice(files)
        mutant, edits = _fuzz.mutate(data, fmt, rng)
        try:
            result = _fuzz.read(fmt, mutant, account)
        except IngestError:
            continue
        assert _fuzz.check(fmt, mutant, result) == [], edits


def test_the_checks_see_a_lost_entry() -> None:
    fmt, data, account = next(s for s in _fuzz.seed_files() if s[0] == "mt940")
    result = _fuzz.read(fmt, data, account)
    fewer = type(result)(result.format, result.records.slice(1), result.rejects)
    assert any("entries found" in p for p in _fuzz.check(fmt, data, fewer))


# crashes the fuzzer found, kept as regressions


@pytest.mark.parametrize("amount", [b"99999999999999999999.99", b"1e999", b"9999999999999999.999"])
def test_ofx_ledger_balance_too_large_for_the_amount_type_is_no_balance(amount: bytes) -> None:
    fmt, data, account = next(s for s in _fuzz.seed_files() if s[0] == "ofx")
    mutant = data.replace(b"<BALAMT>", b"<BALAMT>" + amount + b"<X>", 1)
    result = _fuzz.read(fmt, mutant, account)
    assert result.balances.height == 0
    assert result.records.height > 0


@pytest.mark.parametrize("amount", [b"99999999999999999999.99", b"1E+999"])
def test_camt_balance_too_large_for_the_amount_type_is_no_balance(amount: bytes) -> None:
    fmt, data, account = next(s for s in _fuzz.seed_files() if s[0] == "camt053")
    mutant = data.replace(b'<Amt Ccy="EUR">1500.00</Amt>', b'<Amt Ccy="EUR">' + amount
                          + b"</Amt>", 1)
    assert mutant != data
    result = _fuzz.read(fmt, mutant, account)
    assert result.records.height > 0
    assert result.balances["opening_balance"][0] is None  # the first statement's
