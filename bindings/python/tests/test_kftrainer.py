# SPDX-License-Identifier: Apache-2.0
"""Tests of the installed kftrainer package against the real libkftrainer.

Run by tests/t_python.sh inside a virtualenv holding the pip-installed
package. Environment: KFT_TOP, KFT_BUILD (tests/run.sh), KFTRAINER_LIBRARY.
Exit status: 0 all passed; 1 a failure; 77 everything that can run passed
but the local backend cannot run jobs yet (the last line says so).
"""

import ctypes
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

import kftrainer as k
from kftrainer import _ffi

TOP = os.environ.get("KFT_TOP", os.path.abspath(os.path.join(os.path.dirname(__file__),
                                                             "..", "..", "..")))
BUILD = os.environ.get("KFT_BUILD", os.path.join(TOP, "build"))
LIBPATH = os.path.join(BUILD, "libkftrainer.so.0")


class Recorder:
    """Wraps the loaded Library and records every C function looked up."""

    def __init__(self, real):
        self._real = real
        self.calls = []

    def __getattr__(self, name):
        if name.startswith("kft_"):
            self.calls.append(name)
        return getattr(self._real, name)


def _local_can_run():
    """True when the local backend implements train (not KFT_ENOTSUPPORTED)."""
    c = k.TrainerClient("local")
    try:
        c.get_job("kft-probe-no-such-job")
    except k.NotSupportedError:
        return False
    except k.NotFoundError:
        pass
    try:
        c.train("torch-distributed", trainer=k.CustomTrainer(command=["true"]),
                name="kft-probe", validate=True, dry_run=False)
    except k.NotSupportedError:
        return False
    c.wait_for_job_status("kft-probe", {"Complete", "Failed"}, timeout=60,
                          polling_interval=1)
    c.delete_job("kft-probe")
    return True


LOCAL = None


def local_required(test):
    def wrapper(self):
        if not LOCAL:
            self.skipTest("local backend not available yet")
        return test(self)
    wrapper.__name__ = test.__name__
    wrapper.__doc__ = test.__doc__
    return wrapper


class BadInput(unittest.TestCase):
    """Wrong types and unknown keyword arguments fail before any library call."""

    def setUp(self):
        self.client = k.TrainerClient("local")
        self.rec = Recorder(self.client._L)
        self.client._L = self.rec
        self.saved, _ffi._lib = _ffi._lib, self.rec   # module-level calls too

    def tearDown(self):
        _ffi._lib = self.saved

    def no_call(self, exc, fn, *args, **kwargs):
        self.rec.calls.clear()
        with self.assertRaises(exc) as cm:
            fn(*args, **kwargs)
        self.assertEqual(self.rec.calls, [], "library called before %r" % cm.exception)
        return cm.exception

    def test_trainer_types(self):
        T, V = TypeError, ValueError
        for exc, kw in [
            (T, dict(command="python3 x.py")),            # str, not a list
            (T, dict(command=["x"], bogus=1)),             # unknown keyword
            (T, dict(command=["x"], num_nodes="2")),
            (T, dict(command=["x"], num_nodes=True)),
            (V, dict(command=["x"], num_nodes=0)),
            (T, dict(command=["x"], env={"A": 1})),
            (T, dict(command=["x"], env=["A=1"])),
            (T, dict(command=["x"], resources_per_node={"cpu": True})),
            (T, dict(command=["x"], resources_per_node=[("cpu", 1)])),
            (T, dict(command=[1, 2])),
            (V, dict(command=[])),
            (V, dict()),                                   # no program at all
            (V, dict(script="print(1)", command=["y"])),
            (V, dict(command=["x"], packages_to_install=["numpy"])),
            (V, dict(script="x", args=["a"])),
            (V, dict(script_file="/nonexistent/train.py")),
            (T, dict(script=b"print(1)")),
            (T, dict(func="not callable")),
            (V, dict(func=lambda: None)),                  # lambdas cannot be shipped
            (V, dict(script="x\0y")),
        ]:
            with self.subTest(kw=kw):
                self.no_call(exc, k.CustomTrainer, **kw)

    def test_config_types(self):
        T, V = TypeError, ValueError
        self.no_call(V, k.LoraConfig, lora_dropout=1.5)
        self.no_call(T, k.LoraConfig, lora_rank="8")
        self.no_call(T, k.LoraConfig, use_dora=1)
        self.no_call(T, k.LoraConfig, lora_attn_modules="q_proj")
        self.no_call(V, k.TorchTuneConfig, dtype="fp16")
        self.no_call(T, k.TorchTuneConfig, peft_config={"lora_rank": 8})
        self.no_call(V, k.TorchTuneConfig, epochs=0)
        self.no_call(V, k.TorchTuneInstructDataset, source="yaml")
        self.no_call(T, k.BuiltinTrainer, config=k.LoraConfig())
        self.no_call(T, k.BuiltinTrainer, k.TorchTuneConfig(), extra=1)
        self.no_call(V, k.HuggingFaceDatasetInitializer, "s3://bucket/x")
        self.no_call(V, k.HuggingFaceModelInitializer, "hf://org")
        self.no_call(V, k.S3ModelInitializer, "hf://org/model")
        self.no_call(V, k.DataCacheInitializer, "cache://a", "s3://m", 4)
        self.no_call(V, k.DataCacheInitializer, "cache://s/t", "s3://m", 1)
        self.no_call(V, k.Initializer, dataset=k.HuggingFaceModelInitializer("hf://o/m"))
        self.no_call(T, k.Initializer, dataset="hf://o/d")

    def test_client_verbs(self):
        c, T, V = self.client, TypeError, ValueError
        ok = k.CustomTrainer(command=["true"])
        self.no_call(T, c.train, trainer="python3 x.py")
        self.no_call(T, c.train, runtime=5, trainer=ok)
        self.no_call(T, c.train, "torch-distributed", trainer=ok, bogus=1)
        self.no_call(T, c.train, "torch-distributed", None, ok, [lambda *a: None])
        self.no_call(T, c.train, trainer=ok, labels={"a": 1})
        self.no_call(V, c.train, trainer=ok, active_deadline_seconds=0)
        self.no_call(T, c.train, trainer=ok, suspend="yes")
        self.no_call(T, c.train, trainer=ok, initializer="hf://x/y")
        self.no_call(V, c.train, trainer=ok, spec="x", spec_file="/y")
        self.no_call(V, c.train, trainer=ok, spec_file="/nonexistent.yaml")
        self.no_call(T, c.get_job, 5)
        self.no_call(V, c.get_job, "")
        self.no_call(T, c.delete_job, None)
        self.no_call(T, c.delete_job, "x", keep_state="no")
        self.no_call(V, c.delete_job, "x", grace_period=-1)
        self.no_call(T, c.list_jobs, runtime=3)
        self.no_call(T, c.get_runtime, None)
        self.no_call(T, c.wait_for_job_status, "x", status="Complete")
        self.no_call(V, c.wait_for_job_status, "x", status={"Done"})
        self.no_call(V, c.wait_for_job_status, "x", status=set())
        self.no_call(V, c.wait_for_job_status, "x", timeout=-1)
        self.no_call(T, c.wait_for_job_status, "x", timeout="10")
        self.no_call(V, c.wait_for_job_status, "x", timeout=2, polling_interval=2)
        self.no_call(V, c.wait_for_job_status, "x", polling_interval=0)
        self.no_call(T, c.wait_for_job_status, "x", callbacks=[1])
        self.no_call(T, c.wait_for_job_status, "x", callbacks=print)
        self.no_call(T, c.wait_for_job_status, "x", bogus=1)
        self.no_call(T, c.get_job_logs, "x", follow="yes")
        self.no_call(T, c.get_job_logs, "x", step=0)
        self.no_call(V, c.get_job_logs, "x", tail=-1)
        self.no_call(T, c.stream_job_logs, "x", None)
        self.no_call(T, c.render, trainer=ok, format=1)
        self.no_call(V, c.render, trainer=ok, format="xml")

    def test_client_constructor(self):
        with self.assertRaises(ValueError):
            k.TrainerClient(object())
        with self.assertRaises(TypeError):
            k.TrainerClient("local", state_dir=5)
        with self.assertRaises(TypeError):
            k.TrainerClient("local", bogus=1)


