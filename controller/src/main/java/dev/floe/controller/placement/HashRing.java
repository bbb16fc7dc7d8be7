package dev.floe.controller.placement;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * Consistent hashing (Karger et al., STOC'97): each worker owns {@link #POINTS} points on a 64-bit
 * ring, and a key's workers are those met walking clockwise from the key's own point. Adding a
 * worker to N moves about 1/(N+1) of the keys' first worker, where hashing mod N would move most.
 * The points are kept in sorted arrays, so a lookup is one binary search with no allocation; adding
 * or removing a worker copies them once, O(workers x points), which membership changes can afford.
 * Not thread-safe.
 */
public final class HashRing {
    /** Points per worker: enough that each worker's share of the ring is within a few percent. */
    public static final int POINTS = 128;

    private final Set<String> workers = new HashSet<>();
    private long[] points = new long[0];
    private String[] owners = new String[0];

    public void add(String workerId) {
        if (!workers.add(workerId)) {
            return;
        }
        long[] mine = new long[POINTS];
        for (int i = 0; i < POINTS; i++) {
            mine[i] = Hashing.hash64(workerId + "#" + i);
        }
        Arrays.sort(mine);
        // Merge the worker's sorted points into the ring's: O(ring), no sort of the whole ring.
        long[] mergedPoints = new long[points.length + POINTS];
        String[] mergedOwners = new String[mergedPoints.length];
        int a = 0;
        int b = 0;
        for (int k = 0; k < mergedPoints.length; k++) {
            boolean takeMine = b < POINTS && (a == points.length || mine[b] < points[a]
                    || (mine[b] == points[a] && workerId.compareTo(owners[a]) < 0));
            if (takeMine) {
                mergedPoints[k] = mine[b++];
                mergedOwners[k] = workerId;
            } else {
                mergedPoints[k] = points[a];
                mergedOwners[k] = owners[a++];
            }
        }
        points = mergedPoints;
        owners = mergedOwners;
    }

    public void remove(String workerId) {
        if (!workers.remove(workerId)) {
            return;
        }
        long[] keptPoints = new long[points.length - POINTS];
        String[] keptOwners = new String[keptPoints.length];
        int k = 0;
        for (int i = 0; i < points.length; i++) {
            if (!owners[i].equals(workerId)) {
                keptPoints[k] = points[i];
                keptOwners[k++] = owners[i];
            }
        }
        points = keptPoints;
        owners = keptOwners;
    }

    public int size() {
        return workers.size();
    }

    /** The index of the first point at or after the key's point, wrapping to 0. */
    private int start(String key) {
        int i = Arrays.binarySearch(points, Hashing.hash64(key));
        if (i < 0) {
            i = -i - 1;
        }
        return i == points.length ? 0 : i;
    }

    /** The key's first worker, or null on an empty ring. */
    public String home(String key) {
        return points.length == 0 ? null : owners[start(key)];
    }

    /** The key's workers in ring order from its point, each once. */
    public Iterator<String> walk(String key) {
        String[] ring = owners;
        int total = workers.size();
        int first = ring.length == 0 ? 0 : start(key);
        return new Iterator<>() {
            private final List<String> seen = new ArrayList<>(8);
            private Set<String> seenSet;
            private int steps;
            private String next = advance();

            private boolean add(String w) {
                if (seenSet != null) {
                    return seenSet.add(w);
                }
                if (seen.contains(w)) {
                    return false;
                }
                seen.add(w);
                if (seen.size() > 16) {
                    seenSet = new HashSet<>(seen);
                }
                return true;
            }

            private String advance() {
                int count = seenSet != null ? seenSet.size() : seen.size();
                if (count >= total) {
                    return null;
                }
                while (steps < ring.length) {
                    String w = ring[(first + steps++) % ring.length];
                    if (add(w)) {
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
