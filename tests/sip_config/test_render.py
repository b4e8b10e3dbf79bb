"""Rendered Asterisk configs: structural check (Asterisk itself is not available to load them)."""

from __future__ import annotations

import pytest

from callcenter.config import load_config
from callcenter.telephony.rtp_timeout import RTP_TIMEOUT
from sip_config import AsteriskOptions, check_all, parse_conf, render_all
from sip_config.check import ConfError, dialplan

CONFIG = load_config()
PASSWORDS = {agent.id: f"seat-{agent.id}-Xq7;p" for agent in CONFIG.agents}
AMI = "ami-test-Zr81"


def rendered(**options: object) -> dict[str, str]:
    return render_all(CONFIG, passwords=PASSWORDS, ami_secret=AMI, options=AsteriskOptions(**options))


def test_rendered_configs_pass_the_structural_check():
    assert check_all(rendered(), CONFIG) == []


def test_every_line_reaches_the_engine_then_the_fallback():
    plan = dialplan(parse_conf(rendered(agi_port=4999)["extensions.conf"]))
    for line in CONFIG.lines:
        steps = plan["callcenter-lines"][line.number]
        assert [s.priority for s in steps] == list(range(1, len(steps) + 1))
        apps = [s.app for s in steps]
        assert apps.index("AGI") < apps.index("GotoIf")
        assert steps[apps.index("AGI")].args == f"agi://127.0.0.1:4999/{line.number}"
        # A caller the engine marked served ends here; anything else goes to the fallback.
        served = steps[apps.index("AGI") + 1]
        assert served.app == "GotoIf" and served.args == '$["${SHARED(CALLCENTER_AGENT)}" != ""]?served'
        assert (steps[-2].app, steps[-1].app) == ("Goto", "Hangup")
    # the seats' feature codes, the embedded engine's table: *15 and the not-ready reasons too
    assert sorted(plan["callcenter-seats"]) == ["*11", "*12", "*13", "*14", *(f"*14{n}" for n in range(1, 8)),
                                                "*15"]
    assert plan["callcenter-seats"]["*147"][0].args == "agi://127.0.0.1:4999/feature/147"
    assert any(s.app == "Queue" and s.args.startswith("hotline-fallback,")
               for s in plan["callcenter-fallback"]["s"])


def test_secrets_are_the_given_ones_and_ami_is_loopback_only():
    files = rendered()
    pjsip = parse_conf(files["pjsip.conf"])
    auths = pjsip.of_type("auth")
    assert len(auths) == len(CONFIG.agents)
    assert {pjsip.get(a, "username"): pjsip.get(a, "password") for a in auths} == PASSWORDS
    manager = parse_conf(files["manager.conf"])
    (user,) = manager.named("callcenter")
    assert manager.get(user, "secret") == AMI
    assert manager.items(user)[1:3] == [("deny", "0.0.0.0/0.0.0.0"),
                                        ("permit", "127.0.0.1/255.255.255.255")]
    text = "\n".join(files.values()).lower()
    for default in ("secret=password", "secret=secret", "password=1234", "changeme", "password=\n"):
        assert default not in text
    with pytest.raises(ValueError, match="no SIP password for agent 1001"):
        render_all(CONFIG, passwords={}, ami_secret=AMI)
    with pytest.raises(ValueError, match="no AMI secret"):
        render_all(CONFIG, passwords=PASSWORDS, ami_secret="")
    with pytest.raises(ValueError, match="line breaks"):
        render_all(CONFIG, passwords={**PASSWORDS, "1001": "a\n[evil]"}, ami_secret=AMI)


