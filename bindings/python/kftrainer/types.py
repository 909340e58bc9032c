# SPDX-License-Identifier: Apache-2.0
"""Trainer, initializer and result types, shaped like Kubeflow's SDK
(kubeflow.trainer.types). Every input type checks its fields when built:
wrong types raise TypeError, bad values ValueError, before the library is
ever called (building these objects does not even load it).
"""

import datetime
import enum
import inspect
import os
import textwrap
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Union

__all__ = [
    "DataType", "Loss", "DataFormat", "TrainerType", "RuntimeKind",
    "CustomTrainer", "CustomTrainerContainer", "BuiltinTrainer", "TorchTuneConfig", "LoraConfig",
    "TorchTuneInstructDataset",
    "HuggingFaceDatasetInitializer", "HuggingFaceModelInitializer", "S3DatasetInitializer",
    "S3ModelInitializer", "DataCacheInitializer", "DatasetInitializer", "ModelInitializer",
    "Initializer",
    "RuntimeTrainer", "Runtime", "Step", "TrainJob", "Event", "Metric", "TrainerStatus",
]


class DataType(str, enum.Enum):
    BF16 = "bf16"
    FP32 = "fp32"


class Loss(str, enum.Enum):
    CEWithChunkedOutputLoss = "torchtune.modules.loss.CEWithChunkedOutputLoss"


class DataFormat(str, enum.Enum):
    JSON = "json"
    CSV = "csv"
    PARQUET = "parquet"
    ARROW = "arrow"
    TEXT = "text"
    XML = "xml"


class TrainerType(str, enum.Enum):
    CUSTOM_TRAINER = "CustomTrainer"
    BUILTIN_TRAINER = "BuiltinTrainer"


class RuntimeKind(str, enum.Enum):
    ClusterTrainingRuntime = "ClusterTrainingRuntime"
    TrainingRuntime = "TrainingRuntime"


# ---- field checks (TypeError for a wrong type, ValueError for a bad value) ----

def _tname(v):
    return type(v).__name__


def check_str(owner, name, v, required=False, empty_ok=False):
    if v is None:
        if required:
            raise TypeError("%s: %s is required (a str)" % (owner, name))
        return
    if not isinstance(v, str):
        raise TypeError("%s: %s must be a str, got %s" % (owner, name, _tname(v)))
    if not empty_ok and not v:
        raise ValueError("%s: %s must not be empty" % (owner, name))
    if "\0" in v:
        raise ValueError("%s: %s must not contain NUL characters" % (owner, name))


def check_int(owner, name, v, minimum=None):
    if v is None:
        return
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("%s: %s must be an int, got %s" % (owner, name, _tname(v)))
    if minimum is not None and v < minimum:
        raise ValueError("%s: %s must be >= %d, got %d" % (owner, name, minimum, v))
    if v > 2 ** 62:
        raise ValueError("%s: %s is too large (%d)" % (owner, name, v))


def check_bool(owner, name, v):
    if v is not None and not isinstance(v, bool):
        raise TypeError("%s: %s must be a bool or None, got %s" % (owner, name, _tname(v)))


def check_str_list(owner, name, v, empty_ok=True):
    if v is None:
        return
    if isinstance(v, (str, bytes)) or not isinstance(v, (list, tuple)):
        raise TypeError("%s: %s must be a list of str, got %s" % (owner, name, _tname(v)))
    if not empty_ok and not v:
        raise ValueError("%s: %s must not be empty" % (owner, name))
    for i, item in enumerate(v):
        if not isinstance(item, str):
            raise TypeError("%s: %s[%d] must be a str, got %s" % (owner, name, i, _tname(item)))
        if "\0" in item:
            raise ValueError("%s: %s[%d] must not contain NUL characters" % (owner, name, i))


def check_str_dict(owner, name, v):
    if v is None:
        return
    if not isinstance(v, dict):
        raise TypeError("%s: %s must be a dict of str to str, got %s" % (owner, name, _tname(v)))
    for k, val in v.items():
        if not isinstance(k, str) or not k:
            raise TypeError("%s: %s keys must be non-empty str, got %r" % (owner, name, k))
        if not isinstance(val, str):
            raise TypeError("%s: %s[%r] must be a str, got %s" % (owner, name, k, _tname(val)))
        if "\0" in k or "\0" in val:
            raise ValueError("%s: %s[%r] must not contain NUL characters" % (owner, name, k))


