"""SDP (RFC 4566) parsing and offer/answer (RFC 3264) for G.711 audio with RFC 4733 DTMF."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

PCMU = 0
PCMA = 8
DEFAULT_DTMF_PT = 101
STATIC_CODECS = {PCMU: ("PCMU", 8000), PCMA: ("PCMA", 8000)}
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_REVERSE = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly",
            "inactive": "inactive"}


class SDPError(ValueError):
    """Unusable SDP; ``status`` is the SIP response code to answer with (400 or 488)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


class NoCommonCodec(SDPError):
    """The offer has no codec we support: answer 488 Not Acceptable Here."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, 488)


@dataclass
class MediaDescription:
    """One ``m=`` section with its ``c=`` and ``a=`` lines."""

    media: str
    port: int
    proto: str
    formats: list[str]
    connection: str | None = None
    attributes: list[tuple[str, str | None]] = field(default_factory=list)

    def attribute(self, name: str) -> str | None:
        """The value of the first ``a=name:value`` line ('' for a flag, None if absent)."""
        for key, value in self.attributes:
            if key == name:
                return value if value is not None else ""
        return None

    @property
    def rtpmap(self) -> dict[int, tuple[str, int]]:
        """Payload type -> (encoding name, clock rate), static types included."""
        mapping: dict[int, tuple[str, int]] = {}
        for fmt in self.formats:
            if fmt.isdigit() and int(fmt) in STATIC_CODECS:
                mapping[int(fmt)] = STATIC_CODECS[int(fmt)]
        for key, value in self.attributes:
            if key == "rtpmap" and value:
                pt, _, enc = value.partition(" ")
                name, _, rest = enc.partition("/")
                clock = rest.split("/")[0]
                if pt.isdigit() and clock.isdigit():
                    mapping[int(pt)] = (name.strip(), int(clock))
        return mapping

    @property
    def fmtp(self) -> dict[int, str]:
        params: dict[int, str] = {}
        for key, value in self.attributes:
            if key == "fmtp" and value:
                pt, _, rest = value.partition(" ")
                if pt.isdigit():
                    params[int(pt)] = rest.strip()
        return params

    @property
    def direction(self) -> str:
        for key, _ in self.attributes:
            if key in DIRECTIONS:
                return key
        return "sendrecv"

    def lines(self) -> list[str]:
        out = [f"m={self.media} {self.port} {self.proto} {' '.join(self.formats)}"]
        if self.connection:
            out.append(f"c={self.connection}")
        out.extend(f"a={k}" if v is None else f"a={k}:{v}" for k, v in self.attributes)
        return out


@dataclass
class SessionDescription:
    """A parsed session description."""

    origin: str
    session_name: str = "-"
    connection: str | None = None
    timing: str = "0 0"
    media: list[MediaDescription] = field(default_factory=list)
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    version: int = 0

    def audio(self) -> MediaDescription | None:
        """The first audio stream."""
        return next((m for m in self.media if m.media == "audio"), None)

    def connection_address(self, media: MediaDescription) -> str:
        """The unicast IP address of ``media`` (media-level c= overrides session-level).

        Only IP literals of the line's address type are accepted (488 otherwise): a host name
        would need a DNS lookup on the media path, and a multicast address is not a peer.
        """
        conn = media.connection or self.connection
        if not conn:
            raise SDPError("no c= line for media")
        parts = conn.split()
        if len(parts) != 3 or parts[0] != "IN":
            raise SDPError(f"bad c= line: {conn!r}")
        return unicast_address(parts[1], parts[2].split("/")[0])

    def to_bytes(self) -> bytes:
        lines = [f"v={self.version}", f"o={self.origin}", f"s={self.session_name}"]
        if self.connection:
            lines.append(f"c={self.connection}")
        lines.append(f"t={self.timing}")
        lines.extend(f"a={k}" if v is None else f"a={k}:{v}" for k, v in self.attributes)
        for media in self.media:
            lines.extend(media.lines())
        return ("\r\n".join(lines) + "\r\n").encode()

    def __bytes__(self) -> bytes:
        return self.to_bytes()


def unicast_address(addrtype: str, text: str) -> str:
    """``text`` as a normalised IPv4 (``IP4``) or IPv6 (``IP6``) literal; :class:`SDPError` (488)
    for a name, a literal of the other family, or a multicast or broadcast address. The
    unspecified address (``0.0.0.0``, hold in RFC 2543 style) is kept."""
    versions = {"IP4": 4, "IP6": 6}
    if addrtype not in versions:
        raise SDPError(f"unsupported address type {addrtype[:10]!r}", 488)
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        raise SDPError(f"c= address is not an IP address: {text[:60]!r}", 488) from None
    if address.version != versions[addrtype]:
        raise SDPError(f"c= address {text!r} is not {addrtype}", 488)
    if address.is_multicast or (address.version == 4 and address == ipaddress.IPv4Address(
            "255.255.255.255")):
        raise SDPError(f"c= address {text!r} is not a unicast address", 488)
    return str(address)


def media_port(media: MediaDescription) -> int:
    """The port of an accepted stream: 1 to 65535 (488 otherwise: port 0 rejects the stream)."""
    if not 1 <= media.port <= 65535:
        raise SDPError(f"audio port {media.port} out of range 1-65535", 488)
    return media.port


def _attribute(value: str) -> tuple[str, str | None]:
    name, colon, rest = value.partition(":")
    return name.strip(), rest.strip() if colon else None


def parse_sdp(data: bytes | str) -> SessionDescription:
    """Parse an SDP body; raises :class:`SDPError` when it is not usable."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise SDPError("SDP is not UTF-8") from None
    session = SessionDescription(origin="")
    current: MediaDescription | None = None
    seen_version = False
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if len(line) < 2 or line[1] != "=":
            raise SDPError(f"bad SDP line: {line[:40]!r}")
        kind, value = line[0], line[2:]
        if kind == "v":
            if value.strip() != "0":
                raise SDPError(f"unsupported SDP version {value!r}")
            seen_version = True
        elif kind == "m":
            parts = value.split()
            port = parts[1].split("/")[0] if len(parts) >= 4 else ""
            if not (port.isascii() and port.isdigit() and len(port) <= 5):
                raise SDPError(f"bad m= line: {value[:60]!r}")
            current = MediaDescription(parts[0], int(parts[1].split("/")[0]), parts[2], parts[3:])
            session.media.append(current)
        elif kind == "c":
            if current is None:
                session.connection = value
            else:
                current.connection = value
        elif kind == "a":
            (current.attributes if current else session.attributes).append(_attribute(value))
        elif kind == "o" and current is None:
            session.origin = value
        elif kind == "s" and current is None:
            session.session_name = value
        elif kind == "t" and current is None:
            session.timing = value
    if not seen_version:
        raise SDPError("missing v= line")
    return session


