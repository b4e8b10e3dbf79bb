"""``callcenter asterisk-config``: render the Asterisk configuration and export the prompts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from callcenter.config import ConfigError, load_config
from callcenter.telephony.rtp_timeout import RTP_TIMEOUT


def _write(path: Path, text: str, private: bool) -> None:
    """Write ``text``; private files are created readable by the owner only."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    if private:
        path.chmod(0o600)


@click.command("asterisk-config")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the .conf files, moh/ (hold music) and sounds/ (with --prompts).")
@click.option("--config", "config_path", type=click.Path(), default=None,
              help="Hotline config file or folder (default: the shipped 12345 config).")
@click.option("--secrets", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Private file of 'ami = ...' and '<agent id> = <SIP password>' lines.")
@click.option("--prompts", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Prompts built by 'callcenter prompts build', exported as sounds/<lang>/callcenter.")
@click.option("--agi-host", default="127.0.0.1", show_default=True, help="Where the engine serves FastAGI.")
@click.option("--agi-port", type=int, default=4573, show_default=True)
@click.option("--sip-bind", default="0.0.0.0:5060", show_default=True, help="Asterisk's SIP UDP address.")
@click.option("--trunk-host", default="127.0.0.1", show_default=True,
              help="Address of the callers' SIP trunk (carrier gateway).")
@click.option("--trunk-port", type=int, default=5080, show_default=True)
@click.option("--rtp-timeout", type=click.FloatRange(min=0.5), default=RTP_TIMEOUT, show_default=True,
              help="Seconds without RTP after which Asterisk hangs up a party (as 'serve --rtp-timeout').")
def asterisk_config(out: Path, config_path: str | None, secrets: Path | None, prompts: Path | None,
                    agi_host: str, agi_port: int, sip_bind: str, trunk_host: str,
                    trunk_port: int, rtp_timeout: float) -> None:
    """Render pjsip, extensions, manager, musiconhold and queues .conf files for Asterisk 20+,
    with the hold music (moh/) and the seats' tones (sounds/).

    Secrets come from CALLCENTER_AMI_SECRET and CALLCENTER_SIP_PASSWORD_<agent>, or --secrets;
    a missing one stops the command (exit 2) before anything is written.
    """
    from callcenter.asterisk_engine.secrets import MissingSecret, ami_secret, seat_passwords
    from callcenter.telephony.passwords import PasswordFileError
    from sip_config import (
        AsteriskOptions,
        PromptExportError,
        check_all,
        export_hold_music,
        export_prompts,
        export_seat_tones,
        render_all,
    )
    from sip_config.render import SECRET_FILES

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        click.echo(f"config invalid ({len(exc.issues)} problem(s))", err=True)
        for issue in exc.issues:
            click.echo(f"  {issue}", err=True)
        sys.exit(2)
    try:
        secret = ami_secret(secrets)
        passwords = seat_passwords((agent.id for agent in config.agents), secrets)
    except (MissingSecret, PasswordFileError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    options = AsteriskOptions(agi_host=agi_host, agi_port=agi_port, sip_bind=sip_bind,
                              trunk_host=trunk_host, trunk_port=trunk_port, rtp_timeout=rtp_timeout)
    try:
        files = render_all(config, passwords=passwords, ami_secret=secret, options=options)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    problems = check_all(files, config, options)
    if problems:
        for problem in problems:
            click.echo(f"rendered config problem: {problem}", err=True)
        sys.exit(1)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        _write(out / name, text, name in SECRET_FILES)
    music = export_hold_music(out, options.moh_directory)
    export_seat_tones(out)
    click.echo(f"wrote {', '.join(files)} to {out} ({len(config.agents)} seats, {len(config.lines)} lines),"
               f" the hold music {music.relative_to(out)} and the seats' tones")
    if prompts is not None:
        try:
            counts = export_prompts(prompts, out)
        except PromptExportError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        exported = ", ".join(f"{lang} {n}" for lang, n in counts.items()) or "none"
        click.echo(f"prompts exported to {out / 'sounds'}: {exported}")
