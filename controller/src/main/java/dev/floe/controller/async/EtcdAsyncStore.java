package dev.floe.controller.async;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.controller.cluster.Etcd;
import dev.floe.controller.cluster.Fence;
import dev.floe.proto.AsyncInvocation;
import dev.floe.proto.AsyncInvocation.Status;
import dev.floe.proto.StoredAsyncInvocation;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The asynchronous invocations of a controller cluster, in etcd: an invocation is accepted once the
 * transaction that writes it committed (etcd has it on a majority's disks). Keys, below {@code async/}:
 * <pre>
 * inv/ID                          the invocation ({@link StoredAsyncInvocation})
 * due/NEXT_MS/ORDER/ID            due at NEXT_MS (QUEUED, FAILED); the value is the function
 * claimers/CLAIMER                a live claimer, on its lease (a RUNNING invocation names its claimer)
 * open/FUNCTION/ID                not ended yet (for dead-lettering a deleted function's)
 * dead/FUNCTION/ORDER/ID          the function's dead-letter list, oldest accepted first
 * status/N/ID                     one per invocation, for counting by status
 * </pre>
 * Each claimer (one per controller) claims only the functions it owns ({@code owns}); every write of a
 * claim checks the invocation's mod revision, so a claim taken over by another claimer, or ended by a
 * deletion meanwhile, writes nothing, and the {@link Fence} of the function's shard. An attempt whose
 * claimer's lease expired (a controller killed) is queued again by any claimer that sees it.
 */
public final class EtcdAsyncStore implements AsyncStore {
    private static final System.Logger LOG = System.getLogger(EtcdAsyncStore.class.getName());
    private static final String INV = "inv/";
    private static final String DUE = "due/";
    private static final String CLAIMERS = "claimers/";
    private static final String OPEN = "open/";
    private static final String DEAD = "dead/";
    private static final String STATUS = "status/";
    /**
     * Writes of one transaction: as many as an etcd started with {@code --max-txn-ops 1024} takes (docs/CLUSTER.md),
     * falling back to {@link #DEFAULT_OPS_PER_TXN} when etcd refuses that many (its default limit is 128).
     */
    private static final int OPS_PER_TXN = 1000;
    private static final int DEFAULT_OPS_PER_TXN = 120;
    private volatile int opsPerTxn = OPS_PER_TXN;
    /** Bytes of payload in one transaction, under etcd's 1.5 MiB request limit by default. */
    private static final int BYTES_PER_TXN = 1024 * 1024;
    private static final long SWEEP_EVERY_MS = 1_000;
    /** Pages of due keys one claim pass reads at most, looking for this claimer's functions. */
    private static final int SCAN_PAGES = 16;

    private final Etcd etcd;
    private final String claimer;
    private final Predicate<String> owns;
    private final Fence fence;
    private final AtomicLong sequence = new AtomicLong();
    private long lastSweepMs = Long.MIN_VALUE;
    private boolean closed;

    private EtcdAsyncStore(Etcd etcd, Predicate<String> owns, Fence fence) {
        this.etcd = etcd;
        this.claimer = UUID.randomUUID().toString();
        this.owns = owns;
        this.fence = fence;
    }

    /**
     * The queue under {@code etcd}'s prefix (its keys below {@code async/}); this claimer lives while
     * {@code leaseId} (the controller's member lease) does, claims the functions {@code owns} accepts
     * and writes each claim under {@code fence}.
     */
    public static EtcdAsyncStore open(Etcd etcd, long leaseId, Predicate<String> owns, Fence fence) {
        Etcd async = etcd.under("async/");
        EtcdAsyncStore store = new EtcdAsyncStore(async, owns, fence);
        async.transaction().putLeased(CLAIMERS + store.claimer, "", leaseId).commit("registering the claimer");
        return store;
    }

    // ---- writes ---------------------------------------------------------------------------------

    @Override
    public List<String> insert(String function, String qualifier, List<ByteString> payloads, long nowMs) {
        try {
            return insertIn(function, qualifier, payloads, nowMs, opsPerTxn);
        } catch (FloeException e) {
            if (opsPerTxn == DEFAULT_OPS_PER_TXN || e.getMessage() == null || !e.getMessage().contains("too many operations")) {
                throw e;
            }
            LOG.log(System.Logger.Level.WARNING, "etcd takes fewer than " + opsPerTxn + " operations per transaction; writing "
                    + DEFAULT_OPS_PER_TXN + " at a time (start etcd with --max-txn-ops 1024 for faster batches)");
            opsPerTxn = DEFAULT_OPS_PER_TXN;
            return insertIn(function, qualifier, payloads, nowMs, DEFAULT_OPS_PER_TXN);
        }
    }

    private List<String> insertIn(String function, String qualifier, List<ByteString> payloads, long nowMs, int maxOps) {
        List<String> ids = new ArrayList<>(payloads.size());
        List<String> written = new ArrayList<>();
        Etcd.Transaction txn = etcd.transaction();
        int ops = 0;
        long bytes = 0;
        try {
            for (int i = 0; i < payloads.size(); i++) {
                String id = UUID.randomUUID().toString();
                ByteString payload = payloads.get(i);
                if (ops > 0 && (ops + 4 > maxOps || bytes + payload.size() > BYTES_PER_TXN)) {
                    txn.commit("accepting " + payloads.size() + " asynchronous invocation(s) of " + function);
                    written.addAll(ids.subList(written.size(), ids.size()));
                    txn = etcd.transaction();
                    ops = 0;
                    bytes = 0;
                }
                String order = String.format("%013d-%010d", nowMs, sequence.getAndIncrement() % 10_000_000_000L);
                AsyncInvocation invocation = AsyncInvocation.newBuilder().setInvocationId(id).setFunction(function)
                        .setQualifier(qualifier).setStatus(Status.QUEUED).setAcceptedAt(timestamp(nowMs))
                        .setUpdatedAt(timestamp(nowMs)).setPayload(payload).build();
                StoredAsyncInvocation stored = StoredAsyncInvocation.newBuilder().setInvocation(invocation).setNextMs(nowMs)
                        .setOrder(order).build();
                txn.put(INV + id, stored.toByteArray()).put(dueKey(stored), function).put(OPEN + function + "/" + id, "")
                        .put(STATUS + Status.QUEUED_VALUE + "/" + id, "");
                ids.add(id);
                ops += 4;
                bytes += payload.size();
            }
            txn.commit("accepting " + payloads.size() + " asynchronous invocation(s) of " + function);
            return ids;
        } catch (RuntimeException e) {
            // All or none: a batch too big for one transaction takes back what it wrote before the failure.
            for (String id : written) {
                try {
                    deadLetterAndForget(id);
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private void deadLetterAndForget(String id) {
        KeyValue kv = etcd.get(INV + id);
        if (kv == null) {
            return;
        }
        StoredAsyncInvocation s = parse(kv);
        String function = s.getInvocation().getFunction();
        etcd.transaction().delete(INV + id).delete(dueKey(s)).delete(OPEN + function + "/" + id)
                .delete(STATUS + s.getInvocation().getStatusValue() + "/" + id).commit("taking back invocation " + id);
    }

    @Override
    public List<Claim> claimDue(long nowMs, long tooOldBeforeMs, String ageReason, int limit) {
        if (nowMs - lastSweepMs >= SWEEP_EVERY_MS || lastSweepMs == Long.MIN_VALUE) {
            requeueOrphans(nowMs);
            lastSweepMs = nowMs;
        }
        List<Claim> claims = new ArrayList<>();
        // Page through the due keys, oldest first: the first pages may all be other controllers' functions
        // (a backlog of one busy function); this claimer looks past them, up to SCAN_PAGES pages per pass.
        String from = DUE;
        String to = DUE + String.format("%013d", nowMs + 1);
        long page = Math.max(256, 4L * limit);
        for (int p = 0; p < SCAN_PAGES && claims.size() < limit; p++) {
            List<KeyValue> due = etcd.range(from, to, page);
            claimFrom(due, nowMs, tooOldBeforeMs, ageReason, limit, claims);
            if (due.size() < page) {
                break;
            }
            from = etcd.name(due.getLast()) + "\0";
        }
        return claims;
    }

    private void claimFrom(List<KeyValue> due, long nowMs, long tooOldBeforeMs, String ageReason, int limit, List<Claim> claims) {
        for (KeyValue entry : due) {
            if (claims.size() >= limit) {
                break;
            }
            String function = entry.getValue().toString(java.nio.charset.StandardCharsets.UTF_8);
            if (!owns.test(function)) {
                continue;
            }
            String dueKey = etcd.name(entry);
            String id = dueKey.substring(dueKey.lastIndexOf('/') + 1);
            KeyValue kv = etcd.get(INV + id);
            if (kv == null) {
                continue;
            }
            StoredAsyncInvocation s = parse(kv);
            AsyncInvocation inv = s.getInvocation();
            if (inv.getStatus() != Status.QUEUED && inv.getStatus() != Status.FAILED) {
                continue;
            }
            long acceptedMs = millis(inv.getAcceptedAt());
            if (acceptedMs < tooOldBeforeMs) {
                end(kv, s, inv.toBuilder().setStatus(Status.DEAD_LETTERED).setDeadLetterReason(ageReason)
                        .setUpdatedAt(timestamp(nowMs)).clearNextAttemptAt().build(), s.getNextMs(), s.getThrottles(), "");
                continue;
            }
            int attempts = inv.getAttempts() + 1;
            AsyncInvocation running = inv.toBuilder().setStatus(Status.RUNNING).setAttempts(attempts)
                    .setUpdatedAt(timestamp(nowMs)).build();
            TxnResponse r = write(kv, s, running, s.getNextMs(), s.getThrottles(), claimer, true);
            if (r.isSucceeded()) {
                claims.add(new Claim(id, inv.getFunction(), inv.getQualifier(), inv.getPayload(), attempts, s.getThrottles(),
                        acceptedMs, r.getHeader().getRevision()));
            }
        }
    }

    /**
     * Writes {@code next} over the stored invocation {@code kv} if nothing changed it since it was read,
     * moving its index keys from the old status to the new one, all in one transaction checked by the
     * function's fence.
     */
    private TxnResponse write(KeyValue kv, StoredAsyncInvocation was, AsyncInvocation next, long nextMs, int throttles,
            String nextClaimer, boolean fenced) {
        AsyncInvocation old = was.getInvocation();
        String id = old.getInvocationId();
        String function = old.getFunction();
        StoredAsyncInvocation stored = was.toBuilder().setInvocation(next).setNextMs(nextMs).setThrottles(throttles)
                .setClaimer(nextClaimer).build();
        Etcd.Transaction txn = etcd.transaction().unchangedSince(INV + id, kv.getModRevision());
        if (fenced) {
            fence.guard(txn, function);
        }
        txn.put(INV + id, stored.toByteArray());
        // Out of the old status's indexes...
        if (old.getStatus() == Status.QUEUED || old.getStatus() == Status.FAILED) {
            txn.delete(dueKey(was));
        }
        if (old.getStatusValue() != next.getStatusValue()) {
            txn.delete(STATUS + old.getStatusValue() + "/" + id).put(STATUS + next.getStatusValue() + "/" + id, "");
        }
        // ...into the new one's.
        switch (next.getStatus()) {
            case QUEUED, FAILED -> txn.put(dueKey(stored), function);
            case RUNNING -> { }
            case DEAD_LETTERED -> txn.delete(OPEN + function + "/" + id).put(DEAD + function + "/" + was.getOrder() + "/" + id, "");
            default -> txn.delete(OPEN + function + "/" + id);
        }
        return txn.commit("recording invocation " + id);
    }

    private boolean end(KeyValue kv, StoredAsyncInvocation was, AsyncInvocation next, long nextMs, int throttles, String nextClaimer) {
        return write(kv, was, next, nextMs, throttles, nextClaimer, true).isSucceeded();
    }

    @Override
    public boolean finish(Claim claim, Attempt attempt, Status status, long nowMs, long nextMs, String reason, boolean throttled) {
        KeyValue kv = etcd.get(INV + claim.id());
        if (kv == null || kv.getModRevision() != claim.version()) {
            return false;
        }
        StoredAsyncInvocation s = parse(kv);
        AsyncInvocation.Builder next = s.getInvocation().toBuilder().setStatus(status).setUpdatedAt(timestamp(nowMs))
                .setRequestId(attempt.requestId()).setRevision(attempt.revision()).setResult(attempt.result())
                .setFunctionError(attempt.functionError()).setErrorType(attempt.errorType())
                .setErrorMessage(attempt.errorMessage()).setDeadLetterReason(reason);
        if (throttled) {
            next.setAttempts(next.getAttempts() - 1);
        }
        return end(kv, s, next.build(), nextMs, s.getThrottles() + (throttled ? 1 : 0), "");
    }

    @Override
    public int deadLetterAll(String function, String reason, long nowMs) {
        int count = 0;
        for (KeyValue open : etcd.range(OPEN + function + "/")) {
            String key = etcd.name(open);
            String id = key.substring(key.lastIndexOf('/') + 1);
            while (true) {
                KeyValue kv = etcd.get(INV + id);
                if (kv == null) {
                    break;
                }
                StoredAsyncInvocation s = parse(kv);
                AsyncInvocation inv = s.getInvocation();
                if (inv.getStatus() == Status.SUCCEEDED || inv.getStatus() == Status.DEAD_LETTERED) {
                    break;
                }
                AsyncInvocation dead = inv.toBuilder().setStatus(Status.DEAD_LETTERED).setDeadLetterReason(reason)
                        .setUpdatedAt(timestamp(nowMs)).build();
                // Not fenced: deleting a function ends its invocations whoever owns it.
                if (writeUnfenced(kv, s, dead)) {
                    count++;
                    break;
                }
            }
        }
        return count;
    }

    private boolean writeUnfenced(KeyValue kv, StoredAsyncInvocation s, AsyncInvocation next) {
        return write(kv, s, next, s.getNextMs(), s.getThrottles(), "", false).isSucceeded();
    }

    /**
     * Attempts whose claimer's lease is gone (its controller died or closed) may or may not have run, so
     * they are queued again (at least once), by whichever claimer sees them first.
     */
    private void requeueOrphans(long nowMs) {
        Set<String> live = new HashSet<>();
        for (KeyValue kv : etcd.range(CLAIMERS)) {
            live.add(etcd.name(kv).substring(CLAIMERS.length()));
        }
        if (!live.contains(claimer)) {
            return; // this claimer's own lease ended (a pause past it): it is the orphan, not the judge
        }
        // A claimer's key vanishes with its lease: a RUNNING invocation whose claimer has none is an orphan.
        int requeued = 0;
        for (KeyValue st : etcd.range(STATUS + Status.RUNNING_VALUE + "/")) {
            String key = etcd.name(st);
            String id = key.substring(key.lastIndexOf('/') + 1);
            KeyValue kv = etcd.get(INV + id);
            if (kv == null) {
                continue;
            }
            StoredAsyncInvocation s = parse(kv);
            if (s.getInvocation().getStatus() != Status.RUNNING || live.contains(s.getClaimer())) {
                continue;
            }
            AsyncInvocation queued = s.getInvocation().toBuilder().setStatus(Status.QUEUED).setUpdatedAt(timestamp(nowMs))
                    .setErrorMessage("the controller running the attempt stopped").build();
            // next_ms stays the old one, which is past: due at once.
            if (writeUnfenced(kv, s, queued)) {
                requeued++;
            }
        }
        if (requeued > 0) {
            LOG.log(System.Logger.Level.INFO, requeued + " asynchronous invocation(s) were running on a controller that stopped; queued again");
        }
    }

    // ---- reads ----------------------------------------------------------------------------------

    @Override
    public Optional<AsyncInvocation> get(String id) {
        return Optional.ofNullable(etcd.get(INV + id)).map(kv -> shown(parse(kv)));
    }

    @Override
    public List<AsyncInvocation> deadLetters(String function, int limit) {
        List<AsyncInvocation> result = new ArrayList<>();
        for (KeyValue entry : etcd.range(DEAD + function + "/", limit)) {
            String key = etcd.name(entry);
            get(key.substring(key.lastIndexOf('/') + 1)).ifPresent(result::add);
        }
        return result;
    }

    @Override
    public long count(Status status) {
        return etcd.count(STATUS + status.getNumber() + "/");
    }

    private static AsyncInvocation shown(StoredAsyncInvocation s) {
        AsyncInvocation inv = s.getInvocation();
        if (inv.getStatus() == Status.QUEUED || inv.getStatus() == Status.FAILED) {
            return inv.toBuilder().setNextAttemptAt(timestamp(s.getNextMs())).build();
        }
        return inv.toBuilder().clearNextAttemptAt().build();
    }

    private static String dueKey(StoredAsyncInvocation s) {
        return DUE + String.format("%013d", s.getNextMs()) + "/" + s.getOrder() + "/" + s.getInvocation().getInvocationId();
    }

    private static StoredAsyncInvocation parse(KeyValue kv) {
        try {
            return StoredAsyncInvocation.parseFrom(kv.getValue().getBytes());
        } catch (InvalidProtocolBufferException e) {
            throw new FloeException(ErrorType.SERVICE, "the invocation queue holds an unreadable invocation: " + e.getMessage(), e);
        }
    }

    private static Timestamp timestamp(long ms) {
        return Timestamp.newBuilder().setSeconds(Math.floorDiv(ms, 1000)).setNanos((int) Math.floorMod(ms, 1000) * 1_000_000).build();
    }

    private static long millis(Timestamp t) {
        return t.getSeconds() * 1000 + t.getNanos() / 1_000_000;
    }

    /** Gives up this claimer: its running attempts are queued again by the next claimer that looks. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            etcd.transaction().delete(CLAIMERS + claimer).commit("leaving the claimers");
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not leave the claimers; the lease ends the claim: " + e.getMessage());
        }
    }
}
