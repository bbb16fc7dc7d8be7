package dev.floe.controller.async;

import com.google.protobuf.ByteString;
import dev.floe.common.ErrorType;
import dev.floe.proto.AsyncInvocation;
import java.util.List;
import java.util.Optional;

/**
 * Where asynchronous invocations are kept from their acceptance to their end, durably: an invocation
 * is accepted only once {@link #insert} returned. A store hands each due invocation to one claimer at a
 * time; one left running by a claimer that stopped (a restart, a controller that died) is claimable again,
 * so every invocation runs at least once. Failures are {@link dev.floe.common.FloeException}s.
 *
 * <p>Implementations: {@link SqliteAsyncStore} (one controller's database) and {@code EtcdAsyncStore}
 * (a cluster's, where each controller claims the invocations of the functions it owns).
 */
public interface AsyncStore extends AutoCloseable {
    /**
     * An invocation taken for an attempt, with that attempt counted.
     *
     * @param version what the store needs to recognise this claim when its attempt ends
     */
    record Claim(String id, String function, String qualifier, ByteString payload, int attempts, int throttles, long acceptedMs,
            long version) {}

    /** What an attempt left behind: its answer, or why it got none. */
    record Attempt(String requestId, int revision, ByteString result, String functionError, String errorType, String errorMessage) {
        public static Attempt failed(ErrorType type, String message) {
            return new Attempt("", 0, ByteString.EMPTY, "", type.wireName(), message);
        }
    }

    /** Queues one invocation per payload, due now, all or none; returns their ids in order. */
    List<String> insert(String function, String qualifier, List<ByteString> payloads, long nowMs);

    /**
     * Dead-letters due invocations accepted before {@code tooOldBeforeMs} (with {@code ageReason}), then
     * marks up to {@code limit} other due ones running, oldest due first, and returns them with their
     * attempt counted.
     */
    List<Claim> claimDue(long nowMs, long tooOldBeforeMs, String ageReason, int limit);

    /**
     * Records an attempt's end: {@code status} (SUCCEEDED, FAILED due again at {@code nextMs}, or DEAD_LETTERED
     * with {@code reason}); a throttled attempt gives its attempt back and counts a throttle instead. False,
     * and nothing written, when the invocation is no longer this claim's: it was dead-lettered meanwhile
     * (its function deleted), or another claimer took it over.
     */
    boolean finish(Claim claim, Attempt attempt, AsyncInvocation.Status status, long nowMs, long nextMs, String reason,
            boolean throttled);

    /** Dead-letters every invocation of {@code function} that has not ended; returns how many. */
    int deadLetterAll(String function, String reason, long nowMs);

    Optional<AsyncInvocation> get(String id);

    /** The function's dead-letter list, oldest accepted first, at most {@code limit}. */
    List<AsyncInvocation> deadLetters(String function, int limit);

    /** How many invocations have this status. */
    long count(AsyncInvocation.Status status);

    /** Stops writing and releases what the store holds; what was running is claimable again later. Idempotent. */
    @Override
    void close();
}
