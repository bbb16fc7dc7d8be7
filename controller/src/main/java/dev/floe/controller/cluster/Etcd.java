package dev.floe.controller.cluster;

import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Txn;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One connection to the cluster's etcd, every key under one prefix (so several clusters, or several
 * tests, share an etcd without seeing each other). Calls block with a deadline and fail as
 * {@link FloeException}s: {@code ServiceUnavailableException} when etcd cannot be reached or has no
 * majority, so a caller is told to retry instead of seeing a transport error.
 */
public final class Etcd implements AutoCloseable {
    /** Past it a call is failed, not waited on: etcd without a majority answers nothing. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    private final Client client;
    private final KV kv;
    private final String prefix;
    private final boolean ownsClient;

    private Etcd(Client client, String prefix, boolean ownsClient) {
        this.client = client;
        this.kv = client.getKVClient();
        this.prefix = prefix;
        this.ownsClient = ownsClient;
    }

    /**
     * Connects to etcd at {@code endpoints} ({@code http://host:port}, one or more); {@code prefix} is put
     * before every key (e.g. {@code /floe/}).
     */
    public static Etcd connect(List<URI> endpoints, String prefix) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("endpoints: [] (expected: at least one etcd URL, e.g. http://127.0.0.1:2379)");
        }
        if (!prefix.endsWith("/")) {
            throw new IllegalArgumentException("prefix: " + prefix + " (expected: ending with /)");
        }
        Client client = Client.builder().endpoints(endpoints.toArray(URI[]::new))
                .connectTimeout(CALL_TIMEOUT).retryMaxDuration(CALL_TIMEOUT).build();
        return new Etcd(client, prefix, true);
    }

    /** The same connection under {@code prefix + sub}; closing it leaves the connection open. */
    public Etcd under(String sub) {
        return new Etcd(client, prefix + sub, false);
    }

    public Client client() {
        return client;
    }

    public String prefix() {
        return prefix;
    }

    public ByteSequence key(String key) {
        return bytes(prefix + key);
    }

    /** The key's name below this prefix. */
    public String name(KeyValue kv) {
        return kv.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
    }

    public static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    public static ByteSequence bytes(byte[] b) {
        return ByteSequence.from(b);
    }

    /** The key's value and revisions, or null when it is not there. */
    public KeyValue get(String key) {
        List<KeyValue> found = await(kv.get(key(key)), "reading " + key).getKvs();
        return found.isEmpty() ? null : found.getFirst();
    }

    /** Every key under {@code keyPrefix}, sorted by key. */
    public List<KeyValue> range(String keyPrefix) {
        return range(keyPrefix, 0);
    }

    /** Up to {@code limit} keys under {@code keyPrefix} (0: all), sorted by key. */
    public List<KeyValue> range(String keyPrefix, long limit) {
        GetOption.Builder option = GetOption.builder().isPrefix(true).withLimit(limit)
                .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.ASCEND);
        return await(kv.get(key(keyPrefix), option.build()), "reading " + keyPrefix).getKvs();
    }

    /** Up to {@code limit} keys from {@code from} (inclusive) to {@code to} (exclusive), sorted by key. */
    public List<KeyValue> range(String from, String to, long limit) {
        GetOption option = GetOption.builder().withRange(key(to)).withLimit(limit)
                .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.ASCEND).build();
        return await(kv.get(key(from), option), "reading " + from).getKvs();
    }

    /** How many keys there are under {@code keyPrefix}. */
    public long count(String keyPrefix) {
        GetResponse r = await(kv.get(key(keyPrefix), GetOption.builder().isPrefix(true).withCountOnly(true).build()),
                "counting " + keyPrefix);
        return r.getCount();
    }

    /** A transaction under construction: conditions, then the writes made when all hold. */
    public final class Transaction {
        private final List<Cmp> conditions = new ArrayList<>();
        private final List<Op> writes = new ArrayList<>();
        private final List<Op> otherwise = new ArrayList<>();

        public Transaction absent(String key) {
            conditions.add(new Cmp(key(key), Cmp.Op.EQUAL, CmpTarget.version(0)));
            return this;
        }

        public Transaction present(String key) {
            conditions.add(new Cmp(key(key), Cmp.Op.GREATER, CmpTarget.version(0)));
            return this;
        }

        /** The key was last written at {@code modRevision} (0: it is absent). */
        public Transaction unchangedSince(String key, long modRevision) {
            conditions.add(new Cmp(key(key), Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision)));
            return this;
        }

        /** As {@link #unchangedSince}, for a key named in full (another prefix's: a fence). */
        public Transaction unchangedSinceAt(ByteSequence fullKey, long modRevision) {
            conditions.add(new Cmp(fullKey, Cmp.Op.EQUAL, CmpTarget.modRevision(modRevision)));
            return this;
        }

        /** Holds while the key has this value: a fencing token checked in the same transaction as the write. */
        public Transaction valueIs(String key, String value) {
            conditions.add(new Cmp(key(key), Cmp.Op.EQUAL, CmpTarget.value(bytes(value))));
            return this;
        }

        public Transaction put(String key, byte[] value) {
            writes.add(Op.put(key(key), bytes(value), PutOption.DEFAULT));
            return this;
        }

        public Transaction put(String key, String value) {
            return put(key, value.getBytes(StandardCharsets.UTF_8));
        }

        /** A put that vanishes with the lease (a member's or a claimer's). */
        public Transaction putLeased(String key, String value, long leaseId) {
            return putLeased(key, value.getBytes(StandardCharsets.UTF_8), leaseId);
        }

        public Transaction putLeased(String key, byte[] value, long leaseId) {
            writes.add(Op.put(key(key), bytes(value), PutOption.builder().withLeaseId(leaseId).build()));
            return this;
        }

        public Transaction delete(String key) {
            writes.add(Op.delete(key(key), DeleteOption.DEFAULT));
            return this;
        }

        public Transaction deletePrefix(String keyPrefix) {
            writes.add(Op.delete(key(keyPrefix), DeleteOption.builder().isPrefix(true).build()));
            return this;
        }

        /** Read when the conditions fail, so the caller learns what it raced with in one round trip. */
        public Transaction otherwiseGet(String key) {
            otherwise.add(Op.get(key(key), GetOption.DEFAULT));
            return this;
        }

        public boolean isEmpty() {
            return writes.isEmpty();
        }

        /** Commits: the writes are made if every condition held. */
        public TxnResponse commit(String what) {
            Txn txn = kv.txn();
            return await(txn.If(conditions.toArray(Cmp[]::new)).Then(writes.toArray(Op[]::new))
                    .Else(otherwise.toArray(Op[]::new)).commit(), what);
        }
    }

    public Transaction transaction() {
        return new Transaction();
    }

    /** Waits for an etcd call; its failure becomes a {@link FloeException} naming {@code what} was being done. */
    public static <T> T await(CompletableFuture<T> call, String what) {
        try {
            return call.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw new FloeException(ErrorType.SERVICE_UNAVAILABLE, "interrupted while " + what + " in etcd", e);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new FloeException(ErrorType.SERVICE_UNAVAILABLE, "etcd did not answer within " + CALL_TIMEOUT.toSeconds()
                    + " s while " + what + " (is a majority of its members up?)", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new FloeException(ErrorType.SERVICE_UNAVAILABLE, "etcd failed while " + what + ": " + cause.getMessage(), cause);
        }
    }

    /** Runs {@code each} for every batch of at most {@code size}: etcd limits the operations of one transaction. */
    public static <T> void inBatches(List<T> items, int size, Consumer<List<T>> each) {
        for (int i = 0; i < items.size(); i += size) {
            each.accept(items.subList(i, Math.min(items.size(), i + size)));
        }
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }
}
