"""Benchmark: screen-pop latency, from the engine's offer (the ACD's ``OfferCall`` command) to
the agent's page showing it, over real SIP calls.

One engine in this process (the routing core, the embedded SIP stack and the API with the
desk pages, on one event loop, as ``callcenter serve`` runs them) answers line 12345 on
loopback. ``--seats`` seat phones (Python SIP user agents that answer at once) register and
log in; each seat has a desk session whose live stream is read by an HTTP client, and the
first seat's page is also open in headless Chromium (``--no-browser``: none). ``--calls``
callers dial 12345 at ``--rate`` calls/s, hear the greeting, wait out the menu, queue, are
offered to a seat, talk ``--talk`` seconds and hang up.

Measured per call: the offer (wall clock when the core emitted ``OfferCall``, stamped by a
driver sink), the stream's offer event received by the HTTP client, and for calls to the
Chromium seat the moment the page's DOM shows the call (a MutationObserver on the pop's
call id; the browser's clock is the same wall clock). Reported: p50/p99/max of both, with
the machine's load (the clients share the engine's process and loop, which is included in
what is measured).

Run:  python bench/bench_screen_pop.py [--calls 200 --rate 2 --seats 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desk_clients import desk_session, percentile, read_stream  # noqa: E402

LOCAL = "127.0.0.1"
PASSWORD = "bench desk password 0123"
OBSERVE = """
window.__pops = {};
const target = document.getElementById('pop-call-id');
new MutationObserver(() => {
  const id = target.textContent;
  if (id && !(id in window.__pops)) window.__pops[id] = performance.timeOrigin + performance.now();
}).observe(target, {childList: true, characterData: true, subtree: true});
"""


def prompts_for(folder: Path | None) -> Path:
    """The zh and en prompts (built with espeak-ng into ``folder`` when it has none)."""
    from ivr_flows.catalogue import load_catalogue
    from ivr_flows.prompts_build import build_prompts

    folder = folder or Path(tempfile.gettempdir()) / "callcenter-bench-prompts"
    if not (folder / "manifest.json").exists():
        if shutil.which("espeak-ng") is None:
            raise SystemExit("espeak-ng is needed to build the prompts (or pass --prompts)")
        build_prompts(load_catalogue(), folder, ["zh", "en"], workers=2)
    return folder


def open_browser(url: str, user: str, seat: str, profile: Path):
    """Headless Chromium signed in as ``user`` with ``seat``'s page open and observed."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import Select, WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    wait = WebDriverWait(driver, 30, poll_frequency=0.05)
    driver.get(url + "/desk/seat")
    wait.until(lambda d: d.find_elements("id", "username"))
    driver.find_element("id", "username").send_keys(user)
    driver.find_element("id", "password").send_keys(PASSWORD)
    driver.find_element("id", "sign-in").click()
    wait.until(lambda d: d.find_elements("id", "seat-pick"))
    Select(driver.find_element("id", "seat-pick")).select_by_value(seat)
    driver.find_element("id", "do-pick").click()
    wait.until(lambda d: d.find_elements("id", "pop-call-id"))
    driver.execute_script(OBSERVE)
    return driver


