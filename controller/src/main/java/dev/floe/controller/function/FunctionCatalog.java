package dev.floe.controller.function;

import com.google.protobuf.Timestamp;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.FunctionLimits;
import dev.floe.proto.Concurrency;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The functions and their revisions, checked against Lambda's limits. Every create or update makes
 * an immutable revision with a fresh, fleet-wide unique {@code revision_id}: environments are keyed by
 * it, so a function deleted and created again never meets its old environments.
 *
 * <p>Writes are serialized under one lock, which also covers putting code in place and removing
 * code no revision uses any more, so a delete never removes a package a concurrent create is about
 * to reference. Checking and hashing an upload happen before the lock. Reads (every invocation looks
 * up its function) come from an in-memory map of latest revisions that only the writers change.
 */
public final class FunctionCatalog implements AutoCloseable {
    /** Told after an update or delete, so workers retire environments of revisions no invocation will use. */
    public interface Listener {
        /** Every revision of {@code function} other than {@code keepRevisionId} (empty: all of them) is superseded. */
        void superseded(String function, String keepRevisionId);
    }

    private final FunctionStore store;
    private final CodeStore code;
    private final InstantSource clock;
    private final Listener listener;
    private final Object writes = new Object();
    private final Map<String, Function> latest = new ConcurrentHashMap<>();

    public FunctionCatalog(FunctionStore store, CodeStore code, InstantSource clock, Listener listener) {
        this.store = store;
        this.code = code;
        this.clock = clock;
        this.listener = listener;
        for (Function f : store.latest()) {
            latest.put(f.getName(), f);
        }
    }

