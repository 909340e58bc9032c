# SPDX-License-Identifier: Apache-2.0
"""The Kubeflow SDK's train(options=[...]) types, with the same names and meanings.

    from kftrainer.options import Labels, Annotations, RuntimePatch
    client.train(trainer=..., options=[Labels({"kueue.x-k8s.io/queue-name": "q"}),
                                       Annotations({"team": "ml"})])

Each option edits the TrainJob before it is validated and sent: metadata
(Name, Labels, Annotations), the trainer's command and args (TrainerCommand,
TrainerArgs: only with CustomTrainerContainer or no trainer, as in the SDK),
spec.activeDeadlineSeconds (ActiveDeadlineSeconds) and spec.runtimePatches
(RuntimePatch). Unlike the SDK, every option works on every backend: the local
and container backends run the same TrainJob.
"""

import dataclasses
import json
import re

from .types import CustomTrainer, BuiltinTrainer

__all__ = ["Name", "Labels", "Annotations", "TrainerCommand", "TrainerArgs",
           "ActiveDeadlineSeconds", "RuntimePatch", "SDK_PATCH_MANAGER"]

# The manager the SDK writes into each runtime patch it adds.
SDK_PATCH_MANAGER = "trainer.kubeflow.org/kubeflow-sdk"


def _camel(key):
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key)


def _plain(value):
    """A dataclass tree or dict as JSON-ready data: snake_case keys become camelCase,
    None and empty values are dropped (as the SDK's patch types do)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError("RuntimePatch: keys must be str, got %r" % (k,))
            v = _plain(v)
            if v is None or v == {} or v == []:
                continue
            out[_camel(k)] = v
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError("RuntimePatch: %s is not JSON data" % type(value).__name__)


class _Option:
    """Base of the options: apply(req) edits a kftrainer train request."""

    def apply(self, req):  # pragma: no cover - every option overrides it
        raise NotImplementedError

    def __call__(self, job_spec, trainer=None, backend=None):
        # The SDK calls options as (job_spec, trainer, backend) on a dict; so may
        # code written for it. Apply to that dict the same way.
        self.apply_dict(job_spec, trainer)


def _str_dict(what, d):
    if not isinstance(d, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                          for k, v in d.items()):
        raise TypeError("%s: expected a dict of str to str, got %r" % (what, d))
    return dict(d)


def _str_list(what, v):
    if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
        raise TypeError("%s: expected a list of str, got %r" % (what, v))
    return list(v)


class Name(_Option):
    """metadata.name of the TrainJob."""

    def __init__(self, name):
        if not isinstance(name, str) or not name:
            raise TypeError("Name: expected a non-empty str, got %r" % (name,))
        self.name = name

    def apply(self, req):
        req.name = self.name

    def apply_dict(self, spec, trainer):
        spec.setdefault("metadata", {})["name"] = self.name


class _Metadata(_Option):
    """A map under metadata: its key there, the request's field and this object's attribute."""
    field = ""

    def __init__(self, values):
        setattr(self, self.field, _str_dict(type(self).__name__, values))

    def apply(self, req):
        getattr(req, self.field).update(getattr(self, self.field))

    def apply_dict(self, spec, trainer):
        spec.setdefault("metadata", {}).setdefault(self.field, {}).update(getattr(self, self.field))


class Labels(_Metadata):
    """metadata.labels (a Kueue queue label goes here)."""
    field = "labels"

    def __init__(self, labels):
        super().__init__(labels)


class Annotations(_Metadata):
    """metadata.annotations."""
    field = "annotations"

    def __init__(self, annotations):
        super().__init__(annotations)


class _TrainerList(_Option):
    field = ""

    def __init__(self, values):
        self.values = _str_list(type(self).__name__, values)

    def _check(self, trainer):
        if isinstance(trainer, (CustomTrainer, BuiltinTrainer)):
            raise ValueError("%s can only be used with CustomTrainerContainer or no trainer, "
                             "not %s" % (type(self).__name__, type(trainer).__name__))

    def apply(self, req):
        self._check(req.trainer)
        req.trainer_override[self.field] = list(self.values)

    def apply_dict(self, spec, trainer):
        self._check(trainer)
        spec.setdefault("spec", {}).setdefault("trainer", {})[self.field] = list(self.values)


class TrainerCommand(_TrainerList):
    """spec.trainer.command (overrides the trainer's)."""
    field = "command"


class TrainerArgs(_TrainerList):
    """spec.trainer.args (overrides the trainer's)."""
    field = "args"


class ActiveDeadlineSeconds(_Option):
    """spec.activeDeadlineSeconds: an int >= 1."""

    def __init__(self, seconds):
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1:
            raise ValueError("ActiveDeadlineSeconds: expected an int >= 1, got %r" % (seconds,))
        self.seconds = seconds

    def apply(self, req):
        req.deadline = self.seconds

    def apply_dict(self, spec, trainer):
        spec.setdefault("spec", {})["activeDeadlineSeconds"] = self.seconds


class RuntimePatch(_Option):
    """Append {manager: SDK_PATCH_MANAGER, trainingRuntimeSpec: ...} to spec.runtimePatches.

    training_runtime_spec: a dict in the TrainJob's camelCase, or the SDK's patch
    dataclasses (snake_case fields become camelCase; None and empty values are
    dropped). manager defaults to the SDK's.
    """

    def __init__(self, training_runtime_spec, manager=SDK_PATCH_MANAGER):
        self.patch = {"manager": manager,
                      "trainingRuntimeSpec": _plain(training_runtime_spec) or {}}
        json.dumps(self.patch)   # JSON data or TypeError now, not at train time

    def apply(self, req):
        req.runtime_patches.append(self.patch)

    def apply_dict(self, spec, trainer):
        spec.setdefault("spec", {}).setdefault("runtimePatches", []).append(self.patch)
