# SPDX-License-Identifier: Apache-2.0
"""Route libkftrainer's diagnostics (kft_diag_set_handler) to Python logging."""

import atexit
import ctypes
import logging
import threading

from . import _ffi

_DIAG_CB = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
# KFT_DIAG_ERROR, _WARN, _INFO, _DEBUG -> logging levels
_LEVELS = (logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG)

_lock = threading.Lock()
_installed = None   # (the ctypes callback, kept alive while installed)


def enable_library_logging(level=logging.WARNING, logger="kftrainer"):
    """Send the library's diagnostics at ``level`` and above to ``logger``.

    Process-wide (the library has one diagnostics handler); call it once at
    start-up. The handler is removed at interpreter exit, or by
    disable_library_logging(). Messages never carry secrets.
    """
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError("level must be a logging level (int), got %s" % type(level).__name__)
    if isinstance(logger, str):
        logger = logging.getLogger(logger)
    elif not isinstance(logger, logging.Logger):
        raise TypeError("logger must be a logger name or a logging.Logger")
    max_level = 0
    for i, lv in enumerate(_LEVELS):
        if lv >= level:
            max_level = i

    def handler(kft_level, message, payload):
        lv = _LEVELS[kft_level] if 0 <= kft_level < len(_LEVELS) else logging.DEBUG
        logger.log(lv, "%s", (message or b"").decode("utf-8", "replace"))

    global _installed
    L = _ffi.lib()
    with _lock:
        cb = _DIAG_CB(handler)
        L._cdll.kft_diag_set_handler.argtypes = [_DIAG_CB, ctypes.c_int, ctypes.c_void_p]
        L._cdll.kft_diag_set_handler.restype = None
        L._cdll.kft_diag_set_handler(cb, max_level, None)
        _installed = cb


def disable_library_logging():
    """Remove the handler installed by enable_library_logging()."""
    global _installed
    with _lock:
        if _installed is None or _ffi._lib is None:
            return
        _ffi._lib._cdll.kft_diag_set_handler(_DIAG_CB(), 0, None)
        _installed = None


atexit.register(disable_library_logging)
