package dev.floe.controller.async;

import com.google.protobuf.ByteString;
import dev.floe.common.Check;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.function.Qualifier;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.InvokeResponse;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.BiConsumer;

/**
 * Floe's asynchronous invocations, Lambda's Event invocation type, behind a small API that any front
 * end (gRPC, the Lambda REST API) can call: {@link #submit} answers with an id once the event is
 * committed to its {@link AsyncStore}; from then on it runs at least once, and ends succeeded or in its function's
 * dead-letter list ({@link #deadLetters}), never dropped.
 */
public final class AsyncQueue implements AutoCloseable {
    /** Lambda's limit for an asynchronous invocation's event. */
    public static final int PAYLOAD_MAX_BYTES = 1024 * 1024;
    /** The most events one call may queue together. */
    public static final int MAX_BATCH = 10_000;
    private static final int DEFAULT_LIST_LIMIT = 1000;

    /** Runs one attempt of an invocation: the revision of {@code function} that {@code qualifier} names now, with {@code payload}. */
    public interface Runner {
        CompletableFuture<InvokeResponse> run(String function, String qualifier, ByteString payload);
    }

    /**
     * The retry policy for one function's invocations with one qualifier ("" for the latest), from
     * {@code base}, the queue's: e.g. with the function's event invoke config applied.
     */
    public interface Policies {
        RetryPolicy of(String function, String qualifier, RetryPolicy base);
    }

    private final AsyncStore store;
    private final AsyncDispatcher dispatcher;
    private final BiConsumer<String, String> functionCheck;
    private final InstantSource clock;
    private final AsyncMetrics metrics;

