package dev.floe.controller.lambdaapi;

import java.util.Optional;

/**
 * Which operation a request is, from its method and path (Lambda API reference, version 2015-03-31),
 * and the function (and alias) named in its path, still percent-encoded as sent.
 *
 * @param alias the alias in {@code .../aliases/NAME}, or RemovePermission's statement id in
 *     {@code .../policy/SID}; null for other paths. For the tag operations {@code function} is the ARN.
 */
record Route(Operation operation, String function, String alias) {
    static final String PREFIX = "/2015-03-31/functions";
    /** InvokeWithResponseStream came with a later API version, and its path carries it. */
    static final String STREAMING_PREFIX = "/2021-11-15/functions";
    static final String STREAMING_SUFFIX = "/response-streaming-invocations";

    enum Operation {
        LIST_FUNCTIONS, CREATE_FUNCTION, GET_FUNCTION, DELETE_FUNCTION, GET_FUNCTION_CONFIGURATION,
        UPDATE_FUNCTION_CONFIGURATION, UPDATE_FUNCTION_CODE, INVOKE, PUBLISH_VERSION, LIST_VERSIONS,
        CREATE_ALIAS, LIST_ALIASES, GET_ALIAS, UPDATE_ALIAS, DELETE_ALIAS, INVOKE_WITH_RESPONSE_STREAM,
        TAG_RESOURCE, UNTAG_RESOURCE, LIST_TAGS, PUT_FUNCTION_CONCURRENCY, GET_FUNCTION_CONCURRENCY,
        DELETE_FUNCTION_CONCURRENCY, GET_ACCOUNT_SETTINGS, ADD_PERMISSION, REMOVE_PERMISSION, GET_POLICY,
        GET_FUNCTION_CODE_SIGNING_CONFIG, PUT_FUNCTION_EVENT_INVOKE_CONFIG, GET_FUNCTION_EVENT_INVOKE_CONFIG,
        UPDATE_FUNCTION_EVENT_INVOKE_CONFIG, DELETE_FUNCTION_EVENT_INVOKE_CONFIG, LIST_FUNCTION_EVENT_INVOKE_CONFIGS
    }

    static final String TAGS_PREFIX = "/2017-03-31/tags/";
    static final String ACCOUNT_SETTINGS = "/2016-08-19/account-settings";

    /**
     * The operations on a function served under API versions other than 2015-03-31, by
     * "VERSION SUB-PATH METHOD" (Lambda API reference: each operation's request syntax).
     */
    private static final java.util.Map<String, Operation> LATER = java.util.Map.ofEntries(
            java.util.Map.entry("2017-10-31 concurrency PUT", Operation.PUT_FUNCTION_CONCURRENCY),
            java.util.Map.entry("2017-10-31 concurrency DELETE", Operation.DELETE_FUNCTION_CONCURRENCY),
            java.util.Map.entry("2019-09-30 concurrency GET", Operation.GET_FUNCTION_CONCURRENCY),
            java.util.Map.entry("2020-06-30 code-signing-config GET", Operation.GET_FUNCTION_CODE_SIGNING_CONFIG),
            java.util.Map.entry("2019-09-25 event-invoke-config PUT", Operation.PUT_FUNCTION_EVENT_INVOKE_CONFIG),
            java.util.Map.entry("2019-09-25 event-invoke-config POST", Operation.UPDATE_FUNCTION_EVENT_INVOKE_CONFIG),
            java.util.Map.entry("2019-09-25 event-invoke-config GET", Operation.GET_FUNCTION_EVENT_INVOKE_CONFIG),
            java.util.Map.entry("2019-09-25 event-invoke-config DELETE", Operation.DELETE_FUNCTION_EVENT_INVOKE_CONFIG),
            java.util.Map.entry("2019-09-25 event-invoke-config/list GET", Operation.LIST_FUNCTION_EVENT_INVOKE_CONFIGS));

    Route(Operation operation, String function) {
        this(operation, function, null);
    }

