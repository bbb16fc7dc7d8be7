package dev.floe.controller.lambdaapi;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.function.CodeStore;
import dev.floe.controller.function.FunctionCatalog;
import dev.floe.proto.Function;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The Lambda API without HTTP: checks the caller, routes a request to its operation, and maps it to
 * the {@link FunctionCatalog} (and, for Invoke, to {@link InvokeOperation}; for InvokeWithResponseStream, to
 * {@link InvokeStreamOperation}). Every refusal becomes
 * Lambda's error response; nothing here throws to the transport.
 */
public final class LambdaApi {
    private final FunctionCatalog catalog;
    private final InvokeOperation invoke;
    private final InvokeStreamOperation invokeStream;
    private final VersionOperations versions;
    private final SettingsOperations settings;
    private final EventInvokeOperations eventInvoke;
    private final ConcurrencyOperations concurrency;
    private final SigV4Verifier signatures;

    public LambdaApi(FunctionCatalog catalog, dev.floe.controller.invoke.Invoker invoker, AsyncInvocations async,
            FleetConcurrency fleet, LambdaCredentials credentials, InstantSource clock) {
        this.catalog = catalog;
        this.settings = new SettingsOperations(catalog);
        this.eventInvoke = new EventInvokeOperations(catalog, clock);
        this.concurrency = new ConcurrencyOperations(catalog, fleet);
        this.invoke = new InvokeOperation(catalog, invoker, async);
        this.invokeStream = new InvokeStreamOperation(catalog, invoker);
        this.versions = new VersionOperations(catalog);
        this.signatures = new SigV4Verifier(credentials, clock);
    }

    /** Before a request's body is read: a refusal when keys are required and its headers show no valid signature. */
    Optional<ApiError> checkHead(LambdaRequest head) {
        return signatures.checkHead(head);
    }

    /** Whether requests must be signed, so that their bodies' hashes are needed. */
    boolean signaturesRequired() {
        return signatures.required();
    }

    /** The answer to one request; the future never fails (a failure is an error response). */
    public CompletableFuture<ApiResponse> handle(LambdaRequest request) {
        try {
            Optional<ApiError> refused = signatures.check(request);
            if (refused.isPresent()) {
                return CompletableFuture.completedFuture(refused.get().toResponse());
            }
            Route route = route(request);
            if (route.operation() == Route.Operation.INVOKE) {
                return invoke.invoke(ref(route, request), request)
                        .exceptionally(failure -> ApiError.of(failure).toResponse());
            }
            return CompletableFuture.completedFuture(functions(route, request));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(ApiError.of(e).toResponse());
        }
    }

    /**
     * The answer to an InvokeWithResponseStream ({@link Route#streamsResponse}), sent to {@code out} as it
     * comes; the future holds the response still to write when the stream did not begin (a refusal, a
     * DryRun), and never fails.
     */
    CompletableFuture<Optional<ApiResponse>> handleStream(LambdaRequest request, StreamedResponse out) {
        try {
            Optional<ApiError> refused = signatures.check(request);
            if (refused.isPresent()) {
                return CompletableFuture.completedFuture(Optional.of(refused.get().toResponse()));
            }
            Route route = route(request);
            if (route.operation() != Route.Operation.INVOKE_WITH_RESPONSE_STREAM) {
                return handle(request).thenApply(Optional::of);
            }
            return invokeStream.invoke(ref(route, request), request, out)
                    .exceptionally(failure -> Optional.of(ApiError.of(failure).toResponse()));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(Optional.of(ApiError.of(e).toResponse()));
        }
    }

    private static Route route(LambdaRequest request) {
        return Route.of(request.method(), request.rawPath()).orElseThrow(() -> ApiError.user(404,
                ApiError.UNKNOWN_OPERATION, request.method() + " " + request.rawPath()
                        + " is not an operation Floe's Lambda API serves (expected one of: " + Route.served() + ")").toException());
    }

