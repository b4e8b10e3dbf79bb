"""The daily report as plain text: one table per breakdown, targets marked met or missed."""

from __future__ import annotations

from collections.abc import Mapping

from callcenter.reports.daily import DailyReport
from callcenter.reports.figures import Figures

_HEADER = (
    f"{'':<30}{'offered':>8}{'answered':>9}{'conn.rate':>10}{'SL':>8}{'abandons':>9}"
    f"{'short':>6}{'ASA s':>7}{'AHT s':>7}  targets (SL, conn.)"
)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _sec(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _row(name: str, f: Figures, report: DailyReport) -> str:
    judged = report.targets.judge(f)
    return (
        f"{name[:29]:<30}{f.offered:>8}{f.answered:>9}{_pct(f.connection_rate):>10}"
        f"{_pct(f.service_level):>8}{f.abandoned:>9}{f.short_abandons:>6}{_sec(f.asa):>7}"
        f"{_sec(f.aht):>7}  {judged['service_level']}, {judged['connection_rate']}"
    )


_ENDED = (("to queue", "offered"), ("self-serv", "self_service"), ("IVR aband", "ivr_abandoned"),
          ("IVR xfer", "ivr_transferred"), ("lost", "lost"), ("open", "open"))


def _ended(report: DailyReport, names: Mapping[str, str]) -> list[str]:
    """Where the calls of each line ended: a queue, the IVR (three ways), lost, still open."""
    lines = ["", "Calls by line: where they ended",
             f"{'':<30}{'calls':>8}" + "".join(f"{title:>10}" for title, _ in _ENDED)]
    rows = [("all calls", report.overall)]
    rows += [(f"{key} {names[key]}" if key in names else key, f)
             for key, f in report.by_line.items()]
    for label, f in rows:
        lines.append(f"{label[:29]:<30}{f.arrived:>8}"
                     + "".join(f"{getattr(f, field):>10}" for _, field in _ENDED))
    return lines


def _section(title: str, groups: Mapping[str, Figures], report: DailyReport,
             names: Mapping[str, str]) -> list[str]:
    lines = ["", f"By {title}", _HEADER]
    for key, figures in groups.items():
        label = f"{key} {names[key]}" if key in names else key
        lines.append(_row(label, figures, report))
    return lines


def render_text(report: DailyReport, *, line_names: Mapping[str, str] | None = None,
                language_names: Mapping[str, str] | None = None) -> str:
    t = report.targets
    out = [
        f"{report.center or 'Call center'}: daily report for {report.day} ({report.timezone})",
        f"Definition: {report.definition}",
        f"Targets: service level >= {100 * t.service_level:g}% within "
        f"{report.policy.threshold_seconds:g} s; connection rate (answered / offered) >= "
        f"{100 * t.connection_rate:g}%",
        "",
        "Overall",
        _HEADER,
        _row("all calls", report.overall, report),
    ]
    if report.overall.overflowed:
        out.append(f"overflowed to a message: {report.overall.overflowed}")
    out += _ended(report, line_names or {})
    out += _section("line", report.by_line, report, line_names or {})
    out += _section("language", report.by_language, report, language_names or {})
    out += _section("queue", report.by_queue, report, {})
    if report.agents:
        states = sorted({s for a in report.agents for s in a.state_seconds})
        out += ["", "By agent (time in state, minutes)",
                f"{'agent':<10}{'answered':>9}{'talk min':>9}"
                + "".join(f"{s:>11}" for s in states)]
        for a in report.agents:
            out.append(f"{a.agent_id:<10}{a.calls_answered:>9}{a.talk_seconds / 60:>9.1f}"
                       + "".join(f"{a.state_seconds.get(s, 0.0) / 60:>11.1f}" for s in states))
    if report.transfers:
        total = sum(report.transfers.values())
        answered = report.overall.answered
        out += ["", f"Transferred to departments: {total} of {answered} answered "
                    f"({100 * total / max(answered, 1):.1f}%); handled directly {answered - total}",
                *(f"  {department:<28}{count:>6}"
                  for department, count in report.transfers.items())]
    if report.surveyed:
        out += ["", f"Satisfaction: {report.surveyed} surveyed, mean score "
                    f"{report.satisfaction_mean:.2f}"]
    return "\n".join(out) + "\n"