@dataclass(frozen=True)
class Codec:
    """A negotiated audio codec."""

    payload_type: int
    name: str
    clock_rate: int = 8000


@dataclass
class AudioAnswer:
    """The result of answering an audio offer."""

    sdp: SessionDescription
    codec: Codec
    dtmf_payload_type: int | None
    remote_address: str
    remote_port: int
    direction: str

    def to_bytes(self) -> bytes:
        return self.sdp.to_bytes()


def _find_codec(media: MediaDescription, name: str) -> int | None:
    rtpmap = media.rtpmap
    for fmt in media.formats:
        if not fmt.isdigit():
            continue
        pt = int(fmt)
        enc = rtpmap.get(pt)
        if enc and enc[0].upper() == name.upper() and enc[1] == 8000:
            return pt
    return None


def build_offer(
    address: str,
    port: int,
    *,
    session_id: int = 1,
    version: int = 1,
    codecs: tuple[int, ...] = (PCMU, PCMA),
    dtmf_payload_type: int | None = DEFAULT_DTMF_PT,
    direction: str = "sendrecv",
    user: str = "callcenter",
) -> SessionDescription:
    """An SDP offer for one G.711 audio stream (with telephone-event unless disabled)."""
    formats = [str(pt) for pt in codecs]
    attributes: list[tuple[str, str | None]] = [
        ("rtpmap", f"{pt} {STATIC_CODECS[pt][0]}/8000") for pt in codecs
    ]
    if dtmf_payload_type is not None:
        formats.append(str(dtmf_payload_type))
        attributes.append(("rtpmap", f"{dtmf_payload_type} telephone-event/8000"))
        attributes.append(("fmtp", f"{dtmf_payload_type} 0-16"))
    attributes += [("ptime", "20"), (direction, None)]
    media = MediaDescription("audio", port, "RTP/AVP", formats, attributes=attributes)
    return SessionDescription(
        origin=f"{user} {session_id} {version} IN IP4 {address}",
        session_name="callcenter",
        connection=f"IN IP4 {address}",
        media=[media],
    )


