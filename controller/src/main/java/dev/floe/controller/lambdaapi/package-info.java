/**
 * Lambda's HTTP API (rest-json, API version 2015-03-31) on the controller, so the AWS SDKs and the
 * AWS CLI, pointed at Floe with an endpoint override, work unchanged. {@link
 * dev.floe.controller.lambdaapi.LambdaApiServer} is the Netty HTTP/1.1 transport; {@link
 * dev.floe.controller.lambdaapi.LambdaApi} checks the caller ({@link
 * dev.floe.controller.lambdaapi.SigV4Verifier} when keys are configured), routes, and maps each operation
 * to the domain ({@link dev.floe.controller.function.FunctionCatalog}, {@link
 * dev.floe.controller.invoke.Invoker}, {@link dev.floe.controller.lambdaapi.AsyncInvocations}) and every
 * refusal to Lambda's error response ({@code X-Amzn-ErrorType} and a JSON body); nothing here decides
 * what a function is or where it runs. InvokeWithResponseStream answers with an AWS event stream
 * ({@link dev.floe.controller.lambdaapi.EventStreamEncoder}) at the pace its client reads.
 */
package dev.floe.controller.lambdaapi;
