"""Housing provident fund balance query (line 12329) over a local CSV of fake accounts."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from ivr_flows import inputs
from ivr_flows.digit_checks import is_resident_id, normalise_resident_id, resident_id_check_digit
from ivr_flows.plugins import QueryResult

SAMPLE_CSV = Path(__file__).parent / "data" / "housing_fund_sample.csv"


class HousingFundBalance:
    """Plug-in: ``{"id_number": ...}`` -> ``found`` with ``balance`` (yuan), or ``not_found``."""

    def __init__(self, path: Path | str = SAMPLE_CSV) -> None:
        rows = csv.DictReader(io.StringIO(inputs.read_bytes(path).decode("utf-8"), newline=""))
        self._balances = {row["id_number"]: row["balance"] for row in rows}

    def __call__(self, arguments: Mapping[str, str]) -> QueryResult:
        id_number = normalise_resident_id(arguments.get("id_number", "")).upper()
        if not is_resident_id(id_number):
            return QueryResult("not_found")
        balance = self._balances.get(id_number)
        if balance is None:
            return QueryResult("not_found")
        return QueryResult("found", {"balance": balance})


def fake_resident_ids(count: int, seed: int = 12329) -> list[str]:
    """Structurally valid, made-up resident ID numbers (GB 11643 check character)."""
    rng = random.Random(seed)
    regions = ("110105", "310104", "440106", "510107", "330106", "420111")
    out = []
    while len(out) < count:
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 45))
        first17 = f"{rng.choice(regions)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        number = first17 + resident_id_check_digit(first17)
        if number not in out:
            out.append(number)
    return out


def write_sample(path: Path | str = SAMPLE_CSV, count: int = 40, seed: int = 12329) -> None:
    """Regenerate the sample data set (fake IDs, balances in yuan with two decimals)."""
    rng = random.Random(seed + 1)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id_number", "name", "balance"])
        for i, number in enumerate(fake_resident_ids(count, seed)):
            balance = rng.randrange(0, 30_000_000) / 100
            writer.writerow([number, f"sample-{i + 1:03d}", f"{balance:.2f}"])