    /** Opens the catalog kept in {@code dataDir}: {@code floe.db} and {@code code/}. */
    public static FunctionCatalog open(Path dataDir, InstantSource clock, Listener listener) throws IOException {
        Files.createDirectories(dataDir);
        // Functions' code and variables (which may hold secrets): the controller's alone.
        Files.setPosixFilePermissions(dataDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        CodeStore code = new CodeStore(dataDir.resolve("code"));
        FunctionStore store = SqliteFunctionStore.open(dataDir.resolve("floe.db"));
        try {
            return new FunctionCatalog(store, code, clock, listener);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public CodeStore code() {
        return code;
    }

    public Function create(String name, FunctionConfig config, byte[] codeZip) {
        FunctionLimits.checkName(name);
        FunctionConfig checked = FunctionLimits.withDefaultsChecked(config);
        FunctionLimits.checkCodeSize(codeZip.length);
        if (latest.containsKey(name)) {
            throw exists(name);
        }
        try (CodeStore.Staged staged = code.stage(codeZip, FunctionLimits.isProvided(checked.getRuntime()))) {
            synchronized (writes) {
                if (latest.containsKey(name)) {
                    throw exists(name);
                }
                Function first = revision(name, 1, checked, staged.sha256(), staged.size());
                staged.commit();
                store.create(first);
                latest.put(name, first);
                return first;
            }
        }
    }

    public Function update(FunctionUpdate update) {
        String name = update.name();
        FunctionLimits.checkName(name);
        boolean bootstrap = FunctionLimits.isProvided(merge(get(name).getConfig(), update).getRuntime());
        update.codeZip().ifPresent(zip -> FunctionLimits.checkCodeSize(zip.length));
        Function next;
        try (CodeStore.Staged staged = update.codeZip().map(zip -> code.stage(zip, bootstrap)).orElse(null)) {
            synchronized (writes) {
                Function previous = get(name);
                FunctionConfig config = merge(previous.getConfig(), update);
                // No defaults here: the previous revision is complete, so a zero is a value the user chose.
                FunctionLimits.check(config);
                String sha = staged == null ? previous.getCodeSha256() : staged.sha256();
                long size = staged == null ? previous.getCodeSize() : staged.size();
                next = revision(name, previous.getRevision() + 1, config, sha, size);
                if (staged != null) {
                    staged.commit();
                }
                store.append(next);
                // The concurrency settings are the function's: the new revision carries them on.
                if (previous.hasConcurrency()) {
                    next = next.toBuilder().setConcurrency(previous.getConcurrency()).build();
                }
                // The previous revisions stay stored with their code, so nothing is freed here.
                latest.put(name, next);
                // Under the lock, so that two updates' commands reach the workers in the order they were made.
                listener.superseded(name, next.getRevisionId());
            }
        }
        return next;
    }

    /** Checks and takes on a function's concurrency settings, e.g. the fleet's admission of invocations. */
    public interface ConcurrencyGate {
        /** Throws a {@link FloeException} if {@code function} may not have {@code settings}; else applies them. */
        void apply(String function, Concurrency settings);
    }

    /**
     * Changes the function's concurrency settings without making a revision, and returns its latest
     * revision with them. {@code gate} runs under the write lock, so two changes are checked one after
     * the other, each against the other's outcome; if storing fails it is given the old settings back.
     */
    public Function setConcurrency(String name, ConcurrencyChange change, ConcurrencyGate gate) {
        FunctionLimits.checkName(name);
        synchronized (writes) {
            Function previous = get(name);
            Concurrency next = change.applyTo(previous.getConcurrency());
            gate.apply(name, next);
            boolean stored = false;
            try {
                stored = store.setConcurrency(name, next);
            } finally {
                if (!stored) {
                    gate.apply(name, previous.getConcurrency());
                }
            }
            if (!stored) {
                throw new FloeException(ErrorType.RESOURCE_NOT_FOUND,
                        "function " + name + " not found (expected: the name of a created function)");
            }
            Function updated = previous.toBuilder().setConcurrency(next).build();
            latest.put(name, updated);
            return updated;
        }
    }

    /** The latest revision; throws {@code ResourceNotFoundException} if there is no such function. */
    public Function get(String name) {
        return find(name).orElseThrow(() -> new FloeException(ErrorType.RESOURCE_NOT_FOUND,
                "function " + name + " not found (expected: the name of a created function)"));
    }

    public Optional<Function> find(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(latest.get(name));
    }

    /** The latest revision of every function, sorted by name. */
    public List<Function> list() {
        return latest.values().stream().sorted(Comparator.comparing(Function::getName)).toList();
    }

    /** Every revision of the function, oldest first. */
    public List<Function> revisions(String name) {
        get(name);
        return store.revisions(name);
    }

    public void delete(String name) {
        synchronized (writes) {
            List<Function> revisions = store.revisions(name);
            if (!store.delete(name)) {
                throw new FloeException(ErrorType.RESOURCE_NOT_FOUND,
                        "function " + name + " not found (expected: the name of a created function)");
            }
            latest.remove(name);
            Set<String> shas = new LinkedHashSet<>();
            revisions.forEach(r -> shas.add(r.getCodeSha256()));
            removeUnusedCode(shas);
            listener.superseded(name, "");
        }
    }

    /** Removes the packages among {@code candidates} that no stored revision of any function uses. */
    private void removeUnusedCode(Set<String> candidates) {
        for (String sha : candidates) {
            if (!store.usesCode(sha)) {
                code.delete(sha);
            }
        }
    }

    private Function revision(String name, int number, FunctionConfig config, String sha, long size) {
        Instant now = clock.instant();
        return Function.newBuilder()
                .setName(name)
                .setRevision(number)
                .setRevisionId(UUID.randomUUID().toString())
                .setConfig(config)
                .setCodeSha256(sha)
                .setCodeSize(size)
                .setLastModified(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .build();
    }

    private static FunctionConfig merge(FunctionConfig previous, FunctionUpdate update) {
        FunctionConfig.Builder b = previous.toBuilder();
        update.runtime().ifPresent(b::setRuntime);
        update.handler().ifPresent(b::setHandler);
        update.memoryMb().ifPresent(b::setMemoryMb);
        update.timeoutSeconds().ifPresent(b::setTimeoutSeconds);
        update.tmpMb().ifPresent(b::setTmpMb);
        update.environment().ifPresent(vars -> b.clearEnvironment().putAllEnvironment(vars));
        return b.build();
    }

    private static FloeException exists(String name) {
        return new FloeException(ErrorType.RESOURCE_CONFLICT,
                "function " + name + " already exists (expected: a new name, or UpdateFunction to change it)");
    }

    @Override
    public void close() {
        synchronized (writes) {
            store.close();
        }
    }
}
