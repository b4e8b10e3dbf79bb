"""``callcenter serve``: run the engine on the embedded defaults."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import click

from callcenter.config import ConfigError, load_config_with_warnings
from callcenter.records import DB_ENV, DEFAULT_URL, StoreError, default_url
from callcenter.runtime.app import build_engine, run
from callcenter.runtime.listeners import (
    ListenerOptions,
    StartupError,
    check_advertise,
    parse_address,
    start_listeners,
)
from callcenter.sip.lockout import LockoutPolicy
from callcenter.telephony.admission import DEFAULT_MAX_CALLS, AdmissionLimits, raise_fd_limit
from callcenter.telephony.rtp_timeout import RTP_TIMEOUT


def _refuse(message: str) -> None:
    click.echo(f"refusing to start: {message}", err=True)
    sys.exit(2)


@click.command("serve")
@click.option("--config", "config_path", type=click.Path(), default=None,
              help="Hotline config file or folder (default: the shipped 12345 config).")
@click.option("--db", "db_url", default=None,
              help=f"Call records: sqlite:///PATH or postgresql://... (default: ${DB_ENV} or "
                   f"{DEFAULT_URL}).")
@click.option("--sip", default="127.0.0.1:5060", show_default=True,
              help="Embedded SIP address (UDP and TCP on the same port), or 'off'.")
@click.option("--advertise", default=None, metavar="HOST",
              help="The address callers and seats reach the engine at, put in SDP and Contact; "
                   "needed when --sip binds every address (0.0.0.0 or ::).")
@click.option("--prompts", "prompts_dir", type=click.Path(path_type=Path),
              default=Path("var/prompts"), show_default=True,
              help="Where the IVR prompts are built and cached.")
@click.option("--secrets", "secrets_file", type=click.Path(path_type=Path), default=None,
              help="Agent SIP passwords, 'agent_id = password' lines (mode 0600), and 'smpp = ...' "
                   "for the SMSC. Also CALLCENTER_SIP_PASSWORD_<agent> variables. There are no "
                   "default passwords.")
@click.option("--api", "api_address", default="127.0.0.1:8080", show_default=True,
              help="HTTP API and wallboard address, or 'off'.")
@click.option("--api-token-file", type=click.Path(path_type=Path), default=None,
              help="Where the API token is read from or generated (default: "
                   "$XDG_STATE_HOME/callcenter/api-token). $CALLCENTER_API_TOKEN wins.")
@click.option("--agi", "agi_address", default="127.0.0.1:4573", show_default=True,
              help="FastAGI address for an Asterisk in front of the engine, or 'off'.")
@click.option("--ami", "ami_address", default=None,
              help="Follow seats over Asterisk's AMI at host:port (user 'callcenter'; secret from "
                   "$CALLCENTER_AMI_SECRET or the secrets file's 'ami = ...' line).")
@click.option("--rtp-timeout", type=click.FloatRange(min=0.5), default=RTP_TIMEOUT, show_default=True,
              help="Seconds without RTP after which a caller is hung up, or a talking seat is "
                   "taken as gone (its caller goes back to the queue).")
@click.option("--qualify-interval", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Ping registered seats with OPTIONS this often; a seat that stops answering "
                   "is logged out (0: never).")
@click.option("--rtp-window", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Symmetric RTP: seconds the engine streams to a media address on another host "
                   "than the peer's signalling before the peer's RTP arrives (0: only to the "
                   "signalling host; RTP is then taken from the first source on that host).")
@click.option("--rtp-symmetric/--no-rtp-symmetric", default=True, show_default=True,
              help="Latch RTP onto the peer's real source. Off only for lab measurements: the "
                   "engine then streams wherever SDP says and takes RTP from anyone.")
@click.option("--max-calls", type=click.IntRange(min=0), default=DEFAULT_MAX_CALLS,
              show_default=True,
              help="Live calls at once; further INVITEs get 503 with Retry-After (0: no limit).")
@click.option("--invite-rate", type=click.FloatRange(min=0), default=50.0, show_default=True,
              help="New INVITEs per second from one source address; beyond: 503 (0: no limit).")
@click.option("--register-rate", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="REGISTERs per second from one source address; beyond: 503 (0: no limit).")
@click.option("--auth-block-seconds", type=click.FloatRange(min=1), default=600.0,
              show_default=True,
              help="A source failing digest authentication 10 times in 5 minutes (an account: "
                   "30) is refused this long; 3 failures slow it to one attempt per 2 s.")
@click.option("--sip-tls", "sip_tls", default="off", show_default=True, metavar="PORT",
              help="Also serve SIP over TLS on this port of the SIP host, or 'off'.")
@click.option("--tls-cert", type=click.Path(path_type=Path), default=None,
              help="PEM certificate for SIP over TLS (with --tls-key). Without: a self-signed "
                   "one is made in var/tls for a loopback SIP host.")
@click.option("--tls-key", type=click.Path(path_type=Path), default=None,
              help="PEM private key for SIP over TLS.")
@click.option("--status-interval", type=float, default=60.0, show_default=True,
              help="Seconds between status log lines.")
@click.option("--run-for", type=float, default=None, help="Stop after this many seconds.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
def serve(config_path: str | None, db_url: str | None, sip: str, advertise: str | None,
          prompts_dir: Path,
          secrets_file: Path | None, api_address: str, api_token_file: Path | None,
          agi_address: str, ami_address: str | None, rtp_timeout: float,
          qualify_interval: float, rtp_window: float, rtp_symmetric: bool, max_calls: int,
          invite_rate: float,
          register_rate: float, auth_block_seconds: float, sip_tls: str,
          tls_cert: Path | None, tls_key: Path | None, status_interval: float,
          run_for: float | None, log_level: str) -> None:
    """Run the call-center engine: SIP callers and seats (or Asterisk over FastAGI/AMI), IVR,
    ACD, records, API, wallboard.

    Refuses to start (exit 2) on a broken config, an unusable secrets file or database, or a
    listener that cannot open.
    """
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    raise_fd_limit()  # room for calls and connections; TCP stops accepting well before it
    try:
        config, warnings = load_config_with_warnings(config_path)
    except ConfigError as exc:
        click.echo(f"refusing to start: config invalid ({len(exc.issues)} problem(s))", err=True)
        for issue in exc.issues:
            click.echo(f"  {issue}", err=True)
        sys.exit(2)
    for warning in warnings:
        logging.getLogger("callcenter").warning("config: %s", warning)

    from callcenter.telephony.passwords import PasswordFileError, seat_passwords

    try:
        passwords = seat_passwords(secrets_file)
    except PasswordFileError as exc:
        _refuse(f"secrets: {exc}")
    sms_password = None
    if config.sms is not None and config.sms.enabled:
        from callcenter.sms.sender import MissingSmppSecret, smpp_password

        try:
            sms_password = smpp_password(config.sms, secrets_file)
        except (MissingSmppSecret, PasswordFileError) as exc:
            _refuse(f"sms: {exc}")
    ami = None
    if ami_address is not None:
        from callcenter.asterisk_engine import AMISettings

        try:
            host, port = parse_address(ami_address, 5038)
            ami = AMISettings.from_env(secrets_file, host=host, port=port)
        except ValueError as exc:
            _refuse(f"AMI: {exc}")
    outbound_credentials = None
    if config.outbound is not None:
        from callcenter.runtime.campaigns import gateway_credentials

        try:
            outbound_credentials = gateway_credentials(config.outbound, secrets_file)
        except (ValueError, PasswordFileError) as exc:
            _refuse(f"secrets: {exc}")
    try:
        options = ListenerOptions(
            sip=None if sip == "off" else parse_address(sip, 5060),
            advertise=advertise,
            prompts_dir=prompts_dir,
            passwords=passwords,
            rtp_timeout=rtp_timeout,
            qualify_interval=qualify_interval or None,
            rtp_window=rtp_window or None,
            rtp_symmetric=rtp_symmetric,
            admission=AdmissionLimits(max_calls=max_calls or None, invite_rate=invite_rate or None,
                                      register_rate=register_rate or None),
            lockout=LockoutPolicy(block_seconds=auth_block_seconds),
            tls_port=None if sip_tls == "off" else parse_address(f":{sip_tls}", 5061)[1],
            tls_cert=tls_cert, tls_key=tls_key,
            api=None if api_address == "off" else parse_address(api_address, 8080),
            api_token_file=api_token_file,
            agi=None if agi_address == "off" else parse_address(agi_address, 4573),
            ami=ami,
            outbound_credentials=outbound_credentials,
        )
        check_advertise(options.sip, advertise)
    except ValueError as exc:
        _refuse(str(exc))

    db_url = db_url or default_url()
    if db_url.startswith("sqlite:///"):
        Path(db_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = build_engine(config, db_url=db_url, hold_records=True)
    except StoreError as exc:
        _refuse(f"records database: {exc}")
    engine.sms_password = sms_password

    async def start(engine_):
        return await start_listeners(engine_, options)

    try:
        asyncio.run(run(engine, status_interval=status_interval, run_for=run_for, start=start))
    except StartupError as exc:
        engine.close()
        _refuse(str(exc))
