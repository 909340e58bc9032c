# SPDX-License-Identifier: Apache-2.0
"""TrainerClient: Kubeflow-SDK-shaped verbs over libkftrainer."""

import ctypes
import json
import sys
import datetime
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass
from typing import Optional

from . import _ffi
from . import options as _options
from .errors import (KFT_EJOBFAILED, KFT_EUSER, JobFailedError, KftError)
from .types import (BuiltinTrainer, CustomTrainer, CustomTrainerContainer, Event, Initializer,
                    Metric, TrainerStatus, Runtime, RuntimeTrainer, Step, TrainJob, check_int,
                    check_str, check_str_dict, resource_quantity)

__all__ = ["TrainerClient", "KubernetesBackendConfig", "LocalProcessBackendConfig",
           "ContainerBackendConfig", "render_trainjob"]

_BACKENDS = ("local", "container", "kubernetes")
_STOP = KFT_EUSER   # what our callbacks return to stop a wait or a log stream


@dataclass
class KubernetesBackendConfig:
    namespace: Optional[str] = None
    config_file: Optional[str] = None
    context: Optional[str] = None
    client_configuration: Optional[object] = None   # the SDK's; not used (the kubeconfig is)


@dataclass
class LocalProcessBackendConfig:
    cleanup_venv: bool = True    # the SDK's; jobs here use no venv (see the migration page)
    state_dir: Optional[str] = None


@dataclass
class ContainerBackendConfig:
    pull_policy: Optional[str] = None
    container_host: Optional[str] = None
    network: Optional[str] = None
    state_dir: Optional[str] = None


def _b(s):
    return None if s is None else s.encode("utf-8")


def _s(b):
    return None if b is None else b.decode("utf-8", "replace")


def _ms_to_dt(ms):
    if not ms or ms <= 0:
        return None
    return datetime.datetime.fromtimestamp(ms / 1000.0, tz=datetime.timezone.utc)


def _strv(items, keep):
    """A char *[] for a list of str; keep holds the buffers alive."""
    arr = (ctypes.c_char_p * max(len(items), 1))(*[_b(x) for x in items])
    keep.append(arr)
    return ctypes.cast(arr, _ffi.c_char_pp), len(items)


def _tri(v):
    return _ffi.KFT_UNSET if v is None else int(v)


class _Interrupt:
    """While active (main thread only), SIGINT sets a flag instead of raising, so
    a C callback can see it and return non-zero; the caller then re-raises
    KeyboardInterrupt. A SIGINT that is ignored (SIG_IGN) is left alone."""

    def __init__(self):
        self.flag = False
        self._prev = None
        self._installed = False

    def _handler(self, signum, frame):
        self.flag = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            prev = signal.getsignal(signal.SIGINT)
            if prev is not signal.SIG_IGN and prev is not None:
                self._prev = prev
                signal.signal(signal.SIGINT, self._handler)
                self._installed = True
        return self

    def __exit__(self, *exc):
        if self._installed:
            signal.signal(signal.SIGINT, self._prev)
            self._installed = False
        return False


class _Stop:
    """Cancellation state shared by a callback and the call that runs it."""

    def __init__(self, interrupt=None, event=None):
        self.interrupt = interrupt
        self.event = event
        self.exc = None

    def requested(self):
        return bool((self.interrupt and self.interrupt.flag) or
                    (self.event and self.event.is_set()) or self.exc)

    def finish(self, rc):
        """After the C call: re-raise what stopped it."""
        if self.exc is not None:
            exc, self.exc = self.exc, None
            raise exc
        if self.interrupt is not None and self.interrupt.flag:
            raise KeyboardInterrupt


def _split_status(status):
    if isinstance(status, str):
        raise TypeError("status must be a set of str such as {'Complete'}, got str %r" % status)
    try:
        items = list(status)
    except TypeError:
        raise TypeError("status must be a set of str, got %s" % type(status).__name__)
    for s in items:
        if not isinstance(s, str):
            raise TypeError("status entries must be str, got %s" % type(s).__name__)
    bad = [s for s in items if s not in _ffi.JOB_STATES]
    if bad or not items:
        raise ValueError("Expected status %s must be a subset of %s"
                         % (set(items), set(_ffi.JOB_STATES)))
    want = 0
    for s in items:
        want |= 1 << _ffi.JOB_STATES.index(s)
    return want


def _check_name(name, what="name"):
    if not isinstance(name, str):
        raise TypeError("%s must be a str, got %s" % (what, type(name).__name__))
    if not name or "\0" in name:
        raise ValueError("%s must be a non-empty str without NUL characters" % what)


def _check_number(name, v, allow_none=False):
    if v is None and allow_none:
        return
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError("%s must be a number, got %s" % (name, type(v).__name__))
    if v <= 0:
        raise ValueError("%s must be a positive number, got %s=%r" % (name, name, v))


# ---------------------------------------------------------------------------
# TrainJob construction (pure-Python checks first, then library calls)

