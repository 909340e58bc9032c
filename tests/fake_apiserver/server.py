#!/usr/bin/env python3
"""A fake Kubernetes API server for testing the libkftrainer kubernetes backend.

Python 3 standard library only. Serves HTTPS (certificates made with openssl at start)
on 127.0.0.1 with a free port, speaks enough of the Kubernetes API for kubectl, the
Python client and libkftrainer: discovery, TrainJobs (create/get/list/watch/patch/
delete/status), runtimes, pods with label selectors and logs (follow), events, the
Trainer version ConfigMap, a simulated Trainer/JobSet controller and fault switches.

Usage: server.py --dir DIR [--token TOKEN]... [--trainer-version v2.3.0|none] [--http]
When ready it writes DIR/port and DIR/kubeconfig. Control API under /_fake/ (no auth).
See tests/fake_apiserver/README.md.
"""

import argparse
import base64
import bisect
import copy
import gzip
import http.server
import json
import os
import random
import re
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import zlib

GROUP = "trainer.kubeflow.org"
VERSION = "v1alpha1"
GV = GROUP + "/" + VERSION

# resource -> (apiVersion, kind, namespaced, group-qualified name for messages)
RESOURCES = {
    "trainjobs": (GV, "TrainJob", True, "trainjobs." + GROUP),
    "trainingruntimes": (GV, "TrainingRuntime", True, "trainingruntimes." + GROUP),
    "clustertrainingruntimes": (GV, "ClusterTrainingRuntime", False,
                                "clustertrainingruntimes." + GROUP),
    "pods": ("v1", "Pod", True, "pods"),
    "events": ("v1", "Event", True, "events"),
    "configmaps": ("v1", "ConfigMap", True, "configmaps"),
    "namespaces": ("v1", "Namespace", False, "namespaces"),
}
# Training Operator v1 jobs (kubeflow.org/v1), stored as they are sent (status included:
# tests seed the state a Training Operator would have written). mpi-operator's v2beta1
# MPIJob is not served, as on a cluster that runs the Training Operator.
V1_GV = "kubeflow.org/v1"
V1_KINDS = {"pytorchjobs": "PyTorchJob", "tfjobs": "TFJob", "mpijobs": "MPIJob",
            "xgboostjobs": "XGBoostJob", "jaxjobs": "JAXJob", "paddlejobs": "PaddleJob"}
for _res, _kind in V1_KINDS.items():
    RESOURCES[_res] = (V1_GV, _kind, True, _res + ".kubeflow.org")

ANN_FAIL = "fake.kftrainer.dev/fail-node"
ANN_OOM = "fake.kftrainer.dev/oom-node"
ANN_DURATION = "fake.kftrainer.dev/duration-ms"
ANN_PROGRESS = "fake.kftrainer.dev/progress"
ANCESTOR = "trainer.kubeflow.org/trainjob-ancestor-step"

