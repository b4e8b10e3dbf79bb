"""Validated loads kept between runs, in the parse cache's folder (``ivr_flows.yaml_cache``).

Loading a scenario (its center, flows, prompts) parses and validates the same files at every
run, and building the validators of our pydantic models is a good part of a small simulation's
start. A load is kept (pickled) with what it depended on: the digest of every file it read,
the names in every folder it listed (``ivr_flows.inputs``), and the size and time of the
source file of every module of ours loaded then and of every other package's top module and
folder (the code that read and checked the files). A later run in the same folder with the
same arguments uses the kept value only while all of that is as it was; a change to any file
read, a file added to a folder listed or a change to the code loads and validates again (and
keeps the new load). As a pickle runs code when loaded, an entry is read only under the parse cache's
checks: it and its folders belong to this user and no one else may write to them; a load that
fails is never kept.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ivr_flows import inputs, yaml_cache

FORMAT = 1
"""Bumped whenever what an entry holds changes shape."""
PER_FOLDER = 2
"""Entries kept in each of the 256 subfolders, last used first (each is 100-150 kB)."""
T = TypeVar("T")
_OURS = str(Path(__file__).resolve().parent.parent) + os.sep
_MISSING: Any = object()


def kept_load(kind: str, name: str, load: Callable[[], T]) -> T:
    """``load()``, or the value an earlier run's ``load()`` gave, when ``kind`` and ``name``
    (what ``load`` loads), the current folder, the interpreter, the checkout of this code (two
    copies of it keep apart), every file ``load`` read and the code are as they were then."""
    folder = yaml_cache.cache_dir()
    if folder is None:
        return load()
    key = hashlib.sha256(f"{FORMAT}|{kind}|{name}|{os.getcwd()}|{sys.executable}|{sys.version}|{_OURS}"
                         .encode("utf-8", "surrogatepass")).hexdigest()
    entry = folder / key[:2] / f"{key}.pickle"
    value = _kept(folder, entry, key)
    if value is not _MISSING:
        return value
    with inputs.recording() as read:
        value = load()
    _keep(entry, key, read, value)
    return value


def _kept(folder: Path, entry: Path, key: str) -> Any:
    try:
        data = yaml_cache.read_private(folder, entry)
        if data is None:
            return _MISSING
        kept_key, code, files, folders, blob = pickle.loads(data)
        if (kept_key != key or not _unchanged(code)
                or not inputs.Inputs(files, folders).unchanged()):
            return _MISSING
        value = pickle.loads(blob)
    except Exception:  # noqa: BLE001 - not kept, unreadable, or of code no longer there: load
        return _MISSING
    yaml_cache.used_now(entry)
    return value


def _keep(entry: Path, key: str, read: inputs.Inputs, value: Any) -> None:
    try:
        blob = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):  # holds a lock, a lambda ...
        return
    data = pickle.dumps((key, _code(), read.files, read.folders, blob), pickle.HIGHEST_PROTOCOL)
    yaml_cache.write_private(entry, data, PER_FOLDER)


def _code() -> dict[str, tuple[int, int]]:
    """The source files of the modules of ours loaded and, for every other package (not the
    standard library's), its top module and its folder, with their size and time. Ours are
    those whose top package lies in this checkout, however it was reached (a symlinked path
    too). Another package's folder changes time whenever an install replaces its files (an
    extension module beside it too), which its top module alone may not show."""
    modules = list(sys.modules.items())
    ours, found = set(), {}
    for name, module in modules:
        path = getattr(module, "__file__", None)
        if not path or "." in name or name in sys.stdlib_module_names:
            continue
        if os.path.realpath(path).startswith(_OURS):
            ours.add(name)
            continue
        _note(found, path)
        if os.path.basename(path) == "__init__.py":
            _note(found, os.path.dirname(path))
    for name, module in modules:
        path = getattr(module, "__file__", None)
        if path and name.partition(".")[0] in ours:
            _note(found, path)
    return found


def _note(found: dict[str, tuple[int, int]], path: str) -> None:
    if (stamped := yaml_cache.stamp(path)) is not None:
        found[path] = stamped


def _unchanged(code: dict[str, tuple[int, int]]) -> bool:
    return all(yaml_cache.stamp(path) == stamped for path, stamped in code.items())
