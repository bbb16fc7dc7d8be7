package dev.floe.controller.placement;

import java.nio.charset.StandardCharsets;

/** A stable 64-bit hash of strings: FNV-1a over UTF-8, then MurmurHash3's fmix64 to spread the bits. */
public final class Hashing {
    private Hashing() {}

    public static long hash64(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
