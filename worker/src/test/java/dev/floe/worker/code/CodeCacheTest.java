package dev.floe.worker.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.CodePackages;
import dev.floe.testing.ProbeFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodeCacheTest {
    @TempDir
    Path dir;

    private final AtomicInteger fetches = new AtomicInteger();

    private CodeCache cache(long capacityBytes) throws IOException {
        Path packages = Files.createDirectories(dir.resolve("packages"));
        CodeSource counting = (sha, target) -> {
            fetches.incrementAndGet();
            return CodeSource.directory(packages).fetch(sha, target);
        };
        return new CodeCache(dir.resolve("code"), counting, new PackageUnpacker(10_000_000, 100), capacityBytes,
                Executors.newVirtualThreadPerTaskExecutor(), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    /** A package of about {@code kb} kilobytes, stored where the cache fetches from. */
    private String store(String name, int kb) throws IOException {
        byte[] zip = CodePackages.zipFiles(Map.of("bootstrap", "#!/bin/sh\n", "data-" + name, "x".repeat(kb * 1024)));
        String sha = ProbeFunction.sha256(zip);
        Files.write(dir.resolve("packages").resolve(sha + ".zip"), zip);
        return sha;
    }

    @Test
    void concurrentColdStartsShareOneFetch() throws Exception {
        CodeCache cache = cache(1 << 30);
        String sha = store("a", 10);

        List<CompletableFuture<CodeCache.Lease>> leases = List.of(cache.acquire(sha), cache.acquire(sha), cache.acquire(sha));

        Path root = leases.getFirst().join().root();
        leases.forEach(l -> assertEquals(root, l.join().root()));
        assertEquals(1, fetches.get());
        assertTrue(Files.isExecutable(root.resolve("bootstrap")));
        assertFalse(Files.isWritable(root.resolve("bootstrap")) && !isRoot(), "unpacked read-only");
    }

    @Test
    void aLeasedPackageIsNeverEvictedAndUnusedOnesStayWithinCapacity() throws Exception {
        long capacity = 300 * 1024;
        CodeCache cache = cache(capacity);
        String a = store("a", 200);
        String b = store("b", 200);
        String c = store("c", 200);

        CodeCache.Lease held = cache.acquire(a).join();
        CodeCache.Lease first = cache.acquire(b).join();
        first.close();
        CodeCache.Lease second = cache.acquire(c).join();
        second.close();

        assertTrue(cache.unusedBytes() <= capacity, "unused packages within capacity: " + cache.unusedBytes());
        assertTrue(Files.exists(held.root().resolve("bootstrap")), "the leased package stays, though it is the oldest");
        Path evicted = Files.exists(first.root()) ? second.root() : first.root();
        assertFalse(Files.exists(evicted), "one of the two unused packages went");
        String evictedSha = evicted.getFileName().toString().substring(0, 64);
        CodeCache.Lease again = cache.acquire(evictedSha).join();
        assertNotEquals(evicted, again.root(), "fetched again into a directory of its own");
        assertTrue(Files.exists(again.root().resolve("bootstrap")));
        held.close();
        again.close();
    }

    @Test
    void aRestartedWorkerFindsItsPackagesAndDropsHalfFinishedOnes() throws Exception {
        CodeCache first = cache(1 << 30);
        String sha = store("a", 10);
        Path root = first.acquire(sha).join().root();
        Files.createDirectories(dir.resolve("code").resolve(sha + "-deadbeef.unpacking"));

        CodeCache second = cache(1 << 30);
        CodeCache.Lease lease = second.acquire(sha).join();

        assertEquals(root, lease.root());
        assertEquals(1, fetches.get(), "no second fetch");
        assertFalse(Files.exists(dir.resolve("code").resolve(sha + "-deadbeef.unpacking")));
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
