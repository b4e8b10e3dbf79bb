"""The trust domain whose caller identity the engine believes: the config's gateways and its
``caller_identity.trusted_peers``; a bad entry names its file, line and field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.config import ConfigError, load_config
from callcenter.config.loader import default_config_path
from callcenter.config.outbound_section import OutboundSection
from callcenter.sip.message import parse_message
from callcenter.telephony.legs import asserted_number, own_number, vouched_number
from callcenter.telephony.trust import TrustDomain, peer_network, trust_domain
from tests.core.test_config import GOOD, cli, write


def _config(tmp_path, extra: str = ""):
    return load_config(write(tmp_path, GOOD + extra))


def test_the_gateways_and_the_listed_peers_are_trusted_and_no_one_else(tmp_path):
    config = _config(tmp_path, 'callbacks: {gateway: "192.0.2.7:5060"}\n'
                               'caller_identity: {trusted_peers: ["10.1.2.0/24", "2001:db8::/64"]}\n')
    config = config.model_copy(update={"outbound": OutboundSection(gateway="[2001:db8:1::9]:5060")})
    trust = trust_domain(config, resolve=lambda host: pytest.fail(f"resolved {host}"))
    for host in ("192.0.2.7", "10.1.2.200", "2001:db8::1", "2001:db8:1::9", "::ffff:10.1.2.3"):
        assert trust.trusts((host, 5060)), host
    for host in ("192.0.2.8", "10.1.3.1", "2001:db8:2::1", "127.0.0.1", "carrier.example", ""):
        assert not trust.trusts((host, 5060)), host
    assert not trust.trusts(None)


def test_a_gateway_named_by_host_is_resolved_once(tmp_path):
    config = _config(tmp_path, 'callbacks: {gateway: "sbc.carrier.example:5060"}\n')
    asked: list[str] = []
    found = ["198.51.100.4", "::ffff:198.51.100.5"]
    trust = trust_domain(config, resolve=lambda host: asked.append(host) or found)
    assert asked == ["sbc.carrier.example"]
    assert trust.trusts(("198.51.100.4", 5060)) and trust.trusts(("198.51.100.5", 5060))
    assert not trust.trusts(("198.51.100.6", 5060))

    def unknown(host):
        raise OSError("Name or service not known")

    assert trust_domain(config, resolve=unknown) == TrustDomain()


def test_no_gateway_and_no_list_trusts_no_one(tmp_path):
    assert trust_domain(_config(tmp_path)) == TrustDomain()


@pytest.mark.parametrize("entry, words", [
    ("10.1.2.3/24", "host bits set"),
    ("carrier.example", "expected an IP address or network"),
    ("0.0.0.0/0", "trusts every address"),
    ("::/0", "trusts every address"),
    ("10.1.2.300", "expected an IP address or network"),
])
def test_a_bad_peer_entry_names_file_line_and_field(tmp_path, entry, words):
    with pytest.raises(ConfigError) as err:
        _config(tmp_path, f'caller_identity:\n  trusted_peers:\n    - "10.9.9.9"\n    - "{entry}"\n')
    [issue] = err.value.issues
    assert str(issue.origin).endswith("hotline.yaml:14") and issue.field == "caller_identity.trusted_peers[1]"
    assert words in issue.message
    with pytest.raises(ValueError, match=words):
        peer_network(entry)


def test_the_number_is_read_only_from_a_trusted_source():
    invite = parse_message(
        b"INVITE sip:12345@192.0.2.1 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 10.1.2.9:5060;branch=z9hG4bK1\r\n"
        b"From: <sip:13800138000@10.1.2.9>;tag=a\r\nTo: <sip:12345@192.0.2.1>\r\n"
        b"P-Asserted-Identity: <sip:13900139000@10.1.2.9>\r\n"
        b"Call-ID: x\r\nCSeq: 1 INVITE\r\nContact: <sip:13900139000@10.1.2.9>\r\nContent-Length: 0\r\n\r\n")
    trust = TrustDomain((peer_network("10.1.2.0/24"),))
    assert asserted_number(invite) == "13900139000"  # the PAI over From
    assert own_number(invite, ("10.1.2.9", 5060), trust) == "13900139000"
    assert own_number(invite, ("10.1.3.9", 5060), trust) is None  # Via and Contact say 10.1.2.9
    assert own_number(invite, None, trust) is None
    # called back at its source without a gateway: believed as sent only with no trust domain
    assert vouched_number(invite, ("10.1.3.9", 5060), TrustDomain(), strict=False) == ("13900139000", False)
    assert vouched_number(invite, ("10.1.3.9", 5060), trust, strict=False) == (None, True)
    assert vouched_number(invite, ("10.1.3.9", 5060), TrustDomain(), strict=True) == (None, True)
    assert vouched_number(invite, ("10.1.2.9", 5060), trust, strict=True) == ("13900139000", False)


def test_config_check_prints_the_trust_domain_and_refuses_a_bad_entry(tmp_path):
    shipped = default_config_path().read_text(encoding="utf-8").rstrip("\n") + "\n"
    good = write(tmp_path, shipped + 'callbacks: {gateway: "192.0.2.7:5060"}\n'
                                     'caller_identity: {trusted_peers: ["10.1.2.0/24"]}\n')
    done = cli("config", "check", str(good))
    assert done.returncode == 0, done.stderr
    assert ("caller IDs believed from: 192.0.2.7, 10.1.2.0/24; callbacks through 192.0.2.7:5060; "
            "FastAGI served to: 127.0.0.1, ::1") in done.stdout
    bad = write(tmp_path, shipped + 'caller_identity: {trusted_peers: ["sbc.carrier.example"]}\n')
    done = cli("config", "check", str(bad))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    line = shipped.count("\n") + 1
    assert done.stderr.startswith(f"config invalid: {bad}:{line}: caller_identity.trusted_peers[0]: expected")


def test_the_config_checks_its_peers_without_the_telephony_layer(tmp_path):
    path = write(tmp_path, GOOD + 'caller_identity: {trusted_peers: ["10.1.2.0/24"]}\n'
                                  'asterisk: {hosts: ["192.0.2.9"]}\n')
    script = ("import sys; from callcenter.config import load_config; "
              f"config = load_config({str(path)!r}); "
              "print(config.caller_identity.trusted_peers, config.asterisk.hosts, "
              "sorted(name for name in sys.modules if name.startswith('callcenter.telephony')))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["['10.1.2.0/24']", "['192.0.2.9']", "[]"]
