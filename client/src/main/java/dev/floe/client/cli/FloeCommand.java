package dev.floe.client.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * One command of {@code floe} (or one subcommand, such as {@code fn create}): its name, its help and
 * its options, declared once beside the code that runs it. Parsing, {@code floe COMMAND --help},
 * {@code floe help}, shell completion and the reference in {@code docs/CLI.md} all read this
 * declaration. A command either runs an {@link Action} or groups subcommands.
 */
public final class FloeCommand {
    /** Where a command is listed in {@code floe help} and the reference, in this order. */
    public enum Section {
        FLEET("Run a fleet"),
        FUNCTIONS("Functions and invocations"),
        OBSERVE("What the fleet runs"),
        SECURITY("TLS"),
        TOOLS("Benchmarks, simulation and chaos"),
        OTHER("Other");

        private final String title;

        Section(String title) {
            this.title = title;
        }

        public String title() {
            return title;
        }
    }

    /** What a command does with its parsed arguments; returns the exit status. */
    @FunctionalInterface
    public interface Action {
        int run(Args args, Cli cli) throws Exception;
    }

    private final String name;
    private final List<String> aliases;
    private final Section section;
    private final List<String> synopsis;
    private final String summary;
    private final String description;
    private final Args.Spec options;
    private final Action action;
    private final List<FloeCommand> subcommands;

    private FloeCommand(Builder b) {
        this.name = b.name;
        this.aliases = List.copyOf(b.aliases);
        this.section = b.section;
        this.summary = b.summary;
        this.description = b.description;
        this.options = b.options;
        this.action = b.action;
        this.subcommands = List.copyOf(b.subcommands);
        this.synopsis = b.synopsis.isEmpty() ? List.of() : List.copyOf(b.synopsis);
    }

    public static Builder named(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    public List<String> aliases() {
        return aliases;
    }

    public Section section() {
        return section;
    }

    /** The command's usage lines without {@code floe} and the parent commands, as declared; empty: made from the options. */
    public List<String> synopsis() {
        return synopsis;
    }

    /** One line: what the command does. */
    public String summary() {
        return summary;
    }

    /** More about it, or {@code ""}. */
    public String description() {
        return description;
    }

    public Args.Spec options() {
        return options;
    }

    /** Null for a command that only groups subcommands. */
    public Action action() {
        return action;
    }

    public List<FloeCommand> subcommands() {
        return subcommands;
    }

    public static final class Builder {
        private final String name;
        private final List<String> aliases = new ArrayList<>();
        private Section section = Section.OTHER;
        private final List<String> synopsis = new ArrayList<>();
        private String summary = "";
        private String description = "";
        private Args.Spec options = new Args.Spec();
        private Action action;
        private final List<FloeCommand> subcommands = new ArrayList<>();

        private Builder(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name: \"" + name + "\" (expected: a command name)");
            }
            this.name = name;
        }

        /** Other names the command answers to ({@code ls} for {@code list}); help shows only its name. */
        public Builder aliases(String... names) {
            aliases.addAll(List.of(names));
            return this;
        }

        public Builder section(Section section) {
            this.section = section;
            return this;
        }

        /** The usage lines, each without {@code floe} (e.g. {@code invoke NAME [--payload JSON]}). */
        public Builder synopsis(String... lines) {
            synopsis.addAll(List.of(lines));
            return this;
        }

        public Builder summary(String summary) {
            this.summary = summary;
            return this;
        }

        public Builder description(String description) {
            this.description = description.strip();
            return this;
        }

        public Builder options(Args.Spec options) {
            this.options = options;
            return this;
        }

        public Builder runs(Action action) {
            this.action = action;
            return this;
        }

        public Builder subcommand(FloeCommand command) {
            subcommands.add(command);
            return this;
        }

        public FloeCommand build() {
            if ((action == null) == subcommands.isEmpty()) {
                throw new IllegalArgumentException("command " + name + ": " + (action == null ? "neither an action nor subcommands"
                        : "both an action and subcommands") + " (expected: one of them)");
            }
            if (summary.isBlank()) {
                throw new IllegalArgumentException("command " + name + ": no summary (expected: one line on what it does)");
            }
            return new FloeCommand(this);
        }
    }
}