def check_resources(owner, name, v):
    if v is None:
        return
    if not isinstance(v, dict):
        raise TypeError("%s: %s must be a dict such as {'cpu': 2, 'memory': '4Gi'}, got %s"
                        % (owner, name, _tname(v)))
    for k, val in v.items():
        if not isinstance(k, str) or not k:
            raise TypeError("%s: %s keys must be non-empty str, got %r" % (owner, name, k))
        if isinstance(val, bool) or not isinstance(val, (int, float, str)):
            raise TypeError("%s: %s[%r] must be an int, float or quantity str, got %s"
                            % (owner, name, k, _tname(val)))
        if isinstance(val, str) and not val:
            raise ValueError("%s: %s[%r] must not be empty" % (owner, name, k))


def resource_quantity(val):
    """A resources_per_node value as the quantity string the library takes."""
    if isinstance(val, float) and val.is_integer():
        return str(int(val))
    return str(val)


def check_enum(owner, name, v, enum_cls):
    if v is None:
        return None
    if isinstance(v, enum_cls):
        return v.value
    if not isinstance(v, str):
        raise TypeError("%s: %s must be a %s or str, got %s"
                        % (owner, name, enum_cls.__name__, _tname(v)))
    values = [m.value for m in enum_cls]
    if v not in values:
        raise ValueError("%s: %s must be one of %s, got %r" % (owner, name, values, v))
    return v


# ---- trainers ----

@dataclass
class CustomTrainer:
    """A custom training program: exactly one of

    - ``func``: a Python function (its source is shipped, as Kubeflow's SDK does),
      called with ``func_args``;
    - ``script``: Python source text;
    - ``script_file``: a path to a Python file (read when the job is built);
    - ``command``: an argv list run as the trainer command (``args`` after it).

    Scripts run under the runtime's launcher (torchrun, python or mpirun) after
    ``packages_to_install`` are pip-installed (``pip_index_urls``: first is
    --index-url, rest --extra-index-url). ``code_dir`` ships a directory too.
    """
    func: Optional[Callable] = None
    func_args: Optional[Dict] = None
    image: Optional[str] = None
    packages_to_install: Optional[List[str]] = None
    pip_index_urls: Optional[List[str]] = None
    num_nodes: Optional[int] = None
    resources_per_node: Optional[Dict] = None
    env: Optional[Dict[str, str]] = None
    script: Optional[str] = None
    script_file: Optional[str] = None
    script_args: Optional[List[str]] = None
    command: Optional[List[str]] = None
    args: Optional[List[str]] = None
    code_dir: Optional[str] = None
    num_proc_per_node: Optional[int] = None

    def __post_init__(self):
        o = "CustomTrainer"
        if self.func is not None and not callable(self.func):
            raise TypeError("%s: func must be callable, got %s" % (o, _tname(self.func)))
        if self.func_args is not None:
            if not isinstance(self.func_args, dict):
                raise TypeError("%s: func_args must be a dict, got %s"
                                % (o, _tname(self.func_args)))
            if self.func is None:
                raise ValueError("%s: func_args needs func" % o)
        check_str(o, "image", self.image)
        check_str_list(o, "packages_to_install", self.packages_to_install)
        check_str_list(o, "pip_index_urls", self.pip_index_urls)
        check_int(o, "num_nodes", self.num_nodes, 1)
        check_int(o, "num_proc_per_node", self.num_proc_per_node, 1)
        check_resources(o, "resources_per_node", self.resources_per_node)
        check_str_dict(o, "env", self.env)
        check_str(o, "script", self.script)
        check_str(o, "script_file", self.script_file)
        check_str_list(o, "script_args", self.script_args)
        check_str_list(o, "command", self.command, empty_ok=False)
        check_str_list(o, "args", self.args)
        check_str(o, "code_dir", self.code_dir)
        sources = [n for n in ("func", "script", "script_file", "command")
                   if getattr(self, n) is not None]
        if len(sources) != 1:
            raise ValueError("%s: give exactly one of func, script, script_file or command (got %s)"
                             % (o, ", ".join(sources) if sources else "none"))
        if self.command is not None:
            for n in ("packages_to_install", "pip_index_urls", "script_args", "code_dir"):
                if getattr(self, n) is not None:
                    raise ValueError("%s: %s applies to func/script/script_file trainers, "
                                     "not to command" % (o, n))
        elif self.args is not None:
            raise ValueError("%s: args goes with command; use script_args for scripts" % o)
        if self.script_file is not None and not os.path.isfile(self.script_file):
            raise ValueError("%s: script_file %r: no such file" % (o, self.script_file))
        if self.code_dir is not None and not os.path.isdir(self.code_dir):
            raise ValueError("%s: code_dir %r: no such directory" % (o, self.code_dir))
        if self.func is not None:
            self._func_source()   # fail now if the source cannot be shipped

    def _func_source(self):
        """The func's source plus a call line, as Kubeflow's SDK ships it (wrapped with @record)."""
        fn = self.func
        name = getattr(fn, "__name__", "")
        if not name.isidentifier():
            raise ValueError("CustomTrainer: func must be a named function (lambdas cannot be "
                             "shipped), got %r" % name)
        try:
            src = textwrap.dedent(inspect.getsource(fn))
        except (OSError, TypeError) as e:
            raise ValueError("CustomTrainer: cannot read the source of func %s: %s"
                             % (name, e)) from None
        # Wrapped with torch.distributed.elastic's @record (when torch imports): a
        # rank that raises writes its exception to TORCHELASTIC_ERROR_FILE, torchrun
        # hands the first failing rank's to its own, and the job's message names it.
        wrap = ("try:\n"
                "    from torch.distributed.elastic.multiprocessing.errors import "
                "record as _kft_record\n"
                "except Exception:  # no torch: the log still has the traceback\n"
                "    def _kft_record(fn):\n"
                "        return fn\n")
        if self.func_args:
            call = "_kft_record(%s)(**%r)\n" % (name, self.func_args)
        else:
            call = "_kft_record(%s)()\n" % name
        if not src.endswith("\n"):
            src += "\n"
        return src + "\n" + wrap + call