class Library(unittest.TestCase):
    def run_py(self, code, env_update, drop=()):
        env = dict(os.environ)
        for d in drop:
            env.pop(d, None)
        env.update(env_update)
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=60)

    def test_missing_library_explicit(self):
        code = textwrap.dedent("""
            import kftrainer as k
            ct = k.CustomTrainer(command=["true"])        # no library needed
            try:
                k.TrainerClient("local", state_dir=5)
            except TypeError:
                print("typeerror-first")
            try:
                k.TrainerClient()
            except k.LibraryNotFoundError as e:
                assert isinstance(e, OSError) and isinstance(e, k.KftError)
                print("MSG", e)
            """)
        r = self.run_py(code, {"KFTRAINER_LIBRARY": "/nonexistent/libkftrainer.so.0"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("typeerror-first", r.stdout)
        self.assertIn("$KFTRAINER_LIBRARY=/nonexistent/libkftrainer.so.0", r.stdout)
        self.assertIn("No such file", r.stdout)

    def test_missing_library_everywhere(self):
        import ctypes.util
        if ctypes.util.find_library("kftrainer"):
            self.skipTest("a system-wide libkftrainer is installed")
        code = textwrap.dedent("""
            import kftrainer as k
            try:
                k.library_version()
            except k.LibraryNotFoundError as e:
                print("MSG", e)
                print("TRIED", len(e.tried))
            """)
        r = self.run_py(code, {}, drop=("KFTRAINER_LIBRARY", "LD_LIBRARY_PATH"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("find_library('kftrainer')", r.stdout)
        self.assertIn("libkftrainer.so.0", r.stdout)
        self.assertIn("libkftrainer.so:", r.stdout)
        self.assertIn("TRIED 3", r.stdout)
        self.assertIn("KFTRAINER_LIBRARY", r.stdout)   # the hint

    def test_loader_path(self):
        code = "import kftrainer as k; print(k.library_path(), k.library_version())"
        r = self.run_py(code, {"LD_LIBRARY_PATH": BUILD}, drop=("KFTRAINER_LIBRARY",))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.split()[0].endswith(("libkftrainer.so.0", "libkftrainer.so")),
                        r.stdout)

    def test_version(self):
        L = _ffi.lib()
        v = L.kft_version()
        self.assertEqual(v >> 16, _ffi.ABI_MAJOR)
        self.assertEqual(k.library_version(), "%d.%d.%d" % (v >> 16, v >> 8 & 255, v & 255))

        class Old:
            path = "/old/libkftrainer.so.0"

            def kft_version(self):
                return 0x000001   # 0.0.1

        with self.assertRaises(k.VersionError) as cm:
            _ffi._check_version(Old())
        self.assertIn("0.0.1", str(cm.exception))
        self.assertIn("/old/libkftrainer.so.0", str(cm.exception))

    def test_struct_layouts(self):
        """The ctypes mirrors of the option structs match the C compiler's layout."""
        cc = os.environ.get("CC", "cc")
        lines = ['#include <kftrainer.h>', '#include <stdio.h>', '#include <stddef.h>',
                 'int main(void) {']
        for cname, cls in _ffi.STRUCTS.items():
            lines.append('printf("%s size %%zu\\n", sizeof(%s));' % (cname, cname))
            for fname, _ in cls._fields_:
                lines.append('printf("%s %s %%zu\\n", offsetof(%s, %s));'
                             % (cname, fname, cname, fname))
        lines += ['return 0;', '}']
        with tempfile.TemporaryDirectory() as d:
            src, exe = os.path.join(d, "layout.c"), os.path.join(d, "layout")
            with open(src, "w") as f:
                f.write("\n".join(lines))
            try:
                subprocess.run([cc, "-std=c99", "-I", os.path.join(TOP, "include"), "-o", exe,
                                src], check=True, capture_output=True, text=True)
            except FileNotFoundError:
                self.skipTest("no C compiler (%s)" % cc)
            out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
        c_layout = {}
        for line in out.splitlines():
            s, f, n = line.split()
            c_layout[(s, f)] = int(n)
        for cname, cls in _ffi.STRUCTS.items():
            self.assertEqual(c_layout[(cname, "size")], ctypes.sizeof(cls), cname)
            for fname, _ in cls._fields_:
                self.assertEqual(c_layout[(cname, fname)], getattr(cls, fname).offset,
                                 "%s.%s" % (cname, fname))

    def test_init_macros_match_init_functions(self):
        """kft_*_opts_init() fills what the INIT macros say (unset markers too)."""
        L = _ffi.lib()
        tc = _ffi.TorchTuneConfigT()
        self.assertEqual(L.kft_torchtune_config_init(ctypes.byref(tc), 1), 0)
        self.assertEqual(tc.batch_size, _ffi.KFT_UNSET)
        self.assertEqual(tc.lora_dropout, _ffi.KFT_UNSET_DOUBLE)
        self.assertEqual(tc.apply_lora_to_mlp, _ffi.KFT_UNSET)
        lo = _ffi.LogsOpts()
        self.assertEqual(L.kft_logs_opts_init(ctypes.byref(lo), 1), 0)
        self.assertEqual(lo.tail_lines, -1)
        do = _ffi.DeleteOpts()
        self.assertEqual(L.kft_delete_opts_init(ctypes.byref(do), 1), 0)
        self.assertEqual(do.grace_period_ms, -1)
        with self.assertRaises(k.VersionError):
            L.check(L.kft_wait_opts_init(ctypes.byref(_ffi.WaitOpts()), 99))


class Errors(unittest.TestCase):
    def setUp(self):
        self.client = k.TrainerClient("local")

    def test_not_found_carries_message(self):
        with self.assertRaises(k.NotFoundError) as cm:
            self.client.get_runtime("no-such-runtime")
        e = cm.exception
        self.assertIsInstance(e, k.KftError)
        self.assertIsInstance(e, LookupError)
        self.assertIsInstance(e, RuntimeError)
        self.assertEqual(e.code, -2)
        self.assertIn("no-such-runtime", str(e))
        self.assertIn("not found", str(e))
        self.assertEqual(str(e), e.message)

    def test_parse_error(self):
        with self.assertRaises(k.KftError) as cm:
            k.render_trainjob(spec="apiVersion: [unterminated")
        self.assertTrue(str(cm.exception))
        self.assertLess(cm.exception.code, 0)

    def test_invalid_is_value_error(self):
        with self.assertRaises(ValueError) as cm:
            k.render_trainjob("torch-distributed", trainer=k.CustomTrainer(command=["x"]),
                              name="Bad_Name!")
        self.assertIsInstance(cm.exception, k.InvalidError)
        self.assertIn("Bad_Name!", str(cm.exception))

    def test_error_classes(self):
        self.assertTrue(issubclass(k.TimeoutError, TimeoutError))
        self.assertTrue(issubclass(k.TimeoutError, k.KftError))
        self.assertTrue(issubclass(k.JobFailedError, RuntimeError))
        self.assertTrue(issubclass(k.NotSupportedError, NotImplementedError))
        self.assertIs(k.error_class(-9), k.InvalidError)
        self.assertIs(k.error_class(-99), k.KftError)

    def test_errors_are_per_thread(self):
        """An error on another thread does not leak into this thread's exception."""
        L = _ffi.lib()
        out = {}

        def other():
            try:
                self.client.get_runtime("thread-two-runtime")
            except k.NotFoundError as e:
                out["msg"] = str(e)

        with self.assertRaises(k.NotFoundError) as cm:
            self.client.get_runtime("thread-one-runtime")
        t = threading.Thread(target=other)
        t.start()
        t.join()
        self.assertIn("thread-two-runtime", out["msg"])
        self.assertIn("thread-one-runtime", str(cm.exception))
        self.assertIn("thread-one-runtime", L.kft_error_last().contents.message.decode())


class Threads(unittest.TestCase):
    def test_one_client_many_threads(self):
        """Many Python threads on one client (ctypes drops the GIL in each call):
        every thread's exception carries its own error message."""
        c = k.TrainerClient("local")
        bad = []

        def worker(i):
            want = '"thr-missing-%d"' % i
            for _ in range(25):
                try:
                    c.get_runtime(want.strip('"'))
                    bad.append((i, "no error"))
                except k.NotFoundError as e:
                    if want not in str(e):
                        bad.append((i, str(e)))
                self.assertEqual(c.get_runtime("torch-distributed").name, "torch-distributed")

        ts = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(bad, [])


class Render(unittest.TestCase):
    def render(self, *a, **kw):
        return json.loads(k.render_trainjob(*a, format="json", **kw))

    def test_command_trainer(self):
        doc = self.render("torch-distributed", trainer=k.CustomTrainer(
            command=["sh", "-c", "echo hi"], args=["a"], num_nodes=2, env={"A": "b"},
            resources_per_node={"CPU": 2.0, "memory": "1Gi", "gpu": 1}), name="abc",
            labels={"team": "ml"}, active_deadline_seconds=60)
        self.assertEqual(doc["apiVersion"], "trainer.kubeflow.org/v1alpha1")
        self.assertEqual(doc["kind"], "TrainJob")
        self.assertEqual(doc["metadata"]["name"], "abc")
        self.assertEqual(doc["metadata"]["labels"], {"team": "ml"})
        self.assertEqual(doc["spec"]["runtimeRef"], {"name": "torch-distributed",
                                                     "kind": "ClusterTrainingRuntime"})
        self.assertEqual(doc["spec"]["activeDeadlineSeconds"], 60)
        tr = doc["spec"]["trainer"]
        self.assertEqual(tr["command"], ["sh", "-c", "echo hi"])
        self.assertEqual(tr["args"], ["a"])
        self.assertEqual(tr["numNodes"], 2)
        self.assertEqual(tr["env"], [{"name": "A", "value": "b"}])
        res = tr["resourcesPerNode"]
        self.assertEqual(res["limits"], res["requests"])
        self.assertEqual(str(res["limits"]["cpu"]), "2")
        self.assertEqual(res["limits"]["memory"], "1Gi")
        self.assertEqual(str(res["limits"]["nvidia.com/gpu"]), "1")

    def test_runtime_object(self):
        rt = k.TrainerClient("local").get_runtime("torch-distributed")
        doc = self.render(rt, trainer=k.CustomTrainer(command=["true"]), name="ro")
        self.assertEqual(doc["spec"]["runtimeRef"], {"name": "torch-distributed",
                                                     "kind": "ClusterTrainingRuntime"})

    def test_default_runtime_and_yaml(self):
        y = k.render_trainjob(trainer=k.CustomTrainer(command=["true"]), name="y1")
        self.assertIn("name: torch-distributed", y)
        self.assertIn("kind: TrainJob", y)

    def test_script_and_func(self):
        doc = self.render(trainer=k.CustomTrainer(script="print('unique-marker-42')\n",
                                                  packages_to_install=["numpy"]), name="s1")
        cmd = doc["spec"]["trainer"]["command"]
        self.assertEqual(cmd[0:2], ["bash", "-c"])
        self.assertIn("unique-marker-42", cmd[2])
        self.assertIn("numpy", cmd[2])
        doc = self.render(trainer=k.CustomTrainer(func=_shipped_func, func_args={"n": 3}),
                          name="f1")
        cmd = doc["spec"]["trainer"]["command"][2]
        self.assertIn("def _shipped_func(n):", cmd)
        # wrapped with torch.distributed.elastic's @record, so torchrun's error file
        # names the exception (plain when torch does not import)
        self.assertIn("_kft_record(_shipped_func)(**{'n': 3})", cmd)
        self.assertIn("from torch.distributed.elastic.multiprocessing.errors import "
                      "record as _kft_record", cmd)

    def test_script_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write("print('from-file-marker')\n")
        try:
            doc = self.render(trainer=k.CustomTrainer(script_file=f.name), name="sf")
            self.assertIn("from-file-marker", doc["spec"]["trainer"]["command"][2])
        finally:
            os.unlink(f.name)

    def test_initializers(self):
        ini = k.Initializer(dataset=k.HuggingFaceDatasetInitializer("hf://org/data"),
                            model=k.HuggingFaceModelInitializer("hf://org/model",
                                                                access_token="t0k"))
        # torch-distributed has no initializer jobs: the webhook rule says so
        with self.assertRaises(k.InvalidError) as cm:
            self.render("torch-distributed", trainer=k.CustomTrainer(command=["true"]),
                        initializer=ini, name="i0")
        self.assertIn("spec.initializer", str(cm.exception))
        doc = self.render("torch-distributed", trainer=k.CustomTrainer(command=["true"]),
                          initializer=ini, name="i1", validate=False)
        ini = doc["spec"]["initializer"]
        self.assertEqual(ini["dataset"]["storageUri"], "hf://org/data")
        self.assertEqual(ini["model"]["storageUri"], "hf://org/model")
        self.assertEqual(ini["model"]["env"], [
            {"name": "IGNORE_PATTERNS", "value": "*.msgpack,*.h5,*.bin,*.pt,*.pth"},
            {"name": "ACCESS_TOKEN", "value": "t0k"}])
        self.assertNotIn("t0k", repr(k.HuggingFaceModelInitializer("hf://o/m",
                                                                   access_token="t0k")))
        doc = self.render(trainer=k.CustomTrainer(command=["true"]), name="i2", validate=False,
                          initializer=k.DatasetInitializer("file:///data", env={"X": "1"},
                                                           secret_name="creds"))
        d = doc["spec"]["initializer"]["dataset"]
        self.assertEqual(d["storageUri"], "file:///data")
        self.assertEqual(d["env"], [{"name": "X", "value": "1"}])
        self.assertEqual(d["secretRef"], {"name": "creds"})

    def test_spec_text_round_trip(self):
        y = k.render_trainjob(trainer=k.CustomTrainer(command=["true"]), name="rt1")
        doc = self.render(spec=y, labels={"extra": "1"})
        self.assertEqual(doc["metadata"]["name"], "rt1")
        self.assertEqual(doc["metadata"]["labels"], {"extra": "1"})
        self.assertEqual(doc["spec"]["trainer"]["command"], ["true"])

    def test_torchtune(self):
        cfg = k.TorchTuneConfig(
            dtype=k.DataType.BF16, batch_size=10, epochs=10, loss=k.Loss.CEWithChunkedOutputLoss,
            peft_config=k.LoraConfig(lora_rank=8, lora_alpha=16, lora_dropout=0.1),
            dataset_preprocess_config=k.TorchTuneInstructDataset(
                source=k.DataFormat.PARQUET, split="train[:95%]", train_on_input=True,
                new_system_prompt="You are an AI assistant. ",
                column_map={"input": "incorrect", "output": "correct"}))
        try:
            doc = self.render("torchtune-llama3.2-1b", trainer=k.BuiltinTrainer(cfg), name="tt",
                              initializer=k.HuggingFaceDatasetInitializer(
                                  "hf://tatsu-lab/alpaca/data"))
        except k.NotSupportedError as e:
            self.skipTest("TorchTune not in the library yet: %s" % e)
        tr = doc["spec"]["trainer"]
        self.assertEqual(tr["command"], ["tune", "run"])
        self.assertEqual(tr["args"], [
            "dtype=bf16", "batch_size=10", "epochs=10",
            "loss=torchtune.modules.loss.CEWithChunkedOutputLoss",
            "dataset.data_dir=/workspace/dataset/data", "model.lora_rank=8",
            "model.lora_alpha=16", "model.lora_dropout=0.1",
            "model.lora_attn_modules=[q_proj,v_proj,output_proj]",
            "dataset=torchtune.datasets.instruct_dataset", "dataset.source=parquet",
            "dataset.split=train[:95%]", "dataset.train_on_input=True",
            "dataset.new_system_prompt=You are an AI assistant. ",
            "dataset.column_map={'input': 'incorrect', 'output': 'correct'}"])

    def test_torchtune_tri_state_and_resources(self):
        """False and 0.0 are sent (not dropped); None is not."""
        cfg = k.TorchTuneConfig(
            num_nodes=1, resources_per_node={"gpu": 1, "memory": "8Gi"},
            peft_config=k.LoraConfig(apply_lora_to_mlp=False, apply_lora_to_output=True,
                                     lora_dropout=0.0, quantize_base=True,
                                     lora_attn_modules=["q_proj"]))
        try:
            doc = self.render("torchtune-llama3.2-1b", trainer=k.BuiltinTrainer(cfg), name="tt2")
        except k.NotSupportedError as e:
            self.skipTest("TorchTune not in the library yet: %s" % e)
        tr = doc["spec"]["trainer"]
        self.assertEqual(tr["numNodes"], 1)
        self.assertEqual(str(tr["resourcesPerNode"]["limits"]["nvidia.com/gpu"]), "1")
        self.assertEqual(tr["resourcesPerNode"]["limits"]["memory"], "8Gi")
        self.assertEqual(tr["args"], [
            "model.apply_lora_to_mlp=False", "model.apply_lora_to_output=True",
            "model.lora_dropout=0.0", "model.quantize_base=True",
            "model.lora_attn_modules=[q_proj]"])


def _shipped_func(n):
    for i in range(n):
        print("step", i)


class Runtimes(unittest.TestCase):
    def test_list_and_get(self):
        c = k.TrainerClient("local")
        rts = {r.name: r for r in c.list_runtimes()}
        self.assertIn("torch-distributed", rts)
        t = rts["torch-distributed"]
        self.assertEqual(t.trainer.framework, "torch")
        self.assertEqual(t.trainer.trainer_type, "CustomTrainer")
        self.assertEqual(t.kind, "ClusterTrainingRuntime")
        self.assertEqual(t.source, "builtin")
        g = c.get_runtime("torch-distributed")
        self.assertEqual(g, t)
        builtin = [r for r in rts.values() if r.trainer.trainer_type == "BuiltinTrainer"]
        self.assertTrue(all(r.trainer.framework == "torchtune" for r in builtin))

    def test_user_runtime_file(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "mine.yaml"), "w") as f:
                f.write(textwrap.dedent("""\
                    apiVersion: trainer.kubeflow.org/v1alpha1
                    kind: ClusterTrainingRuntime
                    metadata:
                      name: my-python
                      labels:
                        trainer.kubeflow.org/framework: torch
                    spec:
                      mlPolicy:
                        numNodes: 3
                      template:
                        spec:
                          replicatedJobs:
                          - name: node
                            template:
                              metadata:
                                labels:
                                  trainer.kubeflow.org/trainjob-ancestor-step: trainer
                              spec:
                                template:
                                  spec:
                                    containers:
                                    - name: node
                                      image: example.com/py:1
                    """))
            c = k.TrainerClient("local", runtime_path=d)
            r = c.get_runtime("my-python")
            self.assertEqual(r.source, "file")
            self.assertEqual(r.trainer.num_nodes, 3)
            self.assertEqual(r.trainer.image, "example.com/py:1")
            self.assertIn("my-python", [x.name for x in c.list_runtimes()])


class Logging(unittest.TestCase):
    def test_library_diagnostics_reach_logging(self):
        import logging
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "other.yaml"), "w") as f:
                f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
            c = k.TrainerClient("local", runtime_path=d)
            k.enable_library_logging(logging.DEBUG)
            try:
                with self.assertLogs("kftrainer", logging.DEBUG) as cm:
                    c.list_runtimes()
            finally:
                k.disable_library_logging()
            self.assertTrue(any("skipping a ConfigMap document" in m for m in cm.output),
                            cm.output)
            # removed: nothing is logged any more
            with self.assertRaises(AssertionError):
                with self.assertLogs("kftrainer", logging.DEBUG):
                    c.list_runtimes()
        with self.assertRaises(TypeError):
            k.enable_library_logging("debug")


