package dev.floe.client.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** {@code floe help}: every command's usage lines and summary, by section, from the commands' declarations. */
final class Help {
    /** Where summaries start. */
    private static final int COLUMN = 45;

    private Help() {}

    static void print(PrintStream out, List<FloeCommand> commands) {
        StringBuilder text = new StringBuilder();
        text.append("usage: floe COMMAND [ARGS]   (floe COMMAND --help shows one command's help and options)\n");
        wrap(text, "", "Commands that talk to a fleet take --endpoint HOST:PORT (default $FLOE_ENDPOINT or " + Cli.DEFAULT_ENDPOINT
                + "), --token-file FILE (default $FLOE_TOKEN or ~/.floe/token) and, for TLS, --tls-dir DIR (its ca.pem, cert.pem,"
                + " key.pem), --tls-ca/--tls-cert/--tls-key FILE, or --tls (~/.floe/tls); default plaintext. Exit status: 0 done"
                + " (an invocation that ran, function errors included), 1 refused by Floe or Floe unreachable, 2 a wrong command line.");
        FloeCommand.Section section = null;
        for (FloeCommand command : commands) {
            if (command.section() != section) {
                section = command.section();
                text.append('\n').append(section.title()).append('\n');
            }
            entries(text, command, command.name());
        }
        out.print(text);
    }

    /** A command's entries: its usage lines, then its summary at {@link #COLUMN}; a group's subcommands' instead. */
    private static void entries(StringBuilder text, FloeCommand command, String path) {
        if (command.action() == null) {
            for (FloeCommand sub : command.subcommands()) {
                entries(text, sub, path + " " + sub.name());
            }
            return;
        }
        List<String> lines = CommandLines.synopsis(command, path);
        for (int i = 0; i < lines.size() - 1; i++) {
            text.append("  ").append(lines.get(i)).append('\n');
        }
        String last = "  " + lines.getLast();
        if (last.length() + 2 <= COLUMN) {
            text.append(last).append(" ".repeat(COLUMN - last.length()));
            wrapFrom(text, command.summary());
        } else {
            text.append(last).append('\n').append(" ".repeat(COLUMN));
            wrapFrom(text, command.summary());
        }
    }

    /** {@code words} from the current column on, continued at {@link #COLUMN}. */
    private static void wrapFrom(StringBuilder text, String words) {
        List<String> lines = lines(words, CommandLines.WIDTH - COLUMN);
        for (int i = 0; i < lines.size(); i++) {
            text.append(i == 0 ? "" : " ".repeat(COLUMN)).append(lines.get(i)).append('\n');
        }
    }

    private static void wrap(StringBuilder text, String indent, String words) {
        for (String line : lines(words, CommandLines.WIDTH - indent.length())) {
            text.append(indent).append(line).append('\n');
        }
    }

    private static List<String> lines(String words, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : words.split(" ")) {
            if (!line.isEmpty() && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.isEmpty() ? "" : " ").append(word);
        }
        lines.add(line.toString());
        return lines;
    }
}
