package dev.floe.client.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One command's arguments: positional ones and {@code --options}, checked against what the command
 * declares. {@code --name value} and {@code --name=value} are both accepted.
 */
public final class Args {
    /** How an option takes values. */
    public enum Kind { FLAG, VALUE, REPEATED }

    private final String command;
    private final List<String> positional = new ArrayList<>();
    private final Map<String, List<String>> values = new HashMap<>();

    private Args(String command) {
        this.command = command;
    }

    /** The options a command accepts, in the order its usage lists them. */
    public static final class Spec {
        private final Map<String, Kind> options = new LinkedHashMap<>();

        public Spec flag(String name) {
            options.put(name, Kind.FLAG);
            return this;
        }

        public Spec value(String name) {
            options.put(name, Kind.VALUE);
            return this;
        }

        public Spec repeated(String name) {
            options.put(name, Kind.REPEATED);
            return this;
        }

        String names() {
            return options.isEmpty() ? "none" : String.join(", ", options.keySet().stream().map(n -> "--" + n).toList());
        }
    }

    public static Args parse(String command, List<String> argv, Spec spec) {
        Args args = new Args(command);
        for (int i = 0; i < argv.size(); i++) {
            String arg = argv.get(i);
            if (arg.equals("--")) {
                args.positional.addAll(argv.subList(i + 1, argv.size()));
                break;
            }
            if (!arg.startsWith("--") || arg.length() == 2) {
                args.positional.add(arg);
                continue;
            }
            String name = arg.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Kind kind = spec.options.get(name);
            if (kind == null) {
                throw new UsageException("unknown option --" + name + " for '" + command + "' (expected one of: " + spec.names() + ")");
            }
            if (kind == Kind.FLAG) {
                if (inline != null) {
                    throw new UsageException("--" + name + " takes no value");
                }
                args.values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
                continue;
            }
            String value = inline;
            if (value == null) {
                if (i + 1 >= argv.size()) {
                    throw new UsageException("--" + name + " needs a value");
                }
                value = argv.get(++i);
            }
            List<String> list = args.values.computeIfAbsent(name, k -> new ArrayList<>());
            if (kind == Kind.VALUE && !list.isEmpty()) {
                throw new UsageException("--" + name + " given twice");
            }
            list.add(value);
        }
        return args;
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public String value(String name, String fallback) {
        List<String> list = values.get(name);
        return list == null ? fallback : list.getFirst();
    }

    public String required(String name, String expected) {
        String value = value(name, null);
        if (value == null) {
            throw new UsageException("'" + command + "' needs --" + name + " " + expected);
        }
        return value;
    }

    public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    /** An integer option within {@code min..max}, or {@code fallback} when absent. */
    public Integer integer(String name, int min, int max, Integer fallback) {
        String value = value(name, null);
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n < min || n > max) {
                throw new UsageException("--" + name + ": " + n + " (expected: " + min + ".." + max + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + ": \"" + value + "\" (expected: a whole number, " + min + ".." + max + ")");
        }
    }

    public List<String> positional() {
        return positional;
    }

    /** Exactly {@code count} positional arguments, described by {@code what} in the error. */
    public List<String> positional(int count, String what) {
        if (positional.size() != count) {
            throw new UsageException("'" + command + "' takes " + what
                    + (positional.isEmpty() ? "" : " (got: " + String.join(" ", positional) + ")"));
        }
        return positional;
    }
}
