package dev.floe.worker.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Formatted, never-used /tmp images, a few of each size recently asked for, so a cold start takes
 * one instead of formatting (~15 ms on a small machine). Each image taken is replaced in the
 * background, after a short delay and at the lowest CPU priority, so that the replacement does not
 * compete with the cold start that took the image. The images are sparse: a ready one costs about
 * 100 KB of disk.
 */
final class TmpImagePool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TmpImagePool.class.getName());

    /** Long enough for a cold start's runtime to initialize first. */
    private static final long REFILL_DELAY_MS = 250;

    private final Path dir;
    private final java.util.concurrent.ScheduledExecutorService background;
    private final int perSize;
    private final Map<Integer, Deque<Path>> ready = new HashMap<>();
    private final Map<Integer, Integer> formatting = new HashMap<>();
    private boolean closed;

    TmpImagePool(Path dir, java.util.concurrent.ScheduledExecutorService background, int perSize) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.background = background;
        this.perSize = perSize;
        try (Stream<Path> leftovers = Files.list(dir)) {
            for (Path p : leftovers.toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A formatted image of {@code sizeMb} at {@code target}: a ready one if there is one, else formatted now. */
    TmpVolume take(Path target, int sizeMb) throws IOException {
        Path image;
        synchronized (this) {
            Deque<Path> images = ready.get(sizeMb);
            image = images == null ? null : images.pollFirst();
        }
        refill(sizeMb);
        if (image == null) {
            return TmpVolume.disk(target, sizeMb);
        }
        Files.move(image, target, StandardCopyOption.ATOMIC_MOVE);
        return new TmpVolume.Disk(target, sizeMb);
    }

    /** Formats images in the background until {@code perSize} of this size are ready or being made. */
    void refill(int sizeMb) {
        int needed;
        synchronized (this) {
            if (closed) {
                return;
            }
            int have = ready.getOrDefault(sizeMb, new ArrayDeque<>()).size() + formatting.getOrDefault(sizeMb, 0);
            needed = Math.max(0, perSize - have);
            formatting.merge(sizeMb, needed, Integer::sum);
        }
        for (int i = 0; i < needed; i++) {
            background.schedule(() -> format(sizeMb), REFILL_DELAY_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    private void format(int sizeMb) {
        Path image = dir.resolve(sizeMb + "-" + UUID.randomUUID() + ".img");
        boolean made = false;
        try {
            TmpVolume.disk(image, sizeMb, true);
            made = true;
        } catch (IOException e) {
            synchronized (this) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "cannot format a /tmp image ahead of time: " + e.getMessage());
                }
            }
        }
        boolean discard;
        synchronized (this) {
            formatting.merge(sizeMb, -1, Integer::sum);
            discard = closed || !made;
            if (!discard) {
                ready.computeIfAbsent(sizeMb, s -> new ArrayDeque<>()).addLast(image);
            }
        }
        if (discard) {
            try {
                Files.deleteIfExists(image);
            } catch (IOException ignored) {
                // removed with the pool's directory at the next start
            }
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            closed = true;
            for (Deque<Path> images : ready.values()) {
                for (Path image : images) {
                    Files.deleteIfExists(image);
                }
            }
            ready.clear();
        }
    }
}
