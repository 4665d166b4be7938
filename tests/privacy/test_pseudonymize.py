"""Keyed HMAC pseudonyms: stable, namespaced, secret, and refused with a weak key."""

from __future__ import annotations

import logging

import polars as pl
import pytest

from ledgerlens.config import Settings
from ledgerlens.exceptions import ConfigurationError
from ledgerlens.privacy import DEV_KEY, Pseudonymizer, pseudonymizer_from_settings

SECRET = "a-long-enough-secret-for-the-tests-0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LEDGERLENS_ENV", "LEDGERLENS_PSEUDONYMIZATION_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("key", "problem"), [
    (None, "is not set"),
    ("short-key", "is shorter than 32 characters"),
    (DEV_KEY, "is the public development key"),
])
def test_refuses_a_missing_short_or_development_key_outside_dev(
        monkeypatch: pytest.MonkeyPatch, key: str | None, problem: str) -> None:
    if key is not None:
        monkeypatch.setenv("LEDGERLENS_PSEUDONYMIZATION_KEY", key)
    with pytest.raises(ConfigurationError, match=f"LEDGERLENS_PSEUDONYMIZATION_KEY {problem}"):
        pseudonymizer_from_settings(Settings())


def test_dev_mode_warns_and_uses_the_development_key(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("LEDGERLENS_ENV", "dev")
    with caplog.at_level(logging.WARNING, logger="ledgerlens.privacy._pseudonymize"):
        p = pseudonymizer_from_settings(Settings())
    assert "using the development key" in caplog.text
    ids = pl.Series(["FR7630006000011234567890189"])
    assert p.account_ids(ids, "t").equals(Pseudonymizer(DEV_KEY).account_ids(ids, "t"))


def test_uses_the_configured_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERLENS_PSEUDONYMIZATION_KEY", SECRET)
    ids = pl.Series(["C123"])
    from_settings = pseudonymizer_from_settings(Settings()).customer_ids(ids, "t")
    assert from_settings.equals(Pseudonymizer(SECRET).customer_ids(ids, "t"))
    assert not from_settings.equals(Pseudonymizer(DEV_KEY).customer_ids(ids, "t"))


def test_same_input_gives_the_same_id_and_nulls_stay_null() -> None:
    p = Pseudonymizer(SECRET)
    out = p.account_ids(pl.Series(["A1", "A2", "A1", None]), "bank1")
    assert out[0] == out[2] != out[1]
    assert out[3] is None
    assert out.name == "account_id"
    assert out.drop_nulls().str.contains(r"^acc_[0-9a-f]{16}$").all()
    assert Pseudonymizer(SECRET).account_ids(pl.Series(["A1"]), "bank1")[0] == out[0]


def test_tenants_kinds_and_keys_namespace_the_ids() -> None:
    p = Pseudonymizer(SECRET)
    value = pl.Series(["12345"])
    ids = {p.account_ids(value, "bank1")[0], p.account_ids(value, "bank2")[0],
           p.customer_ids(value, "bank1")[0][4:], p.account_ids(value, "bank1")[0][4:],
           Pseudonymizer(SECRET + "x").account_ids(value, "bank1")[0]}
    assert len(ids) == 5
    assert p.customer_ids(value, "bank1")[0].startswith("cus_")


def test_the_key_never_shows() -> None:
    p = Pseudonymizer(SECRET)
    assert SECRET not in repr(p)
    assert SECRET not in str(p)
    assert repr(p) == "Pseudonymizer(key=***)"
    assert SECRET not in repr(Settings(pseudonymization_key=SECRET))


def test_refuses_an_empty_key() -> None:
    with pytest.raises(ConfigurationError, match="empty"):
        Pseudonymizer("")
