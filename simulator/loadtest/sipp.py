"""SIPp scenarios for pure-SIP capacity tests of the engine with the standard tool.

``caller_<lang>.xml`` dials a line (``-s 12345``), sends the language keys as RFC 4733 events
(``play_pcap_audio`` of ``keys_<lang>.pcap``, written alongside), then streams a quiet tone
(``rtp_stream`` of ``voice.wav``) while it waits in the queue for ``-d`` ms and hangs up.
``agent_register.xml`` registers a seat with digest auth and ``agent_uas.xml`` answers the
calls the engine rings it with, talks for ``-d`` and hangs up.
"""

from __future__ import annotations

import struct
from pathlib import Path

from callcenter.media.dtmf import dtmf_packets
from callcenter.media.rtp import RtpSender
from simulator.loadtest.audio import voice_frame
from simulator.loadtest.plan import MENU_KEYS

SKELETON = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="{name}">
{body}</scenario>
"""

SDP = """v=0
o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000"""

CALLER = "<sip:1380[call_number]@[local_ip]:[local_port]>"
SERVICE = "<sip:[service]@[remote_ip]:[remote_port]>"
SEAT = "<sip:[field0]@[local_ip]:[local_port]>"
SEAT_AOR = "<sip:[field0]@[remote_ip]:[remote_port]>"
VIA = "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]"
KEY_GAP = 0.4


def scenario(name: str, *steps: str) -> str:
    """A whole SIPp scenario file: the one XML skeleton around ``steps``."""
    return SKELETON.format(name=name, body="".join(steps))


def send(message: str, retrans: bool = True) -> str:
    """A ``<send>`` of one SIP message (its lines; a body after an empty line)."""
    lines = "\n".join(f"      {line}" if line else "" for line in message.split("\n"))
    attr = ' retrans="500"' if retrans else ""
    return f"  <send{attr}>\n    <![CDATA[\n\n{lines}\n\n    ]]>\n  </send>\n"


def recv(what: str, **attrs: str) -> str:
    """``<recv response="200"/>`` or ``<recv request="ACK"/>`` with extra attributes."""
    kind = "response" if what.isdigit() else "request"
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f'  <recv {kind}="{what}"{extra}/>\n'


def pause(ms: int | None = None) -> str:
    return "  <pause/>\n" if ms is None else f'  <pause milliseconds="{ms}"/>\n'


def exec_action(**attrs: str) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f"  <nop><action><exec{extra}/></action></nop>\n"


def caller_request(method: str, cseq: int, *, to_tag: bool, body: str | None = None) -> str:
    """A request of the caller's dialog (INVITE, ACK, BYE) to the service number."""
    head = [f"{method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0", VIA,
            f"From: {CALLER};tag=[pid]SIPpTag00[call_number]",
            f"To: {SERVICE}{'[peer_tag_param]' if to_tag else ''}", "Call-ID: [call_id]",
            f"CSeq: {cseq} {method}", f"Contact: {CALLER}", "Max-Forwards: 70"]
    if body is None:
        return "\n".join([*head, "Content-Length: 0"])
    return "\n".join([*head, "Content-Type: application/sdp", "Content-Length: [len]", "", body])


def seat_response(status: str, body: str | None = None) -> str:
    """The seat's response to the engine's INVITE."""
    head = [f"SIP/2.0 {status}", "[last_Via:]", "[last_From:]",
            "[last_To:];tag=[pid]SIPpTag01[call_number]", "[last_Call-ID:]", "[last_CSeq:]",
            f"Contact: {SEAT}"]
    if body is None:
        return "\n".join([*head, "Content-Length: 0"])
    return "\n".join([*head, "Content-Type: application/sdp", "Content-Length: [len]", "", body])


def register(cseq: int, auth: bool) -> str:
    """The seat's REGISTER, first without and then with digest credentials."""
    return "\n".join([
        "REGISTER sip:[remote_ip]:[remote_port] SIP/2.0", VIA,
        f"From: {SEAT_AOR};tag=[pid]SIPpTag02[call_number]", f"To: {SEAT_AOR}",
        "Call-ID: [call_id]", f"CSeq: {cseq} REGISTER",
        "Contact: <sip:[field0]@[local_ip]:[uas_port]>",
        *(["[authentication username=[field0] password=[field1]]"] if auth else []),
        "Expires: 3600", "Max-Forwards: 70", "Content-Length: 0"])


CALLER_SETUP = (send(caller_request("INVITE", 1, to_tag=False, body=SDP + "\na=fmtp:101 0-15"))
                + recv("100", optional="true") + recv("180", optional="true")
                + recv("183", optional="true") + recv("200", rtd="true")
                + send(caller_request("ACK", 1, to_tag=True), retrans=False))
