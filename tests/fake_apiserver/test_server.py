#!/usr/bin/env python3
"""Unit tests for the fake Kubernetes API server (standard library only).

Starts server.py as a real process over TLS on 127.0.0.1 and talks to it with
http.client: watch streams, 410 Gone, fault switches, log follow, status conditions,
validation, keep-alive accounting, the 10k list. Run: python3 test_server.py -v
"""

import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")
GVP = "/apis/trainer.kubeflow.org/v1alpha1"
JOBS = GVP + "/namespaces/default/trainjobs"


class Server:
    def __init__(self, *extra):
        self.dir = tempfile.mkdtemp(prefix="kft-fakeapi-ut.")
        self.proc = subprocess.Popen([sys.executable, SERVER, "--dir", self.dir] + list(extra),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 15
        port_file = os.path.join(self.dir, "port")
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("server died: %s" % self.proc.stderr.read().decode())
            if time.time() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.crt"))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def conn(self, ctx=None, timeout=20):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx or self.ctx,
                                           timeout=timeout)

    def req(self, method, path, body=None, token="test-token", ctype="application/json",
            conn=None, headers=None):
        c = conn or self.conn()
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h["Content-Type"] = ctype
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            raw = r.read()
        finally:
            if conn is None:
                c.close()
        try:
            obj = json.loads(raw) if raw else None
        except ValueError:
            obj = raw
        return r.status, obj, r

    def ctl(self, path, body=None):
        st, obj, _ = self.req("POST" if body is not None else "GET", "/_fake/" + path, body,
                              token=None)
        assert st == 200, (path, st, obj)
        return obj


def job(name, runtime="torch-distributed", nodes=1, ann=None, suspend=None):
    o = {"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob",
         "metadata": {"name": name},
         "spec": {"runtimeRef": {"name": runtime}, "trainer": {"numNodes": nodes}}}
    if ann:
        o["metadata"]["annotations"] = ann
    if suspend is not None:
        o["spec"]["suspend"] = suspend
    return o


def cond(obj, ctype):
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c["type"] == ctype:
            return c
    return None


class FakeApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server("--token", "test-token", "--token", "t-two")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def setUp(self):
        self.s.ctl("reset", {})
        self.s.ctl("controller", {"pendingMs": 100, "runMs": 500, "bookmarkMs": 1000})

    def wait_job(self, name, pred, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st, o, _ = self.s.req("GET", JOBS + "/" + name)
            if st == 200 and pred(o):
                return o
            time.sleep(0.05)
        self.fail("job %s: condition not reached; last %s" % (name, o))

    def pods(self, jobname):
        st, o, _ = self.s.req("GET", "/api/v1/namespaces/default/pods?labelSelector=" +
                              "jobset.sigs.k8s.io/jobset-name%3D" + jobname)
        self.assertEqual(st, 200)
        return o["items"]

    # -- discovery and auth ------------------------------------------------------------
    def test_discovery(self):
        for p in ("/version", "/version/", "/api", "/api/v1", "/apis",
                  "/apis/trainer.kubeflow.org", GVP):
            st, o, _ = self.s.req("GET", p)
            self.assertEqual(st, 200, p)
        st, o, _ = self.s.req("GET", GVP)
        byname = {r["name"]: r for r in o["resources"]}
        self.assertTrue(byname["trainjobs"]["namespaced"])
        self.assertIn("trainjobs/status", byname)
        self.assertFalse(byname["clustertrainingruntimes"]["namespaced"])
        st, o, _ = self.s.req("GET", "/api/v1")
        names = {r["name"] for r in o["resources"]}
        self.assertTrue({"pods", "pods/log", "events", "configmaps", "namespaces"} <= names)

    def test_auth(self):
        st, o, _ = self.s.req("GET", JOBS, token="nope")
        self.assertEqual(st, 401)
        self.assertEqual(o, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                             "status": "Failure", "message": "Unauthorized",
                             "reason": "Unauthorized", "code": 401})
        self.assertEqual(self.s.req("GET", JOBS, token=None)[0], 401)
        self.assertEqual(self.s.req("GET", JOBS, token="t-two")[0], 200)
        # client certificate signed by ca.crt
        ctx = ssl.create_default_context(cafile=os.path.join(self.s.dir, "ca.crt"))
        ctx.load_cert_chain(os.path.join(self.s.dir, "client.crt"),
                            os.path.join(self.s.dir, "client.key"))
        c = self.s.conn(ctx)
        st, o, _ = self.s.req("GET", JOBS, token=None, conn=c)
        c.close()
        self.assertEqual(st, 200)
        # wrong CA on the client side: handshake must fail
        bad = ssl.create_default_context(cafile=os.path.join(self.s.dir, "other-ca.crt"))
        c = self.s.conn(bad)
        with self.assertRaises(ssl.SSLError):
            self.s.req("GET", "/version", conn=c)
        c.close()
        # token expiry: every known token fails; a token issued afterwards works (refresh)
        self.s.ctl("faults", {"expireTokens": True})
        self.assertEqual(self.s.req("GET", JOBS)[0], 401)
        self.assertEqual(self.s.req("GET", JOBS, token="t-two")[0], 401)
        self.s.ctl("tokens", {"token": "fresh"})
        self.assertEqual(self.s.req("GET", JOBS, token="fresh")[0], 200)
        self.s.ctl("faults", {"expireTokens": False})
        self.assertEqual(self.s.req("GET", JOBS)[0], 200)
        self.s.ctl("tokens", {"revoke": "t-two"})
        self.assertEqual(self.s.req("GET", JOBS, token="t-two")[0], 401)
        self.s.ctl("tokens", {"token": "t-two"})
        # the request log redacts Authorization
        reqs = self.s.ctl("requests")
        self.assertTrue(reqs)
        for r in reqs:
            for k, v in r["headers"].items():
                if k.lower() == "authorization":
                    self.assertEqual(v, "<redacted>")
        self.assertNotIn("fresh", json.dumps(reqs))

    def test_version_configmap(self):
        st, o, _ = self.s.req("GET", "/api/v1/namespaces/kubeflow-system/configmaps/"
                              "kubeflow-trainer-public")
        self.assertEqual(st, 200)
        self.assertEqual(o["data"]["kubeflow_trainer_version"], "v2.3.0")

    # -- CRUD and validation -----------------------------------------------------------
    def test_create_validation(self):
        st, o, _ = self.s.req("POST", JOBS, job("Bad_Name"))
        self.assertEqual(st, 422)
        self.assertEqual(o["reason"], "Invalid")
        self.assertEqual(o["details"]["causes"][0]["field"], "metadata.name")
        self.assertIn("RFC 1035", o["message"])
        bad = job("ok-name")
        del bad["spec"]["runtimeRef"]["name"]
        st, o, _ = self.s.req("POST", JOBS, bad)
        self.assertEqual(st, 422)
        self.assertEqual(o["details"]["causes"][0]["field"], "spec.runtimeRef.name")
        st, o, _ = self.s.req("POST", JOBS, job("x", runtime="no-such-runtime"))
        self.assertEqual(st, 403)
        self.assertIn("clusterTrainingRuntime must be created", o["message"])
        # dry run stores nothing
        st, o, _ = self.s.req("POST", JOBS + "?dryRun=All", job("dry"))
        self.assertEqual(st, 201)
        self.assertEqual(o["metadata"]["name"], "dry")
        self.assertEqual(self.s.req("GET", JOBS + "/dry")[0], 404)
        # create, conflict, generateName, 404 text
        self.assertEqual(self.s.req("POST", JOBS, job("j1"))[0], 201)
        st, o, _ = self.s.req("POST", JOBS, job("j1"))
        self.assertEqual((st, o["reason"]), (409, "AlreadyExists"))
        g = job("")
        g["metadata"] = {"generateName": "gen-"}
        st, o, _ = self.s.req("POST", JOBS, g)
        self.assertEqual(st, 201)
        self.assertRegex(o["metadata"]["name"], r"^gen-[a-z0-9]{5}$")
        for k in ("uid", "resourceVersion", "creationTimestamp", "generation"):
            self.assertIn(k, o["metadata"])
        st, o, _ = self.s.req("GET", JOBS + "/missing")
        self.assertEqual(st, 404)
        self.assertEqual(o["message"], 'trainjobs.trainer.kubeflow.org "missing" not found')
        self.assertEqual(o["details"]["name"], "missing")
        self.s.ctl("faults", {"forbidCreate": True})
        st, o, _ = self.s.req("POST", JOBS, job("j2"))
        self.assertEqual((st, o["reason"]), (403, "Forbidden"))
        self.assertIn('cannot create resource "trainjobs"', o["message"])

    def test_list_selectors_paging(self):
        for i in range(5):
            j = job("p%d" % i)
            j["metadata"]["labels"] = {"idx": str(i), "grp": "a" if i < 3 else "b"}
            j["spec"]["suspend"] = True
            self.assertEqual(self.s.req("POST", JOBS, j)[0], 201)
        st, o, _ = self.s.req("GET", JOBS + "?labelSelector=grp%3Da")
        self.assertEqual([i["metadata"]["name"] for i in o["items"]], ["p0", "p1", "p2"])
        st, o, _ = self.s.req("GET", JOBS + "?labelSelector=idx+in+(1,4),grp%3Db")
        self.assertEqual([i["metadata"]["name"] for i in o["items"]], ["p4"])
        st, o, _ = self.s.req("GET", JOBS + "?limit=2")
        self.assertEqual(len(o["items"]), 2)
        self.assertEqual(o["metadata"]["remainingItemCount"], 3)
        names = [i["metadata"]["name"] for i in o["items"]]
        while o["metadata"].get("continue"):
            st, o, _ = self.s.req("GET", JOBS + "?limit=2&continue=" + o["metadata"]["continue"])
            names += [i["metadata"]["name"] for i in o["items"]]
        self.assertEqual(names, ["p0", "p1", "p2", "p3", "p4"])
        self.assertEqual(o["kind"], "TrainJobList")
        self.assertTrue(int(o["metadata"]["resourceVersion"]) > 0)
        # a continue token from before a compaction is 410 Expired, as kube-apiserver's
        st, o, _ = self.s.req("GET", JOBS + "?limit=2")
        self.assertEqual(self.s.req("POST", JOBS, job("p5", suspend=True))[0], 201)
        self.s.ctl("compact", {})
        st, o2, _ = self.s.req("GET", JOBS + "?limit=2&continue=" + o["metadata"]["continue"])
        self.assertEqual((st, o2["reason"]), (410, "Expired"))
        self.assertIn("continue parameter is too old", o2["message"])
        st, o, _ = self.s.req("GET", JOBS + "?limit=2")   # a fresh token works
        st, _, _ = self.s.req("GET", JOBS + "?limit=2&continue=" + o["metadata"]["continue"])
        self.assertEqual(st, 200)

    def test_runtimes(self):
        st, o, _ = self.s.req("GET", GVP + "/clustertrainingruntimes")
        names = {i["metadata"]["name"]: i for i in o["items"]}
        self.assertEqual(set(names), {"torch-distributed", "torchtune-llama3.2-1b",
                                      "deepspeed-distributed"})
        self.assertEqual(names["torch-distributed"]["metadata"]["labels"]
                         ["trainer.kubeflow.org/framework"], "torch")
        rt = {"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainingRuntime",
              "metadata": {"name": "my-rt", "labels": {"trainer.kubeflow.org/framework":
                                                       "torch"}},
              "spec": names["torch-distributed"]["spec"]}
        p = GVP + "/namespaces/default/trainingruntimes"
        self.assertEqual(self.s.req("POST", p, rt)[0], 201)
        self.assertEqual(self.s.req("GET", p + "/my-rt")[0], 200)
        j = job("on-ns-rt", runtime="my-rt")
        j["spec"]["runtimeRef"]["kind"] = "TrainingRuntime"
        self.assertEqual(self.s.req("POST", JOBS, j)[0], 201)
        self.assertEqual(self.s.req("DELETE", p + "/my-rt")[0], 200)
        self.assertEqual(self.s.req("GET", p + "/my-rt")[0], 404)
        # the job whose runtime was deleted is still readable
        self.assertEqual(self.s.req("GET", JOBS + "/on-ns-rt")[0], 200)

    # -- controller and conditions -----------------------------------------------------
    def test_complete_pods_events(self):
        self.assertEqual(self.s.req("POST", JOBS, job("c1", nodes=3))[0], 201)
        o = self.wait_job("c1", lambda o: cond(o, "Complete"))
        c = cond(o, "Complete")
        self.assertEqual((c["status"], c["reason"], c["message"]),
                         ("True", "AllJobsCompleted", "jobset completed successfully"))
        pods = self.pods("c1")
        self.assertEqual(len(pods), 3)
        idx = sorted(p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"]
                     for p in pods)
        self.assertEqual(idx, ["0", "1", "2"])
        for p in pods:
            self.assertRegex(p["metadata"]["name"], r"^c1-node-0-[0-2]-[a-z0-9]{5}$")
            self.assertEqual(p["status"]["phase"], "Succeeded")
            self.assertEqual(p["spec"]["containers"][0]["name"], "node")
            t = p["status"]["containerStatuses"][0]["state"]["terminated"]
            self.assertEqual((t["exitCode"], t["reason"]), (0, "Completed"))
        st, o, _ = self.s.req("GET", "/api/v1/namespaces/default/events?fieldSelector="
                              "involvedObject.name%3Dc1,involvedObject.kind%3DTrainJob")
        reasons = [e["reason"] for e in o["items"]]
        self.assertIn("Completed", reasons)
        for e in o["items"]:
            self.assertEqual(e["involvedObject"]["name"], "c1")
        # delete removes the pods
        st, o, _ = self.s.req("DELETE", JOBS + "/c1?propagationPolicy=Foreground")
        self.assertEqual(st, 200)
        self.assertEqual(self.pods("c1"), [])

    def test_runtime_shapes(self):
        # torchtune: initializers first (in parallel), then the node
        self.s.req("POST", JOBS, job("tt", runtime="torchtune-llama3.2-1b"))
        # deepspeed with runLauncherAsNode: numNodes 3 -> 2 sshd nodes + 1 launcher
        self.s.req("POST", JOBS, job("ds", runtime="deepspeed-distributed", nodes=3))
        for name in ("tt", "ds"):
            self.wait_job(name, lambda o: cond(o, "Complete"))
        by = {}
        for p in self.pods("tt"):
            rj = p["metadata"]["labels"]["jobset.sigs.k8s.io/replicatedjob-name"]
            by[rj] = p
            self.assertEqual(p["spec"]["containers"][0]["name"],
                             "node" if rj == "node" else rj)
            self.assertTrue(p["metadata"]["name"].startswith("tt-%s-0-0-" % rj))
        self.assertEqual(set(by), {"dataset-initializer", "model-initializer", "node"})
        self.assertGreaterEqual(by["node"]["metadata"]["creationTimestamp"],
                                by["model-initializer"]["metadata"]["creationTimestamp"])
        self.assertLess(int(by["model-initializer"]["metadata"]["resourceVersion"]),
                        int(by["node"]["metadata"]["resourceVersion"]))
        count = {}
        for p in self.pods("ds"):
            rj = p["metadata"]["labels"]["jobset.sigs.k8s.io/replicatedjob-name"]
            count[rj] = count.get(rj, 0) + 1
        self.assertEqual(count, {"node": 2, "launcher": 1})
        st, o, _ = self.s.req("GET", JOBS + "/tt")
        self.assertEqual(sorted(j["name"] for j in o["status"]["jobsStatus"]),
                         ["dataset-initializer", "model-initializer", "node"])

    def test_fail_and_oom(self):
        self.s.req("POST", JOBS, job("f1", nodes=2, ann={"fake.kftrainer.dev/fail-node": "1"}))
        self.s.req("POST", JOBS, job("o1", nodes=2, ann={"fake.kftrainer.dev/oom-node": "0"}))
        for name, idx, code, reason in (("f1", "1", 1, "Error"), ("o1", "0", 137, "OOMKilled")):
            o = self.wait_job(name, lambda o: cond(o, "Failed"))
            c = cond(o, "Failed")
            self.assertEqual((c["status"], c["reason"]), ("True", "FailedJobs"))
            self.assertIsNone(cond(o, "Complete"))
            for p in self.pods(name):
                t = p["status"]["containerStatuses"][0]["state"]["terminated"]
                if p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == idx:
                    self.assertEqual((t["exitCode"], t["reason"]), (code, reason))
                    self.assertEqual(p["status"]["phase"], "Failed")
                else:
                    self.assertEqual(t["exitCode"], 0)

    def test_suspend_resume(self):
        self.s.req("POST", JOBS, job("s1", suspend=True))
        o = self.wait_job("s1", lambda o: cond(o, "Suspended"))
        c = cond(o, "Suspended")
        self.assertEqual((c["status"], c["reason"]), ("True", "Suspended"))
        time.sleep(0.3)
        self.assertEqual(self.pods("s1"), [])
        st, o, _ = self.s.req("PATCH", JOBS + "/s1", {"spec": {"suspend": False}},
                              ctype="application/merge-patch+json")
        self.assertEqual(st, 200)
        self.assertEqual(o["metadata"]["generation"], 2)
        o = self.wait_job("s1", lambda o: cond(o, "Complete"))
        c = cond(o, "Suspended")
        self.assertEqual((c["status"], c["reason"]), ("False", "Resumed"))
        # immutable fields
        st, o, _ = self.s.req("PATCH", JOBS + "/s1", {"spec": {"trainer": {"numNodes": 4}}},
                              ctype="application/merge-patch+json")
        self.assertEqual(st, 422)

    def test_forced_status_and_progress(self):
        self.s.ctl("controller", {"pendingMs": 50, "runMs": 600})
        self.s.req("POST", JOBS, job("pr", ann={"fake.kftrainer.dev/progress": "true",
                                                "fake.kftrainer.dev/duration-ms": "800"}))
        o = self.wait_job("pr", lambda o: (o.get("status") or {}).get("trainerStatus"))
        ts = o["status"]["trainerStatus"]
        self.assertTrue(0 < ts["progressPercentage"] <= 100)
        self.assertIn("estimatedRemainingSeconds", ts)
        self.assertEqual(ts["metrics"][0]["name"], "loss")
        o = self.wait_job("pr", lambda o: cond(o, "Complete"))
        self.assertEqual(o["status"]["trainerStatus"]["progressPercentage"], 100)
        # forced conditions (e.g. Kueue's Suspended=False/Resumed)
        self.s.req("POST", JOBS, job("forced", suspend=True))
        self.wait_job("forced", lambda o: cond(o, "Suspended"))
        forced = [{"type": "Suspended", "status": "False", "reason": "Resumed",
                   "message": "TrainJob is resumed",
                   "lastTransitionTime": "2026-01-01T00:00:00Z"}]
        o = self.s.ctl("trainjobs/default/forced/status", {"conditions": forced})
        self.assertEqual(o["status"]["conditions"], forced)
        st, o, _ = self.s.req("GET", JOBS + "/forced/status")
        self.assertEqual(o["status"]["conditions"], forced)

    # -- watch -------------------------------------------------------------------------
    def read_events(self, resp, until, timeout=10):
        evs = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = resp.readline()
            if not line:
                break
            ev = json.loads(line)
            evs.append(ev)
            if until(ev):
                break
        return evs

    def test_watch(self):
        self.s.ctl("controller", {"bookmarkMs": 200})
        st, o, _ = self.s.req("GET", JOBS)
        rv = o["metadata"]["resourceVersion"]
        c = self.s.conn()
        c.request("GET", JOBS + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + rv,
                  headers={"Authorization": "Bearer test-token"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Transfer-Encoding"), "chunked")
        self.s.req("POST", JOBS, job("w1"))
        evs = self.read_events(r, lambda e: e["type"] == "MODIFIED" and
                               cond(e["object"], "Complete"))
        types = [e["type"] for e in evs]
        self.assertEqual(types[0], "ADDED")
        self.assertEqual(evs[0]["object"]["metadata"]["name"], "w1")
        self.assertTrue(cond(evs[-1]["object"], "Complete"), types)
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in evs]
        self.assertEqual(rvs, sorted(rvs))
        evs = self.read_events(r, lambda e: e["type"] == "BOOKMARK", timeout=3)
        self.assertEqual(evs[-1]["type"], "BOOKMARK")
        self.assertGreaterEqual(int(evs[-1]["object"]["metadata"]["resourceVersion"]), rvs[-1])
        self.s.req("DELETE", JOBS + "/w1")
        evs = self.read_events(r, lambda e: e["type"] == "DELETED")
        self.assertEqual(evs[-1]["type"], "DELETED")
        c.close()
        # without resourceVersion: synthetic ADDED for existing objects; timeoutSeconds ends it
        c = self.s.conn()
        self.s.req("POST", JOBS, job("w2", suspend=True))
        t0 = time.time()
        c.request("GET", JOBS + "?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dw2",
                  headers={"Authorization": "Bearer test-token"})
        r = c.getresponse()
        body = r.read()  # ends cleanly (terminating chunk) after ~1 s
        self.assertLess(time.time() - t0, 5)
        lines = [json.loads(x) for x in body.splitlines()]
        self.assertEqual(lines[0]["type"], "ADDED")
        self.assertTrue(all(e["object"]["metadata"]["name"] == "w2" for e in lines))
        c.close()

    def test_watch_gone(self):
        st, o, _ = self.s.req("GET", JOBS)
        old = o["metadata"]["resourceVersion"]
        self.s.req("POST", JOBS, job("g1", suspend=True))
        self.s.ctl("compact", {})
        c = self.s.conn()
        c.request("GET", JOBS + "?watch=1&resourceVersion=" + old,
                  headers={"Authorization": "Bearer test-token"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        evs = [json.loads(x) for x in r.read().splitlines()]
        self.assertEqual(evs[-1]["type"], "ERROR")
        self.assertEqual(evs[-1]["object"]["code"], 410)
        self.assertEqual(evs[-1]["object"]["reason"], "Expired")
        c.close()
        self.s.ctl("faults", {"gone": 1})
        c = self.s.conn()
        c.request("GET", JOBS + "?watch=1&resourceVersion=" + o["metadata"]["resourceVersion"],
                  headers={"Authorization": "Bearer test-token"})
        evs = [json.loads(x) for x in c.getresponse().read().splitlines()]
        self.assertEqual((evs[0]["type"], evs[0]["object"]["code"]), ("ERROR", 410))
        c.close()
        self.s.ctl("faults", {"goneHttp": 1})
        st, o, _ = self.s.req("GET", JOBS + "?watch=1&resourceVersion=1")
        self.assertEqual((st, o["code"], o["reason"]), (410, 410, "Expired"))

    def test_drop_watch(self):
        self.s.req("POST", JOBS, job("d1", suspend=True))
        self.s.ctl("faults", {"dropWatch": 1})
        c = self.s.conn()
        c.request("GET", JOBS + "?watch=1", headers={"Authorization": "Bearer test-token"})
        r = c.getresponse()
        with self.assertRaises(http.client.IncompleteRead):
            r.read()
        c.close()

    # -- faults ------------------------------------------------------------------------
    def test_faults(self):
        self.s.ctl("faults", {"status5xx": 2})
        for _ in range(2):
            st, o, _ = self.s.req("GET", JOBS)
            self.assertEqual((st, o["reason"], o["code"]), (503, "ServiceUnavailable", 503))
        self.assertEqual(self.s.req("GET", JOBS)[0], 200)
        self.s.ctl("faults", {"throttle": 1, "retryAfter": 2})
        st, o, r = self.s.req("GET", JOBS)
        self.assertEqual((st, r.getheader("Retry-After"), o["reason"]),
                         (429, "2", "TooManyRequests"))
        self.s.ctl("faults", {"garbage": 1})
        st, o, _ = self.s.req("GET", JOBS)
        self.assertEqual(st, 200)
        self.assertIsInstance(o, bytes)  # not parseable as JSON
        self.s.ctl("faults", {"truncate": 1})
        with self.assertRaises(http.client.IncompleteRead):
            self.s.req("GET", JOBS)
        self.s.ctl("faults", {"slowMs": 300})
        t0 = time.time()
        self.assertEqual(self.s.req("GET", "/version")[0], 200)
        self.assertGreaterEqual(time.time() - t0, 0.3)
        self.s.ctl("reset", {})
        t0 = time.time()
        self.s.req("GET", "/version")
        self.assertLess(time.time() - t0, 0.3)

    # -- logs --------------------------------------------------------------------------
    def test_logs(self):
        self.s.ctl("controller", {"pendingMs": 600, "runMs": 1000})
        self.s.req("POST", JOBS, job("l1"))
        deadline = time.time() + 5
        while not self.pods("l1") and time.time() < deadline:
            time.sleep(0.02)
        pod = self.pods("l1")[0]
        name = pod["metadata"]["name"]
        base = "/api/v1/namespaces/default/pods/%s/log" % name
        st, o, _ = self.s.req("GET", base + "?container=node")
        self.assertEqual(st, 400)
        self.assertEqual(o["message"],
                         'container "node" in pod "%s" is waiting to start: ContainerCreating'
                         % name)
        while self.pods("l1")[0]["status"]["phase"] == "Pending":
            time.sleep(0.02)
        c = self.s.conn()
        t0 = time.time()
        c.request("GET", base + "?follow=true&timestamps=true",
                  headers={"Authorization": "Bearer test-token"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        got = []
        while True:
            line = r.readline()
            if not line:
                break
            got.append((time.time() - t0, line.decode()))
        c.close()
        self.assertEqual(len(got), 5, got)
        self.assertGreater(got[-1][0] - got[0][0], 0.4)  # streamed as produced
        self.assertRegex(got[1][1], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z epoch 1 loss")
        st, o, r = self.s.req("GET", base + "?tailLines=2")
        self.assertEqual(o if isinstance(o, bytes) else b"",
                         b"epoch 3 loss 0.500\ntraining complete\n")
        st, o, _ = self.s.req("GET", base + "?container=nope")
        self.assertEqual(st, 400)

    def test_unknown_fields_and_status_patch(self):
        j = job("uf")
        j["spec"]["podTemplateOverrides"] = []  # a v2.1 field; the server is v2.3.0
        st, o, _ = self.s.req("POST", JOBS + "?fieldValidation=Strict", j)
        self.assertEqual((st, o["reason"]), (400, "BadRequest"))
        self.assertIn('unknown field "spec.podTemplateOverrides"', o["message"])
        st, o, r = self.s.req("POST", JOBS, j)
        self.assertEqual(st, 201)
        self.assertNotIn("podTemplateOverrides", o["spec"])
        self.assertEqual(r.getheader("Warning"),
                         '299 - "unknown field \\"spec.podTemplateOverrides\\""')
        j = job("npn")
        j["spec"]["trainer"]["numProcPerNode"] = "auto"
        st, o, _ = self.s.req("POST", JOBS, j)
        self.assertEqual(st, 422)
        self.assertEqual(o["details"]["causes"][0]["field"], "spec.trainer.numProcPerNode")
        # status subresource: a PATCH changes only status
        st, o, _ = self.s.req("PATCH", JOBS + "/uf/status",
                              {"status": {"conditions": [{"type": "Failed", "status": "True",
                                                          "reason": "X", "message": "m"}]},
                               "spec": {"suspend": True}},
                              ctype="application/merge-patch+json")
        self.assertEqual(st, 200)
        self.assertEqual(cond(o, "Failed")["reason"], "X")
        self.assertFalse(o["spec"]["suspend"])
        st, o, _ = self.s.req("PATCH", JOBS + "/uf", {"spec": {"suspend": True}},
                              ctype="application/strategic-merge-patch+json")
        self.assertEqual(st, 415)
        # Table output for kubectl
        st, o, _ = self.s.req("GET", JOBS, headers={
            "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
        self.assertEqual(o["kind"], "Table")
        self.assertEqual([c["name"] for c in o["columnDefinitions"]], ["Name", "State", "Age"])
        row = [r for r in o["rows"] if r["cells"][0] == "uf"][0]
        self.assertEqual(row["cells"][1], "Failed")

    def test_basic_auth_and_gzip(self):
        import base64
        import gzip
        self.s.ctl("tokens", {"basic": "alice:s3cret"})
        auth = "Basic " + base64.b64encode(b"alice:s3cret").decode()
        st, _, _ = self.s.req("GET", JOBS, token=None, headers={"Authorization": auth})
        self.assertEqual(st, 200)
        auth = "Basic " + base64.b64encode(b"alice:wrong").decode()
        st, _, _ = self.s.req("GET", JOBS, token=None, headers={"Authorization": auth})
        self.assertEqual(st, 401)
        self.s.ctl("bulk", {"count": 500})
        c = self.s.conn()
        c.request("GET", JOBS, headers={"Authorization": "Bearer test-token",
                                        "Accept-Encoding": "gzip"})
        r = c.getresponse()
        raw = r.read()
        c.close()
        self.assertEqual(r.getheader("Content-Encoding"), "gzip")
        self.assertEqual(len(json.loads(gzip.decompress(raw))["items"]), 500)

    # -- connections and scale ---------------------------------------------------------
    def test_keepalive_stats(self):
        self.s.ctl("stats/clear", {})
        c = self.s.conn()
        for _ in range(20):
            st, _, _ = self.s.req("GET", JOBS, conn=c)
            self.assertEqual(st, 200)
        c.close()
        s = self.s.ctl("stats")
        self.assertEqual((s["connections"], s["tlsHandshakes"], s["requests"]), (1, 1, 20))

    def test_list_10k(self):
        t0 = time.time()
        self.s.ctl("bulk", {"namespace": "default", "count": 10000, "prefix": "bulk"})
        t_bulk = time.time() - t0
        c = self.s.conn()
        times = []
        for _ in range(3):
            t0 = time.time()
            st, o, _ = self.s.req("GET", JOBS, conn=c)
            times.append(time.time() - t0)
            self.assertEqual(st, 200)
            self.assertEqual(len(o["items"]), 10000)
        c.close()
        sys.stderr.write("\n  bulk create 10k: %.3fs, list 10k (client incl. JSON parse): "
                         "%s ... " % (t_bulk, " ".join("%.3fs" % x for x in times)))
        # Timings are reported, not asserted (speed is measured in bench/, not in tests).
        # a change invalidates the cached list
        self.s.req("POST", JOBS, job("zz-after-bulk", suspend=True))
        st, o, _ = self.s.req("GET", JOBS)
        self.assertEqual(len(o["items"]), 10001)


    def test_bulk_sdk_shape(self):
        """shape=sdk: TrainJobs as the SDK creates them (valid against the same rules)."""
        self.s.ctl("bulk", {"namespace": "sdk", "count": 3, "prefix": "s", "shape": "sdk"})
        st, o, _ = self.s.req("GET", "/apis/trainer.kubeflow.org/v1alpha1/namespaces/sdk/trainjobs")
        self.assertEqual(st, 200)
        self.assertEqual(len(o["items"]), 3)
        it = o["items"][0]
        self.assertEqual(it["spec"]["trainer"]["command"][:2], ["bash", "-c"])
        self.assertIn("def train_fashion_mnist", it["spec"]["trainer"]["command"][2])
        self.assertEqual(it["spec"]["trainer"]["numNodes"], 2)
        self.assertEqual([m["manager"] for m in it["metadata"]["managedFields"]],
                         ["kubeflow-sdk", "trainer-controller-manager"])
        self.assertEqual(it["status"]["conditions"][0]["type"], "Complete")
        self.assertGreater(len(json.dumps(it)), 3000)
        st, _, _ = self.s.req("POST", "/_fake/bulk", {"count": 1, "shape": "huge"}, token=None)
        self.assertEqual(st, 400)


class ProxyTest(unittest.TestCase):
    """proxy.py: CONNECT tunnel to the TLS server, with proxy basic auth."""

    def test_connect_tunnel(self):
        s = Server()
        d = tempfile.mkdtemp(prefix="kft-fakeproxy-ut.")
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "proxy.py"), "--dir", d,
                              "--user", "pu:pp"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 15
            while not os.path.exists(os.path.join(d, "proxy-port")) and time.time() < deadline:
                time.sleep(0.05)
            with open(os.path.join(d, "proxy-port")) as f:
                pport = int(f.read())
            import base64
            auth = "Basic " + base64.b64encode(b"pu:pp").decode()
            c = http.client.HTTPSConnection("127.0.0.1", pport, context=s.ctx, timeout=10)
            c.set_tunnel("127.0.0.1", s.port, headers={"Proxy-Authorization": auth})
            for _ in range(3):  # keep-alive through the tunnel
                c.request("GET", "/version", headers={"Authorization": "Bearer test-token"})
                r = c.getresponse()
                self.assertEqual(r.status, 200)
                self.assertIn("gitVersion", json.loads(r.read()))
            c.close()
            c = http.client.HTTPSConnection("127.0.0.1", pport, context=s.ctx, timeout=10)
            c.set_tunnel("127.0.0.1", s.port)
            with self.assertRaises(OSError) as cm:
                c.request("GET", "/version")
            self.assertIn("407", str(cm.exception))
            c.close()
            with open(os.path.join(d, "proxy-log.jsonl")) as f:
                log = [json.loads(x) for x in f]
            self.assertEqual([(x["method"], x["auth"]) for x in log],
                             [("CONNECT", "ok"), ("CONNECT", "denied")])
            self.assertEqual(log[0]["target"], "127.0.0.1:%d" % s.port)
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
            shutil.rmtree(d, ignore_errors=True)
            s.stop()


class PlainHttpNoConfigMapTest(unittest.TestCase):
    """--http and --trainer-version none (a v2.1-like cluster without the ConfigMap)."""

    def test_http_none(self):
        d = tempfile.mkdtemp(prefix="kft-fakeapi-ut.")
        p = subprocess.Popen([sys.executable, SERVER, "--dir", d, "--http", "--trainer-version",
                              "none", "--token", "tok"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 15
            while not os.path.exists(os.path.join(d, "port")) and time.time() < deadline:
                time.sleep(0.05)
            with open(os.path.join(d, "port")) as f:
                port = int(f.read())
            with open(os.path.join(d, "kubeconfig")) as f:
                kc = f.read()
            self.assertIn("server: http://127.0.0.1:%d" % port, kc)
            self.assertIn('token: "tok"', kc)
            self.assertFalse(os.path.exists(os.path.join(d, "ca.crt")))

            def get(path, body=None):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                h = {"Authorization": "Bearer tok", "Content-Type": "application/json"}
                c.request("POST" if body else "GET", path,
                          body=json.dumps(body) if body else None, headers=h)
                r = c.getresponse()
                out = (r.status, json.loads(r.read() or b"null"), r)
                c.close()
                return out
            st, o, _ = get("/api/v1/namespaces/kubeflow-system/configmaps/"
                           "kubeflow-trainer-public")
            self.assertEqual((st, o["reason"]), (404, "NotFound"))
            # the v2.1 schema: podTemplateOverrides allowed, numProcPerNode may be a string
            j = job("old")
            j["spec"]["podTemplateOverrides"] = []
            j["spec"]["trainer"]["numProcPerNode"] = "auto"
            st, o, r = get(JOBS + "?fieldValidation=Strict", j)
            self.assertEqual(st, 201, o)
            self.assertEqual(o["spec"]["podTemplateOverrides"], [])
            j = job("new")
            j["spec"]["runtimePatches"] = []
            st, o, r = get(JOBS + "?fieldValidation=Strict", j)
            self.assertEqual(st, 400)
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
            shutil.rmtree(d, ignore_errors=True)
        self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