    /** The operation, or empty when Floe does not serve this method and path. */
    static Optional<Route> of(String method, String rawPath) {
        if (streamsResponse(method, rawPath)) {
            String function = rawPath.substring(STREAMING_PREFIX.length() + 1, rawPath.length() - STREAMING_SUFFIX.length());
            return function.isEmpty() || function.contains("/") ? Optional.empty()
                    : Optional.of(new Route(Operation.INVOKE_WITH_RESPONSE_STREAM, function));
        }
        if (rawPath.equals(ACCOUNT_SETTINGS) || rawPath.equals(ACCOUNT_SETTINGS + "/")) {
            return method.equals("GET") ? Optional.of(new Route(Operation.GET_ACCOUNT_SETTINGS, null)) : Optional.empty();
        }
        if (rawPath.startsWith(TAGS_PREFIX)) {
            String arn = rawPath.substring(TAGS_PREFIX.length());
            Operation op = switch (method) {
                case "GET" -> Operation.LIST_TAGS;
                case "POST" -> Operation.TAG_RESOURCE;
                case "DELETE" -> Operation.UNTAG_RESOURCE;
                default -> null;
            };
            return arn.isEmpty() || arn.contains("/") || op == null ? Optional.empty() : Optional.of(new Route(op, arn));
        }
        if (!rawPath.startsWith(PREFIX)) {
            return later(method, rawPath);
        }
        String rest = rawPath.substring(PREFIX.length());
        if (rest.isEmpty() || rest.equals("/")) {
            return switch (method) {
                case "GET" -> Optional.of(new Route(Operation.LIST_FUNCTIONS, null));
                case "POST" -> Optional.of(new Route(Operation.CREATE_FUNCTION, null));
                default -> Optional.empty();
            };
        }
        String[] parts = rest.substring(1).split("/", -1);
        if (parts[0].isEmpty() || parts.length > 3) {
            return Optional.empty();
        }
        String function = parts[0];
        if (parts.length == 3 && parts[1].equals("policy")) {
            return method.equals("DELETE") && !parts[2].isEmpty()
                    ? Optional.of(new Route(Operation.REMOVE_PERMISSION, function, parts[2])) : Optional.empty();
        }
        if (parts.length == 3) {
            if (!parts[1].equals("aliases") || parts[2].isEmpty()) {
                return Optional.empty();
            }
            Operation op = switch (method) {
                case "GET" -> Operation.GET_ALIAS;
                case "PUT" -> Operation.UPDATE_ALIAS;
                case "DELETE" -> Operation.DELETE_ALIAS;
                default -> null;
            };
            return Optional.ofNullable(op).map(o -> new Route(o, function, parts[2]));
        }
        String sub = parts.length == 2 ? parts[1] : "";
        Operation op = switch (sub + " " + method) {
            case " GET" -> Operation.GET_FUNCTION;
            case " DELETE" -> Operation.DELETE_FUNCTION;
            case "configuration GET" -> Operation.GET_FUNCTION_CONFIGURATION;
            case "configuration PUT" -> Operation.UPDATE_FUNCTION_CONFIGURATION;
            case "code PUT" -> Operation.UPDATE_FUNCTION_CODE;
            case "invocations POST" -> Operation.INVOKE;
            case "versions POST" -> Operation.PUBLISH_VERSION;
            case "versions GET" -> Operation.LIST_VERSIONS;
            case "aliases POST" -> Operation.CREATE_ALIAS;
            case "aliases GET" -> Operation.LIST_ALIASES;
            case "policy POST" -> Operation.ADD_PERMISSION;
            case "policy GET" -> Operation.GET_POLICY;
            default -> null;
        };
        return Optional.ofNullable(op).map(o -> new Route(o, function));
    }

    /** {@code /VERSION/functions/FUNCTION/SUB[/MORE]} for the operations in {@link #LATER}. */
    private static Optional<Route> later(String method, String rawPath) {
        String[] parts = rawPath.split("/", -1);
        // "", VERSION, "functions", FUNCTION, SUB[, MORE]
        if (parts.length < 5 || parts.length > 6 || !parts[2].equals("functions") || parts[3].isEmpty()) {
            return Optional.empty();
        }
        String sub = parts.length == 6 ? parts[4] + "/" + parts[5] : parts[4];
        return Optional.ofNullable(LATER.get(parts[1] + " " + sub + " " + method)).map(op -> new Route(op, parts[3]));
    }

    /** Whether the request is an InvokeWithResponseStream, whose answer is sent in pieces. */
    static boolean streamsResponse(String method, String rawPath) {
        return method.equals("POST") && rawPath.startsWith(STREAMING_PREFIX + "/") && rawPath.endsWith(STREAMING_SUFFIX);
    }

    /** Whether the request runs a function synchronously or asynchronously (Invoke or InvokeWithResponseStream). */
    static boolean invokes(String method, String rawPath) {
        return streamsResponse(method, rawPath)
                || (method.equals("POST") && rawPath.startsWith(PREFIX + "/") && rawPath.endsWith("/invocations"));
    }

    /** The operation's name in Lambda's API reference, for messages. */
    String operationName() {
        return switch (operation) {
            case LIST_VERSIONS -> "ListVersionsByFunction";
            case LIST_FUNCTION_EVENT_INVOKE_CONFIGS -> "ListFunctionEventInvokeConfigs";
            default -> {
                StringBuilder name = new StringBuilder();
                for (String word : operation.name().toLowerCase(java.util.Locale.ROOT).split("_")) {
                    name.append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
                }
                yield name.toString();
            }
        };
    }

    static String served() {
        return "CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions, UpdateFunctionCode, "
                + "UpdateFunctionConfiguration, DeleteFunction, Invoke, PublishVersion, ListVersionsByFunction, "
                + "CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases, InvokeWithResponseStream, "
                + "TagResource, UntagResource, ListTags, PutFunctionConcurrency, GetFunctionConcurrency, "
                + "DeleteFunctionConcurrency, GetAccountSettings, AddPermission, RemovePermission, GetPolicy, "
                + "GetFunctionCodeSigningConfig, PutFunctionEventInvokeConfig, GetFunctionEventInvokeConfig, "
                + "UpdateFunctionEventInvokeConfig, DeleteFunctionEventInvokeConfig, ListFunctionEventInvokeConfigs";
    }
}
