package dev.floe.worker.runtime;

import java.util.List;

/**
 * The runtimes Floe runs and the files each ships. A function's runtime name maps to exactly one of
 * these; {@code provided} runs the package's own {@code bootstrap}.
 */
public enum ManagedRuntime {
    PROVIDED("provided", "provided:al2023", List.of()),
    PYTHON3("python3", "AWS_Lambda_python3", List.of("bootstrap.py")),
    NODEJS("nodejs", "AWS_Lambda_nodejs", List.of("index.mjs")),
    JAVA25("java25", "AWS_Lambda_java25", List.of()),
    JAVA21("java21", "AWS_Lambda_java21", List.of());

    private final String wireName;
    private final String executionEnv;
    private final List<String> files;

    ManagedRuntime(String wireName, String executionEnv, List<String> files) {
        this.wireName = wireName;
        this.executionEnv = executionEnv;
        this.files = files;
    }

    /**
     * The runtime named {@code name} in a function's config ({@code provided.al2023} and {@code provided.al2}
     * are {@code provided}, {@code python3.N} is {@code python3}, {@code nodejsN.x} is {@code nodejs}).
     */
    public static ManagedRuntime of(String name) {
        if (name.equals("provided.al2023") || name.equals("provided.al2")) {
            return PROVIDED;
        }
        // Lambda's versioned names (python3.12, nodejs20.x) run on the machine's interpreter.
        if (name.matches("python3\\.\\d{1,2}")) {
            return PYTHON3;
        }
        if (name.matches("nodejs\\d{1,2}\\.x")) {
            return NODEJS;
        }
        for (ManagedRuntime runtime : values()) {
            if (runtime.wireName.equals(name)) {
                return runtime;
            }
        }
        throw new IllegalArgumentException("runtime: \"" + name + "\" (expected: provided, python3, nodejs, java25 or java21, or Lambda's names for them: provided.al2023, provided.al2, python3.N, nodejsN.x)");
    }

    public String wireName() {
        return wireName;
    }

    /** {@code AWS_EXECUTION_ENV}, as Lambda sets it for the runtime. */
    public String executionEnv() {
        return executionEnv;
    }

    /** The resource files Floe's own runtime client consists of, beside this class in {@code <name>/}. */
    List<String> files() {
        return files;
    }

    boolean isJava() {
        return this == JAVA25 || this == JAVA21;
    }
}
