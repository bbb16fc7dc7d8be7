#!/usr/bin/python3
# The chaos harness's function: a Lambda runtime in Python's standard library that appends one line
# per invocation it runs to the file named by CHAOS_RECORDS, before answering:
#   "<seq> <request id> <environment pid>"
# so the harness counts what actually ran from the function's own records, not from the replies.
import http.client
import json
import os
import time

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].rsplit(":", 1)
api = http.client.HTTPConnection(host, int(port))
records = os.environ["CHAOS_RECORDS"]

while True:
    api.request("GET", "/2018-06-01/runtime/invocation/next")
    invocation = api.getresponse()
    event = json.loads(invocation.read() or b"{}")
    request_id = invocation.getheader("Lambda-Runtime-Aws-Request-Id")
    # One write of one short line with O_APPEND: lines from environments on every worker never interleave.
    fd = os.open(records, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    os.write(fd, ("%s %s %d\n" % (event.get("seq", "-"), request_id, os.getpid())).encode())
    os.close(fd)
    time.sleep(event.get("sleep_ms", 0) / 1000.0)
    api.request("POST", "/2018-06-01/runtime/invocation/" + request_id + "/response",
                json.dumps({"seq": event.get("seq")}))
    api.getresponse().read()
