# SPDX-License-Identifier: Apache-2.0
"""ctypes declarations for libkftrainer (include/kftrainer.h), loaded lazily.

Nothing here runs at import time: importing kftrainer (and building trainer
or initializer objects) works without the library; the first TrainerClient
(or render/version call) loads it. Lookup order:

1. $KFTRAINER_LIBRARY (a path to libkftrainer.so*; when set, only it is tried),
2. ctypes.util.find_library("kftrainer") (ldconfig cache, LD_LIBRARY_PATH),
3. the normal loader path: "libkftrainer.so.0" (the SONAME), then "libkftrainer.so".

A library that cannot be found raises LibraryNotFoundError listing every
place tried and why it failed.
"""

import ctypes
import ctypes.util
import os
import threading

from .errors import KFT_EVERSION, LibraryNotFoundError, VersionError, error_class

# What this package needs: the ABI major it was written for, and the oldest
# run-time version (KFT_VERSION_NUM = major << 16 | minor << 8 | patch).
ABI_MAJOR = 0
MIN_VERSION = (0, 1, 0)

KFT_UNSET = -2147483647 - 1
KFT_UNSET_DOUBLE = -1.0e308

KFT_FORMAT_YAML = 0
KFT_FORMAT_JSON = 1
KFT_FORMAT_TEXT = 2

KFT_INITIALIZER_DATASET = 0
KFT_INITIALIZER_MODEL = 1

KFT_TRAIN_SERVER_DRY_RUN = 1 << 0
KFT_TRAIN_NO_VALIDATE = 1 << 1
KFT_DELETE_KEEP_STATE = 1 << 0
KFT_LOGS_FOLLOW = 1 << 0
KFT_LOG_PREFIX_AUTO = 0
KFT_LOG_PREFIX_ALWAYS = 1
KFT_LOG_PREFIX_NEVER = 2

JOB_STATES = ("Created", "Suspended", "Running", "Complete", "Failed")

c_char_pp = ctypes.POINTER(ctypes.c_char_p)
c_void_pp = ctypes.POINTER(ctypes.c_void_p)
c_int64 = ctypes.c_int64
c_size_t = ctypes.c_size_t
c_uint = ctypes.c_uint
c_uint32 = ctypes.c_uint32
c_int = ctypes.c_int
c_char_p = ctypes.c_char_p
c_void_p = ctypes.c_void_p


class ErrorT(ctypes.Structure):
    _fields_ = [("message", c_char_p), ("klass", c_int), ("http_status", c_int),
                ("reason", c_char_p)]


class ClientOpts(ctypes.Structure):
    _fields_ = [("version", c_uint), ("backend", c_char_p), ("state_dir", c_char_p),
                ("runtime_path", c_char_p), ("kubeconfig", c_char_p), ("context", c_char_p),
                ("ns", c_char_p), ("container_host", c_char_p), ("pull_policy", c_char_p),
                ("network", c_char_p), ("timeout_ms", c_int64),
                ("backend_option_keys", c_char_pp), ("backend_option_values", c_char_pp),
                ("nbackend_options", c_size_t)]


class DashboardOpts(ctypes.Structure):
    _fields_ = [("version", c_uint), ("listen", c_char_p), ("token", c_char_p),
                ("history_path", c_char_p), ("history_days", c_int64),
                ("history_max_jobs", c_int64), ("poll_ms", c_int64)]


class TrainOpts(ctypes.Structure):
    _fields_ = [("version", c_uint), ("flags", c_uint32)]


class DeleteOpts(ctypes.Structure):
    _fields_ = [("version", c_uint), ("flags", c_uint32), ("grace_period_ms", c_int64),
                ("propagation", c_char_p)]


class RenderOpts(ctypes.Structure):
    _fields_ = [("version", c_uint), ("format", c_int), ("trainer_version", c_char_p)]


class ScriptOpts(ctypes.Structure):
    _fields_ = [("version", c_uint), ("script", c_char_p), ("script_len", c_size_t),
                ("script_path", c_char_p), ("packages", c_char_pp), ("npackages", c_size_t),
                ("pip_index_urls", c_char_pp), ("npip_index_urls", c_size_t),
                ("script_args", c_char_pp), ("nscript_args", c_size_t),
                ("code_dir", c_char_p)]


