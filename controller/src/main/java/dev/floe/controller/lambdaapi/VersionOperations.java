package dev.floe.controller.lambdaapi;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.floe.controller.function.FunctionCatalog;
import dev.floe.controller.function.Qualifier;
import dev.floe.proto.Alias;
import dev.floe.proto.Function;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Lambda's versions and aliases over the {@link FunctionCatalog}. Floe publishes every change as a
 * new revision, so {@code PublishVersion} makes nothing: it returns the latest revision, as Lambda
 * returns the existing version when nothing changed since the last publish; and
 * {@code ListVersionsByFunction} lists {@code $LATEST}, then every revision.
 */
final class VersionOperations {
    private final FunctionCatalog catalog;

    VersionOperations(FunctionCatalog catalog) {
        this.catalog = catalog;
    }

    ApiResponse handle(Route route, String function, LambdaRequest request) {
        return switch (route.operation()) {
            case PUBLISH_VERSION -> publish(function, request.body());
            case LIST_VERSIONS -> versions(function, request);
            case CREATE_ALIAS -> ApiResponse.json(201, AliasShapes.configuration(
                    catalog.createAlias(AliasShapes.create(function, request.body()))));
            case LIST_ALIASES -> aliases(function, request);
            case GET_ALIAS -> ApiResponse.json(200, AliasShapes.configuration(catalog.alias(function, alias(route))));
            case UPDATE_ALIAS -> ApiResponse.json(200, AliasShapes.configuration(
                    catalog.updateAlias(AliasShapes.update(function, alias(route), request.body()))));
            case DELETE_ALIAS -> {
                catalog.deleteAlias(function, alias(route));
                yield ApiResponse.empty(204);
            }
            default -> throw new IllegalStateException(route.operation() + " is not a version or alias operation");
        };
    }

    private ApiResponse publish(String function, byte[] body) {
        RequestBody b = RequestBody.parse("PublishVersion", body).allowOnly(Set.of("CodeSha256", "Description", "RevisionId"), Set.of());
        Function latest = catalog.get(function);
        JsonObject shape = FunctionShapes.configuration(latest, FunctionShapes.version(latest), FunctionShapes.version(latest));
        b.string("RevisionId").filter(id -> !id.equals(latest.getRevisionId())).ifPresent(id -> {
            throw ApiError.user(412, ApiError.PRECONDITION_FAILED, "RevisionId: " + id + " (expected: the function's current one, "
                    + latest.getRevisionId() + "; it was updated meanwhile)").toException();
        });
        String sha = shape.get("CodeSha256").getAsString();
        b.string("CodeSha256").filter(given -> !given.equals(sha)).ifPresent(given -> {
            throw ApiError.invalid("PublishVersion: CodeSha256: " + given + " (expected: the latest code's, " + sha
                    + "; the code changed meanwhile)").toException();
        });
        // The description is accepted and not kept, as CreateFunction's is.
        return ApiResponse.json(201, shape);
    }

    /** ListVersionsByFunction: $LATEST, then revision 1, 2, ...; pages of MaxItems after Marker (a version). */
    private ApiResponse versions(String function, LambdaRequest request) {
        Function latest = catalog.get(function);
        List<JsonObject> all = new ArrayList<>();
        all.add(FunctionShapes.configuration(latest, Qualifier.LATEST_NAME, Qualifier.LATEST_NAME));
        for (Function r : catalog.revisions(function)) {
            Function shown = r.getRevision() == latest.getRevision() ? latest : r;
            all.add(FunctionShapes.configuration(shown, FunctionShapes.version(r), FunctionShapes.version(r)));
        }
        int max = Paging.maxItems(request);
        String marker = request.query("Marker");
        int from = 0;
        if (marker != null) {
            from = -1;
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).get("Version").getAsString().equals(marker)) {
                    from = i + 1;
                }
            }
            if (from < 0) {
                throw ApiError.invalid("Marker: \"" + marker + "\" (expected: the NextMarker of an earlier page)").toException();
            }
        }
        List<JsonObject> page = all.subList(from, Math.min(all.size(), from + max));
        JsonArray versions = new JsonArray();
        page.forEach(versions::add);
        JsonObject body = new JsonObject();
        body.add("Versions", versions);
        if (from + max < all.size()) {
            body.addProperty("NextMarker", page.getLast().get("Version").getAsString());
        }
        return ApiResponse.json(200, body);
    }

    /** ListAliases, by name, of one version when FunctionVersion is given; pages of MaxItems after Marker (a name). */
    private ApiResponse aliases(String function, LambdaRequest request) {
        String version = request.query("FunctionVersion");
        int max = Paging.maxItems(request);
        String marker = request.query("Marker");
        List<Alias> after = catalog.aliases(function).stream()
                .filter(a -> version == null || version.isEmpty() || Integer.toString(a.getRevision()).equals(version))
                .filter(a -> marker == null || a.getName().compareTo(marker) > 0)
                .toList();
        JsonArray aliases = new JsonArray();
        after.stream().limit(max).forEach(a -> aliases.add(AliasShapes.configuration(a)));
        JsonObject body = new JsonObject();
        body.add("Aliases", aliases);
        if (after.size() > max) {
            body.addProperty("NextMarker", after.get(max - 1).getName());
        }
        return ApiResponse.json(200, body);
    }

    private static String alias(Route route) {
        return UriEncoding.decode(route.alias());
    }
}
