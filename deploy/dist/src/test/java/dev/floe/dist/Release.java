package dev.floe.dist;

import dev.floe.launcher.BuildInfo;
import dev.floe.testing.TestDirs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The release archive this build made, unpacked in a directory of the test's own (never under the source
 * tree, never under /tmp, which environments mount over), and run as a user on a machine with no JDK
 * would: a PATH with the machine's commands but no java, no JAVA_HOME, and the working directory elsewhere.
 */
final class Release implements AutoCloseable {
    /** What a JDK puts on the PATH: none of it may be there. */
    private static final List<String> JDK_COMMANDS = List.of("java", "javac", "jar", "jshell", "keytool", "jlink", "jcmd", "jps",
            "jstack", "jmap", "jinfo", "jstat", "jdb", "javadoc", "javap", "jdeps", "jfr", "jrunscript", "jwebserver", "rmiregistry",
            "serialver", "jarsigner", "jpackage", "jimage", "jhsdb", "jconsole", "jdeprscan", "jmod", "jstatd");

    private final Path dir;
    private final Path home;
    private final Path path;

    private Release(Path dir, Path home, Path path) {
        this.dir = dir;
        this.home = home;
        this.path = path;
    }

    static Path archive() {
        return Path.of("target", "floe-" + BuildInfo.version() + "-linux-x86_64.tar.gz").toAbsolutePath();
    }

    static Release unpack() throws Exception {
        Path dir = TestDirs.create("release");
        Path archive = archive();
        if (!Files.exists(archive)) {
            throw new AssertionError("no release archive at " + archive + " (expected: made by this module's package phase)");
        }
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", dir.toString()).inheritIO().start();
        if (tar.waitFor() != 0) {
            throw new AssertionError("tar -xzf " + archive + " failed");
        }
        Path home = dir.resolve("floe-" + BuildInfo.version());
        return new Release(dir, home, noJdkPath(dir.resolve("path")));
    }

    /** A directory of links to every command of the machine's PATH but a JDK's. */
    private static Path noJdkPath(Path bin) throws IOException {
        Files.createDirectories(bin);
        for (String entry : List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")) {
            Path from = Path.of(entry);
            if (!Files.isDirectory(from)) {
                continue;
            }
            try (Stream<Path> commands = Files.list(from)) {
                for (Path command : commands.toList()) {
                    String name = command.getFileName().toString();
                    if (!JDK_COMMANDS.contains(name) && !Files.exists(bin.resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        Files.createSymbolicLink(bin.resolve(name), command);
                    }
                }
            }
        }
        return bin;
    }

    /** Where the archive was unpacked; the test's other files go here too. */
    Path dir() {
        return dir;
    }

    /** The release's top directory, floe-VERSION. */
    Path home() {
        return home;
    }

    /** The environment floe runs with: the PATH without a JDK, no JAVA_HOME, a HOME of the test's. */
    Map<String, String> environment() {
        return Map.of("PATH", path.toString(), "HOME", dir.resolve("home").toString(), "LANG", "C.UTF-8");
    }

    private ProcessBuilder builder(List<String> prefix, String... args) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.add(home.resolve("bin/floe").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(Files.createDirectories(dir.resolve("cwd")).toFile());
        builder.environment().clear();
        builder.environment().putAll(environment());
        return builder;
    }

    record Run(int status, String output) {}

    /** {@code bin/floe ARGS}, to its end. */
    Run floe(Duration timeout, String... args) throws Exception {
        return floeIn(List.of(), timeout, args);
    }

    /** {@code bin/floe ARGS} after {@code prefix} (e.g. nsenter into a namespace), to its end. */
    Run floeIn(List<String> prefix, Duration timeout, String... args) throws Exception {
        Process process = builder(prefix, args).redirectErrorStream(true).start();
        try {
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("floe " + String.join(" ", args) + " did not finish within " + timeout);
            }
            return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }

    /** {@code bin/floe ARGS} in the background, what it prints in {@code log}. */
    Process start(Path log, String... args) throws IOException {
        return startIn(List.of(), log, args);
    }

    Process startIn(List<String> prefix, Path log, String... args) throws IOException {
        Files.createDirectories(log.getParent());
        return builder(prefix, args).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** SIGTERM, as a service manager stops a server, then a bounded wait. */
    static void stop(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("a floe server did not stop within 60 s of SIGTERM");
        }
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        TestDirs.delete(dir);
    }
}