# ---- job-running tests (need the local backend) ----

TWO_NODE = ("import os, sys, time\n"
            "r = os.environ.get('PET_NODE_RANK', '?')\n"
            "print('hello from node', r, 'of', os.environ.get('PET_NNODES', '?'), flush=True)\n"
            "time.sleep(1.5)\n"
            "print('bye from node', r, flush=True)\n")


class LocalJobs(unittest.TestCase):
    def setUp(self):
        self.client = k.TrainerClient("local")

    def tearDown(self):
        for j in self.client.list_jobs() if LOCAL else []:
            try:
                self.client.delete_job(j.name, grace_period=1)
            except k.NotFoundError:
                pass

    def train(self, code, nodes=1, **kw):
        return self.client.train("torch-distributed", trainer=k.CustomTrainer(
            command=["python3", "-c", code], num_nodes=nodes), **kw)

    @local_required
    def test_two_node_job_streams_logs(self):
        name = self.train(TWO_NODE, nodes=2)
        self.assertEqual(len(name), 12)
        t0 = time.monotonic()
        seen = []
        for line in self.client.get_job_logs(name, step=None, follow=True):
            seen.append((time.monotonic() - t0, line))
        lines = [l for _, l in seen]
        self.assertIn("node-0: hello from node 0 of 2", lines)
        self.assertIn("node-1: hello from node 1 of 2", lines)
        self.assertIn("node-0: bye from node 0", lines)
        self.assertIn("node-1: bye from node 1", lines)
        first = min(t for t, l in seen if "hello" in l)
        last = max(t for t, l in seen if "bye" in l)
        # streamed: the first line arrived while the nodes were still sleeping
        self.assertGreater(last - first, 1.0, seen)
        job = self.client.wait_for_job_status(name, timeout=60, polling_interval=1)
        self.assertEqual(job.status, "Complete")
        self.assertEqual(job.num_nodes, 2)
        nodes = [s for s in job.steps if s.name.startswith("node-")]
        self.assertEqual(sorted(s.name for s in nodes), ["node-0", "node-1"])
        for s in nodes:
            self.assertEqual(s.status, "Succeeded")
            self.assertEqual(s.exit_code, 0)
        self.assertEqual(job.runtime.name, "torch-distributed")
        self.assertIsNotNone(job.creation_timestamp)
        # non-follow read and one step only
        one = list(self.client.get_job_logs(name, step="node-1"))
        self.assertIn("hello from node 1 of 2", one)
        self.assertIn(name, [j.name for j in self.client.list_jobs()])
        with self.assertRaises(k.AlreadyExistsError) as cm:
            self.train("print(1)", name=name)
        self.assertIn(name, str(cm.exception))
        self.assertEqual(cm.exception.code, -3)
        events = self.client.get_job_events(name)
        self.assertTrue(events)
        self.assertTrue(all(isinstance(e, k.Event) and e.event_time for e in events))
        self.assertEqual(events, sorted(events, key=lambda e: e.event_time))

    @local_required
    def test_suspend_and_resume(self):
        name = self.train("print('ran after resume')", suspend=True)
        job = self.client.wait_for_job_status(name, {"Suspended"}, timeout=30,
                                              polling_interval=1)
        self.assertEqual(job.status, "Suspended")
        self.client.resume_job(name)
        job = self.client.wait_for_job_status(name, timeout=60, polling_interval=1)
        self.assertEqual(job.status, "Complete")
        self.assertEqual(list(self.client.get_job_logs(name, step="node-0")),
                         ["ran after resume"])
        self.assertIsNone(job.trainer_status)   # it never reported progress

    @local_required
    def test_trainer_status_from_the_progress_protocol(self):
        # the step posts one update with a client written from the protocol (no SDK)
        poster = os.path.join(os.environ["KFT_TOP"], "tests", "progress_client.py")
        name = self.client.train("torch-distributed", trainer=k.CustomTrainer(
            command=[sys.executable, poster, "post", "42", "0.25"]))
        job = self.client.wait_for_job_status(name, timeout=60, polling_interval=1)
        logs = list(self.client.get_job_logs(name, step="node-0"))
        self.assertEqual(job.status, "Complete", logs)
        self.assertTrue(logs and logs[0].startswith("200"), logs)
        ts = job.trainer_status
        self.assertIsInstance(ts, k.TrainerStatus)
        self.assertEqual(ts.progress_percentage, 42)
        self.assertEqual(ts.estimated_remaining_seconds, 58)
        self.assertEqual(ts.metrics, [k.Metric("loss", "0.25"), k.Metric("step", "42")])
        age = datetime.datetime.now(datetime.timezone.utc) - ts.last_updated_time
        self.assertLess(abs(age.total_seconds()), 300, ts.last_updated_time)
        # the older names stay, and get_job/list_jobs agree
        self.assertEqual((job.progress_percent, job.eta_seconds), (42, 58))
        self.assertEqual(job.metrics, {"loss": "0.25", "step": "42"})
        self.assertEqual(self.client.get_job(name).trainer_status, ts)
        self.assertEqual([j.trainer_status for j in self.client.list_jobs() if j.name == name],
                         [ts])

    @local_required
    def test_render_plan(self):
        plan = json.loads(self.client.render_plan(
            trainer=k.CustomTrainer(command=["sh", "-c", "echo hi"], num_nodes=2,
                                    env={"MY_VAR": "1"}), name="plan1", format="json"))
        self.assertEqual(plan["numNodes"], 2)
        steps = {s["name"]: s for s in plan["steps"]}
        self.assertEqual(sorted(steps), ["node-0", "node-1"])
        for rank in (0, 1):
            st = steps["node-%d" % rank]
            self.assertEqual(st["argv"], ["sh", "-c", "echo hi"])
            self.assertEqual(st["env"]["PET_NODE_RANK"], str(rank))
            self.assertEqual(st["env"]["MY_VAR"], "1")
        with self.assertRaises(k.NotFoundError):
            self.client.get_job("plan1")   # rendering created nothing

    @local_required
    def test_wait_callbacks_and_failure(self):
        name = self.train("import sys; print('failing'); sys.exit(3)")
        statuses = []
        with self.assertRaises(k.JobFailedError) as cm:
            self.client.wait_for_job_status(name, timeout=60, polling_interval=1,
                                            callbacks=[lambda j: statuses.append(j.status)])
        e = cm.exception
        self.assertIsInstance(e, RuntimeError)
        self.assertEqual(e.job.status, "Failed")
        self.assertIn(3, [s.exit_code for s in e.job.steps])
        self.assertTrue(statuses)
        job = self.client.wait_for_job_status(name, {"Failed"}, timeout=10, polling_interval=1)
        self.assertEqual(job.status, "Failed")

    @local_required
    def test_callback_that_raises_stops_the_wait(self):
        name = self.train("import time; time.sleep(60)")

        class Boom(Exception):
            pass

        def cb(job):
            raise Boom(job.name)

        t0 = time.monotonic()
        with self.assertRaises(Boom):
            self.client.wait_for_job_status(name, timeout=60, polling_interval=1, callbacks=[cb])
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIn(self.client.get_job(name).status, ("Created", "Running"))

    @local_required
    def test_wait_timeout(self):
        name = self.train("import time; time.sleep(60)")
        job = self.client.wait_for_job_status(name, {"Running"}, timeout=30, polling_interval=1)
        self.assertEqual(job.status, "Running")
        self.assertEqual([j.name for j in self.client.list_jobs(runtime="torch-distributed")],
                         [name])
        self.assertEqual(self.client.list_jobs(runtime="jax-distributed"), [])
        t0 = time.monotonic()
        with self.assertRaises(TimeoutError) as cm:
            self.client.wait_for_job_status(name, timeout=1.5, polling_interval=0.5)
        took = time.monotonic() - t0
        self.assertIsInstance(cm.exception, k.KftError)
        self.assertGreaterEqual(took, 1.4)
        self.assertLess(took, 5)
        self.assertIn(self.client.get_job(name).status, ("Created", "Running"))

    CTRL_C_CHILD = textwrap.dedent("""
        import signal, sys, time, kftrainer as k
        signal.signal(signal.SIGINT, signal.default_int_handler)
        c = k.TrainerClient("local")
        mode, name = sys.argv[1], sys.argv[2]
        print("waiting", flush=True)
        t0 = time.monotonic()
        try:
            if mode == "wait":
                c.wait_for_job_status(name, timeout=60, polling_interval=1)
            elif mode == "follow":
                for line in c.get_job_logs(name, follow=True):
                    pass
            else:
                c.stream_job_logs(name, lambda text, step: None, follow=True)
        except KeyboardInterrupt:
            print("interrupted %.2f" % (time.monotonic() - t0), flush=True)
            print("handler-restored", signal.getsignal(signal.SIGINT) is
                  signal.default_int_handler, flush=True)
            sys.exit(0)
        sys.exit(5)
        """)

    def ctrl_c(self, mode):
        name = self.train("import time\nfor i in range(300):\n"
                          "    print('tick', i, flush=True); time.sleep(0.2)\n")
        p = subprocess.Popen([sys.executable, "-c", self.CTRL_C_CHILD, mode, name],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.stdout.readline().strip(), "waiting")
        time.sleep(1.0)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
        self.assertEqual(p.returncode, 0, err)
        self.assertLess(time.monotonic() - t0, 3.0)
        self.assertIn("interrupted", out)
        self.assertIn("handler-restored True", out)
        # stopping a wait or a follow leaves the job running
        self.assertEqual(self.client.get_job(name).status, "Running")

    @local_required
    def test_ctrl_c_cancels_wait(self):
        self.ctrl_c("wait")

    @local_required
    def test_ctrl_c_cancels_follow_iterator(self):
        self.ctrl_c("follow")

    @local_required
    def test_ctrl_c_cancels_stream_on_this_thread(self):
        self.ctrl_c("stream")

    @local_required
    def test_follow_break_and_delete(self):
        name = self.train("import time\nfor i in range(100):\n"
                          "    print('tick', i, flush=True); time.sleep(0.2)\n")
        got = []
        for line in self.client.get_job_logs(name, step="node-0", follow=True):
            got.append(line)
            if len(got) == 3:
                break
        self.assertEqual(got, ["tick 0", "tick 1", "tick 2"])
        self.client.delete_job(name, grace_period=1)
        with self.assertRaises(k.NotFoundError):
            self.client.get_job(name)



