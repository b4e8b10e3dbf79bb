"""Parsed YAML kept between runs, keyed by the text itself.

Parsing a document (the size and depth checks, libyaml, then building Python values and the
line of each value) is most of the time a scenario, its center and its flows take to load. A
document's parse depends on nothing but its text and the parser, so it is kept in the user's
cache folder (``platformdirs``; ``CALLCENTER_CACHE_DIR`` names another, empty turns it off)
under a hash of the text, the parser's installed files, our own files that walk and check its
result and this format: a run whose documents
are all kept does not even import PyYAML. A document that fails to parse is never kept (its
error is raised, naming file and line, at every run), nor one whose values JSON would not give
back exactly as they were (dates, integer keys): those are parsed every time. A missing,
unreadable or corrupt entry is parsed again; the folder can be deleted at any time. It stays
small: each of its 256 subfolders keeps the ``PER_FOLDER`` entries used last. An entry is used
(and written) only while it and the folders holding it are the user's own and no one else may
write to them: otherwise anyone who could write there would choose the values a document loads
as, and every document is simply parsed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import stat
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from ivr_flows.yaml_limits import MAX_DEPTH, MAX_VALUES

FORMAT = 2
"""Bumped whenever what ``ivr_flows.yaml_source`` keeps changes shape."""
PER_FOLDER = 8
"""Entries kept in each subfolder (by the first two hex digits of the key), last used first."""
ENV = "CALLCENTER_CACHE_DIR"
T = TypeVar("T")


def _debug(message: str, *args: object) -> None:
    """Logged for whoever listens (``logging`` imported only then: a run without it starts
    faster)."""
    import logging

    logging.getLogger(__name__).debug(message, *args)


def cache_dir() -> Path | None:
    """Where parses are kept, or None (turned off)."""
    folder = os.environ.get(ENV)
    if folder is not None:
        return Path(folder) if folder else None
    import platformdirs

    return platformdirs.user_cache_path("callcenter12345") / "yaml"


def stamp(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """A file's (or folder's) size and time of last change, None if it is missing: what tells
    the code that made a kept value changed."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


@cache
def _parser() -> str:
    """PyYAML's installed files (name, size, time), found without importing it: another version
    or build of the parser (libyaml's extension there or not) is another key."""
    spec = importlib.util.find_spec("yaml")
    if spec is None or not spec.submodule_search_locations:
        return "no yaml"
    with os.scandir(next(iter(spec.submodule_search_locations))) as entries:
        files = sorted(f"{e.name}:{stamp(e.path)}" for e in entries if e.is_file())
    return ",".join(files)


_HERE = Path(__file__).resolve().parent
SOURCES = (_HERE / "yaml_source.py", _HERE / "yaml_limits.py", _HERE / "yaml_cache.py")
"""Our own code that turns a document into what is kept: a change to it is another key."""


@cache
def _sources() -> str:
    """The files of ``SOURCES`` (name, size, time), as ``_parser`` does for PyYAML's."""
    return ",".join(f"{path.name}:{stamp(path)}" for path in SOURCES)


def _key(kind: str, text: str) -> str:
    parser = f"{FORMAT}|{kind}|{_parser()}|{_sources()}|{MAX_DEPTH}|{MAX_VALUES}|"
    return hashlib.sha256((parser + text).encode("utf-8", "surrogatepass")).hexdigest()


def cached_parse(kind: str, text: str, parse: Callable[[str], Any],
                 decode: Callable[[Any], T]) -> T:
    """``decode(parse(text))``, where ``parse``'s value may have been kept from an earlier run
    for the same text. ``kind`` names what ``parse`` makes (another shape, another key); its
    value is kept only if JSON gives it back exactly (dicts with string keys, lists, strings,
    numbers, booleans, None)."""
    folder = cache_dir()
    if folder is None:
        return decode(parse(text))
    key = _key(kind, text)
    entry = folder / key[:2] / f"{key}.json"
    try:
        data = read_private(folder, entry)
        if data is None:
            _debug("parse cache %s not used: not private to this user", folder)
            return decode(parse(text))
        kept = json.loads(data.decode("utf-8"))
        if isinstance(kept, dict) and kept.get("key") == key:
            value = decode(kept["value"])
            used_now(entry)
            return value
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        pass  # not kept yet, or unreadable: parsed again below
    value = parse(text)
    _keep(entry, key, value)
    return decode(value)