class TorchTuneConfigT(ctypes.Structure):
    _fields_ = [("version", c_uint), ("dtype", c_char_p), ("batch_size", c_int64),
                ("epochs", c_int64), ("loss", c_char_p), ("num_nodes", c_int64),
                ("resource_keys", c_char_pp), ("resource_values", c_char_pp),
                ("nresources", c_size_t), ("lora", c_int), ("apply_lora_to_mlp", c_int),
                ("apply_lora_to_output", c_int), ("lora_attn_modules", c_char_pp),
                ("nlora_attn_modules", c_size_t), ("lora_rank", c_int64),
                ("lora_alpha", c_int64), ("lora_dropout", ctypes.c_double),
                ("quantize_base", c_int), ("use_dora", c_int), ("instruct_dataset", c_int),
                ("dataset_source", c_char_p), ("dataset_split", c_char_p),
                ("train_on_input", c_int), ("new_system_prompt", c_char_p),
                ("column_map_keys", c_char_pp), ("column_map_values", c_char_pp),
                ("ncolumn_map", c_size_t)]


WAIT_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p)
# chunk is not NUL-terminated: take it as a raw pointer and copy len bytes.
LOG_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_size_t, c_char_p, c_void_p)


class WaitOpts(ctypes.Structure):
    _fields_ = [("version", c_uint), ("want", c_uint32), ("timeout_ms", c_int64),
                ("progress_cb", WAIT_CB), ("payload", c_void_p)]


class LogsOpts(ctypes.Structure):
    _fields_ = [("version", c_uint), ("step", c_char_p), ("flags", c_uint32),
                ("tail_lines", c_int64), ("since_ms", c_int64), ("timeout_ms", c_int64),
                ("prefix", c_int)]


# Struct name -> (ctypes class, C type name), for the layout test.
STRUCTS = {
    "kft_error_t": ErrorT,
    "kft_client_opts_t": ClientOpts,
    "kft_train_opts_t": TrainOpts,
    "kft_delete_opts_t": DeleteOpts,
    "kft_render_opts_t": RenderOpts,
    "kft_script_opts_t": ScriptOpts,
    "kft_torchtune_config_t": TorchTuneConfigT,
    "kft_wait_opts_t": WaitOpts,
    "kft_logs_opts_t": LogsOpts,
}

P = c_void_p  # every opaque handle
PP = c_void_pp

