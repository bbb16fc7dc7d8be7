package dev.floe.worker.environment;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.proto.Function;
import dev.floe.worker.code.CodeCache;
import dev.floe.worker.runtime.ManagedRuntime;
import dev.floe.worker.runtime.RuntimeUnavailableException;
import dev.floe.worker.runtime.Runtimes;
import dev.floe.worker.sandbox.Cell;
import dev.floe.worker.sandbox.NoRoomException;
import dev.floe.worker.sandbox.TmpVolume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The steps of an environment's cold start that need none of its state: deciding how its runtime
 * starts, and preparing its sandbox. The environment runs them in order, the first on its event loop,
 * the second on the host's blocking executor, and keeps the state machine, the timers and what the
 * steps produce; this class holds nothing between them.
 */
final class ColdStart {
    private final String environmentId;
    private final Function function;
    private final EnvironmentHost host;

    ColdStart(String environmentId, Function function, EnvironmentHost host) {
        this.environmentId = environmentId;
        this.function = function;
        this.host = host;
    }

    /**
     * How the runtime starts, or why it cannot.
     *
     * @param launch the plan; null when {@code initError} says why there is none
     * @param initError the message of the Runtime.InvalidEntrypoint init error, else null
     */
    record Plan(Runtimes.Launch launch, String initError) {}

    /** What a prepared sandbox holds: the environment's directory, log, cgroups and /tmp. */
    record Sandbox(Path dir, EnvironmentLog log, Cell cell, TmpVolume tmp) {}

    /** Decides how the runtime starts from {@code code}; {@code requestId} is the first invocation's, for the error. */
    Plan plan(CodeCache.Lease code, String requestId) {
        Path taskRoot = host.sandbox().taskRoot(code.root());
        ManagedRuntime runtime = ManagedRuntime.of(function.getConfig().getRuntime());
        if (runtime == ManagedRuntime.PROVIDED) {
            Path bootstrap = code.root().resolve("bootstrap");
            if (!Files.isRegularFile(bootstrap) || !Files.isExecutable(bootstrap)) {
                return new Plan(null, "RequestId: " + requestId + " Error: Couldn't find valid bootstrap(s): ["
                        + taskRoot.resolve("bootstrap") + "]");
            }
        }
        try {
            // A custom runtime has no files of Floe's: /var/runtime with a mount namespace (empty), else the code's root.
            Path runtimeRoot = host.sandbox().runtimeRoot(runtime == ManagedRuntime.PROVIDED ? code.root()
                    : host.runtimes().directoryOf(runtime));
            return new Plan(host.runtimes().launch(runtime, runtimeRoot, taskRoot, function.getConfig().getHandler(),
                    function.getConfig().getMemoryMb()), null);
        } catch (RuntimeUnavailableException e) {
            return new Plan(null, "RequestId: " + requestId + " Error: " + e.getMessage());
        }
    }

    /**
     * Prepares the sandbox, blocking, and hands it to {@code ready}. If that fails, or {@code ready}
     * throws, whatever was made is released before {@code failed} hears why.
     */
    void prepareSandbox(Consumer<Sandbox> ready, Consumer<FloeException> failed) {
        Path envDir = host.environmentsDir().resolve(environmentId);
        EnvironmentLog envLog = null;
        Cell envCell = null;
        try {
            Files.createDirectories(envDir);
            envLog = new EnvironmentLog(envDir.resolve("log"), host.sandbox().outputs(), host.metrics()::logDropped);
            envCell = host.sandbox().createCell(environmentId, function.getConfig().getMemoryMb());
            TmpVolume envTmp = host.sandbox().createTmp(envCell, envDir, function.getConfig().getTmpMb());
            ready.accept(new Sandbox(envDir, envLog, envCell, envTmp));
        } catch (IOException | RuntimeException e) {
            Environment.closeQuietly(envLog);
            if (envCell != null) {
                envCell.close();
            }
            EnvironmentPool.deleteTree(envDir);
            // No disk for its /tmp means no room on this worker: another may take the invocation.
            ErrorType type = e instanceof NoRoomException ? ErrorType.WORKER_FULL : ErrorType.SERVICE;
            failed.accept(new FloeException(type, "cannot prepare a sandbox for " + function.getName() + ": " + e.getMessage(), e));
        }
    }
}