@dataclass
class CustomTrainerContainer:
    """The runtime's (or ``image``'s) own command, with optional overrides."""
    image: Optional[str] = None
    num_nodes: Optional[int] = None
    resources_per_node: Optional[Dict] = None
    env: Optional[Dict[str, str]] = None
    command: Optional[List[str]] = None
    args: Optional[List[str]] = None

    def __post_init__(self):
        o = "CustomTrainerContainer"
        check_str(o, "image", self.image)
        check_int(o, "num_nodes", self.num_nodes, 1)
        check_resources(o, "resources_per_node", self.resources_per_node)
        check_str_dict(o, "env", self.env)
        check_str_list(o, "command", self.command, empty_ok=False)
        check_str_list(o, "args", self.args)


@dataclass
class LoraConfig:
    """PEFT for TorchTune (LoRA; QLoRA with quantize_base; DoRA with use_dora)."""
    apply_lora_to_mlp: Optional[bool] = None
    apply_lora_to_output: Optional[bool] = None
    lora_attn_modules: List[str] = field(
        default_factory=lambda: ["q_proj", "v_proj", "output_proj"])
    lora_rank: Optional[int] = None
    lora_alpha: Optional[int] = None
    lora_dropout: Optional[float] = None
    quantize_base: Optional[bool] = None
    use_dora: Optional[bool] = None

    def __post_init__(self):
        o = "LoraConfig"
        check_bool(o, "apply_lora_to_mlp", self.apply_lora_to_mlp)
        check_bool(o, "apply_lora_to_output", self.apply_lora_to_output)
        check_str_list(o, "lora_attn_modules", self.lora_attn_modules)
        check_int(o, "lora_rank", self.lora_rank, 1)
        check_int(o, "lora_alpha", self.lora_alpha, 1)
        if self.lora_dropout is not None:
            if isinstance(self.lora_dropout, bool) or not isinstance(self.lora_dropout,
                                                                     (int, float)):
                raise TypeError("%s: lora_dropout must be a float, got %s"
                                % (o, _tname(self.lora_dropout)))
            if not 0.0 <= float(self.lora_dropout) < 1.0:
                raise ValueError("%s: lora_dropout must be in [0, 1), got %r"
                                 % (o, self.lora_dropout))
        check_bool(o, "quantize_base", self.quantize_base)
        check_bool(o, "use_dora", self.use_dora)