GZIP_MIN = 128 * 1024
# the oversize faults: one more byte than a client holds (KFT__RESPONSE_MAX, a watch line)
OVERSIZE_BYTES = (64 << 20) + 1
RFC1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def now_rfc3339(t=None):
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def now_rfc3339nano(t):
    frac = int((t - int(t)) * 1e9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%09dZ" % frac


def human_age(ts):
    try:
        t = time.mktime(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    except (TypeError, ValueError):
        return "<unknown>"
    d = max(int(time.time() - t), 0)
    if d < 120:
        return "%ds" % d
    if d < 7200:
        return "%dm" % (d // 60)
    if d < 172800:
        return "%dh" % (d // 3600)
    return "%dd" % (d // 86400)


def rand5():
    return "".join(random.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


# ----------------------------------------------------------------------------------------
# Builtin ClusterTrainingRuntimes (hand-written reduced forms of the v2.3.0 runtimes).

def _rjob(name, container, image, ancestor=None, command=None, args=None, env=None,
          depends=None, limits=None):
    c = {"name": container, "image": image}
    if command:
        c["command"] = command
    if args:
        c["args"] = args
    if env:
        c["env"] = env
    if limits:
        c["resources"] = {"limits": limits}
    rj = {"name": name, "template": {"spec": {"template": {"spec": {"containers": [c]}}}}}
    if ancestor:
        rj["template"]["metadata"] = {"labels": {ANCESTOR: ancestor}}
    if depends:
        rj["dependsOn"] = depends
    return rj


def default_runtimes():
    def rt(name, framework, ml, rjobs, extra=None):
        spec = {"mlPolicy": ml, "template": {"spec": {"replicatedJobs": rjobs}}}
        if extra:
            spec["template"]["spec"].update(extra)
        return {"apiVersion": GV, "kind": "ClusterTrainingRuntime",
                "metadata": {"name": name,
                             "labels": {"trainer.kubeflow.org/framework": framework}},
                "spec": spec}
    torch = rt("torch-distributed", "torch", {"numNodes": 1, "torch": {}}, [
        _rjob("node", "node", "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime", "trainer")])
    ds_img = "ghcr.io/kubeflow/trainer/deepspeed-runtime"
    deepspeed = rt("deepspeed-distributed", "deepspeed", {
        "numNodes": 1, "mpi": {"numProcPerNode": 1, "mpiImplementation": "OpenMPI",
                               "sshAuthMountPath": "/home/mpiuser/.ssh",
                               "runLauncherAsNode": True}}, [
        _rjob("node", "node", ds_img, None, ["/usr/sbin/sshd"],
              ["-De", "-f", "/home/mpiuser/.sshd_config"]),
        _rjob("launcher", "node", ds_img, "trainer", depends=[{"name": "node",
                                                                "status": "Ready"}])],
        {"network": {"publishNotReadyAddresses": True},
         "successPolicy": {"operator": "All", "targetReplicatedJobs": ["launcher"]}})
    tune = rt("torchtune-llama3.2-1b", "torchtune", {"numNodes": 1, "torch": {}}, [
        _rjob("dataset-initializer", "dataset-initializer",
              "ghcr.io/kubeflow/trainer/dataset-initializer", "dataset-initializer",
              env=[{"name": "STORAGE_URI", "value": "hf://tatsu-lab/alpaca"}]),
        _rjob("model-initializer", "model-initializer",
              "ghcr.io/kubeflow/trainer/model-initializer", "model-initializer",
              env=[{"name": "STORAGE_URI", "value": "hf://meta-llama/Llama-3.2-1B-Instruct"}]),
        _rjob("node", "node", "ghcr.io/kubeflow/trainer/torchtune-trainer", "trainer",
              ["tune", "run", "--rdzv_endpoint=localhost:29500", "full_finetune_distributed",
               "--config", "llama3_2/1B_full", "dataset=torchtune.datasets.instruct_dataset",
               "dataset.source=parquet", "dataset.data_dir=/workspace/dataset/data",
               "output_dir=/workspace/output",
               "tokenizer.path=/workspace/model/original/tokenizer.model",
               "checkpointer.checkpoint_dir=/workspace/model"],
              depends=[{"name": "dataset-initializer", "status": "Complete"},
                       {"name": "model-initializer", "status": "Complete"}],
              limits={"nvidia.com/gpu": 2})])
    return [torch, tune, deepspeed]


# ----------------------------------------------------------------------------------------
# Label / field selectors.

def _split_top(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


class SelectorError(Exception):
    pass


def parse_label_selector(s):
    """Returns a list of predicates over a labels dict."""
    preds = []
    if not s:
        return preds
    for req in _split_top(s):
        m = re.match(r"^([A-Za-z0-9_./-]+)\s+(in|notin)\s+\((.*)\)$", req)
        if m:
            key, op = m.group(1), m.group(2)
            vals = {v.strip() for v in m.group(3).split(",") if v.strip()}
            if op == "in":
                preds.append(lambda l, k=key, v=vals: l.get(k) in v)
            else:
                preds.append(lambda l, k=key, v=vals: l.get(k) not in v)
            continue
        m = re.match(r"^([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)$", req)
        if m:
            key, op, val = m.groups()
            if op == "!=":
                preds.append(lambda l, k=key, v=val: l.get(k) != v)
            else:
                preds.append(lambda l, k=key, v=val: l.get(k) == v)
            continue
        m = re.match(r"^(!?)([A-Za-z0-9_./-]+)$", req)
        if m:
            neg, key = m.groups()
            if neg:
                preds.append(lambda l, k=key: k not in l)
            else:
                preds.append(lambda l, k=key: k in l)
            continue
        raise SelectorError("unable to parse requirement: %r" % req)
    return preds


def _get_path(obj, path):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def parse_field_selector(s):
    preds = []
    if not s:
        return preds
    for req in _split_top(s):
        m = re.match(r"^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$", req)
        if not m:
            raise SelectorError("invalid field selector: %r" % req)
        key, op, val = m.groups()
        if op == "!=":
            preds.append(lambda o, k=key, v=val: str(_get_path(o, k) or "") != v)
        else:
            preds.append(lambda o, k=key, v=val: str(_get_path(o, k) or "") == v)
    return preds


def matches(obj, lpreds, fpreds):
    if lpreds:
        labels = obj.get("metadata", {}).get("labels") or {}
        for p in lpreds:
            if not p(labels):
                return False
    for p in fpreds:
        if not p(obj):
            return False
    return True


# ----------------------------------------------------------------------------------------
# Store.

class Entry:
    __slots__ = ("obj", "_bytes")

    def __init__(self, obj):
        self.obj = obj
        self._bytes = None

    def bytes(self):
        if self._bytes is None:
            self._bytes = dumps(self.obj)
        return self._bytes


class Store:
    HISTORY_CAP = 200000

    def __init__(self):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.rv = 1000
        self.objs = {r: {} for r in RESOURCES}
        self.hist_rv = []      # parallel lists: rv, (type, res, ns, bytes, obj)
        self.hist = []
        self.floor = self.rv   # events with rv > floor are available to watches
        self.logs = {}         # (ns, pod) -> {container: [(t, line)]}

    def next_rv(self):
        self.rv += 1
        return self.rv

    def _record(self, etype, res, ns, entry):
        self.hist_rv.append(self.rv)
        self.hist.append((etype, res, ns, entry.bytes(), entry.obj))
        if len(self.hist) > 2 * self.HISTORY_CAP:
            cut = len(self.hist) - self.HISTORY_CAP
            self.floor = self.hist_rv[cut - 1]
            del self.hist[:cut]
            del self.hist_rv[:cut]
        self.cond.notify_all()

    def compact(self):
        with self.lock:
            self.floor = self.rv
            self.hist = []
            self.hist_rv = []

    def events_after(self, rv):
        i = bisect.bisect_right(self.hist_rv, rv)
        return list(zip(self.hist_rv[i:], self.hist[i:]))

    def get(self, res, ns, name):
        e = self.objs[res].get((ns or "", name))
        return e

    def put(self, res, obj, etype):
        """Stores obj (already complete except resourceVersion); returns the Entry."""
        md = obj["metadata"]
        md["resourceVersion"] = str(self.next_rv())
        e = Entry(obj)
        self.objs[res][(md.get("namespace", ""), md["name"])] = e
        self._record(etype, res, md.get("namespace", ""), e)
        return e

    def delete(self, res, ns, name):
        e = self.objs[res].pop((ns or "", name), None)
        if e is None:
            return None
        obj = copy.deepcopy(e.obj)
        obj["metadata"]["resourceVersion"] = str(self.next_rv())
        de = Entry(obj)
        self._record("DELETED", res, ns or "", de)
        return de

    def add_log(self, ns, pod, container, line):
        with self.lock:
            self.logs.setdefault((ns, pod), {}).setdefault(container, []).append(
                (time.time(), line))
            self.cond.notify_all()


def new_meta(md, ns):
    md = dict(md or {})
    if ns is not None:
        md["namespace"] = ns
    md["uid"] = str(uuid.uuid4())
    md["creationTimestamp"] = now_rfc3339()
    return md


SDK_SCRIPT = """
read -r -d '' SCRIPT << EOM

def train_fashion_mnist():
    import os
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    from torch import nn
    from torch.utils.data import DataLoader, DistributedSampler
    from torchvision import datasets, transforms

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 20, 5, 1)
            self.conv2 = nn.Conv2d(20, 50, 5, 1)
            self.fc1 = nn.Linear(4 * 4 * 50, 500)
            self.fc2 = nn.Linear(500, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.max_pool2d(x, 2, 2)
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2, 2)
            x = x.view(-1, 4 * 4 * 50)
            x = F.relu(self.fc1(x))
            return F.log_softmax(self.fc2(x), dim=1)

    dist.init_process_group(backend="gloo")
    model = nn.parallel.DistributedDataParallel(Net())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    dataset = datasets.FashionMNIST("./data", train=True, download=True,
                                    transform=transforms.Compose([transforms.ToTensor()]))
    loader = DataLoader(dataset, batch_size=100, sampler=DistributedSampler(dataset))
    for epoch in range(3):
        for batch_idx, (inputs, labels) in enumerate(loader):
            outputs = model(inputs)
            loss = F.nll_loss(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if batch_idx % 10 == 0 and dist.get_rank() == 0:
                print("Epoch {} [{}/{}] Loss: {:.4f}".format(epoch, batch_idx * len(inputs),
                      len(loader.dataset), loss.item()))
    dist.destroy_process_group()

EOM
printf "%s" "$SCRIPT" > "/tmp/train.py"
torchrun "/tmp/train.py"
"""


def sdk_shape(obj):
    """Give a bulk TrainJob the shape of one the Kubeflow SDK created and Trainer ran:
    an embedded training function, env, resources, labels, managedFields, JobSet status."""
    md, spec, st = obj["metadata"], obj["spec"], obj["status"]
    md["labels"] = {"app.kubernetes.io/created-by": "kubeflow-sdk", "team": "ml-research"}
    md["annotations"] = {"trainer.kubeflow.org/description": "fashion-mnist DDP run"}
    md["resourceVersion"] = "1"
    ts = md["creationTimestamp"]
    md["managedFields"] = [
        {"manager": "kubeflow-sdk", "operation": "Apply", "apiVersion": GV, "time": ts,
         "fieldsType": "FieldsV1",
         "fieldsV1": {"f:metadata": {"f:labels": {"f:app.kubernetes.io/created-by": {},
                                                  "f:team": {}},
                                     "f:annotations": {"f:trainer.kubeflow.org/description": {}}},
                      "f:spec": {"f:runtimeRef": {"f:name": {}, "f:apiGroup": {}, "f:kind": {}},
                                 "f:trainer": {"f:command": {}, "f:env": {}, "f:numNodes": {},
                                               "f:resourcesPerNode": {"f:limits": {
                                                   "f:cpu": {}, "f:memory": {}}}}}}},
        {"manager": "trainer-controller-manager", "operation": "Update", "apiVersion": GV,
         "time": ts, "fieldsType": "FieldsV1", "subresource": "status",
         "fieldsV1": {"f:status": {"f:conditions": {".": {}, "k:{\"type\":\"Complete\"}": {
             ".": {}, "f:lastTransitionTime": {}, "f:message": {}, "f:reason": {},
             "f:status": {}, "f:type": {}}}, "f:jobsStatus": {}}}}]
    spec["trainer"] = {"numNodes": 2,
                       "command": ["bash", "-c", SDK_SCRIPT],
                       "env": [{"name": "EPOCHS", "value": "3"},
                               {"name": "LEARNING_RATE", "value": "0.1"}],
                       "resourcesPerNode": {"limits": {"cpu": "2", "memory": "8Gi"}}}
    st["jobsStatus"] = [{"name": "node", "ready": 0, "succeeded": 2, "failed": 0,
                         "active": 0, "suspended": 0}]


# ----------------------------------------------------------------------------------------
# Status bodies.

SPEC_FIELDS_V23 = {"runtimeRef", "initializer", "trainer", "runtimePatches", "suspend",
                   "managedBy", "activeDeadlineSeconds"}
SPEC_FIELDS_V21 = {"runtimeRef", "initializer", "trainer", "labels", "annotations",
                   "podTemplateOverrides", "suspend", "managedBy"}
SPEC_FIELDS_V20 = {"runtimeRef", "initializer", "trainer", "labels", "annotations",
                   "podSpecOverrides", "suspend", "managedBy"}
TRAINER_FIELDS = {"image", "command", "args", "env", "numNodes", "resourcesPerNode",
                  "numProcPerNode"}


def schema_minor(version):
    """Trainer minor version whose TrainJob schema is served: None (no ConfigMap) -> 1."""
    if version is None:
        return 1
    m = re.match(r"^v?2\.(\d+)", version)
    return int(m.group(1)) if m else 3


def unknown_trainjob_fields(obj, minor):
    """Returns the unknown field paths of a TrainJob and prunes them from obj."""
    unknown = []
    for k in list(obj):
        if k not in ("apiVersion", "kind", "metadata", "spec", "status"):
            unknown.append(k)
            del obj[k]
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return unknown
    allowed = SPEC_FIELDS_V23 if minor >= 2 else SPEC_FIELDS_V21 if minor == 1 else \
        SPEC_FIELDS_V20
    for k in list(spec):
        if k not in allowed:
            unknown.append("spec." + k)
            del spec[k]
    for sub, allowed in (("trainer", TRAINER_FIELDS), ("runtimeRef", {"name", "apiGroup",
                                                                      "kind"}),
                         ("initializer", {"dataset", "model"})):
        d = spec.get(sub)
        if isinstance(d, dict):
            for k in list(d):
                if k not in allowed:
                    unknown.append("spec.%s.%s" % (sub, k))
                    del d[k]
    init = spec.get("initializer")
    if isinstance(init, dict):
        for which in ("dataset", "model"):
            d = init.get(which)
            if isinstance(d, dict):
                for k in list(d):
                    if k not in ("storageUri", "env", "secretRef"):
                        unknown.append("spec.initializer.%s.%s" % (which, k))
                        del d[k]
    return unknown


def status_body(code, reason, message, details=None):
    b = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
         "message": message, "reason": reason}
    if details is not None:
        b["details"] = details
    b["code"] = code
    return b


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.body = status_body(code, reason, message, details)
        self.headers = headers or {}


def not_found(res, name):
    qual = RESOURCES[res][3] if res in RESOURCES else res
    grp = GROUP if "." in qual else ""
    d = {"name": name, "kind": res}
    if grp:
        d["group"] = grp
    return ApiError(404, "NotFound", '%s "%s" not found' % (qual, name), d)


def invalid(res, name, causes):
    api, kind, _, _ = RESOURCES[res]
    grp = api.split("/")[0] if "/" in api else ""
    kq = kind + ("." + grp if grp else "")
    msgs = ["%s: %s" % (c["field"], c["message"]) for c in causes]
    msg = '%s "%s" is invalid: %s' % (kq, name, msgs[0] if len(msgs) == 1
                                      else "[" + ", ".join(msgs) + "]")
    d = {"name": name, "kind": kind, "causes": causes}
    if grp:
        d["group"] = grp
    return ApiError(422, "Invalid", msg, d)


# ----------------------------------------------------------------------------------------
# Simulated Trainer/JobSet controller.

class Controller:
    def __init__(self, srv):
        self.srv = srv
        self.store = srv.store
        self.pending_ms = 200
        self.run_ms = 1000
        self.runs = {}  # (ns, name) -> threading.Event (cancel)
        self.lock = threading.Lock()

    # -- events ------------------------------------------------------------------------
    def event(self, ns, kind, api, name, uid, reason, message, etype="Normal",
              component="trainjob-controller"):
        st = self.store
        with st.lock:
            t = now_rfc3339()
            obj = {"kind": "Event", "apiVersion": "v1",
                   "metadata": new_meta({"name": "%s.%016x" % (name, random.getrandbits(64))},
                                        ns),
                   "involvedObject": {"kind": kind, "namespace": ns, "name": name,
                                      "uid": uid, "apiVersion": api},
                   "reason": reason, "message": message,
                   "source": {"component": component},
                   "firstTimestamp": t, "lastTimestamp": t, "count": 1, "type": etype,
                   "eventTime": None, "reportingComponent": component,
                   "reportingInstance": ""}
            st.put("events", obj, "ADDED")

    # -- job lifecycle -------------------------------------------------------------------
    def on_created(self, ns, name):
        self._sync(ns, name)

    def on_updated(self, ns, name):
        self._sync(ns, name)

    def on_deleted(self, ns, name):
        self._cancel(ns, name)
        self._delete_pods(ns, name)

    def reset(self):
        with self.lock:
            for ev in self.runs.values():
                ev.set()
            self.runs.clear()

    def _cancel(self, ns, name):
        with self.lock:
            ev = self.runs.pop((ns, name), None)
        if ev:
            ev.set()

    def _delete_pods(self, ns, job):
        st = self.store
        with st.lock:
            for (pns, pname), e in list(st.objs["pods"].items()):
                lbl = e.obj["metadata"].get("labels") or {}
                if pns == ns and lbl.get("jobset.sigs.k8s.io/jobset-name") == job:
                    st.delete("pods", pns, pname)

    def _set_cond(self, obj, ctype, status, reason, message):
        conds = obj.setdefault("status", {}).setdefault("conditions", [])
        for c in conds:
            if c["type"] == ctype:
                if c["status"] != status:
                    c["lastTransitionTime"] = now_rfc3339()
                c.update(status=status, reason=reason, message=message)
                return
        conds.append({"type": ctype, "status": status, "reason": reason,
                      "message": message, "lastTransitionTime": now_rfc3339()})

    def _finished(self, obj):
        for c in (obj.get("status") or {}).get("conditions") or []:
            if c["type"] in ("Complete", "Failed") and c["status"] == "True":
                return True
        return False

    def update_job(self, ns, name, fn):
        """Applies fn(obj) to a copy of the job under the lock; stores if fn returns True."""
        st = self.store
        with st.lock:
            e = st.get("trainjobs", ns, name)
            if e is None:
                return None
            obj = copy.deepcopy(e.obj)
            if fn(obj) is False:
                return obj
            st.put("trainjobs", obj, "MODIFIED")
            return obj

    def _sync(self, ns, name):
        st = self.store
        with st.lock:
            e = st.get("trainjobs", ns, name)
            if e is None:
                return
            obj = e.obj
            if self._finished(obj):
                return
            suspend = bool((obj.get("spec") or {}).get("suspend"))
            running = (ns, name) in self.runs
            conds = {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}
        if suspend:
            if running:
                self._cancel(ns, name)
                self._delete_pods(ns, name)
            sc = conds.get("Suspended")
            if not sc or sc["status"] != "True":
                def f(o):
                    self._set_cond(o, "Suspended", "True", "Suspended", "TrainJob is suspended")
                self.update_job(ns, name, f)
            return
        sc = conds.get("Suspended")
        if sc and sc["status"] == "True":
            def f(o):
                self._set_cond(o, "Suspended", "False", "Resumed", "TrainJob is resumed")
            self.update_job(ns, name, f)
        if not running:
            cancel = threading.Event()
            with self.lock:
                self.runs[(ns, name)] = cancel
            threading.Thread(target=self._run, args=(ns, name, cancel), daemon=True).start()

    # -- the run -------------------------------------------------------------------------
    def _plan(self, job, runtime):
        """Returns [(stage, rjob_name, container, image, count, command)]."""
        spec = job.get("spec") or {}
        trainer = spec.get("trainer") or {}
        rspec = (runtime or {}).get("spec") or {}
        ml = rspec.get("mlPolicy") or {}
        n = trainer.get("numNodes", ml.get("numNodes", 1))
        try:
            n = int(n)
        except (TypeError, ValueError):
            n = 1
        rjobs = ((rspec.get("template") or {}).get("spec") or {}).get("replicatedJobs") or []
        if not rjobs:
            rjobs = [_rjob("node", "node", trainer.get("image", "unknown"), "trainer")]
        mpi = ml.get("mpi") or None
        plan = []
        for rj in rjobs:
            tmpl = rj.get("template") or {}
            anc = ((tmpl.get("metadata") or {}).get("labels") or {}).get(ANCESTOR)
            pspec = (((tmpl.get("spec") or {}).get("template") or {}).get("spec") or {})
            conts = pspec.get("containers") or [{"name": "node"}]
            c = conts[0]
            for cc in conts:
                if cc.get("name") in ("node", "dataset-initializer", "model-initializer"):
                    c = cc
            image = c.get("image", "")
            command = c.get("command")
            stage = 0 if anc in ("dataset-initializer", "model-initializer") else 1
            count = int((tmpl.get("spec") or {}).get("parallelism") or 1)
            if anc == "trainer":
                count = 1 if (mpi and rj["name"] == "launcher") else n
                if trainer.get("image"):
                    image = trainer["image"]
                if trainer.get("command"):
                    command = trainer["command"]
            elif mpi and mpi.get("runLauncherAsNode") and rj["name"] == "node":
                count = max(n - 1, 1)
            plan.append((stage, rj["name"], c.get("name", "node"), image, count, command))
        return plan

    def _make_pod(self, job, rjob, container, image, idx, count, command):
        jname = job["metadata"]["name"]
        ns = job["metadata"]["namespace"]
        pname = "%s-%s-0-%d-%s" % (jname, rjob, idx, rand5())
        labels = {
            "jobset.sigs.k8s.io/jobset-name": jname,
            "jobset.sigs.k8s.io/jobset-uid": job["metadata"]["uid"],
            "jobset.sigs.k8s.io/replicatedjob-name": rjob,
            "jobset.sigs.k8s.io/replicatedjob-replicas": "1",
            "jobset.sigs.k8s.io/job-index": "0",
            "jobset.sigs.k8s.io/job-key": "%040x" % random.getrandbits(160),
            "jobset.sigs.k8s.io/restart-attempt": "0",
            "batch.kubernetes.io/job-completion-index": str(idx),
            "batch.kubernetes.io/job-name": "%s-%s-0" % (jname, rjob),
            "job-name": "%s-%s-0" % (jname, rjob),
        }
        c = {"name": container, "image": image}
        if command:
            c["command"] = command
        pod = {"kind": "Pod", "apiVersion": "v1",
               "metadata": new_meta({"name": pname, "labels": labels,
                                     "annotations": {
                                         "batch.kubernetes.io/job-completion-index": str(idx)},
                                     "ownerReferences": [{
                                         "apiVersion": "batch/v1", "kind": "Job",
                                         "name": "%s-%s-0" % (jname, rjob),
                                         "uid": str(uuid.uuid4()), "controller": True,
                                         "blockOwnerDeletion": True}]}, ns),
               "spec": {"containers": [c], "restartPolicy": "OnFailure",
                        "hostname": "%s-%s-0-%d" % (jname, rjob, idx), "subdomain": jname,
                        "nodeName": "fake-node-1"},
               "status": {"phase": "Pending", "qosClass": "BestEffort",
                          "conditions": [{"type": "PodScheduled", "status": "True",
                                          "lastTransitionTime": now_rfc3339()}],
                          "containerStatuses": [{
                              "name": container, "image": image, "imageID": "",
                              "ready": False, "restartCount": 0, "started": False,
                              "state": {"waiting": {"reason": "ContainerCreating"}}}]}}
        return pod

    def _pod_update(self, ns, pname, fn):
        st = self.store
        with st.lock:
            e = st.get("pods", ns, pname)
            if e is None:
                return None
            obj = copy.deepcopy(e.obj)
            fn(obj)
            st.put("pods", obj, "MODIFIED")
            return obj

    def _run(self, ns, name, cancel):
        try:
            self._run_inner(ns, name, cancel)
        except Exception as ex:  # never kill the server
            sys.stderr.write("fake-apiserver: controller error for %s/%s: %r\n" % (ns, name, ex))
        finally:
            with self.lock:
                if self.runs.get((ns, name)) is cancel:
                    del self.runs[(ns, name)]

    def _run_inner(self, ns, name, cancel):
        st = self.store
        with st.lock:
            e = st.get("trainjobs", ns, name)
            if e is None:
                return
            job = copy.deepcopy(e.obj)
            ref = (job.get("spec") or {}).get("runtimeRef") or {}
            kind = ref.get("kind") or "ClusterTrainingRuntime"
            if kind == "TrainingRuntime":
                re_ = st.get("trainingruntimes", ns, ref.get("name", ""))
            else:
                re_ = st.get("clustertrainingruntimes", "", ref.get("name", ""))
            runtime = copy.deepcopy(re_.obj) if re_ else None
        ann = job["metadata"].get("annotations") or {}
        pending_ms, run_ms = self.pending_ms, self.run_ms
        try:
            run_ms = int(ann.get(ANN_DURATION, run_ms))
        except ValueError:
            pass
        fail_idx = ann.get(ANN_FAIL)
        oom_idx = ann.get(ANN_OOM)
        progress = str(ann.get(ANN_PROGRESS, "")).lower() == "true"
        juid = job["metadata"]["uid"]
        self.event(ns, "TrainJob", GV, name, juid, "Created", "Created JobSet: %s" % name)
        self.event(ns, "JobSet", "jobset.x-k8s.io/v1alpha2", name, str(uuid.uuid4()),
                   "SuccessfulCreate", "Created jobs for jobset %s" % name,
                   component="jobset-controller")
        plan = self._plan(job, runtime)
        stages = sorted({p[0] for p in plan})
        failed_reason = None
        for stage in stages:
            items = [p for p in plan if p[0] == stage]
            trainer_stage = stage == stages[-1]
            pods = []  # (pname, container, rjob, idx, count, uid)
            images = {}
            with st.lock:
                if cancel.is_set():
                    return
                for (_, rjob, container, image, count, command) in items:
                    for i in range(count):
                        pod = self._make_pod(job, rjob, container, image, i, count, command)
                        st.put("pods", pod, "ADDED")
                        pods.append((pod["metadata"]["name"], container, rjob, i, count,
                                     pod["metadata"]["uid"]))
                        images[pod["metadata"]["name"]] = image
            for (pname, container, rjob, i, count, puid) in pods:
                self.event(ns, "Job", "batch/v1", "%s-%s-0" % (name, rjob), str(uuid.uuid4()),
                           "SuccessfulCreate", "Created pod: %s" % pname,
                           component="job-controller")
                self.event(ns, "Pod", "v1", pname, puid, "Scheduled",
                           "Successfully assigned %s/%s to fake-node-1" % (ns, pname),
                           component="default-scheduler")
            self._set_jobs_status(ns, name, plan, stage, "active")
            if cancel.wait(pending_ms / 1000.0):
                return
            t0 = time.time()
            for (pname, container, rjob, i, count, puid) in pods:
                def run(o, container=container):
                    o["status"]["phase"] = "Running"
                    o["status"]["startTime"] = now_rfc3339(t0)
                    o["status"]["podIP"] = "10.0.0.%d" % random.randint(2, 250)
                    o["status"]["conditions"].append({"type": "Ready", "status": "True",
                                                      "lastTransitionTime": now_rfc3339()})
                    cs = o["status"]["containerStatuses"][0]
                    cs.update(ready=True, started=True,
                              state={"running": {"startedAt": now_rfc3339(t0)}})
                self._pod_update(ns, pname, run)
                self.event(ns, "Pod", "v1", pname, puid, "Pulled",
                           'Container image "%s" already present on machine' % images[pname],
                           component="kubelet")
                self.event(ns, "Pod", "v1", pname, puid, "Created",
                           "Created container: %s" % container, component="kubelet")
                self.event(ns, "Pod", "v1", pname, puid, "Started",
                           "Started container %s" % container, component="kubelet")
            # Log lines spread over the run.
            nlines = 5
            dur = run_ms if trainer_stage else max(run_ms // 4, 50)
            for k in range(nlines):
                if cancel.wait(dur / 1000.0 / nlines):
                    return
                for (pname, container, rjob, i, count, puid) in pods:
                    st.add_log(ns, pname, container,
                               self._log_line(rjob, i, count, k, nlines, trainer_stage,
                                              fail_idx, oom_idx))
                if progress and trainer_stage:
                    pct = int(100 * (k + 1) / nlines)
                    rem = int(round(dur / 1000.0 * (nlines - k - 1) / nlines))
                    loss = "%.3f" % (1.0 - 0.2 * (k + 1) + 0.1)

                    def prog(o, pct=pct, rem=rem, loss=loss):
                        o.setdefault("status", {})["trainerStatus"] = {
                            "lastUpdatedTime": now_rfc3339(),
                            "progressPercentage": pct, "estimatedRemainingSeconds": rem,
                            "metrics": [{"name": "loss", "value": loss},
                                        {"name": "epoch", "value": str(k + 1)}]}
                    self.update_job(ns, name, prog)
            if cancel.is_set():
                return
            # Terminate pods.
            tend = time.time()
            for (pname, container, rjob, i, count, puid) in pods:
                code, reason = 0, "Completed"
                if trainer_stage and rjob != "launcher" or (trainer_stage and
                                                             rjob == "launcher"):
                    if fail_idx is not None and str(i) == str(fail_idx) and \
                            self._is_node_rjob(plan, rjob):
                        code, reason = 1, "Error"
                    elif oom_idx is not None and str(i) == str(oom_idx) and \
                            self._is_node_rjob(plan, rjob):
                        code, reason = 137, "OOMKilled"

                def term(o, code=code, reason=reason, container=container):
                    o["status"]["phase"] = "Succeeded" if code == 0 else "Failed"
                    for c in o["status"]["conditions"]:
                        if c["type"] == "Ready":
                            c["status"] = "False"
                            c["reason"] = "PodCompleted"
                    cs = o["status"]["containerStatuses"][0]
                    cs.update(ready=False, started=False, state={"terminated": {
                        "exitCode": code, "reason": reason,
                        "startedAt": now_rfc3339(t0), "finishedAt": now_rfc3339(tend),
                        "containerID": "containerd://%064x" % random.getrandbits(256)}})
                self._pod_update(ns, pname, term)
                if code != 0:
                    failed_reason = "FailedJobs"
                    self.event(ns, "Pod", "v1", pname, puid, "Failed" if code == 1 else
                               "OOMKilled", "Container %s terminated: %s (exit code %d)"
                               % (container, reason, code), etype="Warning", component="kubelet")
                else:
                    self.event(ns, "Pod", "v1", pname, puid, "Completed",
                               "Container %s completed" % container, component="kubelet")
            self._set_jobs_status(ns, name, plan, stage,
                                  "failed" if failed_reason else "succeeded")
            if failed_reason:
                break
        if cancel.is_set():
            return

        def finish(o):
            if self._finished(o):
                return False
            if failed_reason:
                self._set_cond(o, "Failed", "True", failed_reason,
                               "jobset failed due to one or more job failures")
            else:
                self._set_cond(o, "Complete", "True", "AllJobsCompleted",
                               "jobset completed successfully")
        self.update_job(ns, name, finish)
        if failed_reason:
            self.event(ns, "JobSet", "jobset.x-k8s.io/v1alpha2", name, str(uuid.uuid4()),
                       "FailedJobs", "jobset failed due to one or more job failures",
                       etype="Warning", component="jobset-controller")
            self.event(ns, "TrainJob", GV, name, juid, "Failed",
                       "TrainJob failed: jobset failed due to one or more job failures",
                       etype="Warning")
        else:
            self.event(ns, "JobSet", "jobset.x-k8s.io/v1alpha2", name, str(uuid.uuid4()),
                       "AllJobsCompleted", "jobset completed successfully",
                       component="jobset-controller")
            self.event(ns, "TrainJob", GV, name, juid, "Completed",
                       "TrainJob completed: jobset completed successfully")

    def _is_node_rjob(self, plan, rjob):
        # Failure switches target the pods of the trainer stage's "node" rjob (rank index).
        return rjob == "node" or not any(p[1] == "node" and p[0] == 1 for p in plan)

    def _log_line(self, rjob, i, count, k, n, trainer_stage, fail_idx, oom_idx):
        if not trainer_stage:
            return ["%s: starting" % rjob, "%s: downloading" % rjob,
                    "%s: 50%% done" % rjob, "%s: 100%% done" % rjob,
                    "%s: done" % rjob][k]
        if k == 0:
            return "rank %d of %d: starting training" % (i, count)
        if k == n - 1:
            if fail_idx is not None and str(i) == str(fail_idx) and rjob == "node":
                return "RuntimeError: simulated failure on node %d" % i
            if oom_idx is not None and str(i) == str(oom_idx) and rjob == "node":
                return "torch.OutOfMemoryError: CUDA out of memory (simulated)"
            return "training complete"
        return "epoch %d loss %.3f" % (k, 1.0 - 0.2 * k + 0.1)

    def _set_jobs_status(self, ns, name, plan, stage, state):
        def f(o):
            js = o.setdefault("status", {}).get("jobsStatus") or []
            byname = {j["name"]: j for j in js}
            for p in plan:
                if p[0] != stage:
                    continue
                j = byname.get(p[1])
                if j is None:
                    j = {"name": p[1]}
                    js.append(j)
                    byname[p[1]] = j
                j.update(ready=0, succeeded=0, failed=0, active=0, suspended=0)
                if state == "active":
                    j["active"] = 1
                    j["ready"] = 1
                elif state == "succeeded":
                    j["succeeded"] = 1
                else:
                    j["failed"] = 1
            o["status"]["jobsStatus"] = js
        self.update_job(ns, name, f)


# ----------------------------------------------------------------------------------------
# Faults.

class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.status5xx = 0
        self.throttle = 0
        self.retry_after = 1
        self.drop_watch = 0
        self.gone = 0
        self.gone_http = 0
        self.slow_ms = 0
        self.truncate = 0
        self.garbage = 0
        self.expire_tokens = False
        self.forbid_create = False
        self.expire_continue = 0
        self.oversize = 0
        self.oversize_gzip = 0
        self.oversize_watch = 0
        self.oversize_bytes = OVERSIZE_BYTES

    def take(self, attr):
        with self.lock:
            v = getattr(self, attr)
            if v > 0:
                setattr(self, attr, v - 1)
                return True
            return False


# ----------------------------------------------------------------------------------------
# HTTP handling.

class ConnState:
    def __init__(self, tls):
        self.tls = tls
        self.counted = False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: without TCP_NODELAY each
    # response waits ~40 ms for the client's delayed ACK
    disable_nagle_algorithm = True
    server_version = "fake-apiserver/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake-apiserver: " + (fmt % args) + "\n")

    # -- plumbing ----------------------------------------------------------------------
    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                line = self.rfile.readline()
                size = int(line.strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
            return data
        return self.rfile.read(n) if n > 0 else b""

    def _accepts_gzip(self):
        return "gzip" in self.headers.get("Accept-Encoding", "")

    def send_bytes(self, code, body, ctype="application/json", headers=None,
                   allow_faults=True, gzipped=None):
        srv = self.server
        if allow_faults and code == 200 and srv.faults.take("oversize"):
            return self._send_oversize(False)
        if allow_faults and code == 200 and srv.faults.take("oversize_gzip"):
            return self._send_oversize(True)
        if allow_faults and code == 200 and srv.faults.take("garbage"):
            body = b'{"kind":"Garbage","items":[{"metadata":{"name":"x"}},' + \
                b'\x00\xff not json at all <<<'
        truncate = allow_faults and srv.faults.take("truncate")
        if gzipped is not None and not truncate:
            body = gzipped
            headers = dict(headers or {}, **{"Content-Encoding": "gzip"})
        elif code == 200 and len(body) > GZIP_MIN and self._accepts_gzip():
            # Like kube-apiserver (APIResponseCompression): gzip large responses.
            body = gzip.compress(body, compresslevel=1)
            headers = dict(headers or {}, **{"Content-Encoding": "gzip"})
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", self.audit_id)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        for w in getattr(self, "warnings", ()):
            self.send_header("Warning", w)
        self.end_headers()
        if truncate:
            self.wfile.write(body[:max(len(body) // 2, 1)] if body else b"")
            self.wfile.flush()
            self._abort()
            return
        if self.command != "HEAD":
            self.wfile.write(body)

    def _oversize_pieces(self, head):
        """head, then oversize_bytes of padding in 1 MiB pieces (generated, never held)."""
        left = int(self.server.faults.oversize_bytes)
        piece = b"x" * (1 << 20)
        yield head
        while left > 0:
            yield piece[:min(left, len(piece))]
            left -= len(piece)

    def _send_oversize(self, gz):
        """A 200 answer whose one item is longer than a client may hold: a TrainJob (list)
        with a name of oversize_bytes bytes, streamed; gz: gzip-compressed as it goes (a
        few hundred KiB on the wire: a decompression bomb) if the client accepts gzip."""
        gz = gz and self._accepts_gzip()
        head = b'{"kind":"TrainJobList","apiVersion":"%s/%s","metadata":{},"items":[' \
            b'{"metadata":{"name":"' % (GROUP.encode(), VERSION.encode())
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Audit-Id", self.audit_id)
        if gz:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
        else:
            size = len(head) + int(self.server.faults.oversize_bytes) + 4
            self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        if gz:
            z = zlib.compressobj(1, zlib.DEFLATED, 31)   # 31: a gzip header
            for p in self._oversize_pieces(head):
                self.write_chunk(z.compress(p))
            self.write_chunk(z.compress(b'"}}]}') + z.flush())
            self.end_chunked()
        else:
            for p in self._oversize_pieces(head):
                self.wfile.write(p)
            self.wfile.write(b'"}}]}')

    def _abort(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def send_obj(self, code, obj, headers=None):
        self.send_bytes(code, obj if isinstance(obj, bytes) else dumps(obj), headers=headers)

    def send_error_obj(self, err):
        self.send_bytes(err.code, dumps(err.body), headers=err.headers, allow_faults=False)

    def start_chunked(self, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", self.audit_id)
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, data):
        if not data:
            return
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # -- dispatch ----------------------------------------------------------------------
    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_PATCH(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def do_HEAD(self):
        self._handle()

    def _handle(self):
        srv = self.server
        self.audit_id = str(uuid.uuid4())
        self.warnings = []
        u = urllib.parse.urlsplit(self.path)
        self.rawpath = u.path
        self.query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        self.rawquery = u.query
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        self.body = body
        path = u.path
        cs = getattr(srv.local, "state", None)
        if path.startswith("/_fake/"):
            try:
                self._control(path, body)
            except ApiError as e:
                self.send_error_obj(e)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            return
        with srv.stats_lock:
            srv.stats["requests"] += 1
            if cs is not None and not cs.counted:
                cs.counted = True
                srv.stats["connections"] += 1
                if cs.tls:
                    srv.stats["tlsHandshakes"] += 1
        srv.record(self.command, path, u.query, self.headers, body)
        try:
            if srv.faults.slow_ms:
                time.sleep(srv.faults.slow_ms / 1000.0)
            self._auth()
            if srv.faults.take("status5xx"):
                raise ApiError(503, "ServiceUnavailable",
                               "the server is currently unable to handle the request")
            if srv.faults.take("throttle"):
                ra = int(srv.faults.retry_after)
                raise ApiError(429, "TooManyRequests",
                               "Too many requests, please try again later.",
                               {"retryAfterSeconds": ra}, {"Retry-After": str(ra)})
            self._route(path)
        except ApiError as e:
            try:
                self.send_error_obj(e)
            except OSError:
                self.close_connection = True
        except (OSError, ssl.SSLError):  # the client went away mid-answer
            self.close_connection = True
        except Exception as ex:
            import traceback
            traceback.print_exc()
            try:
                self.send_error_obj(ApiError(500, "InternalError",
                                             "Internal error occurred: %r" % ex))
            except OSError:
                self.close_connection = True

    def _auth(self):
        srv = self.server
        authz = self.headers.get("Authorization", "")
        with srv.auth_lock:
            tokens, basic = srv.tokens, srv.basic
        if authz.startswith("Bearer ") and authz[7:].strip() in tokens:
            self.user = "token-user"
            return
        if authz.startswith("Basic "):
            try:
                up = base64.b64decode(authz[6:]).decode()
            except Exception:
                up = ""
            if up in basic:
                self.user = up.split(":")[0]
                return
        if getattr(self.connection, "getpeercert", None):
            try:
                cert = self.connection.getpeercert()
            except (ValueError, OSError):
                cert = None
            if cert:
                cn = ""
                for rdn in cert.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            cn = v
                self.user = cn or "cert-user"
                return
        raise ApiError(401, "Unauthorized", "Unauthorized")

    def qget(self, key, default=None):
        v = self.query.get(key)
        return v[-1] if v else default

    def _route(self, path):
        p = [x for x in path.split("/") if x]
        m = self.command
        if path in ("/version", "/version/"):
            return self.send_obj(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.4",
                                       "gitCommit": "fake", "gitTreeState": "clean",
                                       "buildDate": "2026-01-01T00:00:00Z",
                                       "goVersion": "go1.23", "compiler": "gc",
                                       "platform": "linux/amd64"})
        if path in ("/healthz", "/readyz", "/livez"):
            return self.send_bytes(200, b"ok", "text/plain")
        if p == ["api"]:
            return self.send_obj(200, {"kind": "APIVersions", "versions": ["v1"],
                                       "serverAddressByClientCIDRs": [{
                                           "clientCIDR": "0.0.0.0/0",
                                           "serverAddress": "127.0.0.1:%d" %
                                           self.server.port}]})
        if p == ["api", "v1"]:
            return self.send_obj(200, core_resource_list())
        if p == ["apis"]:
            return self.send_obj(200, api_group_list())
        if p == ["apis", GROUP]:
            return self.send_obj(200, api_group())
        if p == ["apis", GROUP, VERSION]:
            return self.send_obj(200, trainer_resource_list())
        if p == ["openapi", "v3"]:
            return self.send_obj(200, {"paths": {
                "apis/" + GV: {"serverRelativeURL": "/openapi/v3/apis/%s?hash=%s" %
                               (GV, OPENAPI_HASH)}}})
        if p == ["openapi", "v3", "apis", GROUP, VERSION]:
            return self.send_obj(200, openapi_v3_trainer())
        if p and p[0] in ("openapi", "swagger.json", "swaggerapi"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource",
                           {})
        # /api/v1/...
        if len(p) >= 3 and p[0] == "api" and p[1] == "v1":
            return self._resource_path(p[2:], core=True)
        if len(p) >= 4 and p[0] == "apis" and p[1] == GROUP and p[2] == VERSION:
            return self._resource_path(p[3:], core=False)
        if len(p) >= 4 and p[0] == "apis" and "/".join(p[1:3]) == V1_GV and \
                p[3] == "namespaces" and len(p) >= 6 and p[5] in V1_KINDS:
            return self._resource_path(p[3:], core=False)
        raise ApiError(404, "NotFound", "the server could not find the requested resource",
                       {})

    def _resource_path(self, rest, core):
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            ns = rest[1]
            rest = rest[2:]
        elif rest[0] == "namespaces" and core:
            # /api/v1/namespaces[/name]
            return self._namespaces(rest[1] if len(rest) > 1 else None)
        res = rest[0]
        core_res = {"pods", "events", "configmaps"}
        grp_res = {"trainjobs", "trainingruntimes", "clustertrainingruntimes"}
        if not core and res in V1_KINDS and self.path.split("?")[0].startswith("/apis/" + V1_GV):
            grp_res = set(V1_KINDS)
        if (core and res not in core_res) or (not core and res not in grp_res):
            raise ApiError(404, "NotFound", "the server could not find the requested resource",
                           {})
        namespaced = RESOURCES[res][2]
        if ns is not None and not namespaced:
            raise ApiError(404, "NotFound", "the server could not find the requested resource",
                           {})
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if len(rest) > 3:
            raise ApiError(404, "NotFound", "the server could not find the requested resource",
                           {})
        if name is None:
            if self.command == "GET":
                if self.qget("watch") in ("1", "true", "True"):
                    return self._watch(res, ns)
                return self._list(res, ns)
            if self.command == "POST":
                if namespaced and ns is None:
                    raise ApiError(405, "MethodNotAllowed",
                                   "the server does not allow this method on the requested "
                                   "resource")
                return self._create(res, ns)
            if self.command == "DELETE":
                return self._delete_collection(res, ns)
            raise ApiError(405, "MethodNotAllowed",
                           "the server does not allow this method on the requested resource")
        if namespaced and ns is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource",
                           {})
        if sub is None:
            if self.command in ("GET", "HEAD"):
                return self._get(res, ns, name)
            if self.command == "DELETE":
                return self._delete(res, ns, name)
            if self.command == "PUT":
                return self._update(res, ns, name, status=False)
            if self.command == "PATCH":
                return self._patch(res, ns, name, status=False)
        elif sub == "status" and res == "trainjobs":
            if self.command == "GET":
                return self._get(res, ns, name)
            if self.command == "PUT":
                return self._update(res, ns, name, status=True)
            if self.command == "PATCH":
                return self._patch(res, ns, name, status=True)
            if self.command == "POST":
                return self._progress_post(ns, name)
        elif sub == "log" and res == "pods" and self.command == "GET":
            return self._log(ns, name)
        raise ApiError(405 if sub in ("status", "log") else 404,
                       "MethodNotAllowed" if sub in ("status", "log") else "NotFound",
                       "the server does not allow this method on the requested resource"
                       if sub in ("status", "log") else
                       "the server could not find the requested resource", {})

    # -- namespaces ----------------------------------------------------------------------
    def _namespaces(self, name):
        st = self.server.store
        if self.command != "GET":
            raise ApiError(405, "MethodNotAllowed",
                           "the server does not allow this method on the requested resource")
        with st.lock:
            names = {"default", "kube-system", "kubeflow-system"}
            for res in ("trainjobs", "pods", "trainingruntimes"):
                for (ns, _) in st.objs[res].keys():
                    names.add(ns)
        def nsobj(n):
            return {"kind": "Namespace", "apiVersion": "v1",
                    "metadata": {"name": n, "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, n)),
                                 "resourceVersion": "1",
                                 "creationTimestamp": "2026-01-01T00:00:00Z"},
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
        if name is None:
            return self.send_obj(200, {"kind": "NamespaceList", "apiVersion": "v1",
                                       "metadata": {"resourceVersion": str(st.rv)},
                                       "items": [nsobj(n) for n in sorted(names)]})
        return self.send_obj(200, nsobj(name))

    # -- generic CRUD --------------------------------------------------------------------
    def _selectors(self):
        try:
            return (parse_label_selector(self.qget("labelSelector", "")),
                    parse_field_selector(self.qget("fieldSelector", "")))
        except SelectorError as e:
            raise ApiError(400, "BadRequest", str(e))

    def _list(self, res, ns):
        st = self.server.store
        api, kind, namespaced, _ = RESOURCES[res]
        lp, fp = self._selectors()
        limit = int(self.qget("limit", "0") or 0)
        cont = self.qget("continue", "")
        start_key = None
        if cont:
            # like kube-apiserver's: the list's resourceVersion and the last key; a
            # token older than the compacted history is 410 Expired
            try:
                tok = json.loads(base64.urlsafe_b64decode(cont.encode()))
                tok_rv, start_key = int(tok["rv"]), tuple(tok["start"])
            except Exception:
                raise ApiError(400, "BadRequest", "continue key is not valid")
            if tok_rv < st.floor or self.server.faults.take("expire_continue"):
                raise ApiError(410, "Expired",
                               "The provided continue parameter is too old to display a "
                               "consistent list result. You can start a new list without the "
                               "continue parameter, or use the continue token in this response "
                               "to retrieve the remainder of the results. Continuing with the "
                               "provided token results in an inconsistent list - objects that "
                               "were created, modified, or deleted between the time the first "
                               "chunk was returned and now may show up in the list.")
        table = self._wants_table()
        gz = self._accepts_gzip()
        ckey = (res, ns, self.rawquery, table, gz)
        with st.lock:
            rv = st.rv
            cache = self.server.list_cache
            if cache.get("rv") != rv:
                cache.clear()
                cache["rv"] = rv
            hit = cache.get(ckey)
        if hit is not None:
            # Nothing changed since an identical LIST: serve the same bytes (fast 10k lists).
            return self.send_bytes(200, hit[0], gzipped=hit[1])
        with st.lock:
            rv = st.rv
            items = st.objs[res]
            keys = sorted(k for k in items if ns is None or k[0] == ns)
            if start_key is not None:
                keys = keys[bisect.bisect_right(keys, start_key):]
            out = []
            last = None
            remaining = 0
            for i, k in enumerate(keys):
                e = items[k]
                if (lp or fp) and not matches(e.obj, lp, fp):
                    continue
                if limit and len(out) >= limit:
                    remaining = sum(1 for kk in keys[i:]
                                    if not (lp or fp) or matches(items[kk].obj, lp, fp))
                    break
                out.append(e)
                last = k
            parts = [e.bytes() for e in out]
        if table:
            body = self._table_bytes(res, [json.loads(b) for b in parts], rv)
        else:
            md = {"resourceVersion": str(rv)}
            if remaining and last is not None:
                md["continue"] = base64.urlsafe_b64encode(
                    json.dumps({"rv": rv, "start": list(last)}).encode()).decode()
                md["remainingItemCount"] = remaining
            head = dumps({"apiVersion": api, "kind": kind + "List", "metadata": md})
            body = head[:-1] + b',"items":[' + b",".join(parts) + b"]}"
        zbody = gzip.compress(body, compresslevel=1) if gz and len(body) > GZIP_MIN else None
        with st.lock:
            if self.server.list_cache.get("rv") == rv:
                self.server.list_cache[ckey] = (body, zbody)
        self.send_bytes(200, body, gzipped=zbody)

    def _wants_table(self):
        return "as=Table" in self.headers.get("Accept", "")

    def _send_table(self, res, objs, rv):
        self.send_obj(200, self._table_bytes(res, objs, rv))

    def _table_bytes(self, res, objs, rv):
        cols = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
                 "description": "Name must be unique within a namespace."}]
        if res == "trainjobs":
            cols.append({"name": "State", "type": "string", "format": "", "priority": 0,
                         "description": "TrainJob state"})
        if res == "pods":
            cols.append({"name": "Status", "type": "string", "format": "", "priority": 0,
                         "description": "Pod phase"})
        cols.append({"name": "Age", "type": "date", "format": "", "priority": 0,
                     "description": "creation time"})
        rows = []
        for o in objs:
            md = o.get("metadata", {})
            cells = [md.get("name")]
            if res == "trainjobs":
                conds = (o.get("status") or {}).get("conditions") or []
                cells.append(conds[-1]["type"] if conds else None)
            if res == "pods":
                cells.append((o.get("status") or {}).get("phase"))
            cells.append(human_age(md.get("creationTimestamp")))
            rows.append({"cells": cells, "object": {
                "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": md}})
        return dumps({"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                      "metadata": {"resourceVersion": str(rv)},
                      "columnDefinitions": cols, "rows": rows})

    def _get(self, res, ns, name):
        st = self.server.store
        if res == "configmaps" and ns == "kubeflow-system" and \
                name == "kubeflow-trainer-public":
            if self.server.trainer_version is None:
                raise not_found(res, name)
        with st.lock:
            e = st.get(res, ns, name)
            b = e.bytes() if e else None
        if b is None:
            raise not_found(res, name)
        if self._wants_table():
            return self._send_table(res, [json.loads(b)], st.rv)
        self.send_obj(200, b)

    def _parse_body(self, res):
        ctype = self.headers.get("Content-Type", "application/json").split(";")[0].strip()
        if ctype not in ("application/json", "", "application/merge-patch+json",
                         "application/json-patch+json"):
            raise ApiError(415, "UnsupportedMediaType",
                           'the body of the request was in an unknown format - accepted '
                           'media types include: application/json, application/yaml, '
                           'application/vnd.kubernetes.protobuf')
        try:
            obj = json.loads(self.body.decode() or "null")
        except (ValueError, UnicodeDecodeError) as e:
            raise ApiError(400, "BadRequest",
                           "the object provided is unrecognized (%s)" % e)
        return obj

    def _check_kind(self, res, obj):
        api, kind, _, _ = RESOURCES[res]
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "the object provided is unrecognized")
        if obj.get("kind") not in (None, kind) or obj.get("apiVersion") not in (None, api):
            raise ApiError(400, "BadRequest",
                           "the API version in the data (%s) does not match the expected "
                           "API version (%s)" % (obj.get("apiVersion"), api))
        if not isinstance(obj.get("metadata", {}), dict):
            raise ApiError(400, "BadRequest", "metadata must be an object")

    def _validate(self, res, obj, name):
        causes = []
        if not name:
            causes.append({"reason": "FieldValueRequired",
                           "message": "Required value: name or generateName is required",
                           "field": "metadata.name"})
            raise invalid(res, "", causes)
        if res in ("trainjobs", "trainingruntimes", "clustertrainingruntimes"):
            if res == "trainjobs":
                if len(name) > 63:
                    causes.append({"reason": "FieldValueInvalid",
                                   "message": "Invalid value: \"%s\": metadata.name must be no "
                                   "more than 63 characters" % name,
                                   "field": "metadata.name"})
                elif not RFC1035.match(name):
                    causes.append({"reason": "FieldValueInvalid",
                                   "message": "Invalid value: \"%s\": metadata.name must match "
                                   "RFC 1035 DNS label format" % name,
                                   "field": "metadata.name"})
                spec = obj.get("spec")
                if not isinstance(spec, dict):
                    causes.append({"reason": "FieldValueRequired", "message": "Required value",
                                   "field": "spec"})
                else:
                    rr = spec.get("runtimeRef")
                    if not isinstance(rr, dict):
                        causes.append({"reason": "FieldValueRequired",
                                       "message": "Required value", "field": "spec.runtimeRef"})
                    elif not rr.get("name"):
                        causes.append({"reason": "FieldValueRequired",
                                       "message": "Required value",
                                       "field": "spec.runtimeRef.name"})
                    tr = spec.get("trainer")
                    if isinstance(tr, dict) and "numNodes" in tr:
                        if not isinstance(tr["numNodes"], int) or tr["numNodes"] < 0:
                            causes.append({"reason": "FieldValueInvalid",
                                           "message": "Invalid value: %s: spec.trainer.numNodes "
                                           "in body should be greater than or equal to 0"
                                           % json.dumps(tr["numNodes"]),
                                           "field": "spec.trainer.numNodes"})
                    if isinstance(tr, dict) and "numProcPerNode" in tr and \
                            schema_minor(self.server.trainer_version) >= 2 and \
                            (not isinstance(tr["numProcPerNode"], int) or
                             isinstance(tr["numProcPerNode"], bool)):
                        causes.append({"reason": "FieldValueTypeInvalid",
                                       "message": "Invalid value: \"%s\": "
                                       "spec.trainer.numProcPerNode in body must be of type "
                                       "integer: \"%s\"" % (
                                           type(tr["numProcPerNode"]).__name__,
                                           type(tr["numProcPerNode"]).__name__),
                                       "field": "spec.trainer.numProcPerNode"})
                    if "suspend" in spec and not isinstance(spec["suspend"], bool):
                        causes.append({"reason": "FieldValueTypeInvalid",
                                       "message": "Invalid value: \"%s\": spec.suspend in body "
                                       "must be of type boolean" % type(spec["suspend"]).__name__,
                                       "field": "spec.suspend"})
            elif not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", name) or len(name) > 253:
                causes.append({"reason": "FieldValueInvalid",
                               "message": "Invalid value: \"%s\": a lowercase RFC 1123 "
                               "subdomain must consist of lower case alphanumeric characters, "
                               "'-' or '.', and must start and end with an alphanumeric "
                               "character" % name, "field": "metadata.name"})
        if causes:
            raise invalid(res, name, causes)

    def _field_validation(self, obj):
        """Unknown fields: pruned with a Warning header (default fieldValidation=Warn),
        rejected with fieldValidation=Strict, pruned silently with Ignore."""
        mode = self.qget("fieldValidation") or "Warn"
        if mode not in ("Strict", "Warn", "Ignore"):
            raise ApiError(400, "BadRequest", 'fieldValidation must be one of "Ignore", '
                           '"Warn", or "Strict", got "%s"' % mode)
        unknown = unknown_trainjob_fields(obj, schema_minor(self.server.trainer_version))
        if not unknown:
            return
        if mode == "Strict":
            raise ApiError(400, "BadRequest",
                           'TrainJob in version "v1alpha1" cannot be handled as a TrainJob: '
                           'strict decoding error: ' +
                           ", ".join('unknown field "%s"' % u for u in unknown))
        if mode == "Warn":
            for u in unknown:
                self.warnings.append('299 - "unknown field \\"%s\\""' % u)

    def _create(self, res, ns):
        srv = self.server
        st = srv.store
        if res == "pods":
            raise ApiError(405, "MethodNotAllowed", "pods are created by the fake controller")
        obj = self._parse_body(res)
        self._check_kind(res, obj)
        api, kind, namespaced, qual = RESOURCES[res]
        if res == "trainjobs" and srv.faults.forbid_create:
            raise ApiError(403, "Forbidden",
                           'trainjobs.trainer.kubeflow.org is forbidden: User "%s" cannot '
                           'create resource "trainjobs" in API group "trainer.kubeflow.org" in '
                           'the namespace "%s"' % (getattr(self, "user", "user"), ns),
                           {"group": GROUP, "kind": "trainjobs"})
        obj = copy.deepcopy(obj)
        obj["apiVersion"], obj["kind"] = api, kind
        md = obj.setdefault("metadata", {})
        if md.get("namespace") and ns and md["namespace"] != ns:
            raise ApiError(400, "BadRequest", "the namespace of the provided object does not "
                           "match the namespace sent on the request")
        name = md.get("name")
        if not name and md.get("generateName"):
            name = md["generateName"] + rand5()
            md["name"] = name
        if res == "trainjobs":
            self._field_validation(obj)
        self._validate(res, obj, name)
        dry = "All" in self.query.get("dryRun", [])
        if res == "trainjobs":
            self._admission(ns, obj)
        with st.lock:
            if st.get(res, ns, name) is not None:
                raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (qual, name),
                               {"name": name, "group": GROUP if "." in qual else "",
                                "kind": res} if "." in qual else {"name": name, "kind": res})
            obj["metadata"] = new_meta(md, ns if namespaced else None)
            obj["metadata"].pop("resourceVersion", None)
            if res in ("trainjobs", "trainingruntimes", "clustertrainingruntimes"):
                obj["metadata"]["generation"] = 1
            if res == "trainjobs":
                spec = obj.setdefault("spec", {})
                rr = spec.setdefault("runtimeRef", {})
                rr.setdefault("apiGroup", GROUP)
                rr.setdefault("kind", "ClusterTrainingRuntime")
                spec.setdefault("managedBy", "trainer.kubeflow.org/trainjob-controller")
                spec.setdefault("suspend", False)
                obj["status"] = {}
                obj.pop("status")
            if dry:
                out = obj
                b = dumps(out)
            else:
                e = st.put(res, obj, "ADDED")
                b = e.bytes()
        self.send_obj(201, b)
        if res == "trainjobs" and not dry:
            srv.controller.on_created(ns, name)

    def _admission(self, ns, obj):
        """The Trainer validating webhook: the referenced runtime must exist."""
        st = self.server.store
        rr = obj["spec"]["runtimeRef"]
        kind = rr.get("kind") or "ClusterTrainingRuntime"
        grp = rr.get("apiGroup") or GROUP
        if grp != GROUP or kind not in ("ClusterTrainingRuntime", "TrainingRuntime"):
            raise ApiError(403, "Forbidden",
                           'admission webhook "validator.trainjob.trainer.kubeflow.org" denied '
                           'the request: spec.runtimeRef: Invalid value: "%s": unsupported '
                           'runtime: %s.%s' % (rr.get("name"), kind, grp))
        with st.lock:
            if kind == "TrainingRuntime":
                e = st.get("trainingruntimes", ns, rr["name"])
            else:
                e = st.get("clustertrainingruntimes", "", rr["name"])
        if e is None:
            which = "trainingRuntime" if kind == "TrainingRuntime" else \
                "clusterTrainingRuntime"
            raise ApiError(403, "Forbidden",
                           'admission webhook "validator.trainjob.trainer.kubeflow.org" denied '
                           'the request: spec.runtimeRef: Not found: "specified %s must be '
                           'created before the TrainJob is created"' % which)

    def _delete(self, res, ns, name):
        srv = self.server
        st = srv.store
        qual = RESOURCES[res][3]
        dry = "All" in self.query.get("dryRun", [])
        opts = {}
        if self.body:
            try:
                opts = json.loads(self.body.decode()) or {}
            except ValueError:
                raise ApiError(400, "BadRequest", "invalid DeleteOptions body")
        pp = self.qget("propagationPolicy") or opts.get("propagationPolicy")
        if pp and pp not in ("Foreground", "Background", "Orphan"):
            raise ApiError(400, "BadRequest", 'DeleteOptions.meta.k8s.io "" is invalid: '
                           'propagationPolicy: Unsupported value: "%s": supported values: '
                           '"Foreground", "Background", "Orphan"' % pp)
        with st.lock:
            e = st.get(res, ns, name)
            if e is None:
                raise not_found(res, name)
            if dry:
                b = e.bytes()
            else:
                de = st.delete(res, ns, name)
                b = de.bytes()
        if res == "trainjobs" and not dry and pp != "Orphan":
            srv.controller.on_deleted(ns, name)
        elif res == "trainjobs" and not dry:
            srv.controller._cancel(ns, name)
        self.send_obj(200, b)

    def _delete_collection(self, res, ns):
        st = self.server.store
        lp, fp = self._selectors()
        api, kind, _, _ = RESOURCES[res]
        with st.lock:
            keys = [k for k, e in st.objs[res].items()
                    if (ns is None or k[0] == ns) and matches(e.obj, lp, fp)]
            out = []
            for k in keys:
                de = st.delete(res, k[0], k[1])
                out.append(de.bytes())
        if res == "trainjobs":
            for k in keys:
                self.server.controller.on_deleted(k[0], k[1])
        head = dumps({"apiVersion": api, "kind": kind + "List",
                      "metadata": {"resourceVersion": str(st.rv)}})
        self.send_obj(200, head[:-1] + b',"items":[' + b",".join(out) + b"]}")

    def _store_update(self, res, ns, name, newobj, status):
        """Common tail of PUT/PATCH. newobj is the full desired object."""
        srv = self.server
        st = srv.store
        qual = RESOURCES[res][3]
        api, kind, _, _ = RESOURCES[res]
        dry = "All" in self.query.get("dryRun", [])
        with st.lock:
            e = st.get(res, ns, name)
            if e is None:
                raise not_found(res, name)
            old = e.obj
            want_rv = (newobj.get("metadata") or {}).get("resourceVersion")
            if want_rv and want_rv != old["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict",
                               'Operation cannot be fulfilled on %s "%s": the object has been '
                               'modified; please apply your changes to the latest version and '
                               'try again' % (qual, name),
                               {"name": name, "group": GROUP, "kind": res})
            obj = copy.deepcopy(old)
            if status:
                obj["status"] = copy.deepcopy(newobj.get("status") or {})
            else:
                nmd = newobj.get("metadata") or {}
                for k in ("labels", "annotations", "finalizers", "ownerReferences"):
                    if k in nmd:
                        obj["metadata"][k] = copy.deepcopy(nmd[k])
                    elif self.command == "PUT":
                        obj["metadata"].pop(k, None)
                for k, v in newobj.items():
                    if k not in ("metadata", "status", "apiVersion", "kind"):
                        obj[k] = copy.deepcopy(v)
                if self.command == "PUT":
                    for k in list(obj.keys()):
                        if k not in newobj and k not in ("metadata", "status", "apiVersion",
                                                         "kind"):
                            del obj[k]
                if res == "trainjobs":
                    self._field_validation(obj)
                    self._validate(res, obj, name)
                    ospec, nspec = old.get("spec") or {}, obj.get("spec") or {}
                    for fld in ("runtimeRef", "trainer", "initializer", "managedBy"):
                        if json.dumps(ospec.get(fld), sort_keys=True) != \
                                json.dumps(nspec.get(fld), sort_keys=True):
                            raise invalid(res, name, [{
                                "reason": "FieldValueInvalid",
                                "message": "Invalid value: \"object\": field is immutable",
                                "field": "spec." + fld}])
                if json.dumps(old.get("spec"), sort_keys=True) != \
                        json.dumps(obj.get("spec"), sort_keys=True):
                    obj["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
            if dry:
                b = dumps(obj)
            else:
                b = st.put(res, obj, "MODIFIED").bytes()
        self.send_obj(200, b)
        if res == "trainjobs" and not dry and not status:
            srv.controller.on_updated(ns, name)

    def _update(self, res, ns, name, status):
        obj = self._parse_body(res)
        self._check_kind(res, obj)
        if (obj.get("metadata") or {}).get("name") not in (None, name):
            raise ApiError(400, "BadRequest", "the name of the object (%s) does not match the "
                           "name on the URL (%s)" % (obj["metadata"]["name"], name))
        self._store_update(res, ns, name, obj, status)

    def _patch(self, res, ns, name, status):
        st = self.server.store
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype not in ("application/merge-patch+json", "application/json-patch+json"):
            raise ApiError(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media "
                           "types include: application/json-patch+json, "
                           "application/merge-patch+json, application/apply-patch+yaml")
        patch = self._parse_body(res)
        with st.lock:
            e = st.get(res, ns, name)
            if e is None:
                raise not_found(res, name)
            cur = copy.deepcopy(e.obj)
        if ctype == "application/merge-patch+json":
            if not isinstance(patch, dict):
                raise ApiError(400, "BadRequest", "merge patch must be a JSON object")
            new = merge_patch(cur, patch)
        else:
            try:
                new = json_patch(cur, patch)
            except (KeyError, IndexError, ValueError, TypeError) as ex:
                raise ApiError(422, "Invalid", "the server rejected our request due to an "
                               "error in our request: json patch: %s" % ex)
        if "resourceVersion" not in ((patch if isinstance(patch, dict) else {})
                                     .get("metadata") or {}):
            new.setdefault("metadata", {}).pop("resourceVersion", None)
        self._store_update(res, ns, name, new, status)

    def _progress_post(self, ns, name):
        """KEP-2779 progress protocol: POST {"trainerStatus": {...}} to the status URL."""
        body = self._parse_body("trainjobs")
        if not isinstance(body, dict) or not isinstance(body.get("trainerStatus"), dict):
            raise ApiError(400, "BadRequest", "body must be {\"trainerStatus\": {...}}")
        ts = body["trainerStatus"]
        if not ts.get("lastUpdatedTime"):
            raise invalid("trainjobs", name, [{
                "reason": "FieldValueInvalid",
                "message": "Invalid value: \"object\": lastUpdatedTime is required when "
                "trainerStatus is present", "field": "status.trainerStatus"}])

        def f(o):
            o.setdefault("status", {})["trainerStatus"] = ts
        obj = self.server.controller.update_job(ns, name, f)
        if obj is None:
            raise not_found("trainjobs", name)
        self.send_obj(200, obj)

    # -- watch -------------------------------------------------------------------------
    def _watch(self, res, ns):
        srv = self.server
        st = srv.store
        lp, fp = self._selectors()
        rvq = self.qget("resourceVersion", "")
        bookmarks = self.qget("allowWatchBookmarks") in ("1", "true", "True")
        try:
            timeout = float(self.qget("timeoutSeconds", "0") or 0)
        except ValueError:
            raise ApiError(400, "BadRequest", "invalid timeoutSeconds")
        if srv.faults.take("gone_http"):
            raise ApiError(410, "Expired", "too old resource version: %s (%d)" %
                           (rvq or "0", st.rv))
        api, kind, _, _ = RESOURCES[res]
        gone = srv.faults.take("gone")
        initial = []
        with st.lock:
            if rvq in ("", "0"):
                for k in sorted(st.objs[res]):
                    if ns is not None and k[0] != ns:
                        continue
                    e = st.objs[res][k]
                    if matches(e.obj, lp, fp):
                        initial.append(e.bytes())
                cursor = st.rv
            else:
                try:
                    cursor = int(rvq)
                except ValueError:
                    raise ApiError(400, "BadRequest", "invalid resourceVersion %r" % rvq)
                if cursor < st.floor:
                    gone = True
            cur_rv = st.rv
        self.start_chunked("application/json")
        if gone:
            ev = {"type": "ERROR", "object": status_body(
                410, "Expired", "too old resource version: %s (%d)" % (rvq or "0", cur_rv))}
            self.write_chunk(dumps(ev) + b"\n")
            self.end_chunked()
            return
        table = self._wants_table()
        if table:  # kubectl get -w: every event object is a one-row Table
            initial = [self._table_bytes(res, [json.loads(b)], cur_rv) for b in initial]
        for b in initial:
            self.write_chunk(b'{"type":"ADDED","object":' + b + b"}\n")
        if srv.faults.take("oversize_watch"):  # one event line longer than a client holds
            for p in self._oversize_pieces(b'{"type":"ADDED","object":{"metadata":{"name":"'):
                self.write_chunk(p)
            self.write_chunk(b'"}}}\n')
            self.end_chunked()
            return
        if srv.faults.take("drop_watch"):
            self._abort()
            return
        start = time.time()
        last_bm = start
        while True:
            now = time.time()
            if timeout and now - start >= timeout:
                break
            waits = [1.0]
            if timeout:
                waits.append(timeout - (now - start))
            if bookmarks:
                waits.append(srv.bookmark_ms / 1000.0 - (now - last_bm))
            with st.lock:
                evs = st.events_after(cursor)
                if not evs:
                    st.cond.wait(max(min(waits), 0.001))
                    evs = st.events_after(cursor)
                floor = st.floor
            if cursor < floor:
                ev = {"type": "ERROR", "object": status_body(
                    410, "Expired", "too old resource version: %d (%d)" % (cursor, floor))}
                self.write_chunk(dumps(ev) + b"\n")
                break
            out = []
            for (erv, (etype, eres, ens, b, obj)) in evs:
                cursor = erv
                if eres != res or (ns is not None and ens != ns):
                    continue
                if (lp or fp) and not matches(obj, lp, fp):
                    continue
                if table:
                    b = self._table_bytes(res, [obj], erv)
                out.append(b'{"type":"' + etype.encode() + b'","object":' + b + b"}\n")
            if out:
                self.write_chunk(b"".join(out))
            if bookmarks and time.time() - last_bm >= srv.bookmark_ms / 1000.0:
                last_bm = time.time()
                bm = {"type": "BOOKMARK", "object": {
                    "kind": kind, "apiVersion": api,
                    "metadata": {"resourceVersion": str(cursor),
                                 "annotations": {"k8s.io/initial-events-end": "true"}
                                 if False else {}}}}
                self.write_chunk(dumps(bm) + b"\n")
        self.end_chunked()

    # -- logs --------------------------------------------------------------------------
    def _log(self, ns, name):
        st = self.server.store
        with st.lock:
            e = st.get("pods", ns, name)
            if e is None:
                raise not_found("pods", name)
            pod = e.obj
        conts = [c["name"] for c in pod["spec"]["containers"]]
        container = self.qget("container") or None
        if container is None:
            if len(conts) != 1:
                raise ApiError(400, "BadRequest", "a container name must be specified for pod "
                               "%s, choose one of: [%s]" % (name, " ".join(conts)))
            container = conts[0]
        if container not in conts:
            raise ApiError(400, "BadRequest", "container %s is not valid for pod %s"
                           % (container, name))
        if pod["status"]["phase"] == "Pending":
            raise ApiError(400, "BadRequest", 'container "%s" in pod "%s" is waiting to start:'
                           ' ContainerCreating' % (container, name))
        follow = self.qget("follow") in ("1", "true", "True")
        stamps = self.qget("timestamps") in ("1", "true", "True")
        tail = self.qget("tailLines")
        since = self.qget("sinceSeconds")
        since_t = None
        if since:
            try:
                since_t = time.time() - int(since)
            except ValueError:
                raise ApiError(400, "BadRequest", "invalid sinceSeconds")
        with st.lock:
            lines = list(st.logs.get((ns, name), {}).get(container, []))
        sel = [x for x in lines if since_t is None or x[0] >= since_t]
        if tail is not None:
            try:
                n = int(tail)
            except ValueError:
                raise ApiError(400, "BadRequest", "invalid tailLines")
            sel = sel[-n:] if n > 0 else []

        limit_bytes = self.qget("limitBytes")

        def fmt(items):
            out = fmt_all(items)
            if limit_bytes:
                out = out[:int(limit_bytes)]
            return out

        def fmt_all(items):
            return b"".join(((now_rfc3339nano(t) + " ") if stamps else "").encode() +
                            line.encode() + b"\n" for (t, line) in items)
        if not follow:
            return self.send_bytes(200, fmt(sel), "text/plain")
        self.start_chunked("text/plain")
        self.write_chunk(fmt_all(sel))
        pos = len(lines)
        while True:
            with st.lock:
                cur = st.logs.get((ns, name), {}).get(container, [])
                e = st.get("pods", ns, name)
                done = e is None or e.obj["status"]["phase"] in ("Succeeded", "Failed")
                if len(cur) <= pos and not done:
                    st.cond.wait(1.0)
                    cur = st.logs.get((ns, name), {}).get(container, [])
                    e = st.get("pods", ns, name)
                    done = e is None or e.obj["status"]["phase"] in ("Succeeded", "Failed")
                new = cur[pos:]
                pos = len(cur)
            if new:
                self.write_chunk(fmt_all(new))
            if done:
                break
        self.end_chunked()

    # -- control API -------------------------------------------------------------------
    def _control(self, path, body):
        srv = self.server
        st = srv.store
        try:
            data = json.loads(body.decode() or "{}") if body else {}
        except ValueError:
            raise ApiError(400, "BadRequest", "control body must be JSON")
        m = self.command
        if path == "/_fake/faults" and m == "POST":
            f = srv.faults
            with f.lock:
                keymap = {"status5xx": "status5xx", "throttle": "throttle",
                          "retryAfter": "retry_after", "dropWatch": "drop_watch",
                          "gone": "gone", "goneHttp": "gone_http", "slowMs": "slow_ms",
                          "truncate": "truncate", "garbage": "garbage",
                          "expireTokens": "expire_tokens", "forbidCreate": "forbid_create",
                          "expireContinue": "expire_continue", "oversize": "oversize",
                          "oversizeGzip": "oversize_gzip", "oversizeWatch": "oversize_watch",
                          "oversizeBytes": "oversize_bytes"}
                for k in data:
                    if k not in keymap:
                        raise ApiError(400, "BadRequest", "unknown fault %r" % k)
                for k, v in data.items():
                    setattr(f, keymap[k], v)
            if "expireTokens" in data:
                srv.expire_credentials(bool(data["expireTokens"]))
            return self.send_bytes(200, dumps(self._faults_json()), allow_faults=False)
        if path == "/_fake/faults" and m == "GET":
            return self.send_bytes(200, dumps(self._faults_json()), allow_faults=False)
        if path == "/_fake/tokens" and m == "POST":
            tok = data.get("token")
            basic = data.get("basic")
            if not tok and not basic and not data.get("revoke"):
                raise ApiError(400, "BadRequest", "token, basic (user:password) or revoke "
                               "required")
            with srv.auth_lock:
                if tok:
                    srv.tokens = srv.tokens | {tok}
                if basic:
                    srv.basic = srv.basic | {basic}
                for r in data.get("revoke", []) if isinstance(data.get("revoke"), list) \
                        else [data["revoke"]] if data.get("revoke") else []:
                    srv.tokens = srv.tokens - {r}
                    srv.basic = srv.basic - {r}
            return self.send_bytes(200, b'{"ok":true}', allow_faults=False)
        if path == "/_fake/reset" and m == "POST":
            srv.reset()
            return self.send_bytes(200, b'{"ok":true}', allow_faults=False)
        if path == "/_fake/requests" and m == "GET":
            with srv.rec_lock:
                out = list(srv.requests)
            return self.send_bytes(200, dumps(out), allow_faults=False)
        if path == "/_fake/requests/clear" and m == "POST":
            with srv.rec_lock:
                srv.requests.clear()
            return self.send_bytes(200, b'{"ok":true}', allow_faults=False)
        if path == "/_fake/stats" and m == "GET":
            with srv.stats_lock:
                s = dict(srv.stats)
            return self.send_bytes(200, dumps(s), allow_faults=False)
        if path == "/_fake/stats/clear" and m == "POST":
            with srv.stats_lock:
                for k in srv.stats:
                    srv.stats[k] = 0
            return self.send_bytes(200, b'{"ok":true}', allow_faults=False)
        if path == "/_fake/controller" and m == "POST":
            c = srv.controller
            if "pendingMs" in data:
                c.pending_ms = int(data["pendingMs"])
            if "runMs" in data:
                c.run_ms = int(data["runMs"])
            if "bookmarkMs" in data:
                srv.bookmark_ms = int(data["bookmarkMs"])
            return self.send_bytes(200, dumps({"pendingMs": c.pending_ms, "runMs": c.run_ms,
                                               "bookmarkMs": srv.bookmark_ms}),
                                   allow_faults=False)
        if path == "/_fake/compact" and m == "POST":
            st.compact()
            return self.send_bytes(200, dumps({"floor": st.floor}), allow_faults=False)
        if path == "/_fake/bulk" and m == "POST":
            ns = data.get("namespace", "default")
            count = int(data.get("count", 0))
            prefix = data.get("prefix", "job")
            runtime = data.get("runtime", "torch-distributed")
            shape = data.get("shape", "minimal")
            if shape not in ("minimal", "sdk"):
                raise ApiError(400, "BadRequest", "shape must be minimal or sdk")
            with st.lock:
                for i in range(count):
                    name = "%s-%d" % (prefix, i)
                    if st.get("trainjobs", ns, name):
                        continue
                    obj = {"apiVersion": GV, "kind": "TrainJob",
                           "metadata": new_meta({"name": name, "generation": 1}, ns),
                           "spec": {"runtimeRef": {"name": runtime, "apiGroup": GROUP,
                                                   "kind": "ClusterTrainingRuntime"},
                                    "trainer": {"numNodes": 1},
                                    "suspend": False,
                                    "managedBy": "trainer.kubeflow.org/trainjob-controller"},
                           "status": {"conditions": [{
                               "type": "Complete", "status": "True",
                               "reason": "AllJobsCompleted",
                               "message": "jobset completed successfully",
                               "lastTransitionTime": now_rfc3339()}]}}
                    if shape == "sdk":
                        sdk_shape(obj)
                    st.put("trainjobs", obj, "ADDED")
            return self.send_bytes(200, dumps({"created": count, "resourceVersion": st.rv}),
                                   allow_faults=False)
        mm = re.match(r"^/_fake/trainjobs/([^/]+)/([^/]+)/status$", path)
        if mm and m == "POST":
            ns, name = mm.group(1), mm.group(2)

            def f(o):
                stt = o.setdefault("status", {})
                for k, v in data.items():
                    stt[k] = v
            obj = srv.controller.update_job(ns, name, f)
            changed = time.time()
            if obj is None:
                raise not_found("trainjobs", name)
            return self.send_bytes(200, dumps(obj), allow_faults=False,
                                   headers={"X-Fake-Changed-At": "%.6f" % changed})
        mm = re.match(r"^/_fake/pods/([^/]+)/([^/]+)/log$", path)
        if mm and m == "POST":
            st.add_log(mm.group(1), mm.group(2), data.get("container", "node"),
                       data.get("line", ""))
            return self.send_bytes(200, b'{"ok":true}', allow_faults=False)
        raise ApiError(404, "NotFound", "unknown control endpoint %s %s" % (m, path))

    def _faults_json(self):
        f = self.server.faults
        return {"status5xx": f.status5xx, "throttle": f.throttle, "retryAfter": f.retry_after,
                "dropWatch": f.drop_watch, "gone": f.gone, "goneHttp": f.gone_http,
                "slowMs": f.slow_ms, "truncate": f.truncate, "garbage": f.garbage,
                "expireTokens": f.expire_tokens, "forbidCreate": f.forbid_create,
                "expireContinue": f.expire_continue, "oversize": f.oversize,
                "oversizeGzip": f.oversize_gzip, "oversizeWatch": f.oversize_watch,
                "oversizeBytes": f.oversize_bytes}


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise ValueError("json patch must be a list")
    doc = copy.deepcopy(doc)

    def walk(path):
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]
        cur = doc
        for p in parts[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur, parts[-1]
    for op in ops:
        o = op["op"]
        parent, key = walk(op["path"])
        if isinstance(parent, list):
            idx = len(parent) if key == "-" else int(key)
            if o == "add":
                parent.insert(idx, op["value"])
            elif o == "replace":
                parent[idx] = op["value"]
            elif o == "remove":
                del parent[idx]
            elif o == "test":
                if parent[idx] != op["value"]:
                    raise ValueError("test failed")
            else:
                raise ValueError("unsupported op %s" % o)
        else:
            if o in ("add", "replace"):
                if o == "replace" and key not in parent:
                    raise KeyError(key)
                parent[key] = op["value"]
            elif o == "remove":
                del parent[key]
            elif o == "test":
                if parent.get(key) != op["value"]:
                    raise ValueError("test failed")
            else:
                raise ValueError("unsupported op %s" % o)
    return doc


# ----------------------------------------------------------------------------------------
# Discovery documents.

OPENAPI_HASH = "0F4E1A5C0FFEE0000000000000000000000000000000000000000000000000000000000000"[:64]


def openapi_v3_trainer():
    """Just enough OpenAPI v3 for kubectl's fieldValidation query-parameter check
    (PATCH operations tagged with x-kubernetes-group-version-kind)."""
    def params(*names):
        return [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                for n in names]
    paths = {}
    schemas = {}
    for res, (api, kind, namespaced, _) in RESOURCES.items():
        if not api.startswith(GROUP):
            continue
        gvk = {"group": GROUP, "version": VERSION, "kind": kind}
        ref = {"$ref": "#/components/schemas/org.kubeflow.trainer.v1alpha1." + kind}
        body = {"content": {"application/json": {"schema": ref}}}
        resp = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
        base = "/apis/%s/namespaces/{namespace}/%s" % (GV, res) if namespaced else \
            "/apis/%s/%s" % (GV, res)
        common = {"x-kubernetes-group-version-kind": gvk}
        paths[base] = {
            "get": dict(common, operationId="list" + kind, responses=resp,
                        parameters=params("labelSelector", "fieldSelector", "limit",
                                          "continue", "resourceVersion", "watch")),
            "post": dict(common, operationId="create" + kind, requestBody=body,
                         responses=resp,
                         parameters=params("dryRun", "fieldManager", "fieldValidation")),
        }
        paths[base + "/{name}"] = {
            "get": dict(common, operationId="read" + kind, responses=resp),
            "put": dict(common, operationId="replace" + kind, requestBody=body,
                        responses=resp,
                        parameters=params("dryRun", "fieldManager", "fieldValidation")),
            "patch": dict(common, operationId="patch" + kind, requestBody=body,
                          responses=resp,
                          parameters=params("dryRun", "fieldManager", "fieldValidation",
                                            "force")),
            "delete": dict(common, operationId="delete" + kind, responses=resp),
        }
        schemas["org.kubeflow.trainer.v1alpha1." + kind] = {
            "type": "object", "x-kubernetes-group-version-kind": [gvk],
            "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                           "metadata": {"type": "object"}, "spec": {"type": "object"},
                           "status": {"type": "object"}}}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes CRD Swagger",
                                         "version": "v0.1.0"},
            "paths": paths, "components": {"schemas": schemas}}


def core_resource_list():
    def r(name, kind, namespaced, verbs, short=None, singular=""):
        d = {"name": name, "singularName": singular, "namespaced": namespaced, "kind": kind,
             "verbs": verbs}
        if short:
            d["shortNames"] = short
        return d
    rw = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    return {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        r("configmaps", "ConfigMap", True, rw, ["cm"], "configmap"),
        r("events", "Event", True, rw, ["ev"], "event"),
        r("namespaces", "Namespace", False, ["create", "delete", "get", "list", "patch",
                                             "update", "watch"], ["ns"], "namespace"),
        r("pods", "Pod", True, rw, ["po"], "pod"),
        r("pods/log", "Pod", True, ["get"]),
        r("pods/status", "Pod", True, ["get", "patch", "update"]),
    ]}


def trainer_resource_list():
    rw = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GV, "resources": [
        {"name": "clustertrainingruntimes", "singularName": "clustertrainingruntime",
         "namespaced": False, "kind": "ClusterTrainingRuntime", "verbs": rw,
         "storageVersionHash": "fakeCTR0000="},
        {"name": "trainingruntimes", "singularName": "trainingruntime", "namespaced": True,
         "kind": "TrainingRuntime", "verbs": rw, "storageVersionHash": "fakeTR00000="},
        {"name": "trainjobs", "singularName": "trainjob", "namespaced": True,
         "kind": "TrainJob", "verbs": rw, "storageVersionHash": "fakeTJ00000="},
        {"name": "trainjobs/status", "singularName": "", "namespaced": True,
         "kind": "TrainJob", "verbs": ["get", "patch", "update"]},
    ]}


def api_group():
    v = {"groupVersion": GV, "version": VERSION}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": GROUP, "versions": [v],
            "preferredVersion": v}


def api_group_list():
    g = api_group()
    g.pop("kind")
    g.pop("apiVersion")
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [g]}


# ----------------------------------------------------------------------------------------
# Server.

class FakeServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, ssl_ctx, tokens, trainer_version, verbose=False):
        self.ssl_ctx = ssl_ctx
        self.auth_lock = threading.Lock()
        self.tokens = frozenset(tokens)
        self.basic = frozenset()
        self.expired_tokens = set()
        self.expired_basic = set()
        self.trainer_version = trainer_version
        self.verbose = verbose
        self.store = Store()
        self.faults = Faults()
        self.controller = Controller(self)
        self.stats_lock = threading.Lock()
        self.stats = {"connections": 0, "tlsHandshakes": 0, "requests": 0,
                      "connectionsTotal": 0, "tlsHandshakesTotal": 0,
                      "tlsHandshakeFailures": 0}
        self.rec_lock = threading.Lock()
        self.requests = []
        self.bookmark_ms = 1000
        self.local = threading.local()
        self.list_cache = {}
        super().__init__(addr, Handler)
        self.port = self.server_address[1]
        self._load_defaults()

    def _load_defaults(self):
        st = self.store
        with st.lock:
            for rt in default_runtimes():
                rt["metadata"] = new_meta(rt["metadata"], None)
                st.put("clustertrainingruntimes", rt, "ADDED")
            if self.trainer_version is not None:
                cm = {"kind": "ConfigMap", "apiVersion": "v1",
                      "metadata": new_meta({"name": "kubeflow-trainer-public"},
                                           "kubeflow-system"),
                      "data": {"kubeflow_trainer_version": self.trainer_version}}
                st.put("configmaps", cm, "ADDED")

    def expire_credentials(self, expire):
        """expireTokens: true invalidates every token and basic credential known now
        (tokens added later work: the refresh case); false restores them."""
        with self.auth_lock:
            if expire:
                self.expired_tokens |= self.tokens
                self.expired_basic |= self.basic
                self.tokens, self.basic = frozenset(), frozenset()
            else:
                self.tokens = frozenset(self.tokens | self.expired_tokens)
                self.basic = frozenset(self.basic | self.expired_basic)
                self.expired_tokens, self.expired_basic = set(), set()

    def reset(self):
        self.expire_credentials(False)
        self.faults.reset()
        self.controller.reset()
        st = self.store
        with st.lock:
            for res in st.objs:
                for k in list(st.objs[res]):
                    st.delete(res, k[0], k[1])
            st.logs.clear()
            self._load_defaults()
        with self.rec_lock:
            self.requests.clear()

    def record(self, method, path, query, headers, body):
        h = {}
        for k, v in headers.items():
            h[k] = "<redacted>" if k.lower() in ("authorization", "proxy-authorization") else v
        try:
            b = body[:65536].decode()
        except UnicodeDecodeError:
            b = repr(body[:65536])
        with self.rec_lock:
            self.requests.append({"method": method, "path": path, "query": query,
                                  "headers": h, "body": b, "time": time.time()})
            if len(self.requests) > 20000:
                del self.requests[:10000]

    def finish_request(self, request, client_address):
        with self.stats_lock:
            self.stats["connectionsTotal"] += 1
        if self.ssl_ctx is not None:
            try:
                request.settimeout(10)
                request = self.ssl_ctx.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (ssl.SSLError, OSError) as e:
                with self.stats_lock:
                    self.stats["tlsHandshakeFailures"] += 1
                if self.verbose:
                    sys.stderr.write("fake-apiserver: TLS handshake failed: %s\n" % e)
                try:
                    request.close()
                except OSError:
                    pass
                return
            with self.stats_lock:
                self.stats["tlsHandshakesTotal"] += 1
        self.local.state = ConnState(self.ssl_ctx is not None)
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            if self.ssl_ctx is not None:
                try:
                    request.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        ex = sys.exc_info()[1]
        if isinstance(ex, (ConnectionError, ssl.SSLError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


def run_openssl(args):
    r = subprocess.run(["openssl"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.stderr.write("fake-apiserver: openssl %s failed: %s\n" %
                         (args[0], r.stderr.decode(errors="replace")))
        sys.exit(1)


def make_certs(d):
    need = ["ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key",
            "other-ca.crt", "other-ca.key"]
    if all(os.path.exists(os.path.join(d, f)) for f in need):
        return
    p = lambda f: os.path.join(d, f)  # noqa: E731
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca, cn in (("ca", "fake-kube-ca"), ("other-ca", "unrelated-ca")):
        run_openssl(["req", "-x509"] + ec + ["-keyout", p(ca + ".key"), "-out", p(ca + ".crt"),
                     "-days", "30", "-subj", "/CN=" + cn,
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    run_openssl(["req", "-x509"] + ec + ["-keyout", p("server.key"), "-out", p("server.crt"),
                 "-days", "30", "-subj", "/CN=localhost", "-CA", p("ca.crt"),
                 "-CAkey", p("ca.key"),
                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                 "-addext", "basicConstraints=critical,CA:FALSE",
                 "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
                 "-addext", "extendedKeyUsage=serverAuth"])
    run_openssl(["req", "-x509"] + ec + ["-keyout", p("client.key"), "-out", p("client.crt"),
                 "-days", "30", "-subj", "/O=system:masters/CN=kft-client", "-CA", p("ca.crt"),
                 "-CAkey", p("ca.key"),
                 "-addext", "basicConstraints=critical,CA:FALSE",
                 "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
                 "-addext", "extendedKeyUsage=clientAuth"])
    for f in ("ca.key", "server.key", "client.key", "other-ca.key"):
        os.chmod(p(f), 0o600)


def write_atomic(path, data, mode=0o644):
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def kubeconfig_text(d, port, token, http_mode):
    scheme = "http" if http_mode else "https"
    ca = "" if http_mode else "    certificate-authority: %s\n" % os.path.join(d, "ca.crt")
    return ("apiVersion: v1\nkind: Config\n"
            "clusters:\n- name: fake\n  cluster:\n"
            "    server: %s://127.0.0.1:%d\n%s"
            "users:\n- name: fake-user\n  user:\n    token: %s\n"
            "- name: fake-cert\n  user:\n    client-certificate: %s\n    client-key: %s\n"
            "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake-user\n"
            "    namespace: default\n"
            "- name: fake-cert\n  context:\n    cluster: fake\n    user: fake-cert\n"
            "    namespace: default\n"
            "current-context: fake\n") % (scheme, port, ca, json.dumps(token),
                                          os.path.join(d, "client.crt"),
                                          os.path.join(d, "client.key"))


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake Kubernetes API server for libkftrainer")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--token", action="append", default=[])
    ap.add_argument("--trainer-version", default="v2.3.0")
    ap.add_argument("--http", action="store_true")
    ap.add_argument("--basic", action="append", default=[],
                    help="USER:PASSWORD accepted as HTTP basic auth")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    d = os.path.abspath(a.dir)
    os.makedirs(d, exist_ok=True)
    tokens = a.token or ["test-token"]
    ctx = None
    if not a.http:
        make_certs(d)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(d, "server.crt"), os.path.join(d, "server.key"))
        ctx.load_verify_locations(os.path.join(d, "ca.crt"))
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.set_alpn_protocols(["http/1.1"])
    tv = None if a.trainer_version == "none" else a.trainer_version
    srv = FakeServer(("127.0.0.1", a.port), ctx, tokens, tv, a.verbose)
    srv.basic = frozenset(a.basic)

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_atomic(os.path.join(d, "kubeconfig"), kubeconfig_text(d, srv.port, tokens[0], a.http),
                 0o600)
    write_atomic(os.path.join(d, "port"), "%d\n" % srv.port)
    sys.stderr.write("fake-apiserver: listening on %s://127.0.0.1:%d (dir %s)\n" %
                     ("http" if a.http else "https", srv.port, d))
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
        try:
            os.unlink(os.path.join(d, "port"))
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
