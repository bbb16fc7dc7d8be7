package dev.floe.worker.sandbox;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The live workers of a machine: each holds a lock on a file of its own in one directory
 * ({@code /run/floe/workers} for root, else under the temporary directory) for as long as it runs,
 * and writes there what it owns: its cgroup subtrees and its data directory. A file whose lock nobody
 * holds belongs to a worker that ended without cleaning up (killed, crashed, lost power): whoever
 * finds it removes what it lists. The kernel drops a lock when its process ends in any way, so a
 * live worker's entry is never taken for a dead one, and a dead one's never for a live one, whatever
 * their ids and data directories.
 *
 * <p>The locks are POSIX record locks ({@link FileChannel#tryLock()}); closing any descriptor of a
 * locked file drops the process's lock on it, so files this JVM holds are never opened again here.
 */
public final class WorkerRegistry {
    private static final System.Logger LOG = System.getLogger(WorkerRegistry.class.getName());

    /** Entries this JVM holds, with what they say: opening one of them again (even to read it) would drop its lock. */
    private static final Map<Path, String> HELD = new ConcurrentHashMap<>();

    private final Path dir;

    /** What a worker owns: the base directory of its cgroups in each hierarchy, and its data directory. */
    public record Entry(String name, List<Path> cgroupBases, Path dataDir) {
        String text() {
            StringBuilder out = new StringBuilder("data ").append(dataDir).append('\n');
            cgroupBases.forEach(base -> out.append("cgroup ").append(base).append('\n'));
            return out.toString();
        }

        static Entry parse(String name, String text) {
            List<Path> bases = new ArrayList<>();
            Path data = null;
            for (String line : text.split("\n")) {
                if (line.startsWith("cgroup /")) {
                    bases.add(Path.of(line.substring(7)));
                } else if (line.startsWith("data /")) {
                    data = Path.of(line.substring(5));
                }
            }
            return new Entry(name, List.copyOf(bases), data);
        }
    }

    /** A worker's place in the registry, held until {@link #close()}. */
    public final class Lease implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final FileLock lock;
        private final Entry previous;

        private Lease(Path file, FileChannel channel, FileLock lock, Entry previous) {
            this.file = file;
            this.channel = channel;
            this.lock = lock;
            this.previous = previous;
        }

        /** What a previous worker of the same name, now dead, left listed; null if none. */
        public Entry previous() {
            return previous;
        }

        /** Records what the worker owns, replacing what the file said. */
        public void record(Entry entry) throws IOException {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(entry.text().getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            HELD.put(file, entry.text());
        }

        /** Removes the entry: the worker has removed what it owned. */
        @Override
        public void close() {
            try {
                Files.deleteIfExists(file);
                lock.release();
                channel.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot remove " + file + ": " + e.getMessage());
            } finally {
                HELD.remove(file);
            }
        }
    }

    public WorkerRegistry(Path dir) {
        this.dir = dir;
    }

    /** The machine's registry: {@code /run/floe/workers} for root, else one per user under the temporary directory. */
    public static WorkerRegistry forThisUser() {
        if (HostProbe.isRoot()) {
            return new WorkerRegistry(Path.of("/run/floe/workers"));
        }
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        return new WorkerRegistry(Path.of(System.getProperty("java.io.tmpdir"), "floe-workers-" + user));
    }

    public Path dir() {
        return dir;
    }

    /**
     * Takes the entry {@code name}; fails with a message if a live worker holds it (the same worker
     * id on the same data directory is running).
     */
    public Lease register(String name) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(name + ".lock");
        if (HELD.putIfAbsent(file, "") != null) {
            throw new IOException("a worker named " + name + " already runs in this process");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new IOException("another worker with the same id and data directory (" + name + ") is running on"
                        + " this machine; its lock is " + file);
            }
            String before = read(channel);
            return new Lease(file, channel, lock, before.isBlank() ? null : Entry.parse(name, before));
        } catch (IOException | RuntimeException e) {
            HELD.remove(file);
            if (channel != null) {
                channel.close();
            }
            throw e;
        }
    }

    /** The entries of live workers (their locks are held), this process's included. */
    public List<Entry> live() {
        List<Entry> live = new ArrayList<>();
        forEach((file, dead) -> {
            if (!dead) {
                try {
                    String held = HELD.get(file);
                    live.add(Entry.parse(name(file), held != null ? held : Files.readString(file)));
                } catch (IOException gone) {
                    // removed meanwhile
                }
            }
            return false;
        });
        return live;
    }

    /**
     * Calls {@code clean} with the entry of every dead worker, holding its lock meanwhile, and removes
     * the entry once {@code clean} returns. Returns how many were cleaned.
     */
    public int cleanDead(java.util.function.Consumer<Entry> clean) {
        int[] cleaned = {0};
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".lock")).toList()) {
                if (HELD.containsKey(file)) {
                    continue;
                }
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    FileLock lock = channel.tryLock();
                    if (lock == null) {
                        continue; // a live worker
                    }
                    clean.accept(Entry.parse(name(file), read(channel)));
                    Files.deleteIfExists(file);
                    cleaned[0]++;
                } catch (java.nio.file.NoSuchFileException gone) {
                    // another worker cleaned it meanwhile
                } catch (IOException | OverlappingFileLockException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot check " + file + ": " + e.getMessage());
                }
            }
        } catch (java.nio.file.NoSuchFileException none) {
            return 0;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot list " + dir + ": " + e.getMessage());
        }
        return cleaned[0];
    }

    private interface Visitor {
        boolean visit(Path file, boolean dead);
    }

    /** Visits every entry with whether its worker is dead (its lock is free; checked by taking it briefly). */
    private void forEach(Visitor visitor) {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".lock")).toList()) {
                if (HELD.containsKey(file)) {
                    visitor.visit(file, false);
                    continue;
                }
                boolean dead;
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    FileLock lock = channel.tryLock(0, Long.MAX_VALUE, true);
                    dead = lock != null;
                } catch (IOException | OverlappingFileLockException e) {
                    continue;
                }
                visitor.visit(file, dead);
            }
        } catch (IOException e) {
            // no registry yet
        }
    }

    private static String name(Path file) {
        String name = file.getFileName().toString();
        return name.substring(0, name.length() - ".lock".length());
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(channel.size(), 64 * 1024));
        channel.read(buffer, 0);
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }
}
