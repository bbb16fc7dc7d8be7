package dev.floe.controller.lambdaapi;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.function.FunctionCatalog;
import dev.floe.proto.FunctionSettings;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * What deploy tools set on a function beside its code, kept in its {@link FunctionSettings}: tags
 * (TagResource, UntagResource, ListTags), the resource-based policy (AddPermission, RemovePermission,
 * GetPolicy: kept and returned, not enforced, since Floe has no IAM), and the code signing
 * configuration, which is always none (CreateFunction refuses one).
 */
final class SettingsOperations {
    /** Lambda's tag limits ("Using tags on Lambda functions"). */
    static final int TAGS_MAX = 50;
    private static final int TAG_KEY_MAX = 128;
    private static final int TAG_VALUE_MAX = 256;
    /** Lambda's StatementId pattern, 1..100 characters. */
    private static final Pattern STATEMENT_ID = Pattern.compile("[a-zA-Z0-9-_.]{1,100}");

    private final FunctionCatalog catalog;

    SettingsOperations(FunctionCatalog catalog) {
        this.catalog = catalog;
    }

    ApiResponse handle(Route route, LambdaRequest request) {
        return switch (route.operation()) {
            case TAG_RESOURCE -> {
                String name = tagged(route);
                Map<String, String> tags = RequestBody.parse("TagResource", request.body()).allowOnly(Set.of("Tags"), Set.of())
                        .stringMap("Tags").orElseThrow(() -> ApiError.invalid("TagResource: Tags is missing (expected: an object of strings)").toException());
                catalog.changeSettings(name, s -> {
                    FunctionSettings next = s.toBuilder().putAllTags(checkTags(tags)).build();
                    checkTagCount(next.getTagsCount());
                    return next;
                });
                yield ApiResponse.empty(204);
            }
            case UNTAG_RESOURCE -> {
                String name = tagged(route);
                var keys = request.queryParameters().stream().filter(e -> e.getKey().equals("tagKeys")).map(Map.Entry::getValue).toList();
                if (keys.isEmpty()) {
                    throw ApiError.invalid("UntagResource: tagKeys is missing (expected: one or more tag keys)").toException();
                }
                catalog.changeSettings(name, s -> {
                    FunctionSettings.Builder next = s.toBuilder();
                    keys.forEach(next::removeTags);
                    return next.build();
                });
                yield ApiResponse.empty(204);
            }
            case LIST_TAGS -> {
                JsonObject body = new JsonObject();
                body.add("Tags", tags(catalog.settings(tagged(route))));
                yield ApiResponse.json(200, body);
            }
            case ADD_PERMISSION -> addPermission(ref(route, request), request.body());
            case REMOVE_PERMISSION -> removePermission(ref(route, request), UriEncoding.decode(route.alias()), request.query("RevisionId"));
            case GET_POLICY -> policy(ref(route, request));
            case GET_FUNCTION_CODE_SIGNING_CONFIG -> {
                String name = unqualified(ref(route, request), "GetFunctionCodeSigningConfig");
                catalog.get(name);
                JsonObject body = new JsonObject();
                body.addProperty("CodeSigningConfigArn", "");
                body.addProperty("FunctionName", name);
                yield ApiResponse.json(200, body);
            }
            default -> throw new IllegalStateException(route.operation() + " is not a settings operation");
        };
    }

    /** The tags as ListTags and GetFunction give them, by key. */
    static JsonObject tags(FunctionSettings settings) {
        JsonObject tags = new JsonObject();
        new TreeMap<>(settings.getTagsMap()).forEach(tags::addProperty);
        return tags;
    }

    /** Throws InvalidParameterValueException unless every tag follows Lambda's rules; returns them. */
    static Map<String, String> checkTags(Map<String, String> tags) {
        tags.forEach((key, value) -> {
            if (key.isEmpty() || key.length() > TAG_KEY_MAX || key.toLowerCase(java.util.Locale.ROOT).startsWith("aws:")) {
                throw ApiError.invalid("tag key: \"" + key + "\" (expected: 1.." + TAG_KEY_MAX
                        + " characters, not beginning with aws:)").toException();
            }
            if (value.length() > TAG_VALUE_MAX) {
                throw ApiError.invalid("tag " + key + ": a value of " + value.length() + " characters (expected: at most "
                        + TAG_VALUE_MAX + ")").toException();
            }
        });
        checkTagCount(tags.size());
        return tags;
    }

    private static void checkTagCount(int count) {
        if (count > TAGS_MAX) {
            throw ApiError.invalid("tags: " + count + " (expected: at most " + TAGS_MAX + " per function)").toException();
        }
    }

    /** The function a tag operation names: tags belong to the function, not to a version or alias. */
    private static String tagged(Route route) {
        FunctionRef ref = FunctionRef.parse(UriEncoding.decode(route.function()), null);
        return unqualified(ref, "tags");
    }

