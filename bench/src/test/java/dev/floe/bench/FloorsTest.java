package dev.floe.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.floe.common.FileTrees;
import dev.floe.worker.runtime.ManagedRuntime;
import dev.floe.worker.runtime.Runtimes;
import dev.floe.worker.runtime.WarmupHandler;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bare pipeline that {@code floe bench-runtimes} measures Floe against answers the Java runtime interface client. */
class FloorsTest {
    @TempDir
    Path dir;

    @Test
    void theJavaRuntimeInterfaceClientAnswersThroughTheBareRelay() throws Exception {
        ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
        try (Runtimes runtimes = Runtimes.install(dir.resolve("runtimes"), background)) {
            Path bootstrap = javaBootstrap(runtimes);
            try (Floors.Pipeline floor = new Floors.Pipeline(bootstrap, 1, "{\"a\":1}".getBytes())) {
                assertEquals(1, floor.startNanos().length);
                // Before the bare Runtime API sent a Content-Type, the client's native part crashed here.
                assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                    floor.invokeRelayed();
                    floor.invokeRelayed();
                });
            }
        } finally {
            background.close();
            FileTrees.delete(dir.resolve("runtimes"));
        }
    }

    /** The handler's class in a task root, and a script that starts the client there as the benchmark's floor does. */
    private Path javaBootstrap(Runtimes runtimes) throws Exception {
        String classFile = WarmupHandler.class.getName().replace('.', '/') + ".class";
        Path task = dir.resolve("task");
        Files.createDirectories(task.resolve(classFile).getParent());
        try (InputStream in = WarmupHandler.class.getClassLoader().getResourceAsStream(classFile)) {
            Files.copy(in, task.resolve(classFile));
        }
        String handler = WarmupHandler.class.getName() + "::handle";
        Runtimes.Launch launch = runtimes.launch(ManagedRuntime.JAVA25, runtimes.directoryOf(ManagedRuntime.JAVA25), task,
                handler, 256);
        StringBuilder script = new StringBuilder("#!/bin/sh\ncd '" + task + "'\nexport _HANDLER='" + handler
                + "' LAMBDA_TASK_ROOT='" + task + "' AWS_LAMBDA_FUNCTION_NAME=floor AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256"
                + " AWS_LAMBDA_FUNCTION_VERSION=1\nexec");
        for (String word : launch.command()) {
            script.append(" '").append(word).append("'");
        }
        Path bootstrap = dir.resolve("bootstrap");
        Files.writeString(bootstrap, script.append('\n'));
        Files.setPosixFilePermissions(bootstrap, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bootstrap;
    }
}
