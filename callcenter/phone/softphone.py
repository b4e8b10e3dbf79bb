"""A pjsua2 softphone for one agent seat (or an unregistered caller) on a :class:`PjWorker`.

Public methods may be called from any thread: they hand the work to the worker thread.
What happens is reported to ``on_event`` (on the worker thread) as :class:`PhoneEvent`.
The phone keeps a reference to every pjsua2 Call, player, tone generator and recorder it
creates: a collected Call declines or drops the call, a collected player goes silent.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pjsua2 as pj

from callcenter.phone.worker import PjWorker

log = logging.getLogger(__name__)

REGISTER_SECONDS = 300


@dataclass(frozen=True)
class PhoneEvent:
    """``kind``: registered, registration-failed, unregistered, ringing, calling, connected,
    media, ended, feature (a feature code's outcome), error."""

    kind: str
    call: int = -1
    detail: str = ""


@dataclass
class AutoMode:
    """Answer incoming calls after ``answer_after`` s, send ``tone`` Hz, hang up after
    ``hangup_after`` s (None: never), and record what the seat hears to ``record`` (WAV)."""

    answer_after: float | None = None
    tone: float | None = None
    hangup_after: float | None = None
    record: Path | None = None


@dataclass
class _CallState:
    call: pj.Call
    incoming: bool
    target: str = ""
    confirmed: bool = False
    media: list = field(default_factory=list)  # players, tone generators, recorders


class _Account(pj.Account):
    def __init__(self, phone: Softphone) -> None:
        super().__init__()
        self.phone = phone

    def onRegState(self, prm) -> None:  # noqa: N802 - pjsua2 callback
        self.phone._reg_state(prm)

    def onIncomingCall(self, prm) -> None:  # noqa: N802
        self.phone._incoming(prm.callId)


class _Call(pj.Call):
    def __init__(self, phone: Softphone, account: pj.Account, call_id: int = pj.PJSUA_INVALID_ID):
        super().__init__(account, call_id)
        self.phone = phone

    def onCallState(self, prm) -> None:  # noqa: N802
        self.phone._call_state(self)

    def onCallMediaState(self, prm) -> None:  # noqa: N802
        self.phone._media_state(self)


class Softphone:
    """One SIP identity on ``worker``: ``user``@``server`` (``host:port``).

    With a ``password`` it registers (digest) and is an agent seat; without one it only
    places calls. Feature-code helpers (:meth:`login` ...) dial the engine's codes.
    """

    def __init__(self, worker: PjWorker, server: str, user: str, *, password: str | None = None,
                 on_event: Callable[[PhoneEvent], None] | None = None,
                 auto: AutoMode | None = None) -> None:
        self.worker = worker
        self.server = server
        self.user = user
        self.password = password
        self.on_event = on_event or (lambda event: None)
        self.auto = auto or AutoMode()
        self.calls: dict[int, _CallState] = {}
        # Ended calls are kept until the worker stops: pjsua2 reuses call slots, and deleting
        # an old Call object would detach whichever new call now has its slot.
        self.ended: list[_CallState] = []
        self.account: _Account | None = None
        worker.on_shutdown.append(self._forget)
        worker.run(self._create)

    # -- any thread -----------------------------------------------------------------------------

    def dial(self, target: str) -> int:
        """Call ``target`` (a number at the server, or a full SIP URI); returns the call id."""
        return self.worker.run(self._dial, target)

    def login(self) -> int:
        return self.dial("*11")

    def logout(self) -> int:
        return self.dial("*12")

    def ready(self) -> int:
        return self.dial("*13")

    def not_ready(self, reason: str = "break") -> int:
        """Not ready with ``reason`` (one of the engine's not-ready reasons)."""
        from agents.feature_codes import NOT_READY_REASONS

        digits = {name: digit for digit, name in NOT_READY_REASONS.items()}
        if reason not in digits:
            raise ValueError(f"unknown reason {reason!r}; one of {', '.join(digits)}")
        return self.dial("*14" if reason == "break" else f"*14{digits[reason]}")

    def transfer(self, number: str, call: int | None = None) -> None:
        """Blind-transfer the connected call to a department ``number`` (REFER)."""
        self.worker.run(lambda: self._transfer(self._state(call), number))

    def wrap_up_done(self) -> int:
        return self.dial("*15")

    def answer(self, call: int | None = None) -> None:
        self.worker.run(self._answer, call)

    def hangup(self, call: int | None = None) -> None:
        self.worker.run(self._hangup, call)

    def digits(self, digits: str, call: int | None = None) -> None:
        """Send RFC 2833 telephone-events on a connected call."""
        self.worker.run(lambda: self._state(call).call.dialDtmf(digits))

    def tone(self, freq: float, call: int | None = None) -> None:
        """Send a continuous ``freq`` Hz tone on a connected call."""
        self.worker.run(lambda: self._tone(self._state(call), freq))

    def record(self, path: Path | str, call: int | None = None) -> None:
        """Record what this phone hears on a connected call to a WAV file."""
        self.worker.run(lambda: self._record(self._state(call), str(path)))

    def stop_recording(self, call: int | None = None) -> None:
        """Close the call's recorders (their WAV files are complete afterwards)."""
        self.worker.run(lambda: self._stop_recording(self._state(call)))

    def unregister(self) -> None:
        """Remove the registration (the engine then logs the agent out)."""
        if self.account is not None and self.password:
            with contextlib.suppress(pj.Error):
                self.worker.run(self.account.setRegistration, False)

    def close(self) -> None:
        """Hang up and delete the account (pjsua2 holds a few: PJSUA_MAX_ACC, 8 by default);
        its ended calls are kept until the worker stops (see ``ended``)."""
        self.worker.run(self._close)

    # -- worker thread ----------------------------------------------------------------------

    def _close(self) -> None:
        for call in list(self.calls):
            with contextlib.suppress(pj.Error, LookupError):
                self._hangup(call, quiet=True)
        if self.account is not None:
            self.account.shutdown()
            self.account = None

    def _emit(self, kind: str, call: int = -1, detail: str = "") -> None:
        try:
            self.on_event(PhoneEvent(kind, call, detail))
        except Exception:  # noqa: BLE001 - a broken listener must not stop pjsua2
            log.exception("phone event listener failed")

    def _create(self) -> None:
        cfg = pj.AccountConfig()
        cfg.idUri = f"sip:{self.user}@{self.worker.host}:{self.worker.port}"
        if self.password:
            cfg.regConfig.registrarUri = f"sip:{self.server}"
            cfg.regConfig.timeoutSec = REGISTER_SECONDS
            cfg.sipConfig.authCreds.append(
                pj.AuthCredInfo("digest", "*", self.user, 0, self.password))
        cfg.natConfig.contactRewriteUse = 0
        cfg.natConfig.viaRewriteUse = 0
        cfg.natConfig.sdpNatRewriteUse = 0
        cfg.mediaConfig.transportConfig.boundAddress = self.worker.host
        self.account = _Account(self)
        self.account.create(cfg)

    def _forget(self) -> None:
        """Drop the pjsua2 objects while the library still exists (at worker shutdown)."""
        for state in [*self.calls.values(), *self.ended]:
            _release(state.media)
        self.calls.clear()
        self.ended.clear()
        if self.account is not None:
            self.account.shutdown()
            self.account = None

    def _state(self, call: int | None) -> _CallState:
        if call is None:
            live = [s for s in self.calls.values() if s.confirmed] or list(self.calls.values())
            if not live:
                raise LookupError("no call")
            return live[-1]
        return self.calls[call]

    def _dial(self, target: str) -> int:
        uri = target if target.startswith("sip:") else f"sip:{target}@{self.server}"
        call = _Call(self, self.account)
        state = _CallState(call, incoming=False, target=target)
        call.makeCall(uri, pj.CallOpParam(True))
        call_id = call.getId()
        self.calls[call_id] = state
        self._emit("calling", call_id, target)
        return call_id

    def _incoming(self, call_id: int) -> None:
        call = _Call(self, self.account, call_id)
        self.calls[call_id] = _CallState(call, incoming=True)
        info = call.getInfo()
        ringing = pj.CallOpParam()
        ringing.statusCode = 180
        call.answer(ringing)
        self._emit("ringing", call_id, info.remoteUri)
        if self.auto.answer_after is not None:
            self.worker.later(self.auto.answer_after, lambda: self._answer(call_id, quiet=True))

    def _found(self, call: int | None, quiet: bool) -> _CallState | None:
        """The call's state; None for a call gone meanwhile when ``quiet`` (timers)."""
        try:
            return self._state(call)
        except (LookupError, KeyError):
            if quiet:
                return None
            raise

    def _answer(self, call: int | None, quiet: bool = False) -> None:
        state = self._found(call, quiet)
        if state is not None and state.incoming and not state.confirmed:
            ok = pj.CallOpParam()
            ok.statusCode = 200
            state.call.answer(ok)

    def _hangup(self, call: int | None, quiet: bool = False) -> None:
        state = self._found(call, quiet)
        if state is not None:
            state.call.hangup(pj.CallOpParam(True))

    def _transfer(self, state: _CallState, number: str) -> None:
        target = number if number.startswith("sip:") else f"sip:{number}@{self.server}"
        state.call.xfer(target, pj.CallOpParam(True))

    def _reg_state(self, prm) -> None:
        if prm.code // 100 == 2:
            self._emit("registered" if prm.expiration > 0 else "unregistered", -1,
                       f"{prm.code} {prm.reason}")
        else:
            self._emit("registration-failed", -1, f"{prm.code} {prm.reason}")

    def _call_state(self, call: _Call) -> None:
        info = call.getInfo()
        state = self.calls.get(info.id)
        if state is None:
            return
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED and not state.confirmed:
            state.confirmed = True
            self._emit("connected", info.id, info.remoteUri)
            if state.incoming and self.auto.hangup_after is not None:
                self.worker.later(self.auto.hangup_after,
                                  lambda: self._hangup(info.id, quiet=True))
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            _release(state.media)  # recorders close their WAV files here, on this thread
            del self.calls[info.id]
            self.ended.append(state)
            detail = f"{info.lastStatusCode} {info.lastReason}"
            if state.target.startswith("*"):
                ok = state.confirmed and info.lastStatusCode // 100 == 2
                self._emit("feature", info.id,
                           f"{state.target} {'ok' if ok else 'refused'} {detail}")
            self._emit("ended", info.id, detail)

    def _media_state(self, call: _Call) -> None:
        info = call.getInfo()
        state = self.calls.get(info.id)
        if state is None or not any(m.type == pj.PJMEDIA_TYPE_AUDIO
                                    and m.status == pj.PJSUA_CALL_MEDIA_ACTIVE
                                    for m in info.media):
            return
        self._emit("media", info.id)
        if state.incoming and not state.media:
            if self.auto.tone is not None:
                self._tone(state, self.auto.tone)
            if self.auto.record is not None:
                self._record(state, str(self.auto.record))

    def _tone(self, state: _CallState, freq: float) -> None:
        generator = pj.ToneGenerator()
        generator.createToneGenerator(8000, 1)
        tone = pj.ToneDesc()
        tone.freq1 = tone.freq2 = int(freq)
        tone.on_msec, tone.off_msec, tone.volume = 10_000, 0, 0
        tones = pj.ToneDescVector()
        tones.append(tone)
        generator.play(tones, True)
        generator.startTransmit(state.call.getAudioMedia(-1))
        state.media.append(generator)

    def _record(self, state: _CallState, path: str) -> None:
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(path)
        state.call.getAudioMedia(-1).startTransmit(recorder)
        state.media.append(recorder)

    def _stop_recording(self, state: _CallState) -> None:
        state.media[:] = [m for m in state.media if not isinstance(m, pj.AudioMediaRecorder)]


def _release(media: list) -> None:
    """Stop tone generators and drop every media object (a recorder finishes its file)."""
    for item in media:
        if isinstance(item, pj.ToneGenerator):
            with contextlib.suppress(pj.Error):
                item.stop()
    media.clear()