class _TrainRequest:
    """Checked arguments of train()/render(); build() makes the kft_spec_t."""

    def __init__(self, runtime=None, initializer=None, trainer=None, name=None, labels=None,
                 annotations=None, active_deadline_seconds=None, suspend=None, spec=None,
                 spec_file=None, namespace=None, options=None):
        if runtime is not None and not isinstance(runtime, (str, Runtime)):
            raise TypeError("runtime must be a str or a Runtime, got %s" % type(runtime).__name__)
        if isinstance(runtime, Runtime):
            self.runtime, self.runtime_kind = runtime.name, runtime.kind
        else:
            self.runtime, self.runtime_kind = runtime, None
        check_str("train", "runtime", self.runtime)
        self.initializer = Initializer.of(initializer)
        if trainer is not None and not isinstance(
                trainer, (CustomTrainer, CustomTrainerContainer, BuiltinTrainer)):
            raise TypeError("The trainer type %s is not supported. Please use CustomTrainer, "
                            "CustomTrainerContainer, or BuiltinTrainer." % type(trainer).__name__)
        self.trainer = trainer
        check_str("train", "name", name)
        self.name = name
        check_str_dict("train", "labels", labels)
        check_str_dict("train", "annotations", annotations)
        self.labels, self.annotations = labels or {}, annotations or {}
        check_int("train", "active_deadline_seconds", active_deadline_seconds, 1)
        self.deadline = active_deadline_seconds
        if suspend is not None and not isinstance(suspend, bool):
            raise TypeError("train: suspend must be a bool, got %s" % type(suspend).__name__)
        self.suspend = suspend
        if spec is not None and spec_file is not None:
            raise ValueError("train: give spec or spec_file, not both")
        if spec is not None and not isinstance(spec, (str, bytes)):
            raise TypeError("train: spec must be TrainJob YAML/JSON text (str), got %s"
                            % type(spec).__name__)
        self.spec = spec
        check_str("train", "spec_file", spec_file)
        if spec_file is not None and not os.path.isfile(spec_file):
            raise ValueError("train: spec_file %r: no such file" % spec_file)
        self.spec_file = spec_file
        check_str("train", "namespace", namespace)
        self.namespace = namespace
        if isinstance(trainer, CustomTrainer) and trainer.func is not None:
            self.func_source = trainer._func_source()
        else:
            self.func_source = None
        self.labels, self.annotations = dict(self.labels), dict(self.annotations)
        self.trainer_override = {}   # "command"/"args" from TrainerCommand/TrainerArgs
        self.runtime_patches = []    # RuntimePatch options, appended in order
        if options is not None:
            if not isinstance(options, (list, tuple)):
                raise TypeError("train: options must be a list, got %s"
                                % type(options).__name__)
            for opt in options:
                if not isinstance(opt, _options._Option):
                    raise TypeError("train: options entries must be kftrainer.options types "
                                    "(Name, Labels, Annotations, ...), got %s"
                                    % type(opt).__name__)
                opt.apply(self)

    def build(self, L):
        """A new kft_spec_t pointer (caller frees it with kft_spec_free)."""
        sp = ctypes.c_void_p()
        if self.spec is not None:
            text = self.spec if isinstance(self.spec, bytes) else self.spec.encode("utf-8")
            L.check(L.kft_spec_parse(ctypes.byref(sp), text, len(text)))
        elif self.spec_file is not None:
            L.check(L.kft_spec_parse_file(ctypes.byref(sp), _b(self.spec_file)))
        else:
            L.check(L.kft_spec_new(ctypes.byref(sp)))
        try:
            self._fill(L, sp)
        except BaseException:
            L.kft_spec_free(sp)
            raise
        return sp

    def _fill(self, L, sp):
        c = L.check
        if self.name is not None:
            c(L.kft_spec_set_name(sp, _b(self.name)))
        if self.namespace is not None:
            c(L.kft_spec_set_namespace(sp, _b(self.namespace)))
        for k, v in self.labels.items():
            c(L.kft_spec_set_label(sp, _b(k), _b(v)))
        for k, v in self.annotations.items():
            c(L.kft_spec_set_annotation(sp, _b(k), _b(v)))
        if self.runtime is not None:
            c(L.kft_spec_set_runtime(sp, _b(self.runtime), _b(self.runtime_kind)))
        elif self.spec is None and self.spec_file is None:
            c(L.kft_spec_set_runtime(sp, b"torch-distributed", None))
        if self.deadline is not None:
            c(L.kft_spec_set_active_deadline(sp, self.deadline))
        if self.suspend is not None:
            c(L.kft_spec_set_suspend(sp, 1 if self.suspend else 0))
        t = self.trainer
        if isinstance(t, (CustomTrainer, CustomTrainerContainer)):
            self._fill_custom(L, sp, t)
        elif isinstance(t, BuiltinTrainer):
            self._fill_builtin(L, sp, t.config)
        for field, setter in (("command", L.kft_spec_set_command),
                              ("args", L.kft_spec_set_args)):
            if field in self.trainer_override:
                held = []
                argv, n = _strv(self.trainer_override[field], held)
                c(setter(sp, argv, n))
        if self.runtime_patches:
            out = ctypes.c_void_p()
            patches = []
            if L.kft_spec_get_json(ctypes.byref(out), sp, b"spec.runtimePatches") == 0:
                patches = json.loads(L.take_string(out.value) or "null") or []
            else:
                L.kft_error_clear()
            patches.extend(self.runtime_patches)
            c(L.kft_spec_set_json(sp, b"spec.runtimePatches", json.dumps(patches).encode()))
        ini = self.initializer
        if ini is not None:
            for which, part in ((_ffi.KFT_INITIALIZER_DATASET, ini.dataset),
                                (_ffi.KFT_INITIALIZER_MODEL, ini.model)):
                if part is None:
                    continue
                c(L.kft_spec_set_initializer(sp, which, _b(part.storage_uri)))
                for k, v in part._env():
                    c(L.kft_spec_set_initializer_env(sp, which, _b(k), _b(v)))
                if part._secret() is not None:
                    c(L.kft_spec_set_initializer_secret(sp, which, _b(part._secret())))

    def _fill_custom(self, L, sp, t):
        c = L.check
        keep = []
        if t.image is not None:
            c(L.kft_spec_set_image(sp, _b(t.image)))
        if t.command is not None:
            argv, n = _strv(t.command, keep)
            c(L.kft_spec_set_command(sp, argv, n))
        if t.args is not None:
            argv, n = _strv(t.args, keep)
            c(L.kft_spec_set_args(sp, argv, n))
        if isinstance(t, CustomTrainer) and t.command is None:
            so = _ffi.ScriptOpts()
            c(L.kft_script_opts_init(ctypes.byref(so), 1))
            if self.func_source is not None:
                data = self.func_source.encode("utf-8")
                so.script, so.script_len = data, len(data)
            elif t.script is not None:
                data = t.script.encode("utf-8")
                so.script, so.script_len = data, len(data)
            else:
                so.script_path = _b(t.script_file)
            if t.packages_to_install:
                so.packages, so.npackages = _strv(t.packages_to_install, keep)
            if t.pip_index_urls:
                so.pip_index_urls, so.npip_index_urls = _strv(t.pip_index_urls, keep)
            if t.script_args:
                so.script_args, so.nscript_args = _strv(t.script_args, keep)
            if t.code_dir is not None:
                so.code_dir = _b(t.code_dir)
            c(L.kft_spec_set_script(sp, ctypes.byref(so)))
            python = getattr(self, "local_python", None)
            if python and "KFT_PYTHON" not in (t.env or {}):
                c(L.kft_spec_set_env(sp, b"KFT_PYTHON", _b(python)))
        if t.num_nodes is not None:
            c(L.kft_spec_set_num_nodes(sp, t.num_nodes))
        if getattr(t, "num_proc_per_node", None) is not None:
            c(L.kft_spec_set_num_proc_per_node(sp, t.num_proc_per_node))
        for k, v in (t.resources_per_node or {}).items():
            c(L.kft_spec_set_resource(sp, _b(k), _b(resource_quantity(v))))
        for k, v in (t.env or {}).items():
            c(L.kft_spec_set_env(sp, _b(k), _b(v)))

    def _fill_builtin(self, L, sp, cfg):
        keep = []
        tc = _ffi.TorchTuneConfigT()
        L.check(L.kft_torchtune_config_init(ctypes.byref(tc), 1))
        if cfg.dtype is not None:
            tc.dtype = _b(getattr(cfg.dtype, "value", cfg.dtype))
        tc.batch_size = _tri(cfg.batch_size)
        tc.epochs = _tri(cfg.epochs)
        if cfg.loss is not None:
            tc.loss = _b(getattr(cfg.loss, "value", cfg.loss))
        tc.num_nodes = _tri(cfg.num_nodes)
        if cfg.resources_per_node:
            keys = list(cfg.resources_per_node)
            tc.resource_keys, tc.nresources = _strv(keys, keep)
            tc.resource_values, _ = _strv(
                [resource_quantity(cfg.resources_per_node[k]) for k in keys], keep)
        p = cfg.peft_config
        if p is not None:
            tc.lora = 1
            tc.apply_lora_to_mlp = _tri(p.apply_lora_to_mlp)
            tc.apply_lora_to_output = _tri(p.apply_lora_to_output)
            if p.lora_attn_modules is not None:
                tc.lora_attn_modules, tc.nlora_attn_modules = _strv(p.lora_attn_modules, keep)
                if not p.lora_attn_modules:
                    # an explicit empty list: no modules (NULL would mean the default three)
                    tc.nlora_attn_modules = 0
            tc.lora_rank = _tri(p.lora_rank)
            tc.lora_alpha = _tri(p.lora_alpha)
            tc.lora_dropout = (_ffi.KFT_UNSET_DOUBLE if p.lora_dropout is None
                               else float(p.lora_dropout))
            tc.quantize_base = _tri(p.quantize_base)
            tc.use_dora = _tri(p.use_dora)
        d = cfg.dataset_preprocess_config
        if d is not None:
            tc.instruct_dataset = 1
            if d.source is not None:
                tc.dataset_source = _b(getattr(d.source, "value", d.source))
            tc.dataset_split = _b(d.split)
            tc.train_on_input = _tri(d.train_on_input)
            tc.new_system_prompt = _b(d.new_system_prompt)
            if d.column_map:
                keys = list(d.column_map)
                tc.column_map_keys, tc.ncolumn_map = _strv(keys, keep)
                tc.column_map_values, _ = _strv([d.column_map[k] for k in keys], keep)
        L.check(L.kft_spec_set_torchtune(sp, ctypes.byref(tc)))