async def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from acd.commands import OfferCall
    from acd.events import AgentLoggedIn
    from callcenter.api import start_api
    from callcenter.config import load_config
    from callcenter.runtime.app import build_engine
    from callcenter.sip.transport import open_endpoint
    from callcenter.sip.useragent import UserAgent
    from callcenter.telephony.embedded import start_embedded

    config = load_config()
    config = config.model_copy(update={"defaults": config.defaults.model_copy(
        update={"wrap_up_seconds": 0.2})})
    seats = [a.id for a in config.agents][:args.seats]
    engine = build_engine(config, db_url=f"sqlite:///{work / 'cc.db'}")
    offers: dict[str, tuple[str, float]] = {}  # call id -> (seat, when the core offered it)

    def stamp(commands) -> None:
        for command in commands:
            if isinstance(command, OfferCall) and str(command.call_id) not in offers:
                offers[str(command.call_id)] = (command.agent_id, time.time())

    engine.driver.add_sink(stamp)
    api = await start_api(engine, host=LOCAL, port=0, token=secrets.token_urlsafe(24))
    passwords = {seat: secrets.token_urlsafe(12) for seat in seats}
    tel = await start_embedded(engine, host=LOCAL, port=0, prompts_dir=args.prompts, passwords=passwords,
                               rtp_timeout=None, qualify_interval=None)
    phones = []
    for seat in seats:
        engine.casework.accounts.add_user(f"desk{seat}", "agent", PASSWORD)
        phone = UserAgent(await open_endpoint(port=0), user=seat, media=True, auto_answer=True)
        reply = await phone.register(f"sip:{LOCAL}:{tel.port}", (LOCAL, tel.port), username=seat,
                                     password=passwords[seat])
        assert reply is not None and reply.status == 200, seat
        phones.append(phone)
    received: dict[str, float] = {}

    def on_event(event: dict[str, Any], at: float) -> None:
        if event.get("type") == "offer":
            received.setdefault(event["call_id"], at)

    browser = None
    if not args.no_browser:
        browser = await asyncio.to_thread(open_browser, api.url, f"desk{seats[0]}", seats[0],
                                          work / "chromium")
    desks = [await desk_session(api.url, f"desk{seat}", PASSWORD, seat)
             for seat in seats[1 if browser else 0:]]
    readers = [asyncio.ensure_future(read_stream(desk, on_event)) for desk in desks]
    for seat in seats:
        engine.driver.submit(AgentLoggedIn(seat, ready=True))

    async def one_call(n: int) -> str | None:
        await asyncio.sleep(n / args.rate)
        caller = UserAgent(await open_endpoint(port=0), user=f"1380000{n:04d}", media=True)
        try:
            call = await caller.call(f"sip:12345@{LOCAL}:{tel.port}", (LOCAL, tel.port))
            if call.status != 200:
                return None
            deadline = time.monotonic() + 90
            while call.call_id not in offers and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(args.talk)
            await caller.hangup(call)
            return call.call_id
        finally:
            await caller.endpoint.close()

    load_before = os.getloadavg()
    placed = [c for c in await asyncio.gather(*(one_call(n) for n in range(args.calls))) if c]
    load_after = os.getloadavg()
    await asyncio.sleep(1.0)
    pops = await asyncio.to_thread(browser.execute_script, "return window.__pops") if browser else {}
    if browser:
        await asyncio.to_thread(browser.quit)
    for reader in readers:
        reader.cancel()
    for desk in desks:
        await desk.aclose()
    for phone in phones:
        await phone.endpoint.close()
    await tel.close()
    await api.close()
    engine.close()
    stream_ms = [1000 * (received[c] - offers[c][1]) for c in placed if c in offers and c in received]
    page_ms = [pops[c] - 1000 * offers[c][1] for c in placed if c in offers and c in pops]

    def figures(values: list[float]) -> dict[str, Any]:
        return {"n": len(values), "p50_ms": _round(percentile(values, 50)),
                "p99_ms": _round(percentile(values, 99)), "max_ms": _round(max(values, default=None))}

    return {"calls": args.calls, "answered": len(placed), "offered": len([c for c in placed if c in offers]),
            "seats": len(seats), "stream_client": figures(stream_ms), "chromium_page": figures(page_ms),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after], "cores": os.cpu_count()}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rate", type=float, default=2.0, help="calls placed per second")
    parser.add_argument("--seats", type=int, default=8)
    parser.add_argument("--talk", type=float, default=1.0, help="seconds each answered call lasts")
    parser.add_argument("--prompts", type=Path, default=None, help="a prompt folder (built if empty)")
    parser.add_argument("--no-browser", action="store_true", help="stream clients only, no Chromium")
    args = parser.parse_args()
    args.prompts = prompts_for(args.prompts)
    with tempfile.TemporaryDirectory() as work:
        result = asyncio.run(run(args, Path(work)))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
