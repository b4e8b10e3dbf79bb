"""Plain-text tables of the evaluation and the routine report (for the CLI and the bench)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from cases.evaluation import Evaluation
    from cases.report import RoutineReport


def text_table(rows: list[list[str]]) -> str:
    """Columns padded to their widest cell (CJK characters count double)."""
    def width(cell: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in cell)

    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _day(at: float, tz: str) -> str:
    return dt.datetime.fromtimestamp(at, ZoneInfo(tz)).date().isoformat()


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.1f}%"


def evaluation_text(evaluation: Evaluation, tz: str = "Asia/Shanghai") -> str:
    hotline = evaluation.hotline
    rates = hotline.rates()
    head = (f"evaluation {_day(evaluation.start, tz)} to {_day(evaluation.end - 1, tz)}: "
            f"{hotline.opened} requests, {hotline.direct} direct (直办率 {_pct(rates['直办率'])}), "
            f"{hotline.transferred} transferred, {hotline.closed} closed (办结率 {_pct(rates['办结率'])}), "
            f"{hotline.supervised} supervised\n\n")
    return head + text_table(evaluation.table())


def report_text(report: RoutineReport, tz: str = "Asia/Shanghai", top: int = 10) -> str:
    parts = [f"routine report {_day(report.start, tz)} to {_day(report.end - 1, tz)}: "
             f"{report.total} requests\n"]
    for dimension, counts in report.counts.items():
        rows = [[dimension, "requests", "share"]]
        for value, n in list(counts.items())[:top]:
            rows.append([value, str(n), _pct(n / report.total if report.total else None)])
        parts.append("\n" + text_table(rows))
    parts.append("\n" + evaluation_text(report.evaluation, tz))
    return "".join(parts)
