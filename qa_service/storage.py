"""Recordings on local disk, content-addressed: ``recordings/ab/<sha256>.<ext>`` under the data dir.

An upload is written to a staging file while it is hashed, fsynced, and only then renamed into
place, so that a stored path always holds the whole recording.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from qa_service.errors import UploadTooLargeError

_CHUNK = 1 << 16


@dataclass
class StagedFile:
    path: Path
    size: int = 0
    sha256: str = ""


class StagingWriter:
    """Receives an upload in chunks, hashing and counting; refuses past ``limit`` bytes."""

    def __init__(self, staging_dir: Path, limit: int) -> None:
        staging_dir.mkdir(parents=True, exist_ok=True)
        self.staged = StagedFile(staging_dir / f"{uuid.uuid4().hex}.part")
        self._limit = limit
        self._hash = hashlib.sha256()
        self._file: BinaryIO | None = self.staged.path.open("wb")

    def write(self, chunk: bytes) -> None:
        assert self._file is not None
        self.staged.size += len(chunk)
        if self.staged.size > self._limit:
            self.discard()
            raise UploadTooLargeError(f"the recording exceeds the {self._limit / 1e6:.0f} MB limit")
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self) -> StagedFile:
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        self.staged.sha256 = self._hash.hexdigest()
        return self.staged

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.staged.path.unlink(missing_ok=True)


class RecordingStore:
    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir
        self.staging_dir = data_dir / "staging"
        self.recordings_dir = data_dir / "recordings"

    def writer(self, limit: int) -> StagingWriter:
        return StagingWriter(self.staging_dir, limit)

    def stage_stream(self, stream: BinaryIO, limit: int) -> StagedFile:
        writer = self.writer(limit)
        try:
            while chunk := stream.read(_CHUNK):
                writer.write(chunk)
        except BaseException:
            writer.discard()
            raise
        return writer.finish()

    def commit(self, staged: StagedFile, extension: str) -> str:
        """Move a staged upload into place; returns its path relative to the data directory."""
        relative = Path("recordings") / staged.sha256[:2] / f"{staged.sha256}.{extension}"
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # the same content was stored before
            staged.path.unlink(missing_ok=True)
        else:
            os.replace(staged.path, target)
            _fsync_dir(target.parent)
        return relative.as_posix()

    def path_of(self, relative: str) -> Path:
        return self.root / relative


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