def _format_code(fmt):
    if not isinstance(fmt, str):
        raise TypeError("format must be 'yaml' or 'json', got %s" % type(fmt).__name__)
    try:
        return {"yaml": _ffi.KFT_FORMAT_YAML, "json": _ffi.KFT_FORMAT_JSON,
                "text": _ffi.KFT_FORMAT_TEXT}[fmt]
    except KeyError:
        raise ValueError("format must be 'yaml', 'json' or 'text', got %r" % fmt)


def render_trainjob(runtime=None, initializer=None, trainer=None, *, format="yaml",
                     trainer_version=None, validate=True, **kwargs):
    """The exact TrainJob that train() would send, as YAML or JSON text.

    Needs no backend. Same arguments as TrainerClient.train() (name, labels,
    annotations, active_deadline_seconds, suspend, spec, spec_file, namespace).
    ``trainer_version``: "v2.0" ... "v2.3" renders for that Trainer release.
    validate: first check it as kft_train would (runtime from the builtin and
    $KFT_RUNTIME_PATH catalog); InvalidError names the field and the rule.
    """
    req = _TrainRequest(runtime, initializer, trainer, **kwargs)
    code = _format_code(format)
    if code == _ffi.KFT_FORMAT_TEXT:
        raise ValueError("format must be 'yaml' or 'json' for a TrainJob")
    check_str("render", "trainer_version", trainer_version)
    if not isinstance(validate, bool):
        raise TypeError("render: validate must be a bool")
    L = _ffi.lib()
    sp = req.build(L)
    try:
        if validate:
            if not L.kft_spec_name(sp):
                L.check(L.kft_spec_generate_name(sp))
            L.check(L.kft_spec_validate(sp, None))
        ro = _ffi.RenderOpts()
        L.check(L.kft_render_opts_init(ctypes.byref(ro), 1))
        ro.format = code
        ro.trainer_version = _b(trainer_version)
        out = ctypes.c_void_p()
        L.check(L.kft_spec_render(ctypes.byref(out), sp, ctypes.byref(ro)))
        return L.take_string(out.value)
    finally:
        L.kft_spec_free(sp)


