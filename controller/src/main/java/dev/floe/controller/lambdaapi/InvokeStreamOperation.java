package dev.floe.controller.lambdaapi;

import com.google.protobuf.ByteString;
import dev.floe.controller.function.FunctionCatalog;
import dev.floe.controller.invoke.InvokeCall;
import dev.floe.controller.invoke.Invoker;
import dev.floe.proto.Function;
import dev.floe.proto.InvokeResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Lambda's InvokeWithResponseStream: runs the function and answers with an event stream of its
 * response's pieces as they come ({@link EventStreamAnswer}), relayed at the pace the client reads;
 * {@code DryRun} only checks and answers 204. A function that does not stream gives one piece, its
 * whole answer. Everything that can be refused is refused before anything runs, as an ordinary error
 * response.
 */
final class InvokeStreamOperation {
    static final String CONTENT_TYPE = "application/vnd.amazon.eventstream";

    private final FunctionCatalog catalog;
    private final Invoker invoker;

    InvokeStreamOperation(FunctionCatalog catalog, Invoker invoker) {
        this.catalog = catalog;
        this.invoker = invoker;
    }

    /** The response still to write (a refusal, a DryRun's 204), or empty when the answer went to {@code out}. */
    CompletableFuture<Optional<ApiResponse>> invoke(FunctionRef ref, LambdaRequest request, StreamedResponse out) {
        InvokeOperation.Type type = type(request.header("x-amz-invocation-type"));
        boolean tail = InvokeOperation.logType(request.header("x-amz-log-type"));
        byte[] payload = request.body();
        InvokeOperation.checkPayload(payload, type);
        String clientContext = InvokeOperation.clientContext(request.header("x-amz-client-context"));
        if (type == InvokeOperation.Type.DRY_RUN) {
            Function function = catalog.revision(ref.name(), ref.qualifier());
            return CompletableFuture.completedFuture(Optional.of(ApiResponse.empty(204)
                    .withHeader("X-Amz-Executed-Version", InvokeOperation.executedVersion(ref, function.getRevision()))));
        }
        // The headers go before the first piece, so the version that runs is chosen here (an alias's
        // routing included) and the Invoker is asked for that revision.
        Function function = catalog.resolve(ref.name(), ref.qualifierText());
        String qualifier = ref.qualified() ? Integer.toString(function.getRevision()) : "";
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", CONTENT_TYPE);
        headers.put("X-Amz-Executed-Version", InvokeOperation.executedVersion(ref, function.getRevision()));
        EventStreamAnswer answer = new EventStreamAnswer(out, headers, tail);
        CompletableFuture<InvokeResponse> result = invoker.invoke(new InvokeCall(ref.name(), ByteString.copyFrom(payload), tail,
                clientContext, null, qualifier), answer);
        out.onGone(() -> result.cancel(false));
        return result.handle(answer::finish);
    }

    /** InvokeWithResponseStream's invocation types: no {@code Event}, whose answer could not be streamed. */
    static InvokeOperation.Type type(String header) {
        if (header == null || header.isEmpty() || header.equals("RequestResponse")) {
            return InvokeOperation.Type.REQUEST_RESPONSE;
        }
        if (header.equals("DryRun")) {
            return InvokeOperation.Type.DRY_RUN;
        }
        throw ApiError.invalid("X-Amz-Invocation-Type: \"" + header + "\" (expected: RequestResponse or DryRun)").toException();
    }
}
