package dev.floe.controller.function;

import com.google.protobuf.Timestamp;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.FunctionLimits;
import dev.floe.proto.Alias;
import dev.floe.proto.AliasRouting;
import dev.floe.proto.Concurrency;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.FunctionSettings;
import dev.floe.proto.UpdateAliasRequest;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * The functions and their revisions, checked against Lambda's limits. Every create or update makes
 * an immutable revision with a fresh, fleet-wide unique {@code revision_id}: environments are keyed by
 * it, so a function deleted and created again never meets its old environments.
 *
 * <p>Writes are serialized under one lock, which also covers putting code in place and removing
 * code no revision uses any more, so a delete never removes a package a concurrent create is about
 * to reference. Checking and hashing an upload happen before the lock. Reads (every invocation looks
 * up its function) come from an in-memory map of latest revisions that only the writers change.
 *
 * <p>A revision is Lambda's version: Floe publishes every change, so version N is revision N. An
 * alias names a revision (and may send a share of invocations to one other revision, Lambda's
 * routing config); aliases are kept in memory too, and the revisions they point at are read once
 * and cached, so invoking through an alias reads no disk. An older revision named by number is read
 * from the store on its first invocation and cached from then on.
 */
public final class FunctionCatalog implements AutoCloseable {
    /** Told after an update or delete, so workers retire environments of revisions no invocation will use. */
    public interface Listener {
        /**
         * Every revision of {@code function} other than {@code keepRevisionIds} (the latest first, then
         * those aliases point at; empty: all of them, the function was deleted) is superseded.
         */
        void superseded(String function, Set<String> keepRevisionIds);
    }

    /** Lambda's limit on an alias's description. */
    public static final int ALIAS_DESCRIPTION_MAX = 256;

    private final FunctionStore store;
    private final CodeStore code;
    private final InstantSource clock;
    private final Listener listener;
    private final Object writes = new Object();
    private final Map<String, Function> latest = new ConcurrentHashMap<>();
    /** Per function, its aliases by name; only writers change them, under {@link #writes}. */
    private final Map<String, Map<String, Alias>> aliases = new ConcurrentHashMap<>();
    /** Per function, the older revisions read so far (immutable, so never stale); dropped with the function. */
    private final Map<String, Map<Integer, Function>> older = new ConcurrentHashMap<>();
    /** Uniform in [0, 1): picks between an alias's two revisions. */
    private final DoubleSupplier random;
    private volatile boolean shared;

