package dev.floe.client.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@link FloeCommand} declarations as picocli's model: one tree rooted at {@code floe}, which
 * parses a command line and renders each command's help. Each node's user object is its declaration.
 */
final class CommandLines {
    /** Help is laid out for a terminal of this many columns. */
    static final int WIDTH = 110;

    private CommandLines() {}

    /** floe's settings on a command line and everything under it: {@code @file} is an argument like any other. */
    static CommandLine configure(CommandLine line) {
        line.setExpandAtFiles(false);
        line.setUsageHelpWidth(WIDTH);
        return line;
    }

    /** The whole tree: {@code floe} and every command under it. */
    static CommandLine tree(List<FloeCommand> commands) {
        CommandSpec root = CommandSpec.create().name("floe");
        root.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("show the commands").build());
        root.addOption(OptionSpec.builder("--version").versionHelp(true).description("show the version and commit").build());
        CommandLine line = new CommandLine(root);
        for (FloeCommand command : commands) {
            line.addSubcommand(command.name(), node(command, command.name()), command.aliases().toArray(String[]::new));
        }
        return configure(line);
    }

    private static CommandLine node(FloeCommand command, String path) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command);
        spec.name(command.name());
        if (command.action() != null) {
            command.options().declareOn(spec);
        } else {
            spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("show this command's help").build());
        }
        List<String> description = new ArrayList<>();
        description.add(escape(command.summary()));
        if (!command.description().isEmpty()) {
            description.add("");
            command.description().lines().map(CommandLines::escape).forEach(description::add);
        }
        List<String> synopsis = new ArrayList<>();
        List<String> lines = synopsis(command, path);
        for (int i = 0; i < lines.size(); i++) {
            synopsis.add((i == 0 ? "" : "       ") + escape("floe " + lines.get(i)));
        }
        spec.usageMessage().sortOptions(false).synopsisHeading("usage: ").customSynopsis(synopsis.toArray(String[]::new))
                .description(description.toArray(String[]::new)).descriptionHeading("%n").optionListHeading("%nOptions:%n")
                .parameterListHeading("%nArguments:%n").commandListHeading("%nCommands:%n");
        CommandLine line = new CommandLine(spec);
        for (FloeCommand sub : command.subcommands()) {
            line.addSubcommand(sub.name(), node(sub, path + " " + sub.name()), sub.aliases().toArray(String[]::new));
        }
        return line;
    }

    /**
     * A command's usage lines without {@code floe}: as declared, else made from its options (its own,
     * then {@code [connection options]} for a shared group); a group lists its subcommands'.
     */
    static List<String> synopsis(FloeCommand command, String path) {
        if (!command.synopsis().isEmpty()) {
            return command.synopsis();
        }
        if (command.action() == null) {
            return List.of(path + " " + String.join("|", command.subcommands().stream().map(FloeCommand::name).toList()) + " ...");
        }
        StringBuilder line = new StringBuilder(path);
        Args.Spec spec = command.options();
        if (!spec.positionalLabel().isEmpty()) {
            line.append(' ').append(spec.positionalLabel());
        }
        List<String> groups = new ArrayList<>();
        for (Args.Option o : spec.options()) {
            if (!o.group().isEmpty()) {
                if (!groups.contains(o.group())) {
                    groups.add(o.group());
                }
                continue;
            }
            line.append(" [--").append(o.name()).append(o.kind() == Args.Kind.FLAG ? "" : " " + o.label())
                    .append(o.kind() == Args.Kind.REPEATED ? "]..." : "]");
        }
        return List.of(line.toString());
    }

    /** The usage of the command {@code line} stands for, as {@code floe COMMAND --help} prints it. */
    static String usage(CommandLine line) {
        return line.getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    /** picocli reads help text as a format string: a literal percent sign is doubled. */
    static String escape(String text) {
        return text.replace("%", "%%");
    }
}
