"""Typed errors raised by the core. They carry no HTTP codes; the API layer maps them."""

from __future__ import annotations


class QAError(Exception):
    """Base of every error the core raises on purpose."""

    code = "qa_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AudioError(QAError):
    """The recording cannot be used."""

    code = "audio_error"


class EmptyAudioError(AudioError):
    code = "empty_audio"


class NotAudioError(AudioError):
    code = "not_audio"


class TruncatedAudioError(AudioError):
    code = "truncated_audio"


class ZeroLengthAudioError(AudioError):
    code = "zero_length_audio"


class UnsupportedAudioError(AudioError):
    code = "unsupported_audio"


class ModelError(QAError):
    code = "model_error"


class ModelPackageMissingError(ModelError):
    code = "model_package_missing"


class ModelChecksumError(ModelError):
    code = "model_checksum_mismatch"


class ModelNotFoundError(ModelError):
    code = "model_not_found"


class LayoutError(QAError):
    """The recording's channel layout does not fit the request."""

    code = "layout_error"


class MonoDiarizationUnavailableError(LayoutError):
    """No longer raised: mono calls are diarized. Kept so that code mapping it keeps importing."""

    code = "mono_diarization_unavailable"


class EvaluationError(QAError):
    code = "evaluation_error"


class DatabaseError(QAError):
    code = "database_error"


class ServiceError(QAError):
    """A request the service refuses."""

    code = "service_error"


class InvalidMetadataError(ServiceError):
    code = "invalid_metadata"


class UploadTooLargeError(ServiceError):
    code = "upload_too_large"


class DurationLimitError(ServiceError):
    code = "duration_out_of_range"


class ConflictError(ServiceError):
    code = "conflict"


class NotFoundError(ServiceError):
    code = "not_found"


class AuthError(ServiceError):
    code = "unauthorized"


class ForbiddenError(ServiceError):
    code = "forbidden"
