"""Floe's python3 runtime: runs a handler `module.function` from LAMBDA_TASK_ROOT against the Lambda
Runtime API (2018-06-01) at AWS_LAMBDA_RUNTIME_API, with the standard library alone.

The handler is imported once (the init phase); each invocation calls handler(event, context) and posts
its result as JSON. Errors are reported as Lambda's Python runtime reports them: a JSON document with
errorMessage, errorType, requestId and stackTrace, for init errors (Runtime.ImportModuleError,
Runtime.HandlerNotFound, Runtime.MalformedHandlerName, Runtime.UserCodeSyntaxError) and for exceptions
a handler raises (its class name).
"""
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

API_PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


class RuntimeApi:
    """One keep-alive connection to the environment's Runtime API endpoint."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.connection = http.client.HTTPConnection(host, int(port))

    def request(self, method, path, body=None, headers=None):
        self.connection.request(method, API_PREFIX + path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        data = response.read()
        return response, data

    def next(self):
        return self.request("GET", "/invocation/next")

    def respond(self, request_id, payload):
        self.request("POST", "/invocation/" + request_id + "/response", payload,
                     {"Content-Type": "application/json"})

    def error(self, path, document):
        body = json.dumps(document).encode("utf-8")
        self.request("POST", path, body,
                     {"Content-Type": "application/json", ERROR_TYPE_HEADER: document["errorType"]})


class LambdaContext:
    """The context object Lambda's Python runtime passes to a handler."""

    def __init__(self, request_id, deadline_ms, invoked_function_arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def __repr__(self):
        return ("LambdaContext([aws_request_id=%s,function_name=%s,memory_limit_in_mb=%s]"
                % (self.aws_request_id, self.function_name, self.memory_limit_in_mb))


class JsonObject:
    """A JSON object from a header, readable as attributes (client_context.custom, identity.cognito_identity_id)."""

    def __init__(self, values):
        for key, value in values.items():
            setattr(self, key, JsonObject(value) if isinstance(value, dict) else value)


class RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = RequestIdFilter.request_id
        return True


def set_up_logging():
    """The root logger writes as Lambda's does: [LEVEL] timestamp request-id message."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.WARNING)


class InitError(Exception):
    def __init__(self, error_type, message, stack=None):
        super().__init__(message)
        self.error_type = error_type
        self.stack = stack or []


def load_handler(name, task_root):
    try:
        module_name, function_name = name.rsplit(".", 1)
    except ValueError as e:
        raise InitError("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (name, e))
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except SyntaxError as e:
        raise InitError("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, e),
                        frames(e))
    except ImportError as e:
        raise InitError("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    except Exception as e:
        # An exception in the module's own top-level code is reported with its own type.
        raise InitError(type(e).__name__, str(e), frames(e))
    handler = getattr(module, function_name, None)
    if handler is None or not callable(handler):
        raise InitError("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))
    return handler


def frames(error):
    """The stack of an exception without this runtime's own frames, as Lambda's list of strings."""
    entries = [f for f in traceback.extract_tb(error.__traceback__) if f.filename != __file__]
    return traceback.format_list(entries)


def error_document(error, request_id=None):
    document = {"errorMessage": str(error), "errorType": type(error).__name__}
    if request_id:
        document["requestId"] = request_id
    document["stackTrace"] = frames(error)
    return document


def log_error(document):
    """Lambda's Python runtime writes an error to the log as [ERROR] type: message, then the trace."""
    lines = ["[ERROR] %s: %s" % (document["errorType"], document["errorMessage"])]
    if document.get("stackTrace"):
        lines.append("Traceback (most recent call last):")
        lines.extend(entry.rstrip("\n") for entry in document["stackTrace"])
    print("\r".join(lines), flush=True)


def json_header(headers, name):
    value = headers.get(name)
    if not value:
        return None
    try:
        return JsonObject(json.loads(value))
    except ValueError:
        return None


def invoke(api, handler, response, body):
    headers = response.headers
    request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
    trace_id = headers.get("Lambda-Runtime-Trace-Id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    RequestIdFilter.request_id = request_id
    context = LambdaContext(request_id, int(headers.get("Lambda-Runtime-Deadline-Ms", "0")),
                            headers.get("Lambda-Runtime-Invoked-Function-Arn"),
                            json_header(headers, "Lambda-Runtime-Client-Context"),
                            json_header(headers, "Lambda-Runtime-Cognito-Identity"))
    try:
        event = json.loads(body) if body else None
    except ValueError as e:
        document = {"errorMessage": "Unable to unmarshal input: %s" % e, "errorType": "Runtime.UnmarshalError",
                    "requestId": request_id, "stackTrace": []}
        log_error(document)
        api.error("/invocation/" + request_id + "/error", document)
        return
    try:
        result = handler(event, context)
    except Exception as e:
        document = error_document(e, request_id)
        log_error(document)
        api.error("/invocation/" + request_id + "/error", document)
        return
    try:
        payload = json.dumps(result).encode("utf-8")
    except (TypeError, ValueError) as e:
        document = {"errorMessage": "Unable to marshal response: %s" % e, "errorType": "Runtime.MarshalError",
                    "requestId": request_id, "stackTrace": []}
        log_error(document)
        api.error("/invocation/" + request_id + "/error", document)
        return
    api.respond(request_id, payload)


def main():
    api = RuntimeApi(os.environ["AWS_LAMBDA_RUNTIME_API"])
    set_up_logging()
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""), os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))
    except InitError as e:
        document = {"errorMessage": str(e), "errorType": e.error_type, "stackTrace": e.stack}
        log_error(document)
        api.error("/init/error", document)
        sys.exit(1)
    while True:
        response, body = api.next()
        if response.status != 200:
            print("[ERROR] Runtime API answered GET next with %d: %s" % (response.status, body), flush=True)
            sys.exit(1)
        invoke(api, handler, response, body)


if __name__ == "__main__":
    main()
