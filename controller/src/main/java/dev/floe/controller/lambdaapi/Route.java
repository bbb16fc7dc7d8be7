package dev.floe.controller.lambdaapi;

import java.util.Optional;

/**
 * Which operation a request is, from its method and path (Lambda API reference, version 2015-03-31),
 * and the function (and alias) named in its path, still percent-encoded as sent.
 *
 * @param alias the alias in {@code .../aliases/NAME}; null for other paths
 */
record Route(Operation operation, String function, String alias) {
    static final String PREFIX = "/2015-03-31/functions";
    /** InvokeWithResponseStream came with a later API version, and its path carries it. */
    static final String STREAMING_PREFIX = "/2021-11-15/functions";
    static final String STREAMING_SUFFIX = "/response-streaming-invocations";

    enum Operation {
        LIST_FUNCTIONS, CREATE_FUNCTION, GET_FUNCTION, DELETE_FUNCTION, GET_FUNCTION_CONFIGURATION,
        UPDATE_FUNCTION_CONFIGURATION, UPDATE_FUNCTION_CODE, INVOKE, PUBLISH_VERSION, LIST_VERSIONS,
        CREATE_ALIAS, LIST_ALIASES, GET_ALIAS, UPDATE_ALIAS, DELETE_ALIAS, INVOKE_WITH_RESPONSE_STREAM
    }

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
        if (!rawPath.startsWith(PREFIX)) {
            return Optional.empty();
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
            default -> null;
        };
        return Optional.ofNullable(op).map(o -> new Route(o, function));
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
                + "CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases, InvokeWithResponseStream";
    }
}
