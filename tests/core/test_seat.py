"""The two-axis seat state machine."""

import pytest

from agents.seat import Activity, IllegalTransition, Presence, Seat


def test_login_ready_offer_answer_hangup_wrapup_cycle():
    seat = Seat("1001")
    assert seat.presence is Presence.LOGGED_OUT
    seat.apply("login", 1.0)
    assert (seat.presence, seat.reason) == (Presence.NOT_READY, "")
    seat.apply("ready", 2.0)
    assert seat.routable
    seat.apply("offer", 3.0)
    assert seat.activity is Activity.RINGING and not seat.routable
    seat.apply("answer", 4.0)
    seat.apply("hang_up", 5.0)
    assert seat.activity is Activity.WRAP_UP
    seat.apply("wrap_up_end", 6.0)
    assert seat.routable and seat.since == 6.0


@pytest.mark.parametrize(
    "setup, event",
    [
        ([], "ready"),  # logged out cannot be ready
        ([], "offer"),
        (["login"], "offer"),  # not ready cannot be offered
        (["login", "ready"], "answer"),  # nothing is ringing
        (["login", "ready", "offer", "answer"], "logout"),  # no logout mid-conversation
        (["login", "ready", "offer"], "offer"),  # never two calls
        (["login", "ready"], "wrap_up_end"),
        (["login"], "login"),
        ([], "teleport"),
    ],
)
def test_illegal_transition_raises_and_changes_nothing(setup, event):
    seat = Seat("1001")
    for step in setup:
        seat.apply(step, 1.0)
    before = (seat.presence, seat.activity, seat.reason, seat.since)
    with pytest.raises(IllegalTransition):
        seat.apply(event, 9.0)
    assert (seat.presence, seat.activity, seat.reason, seat.since) == before


def test_not_ready_keeps_reason_and_ready_clears_it():
    seat = Seat("1001")
    seat.apply("login", 0.0)
    seat.apply("ready", 0.0)
    seat.apply("not_ready", 1.0, reason="lunch")
    assert (seat.presence, seat.reason) == (Presence.NOT_READY, "lunch")
    seat.apply("ready", 2.0)
    assert seat.reason == ""


def test_logout_while_ringing_returns_seat_to_idle():
    seat = Seat("1001")
    for step in ("login", "ready", "offer"):
        seat.apply(step, 0.0)
    seat.apply("logout", 1.0)
    assert (seat.presence, seat.activity) == (Presence.LOGGED_OUT, Activity.IDLE)
