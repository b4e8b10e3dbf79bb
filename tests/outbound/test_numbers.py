"""The engine's one phone-number check: what it accepts and refuses, and properties that it
refuses everything the two checks it replaced refused, but for the changes made on purpose."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from outbound.numbers import NumberRefused, dialable, is_phone, mainland_mobile, national

# The hand-written check the dialer used before, kept here as the reference.
OLD_PHONE = re.compile(r"(?:\+?86)?(?:1[3-9]\d{9}|0[1-9]\d{8,10})")
OLD_COUNTRY = re.compile(r"^\+?86(?=1[3-9]\d{9}$|0[1-9]\d{8,10}$)")


def old_national(text: str) -> str | None:
    return OLD_COUNTRY.sub("", text) if OLD_PHONE.fullmatch(text) else None


def old_mainland_mobile(raw: str | None) -> str | None:
    """The SMS check before (already on phonenumbers), kept here as the reference."""
    if not raw or not re.match(r"^\+?[0-9][0-9 -]{4,24}$", raw.strip()):
        return None
    digits = re.sub(r"[ -]", "", raw.strip())
    if digits.startswith("86") and len(digits) == 13:
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return None
    if (number.country_code != 86 or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) not in (phonenumbers.PhoneNumberType.MOBILE,
                                                        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)):
        return None
    significant = phonenumbers.national_significant_number(number)
    return significant if len(significant) == 11 and significant.startswith("1") else None


def e164_landline(text: str, new: str) -> bool:
    """A landline written +86 (or 86) then the area code without its 0: the old check refused it;
    it is the number's international form, as a trunk may send it, and is now accepted."""
    return new.startswith("0") and re.sub(r"^\+?86", "", text) == new[1:]


# The other change on purpose: a mobile written with the long-distance 0 (``013800138000``, as some
# exchanges present a mobile from another city) was taken for a landline; it is now that mobile,
# so the do-not-call list and the once-per-period rule see one number.


PREFIXES = ["", "+", "86", "+86", "0", "00", "0086", "+0", "sip:", "tel:", "1", "01", "05"]
SUFFIXES = ["", "@evil.example", ";user=phone", " ", "-", "\n", "#", "a"]
AREAS = ["10", "20", "21", "22", "23", "24", "25", "27", "28", "29", "311", "371", "451", "531",
         "532", "571", "591", "755", "851", "898", "999", "400", "800"]
looks_like_a_number = st.one_of(
    st.builds(lambda p, d, s: p + d + s, st.sampled_from(PREFIXES),
              st.text("0123456789", min_size=0, max_size=15), st.sampled_from(SUFFIXES)),
    st.builds(lambda p, a, d: f"{p}0{a}{d}", st.sampled_from(["", "+86", "86"]), st.sampled_from(AREAS),
              st.text("0123456789", min_size=5, max_size=9)),
    st.builds(lambda p, b, d: f"{p}1{b}{d}", st.sampled_from(["", "+86", "86", "0086", "+860"]),
              st.sampled_from("0123456789"), st.text("0123456789", min_size=7, max_size=11)),
    st.text(max_size=20),
)


@settings(deadline=None)  # the first example loads the numbering plan: slow under load
@given(looks_like_a_number)
@example("+8653188881234")
@example("13800138000")
def test_what_the_old_dial_check_refused_stays_refused(text: str) -> None:
    new = dialable(text)
    old = old_national(text)
    if new is not None:
        assert old == new or e164_landline(text, new) or old == "0" + new, (text, old, new)
        assert national(text) == new and is_phone(text)
    else:
        with pytest.raises(NumberRefused):
            national(text)


@settings(deadline=None)
@given(looks_like_a_number)
def test_what_the_old_sms_check_refused_stays_refused(text: str) -> None:
    """The one change on purpose: a number written with the international 00 (``0086 138...``)
    is refused for SMS as for dialling."""
    new = mainland_mobile(text)
    if new is not None:
        assert new == old_mainland_mobile(text)
    elif old_mainland_mobile(text.rstrip("\n")) is not None:
        assert text.strip().startswith("00"), text


@settings(deadline=None)
@given(st.sampled_from(["+86", "86", ""]), st.sampled_from(["139", "138", "186", "150", "177", "199"]),
       st.text("0123456789", min_size=8, max_size=8))
def test_every_mobile_form_gives_the_same_national_number(prefix: str, head: str, tail: str) -> None:
    number = head + tail
    assert dialable(prefix + number) == number == mainland_mobile(prefix + number)


@pytest.mark.parametrize("number, expected", [
    ("13800138000", "13800138000"), ("+8613800138000", "13800138000"), ("8613800138000", "13800138000"),
    ("19212345678", "19212345678"), ("053188881234", "053188881234"), ("+86053188881234", "053188881234"),
    ("+8653188881234", "053188881234"), ("8653188881234", "053188881234"), ("01012345678", "01012345678"),
    ("02161234567", "02161234567")])
def test_mainland_mobiles_and_landlines_with_area_code_are_dialled_in_national_form(number, expected) -> None:
    assert national(number) == expected


@pytest.mark.parametrize("number", [
    # emergency, government service and operator short numbers: never dialled
    "110", "119", "120", "122", "12345", "12315", "12329", "95598", "10086", "114",
    # service numbers and ranges nobody holds (the old check took the last two)
    "01095000", "4008001234", "8008101234", "+864008001234", "+868008101234", "14012345678", "0123456789",
    # a landline without its area code, too long, too short, foreign, international dial strings
    "88881234", "1088881234", "53188881234", "138001380001", "1380013800", "+447911123456",
    "+12025550123", "0013800138000", "0086 13800138000", "008613800138000",
    # anything from a message
    "sip:13800138000@evil.example", "13800138000@10.0.0.1", "13800138000;user=phone", "138 0013 8000",
    "tel:+8613800138000", "", " 13800138000"])
def test_short_service_foreign_and_malformed_numbers_are_refused(number: str) -> None:
    assert dialable(number) is None and not is_phone(number)
    with pytest.raises(NumberRefused, match="is not a mainland phone number"):
        national(number)


@pytest.mark.parametrize("raw", ["053188881234", "12345", "", None, "10012345678", "+447911123456",
                                 "0086 138 0013 8000", "sip:13800138000@x"])
def test_sms_goes_to_mainland_mobiles_only(raw: str | None) -> None:
    assert mainland_mobile(raw) is None


def test_sms_takes_a_mobile_as_people_write_it() -> None:
    assert mainland_mobile(" +86 138-1234-5678 ") == "13812345678"


def test_the_refusal_does_not_echo_a_long_text() -> None:
    with pytest.raises(NumberRefused) as info:
        national("x" * 500)
    assert len(str(info.value)) < 100
