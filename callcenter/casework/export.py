"""A period's cases as CSV: one row per case, the columns an operator's spreadsheet needs."""

from __future__ import annotations

import csv
import datetime as dt
from typing import TextIO

from callcenter.casework.store import CaseStore

COLUMNS = ("case_id", "opened", "channel", "category", "urgency", "status", "caller", "district",
           "address", "call_id", "intake_by", "handling", "lead", "assisting", "returns", "rehandles",
           "supervised", "card", "closed", "close_reason", "text")


def _local(at: float | None, store: CaseStore) -> str:
    if at is None:
        return ""
    return dt.datetime.fromtimestamp(at, store.records.tz).strftime("%Y-%m-%d %H:%M:%S")


def write_csv(store: CaseStore, start: float, end: float, out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in store.all_in(start, end):
        state = row.state_dict()
        writer.writerow([
            row.case_id, _local(row.created_at, store), row.channel, row.category, row.urgency,
            row.status, row.caller or "", row.district or "", row.address or "", row.call_id or "",
            row.intake_by, state.get("handling") or "", state.get("lead") or "",
            " ".join(state.get("assisting") or ()), state.get("returns", 0), state.get("rehandles", 0),
            row.supervised, row.card or "", _local(row.closed_at, store), state.get("close_reason") or "",
            state.get("text", ""),
        ])
        count += 1
    return count
