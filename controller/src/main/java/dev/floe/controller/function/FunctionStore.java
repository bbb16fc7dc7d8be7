package dev.floe.controller.function;

import dev.floe.proto.Alias;
import dev.floe.proto.Concurrency;
import dev.floe.proto.Function;
import java.util.List;
import java.util.Optional;

/**
 * Where revisions are kept. It stores and finds; it does not validate, and it is not safe for
 * concurrent writers of the same function: {@link FunctionCatalog} serializes writes.
 * Failures are {@link dev.floe.common.FloeException}s of type {@code ServiceException}.
 */
public interface FunctionStore extends AutoCloseable {
    /** Stores a new function at its first revision; throws {@code ResourceConflictException} if the name is taken. */
    void create(Function first);

    /** Stores the next revision of an existing function: {@code next.getRevision()} is the latest plus one. */
    void append(Function next);

    /** Replaces the function's concurrency settings, which belong to no revision; false if there is no such function. */
    boolean setConcurrency(String name, Concurrency concurrency);

    /** The latest revision of every function, with its concurrency settings, sorted by name. */
    List<Function> latest();

    /** Every revision of the function, oldest first; empty if there is no such function. */
    List<Function> revisions(String name);

    /** One revision of the function; empty if the function or the revision is not there. */
    Optional<Function> revision(String name, int revision);

    /** Stores a new alias of an existing function; throws {@code ResourceConflictException} if it has one of that name. */
    void createAlias(Alias alias);

    /** Replaces an alias; false if the function has no alias of that name. */
    boolean replaceAlias(Alias alias);

    /** Removes an alias; false if there was none. */
    boolean deleteAlias(String function, String name);

    /** Every alias of every function, by function and name. */
    List<Alias> aliases();

    /** Removes the function, all its revisions and its aliases; false if there was no such function. */
    boolean delete(String name);

    /** Whether any revision of any function runs the code package with this hash. */
    boolean usesCode(String sha256);

    @Override
    void close();
}