    private AsyncQueue(Builder b) {
        this.clock = b.clock;
        this.functionCheck = b.functionCheck;
        this.metrics = new AsyncMetrics(b.meters);
        this.store = b.store != null ? b.store : SqliteAsyncStore.open(b.database, b.clock);
        try {
            this.dispatcher = new AsyncDispatcher(store, b.runner, b.policy, b.policies, clock, b.canRun, b.maxInFlight, metrics);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts running queued invocations, including those accepted before a restart. */
    public AsyncQueue start() {
        dispatcher.start();
        return this;
    }

    /**
     * Queues one invocation of {@code function} and returns its id once it is on disk.
     *
     * @param qualifier "" or "$LATEST" (the latest revision), a revision number or an alias name
     *     ({@link Qualifier}), resolved when each attempt runs
     * @throws FloeException ResourceNotFoundException for an unknown function or qualifier, InvalidParameterValueException
     *     for a malformed qualifier, RequestTooLargeException for a payload over {@link #PAYLOAD_MAX_BYTES}
     */
    public String submit(String function, String qualifier, ByteString payload) {
        return submitAll(function, qualifier, List.of(payload == null ? ByteString.EMPTY : payload)).getFirst();
    }

    /** Queues one invocation per payload in one transaction; their ids in the same order. All or none are queued. */
    public List<String> submitAll(String function, String qualifier, List<ByteString> payloads) {
        String q = qualifier == null ? "" : qualifier;
        Qualifier.parse(q);
        if (payloads.isEmpty() || payloads.size() > MAX_BATCH) {
            throw new FloeException(ErrorType.INVALID_PARAMETER, "payloads: " + payloads.size()
                    + " (expected: 1.." + MAX_BATCH + " events per call)");
        }
        for (int i = 0; i < payloads.size(); i++) {
            int size = payloads.get(i).size();
            if (size > PAYLOAD_MAX_BYTES) {
                throw new FloeException(ErrorType.REQUEST_TOO_LARGE, "payload" + (payloads.size() == 1 ? "" : " " + (i + 1))
                        + ": " + size + " bytes (expected: at most " + PAYLOAD_MAX_BYTES + " for an asynchronous invocation)");
            }
        }
        functionCheck.accept(function, q);
        List<String> ids = store.insert(function, q, payloads, clock.millis());
        metrics.accepted(ids.size());
        dispatcher.wake();
        return ids;
    }

    /** The invocation's status, attempts and last result; ResourceNotFoundException if there is none with that id. */
    public AsyncInvocation get(String invocationId) {
        if (invocationId == null || invocationId.isBlank()) {
            throw new FloeException(ErrorType.INVALID_PARAMETER, "invocation id: empty (expected: an id that an asynchronous invoke returned)");
        }
        return store.get(invocationId).orElseThrow(() -> new FloeException(ErrorType.RESOURCE_NOT_FOUND,
                "invocation " + invocationId + " not found (expected: an id that an asynchronous invoke returned)"));
    }

    /** The function's dead-letter list, oldest first, at most {@code limit} (0: 1000). */
    public List<AsyncInvocation> deadLetters(String function, int limit) {
        Check.range("limit", limit, 0, 100_000);
        return store.deadLetters(function, limit == 0 ? DEFAULT_LIST_LIMIT : limit);
    }

    /** The function was deleted: its invocations that have not finished go to its dead-letter list. */
    public int functionDeleted(String function) {
        return store.deadLetterAll(function, "function deleted", clock.millis());
    }

    /** Invocations with the given status now. */
    public long count(AsyncInvocation.Status status) {
        return store.count(status);
    }

    /**
     * Starts no more attempts, and leaves the ones that fail from now on running in the store, so a
     * controller shutting down does not spend their retries: they run again on the next start.
     */
    public void stopDispatching() {
        dispatcher.close();
    }

    /** Stops running invocations and closes the store; what was running is queued again on the next start. Idempotent. */
    @Override
    public void close() {
        dispatcher.close();
        store.close();
    }

    public static final class Builder {
        private Path database;
        private AsyncStore store;
        private Runner runner;
        private BiConsumer<String, String> functionCheck = (name, qualifier) -> {};
        private RetryPolicy policy = RetryPolicy.LAMBDA_DEFAULT;
        private Policies policies = (function, qualifier, base) -> base;
        private InstantSource clock = InstantSource.system();
        private BooleanSupplier canRun = () -> true;
        private int maxInFlight = 64;
        private MeterRegistry meters = new SimpleMeterRegistry();

        private Builder() {}

        /** The SQLite database file to keep the queue in (the controller's {@code floe.db}); or a {@link #store}. */
        public Builder database(Path database) {
            this.database = Check.notNull("database", database);
            return this;
        }

        /** Where the queue is kept, instead of a {@link #database}; the queue closes it. */
        public Builder store(AsyncStore store) {
            this.store = Check.notNull("store", store);
            return this;
        }

        /** How an attempt runs. Required. */
        public Builder runner(Runner runner) {
            this.runner = Check.notNull("runner", runner);
            return this;
        }

        /** Throws a {@link FloeException} for a function and qualifier that cannot be invoked; default accepts any. */
        public Builder functionCheck(BiConsumer<String, String> functionCheck) {
            this.functionCheck = Check.notNull("functionCheck", functionCheck);
            return this;
        }

        /** Retries, backoff and maximum event age; default {@link RetryPolicy#LAMBDA_DEFAULT}. */
        public Builder policy(RetryPolicy policy) {
            this.policy = Check.notNull("policy", policy);
            return this;
        }

        /** Each function's own retries and maximum event age, from {@link #policy}'s; default that one for all. */
        public Builder policies(Policies policies) {
            this.policies = Check.notNull("policies", policies);
            return this;
        }

        public Builder clock(InstantSource clock) {
            this.clock = Check.notNull("clock", clock);
            return this;
        }

        /** Whether attempts can run now (e.g. some worker is connected); default always. */
        public Builder canRun(BooleanSupplier canRun) {
            this.canRun = Check.notNull("canRun", canRun);
            return this;
        }

        /** Attempts running at once at most; default 64. */
        public Builder maxInFlight(int maxInFlight) {
            this.maxInFlight = Check.range("maxInFlight", maxInFlight, 1, 100_000);
            return this;
        }

        public Builder meters(MeterRegistry meters) {
            this.meters = Check.notNull("meters", meters);
            return this;
        }

        /** Opens the store; {@link AsyncQueue#start()} then starts running invocations. */
        public AsyncQueue build() {
            if ((database == null) == (store == null)) {
                throw new IllegalArgumentException("database: " + database + ", store: " + store
                        + " (expected: one of them, where the queue is kept)");
            }
            Check.notNull("runner", runner);
            return new AsyncQueue(this);
        }
    }
}
