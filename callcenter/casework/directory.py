"""What cases are filed under and sent to: the request taxonomy and the handling departments.

The taxonomy is the core's (``cases/data/taxonomy.yaml`` unless one was imported); the
departments come from ``callcenter/data/case_departments.csv`` unless a list was imported.
Imports are kept in the record database (``case_settings``), so that ``serve`` and the CLI
agree. A departments file is CSV with a ``code,name`` header; errors name file, line, field.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from callcenter.casework.store import CaseStore
from callcenter.casework.taxonomy_file import load_taxonomy, loads_taxonomy
from callcenter.config.yaml_source import SourceError
from cases.taxonomy import Taxonomy

DEFAULT_DEPARTMENTS = Path(__file__).resolve().parents[1] / "data" / "case_departments.csv"
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class DirectoryError(ValueError):
    """A taxonomy or departments file is invalid: ``file:line: field: message``."""


@dataclass(frozen=True)
class Directory:
    taxonomy: Taxonomy
    departments: dict[str, str]  # code -> name


def parse_departments(text: str, filename: str) -> dict[str, str]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or [h.strip() for h in header[:2]] != ["code", "name"]:
        raise DirectoryError(f"{filename}:1: header: expected 'code,name'")
    out: dict[str, str] = {}
    for row in rows:
        line = rows.line_num
        if not row or not "".join(row).strip():
            continue
        if len(row) < 2:
            raise DirectoryError(f"{filename}:{line}: name: missing")
        code, name = row[0].strip(), row[1].strip()
        if not _CODE.match(code):
            raise DirectoryError(f"{filename}:{line}: code: {code!r} is not lower-case letters, "
                                 "digits and dashes")
        if code in out:
            raise DirectoryError(f"{filename}:{line}: code: duplicate {code!r}")
        if not name:
            raise DirectoryError(f"{filename}:{line}: name: empty")
        out[code] = name
    if not out:
        raise DirectoryError(f"{filename}:1: no departments")
    return out


def read_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DirectoryError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DirectoryError(f"{path}:1: not UTF-8 text") from None


def import_departments(store: CaseStore, path: Path) -> dict[str, str]:
    departments = parse_departments(read_file(path), str(path))
    store.put_setting("departments", departments)
    return departments


def import_taxonomy(store: CaseStore, path: Path) -> Taxonomy:
    text = read_file(path)
    try:
        taxonomy = loads_taxonomy(text, str(path))
    except SourceError as exc:
        raise DirectoryError(str(exc.issues[0])) from None
    store.put_setting("taxonomy", {"file": str(path), "yaml": text})
    return taxonomy


def known_departments(store: CaseStore) -> set[str]:
    return set(load_directory(store).departments)


def load_directory(store: CaseStore) -> Directory:
    stored = store.setting("taxonomy")
    taxonomy = loads_taxonomy(stored["yaml"], stored["file"]) if stored else load_taxonomy()
    departments = store.setting("departments")
    if departments is None:
        departments = parse_departments(read_file(DEFAULT_DEPARTMENTS), str(DEFAULT_DEPARTMENTS))
    return Directory(taxonomy, departments)
