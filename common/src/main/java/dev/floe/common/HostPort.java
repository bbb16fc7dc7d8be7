package dev.floe.common;

/** A {@code host:port} address as users type it ({@code 127.0.0.1:7070}, {@code [::1]:7070}, {@code node-3:7070}). */
public record HostPort(String host, int port) {
    public HostPort {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host: empty (expected: a host name or address)");
        }
        Check.range("port", port, 0, 65_535);
    }

    public static HostPort parse(String text) {
        String expected = " (expected: HOST:PORT, e.g. 127.0.0.1:7070)";
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("address: empty" + expected);
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("address: \"" + text + "\"" + expected);
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new HostPort(host, Integer.parseInt(text.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("address: \"" + text + "\"" + expected, e);
        }
    }

    /** The form gRPC's target parser and users both read. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
