package dev.floe.controller.lambdaapi;

import dev.floe.common.FunctionLimits;
import dev.floe.controller.function.Qualifier;
import java.util.Optional;

/**
 * The function a request names, as Lambda accepts it: a name ({@code my-function}), a name with a
 * qualifier ({@code my-function:3}, {@code my-function:live}), a full ARN
 * ({@code arn:aws:lambda:us-east-1:000000000000:function:my-function}), or a partial one
 * ({@code 000000000000:function:my-function}), optionally qualified; or the {@code Qualifier} query
 * parameter. The qualifier is {@code $LATEST}, a revision number or an alias name ({@link Qualifier}).
 */
record FunctionRef(String name, Qualifier qualifier) {
    static FunctionRef parse(String given, String qualifierParam) {
        if (given == null || given.isEmpty()) {
            throw ApiError.invalid("FunctionName is missing (expected: a function name or ARN)").toException();
        }
        String rest = given;
        if (rest.startsWith("arn:")) {
            String[] parts = rest.split(":", -1);
            if (parts.length < 7 || parts.length > 8 || !parts[2].equals("lambda") || !parts[5].equals("function")) {
                throw bad(given);
            }
            rest = parts.length == 8 ? parts[6] + ":" + parts[7] : parts[6];
        } else if (rest.contains(":function:")) {
            rest = rest.substring(rest.indexOf(":function:") + ":function:".length());
        }
        String name = rest;
        Optional<String> qualifier = Optional.empty();
        int colon = rest.indexOf(':');
        if (colon >= 0) {
            name = rest.substring(0, colon);
            qualifier = Optional.of(rest.substring(colon + 1));
        }
        if (qualifierParam != null && !qualifierParam.isEmpty()) {
            if (qualifier.isPresent() && !qualifier.get().equals(qualifierParam)) {
                throw ApiError.invalid("Qualifier: \"" + qualifierParam + "\" differs from the one in the function name, \""
                        + qualifier.get() + "\" (expected: one qualifier)").toException();
            }
            qualifier = Optional.of(qualifierParam);
        }
        FunctionLimits.checkName(name);
        if (qualifier.isPresent() && qualifier.get().isEmpty()) {
            throw bad(given);
        }
        return new FunctionRef(name, Qualifier.parse(qualifier.orElse("")));
    }

    /** Whether a qualifier other than {@code $LATEST} was given. */
    boolean qualified() {
        return !qualifier.isLatest();
    }

    /** The qualifier as the invocation machinery takes it: "" for the latest revision. */
    String qualifierText() {
        return qualified() ? qualifier.toString() : "";
    }

    private static ApiError.ApiException bad(String given) {
        return ApiError.invalid("function \"" + given + "\" (expected: a name, NAME:QUALIFIER, or an ARN "
                + FunctionShapes.ARN_PREFIX + "NAME[:QUALIFIER])").toException();
    }
}
