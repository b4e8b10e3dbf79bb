"""What a load reads from the disk: the files (a digest of their bytes, or that there was none)
and the folders it listed, noted while ``recording`` so that its result can be kept and used
again only while every one of them is as it was.

Loaders read through ``read_bytes``, ``is_file`` and ``listing``; outside ``recording`` these
are the plain operations.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Inputs:
    """Files by absolute path (the SHA-256 of their bytes, None: no such file) and folders
    (the names in them, sorted)."""

    files: dict[str, str | None] = field(default_factory=dict)
    folders: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def unchanged(self) -> bool:
        """Every file and folder is as it was when noted."""
        return (all(_digest(path) == digest for path, digest in self.files.items())
                and all(_names(folder) == names for folder, names in self.folders.items()))


_open: list[Inputs] = []


@contextmanager
def recording() -> Iterator[Inputs]:
    """Note what is read meanwhile (nested recordings each note it all)."""
    inputs = Inputs()
    _open.append(inputs)
    try:
        yield inputs
    finally:
        _open.remove(inputs)


def read_bytes(path: Path | str) -> bytes:
    """A file's bytes (``OSError`` if it cannot be read)."""
    data = Path(path).read_bytes()
    if _open:
        digest = hashlib.sha256(data).hexdigest()
        for inputs in _open:
            inputs.files[os.path.abspath(path)] = digest
    return data


def note_file(path: Path | str) -> None:
    """A file whose content a load uses without reading it again (kept from an earlier read)."""
    if _open:
        digest = _digest(path)
        for inputs in _open:
            inputs.files[os.path.abspath(path)] = digest


def is_file(path: Path | str) -> bool:
    """Whether ``path`` is a file; noted as its content (or as none)."""
    if _open:
        note_file(path)
    return Path(path).is_file()


def listing(folder: Path | str) -> list[Path]:
    """The entries of ``folder``, sorted; noted by their names."""
    entries = sorted(Path(folder).iterdir())
    for inputs in _open:
        inputs.folders[os.path.abspath(folder)] = tuple(entry.name for entry in entries)
    return entries


def _digest(path: str | Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:  # gone, a folder now, unreadable: not as it was
        return None


def _names(folder: str) -> tuple[str, ...] | None:
    try:
        return tuple(sorted(os.listdir(folder)))
    except OSError:
        return None
