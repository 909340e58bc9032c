# SPDX-License-Identifier: Apache-2.0
"""Exceptions raised by kftrainer.

Every library failure becomes a KftError subclass carrying the C library's
message (kft_error_last()), its code (KFT_E*), error class, HTTP status and
Kubernetes reason. The classes also derive from the built-in exception a
Kubeflow SDK user would catch (ValueError, TimeoutError, RuntimeError ...).
"""

import builtins

# Error codes from include/kftrainer/errors.h (the numbers never change).
KFT_OK = 0
KFT_ERROR = -1
KFT_ENOTFOUND = -2
KFT_EEXISTS = -3
KFT_ETIMEOUT = -4
KFT_EAUTH = -5
KFT_EUSER = -6
KFT_ENOTSUPPORTED = -7
KFT_EVERSION = -8
KFT_EINVALID = -9
KFT_EJOBFAILED = -10
KFT_EUNAVAILABLE = -11
KFT_ENOMEM = -12


class KftError(RuntimeError):
    """A libkftrainer call failed. ``str(e)`` is the library's message."""

    def __init__(self, message, code=KFT_ERROR, klass=0, http_status=0, reason=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.klass = klass
        self.http_status = http_status
        self.reason = reason


class NotFoundError(KftError, LookupError):
    """KFT_ENOTFOUND: no such job, runtime, context or file."""


class AlreadyExistsError(KftError):
    """KFT_EEXISTS: a job with that name already exists."""


class InvalidError(KftError, ValueError):
    """KFT_EINVALID: invalid argument or TrainJob (the message names field and rule)."""


class KftTimeoutError(KftError, builtins.TimeoutError):
    """KFT_ETIMEOUT: a deadline passed (also a built-in TimeoutError)."""


# Kubeflow SDK code catches TimeoutError; this name shadows the built-in only
# inside this module's namespace (kftrainer.TimeoutError), and is a subclass of it.
TimeoutError = KftTimeoutError  # noqa: A001


class AuthError(KftError, PermissionError):
    """KFT_EAUTH: credentials were refused (401/403)."""


class NotSupportedError(KftError, NotImplementedError):
    """KFT_ENOTSUPPORTED: the backend cannot do that."""


class VersionError(KftError):
    """KFT_EVERSION, or a library older than this package needs."""


class JobFailedError(KftError):
    """KFT_EJOBFAILED: the job failed while waiting for another status.

    ``job`` is the failed TrainJob (its reason and steps), when known.
    """

    def __init__(self, message, code=KFT_EJOBFAILED, klass=0, http_status=0, reason=None,
                 job=None):
        super().__init__(message, code, klass, http_status, reason)
        self.job = job


class UnavailableError(KftError, ConnectionError):
    """KFT_EUNAVAILABLE: the backend is unreachable (no engine, server down)."""


class OutOfMemoryError(KftError, MemoryError):
    """KFT_ENOMEM."""


class LibraryNotFoundError(KftError, OSError):
    """libkftrainer could not be loaded; ``tried`` lists (place, why) pairs."""

    def __init__(self, message, tried=()):
        super().__init__(message, KFT_ENOTFOUND)
        self.tried = list(tried)


_BY_CODE = {
    KFT_ENOTFOUND: NotFoundError,
    KFT_EEXISTS: AlreadyExistsError,
    KFT_ETIMEOUT: KftTimeoutError,
    KFT_EAUTH: AuthError,
    KFT_ENOTSUPPORTED: NotSupportedError,
    KFT_EVERSION: VersionError,
    KFT_EINVALID: InvalidError,
    KFT_EJOBFAILED: JobFailedError,
    KFT_EUNAVAILABLE: UnavailableError,
    KFT_ENOMEM: OutOfMemoryError,
}


def error_class(code):
    """The exception class for a KFT_E* code (KftError for unknown ones)."""
    return _BY_CODE.get(code, KftError)


__all__ = [
    "KftError", "NotFoundError", "AlreadyExistsError", "InvalidError", "KftTimeoutError",
    "TimeoutError", "AuthError", "NotSupportedError", "VersionError", "JobFailedError",
    "UnavailableError", "OutOfMemoryError", "LibraryNotFoundError", "error_class",
]
