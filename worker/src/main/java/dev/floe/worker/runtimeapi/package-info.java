/**
 * The Lambda Runtime API (version 2018-06-01) over Netty: the HTTP interface through which an
 * unmodified Lambda runtime fetches invocations and posts responses and errors. Every environment gets
 * its own endpoint (its own port on loopback, served on the environment's event loop), so a runtime
 * can only ever see and answer its own environment's invocations.
 */
package dev.floe.worker.runtimeapi;
