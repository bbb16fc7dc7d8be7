#!/usr/bin/python3
# Floe's probe function: a Lambda runtime written against the Runtime API with Python's standard
# library only. What each invocation does is chosen by the event's "op", so one package exercises
# everything a test needs: state kept across invocations, /tmp, memory, crashes, timeouts, errors,
# large responses and background processes.
import http.client
import json
import os
import subprocess
import sys
import time

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
HOST, PORT = API.rsplit(":", 1)
conn = http.client.HTTPConnection(HOST, int(PORT))

# State created outside the handler survives across invocations of one environment.
count = 0
linger = 0
started = time.time()
print("probe initializing", flush=True)
if os.environ.get("PROBE_INIT") == "crash":
    sys.exit(7)
if os.environ.get("PROBE_INIT") == "error":
    conn.request("POST", "/2018-06-01/runtime/init/error",
                 json.dumps({"errorType": "Probe.InitFailed", "errorMessage": "init failed on purpose"}),
                 {"Lambda-Runtime-Function-Error-Type": "Probe.InitFailed"})
    conn.getresponse().read()
    sys.exit(1)
if os.environ.get("PROBE_INIT_SLEEP"):
    time.sleep(float(os.environ["PROBE_INIT_SLEEP"]))


class ProbeError(Exception):
    pass


def handle(event, headers):
    global count, linger
    op = event.get("op", "count")
    if op == "count":
        count += 1
        return {"count": count, "pid": os.getpid()}
    if op == "echo":
        return {"event": event, "headers": headers}
    if op == "env":
        return dict(os.environ)
    if op == "self":
        tmp = os.statvfs("/tmp")
        with open("/proc/self/cgroup") as f:
            cgroups = f.read()
        return {"pid": os.getpid(), "pgid": os.getpgid(0), "sid": os.getsid(0), "cwd": os.getcwd(),
                "tmp_bytes": tmp.f_blocks * tmp.f_frsize, "tmp_free": tmp.f_bavail * tmp.f_frsize,
                "tmp_entries": sorted(os.listdir("/tmp")), "cgroups": cgroups,
                "tmp_mode": oct(os.stat("/tmp").st_mode & 0o7777)}
    if op == "tmp-write":
        path = event.get("path", "/tmp/probe.bin")
        with open(path, "ab") as f:
            chunk = b"x" * (1024 * 1024)
            for _ in range(event["mb"]):
                f.write(chunk)
        return {"written": event["mb"], "size": os.path.getsize(path)}
    if op == "tmp-read":
        path = event.get("path", "/tmp/probe.bin")
        return {"exists": os.path.exists(path), "size": os.path.getsize(path) if os.path.exists(path) else 0}
    if op == "write-file":
        with open(event["path"], "w") as f:
            f.write(event.get("text", "x"))
        return {"ok": True}
    if op == "sleep":
        time.sleep(event["seconds"])
        return {"slept": event["seconds"]}
    if op == "crash":
        print("probe crashing", flush=True)
        os._exit(event.get("code", 3))
    if op == "alloc":
        hog = b"x" * (event["mb"] * 1024 * 1024)
        return {"allocated": len(hog)}
    if op == "big":
        return "y" * event["bytes"]
    if op == "error":
        raise ProbeError(event.get("message", "failed on purpose"))
    if op == "spawn":
        # A background process that outlives the invocation, appending a tick to a file every 5 ms.
        proc = subprocess.Popen(["/bin/sh", "-c", 'while :; do echo tick >> "$1"; sleep 0.005; done', "ticker",
                                 event["path"]], start_new_session=event.get("new_session", False))
        # Answer once it has ticked, so that it is surely running when the environment freezes after the
        # answer (on a loaded machine it might otherwise not be scheduled before the freeze).
        deadline = time.time() + 10
        while time.time() < deadline and not (os.path.exists(event["path"]) and os.path.getsize(event["path"]) > 0):
            time.sleep(0.005)
        return {"pid": proc.pid}
    if op == "linger":
        # Answer at once, then keep working before asking for the next invocation.
        linger = event["seconds"]
        return {"lingering": linger}
    if op == "http":
        # Calls a Runtime API endpoint (this environment's, unless "endpoint" says otherwise) on new
        # connections, as a misbehaving runtime or a process of another environment would.
        results = []
        for call in event["calls"]:
            endpoint = call.get("endpoint", API)
            try:
                if "raw" in call:
                    import socket
                    host, port = endpoint.rsplit(":", 1)
                    with socket.create_connection((host, int(port)), timeout=5) as raw:
                        raw.sendall(call["raw"].encode("latin-1"))
                        reply = raw.recv(4096).decode("latin-1")
                    results.append({"status": int(reply.split(" ")[1]) if reply.startswith("HTTP/") else -1, "body": reply})
                    continue
                host, port = endpoint.rsplit(":", 1)
                other = http.client.HTTPConnection(host, int(port), timeout=call.get("timeout", 5))
                other.request(call["method"], call["path"], call.get("body"))
                reply = other.getresponse()
                results.append({"status": reply.status, "body": reply.read().decode()})
                other.close()
            except Exception as e:
                results.append({"status": -1, "body": type(e).__name__ + ": " + str(e)})
        return results
    if op == "sh":
        done = subprocess.run(["/bin/sh", "-c", event["command"]], capture_output=True, text=True, timeout=30)
        return {"code": done.returncode, "out": done.stdout + done.stderr}
    if op == "ignore-term":
        # A runtime that will not stop when asked: only SIGKILL (or cgroup.kill) ends it.
        import signal
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        return {"pid": os.getpid()}
    if op == "close-output":
        # A runtime that closes its own stdout and stderr, so the worker's log pipes see their end.
        sys.stdout.flush()
        sys.stderr.flush()
        os.close(1)
        os.close(2)
        return {"closed": True}
    if op == "flood":
        # Output as fast as it can: mb MiB in 64 KiB writes straight to stdout, past Python's buffers.
        chunk = b"x" * 65535 + b"\n"
        total = 0
        while total < event["mb"] << 20:
            total += os.write(1, chunk)
        return {"written": total}
    if op == "log":
        for line in event["lines"]:
            print(line, flush=True)
        return {"logged": len(event["lines"])}
    raise ProbeError("unknown op " + op)


while True:
    conn.request("GET", "/2018-06-01/runtime/invocation/next")
    response = conn.getresponse()
    body = response.read()
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    headers = {k: v for k, v in response.getheaders() if k.lower().startswith("lambda-runtime-")}
    try:
        event = json.loads(body) if body else {}
        result = handle(event if isinstance(event, dict) else {"value": event}, headers)
        conn.request("POST", "/2018-06-01/runtime/invocation/%s/response" % request_id, json.dumps(result))
    except Exception as e:
        conn.request("POST", "/2018-06-01/runtime/invocation/%s/error" % request_id,
                     json.dumps({"errorType": type(e).__name__, "errorMessage": str(e), "stackTrace": []}),
                     {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
    reply = conn.getresponse()
    reply.read()
    if linger:
        time.sleep(linger)
        linger = 0