@dataclass
class TorchTuneInstructDataset:
    source: Optional[Union[DataFormat, str]] = None
    split: Optional[str] = None
    train_on_input: Optional[bool] = None
    new_system_prompt: Optional[str] = None
    column_map: Optional[Dict[str, str]] = None

    def __post_init__(self):
        o = "TorchTuneInstructDataset"
        check_enum(o, "source", self.source, DataFormat)
        check_str(o, "split", self.split)
        check_bool(o, "train_on_input", self.train_on_input)
        check_str(o, "new_system_prompt", self.new_system_prompt, empty_ok=True)
        check_str_dict(o, "column_map", self.column_map)


@dataclass
class TorchTuneConfig:
    dtype: Optional[Union[DataType, str]] = None
    batch_size: Optional[int] = None
    epochs: Optional[int] = None
    loss: Optional[Union[Loss, str]] = None
    num_nodes: Optional[int] = None
    peft_config: Optional[LoraConfig] = None
    dataset_preprocess_config: Optional[TorchTuneInstructDataset] = None
    resources_per_node: Optional[Dict] = None

    def __post_init__(self):
        o = "TorchTuneConfig"
        check_enum(o, "dtype", self.dtype, DataType)
        check_int(o, "batch_size", self.batch_size, 1)
        check_int(o, "epochs", self.epochs, 1)
        check_enum(o, "loss", self.loss, Loss)
        check_int(o, "num_nodes", self.num_nodes, 1)
        if self.peft_config is not None and not isinstance(self.peft_config, LoraConfig):
            raise TypeError("%s: peft_config must be a LoraConfig, got %s"
                            % (o, _tname(self.peft_config)))
        if self.dataset_preprocess_config is not None and not isinstance(
                self.dataset_preprocess_config, TorchTuneInstructDataset):
            raise TypeError("%s: dataset_preprocess_config must be a TorchTuneInstructDataset, "
                            "got %s" % (o, _tname(self.dataset_preprocess_config)))
        check_resources(o, "resources_per_node", self.resources_per_node)


@dataclass
class BuiltinTrainer:
    config: TorchTuneConfig

    def __post_init__(self):
        if not isinstance(self.config, TorchTuneConfig):
            raise TypeError("BuiltinTrainer: config must be a TorchTuneConfig, got %s"
                            % _tname(self.config))


# ---- initializers ----

_MODEL_IGNORE = ["*.msgpack", "*.h5", "*.bin", "*.pt", "*.pth"]


def _check_hf(owner, uri, what):
    check_str(owner, "storage_uri", uri, required=True)
    if not uri.startswith("hf://"):
        raise ValueError("%s: storage_uri must start with 'hf://', got %s" % (owner, uri))
    rest = uri[len("hf://"):]
    host, _, path = rest.partition("/")
    if not host or not path.strip("/"):
        raise ValueError("%s: storage_uri: must have absolute path with 'hf://<user_name>/<%s>', "
                         "got %s" % (owner, what, uri))


class _InitializerBase:
    kind = "dataset"

    def _env(self):
        return []

    def _secret(self):
        return None


@dataclass
class HuggingFaceDatasetInitializer(_InitializerBase):
    storage_uri: str
    ignore_patterns: Optional[List[str]] = None
    access_token: Optional[str] = field(default=None, repr=False)

    kind = "dataset"

    def __post_init__(self):
        o = type(self).__name__
        _check_hf(o, self.storage_uri, "dataset_name")
        check_str_list(o, "ignore_patterns", self.ignore_patterns)
        check_str(o, "access_token", self.access_token)

    def _env(self):
        env = []
        if self.ignore_patterns is not None:
            env.append(("IGNORE_PATTERNS", ",".join(self.ignore_patterns)))
        if self.access_token is not None:
            env.append(("ACCESS_TOKEN", self.access_token))
        return env