    public FunctionCatalog(FunctionStore store, CodeStore code, InstantSource clock, Listener listener) {
        this(store, code, clock, listener, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** {@code random} gives numbers uniform in [0, 1) for aliases' weighted routing (tests pass a fixed one). */
    public FunctionCatalog(FunctionStore store, CodeStore code, InstantSource clock, Listener listener, DoubleSupplier random) {
        this.store = store;
        this.code = code;
        this.clock = clock;
        this.listener = listener;
        this.random = random;
        for (Function f : store.latest()) {
            latest.put(f.getName(), f);
            aliases.put(f.getName(), new ConcurrentHashMap<>());
            older.put(f.getName(), new ConcurrentHashMap<>());
        }
        for (Alias a : store.aliases()) {
            Map<String, Alias> of = aliases.get(a.getFunction());
            if (of != null) {
                of.put(a.getName(), a);
                targets(a).forEach(n -> revision(a.getFunction(), n));
            }
        }
    }

    /**
     * Reads the store again, for what other controllers sharing it wrote (a cluster of controllers):
     * functions created, updated, deleted, aliases changed. Returns the functions whose latest revision or
     * concurrency settings changed, so their limits can be set again.
     */
    public List<Function> refresh() {
        synchronized (writes) {
            Map<String, Function> now = new java.util.HashMap<>();
            store.latest().forEach(f -> now.put(f.getName(), f));
            Map<String, Map<String, Alias>> nowAliases = new java.util.HashMap<>();
            for (Alias a : store.aliases()) {
                nowAliases.computeIfAbsent(a.getFunction(), k -> new ConcurrentHashMap<>()).put(a.getName(), a);
            }
            for (String gone : Set.copyOf(latest.keySet())) {
                if (!now.containsKey(gone)) {
                    latest.remove(gone);
                    aliases.remove(gone);
                    older.remove(gone);
                }
            }
            List<Function> changed = new java.util.ArrayList<>();
            for (Function f : now.values()) {
                Function was = latest.put(f.getName(), f);
                older.computeIfAbsent(f.getName(), k -> new ConcurrentHashMap<>());
                if (!f.equals(was)) {
                    changed.add(f);
                }
                Map<String, Alias> of = nowAliases.getOrDefault(f.getName(), new ConcurrentHashMap<>());
                if (!of.equals(aliases.get(f.getName()))) {
                    aliases.put(f.getName(), of);
                }
            }
            return changed;
        }
    }

    /** Opens the catalog kept in {@code dataDir}: {@code floe.db} and {@code code/}. */
    public static FunctionCatalog open(Path dataDir, InstantSource clock, Listener listener) throws IOException {
        Files.createDirectories(dataDir);
        return open(dataDir, SqliteFunctionStore.open(dataDir.resolve("floe.db")), clock, listener);
    }

    /** Opens the catalog over {@code store}, the code packages in {@code dataDir/code}; closing the catalog closes the store. */
    public static FunctionCatalog open(Path dataDir, FunctionStore store, InstantSource clock, Listener listener) throws IOException {
        try {
            Files.createDirectories(dataDir);
            // Functions' code and variables (which may hold secrets): the controller's alone.
            Files.setPosixFilePermissions(dataDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        CodeStore code = new CodeStore(dataDir.resolve("code"));
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
            return createChecked(name, checked, staged);
        }
    }

    /**
     * As {@link #create(String, FunctionConfig, byte[])} with a package already received into the code
     * store ({@link CodeStore#receive}, e.g. decoded from a request as it was read); it is checked here,
     * and closing it stays the caller's.
     */
    public Function create(String name, FunctionConfig config, CodeStore.Staged received) {
        FunctionLimits.checkName(name);
        FunctionConfig checked = FunctionLimits.withDefaultsChecked(config);
        FunctionLimits.checkCodeSize(received.size());
        if (latest.containsKey(name)) {
            throw exists(name);
        }
        return createChecked(name, checked, received.check(FunctionLimits.isProvided(checked.getRuntime())));
    }

    private Function createChecked(String name, FunctionConfig checked, CodeStore.Staged staged) {
        synchronized (writes) {
            if (latest.containsKey(name)) {
                throw exists(name);
            }
            Function first = revision(name, 1, checked, staged.sha256(), staged.size());
            staged.commit();
            code.committed(staged.sha256());
            store.create(first);
            aliases.put(name, new ConcurrentHashMap<>());
            older.put(name, new ConcurrentHashMap<>());
            latest.put(name, first);
            return first;
        }
    }

    public Function update(FunctionUpdate update) {
        String name = update.name();
        FunctionLimits.checkName(name);
        boolean bootstrap = FunctionLimits.isProvided(merge(get(name).getConfig(), update).getRuntime());
        update.codeZip().ifPresent(zip -> FunctionLimits.checkCodeSize(zip.length));
        try (CodeStore.Staged staged = update.codeZip().map(zip -> code.stage(zip, bootstrap)).orElse(null)) {
            return updateChecked(update, staged);
        }
    }

    /**
     * As {@link #update(FunctionUpdate)} with new code already received into the code store; it is
     * checked here, and closing it stays the caller's. {@code update} carries no code of its own.
     */
    public Function update(FunctionUpdate update, CodeStore.Staged received) {
        if (update.codeZip().isPresent()) {
            throw new IllegalArgumentException("update: code given twice (expected: the received package alone)");
        }
        String name = update.name();
        FunctionLimits.checkName(name);
        boolean bootstrap = FunctionLimits.isProvided(merge(get(name).getConfig(), update).getRuntime());
        FunctionLimits.checkCodeSize(received.size());
        return updateChecked(update, received.check(bootstrap));
    }

    private Function updateChecked(FunctionUpdate update, CodeStore.Staged staged) {
        String name = update.name();
        Function next;
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
                code.committed(staged.sha256());
            }
            store.append(next);
            // The concurrency settings are the function's: the new revision carries them on.
            if (previous.hasConcurrency()) {
                next = next.toBuilder().setConcurrency(previous.getConcurrency()).build();
            }
            // The previous revisions stay stored with their code, so nothing is freed here.
            older.get(name).put(previous.getRevision(), previous.toBuilder().clearConcurrency().build());
            latest.put(name, next);
            // Under the lock, so that two updates' commands reach the workers in the order they were made.
            listener.superseded(name, kept(name));
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
        if (name == null) {
            return Optional.empty();
        }
        Function known = latest.get(name);
        if (known != null || !shared) {
            return Optional.ofNullable(known);
        }
        // A store shared with other controllers: one may have created it since the last refresh.
        Optional<Function> stored = store.latest(name);
        stored.ifPresent(f -> {
            synchronized (writes) {
                if (latest.putIfAbsent(name, f) == null) {
                    aliases.putIfAbsent(name, new ConcurrentHashMap<>());
                    older.putIfAbsent(name, new ConcurrentHashMap<>());
                    store.aliases(name).forEach(a -> aliases.get(name).put(a.getName(), a));
                }
            }
        });
        return stored;
    }

    /** Whether other controllers write the store too: then a function not known here is looked up in it. */
    public void shared(boolean shared) {
        this.shared = shared;
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
            aliases.remove(name);
            older.remove(name);
            Set<String> shas = new LinkedHashSet<>();
            revisions.forEach(r -> shas.add(r.getCodeSha256()));
            removeUnusedCode(shas);
            listener.superseded(name, Set.of());
        }
    }

    // ---- the Lambda API's settings: tags, policy, event invoke configs ----------------------------

    /** The settings the Lambda API keeps for the function; throws {@code ResourceNotFoundException} if there is no such function. */
    public FunctionSettings settings(String name) {
        FunctionLimits.checkName(name);
        return store.settings(name).orElseThrow(() -> notFound(name));
    }

    /**
     * Applies {@code change} to the function's settings and stores the outcome, reading again and
     * reapplying when another writer (another controller) changed them meanwhile; {@code change} may
     * throw a {@link FloeException} to refuse. Returns the settings stored.
     */
    public FunctionSettings changeSettings(String name, java.util.function.UnaryOperator<FunctionSettings> change) {
        while (true) {
            FunctionSettings previous = settings(name);
            FunctionSettings next = change.apply(previous);
            if (next.equals(previous) || store.replaceSettings(name, previous, next)) {
                return next;
            }
        }
    }

    private static FloeException notFound(String name) {
        return new FloeException(ErrorType.RESOURCE_NOT_FOUND, "function " + name + " not found (expected: the name of a created function)");
    }

    // ---- revisions by qualifier, and aliases ----------------------------------------------------

    /**
     * The revision an invocation with {@code qualifier} runs ({@link Qualifier}): for an alias with
     * routing, one of its two revisions, chosen at random by the routing weight.
     */
    public Function resolve(String name, String qualifier) {
        return resolve(name, Qualifier.parse(qualifier), true);
    }

    /** The revision {@code qualifier} names for reading: an alias's own revision, whatever its routing. */
    public Function revision(String name, Qualifier qualifier) {
        return resolve(name, qualifier, false);
    }

    private Function resolve(String name, Qualifier qualifier, boolean route) {
        FunctionLimits.checkName(name);
        return switch (qualifier.kind()) {
            case LATEST -> get(name);
            case REVISION -> revision(name, qualifier.revision());
            case ALIAS -> {
                Alias alias = alias(name, qualifier.alias());
                yield revision(name, route ? routed(alias, random.getAsDouble()) : alias.getRevision());
            }
        };
    }

    /** The alias's revision, or its routing's when {@code u} (uniform in [0, 1)) falls under the routing weight. */
    static int routed(Alias alias, double u) {
        return alias.hasRouting() && alias.getRouting().getRevision() > 0 && u < alias.getRouting().getWeight()
                ? alias.getRouting().getRevision() : alias.getRevision();
    }

    /** Revision {@code number} of the function; ResourceNotFoundException if the function or the revision is not there. */
    public Function revision(String name, int number) {
        Function newest = get(name);
        if (number == newest.getRevision()) {
            return newest;
        }
        Map<Integer, Function> cache = older.get(name);
        Function f = cache == null ? null : cache.get(number);
        if (f != null) {
            return f;
        }
        if (number < 1 || number > newest.getRevision()) {
            throw noRevision(name, number, newest);
        }
        f = store.revision(name, number).orElseThrow(() -> noRevision(name, number, newest));
        if (cache != null) {
            cache.put(number, f);
        }
        return f;
    }

    /** The function's alias {@code alias}; ResourceNotFoundException if either is not there. */
    public Alias alias(String name, String alias) {
        get(name);
        Map<String, Alias> of = aliases.get(name);
        Alias found = of == null ? null : of.get(alias);
        if (found == null) {
            List<String> names = of == null ? List.of() : of.keySet().stream().sorted().toList();
            String known = names.isEmpty() ? "it has none" : String.join(", ", names.subList(0, Math.min(10, names.size())))
                    + (names.size() > 10 ? " and " + (names.size() - 10) + " more" : "");
            throw new FloeException(ErrorType.RESOURCE_NOT_FOUND, "alias " + alias + " of function " + name
                    + " not found (expected: one of its aliases: " + known + ")");
        }
        return found;
    }

    /** The function's aliases, by name. */
    public List<Alias> aliases(String name) {
        get(name);
        return aliases.getOrDefault(name, Map.of()).values().stream().sorted(Comparator.comparing(Alias::getName)).toList();
    }

    /** Creates an alias from {@code wanted}'s function, name, revision, description and routing. */
    public Alias createAlias(Alias wanted) {
        String name = wanted.getFunction();
        FunctionLimits.checkName(name);
        Qualifier.checkAliasName(wanted.getName());
        synchronized (writes) {
            Alias alias = checked(wanted.toBuilder().setAliasId(UUID.randomUUID().toString()).build());
            if (aliases.getOrDefault(name, Map.of()).containsKey(alias.getName())) {
                throw new FloeException(ErrorType.RESOURCE_CONFLICT, "alias " + alias.getName() + " of function " + name
                        + " already exists (expected: a new alias name, or UpdateAlias to change it)");
            }
            store.createAlias(alias);
            aliases.get(name).put(alias.getName(), alias);
            return alias;
        }
    }

    /** Changes the alias's revision, description or routing as {@code update} says; unset fields are kept. */
    public Alias updateAlias(UpdateAliasRequest update) {
        synchronized (writes) {
            Alias previous = alias(update.getFunction(), update.getName());
            if (!update.getExpectedAliasId().isEmpty() && !update.getExpectedAliasId().equals(previous.getAliasId())) {
                throw new FloeException(ErrorType.PRECONDITION_FAILED, "alias " + previous.getName() + " of function "
                        + previous.getFunction() + " has revision id " + previous.getAliasId() + " (expected: "
                        + update.getExpectedAliasId() + "; it was updated meanwhile)");
            }
            Alias.Builder b = previous.toBuilder().setAliasId(UUID.randomUUID().toString());
            if (update.hasRevision()) {
                b.setRevision(update.getRevision());
            }
            if (update.hasDescription()) {
                b.setDescription(update.getDescription());
            }
            if (update.hasRouting()) {
                b.setRouting(update.getRouting());
            }
            Alias alias = checked(b.build());
            if (!store.replaceAlias(previous, alias)) {
                throw new FloeException(ErrorType.RESOURCE_CONFLICT, "alias " + alias.getName() + " of function "
                        + alias.getFunction() + " was changed meanwhile (expected: its alias id " + previous.getAliasId()
                        + "); read it again and retry");
            }
            aliases.get(alias.getFunction()).put(alias.getName(), alias);
            retireUnused(previous);
            return alias;
        }
    }

    /** Deletes the alias; ResourceNotFoundException if there is none. */
    public void deleteAlias(String name, String alias) {
        synchronized (writes) {
            Alias previous = alias(name, alias);
            store.deleteAlias(name, alias);
            aliases.get(name).remove(alias);
            retireUnused(previous);
        }
    }

    /** The alias, checked against the function's revisions; a routing to revision 0 is removed. */
    private Alias checked(Alias alias) {
        Function newest = get(alias.getFunction());
        revision(alias.getFunction(), alias.getRevision());
        if (alias.getDescription().length() > ALIAS_DESCRIPTION_MAX) {
            throw new FloeException(ErrorType.INVALID_PARAMETER, "alias description: " + alias.getDescription().length()
                    + " characters (expected: at most " + ALIAS_DESCRIPTION_MAX + ")");
        }
        if (!alias.hasRouting() || alias.getRouting().getRevision() == 0) {
            return alias.toBuilder().clearRouting().build();
        }
        AliasRouting routing = alias.getRouting();
        if (routing.getRevision() == alias.getRevision()) {
            throw new FloeException(ErrorType.INVALID_PARAMETER, "alias routing: revision " + routing.getRevision()
                    + " (expected: another revision than the alias's own, " + alias.getRevision() + ")");
        }
        if (!(routing.getWeight() >= 0.0 && routing.getWeight() <= 1.0)) {
            throw new FloeException(ErrorType.INVALID_PARAMETER, "alias routing weight: " + routing.getWeight()
                    + " (expected: 0.0..1.0, the share of invocations that run revision " + routing.getRevision() + ")");
        }
        if (routing.getRevision() < 1 || routing.getRevision() > newest.getRevision()) {
            throw noRevision(alias.getFunction(), routing.getRevision(), newest);
        }
        return alias;
    }

    /** Revisions the alias pointed at that nothing keeps now: their environments are retired. */
    private void retireUnused(Alias previous) {
        String name = previous.getFunction();
        Set<String> keep = kept(name);
        boolean dropped = targets(previous).stream().anyMatch(n -> !keep.contains(revision(name, n).getRevisionId()));
        if (dropped) {
            listener.superseded(name, keep);
        }
    }

    /** The revisions whose environments are worth keeping: the latest, then those the aliases point at. */
    private Set<String> kept(String name) {
        Set<String> keep = new LinkedHashSet<>();
        keep.add(get(name).getRevisionId());
        for (Alias a : aliases.getOrDefault(name, Map.of()).values()) {
            targets(a).forEach(n -> keep.add(revision(name, n).getRevisionId()));
        }
        return keep;
    }

    private static List<Integer> targets(Alias a) {
        return a.hasRouting() && a.getRouting().getRevision() > 0
                ? List.of(a.getRevision(), a.getRouting().getRevision()) : List.of(a.getRevision());
    }

    private static FloeException noRevision(String name, int number, Function newest) {
        return new FloeException(ErrorType.RESOURCE_NOT_FOUND, "function " + name + " has no revision " + number
                + " (expected: 1.." + newest.getRevision() + ")");
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
