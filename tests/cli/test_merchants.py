"""The keys of the merchants `accounts create` made: kept privately, read back, refused when
the file is not what it wrote."""

from __future__ import annotations

import stat

import click
import pytest

from appevents.cli.merchants import (
    merchant_key,
    merchants_path,
    remember_merchant,
    require_merchant_key,
)

BASE = "http://127.0.0.1:12111"


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("APPEVENTS_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def test_a_remembered_merchants_keys_are_read_back_per_sandbox_and_mode():
    remember_merchant(BASE, "acct_A1", {"test": "sk_test_A", "live": "sk_live_A"})
    remember_merchant(BASE, "acct_B2", {"test": "sk_test_B", "live": None})
    assert merchant_key(BASE, "acct_A1") == "sk_test_A"
    assert merchant_key(BASE, "acct_A1", live=True) == "sk_live_A"
    assert merchant_key(BASE, "acct_B2", live=True) is None
    assert merchant_key("http://127.0.0.1:1", "acct_A1") is None  # another sandbox's
    assert stat.S_IMODE(merchants_path().stat().st_mode) == 0o600


def test_a_given_key_wins_and_an_unknown_account_says_how_to_pass_one():
    remember_merchant(BASE, "acct_A1", {"test": "sk_test_A"})
    assert require_merchant_key(BASE, "acct_A1", None, live=False) == "sk_test_A"
    assert require_merchant_key(BASE, "acct_A1", "sk_test_given", live=False) == "sk_test_given"
    with pytest.raises(click.UsageError, match=r"only acct_Z9 itself .* --api-key sk_test_"):
        require_merchant_key(BASE, "acct_Z9", None, live=False)


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"x": {"acct": "sk"}}', "\xff"])
def test_a_file_it_did_not_write_is_one_error_naming_it(content):
    merchants_path().parent.mkdir(parents=True)
    merchants_path().write_text(content, encoding="latin-1")
    with pytest.raises(click.ClickException, match=r"merchants\.json") as raised:
        merchant_key(BASE, "acct_A1")
    assert "\n" not in raised.value.message
    with pytest.raises(click.ClickException):
        remember_merchant(BASE, "acct_A1", {"test": "sk_test_A"})
    assert merchants_path().read_text(encoding="latin-1") == content  # left as it was