# ---------------------------------------------------------------------------
# Results

def _runtime_from_ptr(L, p):
    rt = RuntimeTrainer(
        trainer_type=_s(L.kft_runtime_trainer_type(p)) or "CustomTrainer",
        framework=_s(L.kft_runtime_framework(p)),
        image=_s(L.kft_runtime_image(p)),
        num_nodes=int(L.kft_runtime_num_nodes(p)),
        policy=_s(L.kft_runtime_policy(p)))
    return Runtime(name=_s(L.kft_runtime_name(p)), trainer=rt, kind=_s(L.kft_runtime_kind(p)),
                   source=_s(L.kft_runtime_source(p)))


def _pod_name(L, job, step):
    """Step.pod_name as the SDK means it: the pod (kubernetes) or container running the
    step; a local step, which is a process group, gets the name a pod would have."""
    target = _s(L.kft_step_target(step))
    if _s(L.kft_job_backend(job)) == "local":
        return "%s-%s" % (_s(L.kft_job_name(job)), _s(L.kft_step_name(step)))
    return target


def _pid(L, job, step):
    target = _s(L.kft_step_target(step))
    if _s(L.kft_job_backend(job)) == "local" and target and target.isdigit():
        return int(target)
    return None


def _job_from_ptr(L, p, runtimes):
    steps = []
    for i in range(L.kft_job_step_count(p)):
        sp = L.kft_job_step_at(p, i)
        code = L.kft_step_exit_code(sp)
        steps.append(Step(
            name=_s(L.kft_step_name(sp)),
            status=_s(L.kft_step_status(sp)),
            pod_name=_pod_name(L, p, sp),
            pid=_pid(L, p, sp),
            exit_code=None if code == _ffi.KFT_UNSET else code,
            signal=L.kft_step_signal(sp) or None,
            reason=_s(L.kft_step_reason(sp))))
    rname = _s(L.kft_job_runtime(p))
    runtime = runtimes.get(rname) or Runtime(name=rname)
    prog = L.kft_job_progress_percent(p)
    eta = L.kft_job_eta_seconds(p)
    pairs = []
    for i in range(L.kft_job_metric_count(p)):
        mp = L.kft_job_metric_at(p, i)
        pairs.append(Metric(name=_s(L.kft_metric_name(mp)), value=_s(L.kft_metric_value(mp))))
    metrics = {m.name: m.value for m in pairs}
    updated = L.kft_job_progress_updated_ms(p)
    # lastUpdatedTime is required in every accepted update: none means no trainerStatus
    trainer_status = None if not updated or updated <= 0 else TrainerStatus(
        progress_percentage=None if prog == _ffi.KFT_UNSET else int(prog),
        estimated_remaining_seconds=None if eta == _ffi.KFT_UNSET else int(eta),
        metrics=pairs, last_updated_time=_ms_to_dt(updated))
    return TrainJob(
        name=_s(L.kft_job_name(p)), runtime=runtime, steps=steps,
        num_nodes=int(L.kft_job_num_nodes(p)),
        creation_timestamp=_ms_to_dt(L.kft_job_created_ms(p)),
        status=_s(L.kft_job_status(p)) or "Unknown",
        reason=_s(L.kft_job_reason(p)), message=_s(L.kft_job_message(p)),
        namespace=_s(L.kft_job_namespace(p)), backend=_s(L.kft_job_backend(p)),
        start_timestamp=_ms_to_dt(L.kft_job_started_ms(p)),
        completion_timestamp=_ms_to_dt(L.kft_job_finished_ms(p)),
        progress_percent=None if prog == _ffi.KFT_UNSET else int(prog),
        eta_seconds=None if eta == _ffi.KFT_UNSET else int(eta), metrics=metrics,
        trainer_status=trainer_status)


