"""``callcenter prompts``: synthesise the prompt catalogue into 8 kHz WAV files."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def prompts() -> None:
    """IVR prompts."""


@prompts.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: var/prompts).")
@click.option("--catalogue", "catalogue_path", type=click.Path(exists=True, path_type=Path),
              help="Prompt catalogue (default: the shipped one).")
@click.option("--language", "languages", multiple=True, help="Only these languages.")
@click.option("--workers", type=int, default=2, show_default=True, help="Parallel espeak-ng runs.")
def build(out: Path | None, catalogue_path: Path | None, languages: tuple[str, ...],
          workers: int) -> None:
    """Synthesise every prompt key in every language (cached by text and voice).

    A recording saved as <out>/<language>/<key>.recorded.wav replaces the synthesised prompt.
    """
    from ivr_flows.catalogue import CATALOGUE_PATH, load_catalogue
    from ivr_flows.prompts_build import DEFAULT_OUT, EspeakMissing, build_prompts

    catalogue = load_catalogue(catalogue_path or CATALOGUE_PATH)
    try:
        report = build_prompts(catalogue, out or DEFAULT_OUT, languages or None, workers=workers)
    except (EspeakMissing, ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report.summary())
