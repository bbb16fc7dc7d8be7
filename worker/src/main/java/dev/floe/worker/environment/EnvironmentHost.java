package dev.floe.worker.environment;

import dev.floe.worker.code.CodeCache;
import dev.floe.worker.runtime.Runtimes;
import dev.floe.worker.runtimeapi.RuntimeApiServer;
import dev.floe.worker.sandbox.Sandbox;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * What every environment of a worker runs on: the sandbox, the code cache, the Runtime API server,
 * an executor for blocking work (cgroups, filesystems, spawning), the clocks, the meters and the
 * worker-wide settings.
 *
 * @param environmentsDir where each environment keeps its log and /tmp image, in a directory named by its id
 * @param freezeGrace how long an idle environment stays thawed before it is frozen
 * @param initTimeout Lambda's limit on an environment's init phase (10 s)
 * @param startTimeout the limit on what comes before it: fetching the code, preparing the sandbox
 * @param clock wall-clock time, for deadlines the runtime sees and timestamps users see
 * @param ticker monotonic nanoseconds, for every duration
 * @param runtimes the managed runtimes' files and interpreters
 */
public record EnvironmentHost(
        String workerId,
        String region,
        Sandbox sandbox,
        CodeCache codeCache,
        RuntimeApiServer runtimeApi,
        Executor blocking,
        Path environmentsDir,
        Duration freezeGrace,
        Duration initTimeout,
        Duration startTimeout,
        InstantSource clock,
        LongSupplier ticker,
        WorkerMetrics metrics,
        Runtimes runtimes) {}
