package dev.floe.client.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command reference in Markdown ({@code floe help --markdown}, committed as {@code docs/CLI.md}),
 * made from the same declarations as the help, so the two cannot disagree.
 */
final class Reference {
    private Reference() {}

    static String markdown(List<FloeCommand> commands) {
        StringBuilder md = new StringBuilder();
        md.append("# Command reference\n\n");
        md.append("<!-- Made by `floe help --markdown` from each command's declaration; a test fails when this file is stale. -->\n\n");
        md.append("`floe help` lists every command; `floe COMMAND --help` shows one, with its options. ");
        md.append("Options take their value as `--name VALUE` or `--name=VALUE`; `--` ends the options. ");
        md.append("Errors are one line on stderr. Exit status: 0 done (an invocation that ran, function errors included), ");
        md.append("1 refused by Floe or Floe unreachable, 2 a wrong command line.\n\n");
        Map<String, Args.Option> shared = new LinkedHashMap<>();
        FloeCommand.Section section = null;
        for (FloeCommand command : commands) {
            if (command.section() != section) {
                section = command.section();
                md.append("## ").append(section.title()).append("\n\n");
            }
            command(md, command, command.name(), shared);
        }
        if (!shared.isEmpty()) {
            md.append("## Connection options\n\n");
            md.append("Every command that talks to a fleet takes these; without TLS options it speaks plaintext.\n\n");
            table(md, List.copyOf(shared.values()));
        }
        return md.toString();
    }

    private static void command(StringBuilder md, FloeCommand command, String path, Map<String, Args.Option> shared) {
        if (command.action() == null) {
            md.append("### `floe ").append(path).append("`\n\n").append(command.summary()).append(".\n\n");
            for (FloeCommand sub : command.subcommands()) {
                command(md, sub, path + " " + sub.name(), shared);
            }
            return;
        }
        md.append("### `floe ").append(path).append("`\n\n```\n");
        for (String line : CommandLines.synopsis(command, path)) {
            md.append("floe ").append(line).append('\n');
        }
        md.append("```\n\n").append(capitalized(command.summary())).append(".\n\n");
        if (!command.description().isEmpty()) {
            md.append(command.description()).append("\n\n");
        }
        if (!command.aliases().isEmpty()) {
            md.append("Also: ").append(String.join(", ", command.aliases().stream().map(a -> "`" + a + "`").toList())).append(".\n\n");
        }
        Args.Spec spec = command.options();
        List<Args.Option> own = spec.options().stream().filter(o -> o.group().isEmpty()).toList();
        if (!spec.positionalLabel().isEmpty()) {
            md.append("`").append(spec.positionalLabel()).append("`: ").append(spec.positionalHelp()).append(".\n\n");
        }
        if (!own.isEmpty()) {
            table(md, own);
        }
        boolean connection = false;
        for (Args.Option o : spec.options()) {
            if (!o.group().isEmpty()) {
                shared.putIfAbsent(o.name(), o);
                connection = true;
            }
        }
        if (connection) {
            md.append("Also takes the [connection options](#connection-options).\n\n");
        }
    }

    private static void table(StringBuilder md, List<Args.Option> options) {
        md.append("| option | |\n| --- | --- |\n");
        for (Args.Option o : options) {
            String shown = "--" + o.name() + (o.kind() == Args.Kind.FLAG ? "" : " " + o.label())
                    + (o.kind() == Args.Kind.REPEATED ? " ..." : "");
            md.append("| `").append(cell(shown)).append("` | ").append(cell(o.help())).append(" |\n");
        }
        md.append('\n');
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    private static String capitalized(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}
