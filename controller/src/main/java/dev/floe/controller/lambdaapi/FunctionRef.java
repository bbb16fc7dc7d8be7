package dev.floe.controller.lambdaapi;

import dev.floe.common.FunctionLimits;
import java.util.Optional;

/**
 * The function a request names, as Lambda accepts it: a name ({@code my-function}), a name with a
 * qualifier ({@code my-function:3}), a full ARN ({@code arn:aws:lambda:us-east-1:000000000000:function:my-function}),
 * or a partial one ({@code 000000000000:function:my-function}), optionally qualified; or the
 * {@code Qualifier} query parameter. The qualifier is {@code $LATEST} or a revision number.
 */
record FunctionRef(String name, Optional<String> qualifier) {
    static final String LATEST = "$LATEST";

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
        qualifier.ifPresent(FunctionRef::checkQualifier);
        return new FunctionRef(name, qualifier.filter(q -> !q.equals(LATEST)));
    }

    /** The revision number asked for, if any ({@code $LATEST} is none). */
    Optional<Integer> revision() {
        return qualifier.map(Integer::parseInt);
    }

    private static void checkQualifier(String q) {
        if (q.equals(LATEST)) {
            return;
        }
        if (q.isEmpty() || q.length() > 9 || !q.chars().allMatch(Character::isDigit) || Integer.parseInt(q) < 1) {
            throw new ApiError(404, dev.floe.common.ErrorType.RESOURCE_NOT_FOUND.wireName(), true, "qualifier \"" + q
                    + "\" not found (expected: $LATEST or a revision number; Floe has no aliases)").toException();
        }
    }

    private static ApiError.ApiException bad(String given) {
        return ApiError.invalid("function \"" + given + "\" (expected: a name, NAME:QUALIFIER, or an ARN "
                + FunctionShapes.ARN_PREFIX + "NAME[:QUALIFIER])").toException();
    }
}
