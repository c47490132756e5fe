"""Streaming multipart reader for uploads: the audio part goes to a staging file as it arrives.

Starlette's form parser would spool the whole request before the handler sees it; this one
counts, hashes and writes the audio while reading, and stops at the size limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header

from qa_service.errors import InvalidMetadataError, ServiceError, UploadTooLargeError
from qa_service.storage import RecordingStore, StagedFile, StagingWriter

_METADATA_LIMIT = 64 * 1024
_FILE_PART = "audio"
_METADATA_PART = "metadata"


class MalformedUploadError(ServiceError):
    code = "malformed_upload"


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None


@dataclass
class Upload:
    staged: StagedFile
    filename: str | None
    metadata: bytes | None


async def read_upload(
    content_type: str | None, body: AsyncIterator[bytes], store: RecordingStore, limit: int
) -> Upload:
    """Parse ``multipart/form-data`` with parts ``audio`` (file) and ``metadata`` (JSON text)."""
    kind, params = parse_options_header(content_type or "")
    if kind != b"multipart/form-data" or b"boundary" not in params:
        raise MalformedUploadError(
            "expected multipart/form-data with an 'audio' file part and a 'metadata' JSON part"
        )
    writer: StagingWriter | None = None
    staged: StagedFile | None = None
    filename: str | None = None
    metadata: bytearray | None = None
    current = _Part()
    header_field = bytearray()
    header_value = bytearray()
    parts_seen: list[str] = []

    def on_part_begin() -> None:
        nonlocal current
        current = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        current.headers[header_field.decode("latin-1").lower()] = header_value.decode("utf-8", "replace")
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        nonlocal writer, metadata, filename
        _, disposition = parse_options_header(current.headers.get("content-disposition", ""))
        current.name = disposition.get(b"name", b"").decode("utf-8", "replace")
        raw_filename = disposition.get(b"filename")
        current.filename = raw_filename.decode("utf-8", "replace") if raw_filename is not None else None
        if current.name in parts_seen:
            raise MalformedUploadError(f"the part {current.name!r} appears twice")
        parts_seen.append(current.name)
        if current.name == _FILE_PART:
            writer = store.writer(limit)
            filename = current.filename
        elif current.name == _METADATA_PART:
            metadata = bytearray()
        else:
            raise MalformedUploadError(f"unexpected part {current.name!r}: send 'audio' and 'metadata'")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if current.name == _FILE_PART and writer is not None:
            writer.write(data[start:end])
        elif metadata is not None:
            metadata.extend(data[start:end])
            if len(metadata) > _METADATA_LIMIT:
                raise InvalidMetadataError("metadata is larger than 64 KB")

    def on_part_end() -> None:
        nonlocal staged
        if current.name == _FILE_PART and writer is not None:
            staged = writer.finish()

    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except (ServiceError, UploadTooLargeError):
        if writer is not None:
            writer.discard()
        raise
    except Exception as exc:
        if writer is not None:
            writer.discard()
        raise MalformedUploadError(f"the multipart body cannot be parsed ({exc})") from exc
    if staged is None:
        if writer is not None:
            writer.discard()
        raise MalformedUploadError("the 'audio' file part is missing or incomplete")
    return Upload(staged, filename, bytes(metadata) if metadata is not None else None)
