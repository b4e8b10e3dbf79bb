"""GB 11643 resident ID check character, and the shipped sample accounts."""

from __future__ import annotations

import csv

from hypothesis import given
from hypothesis import strategies as st

from ivr_flows.digit_checks import is_resident_id, resident_id_check_digit
from ivr_flows.housing_fund import SAMPLE_CSV, HousingFundBalance, fake_resident_ids

SEVENTEEN = st.text(alphabet="0123456789", min_size=17, max_size=17)


def test_published_example():
    assert resident_id_check_digit("11010519491231002") == "X"
    assert is_resident_id("11010519491231002X")
    assert is_resident_id("11010519491231002*")  # X typed as * on a phone
    assert not is_resident_id("110105194912310021")
    assert not is_resident_id("11010519491231002")


@given(SEVENTEEN)
def test_only_the_computed_check_character_passes(first17):
    right = resident_id_check_digit(first17)
    for candidate in "0123456789X":
        assert is_resident_id(first17 + candidate) == (candidate == right)


@given(SEVENTEEN, st.integers(0, 16), st.integers(1, 9))
def test_a_single_wrong_digit_is_caught(first17, position, delta):
    number = first17 + resident_id_check_digit(first17)
    wrong = str((int(number[position]) + delta) % 10)
    assert not is_resident_id(number[:position] + wrong + number[position + 1:])


def test_sample_accounts_have_valid_ids_and_balances():
    with open(SAMPLE_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 20
    assert all(is_resident_id(r["id_number"]) for r in rows)
    assert any(r["id_number"].endswith("X") for r in rows)
    assert all(float(r["balance"]) >= 0 for r in rows)
    assert len(set(fake_resident_ids(30))) == 30


def test_balance_plug_in():
    plugin = HousingFundBalance()
    with open(SAMPLE_CSV, newline="", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    found = plugin({"id_number": row["id_number"]})
    assert (found.outcome, found.values) == ("found", {"balance": row["balance"]})
    assert plugin({"id_number": "11010519491231002X"}).outcome == "not_found"
    assert plugin({"id_number": "123"}).outcome == "not_found"
