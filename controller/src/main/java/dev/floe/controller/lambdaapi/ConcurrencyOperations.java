package dev.floe.controller.lambdaapi;

import com.google.gson.JsonObject;
import dev.floe.common.FunctionLimits;
import dev.floe.controller.function.ConcurrencyChange;
import dev.floe.controller.function.FunctionCatalog;
import dev.floe.proto.Function;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Put/Get/DeleteFunctionConcurrency over Floe's reserved concurrency, and GetAccountSettings with
 * the fleet's real limits: its concurrency, what no function reserved, the code size limits
 * (Lambda's quotas, which Floe keeps: 50 MB zipped, 250 MB unzipped), and for the total code size,
 * which Floe sets no quota on, what the controller's disk can hold.
 */
final class ConcurrencyOperations {
    private final FunctionCatalog catalog;
    private final FleetConcurrency fleet;

    ConcurrencyOperations(FunctionCatalog catalog, FleetConcurrency fleet) {
        this.catalog = catalog;
        this.fleet = fleet;
    }

    ApiResponse handle(Route route, LambdaRequest request) {
        if (route.operation() == Route.Operation.GET_ACCOUNT_SETTINGS) {
            return accountSettings();
        }
        String name = SettingsOperations.unqualified(FunctionRef.parse(UriEncoding.decode(route.function()), null),
                route.operationName());
        return switch (route.operation()) {
            case PUT_FUNCTION_CONCURRENCY -> {
                int reserved = RequestBody.parse("PutFunctionConcurrency", request.body())
                        .allowOnly(Set.of("ReservedConcurrentExecutions"), Set.of()).integer("ReservedConcurrentExecutions")
                        .orElseThrow(() -> ApiError.invalid("PutFunctionConcurrency: ReservedConcurrentExecutions is missing"
                                + " (expected: an integer, 0 or more)").toException());
                if (reserved < 0) {
                    throw ApiError.invalid("PutFunctionConcurrency: ReservedConcurrentExecutions: " + reserved
                            + " (expected: 0 or more; DeleteFunctionConcurrency removes a reservation)").toException();
                }
                yield ApiResponse.json(200, reservation(fleet.change(name, new ConcurrencyChange(OptionalInt.of(reserved), OptionalInt.empty()))));
            }
            case GET_FUNCTION_CONCURRENCY -> ApiResponse.json(200, reservation(catalog.get(name)));
            case DELETE_FUNCTION_CONCURRENCY -> {
                fleet.change(name, new ConcurrencyChange(OptionalInt.of(ConcurrencyChange.REMOVE), OptionalInt.empty()));
                yield ApiResponse.empty(204);
            }
            default -> throw new IllegalStateException(route.operation() + " is not a concurrency operation");
        };
    }

    /** {@code {"ReservedConcurrentExecutions": N}}, or {@code {}} without a reservation, as Lambda answers. */
    static JsonObject reservation(Function f) {
        JsonObject o = new JsonObject();
        if (f.getConcurrency().hasReserved()) {
            o.addProperty("ReservedConcurrentExecutions", f.getConcurrency().getReserved());
        }
        return o;
    }

    private ApiResponse accountSettings() {
        List<Function> functions = catalog.list();
        long codeSize = 0;
        for (Function f : functions) {
            codeSize += catalog.revisions(f.getName()).stream().mapToLong(Function::getCodeSize).sum();
        }
        JsonObject limit = new JsonObject();
        limit.addProperty("TotalCodeSize", catalog.code().capacityBytes(codeSize));
        limit.addProperty("CodeSizeUnzipped", FunctionLimits.CODE_UNPACKED_MAX_BYTES);
        limit.addProperty("CodeSizeZipped", FunctionLimits.CODE_ZIP_MAX_BYTES);
        limit.addProperty("ConcurrentExecutions", fleet.limit());
        limit.addProperty("UnreservedConcurrentExecutions", fleet.unreserved());
        JsonObject usage = new JsonObject();
        usage.addProperty("TotalCodeSize", codeSize);
        usage.addProperty("FunctionCount", functions.size());
        JsonObject body = new JsonObject();
        body.add("AccountLimit", limit);
        body.add("AccountUsage", usage);
        return ApiResponse.json(200, body);
    }
}
