package dev.floe.controller.function;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.cluster.Etcd;
import dev.floe.proto.Alias;
import dev.floe.proto.Concurrency;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionSettings;
import io.etcd.jetcd.KeyValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The function catalog of a controller cluster, in etcd. Keys (below the cluster's prefix):
 * <pre>
 * functions/NAME              the latest revision, whole (what {@link #latest()} reads in one range)
 * revisions/NAME/0000000007   every revision, whole, numbered so that keys sort by revision
 * concurrency/NAME            the function's concurrency settings
 * aliases/NAME/ALIAS          an alias
 * settings/NAME               the Lambda API's tags, policy and event invoke configs
 * code/SHA256/NAME            NAME runs that code package in some revision (for {@link #usesCode})
 * </pre>
 * Each write is one transaction whose conditions are what the writer read ({@code functions/NAME}
 * unchanged since its mod revision, a key absent), so two controllers never make the same revision:
 * the loser gets {@code ResourceConflictException}, as with {@link SqliteFunctionStore}.
 */
public final class EtcdFunctionStore implements FunctionStore {
    private static final String FUNCTIONS = "functions/";
    private static final String REVISIONS = "revisions/";
    private static final String CONCURRENCY = "concurrency/";
    private static final String ALIASES = "aliases/";
    private static final String CODE = "code/";
    private static final String SETTINGS = "settings/";

    private final Etcd etcd;

    private EtcdFunctionStore(Etcd etcd) {
        this.etcd = etcd;
    }

    /** The catalog under {@code etcd}'s prefix; closing the store leaves the connection open. */
    public static EtcdFunctionStore open(Etcd etcd) {
        return new EtcdFunctionStore(etcd);
    }

    private static String revisionKey(String name, int revision) {
        return REVISIONS + name + "/" + String.format("%010d", revision);
    }

    @Override
    public void create(Function first) {
        String name = first.getName();
        var response = etcd.transaction().absent(FUNCTIONS + name)
                .put(FUNCTIONS + name, first.toByteArray())
                .put(revisionKey(name, first.getRevision()), first.toByteArray())
                .put(CODE + first.getCodeSha256() + "/" + name, "")
                // A function deleted and made again starts without the old one's settings.
                .delete(CONCURRENCY + name)
                .delete(SETTINGS + name)
                .commit("creating function " + name);
        if (!response.isSucceeded()) {
            throw new FloeException(ErrorType.RESOURCE_CONFLICT,
                    "function " + name + " already exists (expected: a new name, or UpdateFunction to change it)");
        }
    }

    @Override
    public void append(Function next) {
        String name = next.getName();
        KeyValue latest = etcd.get(FUNCTIONS + name);
        if (latest == null || parse(latest).getRevision() != next.getRevision() - 1) {
            throw notAt(name, next.getRevision() - 1);
        }
        var response = etcd.transaction().unchangedSince(FUNCTIONS + name, latest.getModRevision())
                .put(FUNCTIONS + name, next.toByteArray())
                .put(revisionKey(name, next.getRevision()), next.toByteArray())
                .put(CODE + next.getCodeSha256() + "/" + name, "")
                .commit("appending revision " + next.getRevision() + " of " + name);
        if (!response.isSucceeded()) {
            throw notAt(name, next.getRevision() - 1);
        }
    }

    private static FloeException notAt(String name, int revision) {
        return new FloeException(ErrorType.RESOURCE_CONFLICT, "function " + name + " is not at revision " + revision + " any more");
    }

    @Override
    public boolean setConcurrency(String name, Concurrency concurrency) {
        return etcd.transaction().present(FUNCTIONS + name).put(CONCURRENCY + name, concurrency.toByteArray())
                .commit("setting the concurrency of " + name).isSucceeded();
    }

    @Override
    public Optional<FunctionSettings> settings(String name) {
        if (etcd.get(FUNCTIONS + name) == null) {
            return Optional.empty();
        }
        KeyValue kv = etcd.get(SETTINGS + name);
        return Optional.of(kv == null ? FunctionSettings.getDefaultInstance() : settings(kv));
    }

    @Override
    public boolean replaceSettings(String name, FunctionSettings previous, FunctionSettings next) {
        String key = SETTINGS + name;
        KeyValue stored = etcd.get(key);
        if (!previous.equals(stored == null ? FunctionSettings.getDefaultInstance() : settings(stored))) {
            return false;
        }
        Etcd.Transaction txn = etcd.transaction().present(FUNCTIONS + name);
        (stored == null ? txn.absent(key) : txn.unchangedSince(key, stored.getModRevision())).put(key, next.toByteArray());
        return txn.commit("setting the settings of " + name).isSucceeded();
    }

    @Override
    public List<Function> latest() {
        Map<String, Concurrency> settings = new HashMap<>();
        for (KeyValue kv : etcd.range(CONCURRENCY)) {
            settings.put(etcd.name(kv).substring(CONCURRENCY.length()), concurrency(kv));
        }
        List<Function> result = new ArrayList<>();
        for (KeyValue kv : etcd.range(FUNCTIONS)) {
            result.add(withConcurrency(parse(kv), settings.get(etcd.name(kv).substring(FUNCTIONS.length()))));
        }
        return result;
    }

    @Override
    public Optional<Function> latest(String name) {
        KeyValue kv = etcd.get(FUNCTIONS + name);
        if (kv == null) {
            return Optional.empty();
        }
        KeyValue settings = etcd.get(CONCURRENCY + name);
        return Optional.of(withConcurrency(parse(kv), settings == null ? null : concurrency(settings)));
    }

    private static Function withConcurrency(Function f, Concurrency settings) {
        return settings == null ? f : f.toBuilder().setConcurrency(settings).build();
    }

    @Override
    public List<Function> revisions(String name) {
        return etcd.range(REVISIONS + name + "/").stream().map(EtcdFunctionStore::parse).toList();
    }

    @Override
    public Optional<Function> revision(String name, int revision) {
        return Optional.ofNullable(etcd.get(revisionKey(name, revision))).map(EtcdFunctionStore::parse);
    }

    @Override
    public void createAlias(Alias alias) {
        String key = ALIASES + alias.getFunction() + "/" + alias.getName();
        var response = etcd.transaction().present(FUNCTIONS + alias.getFunction()).absent(key)
                .put(key, alias.toByteArray()).commit("creating alias " + alias.getName() + " of " + alias.getFunction());
        if (!response.isSucceeded()) {
            throw new FloeException(ErrorType.RESOURCE_CONFLICT, "alias " + alias.getName() + " of function "
                    + alias.getFunction() + " already exists, or the function does not (expected: a new alias name, or UpdateAlias)");
        }
    }

    @Override
    public boolean replaceAlias(Alias previous, Alias next) {
        String key = ALIASES + previous.getFunction() + "/" + previous.getName();
        KeyValue stored = etcd.get(key);
        // Each update of an alias gives it a new alias_id: the same id is the same alias.
        if (stored == null || !alias(stored).getAliasId().equals(previous.getAliasId())) {
            return false;
        }
        return etcd.transaction().unchangedSince(key, stored.getModRevision()).put(key, next.toByteArray())
                .commit("updating alias " + previous.getName() + " of " + previous.getFunction()).isSucceeded();
    }

    @Override
    public boolean deleteAlias(String function, String name) {
        String key = ALIASES + function + "/" + name;
        return etcd.transaction().present(key).delete(key).commit("deleting alias " + name + " of " + function).isSucceeded();
    }

    @Override
    public List<Alias> aliases() {
        return sorted(etcd.range(ALIASES).stream().map(EtcdFunctionStore::alias).toList());
    }

    @Override
    public List<Alias> aliases(String function) {
        return sorted(etcd.range(ALIASES + function + "/").stream().map(EtcdFunctionStore::alias).toList());
    }

    /** By function, then name: keys sort "fn-x/" before "fn/", names do not. */
    private static List<Alias> sorted(List<Alias> aliases) {
        return aliases.stream().sorted(Comparator.comparing(Alias::getFunction).thenComparing(Alias::getName)).toList();
    }

    @Override
    public boolean delete(String name) {
        // Read what the function's revisions use, then delete all of it unless a revision was added meanwhile.
        KeyValue latest = etcd.get(FUNCTIONS + name);
        if (latest == null) {
            return false;
        }
        Set<String> codes = new LinkedHashSet<>();
        for (Function f : revisions(name)) {
            codes.add(f.getCodeSha256());
        }
        Etcd.Transaction txn = etcd.transaction().unchangedSince(FUNCTIONS + name, latest.getModRevision())
                .delete(FUNCTIONS + name).deletePrefix(REVISIONS + name + "/").delete(CONCURRENCY + name)
                .delete(SETTINGS + name).deletePrefix(ALIASES + name + "/");
        codes.forEach(sha -> txn.delete(CODE + sha + "/" + name));
        if (txn.commit("deleting function " + name).isSucceeded()) {
            return true;
        }
        // A writer beside this one changed it (a new revision): delete what is there now.
        return delete(name);
    }

    @Override
    public boolean usesCode(String sha256) {
        return !etcd.range(CODE + sha256 + "/", 1).isEmpty();
    }

    @Override
    public void close() {
        etcd.close();
    }

    private static Function parse(KeyValue kv) {
        try {
            return Function.parseFrom(kv.getValue().getBytes());
        } catch (InvalidProtocolBufferException e) {
            throw new FloeException(ErrorType.SERVICE, "the function store holds an unreadable revision: " + e.getMessage(), e);
        }
    }

    private static Alias alias(KeyValue kv) {
        try {
            return Alias.parseFrom(kv.getValue().getBytes());
        } catch (InvalidProtocolBufferException e) {
            throw new FloeException(ErrorType.SERVICE, "the function store holds an unreadable alias: " + e.getMessage(), e);
        }
    }

    private static FunctionSettings settings(KeyValue kv) {
        try {
            return FunctionSettings.parseFrom(kv.getValue().getBytes());
        } catch (InvalidProtocolBufferException e) {
            throw new FloeException(ErrorType.SERVICE, "the function store holds unreadable settings: " + e.getMessage(), e);
        }
    }

    private static Concurrency concurrency(KeyValue kv) {
        try {
            return Concurrency.parseFrom(kv.getValue().getBytes());
        } catch (InvalidProtocolBufferException e) {
            throw new FloeException(ErrorType.SERVICE, "the function store holds unreadable concurrency settings: " + e.getMessage(), e);
        }
    }
}
