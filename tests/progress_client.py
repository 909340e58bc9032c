#!/usr/bin/env python3
"""A progress-protocol client written from the protocol description
(reference/kubeflow-trainer.md section 10), with no SDK: POST
{"trainerStatus": ...} to $KUBEFLOW_TRAINER_SERVER_URL over TLS verified with
the CA file, bearer token from the token file.

  progress_client.py post PCT [LOSS]      one update; prints the HTTP code and body
  progress_client.py raw FILE [TOKEN]     POST FILE's bytes as is (TOKEN: a literal token,
                                          "-" for no Authorization header)
  progress_client.py flood N              N posts on one connection; prints "200:a 429:b"
  progress_client.py burst N              N posts at once from N threads; prints the codes
Exit status 0 whenever an answer came (the caller checks the code), 2 when none did."""
import http.client, json, os, ssl, sys, threading, time, urllib.parse

URL = os.environ["KUBEFLOW_TRAINER_SERVER_URL"]
CA = os.environ["KUBEFLOW_TRAINER_SERVER_CA_CERT"]
TOKEN_FILE = os.environ["KUBEFLOW_TRAINER_SERVER_TOKEN"]


def body(pct, loss="0.5"):
    return json.dumps({"trainerStatus": {
        "progressPercentage": pct, "estimatedRemainingSeconds": 100 - pct,
        "metrics": [{"name": "loss", "value": loss}, {"name": "step", "value": str(pct)}],
        "lastUpdatedTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}).encode()


def connect():
    u = urllib.parse.urlsplit(URL)
    ctx = ssl.create_default_context(cafile=CA)
    return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=10), u.path


def post(conn, path, data, token):
    headers = {"Content-Type": "application/json"}
    if token != "-":
        headers["Authorization"] = "Bearer " + token
    conn.request("POST", path, body=data, headers=headers)
    r = conn.getresponse()
    return r.status, r.read().decode()


def main():
    token = open(TOKEN_FILE).read().strip()
    cmd = sys.argv[1]
    if cmd == "post":
        conn, path = connect()
        code, text = post(conn, path, body(int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "0.5"), token)
        print(code, text.strip())
    elif cmd == "raw":
        data = open(sys.argv[2], "rb").read()
        conn, path = connect()
        code, text = post(conn, path, data, sys.argv[3] if len(sys.argv) > 3 else token)
        print(code, text.strip())
    elif cmd == "flood":
        conn, path = connect()
        counts = {}
        for i in range(int(sys.argv[2])):
            try:
                code, _ = post(conn, path, body(i % 100), token)
            except (http.client.HTTPException, OSError):
                conn, path = connect()
                continue
            counts[code] = counts.get(code, 0) + 1
        print(" ".join("%d:%d" % kv for kv in sorted(counts.items())))
    elif cmd == "burst":
        codes = []
        def one(i):
            conn, path = connect()
            codes.append(post(conn, path, body(i), token)[0])
        ts = [threading.Thread(target=one, args=(i,)) for i in range(int(sys.argv[2]))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print(" ".join(str(c) for c in sorted(codes)))


try:
    main()
except (OSError, http.client.HTTPException) as e:
    print("no answer:", e)
    sys.exit(2)