class SdkCompat(unittest.TestCase):
    """Kubeflow SDK spellings (issue 15): backend_config, defaults, logs, options, Step."""

    def test_backend_config_and_defaults(self):
        import kftrainer.client as kc

        seen = {}

        class Captured(Exception):
            pass

        def fake_new_client(self):
            # the options the client would open its backend with; no backend opened
            seen.clear()
            seen.update(self._opts_values)
            raise Captured()

        def make(*a, **kw):
            with self.assertRaises(Captured):
                k.TrainerClient(*a, **kw)
            return seen

        real = kc.TrainerClient._new_client
        kc.TrainerClient._new_client = fake_new_client
        env = os.environ.pop("KFT_BACKEND", None)
        try:
            self.assertEqual(make()["backend"], "kubernetes")   # the SDK's default
            os.environ["KFT_BACKEND"] = "container"
            self.assertIsNone(make()["backend"])                # the library reads KFT_BACKEND
            del os.environ["KFT_BACKEND"]
            self.assertEqual(make(backend_config=k.LocalProcessBackendConfig())["backend"],
                             "local")
            o = make(backend_config=k.LocalProcessBackendConfig(cleanup_venv=False,
                                                                state_dir="/tmp/s"))
            self.assertEqual((o["backend"], o["state_dir"]), ("local", "/tmp/s"))
            o = make(backend_config=k.ContainerBackendConfig(pull_policy="Never"))
            self.assertEqual((o["backend"], o["pull_policy"]), ("container", "Never"))
            o = make(backend_config=k.KubernetesBackendConfig(namespace="ml", context="c1"))
            self.assertEqual((o["backend"], o["ns"], o["context"]), ("kubernetes", "ml", "c1"))
            with self.assertRaises(ValueError) as cm:
                k.TrainerClient(backend_config=object())
            self.assertIn("Invalid backend config", str(cm.exception))
            with self.assertRaises(TypeError):
                k.TrainerClient("local", backend_config=k.LocalProcessBackendConfig())
        finally:
            kc.TrainerClient._new_client = real
            if env is not None:
                os.environ["KFT_BACKEND"] = env
            else:
                os.environ.pop("KFT_BACKEND", None)

    def test_backend_options_reach_the_backend(self):
        # the built-in backends take none and say so, naming the key
        with self.assertRaises(k.InvalidError) as cm:
            k.TrainerClient("local", backend_options={"colour": "blue"})
        self.assertIn('backend option "colour"', str(cm.exception))
        with self.assertRaises(TypeError):
            k.TrainerClient("local", backend_options={"a": 1})

    def test_options_shape_the_trainjob(self):
        from kftrainer import options as o

        text = k.render_trainjob(
            "torch-distributed", trainer=k.CustomTrainerContainer(image="busybox"),
            format="json", options=[
                o.Name("opt-job"), o.Labels({"kueue.x-k8s.io/queue-name": "q1"}),
                o.Annotations({"team": "ml"}), o.TrainerCommand(["sh", "-c"]),
                o.TrainerArgs(["echo hi"]), o.ActiveDeadlineSeconds(600),
                o.RuntimePatch({"template": {"spec": {"replicated_jobs": [
                    {"name": "node", "template": {"spec": {"template": {"spec": {
                        "node_selector": {"disk": "ssd"}}}}}}]}}})])
        tj = json.loads(text)
        self.assertEqual(tj["metadata"]["name"], "opt-job")
        self.assertEqual(tj["metadata"]["labels"], {"kueue.x-k8s.io/queue-name": "q1"})
        self.assertEqual(tj["metadata"]["annotations"], {"team": "ml"})
        self.assertEqual(tj["spec"]["trainer"]["command"], ["sh", "-c"])
        self.assertEqual(tj["spec"]["trainer"]["args"], ["echo hi"])
        self.assertEqual(tj["spec"]["activeDeadlineSeconds"], 600)
        patches = tj["spec"]["runtimePatches"]
        mine = [p for p in patches if p["manager"] == o.SDK_PATCH_MANAGER]
        self.assertEqual(len(mine), 1, patches)
        rj = mine[0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]
        self.assertEqual(rj["template"]["spec"]["template"]["spec"]["nodeSelector"],
                         {"disk": "ssd"})
        # the SDK's rules
        with self.assertRaises(ValueError):
            o.ActiveDeadlineSeconds(0)
        with self.assertRaises(ValueError):
            k.render_trainjob("torch-distributed",
                              trainer=k.CustomTrainer(command=["true"]),
                              options=[o.TrainerCommand(["x"])])
        with self.assertRaises(TypeError):
            k.render_trainjob("torch-distributed", options=[{"name": "x"}])
        # options called as the SDK calls them, on a dict
        d = {}
        o.Labels({"a": "b"})(d, None, None)
        self.assertEqual(d, {"metadata": {"labels": {"a": "b"}}})

    @local_required
    def test_logs_default_to_node0_and_steps_mean_pods(self):
        c = k.TrainerClient(backend_config=k.LocalProcessBackendConfig())
        name = c.train("torch-distributed", trainer=k.CustomTrainer(
            command=["python3", "-c", TWO_NODE], num_nodes=2))
        try:
            c.wait_for_job_status(name, timeout=60, polling_interval=1)
            lines = list(c.get_job_logs(name))
            self.assertIn("hello from node 0 of 2", lines)      # node-0, no prefix
            self.assertFalse([l for l in lines if "node 1" in l], lines)
            every = list(c.get_job_logs(name, step=None))
            self.assertIn("node-1: hello from node 1 of 2", every)
            job = c.get_job(name)
            step = [s for s in job.steps if s.name == "node-0"][0]
            self.assertEqual(step.pod_name, name + "-node-0")     # not a pid
            self.assertIsInstance(step.pid, int)
        finally:
            c.delete_job(name, grace_period=1)

    @local_required
    def test_follow_generator_stops_its_thread(self):
        c = k.TrainerClient(backend_config=k.LocalProcessBackendConfig())
        name = c.train("torch-distributed", trainer=k.CustomTrainer(
            command=["python3", "-c", "import time; print('first', flush=True); "
                     "time.sleep(60)"]))

        def log_threads():
            return [t for t in threading.enumerate() if t.name == "kftrainer-logs-" + name]

        try:
            gen = c.get_job_logs(name, follow=True)
            self.assertEqual(next(gen), "first")
            self.assertEqual(len(log_threads()), 1)
            t0 = time.monotonic()
            gen.close()   # the step is quiet: the heartbeat lets the thread see it
            self.assertEqual(log_threads(), [])
            self.assertLess(time.monotonic() - t0, 2.5)
            # abandoned: a for loop left with break, the generator never named
            for line in c.get_job_logs(name, follow=True):
                break
            deadline = time.monotonic() + 2.5
            while log_threads() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(log_threads(), [])
        finally:
            c.delete_job(name, grace_period=1)

def main():
    global LOCAL
    LOCAL = _local_can_run()
    print("library:", k.library_path(), k.library_version(), "| package:", k.__file__)
    print("local backend runs jobs:", LOCAL)
    prog = unittest.main(exit=False, verbosity=2)
    res = prog.result
    if not res.wasSuccessful():
        sys.exit(1)
    if not LOCAL:
        print("local backend not available yet")
        sys.exit(77)
    sys.exit(0)


if __name__ == "__main__":
    main()
