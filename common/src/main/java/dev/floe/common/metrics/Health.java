package dev.floe.common.metrics;

import dev.floe.common.Check;

/**
 * What {@code GET /healthz} answers: 200 {@code ok}, or 503 with why not (a worker away from its
 * controller, a controller shutting down), so a load balancer or a test rig can wait on it.
 */
public record Health(boolean ok, String detail) {
    public static final Health OK = new Health(true, "ok");

    public Health {
        Check.notNull("detail", detail);
    }

    public static Health down(String why) {
        return new Health(false, Check.notNull("why", why));
    }
}
