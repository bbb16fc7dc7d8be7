package dev.floe.worker.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An ahead-of-time cache of the Java runtime interface client (JDK 25's {@code -XX:AOTCacheOutput}),
 * made once per worker and JDK: a training run of the client (with Floe's {@link WarmupHandler}, against
 * a one-event Runtime API served here) records every class it loads on its way to answering an
 * invocation, and the JVM writes them, already loaded and linked, with the module graph, when it exits.
 * Each java environment then maps them from the cache instead of loading, verifying and linking them
 * again. (A dynamic class-data archive, {@code -XX:ArchiveClassesAtExit}, did the same with less: its
 * starts took about 15% more CPU than the cache's (428 against 372 ms), measured on the client's plain start.)
 *
 * <p>The cache lies beside the client's jars and is used through {@code /var/runtime}: the JVM accepts
 * a cache whose class path has moved as long as the jars are the same files.
 */
final class JavaClassArchive {
    static final String FILE = "runtime.aot";
    private static final System.Logger LOG = System.getLogger(JavaClassArchive.class.getName());
    private static final String PREFIX = "/2018-06-01/runtime/invocation/";

    private JavaClassArchive() {}

    /** Makes {@code javaDir/runtime.jsa} with {@code java}; false if the training run failed (the runtime works without it). */
    static boolean make(Path javaDir, Path java, Training training) {
        Path work = null;
        HttpServer server = null;
        try {
            work = Files.createTempDirectory(javaDir, "training");
            Path task = Files.createDirectories(work.resolve("task"));
            String classFile = WarmupHandler.class.getName().replace('.', '/') + ".class";
            Path target = task.resolve(classFile);
            Files.createDirectories(target.getParent());
            try (InputStream in = WarmupHandler.class.getClassLoader().getResourceAsStream(classFile)) {
                Files.copy(in, target);
            }
            server = oneEventServer();
            Path archive = work.resolve(FILE);
            List<String> command = new ArrayList<>();
            command.add(java.toString());
            command.addAll(JavaOptions.training(javaDir, 256, archive, WarmupHandler.class.getName() + "::handle"));
            ProcessBuilder builder = new ProcessBuilder(command).directory(task.toFile())
                    .redirectErrorStream(true).redirectOutput(Redirect.appendTo(work.resolve("log").toFile()));
            builder.environment().clear();
            builder.environment().put("PATH", "/usr/bin:/bin");
            builder.environment().put("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + server.getAddress().getPort());
            builder.environment().put("_HANDLER", WarmupHandler.class.getName() + "::handle");
            builder.environment().put("LAMBDA_TASK_ROOT", task.toString());
            builder.environment().put("AWS_LAMBDA_FUNCTION_NAME", "floe-training");
            builder.environment().put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256");
            builder.environment().put("AWS_LAMBDA_FUNCTION_VERSION", "1");
            Process process = training.start(builder);
            if (process == null) {
                return false;
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                LOG.log(System.Logger.Level.WARNING, "the java runtimes' class archive was not made: the training run took over 60 s");
                return false;
            }
            if (!Files.isRegularFile(archive)) {
                LOG.log(System.Logger.Level.WARNING, "the java runtimes' class archive was not made: "
                        + Files.readString(work.resolve("log")).strip());
                return false;
            }
            Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("r--r--r--"));
            Files.move(archive, javaDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "the java runtimes' class archive was not made: " + e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            if (server != null) {
                server.stop(0);
            }
            if (work != null) {
                try {
                    dev.floe.common.FileTrees.delete(work);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot remove " + work + ": " + e.getMessage());
                }
            }
        }
    }

    /** Starts the training process unless the worker is closing, and stops it when the worker closes. */
    static final class Training implements AutoCloseable {
        private Process running;
        private boolean closed;

        synchronized Process start(ProcessBuilder builder) throws IOException {
            if (closed) {
                return null;
            }
            running = builder.start();
            return running;
        }

        @Override
        public void close() {
            Process process;
            synchronized (this) {
                closed = true;
                process = running;
            }
            if (process != null && process.isAlive()) {
                // The JVM writes the cache in a child JVM of its own, which must not outlive the worker.
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                try {
                    process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /**
     * The Runtime API of the training run: one event, then the next request is dropped unanswered, on
     * which the client exits, writing the archive. (Its native part crashes on an error status instead.)
     */
    private static HttpServer oneEventServer() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        AtomicInteger nexts = new AtomicInteger();
        server.createContext("/2018-06-01/runtime/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            exchange.getRequestBody().readAllBytes();
            if (path.equals(PREFIX + "next") && nexts.getAndIncrement() == 0) {
                var headers = exchange.getResponseHeaders();
                headers.add("Content-Type", "application/json");
                headers.add("Lambda-Runtime-Aws-Request-Id", "training");
                headers.add("Lambda-Runtime-Deadline-Ms", Long.toString(System.currentTimeMillis() + 60_000));
                headers.add("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:floe-training");
                headers.add("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0");
                reply(exchange, 200, "{\"warm\":\"up\",\"n\":1}");
            } else if (path.equals(PREFIX + "next")) {
                exchange.close();
            } else {
                reply(exchange, path.startsWith(PREFIX) ? 202 : 404, "{}");
            }
        });
        server.start();
        return server;
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (exchange) {
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
