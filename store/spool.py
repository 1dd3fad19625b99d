"""The spool: messages a provider handed us while the database was unavailable, kept in a
local folder until the database has them.

One file a message, named after its channel and provider id (a provider's retry lands
on the same name and keeps the first), written to a temporary name, flushed to disk
(fsync), then renamed into place and the folder flushed too: once `append` returns, the
message survives a crash or a power cut, and the provider may be answered. `take`
lists what is waiting, oldest first; `remove` drops a message once the database has it;
`set_aside` moves one that can't be replayed to `damaged/`.
The files hold what people wrote: the folder is made readable by its owner only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".json"
_DAMAGED = "damaged"


@dataclass(frozen=True)
class Spooled:
    """One message as the webhook verified it, and when it arrived."""

    channel: str
    address: str
    text: str
    external_id: str
    received_at: datetime
    kind: str = "text"  # text | media (a picture or voice note without words)
    edited: bool = False

    def to_json(self) -> bytes:
        data = asdict(self) | {"received_at": self.received_at.isoformat()}
        return json.dumps(data, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Spooled:
        data = json.loads(raw)
        data["received_at"] = datetime.fromisoformat(data["received_at"])
        return cls(**data)


class Spool:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def append(self, message: Spooled) -> Path:
        """Keep `message` durably; returns its file. Raises OSError if it could not be."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = hashlib.sha256(f"{message.channel}\0{message.external_id}".encode()).hexdigest()
        path = self.folder / f"{message.channel}-{key[:32]}{SUFFIX}"
        if path.exists():
            return path  # the provider's retry of a message already kept
        temporary = self.folder / f".{path.name}.{os.getpid()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, message.to_json())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
        self._sync_folder()
        return path

    def take(self) -> list[tuple[Path, Spooled]]:
        """What is waiting, oldest first. A file that can't be read is moved aside to
        `damaged/` (and logged) rather than blocking the rest."""
        found: list[tuple[Path, Spooled]] = []
        for path in self._files():
            try:
                found.append((path, Spooled.from_json(path.read_bytes())))
            except FileNotFoundError:
                continue  # another process replayed it just now
            except (ValueError, TypeError, KeyError):
                log.error("spooled message %s can't be read", path.name)
                self.set_aside(path)
        found.sort(key=lambda item: (item[1].received_at, item[0].name))
        return found

    def waiting(self) -> bool:
        """Whether anything is waiting (cheap: one look at the folder)."""
        return next(self._files(), None) is not None

    def set_aside(self, path: Path) -> None:
        """Move a message that can't be replayed to `damaged/`, for a person to look at,
        so that it no longer holds up the others."""
        log.error("spooled message %s moved to %s/", path.name, self.folder / _DAMAGED)
        (self.folder / _DAMAGED).mkdir(mode=0o700, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            path.replace(self.folder / _DAMAGED / path.name)

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self._sync_folder()

    def _files(self) -> Iterator[Path]:
        try:
            entries = os.scandir(self.folder)
        except FileNotFoundError:
            return
        with entries:
            for entry in entries:
                if entry.name.endswith(SUFFIX) and not entry.name.startswith("."):
                    yield Path(entry.path)

    def _sync_folder(self) -> None:
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