def _private(path: Path) -> bool:
    """``path`` is this user's and no one else may write to it (it could not have been forged)."""
    return _own(os.lstat(path))


def _own(status: os.stat_result) -> bool:
    return status.st_uid == os.geteuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_private(folder: Path, entry: Path) -> bytes | None:
    """The bytes of ``entry`` (in a subfolder of the cache folder ``folder``), or None when it,
    its subfolder, the cache folder or (when it is the default) the folder the cache made for
    it is not private to this user. Each level is opened (no symlink followed below the cache
    folder) and judged by the status of what was opened, and the entry read from there: nothing
    swapped in after the check is read. Raises OSError when the entry is missing."""
    names = [entry.parent.name, entry.name]
    top = folder
    if os.environ.get(ENV) is None:
        top, names = folder.parent, [folder.name, *names]
    descriptor = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for index, name in enumerate(names):
            if not _own(os.fstat(descriptor)):
                return None
            flags = os.O_RDONLY | os.O_NOFOLLOW | (os.O_DIRECTORY if index < len(names) - 1 else 0)
            descriptor, parent = os.open(name, flags, dir_fd=descriptor), descriptor
            os.close(parent)
        status = os.fstat(descriptor)
        if not (_own(status) and stat.S_ISREG(status.st_mode)):
            return None
        with os.fdopen(descriptor, "rb") as kept:
            descriptor = -1
            return kept.read()
    finally:
        if descriptor >= 0:
            os.close(descriptor)


def used_now(entry: Path) -> None:
    """Mark ``entry`` used: the last to go when its subfolder is pruned."""
    with contextlib.suppress(OSError):
        os.utime(entry)


def _keep(entry: Path, key: str, value: Any) -> None:
    try:
        encoded = json.dumps({"key": key, "value": value}, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):  # a date, a set, a NaN ...: not kept
        return
    if json.loads(encoded)["value"] != value:
        return  # integer keys, tuples ...: JSON would not give them back as they were
    try:
        data = encoded.encode("utf-8")
    except ValueError:  # a lone surrogate: not kept
        return
    write_private(entry, data, PER_FOLDER)


def write_private(entry: Path, data: bytes, keep: int) -> None:
    """Write ``entry`` (under the cache folder, in a subfolder of it) readable and writable by
    this user only, making its folders private; then prune its subfolder to the ``keep`` such
    entries used last. Nothing is written
    where another user could write (a read-only or full disk: nothing either)."""
    temporary = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
    try:
        # each level the cache makes is private (mkdir's mode is for the last level only)
        made = [entry.parent, entry.parent.parent]
        if os.environ.get(ENV) is None:
            made.append(entry.parent.parent.parent)
        made[-1].parent.mkdir(parents=True, exist_ok=True)
        for level in reversed(made):
            level.mkdir(exist_ok=True, mode=0o700)
        # the cache folder judged as what it names (a symlink given as CALLCENTER_CACHE_DIR
        # too), as reading it does
        if not (_private(entry.parent) and _own(os.stat(entry.parent.parent))):
            _debug("parse cache %s not written: not private to this user", entry.parent)
            return
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        os.replace(temporary, entry)
        _prune(entry.parent, entry.suffix, keep)
    except OSError:  # a read-only or full disk: not kept
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def _prune(folder: Path, suffix: str, keep: int) -> None:
    """Remove all but the ``keep`` entries of ``folder`` (ending in ``suffix``) used last."""
    with os.scandir(folder) as found:
        entries = sorted(((e.stat().st_mtime_ns, e.path) for e in found
                          if e.is_file() and e.name.endswith(suffix)), reverse=True)
    for _, path in entries[keep:]:
        with contextlib.suppress(OSError):
            os.unlink(path)
