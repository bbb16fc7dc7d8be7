package dev.floe.controller.placement;

/**
 * A stable 64-bit hash of strings: FNV-1a over the UTF-16 code units, then MurmurHash3's fmix64 to
 * spread the bits. Allocates nothing, as it runs on every placement.
 */
public final class Hashing {
    private Hashing() {}

    public static long hash64(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            h ^= c & 0xff;
            h *= 0x100000001b3L;
            h ^= c >>> 8;
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