# name: (restype, argtypes)
PROTOTYPES = {
    "kft_version": (c_int, []),
    "kft_version_string": (c_char_p, []),
    "kft_init": (c_int, []),
    "kft_shutdown": (c_int, []),
    "kft_free": (None, [c_void_p]),
    "kft_error_last": (ctypes.POINTER(ErrorT), []),
    "kft_error_clear": (None, []),
    "kft_strerror": (c_char_p, [c_int]),
    # client
    "kft_client_opts_init": (c_int, [ctypes.POINTER(ClientOpts), c_uint]),
    "kft_client_new": (c_int, [PP, ctypes.POINTER(ClientOpts)]),
    "kft_client_free": (None, [P]),
    "kft_client_backend": (c_char_p, [P]),
    "kft_train_opts_init": (c_int, [ctypes.POINTER(TrainOpts), c_uint]),
    "kft_train": (c_int, [PP, P, P, ctypes.POINTER(TrainOpts)]),
    "kft_render_plan": (c_int, [c_void_pp, P, P, ctypes.POINTER(RenderOpts)]),
    "kft_get_job": (c_int, [PP, P, c_char_p]),
    "kft_list_jobs": (c_int, [PP, P, c_char_p]),
    "kft_delete_opts_init": (c_int, [ctypes.POINTER(DeleteOpts), c_uint]),
    "kft_delete_job": (c_int, [P, c_char_p, ctypes.POINTER(DeleteOpts)]),
    "kft_suspend_job": (c_int, [P, c_char_p, c_int]),
    "kft_get_events": (c_int, [PP, P, c_char_p]),
    "kft_list_runtimes": (c_int, [PP, P]),
    "kft_get_runtime": (c_int, [PP, P, c_char_p]),
    # wait / logs
    "kft_wait_opts_init": (c_int, [ctypes.POINTER(WaitOpts), c_uint]),
    "kft_wait": (c_int, [PP, P, c_char_p, ctypes.POINTER(WaitOpts)]),
    "kft_logs_opts_init": (c_int, [ctypes.POINTER(LogsOpts), c_uint]),
    "kft_logs": (c_int, [P, c_char_p, ctypes.POINTER(LogsOpts), LOG_CB, c_void_p]),
    # spec
    "kft_spec_new": (c_int, [PP]),
    "kft_spec_free": (None, [P]),
    "kft_spec_parse": (c_int, [PP, c_char_p, c_size_t]),
    "kft_spec_parse_file": (c_int, [PP, c_char_p]),
    "kft_render_opts_init": (c_int, [ctypes.POINTER(RenderOpts), c_uint]),
    "kft_spec_render": (c_int, [c_void_pp, P, ctypes.POINTER(RenderOpts)]),
    "kft_spec_validate": (c_int, [P, P]),
    "kft_spec_set_name": (c_int, [P, c_char_p]),
    "kft_spec_generate_name": (c_int, [P]),
    "kft_spec_set_namespace": (c_int, [P, c_char_p]),
    "kft_spec_set_label": (c_int, [P, c_char_p, c_char_p]),
    "kft_spec_set_annotation": (c_int, [P, c_char_p, c_char_p]),
    "kft_spec_set_runtime": (c_int, [P, c_char_p, c_char_p]),
    "kft_spec_set_image": (c_int, [P, c_char_p]),
    "kft_spec_set_command": (c_int, [P, c_char_pp, c_size_t]),
    "kft_spec_set_args": (c_int, [P, c_char_pp, c_size_t]),
    "kft_spec_set_env": (c_int, [P, c_char_p, c_char_p]),
    "kft_spec_set_num_nodes": (c_int, [P, c_int64]),
    "kft_spec_set_num_proc_per_node": (c_int, [P, c_int64]),
    "kft_spec_set_resource": (c_int, [P, c_char_p, c_char_p]),
    "kft_spec_set_suspend": (c_int, [P, c_int]),
    "kft_spec_set_active_deadline": (c_int, [P, c_int64]),
    "kft_spec_set_initializer": (c_int, [P, c_int, c_char_p]),
    "kft_spec_set_initializer_env": (c_int, [P, c_int, c_char_p, c_char_p]),
    "kft_spec_set_initializer_secret": (c_int, [P, c_int, c_char_p]),
    "kft_script_opts_init": (c_int, [ctypes.POINTER(ScriptOpts), c_uint]),
    "kft_spec_set_script": (c_int, [P, ctypes.POINTER(ScriptOpts)]),
    "kft_spec_name": (c_char_p, [P]),
    "kft_spec_get_json": (c_int, [c_void_pp, P, c_char_p]),
    "kft_spec_set_json": (c_int, [P, c_char_p, c_char_p]),
    "kft_torchtune_config_init": (c_int, [ctypes.POINTER(TorchTuneConfigT), c_uint]),
    "kft_spec_set_torchtune": (c_int, [P, ctypes.POINTER(TorchTuneConfigT)]),
    # jobs
    "kft_job_free": (None, [P]),
    "kft_job_name": (c_char_p, [P]),
    "kft_job_namespace": (c_char_p, [P]),
    "kft_job_runtime": (c_char_p, [P]),
    "kft_job_backend": (c_char_p, [P]),
    "kft_job_state": (c_int, [P]),
    "kft_job_status": (c_char_p, [P]),
    "kft_job_reason": (c_char_p, [P]),
    "kft_job_message": (c_char_p, [P]),
    "kft_job_num_nodes": (c_int64, [P]),
    "kft_job_created_ms": (c_int64, [P]),
    "kft_job_started_ms": (c_int64, [P]),
    "kft_job_finished_ms": (c_int64, [P]),
    "kft_job_progress_percent": (c_int64, [P]),
    "kft_job_eta_seconds": (c_int64, [P]),
    "kft_job_progress_updated_ms": (c_int64, [P]),
    "kft_job_metric_count": (c_size_t, [P]),
    "kft_job_metric_at": (P, [P, c_size_t]),
    "kft_metric_name": (c_char_p, [P]),
    "kft_metric_value": (c_char_p, [P]),
    "kft_job_step_count": (c_size_t, [P]),
    "kft_job_step_at": (P, [P, c_size_t]),
    "kft_step_name": (c_char_p, [P]),
    "kft_step_state": (c_int, [P]),
    "kft_step_status": (c_char_p, [P]),
    "kft_step_target": (c_char_p, [P]),
    "kft_step_exit_code": (c_int, [P]),
    "kft_step_signal": (c_int, [P]),
    "kft_step_reason": (c_char_p, [P]),
    "kft_job_render": (c_int, [c_void_pp, P, ctypes.POINTER(RenderOpts)]),
    "kft_job_list_count": (c_size_t, [P]),
    "kft_job_list_at": (P, [P, c_size_t]),
    "kft_job_list_free": (None, [P]),
    "kft_event_list_count": (c_size_t, [P]),
    "kft_event_list_at": (P, [P, c_size_t]),
    "kft_event_time_ms": (c_int64, [P]),
    "kft_event_kind": (c_char_p, [P]),
    "kft_event_object": (c_char_p, [P]),
    "kft_event_type": (c_char_p, [P]),
    "kft_event_reason": (c_char_p, [P]),
    "kft_event_message": (c_char_p, [P]),
    "kft_event_list_free": (None, [P]),
    # runtimes
    "kft_runtime_parse": (c_int, [PP, c_char_p, c_size_t]),
    "kft_runtime_free": (None, [P]),
    "kft_runtime_name": (c_char_p, [P]),
    "kft_runtime_kind": (c_char_p, [P]),
    "kft_runtime_framework": (c_char_p, [P]),
    "kft_runtime_trainer_type": (c_char_p, [P]),
    "kft_runtime_policy": (c_char_p, [P]),
    "kft_runtime_num_nodes": (c_int64, [P]),
    "kft_runtime_image": (c_char_p, [P]),
    "kft_runtime_source": (c_char_p, [P]),
    "kft_runtime_render": (c_int, [c_void_pp, P, ctypes.POINTER(RenderOpts)]),
    "kft_runtime_list_count": (c_size_t, [P]),
    "kft_runtime_list_at": (P, [P, c_size_t]),
    "kft_runtime_list_free": (None, [P]),
    "kft_dashboard_opts_init": (c_int, [ctypes.POINTER(DashboardOpts), c_uint]),
    "kft_dashboard_new": (c_int, [PP, ctypes.POINTER(ClientOpts),
                                  ctypes.POINTER(DashboardOpts)]),
    "kft_dashboard_url": (c_char_p, [P]),
    "kft_dashboard_run": (c_int, [P]),
    "kft_dashboard_stop": (None, [P]),
    "kft_dashboard_free": (None, [P]),
}


