"""Capacity bench inputs: a config with many seats, their secrets, the SIPp caller scenario
and a long G.711 RTP capture for ``play_pcap_audio``."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import yaml

from callcenter.config.loader import default_config_path
from callcenter.media import g711
from callcenter.media.dtmf import dtmf_packets
from callcenter.media.rtp import RtpSender

RTP_SRC_PORT = 6000
RTP_DST_PORT = 6002
PTIME = 0.02


def agent_ids(count: int, first: int = 1001) -> list[str]:
    return [str(first + i) for i in range(count)]


def password_for(agent_id: str) -> str:
    return f"bench-seat-{agent_id}-pw"


def write_config(out: Path, agents: int, *, wrap_up: float = 0.0) -> Path:
    """The shipped config with ``agents`` Mandarin general seats and no wrap-up time."""
    data = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    # Anchors were resolved on load; foreign queues still need some skill holder.
    data["defaults"]["wrap_up_seconds"] = wrap_up
    skills = {"zh": 5, "general": 5, "consumer": 3, "housing_fund": 3,
              "en": 4, "ja": 4, "ko": 4, "fr": 4, "de": 4, "ru": 4}
    data["agents"] = [{"id": a, "name": f"Seat {a}", "skills": skills} for a in agent_ids(agents)]
    path = out / "hotline.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_secrets(out: Path, agents: int) -> Path:
    path = out / "seats.secret"
    path.write_text("".join(f"{a} = {password_for(a)}\n" for a in agent_ids(agents)),
                    encoding="utf-8")
    path.chmod(0o600)
    return path


def write_pcap(path: Path, packets: list[tuple[float, bytes]]) -> Path:
    """A pcap (Ethernet/IPv4/UDP) of ``(seconds, RTP packet)`` pairs, as SIPp replays it."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for i, (at, rtp) in enumerate(packets):
        udp = struct.pack("!HHHH", RTP_SRC_PORT, RTP_DST_PORT, 8 + len(rtp), 0) + rtp
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
        frame = b"\x00" * 12 + b"\x08\x00" + ip
        usec = round(at * 1_000_000)
        out.append(struct.pack("<IIII", usec // 1_000_000, usec % 1_000_000, len(frame),
                               len(frame)) + frame)
    path.write_bytes(b"".join(out))
    return path


AUDIO_FIRST_SEQ = 1000  # the callers' audio starts at this RTP sequence number


def write_audio_pcap(path: Path, seconds: float, payload_type: int = 0) -> Path:
    """20 ms G.711 packets of a speech-like two-tone signal, from :data:`AUDIO_FIRST_SEQ`."""
    n = int(seconds * 50)
    t = np.arange(n * 160) / 8000
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    audio = (0.25 * envelope * (np.sin(2 * np.pi * 300 * t) + 0.5 * np.sin(2 * np.pi * 1100 * t)))
    samples = np.round(audio * 32767).astype(np.int16)
    sender = RtpSender(payload_type, ssrc=0x51BB0001, sequence=AUDIO_FIRST_SEQ)
    return write_pcap(path, [
        (i * PTIME, sender.packet(g711.encode(samples[i * 160:(i + 1) * 160], payload_type),
                                  160, marker=i == 0).to_bytes()) for i in range(n)])


def write_dtmf_pcap(path: Path, digits: str, gap: float = 0.7) -> Path:
    """RFC 4733 events for ``digits``, one every ``gap`` seconds, on one RTP stream.

    SIPp's own per-digit pcaps share one SSRC with unordered timestamps, so a receiver
    rightly takes a later digit for a stale repeat of an earlier one.
    """
    sender = RtpSender(0, ssrc=0x51BB0002)
    packets: list[tuple[float, bytes]] = []
    for i, digit in enumerate(digits):
        sender.timestamp = (sender.timestamp + int(gap * 8000)) & 0xFFFFFFFF
        packets.extend((i * gap + j * PTIME, p.to_bytes())
                       for j, p in enumerate(dtmf_packets(sender, digit, payload_type=101)))
    return write_pcap(path, packets)


CALLER_XML = """<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="12345 caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:12345@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "138[call_number]" <sip:138[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:12345@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:caller@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [sink_port] RTP/AVP {pt} 101
      a=rtpmap:{pt} {codec}/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=ptime:20
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true" crlf="true"/>
  <send>
    <![CDATA[
      ACK sip:12345@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "138[call_number]" <sip:138[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:12345@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:caller@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <nop next="silent" chance="{silent_share}"/>
  <pause milliseconds="600"/>
  <nop><action><exec play_pcap_audio="{dtmf}"/></action></nop>
  <pause milliseconds="{digit_wait_ms}"/>
  <nop next="talk"/>
  <label id="silent"/>
  <pause milliseconds="{ivr_silent_ms}"/>
  <label id="talk"/>
  <nop><action><exec play_pcap_audio="{audio}"/></action></nop>
  <pause milliseconds="{talk_ms}"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:12345@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "138[call_number]" <sip:138[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:12345@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:caller@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
  <ResponseTimeRepartition value="10, 20, 50, 100, 200, 500, 1000, 2000"/>
</scenario>
"""


def write_caller_scenario(path: Path, *, audio: Path, sink_port: int, payload_type: int,
                          ivr_ms: int, talk_ms: int, silent_share: float) -> Path:
    """SIPp caller: INVITE 12345, optional keys 9 then 0 (RFC 2833), caller audio, BYE.

    Silent callers wait ``ivr_ms`` (greeting and menu timeout) before talking, callers with
    keys 1.8 s; then both talk ``talk_ms``, so each occupies a seat for about the same time.

    Media from SIPp's pcap player goes to the engine; the engine's media for the caller is
    sent to ``sink_port`` (the SDP address) where the bench counts it per seat stream.
    """
    dtmf = write_dtmf_pcap(path.with_name("keys_9_0.pcap"), "90")
    text = CALLER_XML.replace("[sink_port]", str(sink_port)).format(
        pt=payload_type, codec="PCMU" if payload_type == 0 else "PCMA",
        silent_share=silent_share, dtmf=dtmf, digit_wait_ms=1200,
        ivr_silent_ms=ivr_ms, audio=audio, talk_ms=talk_ms)
    path.write_text(text, encoding="utf-8")
    return path