CALLER_HANGUP = (pause() + send(caller_request("BYE", 2, to_tag=True))
                 + recv("200", crlf="true")
                 + '  <ResponseTimeRepartition value="10, 20, 50, 100, 200, 500, 1000"/>\n')

AGENT_UAS = scenario(
    "12345 agent seat (UAS)",
    recv("INVITE", crlf="true"), send(seat_response("180 Ringing"), retrans=False), pause(1000),
    send(seat_response("200 OK", SDP)), recv("ACK", rtd="true", crlf="true"), pause(),
    send("\n".join(["BYE [next_url] SIP/2.0", VIA,
                    f"From: {SEAT};tag=[pid]SIPpTag01[call_number]", "To: [$remote_to]",
                    "[last_Call-ID:]", "CSeq: 2 BYE", "Max-Forwards: 70", "Content-Length: 0"])),
    recv("200"))

REGISTER = scenario(
    "12345 agent seat registration",
    send(register(1, auth=False)), recv("401", auth="true"), send(register(2, auth=True)),
    recv("200"))

README = """SIPp scenarios for the 12345 engine (exported by `callcenter loadtest --export-sipp`).

Callers (queue for -d ms while sending audio, then hang up; run with no seat answering, or
seats that talk longer than -d; a caller the engine hangs up first fails in SIPp):
  sipp 127.0.0.1:5060 -sf caller_zh.xml -s 12345 -r 2 -m 100 -d 20000 -mp 16000 -trace_err
Seat (agent 1001; seats.csv holds "SEQUENTIAL" then "1001;password" lines; log the agent in
through the API, POST /api/agents/1001/login {"ready": true}):
  sipp 127.0.0.1:5060 -sf agent_register.xml -inf seats.csv -key uas_port 5070 -m 1
  sipp -sf agent_uas.xml -inf seats.csv -p 5070 -d 5000 -trace_err
"""


def keys_pcap(keys: str) -> bytes:
    """A pcap of RFC 4733 events (payload type 101) for ``keys``, one event after the other.

    sip-tester's ``dtmf_2833_<d>.pcap`` files all start at the same RTP timestamp, so a
    receiver that (rightly) drops events repeating an earlier timestamp hears only the first
    of two keys played from them; here every key has its own, later timestamp.
    """
    sender = RtpSender(0, ssrc=0x12345, sequence=1, timestamp=8000)
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    t = 0.0
    for key in keys:
        for packet in dtmf_packets(sender, key, payload_type=101):
            rtp = packet.to_bytes()
            udp = struct.pack("!HHHH", 16000, 6000, 8 + len(rtp), 0) + rtp
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                             bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
            frame = b"\x00" * 12 + b"\x08\x00" + ip
            sec, usec = int(t), int(round((t - int(t)) * 1e6))
            out.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
            t += 0.02
        sender.timestamp = (sender.timestamp + int(KEY_GAP * 8000)) & 0xFFFFFFFF
        t += KEY_GAP
    return b"".join(out)


def voice_wav(seconds: float = 2.0) -> bytes:
    """A mu-law WAV of the caller's quiet 500 Hz tone, for SIPp's ``rtp_stream`` (PCMU)."""
    frames = voice_frame()[0] * int(seconds * 50)
    fmt = struct.pack("<HHIIHHH", 7, 1, 8000, 8000, 1, 8, 0)
    body = (b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<II", 4, len(frames))
            + b"data" + struct.pack("<I", len(frames)) + frames)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def caller_scenario(language: str, pcap: str | None = None, wav: str | None = None) -> str:
    """A caller for ``language``; ``pcap`` holds its menu keys (None for Mandarin: no keys);
    ``wav`` is streamed in a loop afterwards (the engine hangs up calls that stay silent)."""
    keys = MENU_KEYS[language]
    steps = [CALLER_SETUP]
    if keys and pcap:
        ms = int(1000 * len(keys) * (0.2 + KEY_GAP)) + 200
        steps += [pause(1500), exec_action(play_pcap_audio=pcap), pause(ms)]
    if wav:
        steps.append(exec_action(rtp_stream=f"{wav},-1,0"))
    return scenario(f"12345 caller ({language})", *steps, CALLER_HANGUP)


def export_sipp(folder: Path | str) -> list[Path]:
    """Write the callers (one per language, with their key pcaps), the seat and registration
    scenarios and a README."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, str | bytes] = {"voice.wav": voice_wav()}
    for lang, keys in MENU_KEYS.items():
        pcap = None
        if keys:
            pcap = str(folder / f"keys_{lang}.pcap")
            files[f"keys_{lang}.pcap"] = keys_pcap(keys)
        files[f"caller_{lang}.xml"] = caller_scenario(lang, pcap, str(folder / "voice.wav"))
    files["agent_uas.xml"] = AGENT_UAS
    files["agent_register.xml"] = REGISTER
    files["README.txt"] = README
    out = []
    for name, text in files.items():
        path = folder / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        out.append(path)
    return out
