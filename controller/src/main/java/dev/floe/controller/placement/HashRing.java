package dev.floe.controller.placement;

import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeMap;

/**
 * Consistent hashing (Karger et al., STOC'97): each worker owns {@link #POINTS} points on a 64-bit
 * ring, and a key's workers are those met walking clockwise from the key's own point. Adding a
 * worker to N moves about 1/(N+1) of the keys' first worker, where hashing mod N would move most.
 * Adding or removing a worker is O(points log size); a lookup is O(log size). Not thread-safe.
 */
public final class HashRing {
    /** Points per worker: enough that each worker's share of the ring is within a few percent. */
    public static final int POINTS = 128;

    private final TreeMap<Long, String> points = new TreeMap<>();
    private final Set<String> workers = new HashSet<>();

    public void add(String workerId) {
        if (workers.add(workerId)) {
            for (int i = 0; i < POINTS; i++) {
                points.put(Hashing.hash64(workerId + "#" + i), workerId);
            }
        }
    }

    public void remove(String workerId) {
        if (workers.remove(workerId)) {
            for (int i = 0; i < POINTS; i++) {
                points.remove(Hashing.hash64(workerId + "#" + i), workerId);
            }
        }
    }

    public int size() {
        return workers.size();
    }

    /** The key's first worker, or null on an empty ring. */
    public String home(String key) {
        if (points.isEmpty()) {
            return null;
        }
        Map.Entry<Long, String> e = points.ceilingEntry(Hashing.hash64(key));
        return (e == null ? points.firstEntry() : e).getValue();
    }

    /** The key's workers in ring order from its point, each once, every worker at most once. */
    public Iterator<String> walk(String key) {
        long start = Hashing.hash64(key);
        return new Iterator<>() {
            private final Set<String> seen = new HashSet<>();
            private Iterator<String> tail = points.tailMap(start, true).values().iterator();
            private boolean wrapped;
            private String next = advance();

            private String advance() {
                while (seen.size() < workers.size()) {
                    if (!tail.hasNext()) {
                        if (wrapped) {
                            return null;
                        }
                        wrapped = true;
                        tail = points.headMap(start, false).values().iterator();
                        continue;
                    }
                    String w = tail.next();
                    if (seen.add(w)) {
                        return w;
                    }
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public String next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                String result = next;
                next = advance();
                return result;
            }
        };
    }
}