def answer_offer(
    offer: SessionDescription | bytes | str,
    address: str,
    port: int,
    *,
    preferred: tuple[int, ...] = (PCMU, PCMA),
    session_id: int = 1,
    version: int = 1,
    user: str = "callcenter",
    addrtype: str | None = None,
) -> AudioAnswer:
    """Answer an audio offer choosing the offerer's first G.711 codec we also prefer.

    Raises :class:`NoCommonCodec` (488) when neither PCMU nor PCMA is offered, and
    :class:`SDPError` when the offer has no audio stream, a port out of 1-65535 or an
    address that is not an IP literal (of ``addrtype``, IP4 or IP6, when given: the
    family our RTP socket can reach). Non-audio streams are
    rejected in the answer with port 0, as RFC 3264 section 6 requires.
    """
    if not isinstance(offer, SessionDescription):
        offer = parse_sdp(offer)
    audio = offer.audio()
    if audio is None:
        raise NoCommonCodec("offer has no audio stream")
    if not audio.proto.upper().startswith("RTP/AVP"):
        raise NoCommonCodec(f"unsupported transport {audio.proto}")
    names = {PCMU: "PCMU", PCMA: "PCMA"}
    offered = {pt: _find_codec(audio, names[pt]) for pt in preferred}
    chosen: Codec | None = None
    for fmt in audio.formats:
        for pref, found in offered.items():
            if found is not None and fmt == str(found):
                chosen = Codec(found, names[pref])
                break
        if chosen:
            break
    if chosen is None:
        raise NoCommonCodec("no common codec: PCMU or PCMA required")
    dtmf = _find_codec(audio, "telephone-event")
    direction = _REVERSE[audio.direction]
    formats = [str(chosen.payload_type)]
    attributes: list[tuple[str, str | None]] = [
        ("rtpmap", f"{chosen.payload_type} {chosen.name}/8000")]
    if dtmf is not None:
        formats.append(str(dtmf))
        attributes.append(("rtpmap", f"{dtmf} telephone-event/8000"))
        attributes.append(("fmtp", f"{dtmf} {audio.fmtp.get(dtmf, '0-16')}"))
    attributes += [("ptime", "20"), (direction, None)]
    media_out: list[MediaDescription] = []
    for media in offer.media:
        if media is audio:
            media_out.append(MediaDescription("audio", port, audio.proto, formats,
                                              attributes=attributes))
        else:
            media_out.append(MediaDescription(media.media, 0, media.proto, media.formats[:1]))
    sdp = SessionDescription(
        origin=f"{user} {session_id} {version} IN IP4 {address}",
        session_name="callcenter",
        connection=f"IN IP4 {address}",
        media=media_out,
    )
    remote = offer.connection_address(audio)
    if addrtype is not None and (":" in remote) != (addrtype == "IP6"):
        raise SDPError(f"c= address {remote} is not reachable over {addrtype}", 488)
    return AudioAnswer(sdp, chosen, dtmf, remote, media_port(audio), direction)


def parse_answer(answer: SessionDescription | bytes | str) -> tuple[Codec, int | None, str, int]:
    """From an answer to our offer: (codec, DTMF payload type, remote address, remote port)."""
    if not isinstance(answer, SessionDescription):
        answer = parse_sdp(answer)
    audio = answer.audio()
    if audio is None or audio.port == 0:
        raise NoCommonCodec("answer rejected the audio stream")
    rtpmap = audio.rtpmap
    for fmt in audio.formats:
        if fmt.isdigit() and int(fmt) in rtpmap:
            name = rtpmap[int(fmt)][0].upper()
            if name in ("PCMU", "PCMA"):
                codec = Codec(int(fmt), name)
                return (codec, _find_codec(audio, "telephone-event"),
                        answer.connection_address(audio), media_port(audio))
    raise NoCommonCodec("answer has no G.711 codec")
