"""Users, hashed passwords, sessions and the login throttle, on a real database."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from callcenter.casework.accounts import (
    AccountError,
    Accounts,
    LoginThrottle,
    TooManyAttempts,
)

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # tests only


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def accounts(case_store):
    clock = Clock()
    acc = Accounts(case_store.records, clock=clock, hasher=FAST,
                   throttle=LoginThrottle(max_failures=3, window=60, clock=clock))
    acc.test_clock = clock
    return acc


def test_password_is_stored_hashed_and_login_gives_a_session(accounts):
    accounts.add_user("zhang.wei", "agent", "correct horse battery")
    stored = accounts.records.backend.query("SELECT password_hash FROM users")[0][0]
    assert "correct horse" not in stored and stored.startswith("$argon2id$")
    token, user = accounts.login("zhang.wei", "correct horse battery")
    assert user.role == "agent" and accounts.user_for_token(token) == user
    sessions = accounts.records.backend.query("SELECT token_hash FROM user_sessions")
    assert token not in {row[0] for row in sessions}  # only its hash is kept
    accounts.logout(token)
    assert accounts.user_for_token(token) is None


def test_sessions_expire_and_a_password_change_ends_them(accounts):
    accounts.add_user("li.na", "supervisor", "another long secret")
    token, _ = accounts.login("li.na", "another long secret")
    accounts.test_clock.now += accounts.session_seconds + 1
    assert accounts.user_for_token(token) is None
    token, _ = accounts.login("li.na", "another long secret")
    accounts.set_password("li.na", "a brand new password")
    assert accounts.user_for_token(token) is None


@pytest.mark.parametrize("args, field", [
    (("x", "agent", "long enough password"), "username"),
    (("ok.name", "root", "long enough password"), "role"),
    (("ok.name", "agent", "short"), "password"),
    (("ok.name", "department", "long enough password"), "department"),
    (("ok.name", "agent", "long enough password", "water"), "department"),
])
def test_bad_users_are_refused_naming_the_field(accounts, args, field):
    with pytest.raises(AccountError, match=f"^{field}:"):
        accounts.add_user(*args)
    assert accounts.users() == []


def test_department_users_need_a_known_department(accounts):
    with pytest.raises(AccountError, match="unknown department 'nowhere'"):
        accounts.add_user("d1", "department", "long enough password", "nowhere", {"water"})
    user = accounts.add_user("d1", "department", "long enough password", "water", {"water"})
    assert user.department == "water" and not user.hotline


def test_failed_logins_are_throttled_per_user_and_per_address(accounts):
    accounts.add_user("wang.fang", "agent", "the right password")
    for _ in range(3):
        with pytest.raises(PermissionError):
            accounts.login("wang.fang", "wrong password!", client="10.0.0.1")
    with pytest.raises(TooManyAttempts):  # even the right password, for a while
        accounts.login("wang.fang", "the right password", client="10.0.0.2")
    accounts.test_clock.now += 61
    assert accounts.login("wang.fang", "the right password", client="10.0.0.2")[1].username == "wang.fang"


def test_unknown_user_and_wrong_password_look_the_same(accounts):
    accounts.add_user("chen.jie", "agent", "the right password")
    for name in ("chen.jie", "nobody.here"):
        with pytest.raises(PermissionError, match="wrong user name or password"):
            accounts.login(name, "not the password", client=name)
