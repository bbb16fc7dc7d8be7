package dev.floe.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.client.cli.Cli;
import dev.floe.client.cli.FloeCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The command reference in docs/CLI.md is what {@code floe help --markdown} makes from the commands'
 * declarations, with every module's commands on the class path, as in the release.
 */
class CliReferenceTest {
    private static final Path REFERENCE = Path.of("../../docs/CLI.md");

    @Test
    void theCommittedReferenceIsTheOneTheDeclarationsMake() throws Exception {
        String made = run("help", "--markdown");
        String committed = Files.exists(REFERENCE) ? Files.readString(REFERENCE) : "";
        assertEquals(made, committed, "docs/CLI.md is stale: remake it with ./floe help --markdown > docs/CLI.md");
    }

    @Test
    void everyCommandIsFoundAndEveryOptionIsDescribed() throws Exception {
        List<FloeCommand> commands = Cli.discover();
        List<String> names = commands.stream().map(FloeCommand::name).toList();
        for (String expected : List.of("demo", "up", "controller", "worker", "fn", "invoke", "alias", "tls", "bench", "simulate", "chaos")) {
            assertTrue(names.contains(expected), expected + " in " + names);
        }
        for (FloeCommand command : commands) {
            assertDescribed(command, command.name());
        }
    }

    @Test
    void theCompletionScriptCompletesCommandsSubcommandsAndOptions() {
        String script = run("completion");
        assertTrue(script.contains("complete -F _complete_floe"), script.lines().limit(20).toList().toString());
        for (String word : List.of("invoke", "bench-fleet", "create", "revisions", "--payload-file", "--tls-dir", "--keep-alive")) {
            assertTrue(script.contains(word), word + " in the completion script");
        }
    }

    private static void assertDescribed(FloeCommand command, String path) {
        for (FloeCommand sub : command.subcommands()) {
            assertDescribed(sub, path + " " + sub.name());
        }
        command.options().options().forEach(o -> assertTrue(!o.help().isBlank(), "floe " + path + " --" + o.name() + " has no help"));
    }

    private static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = new Cli(new PrintStream(out, true, StandardCharsets.UTF_8), System.err, Map.of()).run(args);
        assertEquals(0, status);
        return out.toString(StandardCharsets.UTF_8);
    }
}
