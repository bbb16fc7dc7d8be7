package dev.floe.worker.sandbox;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The users environments run as: one per environment, so no environment can signal, trace or read
 * another's processes, or the worker's. Drawn at random from a range of 2^24 ids far above those a
 * system gives its users. One set serves every worker in a process (a local fleet runs several), so
 * none hands out a live one twice; two worker processes on one machine collide with a chance of about
 * one in 16 million per pair of live environments.
 */
final class UserIds {
    static final long FIRST = 1_000_000_000L;
    static final long COUNT = 1L << 24;
    /** The process's one set. */
    static final UserIds PROCESS = new UserIds();

    private final Set<Long> inUse = new HashSet<>();

    synchronized long allocate() {
        while (true) {
            long uid = FIRST + ThreadLocalRandom.current().nextLong(COUNT);
            if (inUse.add(uid)) {
                return uid;
            }
        }
    }

    synchronized void release(long uid) {
        inUse.remove(uid);
    }
}
