package dev.floe.worker.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A worker's managed runtimes: their files, installed once under the worker's data directory (readable
 * by every environment's user, mounted read-only at {@code /var/runtime}), and the interpreters found on
 * this machine. {@link #launch} says how an environment starts a function's runtime.
 *
 * <p>{@code java21} runs on a JDK 21 where one is installed, else on the JDK 25 that {@code java25} uses:
 * class files built for 21 run unchanged on 25, so a function written for Lambda's java21 behaves the
 * same apart from the JVM's own version ({@code java.version} says which).
 */
public final class Runtimes implements AutoCloseable {
    /** Where a managed runtime's files appear inside an environment, as in Lambda ({@code LAMBDA_RUNTIME_DIR}). */
    public static final Path RUNTIME_ROOT = Path.of("/var/runtime");
    /** The jars of the Java runtime interface client, copied beside this class by the build. */
    static final List<String> JAVA_JARS = List.of("aws-lambda-java-runtime-interface-client.jar",
            "aws-lambda-java-core.jar", "aws-lambda-java-serialization.jar", "utils-lite.jar");
    static final String JAVA_MAIN = "com.amazonaws.services.lambda.runtime.api.client.AWSLambda";

    /**
     * How to start one environment's runtime.
     *
     * @param directory the runtime's files on the worker, to mount at {@link #RUNTIME_ROOT}; null for {@code provided}
     * @param command the runtime's command line as the environment sees it
     * @param variables the runtime's own variables (AWS_EXECUTION_ENV, LAMBDA_RUNTIME_DIR), before the function's
     */
    public record Launch(Path directory, List<String> command, Map<String, String> variables) {}

    private final Path directory;
    private final Map<ManagedRuntime, Path> interpreters;
    private final JavaClassArchive.Training training = new JavaClassArchive.Training();

    private final Executor background;
    private final AtomicBoolean archiveRequested = new AtomicBoolean();

    private Runtimes(Path directory, Map<ManagedRuntime, Path> interpreters, Executor background) {
        this.directory = directory;
        this.interpreters = interpreters;
        this.background = background;
    }

    /**
     * Installs every runtime's files under {@code directory} and finds the interpreters. Blocking.
     *
     * @param background runs the java runtimes' class archive training, on the first java cold start
     */
    public static Runtimes install(Path directory, Executor background) throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (ManagedRuntime runtime : ManagedRuntime.values()) {
            if (runtime == ManagedRuntime.PROVIDED || runtime == ManagedRuntime.JAVA21) {
                continue;
            }
            Path target = Files.createDirectories(directory.resolve(runtime.isJava() ? "java" : runtime.wireName()));
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
            if (runtime.isJava()) {
                Path lib = Files.createDirectories(target.resolve("lib"));
                Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rwxr-xr-x"));
                for (String jar : JAVA_JARS) {
                    copy("java/" + jar, lib.resolve(jar));
                }
                // An archive of a previous run names jars that were just replaced: it is made again.
                Files.deleteIfExists(target.resolve(JavaClassArchive.FILE));
            } else {
                for (String file : runtime.files()) {
                    copy(runtime.wireName() + "/" + file, target.resolve(file));
                }
            }
        }
        Map<ManagedRuntime, Path> found = new EnumMap<>(ManagedRuntime.class);
        firstExecutable("/usr/bin/python3", "/usr/local/bin/python3").ifPresent(p -> found.put(ManagedRuntime.PYTHON3, p));
        firstExecutable("/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs").ifPresent(p -> found.put(ManagedRuntime.NODEJS, p));
        Optional<Path> java25 = Jdks.find(25);
        java25.ifPresent(p -> found.put(ManagedRuntime.JAVA25, p));
        Jdks.find(21).or(() -> java25).ifPresent(p -> found.put(ManagedRuntime.JAVA21, p));
        return new Runtimes(directory, found, background);
    }

    /**
     * Makes the java runtimes' class-data archive with java25's JDK (a training run of about a second of
     * CPU); until it exists, java environments start without it. Blocking: call it off the event loops.
     * {@link #launch} asks for it on the first java cold start.
     *
     * @return whether the archive was made
     */
    public boolean makeJavaClassArchive() {
        Path java = interpreters.get(ManagedRuntime.JAVA25);
        return java != null && JavaClassArchive.make(directory.resolve("java"), java, training);
    }

    /** The interpreter each managed runtime runs on here; a runtime missing from it cannot start on this worker. */
    public Map<ManagedRuntime, Path> interpreters() {
        return Map.copyOf(interpreters);
    }

    /**
     * How to start {@code runtime} for a function with {@code handler} and {@code memoryMb}, where the
     * environment sees the runtime's files at {@code runtimeRoot} and the code at {@code taskRoot}.
     *
     * @throws RuntimeUnavailableException if this machine lacks the runtime's interpreter
     */
    public Launch launch(ManagedRuntime runtime, Path runtimeRoot, Path taskRoot, String handler, int memoryMb) {
        if (runtime == ManagedRuntime.PROVIDED) {
            // Lambda sets /var/runtime for custom runtimes too: the sandbox's (empty) mount point.
            Map<String, String> vars = Map.of("LAMBDA_RUNTIME_DIR", runtimeRoot.toString());
            return new Launch(null, List.of(taskRoot.resolve("bootstrap").toString()), vars);
        }
        Path interpreter = interpreters.get(runtime);
        if (interpreter == null) {
            throw new RuntimeUnavailableException("the " + runtime.wireName() + " runtime is not installed on this worker"
                    + " (expected: " + switch (runtime) {
                        case PYTHON3 -> "python3 in /usr/bin or /usr/local/bin";
                        case NODEJS -> "node in /usr/bin or /usr/local/bin";
                        default -> "a JDK " + (runtime == ManagedRuntime.JAVA21 ? "21 or " : "") + "25 in /usr/lib/jvm";
                    } + ")");
        }
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("AWS_EXECUTION_ENV", runtime.executionEnv());
        vars.put("LAMBDA_RUNTIME_DIR", runtimeRoot.toString());
        List<String> command = new ArrayList<>();
        command.add(interpreter.toString());
        switch (runtime) {
            case PYTHON3 -> {
                // Unbuffered, so what a handler prints reaches the log (and the tail) before its answer.
                command.add("-u");
                command.add(runtimeRoot.resolve("bootstrap.py").toString());
            }
            case NODEJS -> command.add(runtimeRoot.resolve("index.mjs").toString());
            default -> {
                if (archiveRequested.compareAndSet(false, true)) {
                    // The first java environment starts without the archive; the next ones map it.
                    background.execute(this::makeJavaClassArchive);
                }
                // Only java25's JDK makes the archive (install removes an older one), and only its JVMs may map it.
                Path archive = interpreter.equals(interpreters.get(ManagedRuntime.JAVA25))
                        && Files.isRegularFile(directoryOf(runtime).resolve(JavaClassArchive.FILE))
                        ? runtimeRoot.resolve(JavaClassArchive.FILE) : null;
                command.addAll(JavaOptions.of(runtimeRoot, memoryMb, archive, handler));
            }
        }
        return new Launch(directoryOf(runtime), List.copyOf(command), vars);
    }

    /** Where a managed runtime's files are on the worker. */
    public Path directoryOf(ManagedRuntime runtime) {
        if (runtime == ManagedRuntime.PROVIDED) {
            throw new IllegalArgumentException("runtime: provided (expected: a managed runtime; provided has no files of Floe's)");
        }
        return directory.resolve(runtime.isJava() ? "java" : runtime.wireName());
    }

    /** Stops a training run still going; the files stay for the next start. */
    @Override
    public void close() {
        training.close();
    }

    private static Optional<Path> firstExecutable(String... candidates) {
        for (String candidate : candidates) {
            Path path = Path.of(candidate);
            if (Files.isExecutable(path)) {
                return Optional.of(path);
            }
        }
        return Optional.empty();
    }

    /** Copies one of this package's resources to {@code target}, readable by everyone. */
    private static void copy(String resource, Path target) throws IOException {
        try (InputStream in = Runtimes.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("the runtime file " + resource + " is missing from the worker's jar");
            }
            Path tmp = Files.createTempFile(target.getParent(), "install", ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r--r--r--"));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
