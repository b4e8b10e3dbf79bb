"""Agent passwords come only from a private secrets file or the environment."""

from __future__ import annotations

import os

import pytest

from callcenter.telephony.passwords import (
    PasswordFileError,
    load_passwords,
    passwords_from_env,
)


def _write(tmp_path, text: str, mode: int = 0o600):
    path = tmp_path / "sip-passwords"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_reads_private_file(tmp_path):
    path = _write(tmp_path, "# seats\n1001 = first pass\n\n1002=p=with=equals\n")
    assert load_passwords(path) == {"1001": "first pass", "1002": "p=with=equals"}


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_refuses_a_file_others_can_read(tmp_path):
    with pytest.raises(PasswordFileError, match="chmod 600"):
        load_passwords(_write(tmp_path, "1001 = x\n", 0o644))


@pytest.mark.parametrize("text", ["1001\n", "1001 =\n", "= pass\n", "1001 = a\n1001 = b\n"])
def test_rejects_bad_lines(tmp_path, text):
    with pytest.raises(PasswordFileError, match=":[12]:"):
        load_passwords(_write(tmp_path, text))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PasswordFileError, match="nope"):
        load_passwords(tmp_path / "nope")


def test_environment():
    env = {"CALLCENTER_SIP_PASSWORD_1001": "a", "CALLCENTER_SIP_PASSWORD_1002": "",
           "CALLCENTER_SIP_PASSWORD_": "b", "OTHER": "c"}
    assert passwords_from_env(env) == {"1001": "a"}
