"""An engine with cases and an ``outbound:`` section whose trunk is a pjsua2 worker's address,
run with the embedded SIP side and the campaign runner around one test scenario."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from acd.events import AgentLoggedIn
from callcenter.config import load_config
from callcenter.config.outbound_section import MissedCalls, OutboundSection
from callcenter.phone.softphone import AutoMode, PhoneEvent, Softphone
from callcenter.runtime.app import Engine, build_engine
from callcenter.runtime.campaigns import CampaignRunner, start_campaigns
from callcenter.telephony.admission import AdmissionLimits
from callcenter.telephony.embedded import EmbeddedTelephony, start_embedded
from tests.telephony.helpers import wait_for

LOCAL = "127.0.0.1"
Scenario = Callable[[EmbeddedTelephony, CampaignRunner], Awaitable[None]]


def outbound_engine(tmp_path: Path, trunk_port: int, calling_hours: str,
                    sections: dict[str, object] | None = None, **missed_calls: object) -> Engine:
    """The engine over ``tmp_path``'s database (an engine built again on it is a restart);
    ``sections``: more fields of the ``outbound:`` section."""
    section = OutboundSection(gateway=f"{LOCAL}:{trunk_port}", calling_hours=calling_hours,
                              missed_calls=MissedCalls(**missed_calls), **(sections or {}))
    config = load_config().model_copy(update={"outbound": section})
    return build_engine(config, db_url=f"sqlite:///{tmp_path / 'cc.db'}")


def run_campaigns(engine: Engine, prompts_dir: Path, scenario: Scenario,
                  admission: AdmissionLimits | None = None, passwords: dict[str, str] | None = None,
                  credentials: tuple[str, str] | None = None) -> None:
    """Start SIP and the runner (``credentials``: the trunk's), run ``scenario(telephony,
    runner)``, stop everything."""
    async def main() -> None:
        tel = await start_embedded(engine, host=LOCAL, port=0, prompts_dir=prompts_dir,
                                   passwords=passwords or {}, hold_interval=0, admission=admission)
        runner = start_campaigns(engine, tel, credentials)
        assert runner is not None
        try:
            await scenario(tel, runner)
        finally:
            await runner.close()
            await tel.close()

    try:
        asyncio.run(main())
    finally:
        engine.close()


async def ready_seat(engine: Engine, tel: EmbeddedTelephony, worker: object, seat: str, password: str,
                     events: list[PhoneEvent]) -> Softphone:
    """A pjsua2 seat phone registered on the engine (answering after 0.3 s), its agent logged
    in and ready; its events go to ``events``."""
    phone = Softphone(worker, f"{LOCAL}:{tel.port}", seat, password=password,  # type: ignore[arg-type]
                      on_event=events.append, auto=AutoMode(answer_after=0.3))
    await wait_for(lambda: tel.control.registrar.contact_for(seat) is not None, 10)
    engine.driver.submit(AgentLoggedIn(seat, ready=True))
    return phone


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]


def desk_session(url: str, user: str, password: str, seat: str | None = None,
                 page: str = "/desk/seat") -> tuple[httpx.Client, str]:
    """A desk session of ``user`` (driving ``seat``), and its CSRF token read from ``page``
    (blocking: run it in a thread)."""
    client = httpx.Client(base_url=url, timeout=10)
    login = client.get("/desk/login")
    reply = client.post("/desk/login", data={"username": user, "password": password,
                                             "csrf": _csrf(login.text), "next": page})
    assert reply.status_code == 303, reply.text
    csrf = _csrf(client.get(page).text)
    if seat is not None:
        assert client.post("/desk/seat/pick", data={"seat": seat, "csrf": csrf}).status_code == 303
    return client, csrf
