"""Seats followed over AMI, and :func:`start_asterisk`, which starts the whole Asterisk side.

    handle = await start_asterisk(engine, ami=AMISettings.from_env(), prompts_dir="var/prompts")
    ...
    await handle.close()

A seat whose device or contacts go unreachable is made not ready (``unreachable``); it comes
back by the agent's ready feature code, not by itself. After each (re)connect the device
states are read again, since events sent while the link was down are lost, and the hotline's
calls Asterisk holds are adopted or recorded (:mod:`.reconcile`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acd.engine import ACDError
from acd.events import AgentNotReady
from agents.seat import IllegalTransition
from callcenter.asterisk import AGIServer, AMIAuthError, AMIClient, AMIError, Backoff, SeatTracker
from callcenter.asterisk_engine.call_flow import CallFlow
from callcenter.asterisk_engine.desk_calls import AsteriskDeskCalls
from callcenter.asterisk_engine.reconcile import Reconciler
from callcenter.asterisk_engine.secrets import ami_secret
from callcenter.config.peers import peer_network
from callcenter.core_port import Core
from callcenter.task_set import TaskSet
from callcenter.telephony.trust import TrustDomain
from ivr_flows.loader import load_for_config
from ivr_flows.plugins import PluginRegistry, default_registry
from ivr_flows.timing import PromptDurations

log = logging.getLogger(__name__)

AMI_EVENTS = "system,call"  # DeviceStateChange is "call", ContactStatus is "system"


@dataclass(frozen=True)
class AMISettings:
    """Where and as whom the engine logs in to AMI; the secret has no default."""

    secret: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "callcenter"

    @classmethod
    def from_env(cls, secrets_file: Path | str | None = None,
                 environ: Mapping[str, str] | None = None, **where: Any) -> AMISettings:
        """Settings with the secret from ``CALLCENTER_AMI_SECRET`` or the secrets file."""
        return cls(secret=ami_secret(secrets_file, environ), **where)


class SeatFollower:
    """Makes seats that Asterisk reports unreachable not ready in the ACD."""

    def __init__(self, driver: Core, agent_ids: Iterable[str]) -> None:
        self.driver = driver
        self.tracker = SeatTracker(on_seat_unreachable=self.unreachable,
                                   on_seat_reachable=self.reachable, seats=frozenset(agent_ids))

    def unreachable(self, agent_id: str) -> None:
        try:
            self.driver.submit(AgentNotReady(agent_id, "unreachable"))
        except (IllegalTransition, ACDError) as exc:  # logged out, or not in the ACD
            log.info("seat %s unreachable; state unchanged: %s", agent_id, exc)
            return
        log.warning("seat %s unreachable: made not ready", agent_id)

    def reachable(self, agent_id: str) -> None:
        log.info("seat %s reachable again (the agent sets ready with the feature code)", agent_id)

    async def resync(self, client: AMIClient) -> None:
        """Feed the current device states (after a (re)connect)."""
        try:
            for message in await client.device_states():
                self.tracker.handle(message)
        except (AMIError, TimeoutError) as exc:
            log.warning("could not read device states: %s", exc)


@dataclass
class AsteriskHandle:
    """What :func:`start_asterisk` started."""

    agi: AGIServer
    flow: CallFlow
    ami: AMIClient | None = None
    seats: SeatFollower | None = None
    reconciler: Reconciler | None = None
    desk: AsteriskDeskCalls | None = None
    _tasks: TaskSet = field(default_factory=TaskSet)

    @property
    def agi_port(self) -> int:
        return self.agi.port

    async def close(self) -> None:
        self._tasks.cancel()
        await self.flow.callbacks.close()
        if self.desk is not None:
            await self.desk.close()
        if self.ami is not None:
            await self.ami.close()
        await self.agi.close()


async def start_asterisk(engine: Any, *, agi_host: str = "127.0.0.1", agi_port: int = 4573,
                         ami: AMISettings | None = None, prompts_dir: Path | str | None = None,
                         plugins: PluginRegistry | None = None,
                         hold_interval: float = 30.0) -> AsteriskHandle:
    """Serve FastAGI for ``engine`` (``agi_port`` 0 picks a free port) and follow seats over AMI.

    ``prompts_dir`` is where ``callcenter prompts build`` wrote the prompts: its manifest gives
    the IVR prompt durations. Without ``ami`` seats are not followed.
    """
    allowed = engine.config.asterisk.hosts
    peers = TrustDomain(tuple(peer_network(host) for host in allowed))
    if not _is_loopback(agi_host) and all(network.is_loopback for network in peers.networks):
        log.warning("FastAGI on %s serves only %s (asterisk.hosts): list the Asterisk host's address",
                    agi_host, ", ".join(allowed))
    registry = plugins or default_registry()
    flows = load_for_config(engine.config, registry)
    manifest = Path(prompts_dir) / "manifest.json" if prompts_dir is not None else None
    durations = PromptDurations.from_manifest(manifest) if manifest and manifest.is_file() else None
    writer = getattr(engine, "writer", None)  # the records writer stores survey scores
    flow = CallFlow(engine.config, engine.driver, flows, plugins=registry, durations=durations,
                    hold_interval=hold_interval, on_score=getattr(writer, "set_satisfaction", None))
    server = AGIServer(flow, host=agi_host, port=agi_port, allow=peers.trusts)
    await server.start()
    handle = AsteriskHandle(server, flow)
    if ami is None:
        log.warning("no AMI settings: seat reachability is not followed")
        return handle
    seats = SeatFollower(engine.driver, (agent.id for agent in engine.config.agents))

    reconciler = Reconciler(engine.config, engine.driver, lambda: flow.calls.keys())

    async def resync() -> None:
        await seats.resync(client)
        await reconciler.take_stock(client)

    def connected() -> None:
        handle._tasks.spawn(resync())

    client = AMIClient(ami.host, ami.port, username=ami.username, secret=ami.secret,
                       events=AMI_EVENTS, on_connected=connected)
    reached_at = "127.0.0.1" if agi_host in ("0.0.0.0", "::", "") else agi_host
    flow.callbacks.originate = client.originate
    flow.callbacks.connected = lambda: client.connected
    flow.callbacks.agi_url = f"agi://{reached_at}:{server.port}"
    client.subscribe(seats.tracker.handle, *SeatTracker.EVENTS)
    client.subscribe(reconciler.handle, *Reconciler.EVENTS)
    desk = AsteriskDeskCalls(engine.config, engine.driver, flow, send_action=client.send_action,
                             originate=client.originate, connected=lambda: client.connected,
                             ring_timeout=engine.config.transfers.ring_timeout_seconds)
    client.subscribe(desk.hangup, *AsteriskDeskCalls.EVENTS)
    engine.call_actions = desk  # the desk's transfer and three-way buttons
    handle.ami, handle.seats, handle.reconciler, handle.desk = client, seats, reconciler, desk
    try:
        await client.connect()
    except AMIAuthError:
        await handle.close()
        raise
    except (OSError, TimeoutError, AMIError) as exc:
        log.warning("AMI at %s:%s not reachable (%r); retrying in the background",
                    ami.host, ami.port, exc)
        handle._tasks.spawn(_keep_connecting(client))
    log.info("Asterisk side up: FastAGI on %s:%s, AMI %s@%s:%s", agi_host, server.port,
             ami.username, ami.host, ami.port)
    return handle


async def _keep_connecting(client: AMIClient) -> None:
    """First AMI login with retries; afterwards the client reconnects by itself."""
    for delay in Backoff().delays():
        await asyncio.sleep(delay)
        try:
            await client.connect()
            return
        except AMIAuthError:
            log.error("AMI login refused for %s: check the AMI secret", client.username)
            return
        except (OSError, TimeoutError, AMIError) as exc:
            log.warning("AMI connect to %s:%s failed: %r", client.host, client.port, exc)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
