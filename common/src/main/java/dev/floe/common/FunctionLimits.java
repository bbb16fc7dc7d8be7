package dev.floe.common;

import dev.floe.proto.FunctionConfig;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a function may be, with Lambda's limits and defaults
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 * Every violation is an {@link ErrorType#INVALID_PARAMETER} whose message names the field, the value,
 * and what was expected.
 */
public final class FunctionLimits {
    public static final int MEMORY_MIN_MB = 128;
    public static final int MEMORY_MAX_MB = 10_240;
    public static final int MEMORY_DEFAULT_MB = 128;
    public static final int TIMEOUT_MIN_S = 1;
    public static final int TIMEOUT_MAX_S = 900;
    public static final int TIMEOUT_DEFAULT_S = 3;
    public static final int TMP_MIN_MB = 512;
    public static final int TMP_MAX_MB = 10_240;
    public static final int TMP_DEFAULT_MB = 512;
    /** Lambda's limit on a direct upload of a zip package. */
    public static final int CODE_ZIP_MAX_BYTES = 50 * 1024 * 1024;
    /** Lambda's limit on a package's unpacked size. */
    public static final long CODE_UNPACKED_MAX_BYTES = 250L * 1024 * 1024;
    /** Floe's limit on the files, directories and links in a package: enough for large node_modules trees. */
    public static final int CODE_ENTRIES_MAX = 20_000;
    /**
     * How many times its zipped size a package may unpack to, past {@link #CODE_RATIO_FREE_BYTES}: code
     * compresses 2 to 10 times, a zip bomb thousands of times.
     */
    public static final long CODE_RATIO_MAX = 100;
    /** Below this many unpacked bytes the ratio is not checked: a small package of zeros is harmless. */
    public static final long CODE_RATIO_FREE_BYTES = 64L * 1024 * 1024;
    /** Synchronous invocation payloads, request and response: 6 MB each way. */
    public static final int PAYLOAD_MAX_BYTES = 6 * 1024 * 1024;
    /** The total size of a function's environment variables. */
    public static final int ENVIRONMENT_MAX_BYTES = 4 * 1024;
    public static final int HANDLER_MAX_CHARS = 128;
    /**
     * The runtimes Floe runs: "provided" (the package's own bootstrap; "provided.al2023" and
     * "provided.al2" are accepted as names for it) and the managed python3, nodejs, java25 and java21.
     */
    public static final Set<String> RUNTIMES = Set.of("provided", "provided.al2023", "provided.al2",
            "python3", "nodejs", "java25", "java21");
    /**
     * Lambda's versioned names, which tools such as the AWS CLI send (python3.12, nodejs20.x): they run
     * on the machine's python3 and node, whatever their version.
     */
    private static final Pattern VERSIONED_RUNTIME = Pattern.compile("python3\\.\\d{1,2}|nodejs\\d{1,2}\\.x");

    /** Whether Floe runs functions of the runtime named {@code name}. */
    public static boolean isRuntime(String name) {
        return RUNTIMES.contains(name) || VERSIONED_RUNTIME.matcher(name).matches();
    }

    /** Whether a runtime runs the package's own {@code bootstrap}, which the package must then have. */
    public static boolean isProvided(String runtime) {
        return runtime.equals("provided") || runtime.startsWith("provided.");
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_]+");
    /** Variables the platform sets; Lambda refuses them as function variables too. */
    private static final Set<String> RESERVED_KEYS = Set.of(
            "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
            "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR");

    private FunctionLimits() {}

    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw invalid("function name: " + quote(name)
                    + " (expected: 1 to 64 letters, digits, hyphens or underscores)");
        }
        return name;
    }

    /**
     * The config with Lambda's defaults for the sizes it does not set, after checking every field. A
     * size that is set is the caller's value: a zero or a negative one is refused as Lambda refuses it,
     * never taken as "the default".
     */
    public static FunctionConfig withDefaultsChecked(FunctionConfig config) {
        FunctionConfig.Builder b = config.toBuilder();
        if (!b.hasMemoryMb()) {
            b.setMemoryMb(MEMORY_DEFAULT_MB);
        }
        if (!b.hasTimeoutSeconds()) {
            b.setTimeoutSeconds(TIMEOUT_DEFAULT_S);
        }
        if (!b.hasTmpMb()) {
            b.setTmpMb(TMP_DEFAULT_MB);
        }
        FunctionConfig full = b.build();
        check(full);
        return full;
    }

    public static void check(FunctionConfig config) {
        if (!isRuntime(config.getRuntime())) {
            throw invalid("runtime: " + quote(config.getRuntime())
                    + " (expected: provided, python3, nodejs, java25 or java21, or Lambda's names for them:"
                    + " provided.al2023, provided.al2, python3.N, nodejsN.x)");
        }
        String handler = config.getHandler();
        // The runtime gets the handler as a variable (_HANDLER): a NUL could not be carried, so it is refused as in values.
        if (handler.isEmpty() || handler.length() > HANDLER_MAX_CHARS || handler.chars().anyMatch(Character::isWhitespace)
                || handler.indexOf('\0') >= 0) {
            throw invalid("handler: " + printable(handler) + " (expected: 1 to " + HANDLER_MAX_CHARS
                    + " characters without spaces or NUL)");
        }
        range("memory", config.getMemoryMb(), MEMORY_MIN_MB, MEMORY_MAX_MB, " MB");
        range("timeout", config.getTimeoutSeconds(), TIMEOUT_MIN_S, TIMEOUT_MAX_S, " s");
        range("tmp", config.getTmpMb(), TMP_MIN_MB, TMP_MAX_MB, " MB");
        checkEnvironment(config.getEnvironmentMap());
    }

    /**
     * Lambda's rules for a function's variables: names {@code [a-zA-Z]([a-zA-Z0-9_])+} and not one the
     * platform sets, at most 4 KB of names and values together, and (Floe's, since no process
     * environment can carry one) no NUL in a value: a value is passed to the runtime whole, so a NUL
     * would end it there and could start a variable of the user's choosing after it. The controller
     * checks every configuration as it enters; the worker checks again, as it writes the launcher's file, that
     * every variable (the platform's too) can reach the runtime whole.
     */
    public static void checkEnvironment(Map<String, String> variables) {
        int bytes = 0;
        for (Map.Entry<String, String> e : variables.entrySet()) {
            String key = e.getKey();
            if (!ENV_KEY.matcher(key).matches()) {
                throw invalid("environment variable name " + printable(key)
                        + " (expected: a letter, then letters, digits or underscores, at least 2 characters: [a-zA-Z]([a-zA-Z0-9_])+)");
            }
            if (RESERVED_KEYS.contains(key)) {
                throw invalid("environment variable " + key + " is reserved: Floe sets it (expected: a name Lambda does not reserve)");
            }
            String value = e.getValue();
            int nul = value.indexOf('\0');
            if (nul >= 0) {
                throw invalid("environment variable " + key + ": its value holds a NUL character at position " + nul
                        + " (expected: text without NUL, which no process environment can carry)");
            }
            bytes += key.getBytes(StandardCharsets.UTF_8).length + value.getBytes(StandardCharsets.UTF_8).length;
        }
        if (bytes > ENVIRONMENT_MAX_BYTES) {
            throw invalid("environment variables: " + bytes + " bytes of names and values (expected: at most "
                    + ENVIRONMENT_MAX_BYTES + " in all)");
        }
    }

    public static void checkCodeSize(long zipBytes) {
        if (zipBytes == 0) {
            throw invalid("code: empty (expected: a zip file with the function's code)");
        }
        if (zipBytes > CODE_ZIP_MAX_BYTES) {
            throw invalid("code: " + zipBytes + " bytes (expected: a zip of at most " + CODE_ZIP_MAX_BYTES + " bytes)");
        }
    }

    private static void range(String field, int value, int min, int max, String unit) {
        if (value < min || value > max) {
            throw invalid(field + ": " + value + unit + " (expected: " + min + ".." + max + unit + ")");
        }
    }

    /** A user's text for a message: quoted, control characters escaped, at most 80 characters. */
    private static String printable(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return b.append(s.length() > 80 ? "...\"" : "\"").toString();
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }

    private static FloeException invalid(String message) {
        return new FloeException(ErrorType.INVALID_PARAMETER, message);
    }
}