    private ApiResponse addPermission(FunctionRef ref, byte[] body) {
        RequestBody b = RequestBody.parse("AddPermission", body).allowOnly(Set.of("StatementId", "Action", "Principal",
                "SourceArn", "SourceAccount", "EventSourceToken", "RevisionId", "PrincipalOrgID", "FunctionUrlAuthType"), Set.of());
        String sid = b.requiredString("StatementId");
        if (!STATEMENT_ID.matcher(sid).matches()) {
            throw ApiError.invalid("AddPermission: StatementId: \"" + sid + "\" (expected: 1..100 letters, digits, -, _ or .)").toException();
        }
        String action = b.requiredString("Action");
        String principal = b.requiredString("Principal");
        JsonObject statement = new JsonObject();
        statement.addProperty("Sid", sid);
        statement.addProperty("Effect", "Allow");
        if (principal.equals("*")) {
            statement.addProperty("Principal", "*");
        } else {
            JsonObject who = new JsonObject();
            who.addProperty(principal.endsWith(".amazonaws.com") || principal.endsWith(".com") ? "Service" : "AWS", principal);
            statement.add("Principal", who);
        }
        statement.addProperty("Action", action);
        statement.addProperty("Resource", arn(ref));
        JsonObject condition = new JsonObject();
        b.string("SourceArn").ifPresent(v -> condition("ArnLike", condition).addProperty("AWS:SourceArn", v));
        b.string("SourceAccount").ifPresent(v -> condition("StringEquals", condition).addProperty("AWS:SourceAccount", v));
        b.string("PrincipalOrgID").ifPresent(v -> condition("StringEquals", condition).addProperty("aws:PrincipalOrgID", v));
        b.string("EventSourceToken").ifPresent(v -> condition("StringEquals", condition).addProperty("lambda:EventSourceToken", v));
        b.string("FunctionUrlAuthType").ifPresent(v -> condition("StringEquals", condition).addProperty("lambda:FunctionUrlAuthType", v));
        if (!condition.isEmpty()) {
            statement.add("Condition", condition);
        }
        String text = statement.toString();
        String key = policyKey(ref) + sid;
        catalog.changeSettings(ref.name(), s -> {
            checkPolicyRevision(s, b.string("RevisionId").orElse(null));
            if (s.containsPolicyStatements(key)) {
                throw new FloeException(ErrorType.RESOURCE_CONFLICT, "The statement id (" + sid + ") provided already exists."
                        + " Please provide a new statement id, or remove the existing statement.");
            }
            return s.toBuilder().putPolicyStatements(key, text).setPolicyRevisionId(UUID.randomUUID().toString()).build();
        });
        JsonObject answer = new JsonObject();
        answer.addProperty("Statement", text);
        return ApiResponse.json(201, answer);
    }

    private static JsonObject condition(String operator, JsonObject condition) {
        if (!condition.has(operator)) {
            condition.add(operator, new JsonObject());
        }
        return condition.getAsJsonObject(operator);
    }

    private ApiResponse removePermission(FunctionRef ref, String sid, String revisionId) {
        String key = policyKey(ref) + sid;
        catalog.changeSettings(ref.name(), s -> {
            checkPolicyRevision(s, revisionId);
            if (!s.containsPolicyStatements(key)) {
                throw new FloeException(ErrorType.RESOURCE_NOT_FOUND, "Statement " + sid + " is not found in resource policy"
                        + " of " + arn(ref) + " (expected: a StatementId that GetPolicy lists)");
            }
            return s.toBuilder().removePolicyStatements(key).setPolicyRevisionId(UUID.randomUUID().toString()).build();
        });
        return ApiResponse.empty(204);
    }

    private ApiResponse policy(FunctionRef ref) {
        FunctionSettings s = catalog.settings(ref.name());
        String prefix = policyKey(ref);
        JsonArray statements = new JsonArray();
        new TreeMap<>(s.getPolicyStatementsMap()).forEach((key, text) -> {
            if (key.startsWith(prefix) && key.indexOf('/', prefix.length()) < 0) {
                statements.add(JsonParser.parseString(text));
            }
        });
        if (statements.isEmpty()) {
            throw new FloeException(ErrorType.RESOURCE_NOT_FOUND, "No policy is associated with the given resource ("
                    + arn(ref) + "; AddPermission makes one)");
        }
        JsonObject policy = new JsonObject();
        policy.addProperty("Version", "2012-10-17");
        policy.addProperty("Id", "default");
        policy.add("Statement", statements);
        JsonObject body = new JsonObject();
        body.addProperty("Policy", policy.toString());
        body.addProperty("RevisionId", s.getPolicyRevisionId());
        return ApiResponse.json(200, body);
    }

    private static void checkPolicyRevision(FunctionSettings s, String given) {
        if (given != null && !given.isEmpty() && !given.equals(s.getPolicyRevisionId())) {
            throw new FloeException(ErrorType.PRECONDITION_FAILED, "RevisionId: " + given + " (expected: the policy's current one, "
                    + s.getPolicyRevisionId() + "; it was changed meanwhile)");
        }
    }

    /** The prefix of a policy's statements' keys: its qualifier, checked to name a version or alias, and "/". */
    private String policyKey(FunctionRef ref) {
        catalog.get(ref.name());
        if (ref.qualified()) {
            catalog.revision(ref.name(), ref.qualifier());
        }
        return ref.qualifierText() + "/";
    }

    private static String arn(FunctionRef ref) {
        return FunctionShapes.ARN_PREFIX + ref.name() + (ref.qualified() ? ":" + ref.qualifier() : "");
    }

    private static FunctionRef ref(Route route, LambdaRequest request) {
        return FunctionRef.parse(UriEncoding.decode(route.function()), request.query("Qualifier"));
    }

    static String unqualified(FunctionRef ref, String operation) {
        if (ref.qualified()) {
            throw ApiError.invalid(operation + ": qualifier " + ref.qualifier()
                    + " (expected: none; it applies to the function as a whole)").toException();
        }
        return ref.name();
    }
}
