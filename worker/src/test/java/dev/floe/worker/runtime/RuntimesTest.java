package dev.floe.worker.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How each runtime is started, from the files the worker installs. */
class RuntimesTest {
    @TempDir
    Path dir;

    @Test
    void everyRuntimeNameMapsToOneRuntime() {
        assertEquals(ManagedRuntime.PROVIDED, ManagedRuntime.of("provided.al2023"));
        assertEquals(ManagedRuntime.PROVIDED, ManagedRuntime.of("provided.al2"));
        assertEquals(ManagedRuntime.PYTHON3, ManagedRuntime.of("python3"));
        assertEquals(ManagedRuntime.JAVA21, ManagedRuntime.of("java21"));
        assertEquals(ManagedRuntime.PYTHON3, ManagedRuntime.of("python3.12"));
        assertEquals(ManagedRuntime.NODEJS, ManagedRuntime.of("nodejs20.x"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ManagedRuntime.of("ruby3.3"));
        assertEquals("runtime: \"ruby3.3\" (expected: provided, python3, nodejs, java25 or java21, or Lambda's names for them: provided.al2023, provided.al2, python3.N, nodejsN.x)", e.getMessage());
    }

    @Test
    void theRuntimesFilesAreInstalledReadableByEveryone() throws Exception {
        Runtimes runtimes = Runtimes.install(dir.resolve("runtimes"), Runnable::run);

        for (Path file : List.of(dir.resolve("runtimes/python3/bootstrap.py"), dir.resolve("runtimes/nodejs/index.mjs"),
                dir.resolve("runtimes/java/lib/aws-lambda-java-runtime-interface-client.jar"))) {
            assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file.toString());
        }
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("runtimes/java/lib"))));
        runtimes.close();
    }

    @Test
    void aManagedRuntimeRunsItsClientFromTheRuntimeRoot() throws Exception {
        AtomicInteger background = new AtomicInteger();
        Runtimes runtimes = Runtimes.install(dir.resolve("runtimes"), task -> background.incrementAndGet());
        Path root = Path.of("/var/runtime");
        Path task = Path.of("/var/task");

        Runtimes.Launch python = runtimes.launch(ManagedRuntime.PYTHON3, root, task, "app.handler", 128);
        Runtimes.Launch provided = runtimes.launch(ManagedRuntime.PROVIDED, root, task, "x", 128);
        Runtimes.Launch java = runtimes.launch(ManagedRuntime.JAVA25, root, task, "example.Handler::handle", 1000);

        assertEquals(List.of("-u", "/var/runtime/bootstrap.py"), python.command().subList(1, 3));
        assertEquals(dir.resolve("runtimes/python3"), python.directory());
        assertEquals("/var/runtime", python.variables().get("LAMBDA_RUNTIME_DIR"));
        assertEquals("AWS_Lambda_python3", python.variables().get("AWS_EXECUTION_ENV"));
        assertEquals(List.of("/var/task/bootstrap"), provided.command());
        assertEquals(null, provided.directory());
        assertEquals("/var/runtime", provided.variables().get("LAMBDA_RUNTIME_DIR"), "as Lambda sets it for custom runtimes too");
        assertTrue(java.command().contains("-XX:MaxHeapSize=850m"), java.command().toString());
        assertTrue(java.command().contains("-XX:TieredStopAtLevel=1"), java.command().toString());
        assertEquals(List.of("-cp", "/var/runtime/lib/*", Runtimes.JAVA_MAIN, "example.Handler::handle"),
                java.command().subList(java.command().size() - 4, java.command().size()));
        assertEquals(1, background.get(), "the first java start asks for the class archive, once");
        runtimes.launch(ManagedRuntime.JAVA25, root, task, "example.Handler::handle", 1000);
        assertEquals(1, background.get());
        runtimes.close();
    }
}
