// Floe's nodejs runtime: runs a handler `file.export` from LAMBDA_TASK_ROOT against the Lambda Runtime API
// (2018-06-01) at AWS_LAMBDA_RUNTIME_API, with Node's standard library alone.
//
// The module is loaded once (the init phase; CommonJS or ES module, .js, .cjs or .mjs). A handler is async
// (returns a promise) or takes a callback (three parameters). Errors are reported as Lambda's Node.js runtime
// reports them: {errorType, errorMessage, trace}, for init errors (Runtime.ImportModuleError,
// Runtime.HandlerNotFound, Runtime.MalformedHandlerName, Runtime.UserCodeSyntaxError) and for errors a handler
// throws, rejects or passes to its callback.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const API = process.env.AWS_LAMBDA_RUNTIME_API;
const [HOST, PORT] = [API.slice(0, API.lastIndexOf(':')), Number(API.slice(API.lastIndexOf(':') + 1))];
const PREFIX = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, route, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: HOST, port: PORT, method, path: PREFIX + route, agent, headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

function postError(route, error) {
  const document = errorDocument(error);
  const body = JSON.stringify(document);
  return call('POST', route, body, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Lambda-Runtime-Function-Error-Type': document.errorType,
  });
}

function errorDocument(error) {
  if (error instanceof Error) {
    return {
      errorType: error.errorType || error.name || 'Error',
      errorMessage: error.message,
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  // Lambda reports a thrown non-Error by its value.
  const message = typeof error === 'string' ? error : util.inspect(error);
  return { errorType: typeof error === 'string' ? 'string' : typeof error, errorMessage: message, trace: [] };
}

class InitError extends Error {
  constructor(errorType, message, cause) {
    super(message);
    this.name = errorType;
    if (cause && cause.stack) {
      this.stack = `${errorType}: ${message}\n${cause.stack.split('\n').slice(1).join('\n')}`;
    }
  }
}

// Lambda's log lines: timestamp, request id, level, message.
let currentRequestId = undefined;
function patchConsole() {
  const write = (level) => (...args) => {
    const message = util.format(...args).replace(/\n/g, '\r');
    process.stdout.write(`${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${message}\n`);
  };
  console.log = write('INFO');
  console.info = write('INFO');
  console.warn = write('WARN');
  console.error = write('ERROR');
  console.debug = write('DEBUG');
  console.trace = write('TRACE');
}

async function loadModule(root, modulePath) {
  const base = path.resolve(root, modulePath);
  for (const extension of ['.js', '.mjs', '.cjs']) {
    const file = base + extension;
    if (!fs.existsSync(file)) {
      continue;
    }
    if (extension !== '.mjs') {
      try {
        return createRequire(file)(file);
      } catch (error) {
        if (error.code !== 'ERR_REQUIRE_ESM') {
          throw error;
        }
      }
    }
    return import(pathToFileURL(file).href);
  }
  // As Lambda, a module name may also be a package in node_modules.
  return createRequire(path.join(root, 'index.js'))(modulePath);
}

async function loadHandler(root, name) {
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  if (dot < 0) {
    throw new InitError('Runtime.MalformedHandlerName', `Bad handler ${name}`);
  }
  const modulePath = name.slice(0, dot);
  const exportPath = name.slice(dot + 1).split('.');
  let module;
  try {
    module = await loadModule(root, modulePath);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new InitError('Runtime.UserCodeSyntaxError', `${error.name}: ${error.message}`, error);
    }
    if (error.code === 'MODULE_NOT_FOUND' || error.code === 'ERR_MODULE_NOT_FOUND') {
      throw new InitError('Runtime.ImportModuleError', `Error: ${error.message}`, error);
    }
    throw error;
  }
  let handler = module;
  for (const part of exportPath) {
    handler = handler == null ? undefined : handler[part];
  }
  if (handler === undefined && module && module.default) {
    handler = module.default;
    for (const part of exportPath) {
      handler = handler == null ? undefined : handler[part];
    }
  }
  if (typeof handler !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${modulePath}.${exportPath.join('.')} is undefined or not exported`);
  }
  return handler;
}

function makeContext(headers, settle) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const json = (name) => {
    try {
      return headers[name] ? JSON.parse(headers[name]) : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: json('lambda-runtime-cognito-identity'),
    clientContext: json('lambda-runtime-client-context'),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // The legacy completion methods, as Lambda still offers them.
    done: (error, result) => settle(error, result),
    succeed: (result) => settle(null, result),
    fail: (error) => settle(error ?? 'handled', undefined),
  };
}

// The invocation running now, so an uncaught error can be reported against it.
let current = null;

async function invoke(handler, next) {
  const requestId = next.headers['lambda-runtime-aws-request-id'];
  currentRequestId = requestId;
  const trace = next.headers['lambda-runtime-trace-id'];
  if (trace) {
    process.env._X_AMZN_TRACE_ID = trace;
  } else {
    delete process.env._X_AMZN_TRACE_ID;
  }
  let event;
  try {
    event = next.body.length ? JSON.parse(next.body.toString('utf8')) : undefined;
  } catch (error) {
    const failure = new Error(`Unable to unmarshal input: ${error.message}`);
    failure.errorType = 'Runtime.UnmarshalError';
    await postError(`/invocation/${requestId}/error`, failure);
    return;
  }
  const outcome = new Promise((resolve) => {
    let settled = false;
    const settle = (error, result) => {
      if (!settled) {
        settled = true;
        resolve({ error, result });
      }
    };
    current = { requestId, settle };
    const context = makeContext(next.headers, settle);
    try {
      const returned = handler(event, context, settle);
      if (returned && typeof returned.then === 'function') {
        returned.then((result) => settle(null, result), (error) => settle(error ?? new Error('rejected'), undefined));
      } else if (handler.length < 3) {
        // Neither a promise nor a callback: Lambda answers null.
        settle(null, returned);
      }
    } catch (error) {
      settle(error, undefined);
    }
  });
  const { error, result } = await outcome;
  current = null;
  if (error !== null && error !== undefined) {
    const document = errorDocument(error);
    console.error('Invoke Error', JSON.stringify(document));
    await postError(`/invocation/${requestId}/error`, error);
    return;
  }
  const body = result === undefined ? 'null' : JSON.stringify(result);
  await call('POST', `/invocation/${requestId}/response`, body, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
}

async function crash(error) {
  // As Lambda: an error nothing caught fails the invocation running, and the runtime exits.
  const document = errorDocument(error);
  console.error(document.errorType === 'Error' ? 'Uncaught Exception' : 'Unhandled Promise Rejection', JSON.stringify(document));
  if (current) {
    try {
      await postError(`/invocation/${current.requestId}/error`, error);
    } catch {
      // the worker sees the exit either way
    }
  }
  process.exit(129);
}

async function main() {
  patchConsole();
  process.on('uncaughtException', (error) => crash(error));
  process.on('unhandledRejection', (reason) => {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    error.errorType = 'Runtime.UnhandledPromiseRejection';
    crash(error);
  });
  let handler;
  try {
    handler = await loadHandler(process.env.LAMBDA_TASK_ROOT || '/var/task', process.env._HANDLER || '');
  } catch (error) {
    console.error(`${error.name}: ${error.message}`);
    await postError('/init/error', error);
    process.exit(129);
  }
  for (;;) {
    const next = await call('GET', '/invocation/next');
    if (next.status !== 200) {
      console.error(`Runtime API answered GET next with ${next.status}: ${next.body}`);
      process.exit(1);
    }
    await invoke(handler, next);
  }
}

main();