# ---------------------------------------------------------------------------

class TrainerClient(_ffi.Closing):
    """One backend connection: "local" (processes on this machine, the default),
    "container" (Docker/Podman) or "kubernetes".

    ``backend`` may also be one of the SDK-style config objects
    (LocalProcessBackendConfig, ContainerBackendConfig, KubernetesBackendConfig).
    Methods may be called from several threads; calls on one client are
    serialised (the C library wants one thread at a time per client).
    """

    def __init__(self, backend=None, *, backend_config=None, state_dir=None, runtime_path=None,
                 kubeconfig=None, context=None, namespace=None, container_host=None,
                 pull_policy=None, network=None, timeout=None, backend_options=None):
        if backend_options is not None:
            check_str_dict("TrainerClient", "backend_options", backend_options)
        self._backend_options = dict(backend_options or {})
        if backend is not None and backend_config is not None:
            raise TypeError("TrainerClient: give backend or backend_config, not both")
        if backend_config is not None:
            if not isinstance(backend_config, (KubernetesBackendConfig,
                                               LocalProcessBackendConfig,
                                               ContainerBackendConfig)):
                raise ValueError("Invalid backend config '%r'" % (backend_config,))
            backend = backend_config
        if backend is None and not os.environ.get("KFT_BACKEND"):
            backend = "kubernetes"   # the SDK's default: a cluster, unless told otherwise
        if isinstance(backend, KubernetesBackendConfig):
            namespace = namespace or backend.namespace
            kubeconfig = kubeconfig or backend.config_file
            context = context or backend.context
            backend = "kubernetes"
        elif isinstance(backend, LocalProcessBackendConfig):
            state_dir = state_dir or backend.state_dir
            backend = "local"
        elif isinstance(backend, ContainerBackendConfig):
            pull_policy = pull_policy or backend.pull_policy
            container_host = container_host or backend.container_host
            network = network or backend.network
            state_dir = state_dir or backend.state_dir
            backend = "container"
        elif backend is not None and not isinstance(backend, str):
            raise ValueError("Invalid backend config '%r'" % (backend,))
        if backend is not None and backend not in _BACKENDS:
            # other names may be registered by plugins; only the shape is checked here
            check_str("TrainerClient", "backend", backend)
        for n, v in (("state_dir", state_dir), ("runtime_path", runtime_path),
                     ("kubeconfig", kubeconfig), ("context", context), ("namespace", namespace),
                     ("container_host", container_host), ("pull_policy", pull_policy),
                     ("network", network)):
            check_str("TrainerClient", n, v)
        if timeout is not None:
            _check_number("timeout", timeout)
        self._opts_values = dict(
            backend=backend, state_dir=state_dir, runtime_path=runtime_path,
            kubeconfig=kubeconfig, context=context, ns=namespace,
            container_host=container_host, pull_policy=pull_policy, network=network,
            timeout_ms=int(timeout * 1000) if timeout else 0)
        self._lock = threading.RLock()
        self._runtimes = {}
        self._L = _ffi.lib()
        self._c = self._new_client()

    # -- plumbing --

    def _new_client(self):
        L = self._L
        o = _ffi.ClientOpts()
        L.check(L.kft_client_opts_init(ctypes.byref(o), 2))
        for k, v in self._opts_values.items():
            if k == "timeout_ms":
                o.timeout_ms = v
            elif v is not None:
                setattr(o, k, _b(v))
        held = []   # the arrays live until kft_client_new returns (backends copy them)
        if self._backend_options:
            o.backend_option_keys, n = _strv(list(self._backend_options), held)
            o.backend_option_values, _ = _strv(list(self._backend_options.values()), held)
            o.nbackend_options = n
        c = ctypes.c_void_p()
        L.check(L.kft_client_new(ctypes.byref(c), ctypes.byref(o)))
        return c

    def dashboard(self, *, listen="127.0.0.1:8080", token=None, history_path=None,
                  history_days=None, history_max_jobs=None, poll_interval=None):
        """Serve the dashboard (/, /jobs/NAME, /metrics) for this client's backend.

        Returns a kftrainer.dashboard.Dashboard, already listening (see its url);
        call serve_forever() or start(), and close() at the end. A non-loopback
        listen address needs a token (or $KFT_DASHBOARD_TOKEN). On Kubernetes the
        history of observed jobs goes to history_path (default
        STATE_DIR/dashboard.sqlite), kept history_days days and history_max_jobs jobs.
        """
        from .dashboard import Dashboard

        o = _ffi.ClientOpts()
        self._L.check(self._L.kft_client_opts_init(ctypes.byref(o), 1))
        keep = []
        for k, v in self._opts_values.items():
            if k == "timeout_ms":
                o.timeout_ms = v
            elif v is not None:
                keep.append(_b(v))
                setattr(o, k, keep[-1])
        return Dashboard(o, listen=listen, token=token, history_path=history_path,
                         history_days=history_days, history_max_jobs=history_max_jobs,
                         poll_interval=poll_interval)

    def close(self):
        with self._lock:
            if getattr(self, "_c", None):
                self._L.kft_client_free(self._c)
                self._c = None

    def _client(self):
        if not self._c:
            raise ValueError("TrainerClient is closed")
        return self._c

    @property
    def backend(self):
        """The backend name the library chose ("local", "container", "kubernetes")."""
        with self._lock:
            return _s(self._L.kft_client_backend(self._client()))

    def _runtime_cached(self, name):
        """Runtime by name for results; never fails (a name-only Runtime instead)."""
        if name is None:
            return None
        rt = self._runtimes.get(name)
        if rt is None:
            try:
                rt = self.get_runtime(name)
            except KftError:
                rt = Runtime(name=name)
        return rt

    def _job(self, p):
        L = self._L
        rname = _s(L.kft_job_runtime(p))
        if rname and rname not in self._runtimes:
            self._runtime_cached(rname)
        return _job_from_ptr(L, p, self._runtimes)

    # -- runtimes --

    def list_runtimes(self):
        """Every runtime the backend knows (builtin, $KFT_RUNTIME_PATH files, the cluster's)."""
        L = self._L
        with self._lock:
            out = L.take(lambda lp: [_runtime_from_ptr(L, L.kft_runtime_list_at(lp, i))
                                     for i in range(L.kft_runtime_list_count(lp))],
                         L.kft_runtime_list_free, L.kft_list_runtimes, self._client())
            for r in out:
                self._runtimes[r.name] = r
            return out

    def get_runtime(self, name):
        _check_name(name)
        L = self._L
        with self._lock:
            r = L.take(lambda p: _runtime_from_ptr(L, p), L.kft_runtime_free, L.kft_get_runtime,
                       self._client(), _b(name))
            self._runtimes[r.name] = r
            return r

    # -- jobs --

    def train(self, runtime=None, initializer=None, trainer=None, options=None, *, name=None,
              labels=None, annotations=None, active_deadline_seconds=None, suspend=None,
              spec=None, spec_file=None, namespace=None, dry_run=False, validate=True):
        """Create a TrainJob and return its name.

        runtime: a runtime name or Runtime (default "torch-distributed");
        trainer: CustomTrainer, CustomTrainerContainer or BuiltinTrainer;
        initializer: Initializer, or a dataset/model initializer (or a list);
        spec / spec_file: start from a TrainJob YAML/JSON (arguments override it);
        dry_run: kubernetes server-side dry run (nothing is created);
        validate=False skips client-side validation.
        options: the SDK's option types (kftrainer.options: Name, Labels,
        Annotations, TrainerCommand, TrainerArgs, ActiveDeadlineSeconds,
        RuntimePatch), applied after the keyword arguments.
        """
        if not isinstance(dry_run, bool) or not isinstance(validate, bool):
            raise TypeError("train: dry_run and validate must be bool")
        req = _TrainRequest(runtime, initializer, trainer, name=name, labels=labels,
                            annotations=annotations,
                            active_deadline_seconds=active_deadline_seconds, suspend=suspend,
                            spec=spec, spec_file=spec_file, namespace=namespace,
                            options=options)
        L = self._L
        with self._lock:
            client = self._client()
            # processes on this machine: the calling interpreter runs the script trainer
            # (sys.executable -m torch.distributed.run where torchrun would run)
            if _s(L.kft_client_backend(client)) == "local":
                req.local_python = sys.executable
            sp = req.build(L)
            try:
                to = _ffi.TrainOpts()
                L.check(L.kft_train_opts_init(ctypes.byref(to), 1))
                to.flags = ((_ffi.KFT_TRAIN_SERVER_DRY_RUN if dry_run else 0) |
                            (0 if validate else _ffi.KFT_TRAIN_NO_VALIDATE))
                jp = ctypes.c_void_p()
                L.check(L.kft_train(ctypes.byref(jp), client, sp, ctypes.byref(to)))
                try:
                    return _s(L.kft_job_name(jp))
                finally:
                    L.kft_job_free(jp)
            finally:
                L.kft_spec_free(sp)

    def render(self, runtime=None, initializer=None, trainer=None, *, format="yaml", **kwargs):
        """The TrainJob train() would send, as text (see render_trainjob)."""
        return render_trainjob(runtime, initializer, trainer, format=format, **kwargs)

    def render_plan(self, runtime=None, initializer=None, trainer=None, *, format="yaml",
                    **kwargs):
        """What train() would run: the per-step argv/env/cwd plan (local, container)
        or the request (kubernetes)."""
        req = _TrainRequest(runtime, initializer, trainer, **kwargs)
        code = _format_code(format)
        L = self._L
        with self._lock:
            client = self._client()
            sp = req.build(L)
            try:
                out = ctypes.c_void_p()
                ro = _ffi.RenderOpts()
                L.check(L.kft_render_opts_init(ctypes.byref(ro), 1))
                ro.format = code
                L.check(L.kft_render_plan(ctypes.byref(out), client, sp, ctypes.byref(ro)))
                return L.take_string(out.value)
            finally:
                L.kft_spec_free(sp)

    def get_job(self, name):
        _check_name(name)
        L = self._L
        with self._lock:
            return L.take(self._job, L.kft_job_free, L.kft_get_job, self._client(), _b(name))

    def list_jobs(self, runtime=None):
        if isinstance(runtime, Runtime):
            runtime = runtime.name
        check_str("list_jobs", "runtime", runtime)
        L = self._L
        with self._lock:
            return L.take(lambda lp: [self._job(L.kft_job_list_at(lp, i))
                                      for i in range(L.kft_job_list_count(lp))],
                          L.kft_job_list_free, L.kft_list_jobs, self._client(), _b(runtime))

    def delete_job(self, name, *, keep_state=False, grace_period=None, propagation=None):
        """Stop every step and delete the job (keep_state: keep local records and logs)."""
        _check_name(name)
        if not isinstance(keep_state, bool):
            raise TypeError("delete_job: keep_state must be a bool")
        if grace_period is not None:
            if isinstance(grace_period, bool) or not isinstance(grace_period, (int, float)):
                raise TypeError("delete_job: grace_period must be a number of seconds")
            if grace_period < 0:
                raise ValueError("delete_job: grace_period must be >= 0")
        check_str("delete_job", "propagation", propagation)
        L = self._L
        with self._lock:
            do = _ffi.DeleteOpts()
            L.check(L.kft_delete_opts_init(ctypes.byref(do), 1))
            do.flags = _ffi.KFT_DELETE_KEEP_STATE if keep_state else 0
            if grace_period is not None:
                do.grace_period_ms = int(grace_period * 1000)
            do.propagation = _b(propagation)
            L.check(L.kft_delete_job(self._client(), _b(name), ctypes.byref(do)))

    def suspend_job(self, name):
        _check_name(name)
        with self._lock:
            self._L.check(self._L.kft_suspend_job(self._client(), _b(name), 1))

    def resume_job(self, name):
        _check_name(name)
        with self._lock:
            self._L.check(self._L.kft_suspend_job(self._client(), _b(name), 0))

    def get_job_events(self, name):
        _check_name(name)
        L = self._L
        def events(lp):
            evs = [L.kft_event_list_at(lp, i) for i in range(L.kft_event_list_count(lp))]
            return [Event(involved_object_kind=_s(L.kft_event_kind(ep)),
                          involved_object_name=_s(L.kft_event_object(ep)),
                          message=_s(L.kft_event_message(ep)) or "",
                          reason=_s(L.kft_event_reason(ep)) or "",
                          event_time=_ms_to_dt(L.kft_event_time_ms(ep)),
                          type=_s(L.kft_event_type(ep)))
                    for ep in evs]

        with self._lock:
            return L.take(events, L.kft_event_list_free, L.kft_get_events, self._client(), _b(name))

    # -- waiting --

    def wait_for_job_status(self, name, status={"Complete"}, timeout=600, polling_interval=2,
                            callbacks=None):
        """Block until the job reaches one of ``status``; return the TrainJob.

        Event-driven in the library (no polling locally). ``callbacks`` get the
        TrainJob on every status change and at least every ``polling_interval``
        seconds. A Failed job (when Failed is not wanted) raises JobFailedError
        (a RuntimeError) at once; ``timeout`` (seconds, None: none) raises
        kftrainer.TimeoutError. Ctrl-C stops the wait (the job keeps running)
        and raises KeyboardInterrupt; a callback that raises stops the wait and
        its exception propagates.
        """
        _check_name(name)
        want = _split_status(status)
        _check_number("timeout", timeout, allow_none=True)
        _check_number("polling_interval", polling_interval)
        if timeout is not None and polling_interval >= timeout:
            raise ValueError("Polling interval must be strictly less than timeout. Received "
                             "polling_interval=%r, timeout=%r" % (polling_interval, timeout))
        if callbacks is None:
            callbacks = []
        if not isinstance(callbacks, (list, tuple)):
            raise TypeError("callbacks must be a list of callables, got %s"
                            % type(callbacks).__name__)
        for cb in callbacks:
            if not callable(cb):
                raise TypeError("callbacks entries must be callable, got %s" % type(cb).__name__)
        L = self._L
        with self._lock, _Interrupt() as intr:
            client = self._client()
            # no library calls from inside the callback: results there use
            # the runtime cache (or a name-only Runtime)
            stop = _Stop(interrupt=intr)
            last = {"state": None, "t": 0.0}

            def progress(jp, payload):
                if stop.requested():
                    return _STOP
                if not callbacks:
                    return 0
                try:
                    st = L.kft_job_state(jp)
                    now = time.monotonic()
                    if st != last["state"] or now - last["t"] >= polling_interval:
                        last["state"], last["t"] = st, now
                        job = _job_from_ptr(L, jp, self._runtimes)
                        for cb in callbacks:
                            cb(job)
                except BaseException as e:   # noqa: B902 - re-raised by stop.finish()
                    stop.exc = e
                    return _STOP
                return _STOP if stop.requested() else 0

            cfun = _ffi.WAIT_CB(progress)
            wo = _ffi.WaitOpts()
            L.check(L.kft_wait_opts_init(ctypes.byref(wo), 1))
            # Failed is always wanted, so the failed job comes back to hand to
            # JobFailedError (kft_wait gives no job with KFT_EJOBFAILED)
            failed_bit = 1 << _ffi.JOB_STATES.index("Failed")
            wo.want = want | failed_bit
            wo.timeout_ms = int(timeout * 1000) if timeout else 0
            wo.progress_cb = cfun
            jp = ctypes.c_void_p()
            rc = L.kft_wait(ctypes.byref(jp), client, _b(name), ctypes.byref(wo))
            err = L.error(rc) if rc < 0 and rc != _STOP else None
            try:
                job = self._job(jp) if jp.value else None
            finally:
                L.kft_job_free(jp)
            stop.finish(rc)
            if rc == _STOP:
                raise KftError("wait for TrainJob %s stopped by its callback" % name, rc)
            if err is not None:
                raise err
            if job is not None and job.status == "Failed" and not (want & failed_bit):
                # as kft_wait words it: the reason, then the message (the root error)
                raise JobFailedError("TrainJob %s is Failed%s%s" % (
                    name, ": " + job.reason if job.reason else "",
                    ": " + job.message if job.message else ""), KFT_EJOBFAILED,
                    reason=job.reason, job=job)
            if job is None:
                job = self.get_job(name)
            return job

    # -- logs --

    def _logs_opts(self, step, follow, tail, timeout):
        lo = _ffi.LogsOpts()
        self._L.check(self._L.kft_logs_opts_init(ctypes.byref(lo), 2))
        lo.step = _b(step)
        lo.flags = _ffi.KFT_LOGS_FOLLOW if follow else 0
        lo.tail_lines = -1 if tail is None else tail
        lo.timeout_ms = int(timeout * 1000) if timeout else 0
        return lo

    @staticmethod
    def _check_logs_args(name, step, follow, tail, timeout):
        _check_name(name)
        check_str("get_job_logs", "step", step)
        if not isinstance(follow, bool):
            raise TypeError("get_job_logs: follow must be a bool, got %s" % type(follow).__name__)
        check_int("get_job_logs", "tail", tail, 0)
        _check_number("timeout", timeout, allow_none=True)

    def stream_job_logs(self, name, on_chunk, step=None, follow=True, tail=None, timeout=None):
        """Call ``on_chunk(text, step)`` with log text (whole lines) as it is written,
        on this thread. Returns when the steps end (follow) or the log is read.
        Ctrl-C stops it (KeyboardInterrupt); an exception in on_chunk stops it
        and propagates; timeout (seconds) raises kftrainer.TimeoutError."""
        self._check_logs_args(name, step, follow, tail, timeout)
        if not callable(on_chunk):
            raise TypeError("on_chunk must be callable")
        L = self._L
        with self._lock, _Interrupt() as intr:
            client = self._client()
            stop = _Stop(interrupt=intr)

            def cb(chunk, n, stepname, payload):
                if stop.requested():
                    return _STOP
                try:
                    if n:
                        on_chunk(ctypes.string_at(chunk, n).decode("utf-8", "replace"),
                                 _s(stepname))
                except BaseException as e:   # noqa: B902
                    stop.exc = e
                    return _STOP
                return _STOP if stop.requested() else 0

            cfun = _ffi.LOG_CB(cb)
            lo = self._logs_opts(step, follow, tail, timeout)
            rc = L.kft_logs(client, _b(name), ctypes.byref(lo), cfun, None)
            err = L.error(rc) if rc < 0 and rc != _STOP else None
            stop.finish(rc)
            if err is not None:
                raise err

    def get_job_logs(self, name, step="node-0", follow=False, tail=None, timeout=None):
        """An iterator over log lines (without the newline), as the Kubeflow SDK's.

        step: one step, "node-0" by default ("launcher", "dataset-initializer",
        ...), its lines as written; None: every step, each line prefixed
        "<step>: ". follow=True streams lines as they are written until the
        steps end: the library runs on a helper thread with its own client, so
        the caller may use this client while iterating. Closing the iterator
        (close(), a with block, leaving a for loop with break, or dropping it)
        stops that thread within about a second: every backend calls back at
        least once a second, even while the step is quiet.
        """
        self._check_logs_args(name, step, follow, tail, timeout)
        if not follow:
            chunks = []
            self.stream_job_logs(name, lambda text, st: chunks.append(text), step=step,
                                 follow=False, tail=tail, timeout=timeout)
            return iter("".join(chunks).splitlines())
        return self._follow(name, step, tail, timeout)

    def _follow(self, name, step, tail, timeout):
        L = self._L
        q = queue.Queue()
        cancel = threading.Event()
        DONE = object()

        def worker():
            client = None
            rc, err = 0, None
            try:
                client = self._new_client()

                def cb(chunk, n, stepname, payload):
                    if cancel.is_set():
                        return _STOP
                    if n:
                        q.put(ctypes.string_at(chunk, n))
                    return _STOP if cancel.is_set() else 0

                cfun = _ffi.LOG_CB(cb)
                lo = self._logs_opts(step, True, tail, timeout)
                rc = L.kft_logs(client, _b(name), ctypes.byref(lo), cfun, None)
                if rc < 0 and rc != _STOP:
                    err = L.error(rc)   # read on the thread that made the call
            except BaseException as e:  # noqa: B902 - handed to the consumer
                err = e
            finally:
                if client:
                    L.kft_client_free(client)
                q.put((DONE, err))

        t = threading.Thread(target=worker, name="kftrainer-logs-" + name, daemon=True)
        t.start()
        buf = b""
        try:
            while True:
                item = q.get()
                if isinstance(item, tuple) and item and item[0] is DONE:
                    if buf:
                        yield buf.decode("utf-8", "replace")
                        buf = b""
                    if item[1] is not None:
                        raise item[1]
                    return
                buf += item
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", "replace")
        finally:
            # The worker notices at its next callback: a log chunk, or the
            # heartbeat every backend sends at least once a second.
            cancel.set()
            t.join(timeout=2.0)