@pytest.mark.parametrize(("file", "old", "new", "problem"), [
    ("extensions.conf", "AGI(agi://127.0.0.1:4573/12315)", "NoOp(x)", "line 12315 never reaches"),
    ("extensions.conf", 'GotoIf($["${CALLCENTER_RESULT}" = "error"]?callcenter-fallback,s,1)',
     "NoOp(x)", "no fallback after its AGI"),
    ("extensions.conf", "Queue(hotline-fallback", "Queue(other", "does not reach Queue"),
    ("extensions.conf", '"${SHARED(CALLCENTER_AGENT)}" != ""', '"${SHARED(OTHER)}" != ""',
     "line 12345 queues a served caller again"),
    ("extensions.conf", "exten => *14,1,AGI", "exten => *14,1,NoOp", "feature code *14"),
    ("extensions.conf", "/survey/${EXTEN})", "/12345)", "never reaches the survey's AGI"),
    ("extensions.conf", "/visit/${CALLCENTER_VISIT})", "/12345)", "survey call never reaches"),
    ("pjsip.conf", "auth=1002-auth\n", "", "endpoint 1002: neither auth"),
    ("pjsip.conf", "aors=1003\n", "aors=nope\n", "endpoint 1003: aors"),
    ("manager.conf", "permit=127.0.0.1/255.255.255.255", "permit=0.0.0.0/0.0.0.0", "ACL must be"),
    ("manager.conf", "deny=0.0.0.0/0.0.0.0\n", "", "ACL must be"),
    ("manager.conf", "bindaddr=127.0.0.1", "bindaddr=0.0.0.0", "bind to 127.0.0.1"),
    ("queues.conf", "member => PJSIP/1005,", "member => PJSIP/9999,", "lacks agents ['1005']"),
    ("pjsip.conf", "[1001](seat-endpoint)", "[1001](no-such-template)", "unknown template"),
    ("extensions.conf", " same => n,Hangup()", "Hangup()", "not a section"),
    ("pjsip.conf", "contact=sip:127.0.0.1:5080", "contact=sip:127.0.0.1:5060", "a call loop"),
    ("pjsip.conf", "rtp_timeout=30\n", "", "endpoint 1001: no rtp_timeout:"),
    ("manager.conf", "write=call,originate,system", "write=system,call,reporting", "lacks 'originate'"),
    ("manager.conf", "write=call,originate,system", "write=call,originate,system,command",
     "grants ['command']"),
    ("pjsip.conf", "rtp_timeout_hold=600\n", "rtp_timeout_hold=0\n", "endpoint 1001: no rtp_timeout_hold"),
    ("pjsip.conf", "endpoint_identifier_order=username,ip,anonymous", "endpoint_identifier_order=ip,username",
     "by ip before username"),
    ("pjsip.conf", "endpoint_identifier_order=username,ip,anonymous\n", "", "by ip before username"),
    ("pjsip.conf", "trust_id_inbound=no\n", "trust_id_inbound=yes\n", "endpoint 1001: trust_id_inbound on"),
    # the trunk has no auth: matched by a From user ("trunk"), any host could set the caller ID
    ("pjsip.conf", "identify_by=ip\n", "", "endpoint trunk: trust_id_inbound on"),
    ("pjsip.conf", "identify_by=ip\n", "identify_by=username,ip\n", "endpoint trunk: trust_id_inbound on"),
    ("pjsip.conf", "identify_by=ip\n", "identify_by=ip,header\n", "endpoint trunk: trust_id_inbound on"),
    ("pjsip.conf", "endpoint=trunk\n", "endpoint=trunk\nmatch_header=X-Trunk: yes\n",
     "endpoint trunk: trust_id_inbound on"),
    ("pjsip.conf", "[trunk-identify]\ntype=identify\nendpoint=trunk\n", "",
     "endpoint trunk: trust_id_inbound on"),
    # the desk's transfer and three-way call
    ("confbridge.conf", "announce_only_user=no", "announce_only_user=yes", "plays Asterisk core sounds"),
    ("extensions.conf", "1,Dial(PJSIP/053100100001@", "1,Dial(PJSIP/${EXTEN}@",
     "transfer to 053100100001 dials something else"),
    ("extensions.conf", "exten => 053100100004,", "exten => 13800000000,", "exactly the department numbers"),
    ("extensions.conf", "[callcenter-transfer]\n", "[callcenter-transfer]\nexten => 13800000000,1,Hangup()\n",
     "exactly the department numbers"),
])
def test_the_checker_finds_broken_configs(file, old, new, problem):
    files = rendered()
    assert old in files[file]
    files[file] = files[file].replace(old, new, 1)
    problems = check_all(files, CONFIG)
    assert any(problem in p for p in problems), problems


def test_parser_reads_templates_escapes_and_dialplan_arrows():
    conf = parse_conf("[base](!)\ntype=endpoint\nallow=ulaw ; codec\n[a](base)\n"
                      "password=x\\;y\nexten => 1,1,NoOp(a;b)\n")
    (section,) = conf.named("a")
    assert conf.get(section, "type") == "endpoint" and conf.get(section, "password") == "x;y"
    assert conf.get(section, "allow") == "ulaw"
    with pytest.raises(ConfError):
        parse_conf("key=value before a section\n")
    with pytest.raises(ConfError, match="first priority"):
        dialplan(parse_conf("[c]\nexten => 1,2,NoOp()\n"))


