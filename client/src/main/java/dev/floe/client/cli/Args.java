package dev.floe.client.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * One command's arguments: positional ones and {@code --options}, parsed by picocli against what the
 * command declares in its {@link Spec}. {@code --name value} and {@code --name=value} are both
 * accepted; {@code --} ends the options. A mistake is a {@link UsageException} that says what was
 * expected, in the words every floe command uses.
 */
public final class Args {
    /** How an option takes values. */
    public enum Kind { FLAG, VALUE, REPEATED }

    /**
     * One option: its name without dashes, how it takes values, the placeholder its value is shown as
     * ({@code MB}, {@code HOST:PORT}), what it does, and the shared group it belongs to ({@code ""} for
     * the command's own), so that the reference lists a group once.
     */
    public record Option(String name, Kind kind, String label, String help, String group) {}

    private final String command;
    private final List<String> positional = new ArrayList<>();
    private final Map<String, List<String>> values = new HashMap<>();

    private Args(String command) {
        this.command = command;
    }

    /**
     * The options a command accepts, in the order its help lists them, and its positional arguments'
     * placeholder ({@code NAME}, {@code NAME ALIAS REVISION}).
     */
    public static final class Spec {
        private final Map<String, Option> options = new LinkedHashMap<>();
        private String positionalLabel = "";
        private String positionalHelp = "";
        private String group = "";

        public Spec flag(String name) {
            return flag(name, "");
        }

        public Spec flag(String name, String help) {
            return add(new Option(name, Kind.FLAG, "", help, group));
        }

        public Spec value(String name) {
            return value(name, "VALUE", "");
        }

        public Spec value(String name, String label, String help) {
            return add(new Option(name, Kind.VALUE, label, help, group));
        }

        public Spec repeated(String name) {
            return repeated(name, "VALUE", "");
        }

        public Spec repeated(String name, String label, String help) {
            return add(new Option(name, Kind.REPEATED, label, help, group));
        }

        /** The command's positional arguments, as its help shows them; without this it takes none. */
        public Spec positional(String label, String help) {
            this.positionalLabel = label;
            this.positionalHelp = help;
            return this;
        }

        /**
         * The options {@code adder} declares belong to the shared group {@code name} (such as the
         * connection options every fleet command takes): the reference describes them once.
         */
        public Spec group(String name, java.util.function.UnaryOperator<Spec> adder) {
            String outer = group;
            group = name;
            try {
                return adder.apply(this);
            } finally {
                group = outer;
            }
        }

        private Spec add(Option option) {
            options.put(option.name(), option);
            return this;
        }

        public List<Option> options() {
            return List.copyOf(options.values());
        }

        public String positionalLabel() {
            return positionalLabel;
        }

        public String positionalHelp() {
            return positionalHelp;
        }

        String names() {
            return options.isEmpty() ? "none" : String.join(", ", options.keySet().stream().map(n -> "--" + n).toList());
        }

        /** These options as picocli's model, on {@code spec}, with {@code -h/--help}. */
        void declareOn(CommandSpec spec) {
            for (Option o : options.values()) {
                OptionSpec.Builder b = OptionSpec.builder("--" + o.name()).description(CommandLines.escape(o.help()));
                switch (o.kind()) {
                    case FLAG -> b.arity("0").type(boolean.class);
                    case VALUE -> b.arity("1").type(String.class).paramLabel(o.label());
                    case REPEATED -> b.arity("1").type(List.class).auxiliaryTypes(String.class).paramLabel(o.label());
                }
                spec.addOption(b.build());
            }
            spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("show this command's help").build());
            // Every argument that is not an option is gathered here; the command checks how many it takes.
            spec.addPositional(PositionalParamSpec.builder().arity("0..*").type(List.class).auxiliaryTypes(String.class)
                    .paramLabel(positionalLabel.isEmpty() ? "ARG" : positionalLabel).hideParamSyntax(true).hidden(positionalLabel.isEmpty())
                    .description(CommandLines.escape(positionalHelp)).build());
        }
    }

    /** Parses {@code argv} as the arguments of {@code command}, a command on its own (no subcommands). */
    public static Args parse(String command, List<String> argv, Spec spec) {
        CommandSpec model = CommandSpec.create().name(command);
        spec.declareOn(model);
        CommandLine line = CommandLines.configure(new CommandLine(model));
        try {
            return of(command, line.parseArgs(argv.toArray(String[]::new)));
        } catch (CommandLine.ParameterException e) {
            throw usage(command, spec, e);
        }
    }

    /** The arguments picocli matched for one command. */
    static Args of(String command, ParseResult result) {
        Args args = new Args(command);
        for (OptionSpec option : result.matchedOptions()) {
            if (option.usageHelp() || option.versionHelp()) {
                continue;
            }
            String name = option.longestName().substring(2);
            args.values.putIfAbsent(name, option.typeInfo().isBoolean() ? List.of("true") : List.copyOf(option.stringValues()));
        }
        for (PositionalParamSpec p : result.matchedPositionals()) {
            args.positional.addAll(p.stringValues());
        }
        return args;
    }

    /** What picocli found wrong, in floe's words: the option and what was expected. */
    static UsageException usage(String command, Spec spec, CommandLine.ParameterException e) {
        String option = optionNamed(e);
        return switch (e) {
            case CommandLine.UnmatchedArgumentException u when !u.getUnmatched().isEmpty() && u.getUnmatched().getFirst().startsWith("-") ->
                    new UsageException("unknown option " + u.getUnmatched().getFirst().split("=", 2)[0] + " for '" + command
                            + "' (expected one of: " + spec.names() + ")");
            case CommandLine.MissingParameterException m when option != null -> new UsageException(option + " needs a value");
            case CommandLine.OverwrittenOptionException o when option != null -> new UsageException(option + " given twice");
            case CommandLine.MaxValuesExceededException m when option != null -> new UsageException(option + " takes no value");
            default -> new UsageException(e.getMessage());
        };
    }

    /** The option a parse error is about, if one. */
    private static String optionNamed(CommandLine.ParameterException e) {
        CommandLine.Model.ArgSpec arg = switch (e) {
            case CommandLine.MissingParameterException m when !m.getMissing().isEmpty() -> m.getMissing().getFirst();
            case CommandLine.OverwrittenOptionException o -> o.getOverwritten();
            default -> e.getArgSpec();
        };
        if (arg instanceof OptionSpec o) {
            return o.longestName();
        }
        java.util.regex.Matcher named = java.util.regex.Pattern.compile("option '(--[a-z0-9-]+)'").matcher(String.valueOf(e.getMessage()));
        return named.find() ? named.group(1) : null;
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
