package dev.floe.controller.function;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import java.util.regex.Pattern;

/**
 * Which revision of a function a caller means, as Lambda's qualifier: none or {@code $LATEST} for the
 * latest revision, a number for that revision (Lambda's version), anything else an alias name.
 *
 * @param revision with {@link Kind#REVISION}: the number, else 0
 * @param alias with {@link Kind#ALIAS}: the name, else ""
 */
public record Qualifier(Kind kind, int revision, String alias) {
    public enum Kind { LATEST, REVISION, ALIAS }

    public static final String LATEST_NAME = "$LATEST";
    public static final Qualifier LATEST = new Qualifier(Kind.LATEST, 0, "");
    /** Lambda's alias name pattern, {@code (?!^[0-9]+$)([a-zA-Z0-9-_]+)}, 1..128 characters. */
    private static final Pattern ALIAS_NAME = Pattern.compile("(?!^[0-9]+$)([a-zA-Z0-9-_]+)");
    private static final int ALIAS_NAME_MAX = 128;

    /** The qualifier {@code text} names; InvalidParameterValueException if it can name nothing. */
    public static Qualifier parse(String text) {
        if (text == null || text.isEmpty() || text.equals(LATEST_NAME)) {
            return LATEST;
        }
        if (text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            int number = text.length() > 9 ? -1 : Integer.parseInt(text);
            if (number < 1) {
                throw new FloeException(ErrorType.INVALID_PARAMETER, "qualifier: \"" + text
                        + "\" (expected: a revision number 1..999999999, $LATEST or an alias name)");
            }
            return new Qualifier(Kind.REVISION, number, "");
        }
        if (!isAliasName(text)) {
            throw new FloeException(ErrorType.INVALID_PARAMETER, "qualifier: \"" + text + "\" (expected: $LATEST, a revision"
                    + " number, or an alias name: 1.." + ALIAS_NAME_MAX + " letters, digits, - or _)");
        }
        return new Qualifier(Kind.ALIAS, 0, text);
    }

    public static Qualifier revision(int number) {
        return new Qualifier(Kind.REVISION, number, "");
    }

    /** Throws InvalidParameterValueException unless {@code name} follows Lambda's rules for alias names. */
    public static String checkAliasName(String name) {
        if (!isAliasName(name)) {
            throw new FloeException(ErrorType.INVALID_PARAMETER, "alias name: \"" + name + "\" (expected: 1.." + ALIAS_NAME_MAX
                    + " letters, digits, - or _, not only digits, which name a revision)");
        }
        return name;
    }

    private static boolean isAliasName(String name) {
        return name != null && !name.isEmpty() && name.length() <= ALIAS_NAME_MAX && ALIAS_NAME.matcher(name).matches();
    }

    public boolean isLatest() {
        return kind == Kind.LATEST;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case LATEST -> LATEST_NAME;
            case REVISION -> Integer.toString(revision);
            case ALIAS -> alias;
        };
    }
}