class Library:
    """The loaded library: one attribute per C function, plus helpers."""

    def __init__(self, cdll, path):
        self._cdll = cdll
        self.path = path
        for name, (restype, argtypes) in PROTOTYPES.items():
            fn = getattr(cdll, name)  # AttributeError: symbol missing (too old)
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)

    def error(self, code):
        """The exception for a failed call; reads this thread's kft_error_last()."""
        e = self.kft_error_last().contents
        msg = _s(e.message) or _s(self.kft_strerror(code)) or "error %d" % code
        return error_class(code)(msg, code, e.klass, e.http_status, _s(e.reason))

    def check(self, code):
        """Raise for a negative return; pass through others."""
        if code < 0:
            raise self.error(code)
        return code

    def take(self, convert, free, fn, *args):
        """Call fn(&out, *args) (raising on failure), return convert(out), free(out)."""
        out = ctypes.c_void_p()
        self.check(fn(ctypes.byref(out), *args))
        try:
            return convert(out)
        finally:
            free(out)

    def take_string(self, ptr):
        """Copy a char *out result and kft_free() it."""
        if not ptr:
            return None
        try:
            return ctypes.string_at(ptr).decode("utf-8", "replace")
        finally:
            self.kft_free(ptr)


class Closing:
    """What every owner of a library handle shares: ``with`` support and a
    finalizer, both around the subclass's close() (which must be idempotent)."""

    def close(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def _s(b):
    return None if b is None else b.decode("utf-8", "replace")


_lock = threading.Lock()
_lib = None


def _candidates():
    env = os.environ.get("KFTRAINER_LIBRARY")
    if env:
        # explicit: use that library or fail, never silently another one
        yield "$KFTRAINER_LIBRARY=" + env, env
        return
    found = ctypes.util.find_library("kftrainer")
    if found:
        yield "ctypes.util.find_library('kftrainer') -> " + found, found
    else:
        yield "ctypes.util.find_library('kftrainer')", None
    for soname in ("libkftrainer.so.%d" % ABI_MAJOR, "libkftrainer.so"):
        yield "loader path (LD_LIBRARY_PATH, ld.so.cache, /lib, /usr/lib): " + soname, soname


def _load():
    tried = []
    for where, path in _candidates():
        if path is None:
            tried.append((where, "not found"))
            continue
        try:
            cdll = ctypes.CDLL(path)
        except OSError as e:
            tried.append((where, str(e)))
            continue
        try:
            lib = Library(cdll, path)
        except AttributeError as e:
            tried.append((where, "not a usable libkftrainer: %s" % e))
            continue
        _check_version(lib)
        return lib
    lines = "\n".join("  - %s: %s" % t for t in tried)
    raise LibraryNotFoundError(
        "libkftrainer not found; looked in:\n%s\n"
        "Set KFTRAINER_LIBRARY to the path of libkftrainer.so.%d, or install the library."
        % (lines, ABI_MAJOR), tried)


def _check_version(lib):
    v = lib.kft_version()
    have = (v >> 16 & 0xff, v >> 8 & 0xff, v & 0xff)
    if have[0] != ABI_MAJOR or have < MIN_VERSION:
        raise VersionError(
            "libkftrainer %d.%d.%d at %s is not usable: this kftrainer package needs ABI %d, "
            "version >= %d.%d.%d" % (have + (lib.path, ABI_MAJOR) + MIN_VERSION), KFT_EVERSION)


def lib():
    """The loaded library (loads it on first use)."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                _lib = _load()
    return _lib


def _reset_for_tests():
    global _lib
    with _lock:
        _lib = None
