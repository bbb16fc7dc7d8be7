package dev.floe.controller.function;

import dev.floe.proto.Alias;
import dev.floe.proto.Concurrency;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionSettings;
import java.util.List;
import java.util.Optional;

/**
 * Where revisions, aliases and concurrency settings are kept. It stores and finds; it does not validate.
 * Every write is a compare-and-set against what is stored, so writers that share a store (two
 * controllers, or two stores over one database) never make the same revision or overwrite each
 * other's alias unseen: the loser gets a conflict and reads again. Failures are
 * {@link dev.floe.common.FloeException}s: {@code ResourceConflictException} for a lost race, else
 * {@code ServiceException} (or {@code ServiceUnavailableException} when the store cannot be reached).
 *
 * <p>Implementations: {@link SqliteFunctionStore} (one controller's database) and {@code EtcdFunctionStore}
 * (a cluster's).
 */
public interface FunctionStore extends AutoCloseable {
    /** Stores a new function at its first revision; throws {@code ResourceConflictException} if the name is taken. */
    void create(Function first);

    /**
     * Stores the next revision of an existing function: {@code next.getRevision()} is the latest plus one;
     * throws {@code ResourceConflictException} if the latest is another (a writer beside this one made it).
     */
    void append(Function next);

    /** Replaces the function's concurrency settings, which belong to no revision; false if there is no such function. */
    boolean setConcurrency(String name, Concurrency concurrency);

    /**
     * The settings the Lambda API keeps for the function (tags, policy, event invoke configs), which
     * belong to no revision: the default instance when none were set; empty if there is no such function.
     */
    Optional<FunctionSettings> settings(String name);

    /**
     * Replaces the function's settings with {@code next} if what is stored is {@code previous} (the
     * default instance when none were set); false if it is not, or there is no such function.
     */
    boolean replaceSettings(String name, FunctionSettings previous, FunctionSettings next);

    /** The latest revision of every function, with its concurrency settings, sorted by name. */
    List<Function> latest();

    /** The function's latest revision, with its concurrency settings; empty if there is no such function. */
    Optional<Function> latest(String name);

    /** Every revision of the function, oldest first; empty if there is no such function. */
    List<Function> revisions(String name);

    /** One revision of the function; empty if the function or the revision is not there. */
    Optional<Function> revision(String name, int revision);

    /** Stores a new alias of an existing function; throws {@code ResourceConflictException} if it has one of that name. */
    void createAlias(Alias alias);

    /** Replaces {@code previous} with {@code next} (the same function and name); false if the alias stored is not {@code previous}. */
    boolean replaceAlias(Alias previous, Alias next);

    /** Removes an alias; false if there was none. */
    boolean deleteAlias(String function, String name);

    /** Every alias of every function, by function and name. */
    List<Alias> aliases();

    /** The function's aliases, by name. */
    List<Alias> aliases(String function);

    /** Removes the function, all its revisions, its aliases and settings; false if there was no such function. */
    boolean delete(String name);

    /** Whether any revision of any function runs the code package with this hash. */
    boolean usesCode(String sha256);

    @Override
    void close();
}