    private ApiResponse functions(Route route, LambdaRequest request) {
        return switch (route.operation()) {
            case LIST_FUNCTIONS -> list(request);
            case CREATE_FUNCTION -> {
                FunctionShapes.Create create = FunctionShapes.create(body(request), catalog.code());
                try (CodeStore.Staged zip = create.zip()) {
                    Function created = catalog.create(create.name(), create.config(), zip);
                    if (!create.tags().isEmpty()) {
                        catalog.changeSettings(created.getName(), s -> s.toBuilder().putAllTags(create.tags()).build());
                    }
                    // As Lambda: $LATEST, unless Publish asked for a version (Floe's revision number).
                    yield ApiResponse.json(201, create.publish() ? FunctionShapes.configuration(created) : FunctionShapes.latest(created));
                }
            }
            case GET_FUNCTION -> {
                JsonObject body = new JsonObject();
                body.add("Configuration", configuration(ref(route, request)));
                JsonObject code = new JsonObject();
                // The package stays on the controller; Floe serves no download location for it.
                code.addProperty("RepositoryType", "Floe");
                body.add("Code", code);
                body.add("Tags", SettingsOperations.tags(catalog.settings(ref(route, request).name())));
                Function f = catalog.get(ref(route, request).name());
                if (f.getConcurrency().hasReserved()) {
                    body.add("Concurrency", ConcurrencyOperations.reservation(f));
                }
                yield ApiResponse.json(200, body);
            }
            case GET_FUNCTION_CONFIGURATION -> ApiResponse.json(200, configuration(ref(route, request)));
            case UPDATE_FUNCTION_CONFIGURATION -> update(unqualified(route, request, "UpdateFunctionConfiguration"),
                    FunctionShapes.configurationUpdate(unqualified(route, request, "UpdateFunctionConfiguration"), request.body()));
            case UPDATE_FUNCTION_CODE -> {
                String name = unqualified(route, request, "UpdateFunctionCode");
                catalog.get(name); // an unknown function is refused before its code is decoded
                FunctionShapes.Guarded guarded = FunctionShapes.codeUpdate(name, body(request), catalog.code());
                try (CodeStore.Staged zip = guarded.code().orElseThrow()) {
                    yield update(name, guarded);
                }
            }
            case DELETE_FUNCTION -> {
                catalog.delete(unqualified(route, request, "DeleteFunction"));
                yield ApiResponse.empty(204);
            }
            case PUBLISH_VERSION, LIST_VERSIONS, CREATE_ALIAS, LIST_ALIASES, GET_ALIAS, UPDATE_ALIAS, DELETE_ALIAS ->
                    versions.handle(route, unqualified(route, request, route.operationName()), request);
            case TAG_RESOURCE, UNTAG_RESOURCE, LIST_TAGS, ADD_PERMISSION, REMOVE_PERMISSION, GET_POLICY,
                    GET_FUNCTION_CODE_SIGNING_CONFIG -> settings.handle(route, request);
            case PUT_FUNCTION_EVENT_INVOKE_CONFIG, GET_FUNCTION_EVENT_INVOKE_CONFIG, UPDATE_FUNCTION_EVENT_INVOKE_CONFIG,
                    DELETE_FUNCTION_EVENT_INVOKE_CONFIG, LIST_FUNCTION_EVENT_INVOKE_CONFIGS -> eventInvoke.handle(route, request);
            case PUT_FUNCTION_CONCURRENCY, GET_FUNCTION_CONCURRENCY, DELETE_FUNCTION_CONCURRENCY, GET_ACCOUNT_SETTINGS ->
                    concurrency.handle(route, request);
            case INVOKE -> throw new IllegalStateException("Invoke is answered asynchronously");
            case INVOKE_WITH_RESPONSE_STREAM -> throw ApiError.invalid("InvokeWithResponseStream: answered only as an event "
                    + "stream (expected: POST " + Route.STREAMING_PREFIX + "/FUNCTION" + Route.STREAMING_SUFFIX + ")").toException();
        };
    }

    private ApiResponse update(String name, FunctionShapes.Guarded guarded) {
        Function current = catalog.get(name);
        if (guarded.revisionId().isPresent() && !guarded.revisionId().get().equals(current.getRevisionId())) {
            throw ApiError.user(412, ApiError.PRECONDITION_FAILED, "RevisionId: " + guarded.revisionId().get()
                    + " (expected: the function's current one, " + current.getRevisionId() + "; it was updated meanwhile)").toException();
        }
        if (guarded.dryRun()) {
            guarded.code().ifPresent(zip -> {
                dev.floe.common.FunctionLimits.checkCodeSize(zip.size());
                zip.check(dev.floe.common.FunctionLimits.isProvided(current.getConfig().getRuntime()));
            });
            return ApiResponse.json(200, FunctionShapes.latest(current));
        }
        Function updated = guarded.code().isPresent() ? catalog.update(guarded.update(), guarded.code().get())
                : catalog.update(guarded.update());
        return ApiResponse.json(200, guarded.publish() ? FunctionShapes.configuration(updated) : FunctionShapes.latest(updated));
    }

    /** The request's body as a stream: from the file an upload was written to, or from memory. */
    private static java.io.InputStream body(LambdaRequest request) {
        try {
            return request.openBody();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("reading the request's body: " + e.getMessage(), e);
        }
    }

    /** ListFunctions, by name, in pages of MaxItems (default 50) after Marker (a name). */
    private ApiResponse list(LambdaRequest request) {
        int max = Paging.maxItems(request);
        String marker = request.query("Marker");
        List<Function> all = catalog.list();
        List<Function> after = marker == null ? all : all.stream().filter(f -> f.getName().compareTo(marker) > 0).toList();
        JsonArray functions = new JsonArray();
        after.stream().limit(max).forEach(f -> functions.add(FunctionShapes.latest(f)));
        JsonObject body = new JsonObject();
        body.add("Functions", functions);
        if (after.size() > max) {
            body.addProperty("NextMarker", after.get(max - 1).getName());
        }
        return ApiResponse.json(200, body);
    }

    /**
     * The configuration a Get asks for: the latest revision's as {@code $LATEST}, a numbered one's, or an
     * alias's own revision's.
     */
    private JsonObject configuration(FunctionRef ref) {
        Function f = catalog.revision(ref.name(), ref.qualifier());
        return ref.qualified() ? FunctionShapes.configuration(f, ref.qualifier().toString(), FunctionShapes.version(f))
                : FunctionShapes.latest(f);
    }

    private static String unqualified(Route route, LambdaRequest request, String operation) {
        FunctionRef ref = ref(route, request);
        if (ref.qualified()) {
            throw ApiError.invalid(operation + ": qualifier " + ref.qualifier()
                    + " (expected: none; it applies to the function as a whole)").toException();
        }
        return ref.name();
    }

    private static FunctionRef ref(Route route, LambdaRequest request) {
        return FunctionRef.parse(UriEncoding.decode(route.function()), request.query("Qualifier"));
    }
}