@dataclass
class HuggingFaceModelInitializer(HuggingFaceDatasetInitializer):
    ignore_patterns: Optional[List[str]] = field(default_factory=lambda: list(_MODEL_IGNORE))

    kind = "model"

    def __post_init__(self):
        o = type(self).__name__
        _check_hf(o, self.storage_uri, "model_name")
        check_str_list(o, "ignore_patterns", self.ignore_patterns)
        check_str(o, "access_token", self.access_token)


@dataclass
class S3DatasetInitializer(_InitializerBase):
    storage_uri: str
    endpoint: Optional[str] = None
    access_key_id: Optional[str] = field(default=None, repr=False)
    secret_access_key: Optional[str] = field(default=None, repr=False)
    region: Optional[str] = None
    role_arn: Optional[str] = None
    ignore_patterns: Optional[List[str]] = None

    kind = "dataset"

    def __post_init__(self):
        o = type(self).__name__
        check_str(o, "storage_uri", self.storage_uri, required=True)
        if not self.storage_uri.startswith("s3://"):
            raise ValueError("%s: storage_uri must start with 's3://', got %s"
                             % (o, self.storage_uri))
        for n in ("endpoint", "access_key_id", "secret_access_key", "region", "role_arn"):
            check_str(o, n, getattr(self, n))
        check_str_list(o, "ignore_patterns", self.ignore_patterns)

    def _env(self):
        env = [(n.upper(), getattr(self, n)) for n in
               ("endpoint", "access_key_id", "secret_access_key", "region", "role_arn")
               if getattr(self, n) is not None]
        if self.ignore_patterns is not None:
            env.append(("IGNORE_PATTERNS", ",".join(self.ignore_patterns)))
        return env


@dataclass
class S3ModelInitializer(S3DatasetInitializer):
    ignore_patterns: Optional[List[str]] = field(default_factory=lambda: list(_MODEL_IGNORE))

    kind = "model"


@dataclass
class DataCacheInitializer(_InitializerBase):
    storage_uri: str
    metadata_loc: str
    num_data_nodes: int
    head_cpu: Optional[str] = None
    head_mem: Optional[str] = None
    worker_cpu: Optional[str] = None
    worker_mem: Optional[str] = None
    iam_role: Optional[str] = None

    kind = "dataset"

    def __post_init__(self):
        o = "DataCacheInitializer"
        check_str(o, "storage_uri", self.storage_uri, required=True)
        parts = self.storage_uri[len("cache://"):].split("/")
        if not self.storage_uri.startswith("cache://") or len(parts) != 2 or not all(parts):
            raise ValueError("%s: storage_uri must be 'cache://<SCHEMA>/<TABLE>', got %s"
                             % (o, self.storage_uri))
        check_str(o, "metadata_loc", self.metadata_loc, required=True)
        if self.num_data_nodes is None:
            raise TypeError("%s: num_data_nodes is required (an int)" % o)
        check_int(o, "num_data_nodes", self.num_data_nodes)
        if self.num_data_nodes <= 1:
            raise ValueError("%s: num_data_nodes must be greater than 1, got %d"
                             % (o, self.num_data_nodes))
        for n in ("head_cpu", "head_mem", "worker_cpu", "worker_mem", "iam_role"):
            check_str(o, n, getattr(self, n))

    def _env(self):
        env = [("CLUSTER_SIZE", str(self.num_data_nodes + 1)), ("METADATA_LOC", self.metadata_loc)]
        env += [(n.upper(), getattr(self, n)) for n in
                ("head_cpu", "head_mem", "worker_cpu", "worker_mem", "iam_role")
                if getattr(self, n) is not None]
        return env


@dataclass
class DatasetInitializer(_InitializerBase):
    """Any storage URI the runtime's dataset initializer understands (hf://, s3://,
    file://, a path), with its environment and an optional Secret (secretRef)."""
    storage_uri: str
    env: Optional[Dict[str, str]] = None
    secret_name: Optional[str] = None

    kind = "dataset"

    def __post_init__(self):
        o = type(self).__name__
        check_str(o, "storage_uri", self.storage_uri, required=True)
        check_str_dict(o, "env", self.env)
        check_str(o, "secret_name", self.secret_name)

    def _env(self):
        return list((self.env or {}).items())

    def _secret(self):
        return self.secret_name


