package dev.floe.worker.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A worker's sandbox in a process of its own, holding environments whose runtimes start background
 * processes (one in a new session) and write to their /tmp: what {@link WorkerDeathTest} kills.
 * Arguments: worker id, data directory, number of environments, registry directory. Prints "ready"
 * once all run.
 */
public final class HeldEnvironments {
    private HeldEnvironments() {}

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[1]);
        Sandbox sandbox = Sandbox.open(args[0], data, Sandbox.Options.defaults(), new WorkerRegistry(Path.of(args[3])));
        Path code = Files.createDirectories(data.resolve("code"));
        for (int i = 0; i < Integer.parseInt(args[2]); i++) {
            String id = "env-" + i;
            Path envDir = Files.createDirectories(sandbox.environmentsDir().resolve(id));
            Cell cell = sandbox.createCell(id, 128);
            TmpVolume tmp = sandbox.createTmp(cell, envDir, 64);
            sandbox.launch(cell, tmp, code, null, List.of("/bin/sh", "-c",
                    "setsid sleep 1000 & sleep 1000 & echo kept > /tmp/file; echo started; wait"),
                    Map.of("PATH", "/usr/bin:/bin"), envDir, ProcessBuilder.Redirect.appendTo(envDir.resolve("log").toFile()));
            for (long deadline = System.nanoTime() + 30_000_000_000L; ; ) {
                if (Files.exists(envDir.resolve("log")) && Files.readString(envDir.resolve("log")).contains("started")) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(id + " did not start: " + Files.readString(envDir.resolve("log")));
                }
                Thread.sleep(10);
            }
        }
        System.out.println("ready " + sandbox.info());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
