#!/usr/bin/env python3
"""Drive headless Chromium over the DevTools protocol (--remote-debugging-pipe: JSON
messages ending in NUL on fds 3/4), for tests/t_dashboard.sh. Standard library only.

    dash_browser.py CHROMIUM PROFILE_DIR ACTION...
      open URL              load a page (waits for the load event)
      timeopen URL          the same, printing "load_ms N" (navigation to the load event)
      wait MS JS            poll until the JS expression is true (fails after MS)
      check JS              fail unless the JS expression is true
      print JS              print the expression's value (JSON)
      shot FILE W H         screenshot (PNG) at W x H
      sh CMD                run a shell command (e.g. start a job while the page is open)

Exit 0 when every action passed; 1 with the failing action on stderr.
"""
import base64, fcntl, json, os, subprocess, sys, time

class CDP:
    def __init__(self, chromium, profile):
        r1, w1 = os.pipe()   # we write commands -> chromium fd 3
        r2, w2 = os.pipe()   # chromium fd 4 -> we read
        def child():
            # first out of the way of 3 and 4, then onto them
            a, b = fcntl.fcntl(r1, fcntl.F_DUPFD, 10), fcntl.fcntl(w2, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)
        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-default-apps",
                "--user-data-dir=" + profile, "--remote-debugging-pipe", "about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=child, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(r1)
        os.close(w2)
        self.w, self.r = w1, r2
        self.buf = b""
        self.id = 0
        self.session = None

    def _read(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise RuntimeError("chromium did not answer")
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium exited")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True, timeout=30):
        self.id += 1
        m = {"id": self.id, "method": method, "params": params or {}}
        if session and self.session:
            m["sessionId"] = self.session
        os.write(self.w, json.dumps(m).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            r = self._read(deadline)
            if r.get("id") == self.id:
                if "error" in r:
                    raise RuntimeError("%s: %s" % (method, r["error"]))
                return r.get("result", {})
            self.events.append(r) if hasattr(self, "events") else None

    def wait_event(self, name, timeout=30):
        deadline = time.time() + timeout
        for i, e in enumerate(getattr(self, "events", [])):
            if e.get("method") == name:
                del self.events[i]
                return e
        while True:
            e = self._read(deadline)
            if e.get("method") == name:
                return e

    def start(self):
        self.events = []
        t = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        s = self.call("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True},
                      session=False)
        self.session = s["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("JS error in %r: %s" % (expr, r["exceptionDetails"].get("text")))
        return r["result"].get("value")

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    b = CDP(argv[1], argv[2])
    args = argv[3:]
    try:
        b.start()
        while args:
            a = args.pop(0)
            if a in ("open", "timeopen"):
                url = args.pop(0)
                t0 = time.time()
                b.events = [e for e in b.events if e.get("method") != "Page.loadEventFired"]
                b.call("Page.navigate", {"url": url})
                b.wait_event("Page.loadEventFired")
                if a == "timeopen":
                    print("load_ms %d" % ((time.time() - t0) * 1000))
            elif a == "wait":
                ms, expr = int(args.pop(0)), args.pop(0)
                deadline = time.time() + ms / 1000.0
                while not b.eval(expr):
                    if time.time() > deadline:
                        raise RuntimeError("timed out after %d ms waiting for: %s" % (ms, expr))
                    time.sleep(0.05)
            elif a == "check":
                expr = args.pop(0)
                if not b.eval(expr):
                    raise RuntimeError("check failed: %s" % expr)
            elif a == "print":
                print(json.dumps(b.eval(args.pop(0))))
            elif a == "shot":
                f, w, h = args.pop(0), int(args.pop(0)), int(args.pop(0))
                b.call("Emulation.setDeviceMetricsOverride",
                       {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})
                r = b.call("Page.captureScreenshot", {"format": "png"})
                with open(f, "wb") as out:
                    out.write(base64.b64decode(r["data"]))
            elif a == "sh":
                subprocess.run(args.pop(0), shell=True, check=True)
            else:
                raise RuntimeError("unknown action %r" % a)
    except Exception as e:
        print("dash_browser: %s" % e, file=sys.stderr)
        return 1
    finally:
        b.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