@dataclass
class ModelInitializer(DatasetInitializer):
    kind = "model"


@dataclass
class Initializer:
    """The SDK's bundle: a dataset and/or a model initializer."""
    dataset: Optional[_InitializerBase] = None
    model: Optional[_InitializerBase] = None

    def __post_init__(self):
        for n in ("dataset", "model"):
            v = getattr(self, n)
            if v is None:
                continue
            if not isinstance(v, _InitializerBase):
                raise TypeError("Initializer: %s must be an initializer such as "
                                "HuggingFaceDatasetInitializer, got %s" % (n, _tname(v)))
            if v.kind != n:
                raise ValueError("Initializer: %s got a %s initializer (%s)"
                                 % (n, v.kind, _tname(v)))

    @staticmethod
    def of(value):
        """Accept an Initializer, a single initializer, or a list of them."""
        if value is None or isinstance(value, Initializer):
            return value
        if isinstance(value, _InitializerBase):
            value = [value]
        if isinstance(value, (list, tuple)):
            parts = {}
            for v in value:
                if not isinstance(v, _InitializerBase):
                    raise TypeError("initializer: expected initializers, got %s" % _tname(v))
                if v.kind in parts:
                    raise ValueError("initializer: two %s initializers" % v.kind)
                parts[v.kind] = v
            return Initializer(**parts)
        raise TypeError("initializer must be an Initializer or a dataset/model initializer, "
                        "got %s" % _tname(value))


# ---- results ----

@dataclass
class RuntimeTrainer:
    trainer_type: str
    framework: Optional[str]
    image: Optional[str] = None
    num_nodes: int = 1
    device: str = "Unknown"
    device_count: str = "Unknown"
    policy: Optional[str] = None


@dataclass
class Runtime:
    name: str
    trainer: Optional[RuntimeTrainer] = None
    kind: Optional[str] = None
    pretrained_model: Optional[str] = None
    source: Optional[str] = None   # "builtin", "file" or "cluster"


@dataclass
class Step:
    name: str
    status: Optional[str]
    pod_name: Optional[str] = None     # pod (kubernetes), container, "<job>-<step>" (local)
    device: str = "Unknown"
    device_count: str = "Unknown"
    exit_code: Optional[int] = None
    signal: Optional[int] = None
    reason: Optional[str] = None
    pid: Optional[int] = None          # local: the step's process (group) id


@dataclass
class Metric:
    """One entry of status.trainerStatus.metrics (values are strings, as in the CRD)."""
    name: str
    value: str


@dataclass
class TrainerStatus:
    """The job's latest status.trainerStatus (Kubeflow Trainer's progress protocol),
    under the names Trainer's docs give it on get_job(): what the training code
    last reported, None where it did not say."""
    progress_percentage: Optional[int] = None
    estimated_remaining_seconds: Optional[int] = None
    metrics: List[Metric] = field(default_factory=list)
    last_updated_time: Optional[datetime.datetime] = None


@dataclass
class TrainJob:
    name: str
    runtime: Runtime
    steps: List[Step]
    num_nodes: int
    creation_timestamp: Optional[datetime.datetime]
    status: str = "Unknown"
    reason: Optional[str] = None
    message: Optional[str] = None
    namespace: Optional[str] = None
    backend: Optional[str] = None
    start_timestamp: Optional[datetime.datetime] = None
    completion_timestamp: Optional[datetime.datetime] = None
    progress_percent: Optional[int] = None
    eta_seconds: Optional[int] = None
    metrics: Dict[str, str] = field(default_factory=dict)
    # status.trainerStatus as the SDK names it; None until the job reported progress
    trainer_status: Optional[TrainerStatus] = None


@dataclass
class Event:
    involved_object_kind: str
    involved_object_name: str
    message: str
    reason: str
    event_time: Optional[datetime.datetime]
    type: Optional[str] = None
