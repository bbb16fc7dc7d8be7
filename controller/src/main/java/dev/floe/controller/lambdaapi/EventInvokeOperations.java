package dev.floe.controller.lambdaapi;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.Timestamp;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.function.FunctionCatalog;
import dev.floe.proto.EventInvokeConfig;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Lambda's event invoke configurations (PutFunctionEventInvokeConfig and friends), per qualifier, kept
 * in the function's settings: how many times an asynchronous invocation is retried after a function
 * error, and how old its event may grow before it is dead-lettered. Destinations are refused: Floe
 * does not deliver to them yet, and accepting one it would not act on would lose results.
 */
final class EventInvokeOperations {
    /** Lambda's bounds ("Configuring error handling for asynchronous invocation"). */
    static final int RETRIES_MAX = 2;
    static final int AGE_MIN_S = 60;
    static final int AGE_MAX_S = 21_600;
    private static final int LIST_MAX = 50;

    private final FunctionCatalog catalog;
    private final InstantSource clock;

    EventInvokeOperations(FunctionCatalog catalog, InstantSource clock) {
        this.catalog = catalog;
        this.clock = clock;
    }

    ApiResponse handle(Route route, LambdaRequest request) {
        FunctionRef ref = FunctionRef.parse(UriEncoding.decode(route.function()), request.query("Qualifier"));
        String name = ref.name();
        return switch (route.operation()) {
            case PUT_FUNCTION_EVENT_INVOKE_CONFIG, UPDATE_FUNCTION_EVENT_INVOKE_CONFIG -> {
                boolean replace = route.operation() == Route.Operation.PUT_FUNCTION_EVENT_INVOKE_CONFIG;
                String qualifier = checkedQualifier(ref);
                RequestBody b = RequestBody.parse(route.operationName(), request.body())
                        .allowOnly(Set.of("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"), Set.of());
                checkNoDestinations(route.operationName(), b);
                Timestamp now = now();
                var stored = catalog.changeSettings(name, s -> {
                    EventInvokeConfig.Builder config = replace ? EventInvokeConfig.newBuilder()
                            : s.getEventInvokeOrDefault(qualifier, EventInvokeConfig.getDefaultInstance()).toBuilder();
                    b.integer("MaximumRetryAttempts").ifPresent(n -> config.setMaximumRetryAttempts(
                            inRange(route.operationName() + ": MaximumRetryAttempts", n, 0, RETRIES_MAX)));
                    b.integer("MaximumEventAgeInSeconds").ifPresent(n -> config.setMaximumEventAgeSeconds(
                            inRange(route.operationName() + ": MaximumEventAgeInSeconds", n, AGE_MIN_S, AGE_MAX_S)));
                    return s.toBuilder().putEventInvoke(qualifier, config.setLastModified(now).build()).build();
                });
                yield ApiResponse.json(200, shape(name, qualifier, stored.getEventInvokeOrThrow(qualifier)));
            }
            case GET_FUNCTION_EVENT_INVOKE_CONFIG -> {
                String qualifier = checkedQualifier(ref);
                EventInvokeConfig config = catalog.settings(name).getEventInvokeMap().get(qualifier);
                if (config == null) {
                    throw none(name, qualifier);
                }
                yield ApiResponse.json(200, shape(name, qualifier, config));
            }
            case DELETE_FUNCTION_EVENT_INVOKE_CONFIG -> {
                String qualifier = checkedQualifier(ref);
                catalog.changeSettings(name, s -> {
                    if (!s.containsEventInvoke(qualifier)) {
                        throw none(name, qualifier);
                    }
                    return s.toBuilder().removeEventInvoke(qualifier).build();
                });
                yield ApiResponse.empty(204);
            }
            case LIST_FUNCTION_EVENT_INVOKE_CONFIGS -> list(SettingsOperations.unqualified(ref, "ListFunctionEventInvokeConfigs"), request);
            default -> throw new IllegalStateException(route.operation() + " is not an event invoke config operation");
        };
    }

    /** ListFunctionEventInvokeConfigs: by qualifier, MaxItems 1..50 after Marker (a qualifier). */
    private ApiResponse list(String name, LambdaRequest request) {
        int max = Paging.maxItems(request);
        if (max > LIST_MAX) {
            throw ApiError.invalid("MaxItems: " + max + " (expected: 1.." + LIST_MAX + ")").toException();
        }
        String marker = request.query("Marker");
        List<Map.Entry<String, EventInvokeConfig>> after = new TreeMap<>(catalog.settings(name).getEventInvokeMap()).entrySet().stream()
                .filter(e -> marker == null || e.getKey().compareTo(marker) > 0).toList();
        JsonArray configs = new JsonArray();
        after.stream().limit(max).forEach(e -> configs.add(shape(name, e.getKey(), e.getValue())));
        JsonObject body = new JsonObject();
        body.add("FunctionEventInvokeConfigs", configs);
        if (after.size() > max) {
            body.addProperty("NextMarker", after.get(max - 1).getKey());
        }
        return ApiResponse.json(200, body);
    }

    /** The qualifier a config is kept under: {@code $LATEST} when none is given; a version or alias must exist. */
    private String checkedQualifier(FunctionRef ref) {
        catalog.get(ref.name());
        if (ref.qualified()) {
            catalog.revision(ref.name(), ref.qualifier());
        }
        return ref.qualifier().toString();
    }

    private static void checkNoDestinations(String operation, RequestBody b) {
        b.object("DestinationConfig").ifPresent(d -> {
            d.allowOnly(Set.of("OnSuccess", "OnFailure"), Set.of());
            for (String field : List.of("OnSuccess", "OnFailure")) {
                if (d.object(field).flatMap(o -> o.string("Destination")).filter(s -> !s.isEmpty()).isPresent()) {
                    throw ApiError.invalid(operation + ": DestinationConfig." + field + ".Destination (expected: none;"
                            + " Floe does not deliver to destinations yet: failed events go to the function's dead-letter list,"
                            + " floe dlq NAME)").toException();
                }
            }
        });
    }

    private static int inRange(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw ApiError.invalid(field + ": " + value + " (expected: " + min + ".." + max + ")").toException();
        }
        return value;
    }

    private static FloeException none(String name, String qualifier) {
        return new FloeException(ErrorType.RESOURCE_NOT_FOUND, "The function " + FunctionShapes.ARN_PREFIX + name + ":" + qualifier
                + " doesn't have an EventInvokeConfig (expected: one made by PutFunctionEventInvokeConfig)");
    }

    /** FunctionEventInvokeConfig as Lambda answers it; {@code LastModified} in epoch seconds, rest-json's timestamps. */
    static JsonObject shape(String name, String qualifier, EventInvokeConfig config) {
        JsonObject o = new JsonObject();
        o.addProperty("LastModified", config.getLastModified().getSeconds() + config.getLastModified().getNanos() / 1e9);
        o.addProperty("FunctionArn", FunctionShapes.ARN_PREFIX + name + ":" + qualifier);
        if (config.hasMaximumRetryAttempts()) {
            o.addProperty("MaximumRetryAttempts", config.getMaximumRetryAttempts());
        }
        if (config.hasMaximumEventAgeSeconds()) {
            o.addProperty("MaximumEventAgeInSeconds", config.getMaximumEventAgeSeconds());
        }
        o.add("DestinationConfig", new JsonObject());
        return o;
    }

    private Timestamp now() {
        Instant t = clock.instant();
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }
}