def test_seats_are_identified_by_user_name_before_the_trunk_by_address():
    """Asterisk's default order matched a seat's REGISTER from the trunk's host to the trunk
    ("AOR '' not found for endpoint 'trunk'", tests/fixtures/asterisk/live)."""
    text = rendered()["pjsip.conf"]
    pjsip = parse_conf(text)
    (glob,) = pjsip.of_type("global")
    assert glob.name == "global"
    order = pjsip.get(glob, "endpoint_identifier_order").split(",")
    assert order.index("username") < order.index("ip")
    assert pjsip.get(pjsip.of_type("identify")[0], "match") == "127.0.0.1"
    assert "restart" in text[:text.index("[global]")]


def test_only_the_trunk_is_trusted_with_the_callers_identity():
    """RFC 3325: chan_pjsip takes the caller ID from P-Asserted-Identity only where
    ``trust_id_inbound=yes``: on the trunk (identified by the carrier's address), never a seat."""
    pjsip = parse_conf(rendered()["pjsip.conf"])
    trusted = {e.name: pjsip.get(e, "trust_id_inbound") for e in pjsip.of_type("endpoint")}
    assert trusted.pop("trunk") == "yes"
    (trunk,) = (e for e in pjsip.of_type("endpoint") if e.name == "trunk")
    assert pjsip.get(trunk, "identify_by") == "ip" and pjsip.get(trunk, "auth") is None
    assert set(trusted) == {a.id for a in CONFIG.agents} and set(trusted.values()) == {"no"}
    assert [pjsip.get(i, "endpoint") for i in pjsip.of_type("identify")] == ["trunk"]


@pytest.mark.parametrize(("setting", "seconds"), [(RTP_TIMEOUT, 30), (12.5, 13), (0.5, 1)])
def test_every_endpoint_hangs_up_a_party_gone_without_a_bye(setting, seconds):
    """Killed callers stayed bridged to an agent for minutes on a real Asterisk: every endpoint
    carries the embedded engine's RTP timeout (and a longer one on hold, and session timers)."""
    pjsip = parse_conf(rendered(rtp_timeout=setting)["pjsip.conf"])
    endpoints = pjsip.of_type("endpoint")
    assert {e.name for e in endpoints} == {a.id for a in CONFIG.agents} | {"trunk"}
    for endpoint in endpoints:
        assert pjsip.get(endpoint, "rtp_timeout") == str(seconds)
        hold = int(pjsip.get(endpoint, "rtp_timeout_hold"))
        assert hold > seconds
        assert pjsip.get(endpoint, "timers") == "yes"
        expires, min_se = (int(pjsip.get(endpoint, k)) for k in ("timers_sess_expires", "timers_min_se"))
        assert expires >= min_se >= 90


def test_the_desks_transfer_dials_department_numbers_only_and_its_conference_is_quiet():
    """The targets of the desk's AMI Redirect and Originate (no ConfBridge recorded: the
    profile options are as Asterisk documents ``confbridge.conf``)."""
    files = rendered()
    plan = dialplan(parse_conf(files["extensions.conf"]))
    transfer = plan["callcenter-transfer"]
    assert sorted(transfer) == sorted(d.number for d in CONFIG.departments)
    for number, steps in transfer.items():
        assert [(s.app, s.args) for s in steps] == [("Dial", f"PJSIP/{number}@trunk,60"), ("Hangup", "")]
    (conference,) = plan["callcenter-conference"].values()
    assert [(s.app, s.args) for s in conference] == [
        ("ConfBridge", "${EXTEN},callcenter_bridge,callcenter_user"), ("Hangup", "")]
    # the seats cannot reach either context: only the desk's AMI actions do
    assert "include" not in files["extensions.conf"]
    confbridge = parse_conf(files["confbridge.conf"])
    (bridge,), (user,) = confbridge.named("callcenter_bridge"), confbridge.named("callcenter_user")
    assert confbridge.get(bridge, "type") == "bridge" and confbridge.get(bridge, "max_members") == "3"
    assert confbridge.get(bridge, "sound_kicked") == "callcenter/seat_ok"  # an exported sound
    assert confbridge.get(user, "type") == "user"
    assert [confbridge.get(user, k) for k in ("quiet", "announce_only_user", "announce_user_count")] == [
        "yes", "no", "no"]

