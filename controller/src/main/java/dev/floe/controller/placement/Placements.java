package dev.floe.controller.placement;

import java.util.List;

/** The placement policies by the names the command line and the simulator use. */
public final class Placements {
    /** Every policy name, Floe's default first. */
    public static final List<String> NAMES = List.of("floe", "random", "least-loaded", "openwhisk-hash", "warm-first", "hermod");

    private Placements() {}

    /** The policy called {@code name}; {@code seed} seeds {@code random}. */
    public static Placement named(String name, long seed) {
        return switch (name == null ? "" : name) {
            case "floe" -> new FloeDefaultPlacement();
            case "random" -> new RandomPlacement(seed);
            case "least-loaded" -> new LeastLoadedPlacement();
            case "openwhisk-hash" -> new OpenWhiskHashPlacement();
            case "warm-first" -> new WarmFirstPlacement();
            case "hermod" -> new HermodPlacement();
            default -> throw new IllegalArgumentException("placement: \"" + name + "\" (expected one of: "
                    + String.join(", ", NAMES) + ")");
        };
    }
}
