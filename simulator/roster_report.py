"""A solved roster for people: the table, the chart, and the agents section of a hotline config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulator.roster_check import Verification, clock, present
from simulator.roster_demand import Demand
from simulator.roster_plan import MINUTES_PER_DAY, LoadedPlan
from simulator.shift_milp import Solution


@dataclass(frozen=True, slots=True)
class Rostered:
    """The plan's outcome per group: the roster and the naive peak-level roster."""

    demand: Demand
    solutions: dict[str, Solution]
    naive: dict[str, Solution]


def _pct(value: float | None, ci: float | None = None) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}%" + (f"±{100 * ci:.1f}" if ci else "")


def _grid(heads: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    return "\n".join("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                               enumerate(zip(row, widths, strict=True))) for row in [heads, *rows])


def summary_table(out: Rostered, check: Verification | None) -> str:
    """Per group: agents needed (staff), people rostered, paid hours and cost vs the naive roster."""
    step_h = out.demand.interval_minutes / 60
    heads = ["group", "peak agents", "agent-hours", "people", "paid hours", "cost",
             "naive people", "naive cost", "saving", "simulated SL"]
    rows, totals = [], [0.0] * 7
    for name, sol in out.solutions.items():
        need = out.demand.groups[name].required
        naive = out.naive[name]
        paid = sum(c.paid_hours * n for c, n in sol.counts)
        values = [max(need, default=0), sum(need) * step_h, sol.people, paid, sol.cost,
                  naive.people, naive.cost]
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        sl = check.day[name] if check else None
        rows.append([name, *(f"{v:,.0f}" for v in values),
                     f"{1 - sol.cost / naive.cost:.0%}" if naive.cost else "-",
                     _pct(sl.service_level, sl.ci95) if sl else "-"])
    sl = check.day["all"] if check else None
    rows.append(["total", "-" if len(out.solutions) > 1 else f"{totals[0]:,.0f}",
                 *(f"{v:,.0f}" for v in totals[1:]),
                 f"{1 - totals[4] / totals[6]:.0%}" if totals[6] else "-",
                 _pct(sl.service_level, sl.ci95) if sl else "-"])
    return _grid(heads, rows)


def interval_table(out: Rostered, check: Verification | None) -> str:
    """Per interval: required and scheduled agents (all groups), simulated SL, the worst group."""
    heads = ["time", "required", "on phones", "at work", "simulated SL", "lowest group SL"]
    rows = []
    horizon = out.demand.intervals
    step = out.demand.interval_minutes
    at_work = [0] * horizon
    for sol in out.solutions.values():
        for col, n in sol.counts:
            for t in range(col.start // step, (col.start + col.length) // step):
                at_work[t % horizon] += n
    for t in range(horizon):
        req = sum(g.required[t] for g in out.demand.groups.values())
        sched = sum(s.scheduled[t] for s in out.solutions.values())
        day = f"d{t * step // MINUTES_PER_DAY + 1} " if out.demand.days > 1 else ""
        row = [day + clock(t * step), str(req), f"{sched:.1f}", str(at_work[t])]
        if check is not None:
            o = check.overall[t]
            worst = min(((g, v[t]) for g, v in check.groups.items()
                         if v[t].service_level is not None and v[t].offered >= 0.5),
                        key=lambda gv: gv[1].service_level or 0.0, default=None)
            row += [_pct(o.service_level, o.ci95),
                    f"{worst[0]} {_pct(worst[1].service_level, worst[1].ci95)}" if worst else "-"]
        else:
            row += ["-", "-"]
        rows.append(row)
    return _grid(heads, rows)


def agents_config(loaded: LoadedPlan, out: Rostered) -> dict:
    """The ``agents`` section of a hotline config: one agent per rostered person, with shifts."""
    agents = []
    for group in loaded.plan.groups:
        number = 0
        for col, n in present(out.solutions[group.name], 0.0):
            shift = {"start": clock(col.start), "end": clock(col.start + col.length)}
            if col.meal_start is not None:
                shift |= {"meal": clock(col.meal_start), "meal_minutes": col.meal_minutes}
            if loaded.plan.days > 1:
                shift["day"] = col.start // MINUTES_PER_DAY + 1
            for _ in range(n):
                number += 1
                agents.append({"id": f"{group.name}-{number:03d}",
                               "name": f"{group.name} {number}",
                               "skills": dict(group.skills), "shifts": [shift]})
    return {"agents": agents}


def plot_roster(out: Rostered, check: Verification | None, path: str | Path, title: str) -> None:
    """Per group: required vs scheduled agents per interval, and the simulated SL with intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(out.solutions)
    step_h = out.demand.interval_minutes / 60
    x = [t * step_h for t in range(out.demand.intervals + 1)]

    def closed(values: list[float]) -> list[float]:  # a last point so the last step shows
        return [*values, values[-1]] if values else values
    fig, axes = plt.subplots(len(names), 1, figsize=(11, 1.9 * len(names) + 1.2), sharex=True,
                             squeeze=False)
    target = out.demand.target
    for ax, name in zip(axes[:, 0], names, strict=True):
        need = out.demand.groups[name].required
        ax.step(x, closed(need), where="post", color="black", label="required agents (Erlang)")
        ax.fill_between(x, closed(out.solutions[name].scheduled), step="post", color="tab:blue",
                        alpha=0.35, label="rostered agents on the phones")
        ax.step(x, closed(out.naive[name].scheduled), where="post", color="tab:gray",
                linestyle=":", label="naive roster (peak level)")
        ax.set_ylabel(name, fontsize=9)
        ax.set_ylim(0, max(max(need, default=1), max(out.solutions[name].scheduled, default=1)) * 1.25)
        ax.grid(alpha=0.3)
        if check is not None:
            twin = ax.twinx()
            sl = check.groups[name]
            pts = [(x[t] + step_h / 2, v.service_level * 100, (v.ci95 or 0) * 100)
                   for t, v in enumerate(sl) if v.service_level is not None]
            if pts:
                xs, ys, es = zip(*pts, strict=True)
                twin.errorbar(xs, ys, yerr=es, fmt=".", color="tab:red", ms=3, lw=0.8,
                              label=f"simulated SL ({check.replications} runs, 95% CI)")
            twin.axhline(100 * target.fraction, color="tab:red", lw=0.6, linestyle="--")
            twin.set_ylim(0, 105)
            twin.set_ylabel("SL %", color="tab:red", fontsize=8)
            twin.tick_params(axis="y", labelsize=7, colors="tab:red")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if check is not None:
        more = fig.axes[-1].get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    fig.legend(handles, labels, loc="upper center", ncol=4, fontsize=8, bbox_to_anchor=(0.5, 0.985))
    axes[-1, 0].set_xlabel("hour")
    axes[-1, 0].set_xticks(range(0, int(x[-1] + step_h) + 1, 2 if out.demand.days == 1 else 12))
    fig.suptitle(f"{title}; target {target.fraction:.0%} within {target.threshold_seconds:g} s",
                 y=0.998, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, dpi=110)
    plt.close(fig)
