#!/usr/bin/env python3
"""A tiny HTTP proxy for testing kubeconfig `proxy-url` (standard library only).

Usage: proxy.py --dir DIR [--user USER:PASSWORD]
Listens on 127.0.0.1 (free port), writes DIR/proxy-port when ready (temp + rename) and
DIR/proxy-log.jsonl (one JSON line per proxied request: {"method", "target", "auth"}).
Supports CONNECT (HTTPS tunnels) and absolute-URI forwarding of plain HTTP requests,
only to 127.0.0.1/localhost. With --user, requests need Proxy-Authorization: Basic.
Runs until SIGTERM/SIGINT.
"""

import argparse
import base64
import json
import os
import select
import signal
import socket
import socketserver
import sys
import threading
import urllib.parse

ALLOWED_HOSTS = ("127.0.0.1", "localhost")


class ProxyHandler(socketserver.StreamRequestHandler):
    rbufsize = 0  # unbuffered: nothing read past the headers is stranded in a buffer
    def _log(self, method, target, auth):
        srv = self.server
        with srv.log_lock:
            with open(srv.log_path, "a") as f:
                f.write(json.dumps({"method": method, "target": target, "auth": auth}) + "\n")

    def _reply(self, code, text, extra=""):
        self.wfile.write(("HTTP/1.1 %d %s\r\n%sContent-Length: 0\r\nConnection: close\r\n\r\n"
                          % (code, text, extra)).encode())

    def handle(self):
        line = self.rfile.readline(65537).decode("latin-1").strip()
        if not line:
            return
        headers = {}
        while True:
            h = self.rfile.readline(65537).decode("latin-1")
            if h in ("\r\n", "\n", ""):
                break
            k, _, v = h.partition(":")
            headers[k.strip().lower()] = (k.strip(), v.strip())
        try:
            method, target, version = line.split(" ", 2)
        except ValueError:
            return self._reply(400, "Bad Request")
        auth_ok = True
        if self.server.user:
            got = headers.get("proxy-authorization", ("", ""))[1]
            want = "Basic " + base64.b64encode(self.server.user.encode()).decode()
            auth_ok = got == want
        self._log(method, target, "ok" if auth_ok and self.server.user else
                  ("denied" if not auth_ok else "none"))
        if not auth_ok:
            return self._reply(407, "Proxy Authentication Required",
                               'Proxy-Authenticate: Basic realm="fake"\r\n')
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            if host not in ALLOWED_HOSTS:
                return self._reply(403, "Forbidden")
            try:
                up = socket.create_connection((host, int(port)), timeout=10)
            except (OSError, ValueError):
                return self._reply(502, "Bad Gateway")
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            self._pipe(self.connection, up)
            return
        u = urllib.parse.urlsplit(target)
        if u.scheme != "http" or u.hostname not in ALLOWED_HOSTS:
            return self._reply(403, "Forbidden")
        try:
            up = socket.create_connection((u.hostname, u.port or 80), timeout=10)
        except OSError:
            return self._reply(502, "Bad Gateway")
        path = u.path + ("?" + u.query if u.query else "")
        out = ["%s %s %s" % (method, path or "/", version)]
        for k, (orig, v) in headers.items():
            if k in ("proxy-authorization", "proxy-connection", "connection"):
                continue
            out.append("%s: %s" % (orig, v))
        out.append("Connection: close")
        up.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
        n = int(headers.get("content-length", ("", "0"))[1] or 0)
        while n > 0:
            chunk = self.rfile.read(min(n, 65536))
            if not chunk:
                break
            up.sendall(chunk)
            n -= len(chunk)
        self._pipe(self.connection, up)

    def _pipe(self, a, b):
        socks = [a, b]
        try:
            while True:
                r, _, _ = select.select(socks, [], [], 60)
                if not r:
                    break
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except OSError:
            pass
        finally:
            b.close()


class ProxyServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv=None):
    ap = argparse.ArgumentParser(description="tiny CONNECT/HTTP proxy for proxy-url tests")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--user", default="")
    a = ap.parse_args(argv)
    d = os.path.abspath(a.dir)
    os.makedirs(d, exist_ok=True)
    srv = ProxyServer(("127.0.0.1", 0), ProxyHandler)
    srv.user = a.user
    srv.log_lock = threading.Lock()
    srv.log_path = os.path.join(d, "proxy-log.jsonl")
    open(srv.log_path, "a").close()

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = os.path.join(d, "proxy-port.tmp.%d" % os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, os.path.join(d, "proxy-port"))
    sys.stderr.write("fake-proxy: listening on 127.0.0.1:%d\n" % srv.server_address[1])
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
