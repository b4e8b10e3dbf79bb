"""Reports over the call records: the daily report by line, language, queue and agent."""

from callcenter.reports.daily import DailyReport, Targets, build_daily_report, day_bounds
from callcenter.reports.figures import Figures, compute_figures, service_level_wait

__all__ = [
    "DailyReport",
    "Figures",
    "Targets",
    "build_daily_report",
    "compute_figures",
    "day_bounds",
    "service_level_wait",
]
