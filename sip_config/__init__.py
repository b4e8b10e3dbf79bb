"""Renderers for the Asterisk configuration of a hotline (pjsip, extensions, manager,
musiconhold, queues), the prompt export to Asterisk's sound folders, and a structural check."""

from .check import check_all, parse_conf
from .prompts_export import PromptExportError, export_hold_music, export_prompts, export_seat_tones
from .render import AsteriskOptions, render_all

__all__ = [
    "AsteriskOptions",
    "PromptExportError",
    "check_all",
    "export_hold_music",
    "export_prompts",
    "export_seat_tones",
    "parse_conf",
    "render_all",
]
