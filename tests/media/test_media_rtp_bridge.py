"""RTP smoke test over loopback: G.711 tone through a bridge, detected at the far end."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from callcenter.media import g711
from callcenter.media.dtmf import DtmfReceiver, detect_tone, dtmf_packets
from callcenter.media.player import PromptPlayer
from callcenter.media.rtp import RtpPacket, RtpSender, SequenceTracker
from callcenter.media.rtp_endpoint import RtpBridge, RtpEndpoint, play
from callcenter.media.tone import sine

pytestmark = pytest.mark.timeout(15)


@pytest.mark.parametrize("payload_type", [0, 8])
def test_tone_through_bridge_and_echo_back(payload_type):
    async def scenario():
        far_packets: list[RtpPacket] = []
        echoed: list[RtpPacket] = []
        caller = await RtpEndpoint.open(on_packet=lambda p, a: echoed.append(p))
        far = await RtpEndpoint.open()

        def echo(packet: RtpPacket, addr):
            far_packets.append(packet)
            far.send(packet, addr)  # echo back towards the bridge

        far.on_packet = echo
        leg_a, leg_b = await RtpEndpoint.open(), await RtpEndpoint.open()
        bridge = RtpBridge(leg_a, leg_b, peer_b=far.local_addr)  # leg A latches the caller
        sender = RtpSender(payload_type, ssrc=0x1234, sequence=65530)
        player = PromptPlayer([sine(1004, 0.4, amplitude=0.3)])
        sent = await play(caller, player, sender, leg_a.local_addr, payload_type=payload_type,
                          ptime=0.005)
        await asyncio.sleep(0.2)
        for endpoint in (caller, far):
            endpoint.close()
        bridge.close()
        return sent, far_packets, echoed, bridge.relayed

    sent, far_packets, echoed, relayed = asyncio.run(scenario())
    assert sent == 20
    assert len(far_packets) == sent and len(echoed) == sent
    assert relayed == 2 * sent
    tracker = SequenceTracker()
    assert [tracker.update(p.sequence) for p in far_packets] == list(range(65530, 65550))
    assert tracker.cycles == 1
    for packets in (far_packets, echoed):
        audio = np.concatenate([g711.decode(p.payload, payload_type) for p in packets])
        assert all(p.payload_type == payload_type for p in packets)
        assert detect_tone(audio, 8000, 1004)
        assert not detect_tone(audio, 8000, 1500)


def test_rfc4733_digits_cross_the_bridge_once_each():
    async def scenario():
        receiver = DtmfReceiver()
        digits: list[str] = []
        far = await RtpEndpoint.open(
            on_packet=lambda p, a: digits.extend(d.digit for d in receiver.feed(p)))
        caller = await RtpEndpoint.open()
        leg_a, leg_b = await RtpEndpoint.open(), await RtpEndpoint.open()
        bridge = RtpBridge(leg_a, leg_b, peer_b=far.local_addr)
        sender = RtpSender(0, ssrc=9)
        for digit in "12345#":
            for packet in dtmf_packets(sender, digit, payload_type=101):
                caller.send(packet, leg_a.local_addr)
            await asyncio.sleep(0.01)
        caller.send(b"not rtp", leg_a.local_addr)
        await asyncio.sleep(0.2)
        invalid = leg_a.invalid
        for endpoint in (caller, far):
            endpoint.close()
        bridge.close()
        return digits, invalid

    digits, invalid = asyncio.run(scenario())
    assert "".join(digits) == "12345#"
    assert invalid == 1
