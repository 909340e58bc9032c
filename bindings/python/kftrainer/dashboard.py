# SPDX-License-Identifier: Apache-2.0
"""The dashboard (kft_dashboard_new(3)) from Python.

    from kftrainer import TrainerClient
    with TrainerClient("local").dashboard(listen="127.0.0.1:8080") as d:
        print(d.url)          # http://127.0.0.1:8080/
        d.serve_forever()     # until Ctrl-C (KeyboardInterrupt) or d.stop()

or in the background of a notebook or a training driver:

    d = TrainerClient(backend="kubernetes").dashboard(listen="127.0.0.1:0")
    d.start()                 # serves from a background thread
    ...
    d.close()

It serves / (the jobs, live), /jobs/NAME (status, steps, events, logs, charts, actions)
and /metrics (Prometheus) for the client's backend; on Kubernetes it keeps a SQLite
history of what it observed. It binds 127.0.0.1 unless given a token.
"""

import ctypes
import threading

from . import _ffi


def _b(s):
    return None if s is None else s.encode()


class Dashboard(_ffi.Closing):
    """A running dashboard server. Build it with TrainerClient.dashboard()."""

    def __init__(self, client_opts, *, listen=None, token=None, history_path=None,
                 history_days=None, history_max_jobs=None, poll_interval=None):
        for n, v in (("listen", listen), ("token", token), ("history_path", history_path)):
            if v is not None and (not isinstance(v, str) or "\0" in v):
                raise ValueError("Dashboard: %s must be a string without NUL" % n)
        for n, v in (("history_days", history_days), ("history_max_jobs", history_max_jobs)):
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v <= 0):
                raise ValueError("Dashboard: %s must be a positive integer" % n)
        if poll_interval is not None and not (isinstance(poll_interval, (int, float))
                                              and poll_interval > 0):
            raise ValueError("Dashboard: poll_interval must be a positive number of seconds")
        L = self._L = _ffi.lib()
        o = _ffi.DashboardOpts()
        L.check(L.kft_dashboard_opts_init(ctypes.byref(o), 1))
        self._keep = [_b(listen), _b(token), _b(history_path)]   # alive during the call
        o.listen, o.token, o.history_path = self._keep
        o.history_days = history_days or 0
        o.history_max_jobs = history_max_jobs or 0
        o.poll_ms = int(poll_interval * 1000) if poll_interval else 0
        d = ctypes.c_void_p()
        L.check(L.kft_dashboard_new(ctypes.byref(d), ctypes.byref(client_opts), ctypes.byref(o)))
        self._d = d
        self._thread = None
        self._rc = 0
        self._lock = threading.Lock()

    @property
    def url(self):
        """"http://HOST:PORT/" with the port actually bound."""
        return None if not self._d else self._L.kft_dashboard_url(self._d).decode()

    def _run(self):
        self._rc = self._L.kft_dashboard_run(self._d)   # ctypes releases the GIL

    def start(self):
        """Watch the backend from a background thread (pages are served already)."""
        with self._lock:
            if not self._d:
                raise ValueError("Dashboard is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kft-dashboard",
                                                daemon=True)
                self._thread.start()
        return self

    def serve_forever(self):
        """Serve until stop() or KeyboardInterrupt (Ctrl-C), then return."""
        self.start()
        try:
            while self._thread.is_alive():
                self._thread.join(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
        return self._rc

    def stop(self):
        """Make the watching loop return (serving stops at close())."""
        with self._lock:
            if self._d:
                self._L.kft_dashboard_stop(self._d)
            t = self._thread
        if t is not None:
            t.join()

    def close(self):
        """Stop, join every server thread, free."""
        self.stop()
        with self._lock:
            if self._d:
                self._L.kft_dashboard_free(self._d)
                self._d = None
