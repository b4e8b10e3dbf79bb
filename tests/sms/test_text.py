"""SMS alphabet, segment counts and concatenated parts (UDH and SAR), on character boundaries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.sms.text import GSM7, UCS2, UDHI, MessageTooLong, decode, segmentation, split


@pytest.mark.parametrize(("text", "alphabet", "units", "segments"), [
    ("Case 20261116-000001 registered.", "GSM-7", 32, 1),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("{" * 80, "GSM-7", 160, 1),  # an escaped character takes two septets
    ("€" * 81, "GSM-7", 162, 2),
    ("您的诉求已受理" * 10, "UCS-2", 70, 1),
    ("中" * 71, "UCS-2", 71, 2),
    ("中" * 134, "UCS-2", 134, 2),
    ("中" * 135, "UCS-2", 135, 3),
    ("Привет", "UCS-2", 6, 1),
    ("price `5`", "UCS-2", 9, 1),  # not GSM (smpplib's table misuses the backtick)
])
def test_alphabet_and_segments(text, alphabet, units, segments):
    seg = segmentation(text)
    assert (seg.alphabet, seg.units, seg.segments) == (alphabet, units, segments)
    assert len(split(text, "m1")) == segments


def test_udh_parts_carry_reference_total_and_number():
    parts = split("中" * 135, "20261116-000001/intake")
    assert [p.esm_class for p in parts] == [UDHI] * 3 and {p.data_coding for p in parts} == {UCS2}
    refs = {p.short_message[3] for p in parts}
    assert len(refs) == 1
    assert [p.short_message[:6] for p in parts] == [bytes((5, 0, 3, *refs, 3, i)) for i in (1, 2, 3)]
    assert [len(p.short_message) for p in parts] == [140, 140, 8]
    assert split("中" * 135, "20261116-000001/intake") == parts  # a resend: the same reference


def test_sar_parts_leave_the_text_alone():
    parts = split("a" * 307, "m", "sar")
    assert [p.esm_class for p in parts] == [0, 0, 0] and {p.data_coding for p in parts} == {GSM7}
    assert [p.sar[1:] for p in parts] == [(3, 1), (3, 2), (3, 3)] and len({p.sar[0] for p in parts}) == 1
    assert b"".join(p.short_message for p in parts) == b"a" * 307


def test_no_escape_pair_or_surrogate_pair_is_split():
    gsm = "a" * 152 + "€" + "b" * 10  # the escape pair would straddle octet 153
    first = split(gsm, "m")[0]
    assert len(first.short_message) == 6 + 152 and decode(first.short_message, GSM7, UDHI) == "a" * 152
    emoji = "中" * 66 + "😀" + "中" * 10  # the surrogate pair would straddle unit 67
    assert decode(split(emoji, "m")[0].short_message, UCS2, UDHI) == "中" * 66


def test_more_than_255_parts_is_refused():
    with pytest.raises(MessageTooLong):
        split("中" * 67 * 256, "m")


@given(st.text(alphabet=st.sampled_from("ab{}€中😀 "), max_size=600))
def test_parts_join_back_to_the_text(text):
    parts = split(text, "m")
    assert "".join(decode(p.short_message, p.data_coding, p.esm_class) for p in parts) == text
    assert len(parts) == segmentation(text).segments
    assert all(len(p.short_message) <= 140 if p.data_coding == UCS2 else len(p.short_message) <= 160
               for p in parts)
