package dev.floe.worker.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What the machine offers a worker, probed once when it opens its sandbox: whether it is root, may
 * mount in a private mount namespace, has loop devices and mkfs.ext4 for /tmp images, and which
 * launcher runs here (the native program, or the shell script).
 */
final class HostProbe {
    private HostProbe() {}

    static TmpVolume.Kind chooseTmp(Sandbox.TmpChoice choice) throws IOException {
        boolean mounts = canMount();
        boolean disk = mounts && Files.exists(Path.of("/dev/loop-control")) && onPath("mkfs.ext4");
        return switch (choice) {
            case DISK -> {
                if (!disk) {
                    throw new IOException("tmp disk asked for, but it needs root, /dev/loop-control and mkfs.ext4");
                }
                yield TmpVolume.Kind.DISK;
            }
            case TMPFS -> {
                if (!mounts) {
                    throw new IOException("tmp tmpfs asked for, but mounting in a private mount namespace is not permitted here");
                }
                yield TmpVolume.Kind.TMPFS;
            }
            case TMPDIR -> TmpVolume.Kind.TMPDIR;
            case AUTO -> disk ? TmpVolume.Kind.DISK : mounts ? TmpVolume.Kind.TMPFS : TmpVolume.Kind.TMPDIR;
        };
    }

    /** Whether this process may create a mount namespace and mount in it. */
    static boolean canMount() {
        try {
            Process probe = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "--",
                    "mount", "-t", "tmpfs", "-o", "size=1m", "floe-probe", "/mnt")
                    .redirectErrorStream(true).redirectOutput(Redirect.DISCARD).start();
            return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Whether this process may switch users: only root may run environments as users of their own. */
    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    static boolean underTmp(Path dir) {
        try {
            return dir.toRealPath().startsWith(Path.of("/tmp"));
        } catch (IOException e) {
            return dir.toAbsolutePath().normalize().startsWith(Path.of("/tmp"));
        }
    }

    static boolean onPath(String program) {
        for (String dir : Optional.ofNullable(System.getenv("PATH")).orElse("/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", program)) || Files.isExecutable(Path.of("/sbin", program));
    }

    /** The launcher's command: the native program if it was built and runs here, else the shell script. */
    static List<String> installLauncher(Path bin, Sandbox.LauncherChoice choice) throws IOException {
        if (choice != Sandbox.LauncherChoice.SCRIPT) {
            Path nativeLauncher = install(bin, "floe-env-launch-" + System.getProperty("os.arch"), "floe-env-launch");
            if (nativeLauncher != null && runs(nativeLauncher)) {
                return List.of(nativeLauncher.toString());
            }
            if (choice == Sandbox.LauncherChoice.NATIVE) {
                throw new IOException("launcher native asked for, but this worker was built without it or it does not run"
                        + " on this machine (" + System.getProperty("os.arch") + ")");
            }
        }
        Path script = install(bin, "floe-env-launch.sh", "floe-env-launch.sh");
        if (script == null) {
            throw new IOException("the launcher script is missing from the worker's jar");
        }
        return List.of("/bin/sh", script.toString());
    }

    /** Copies a resource to {@code bin/name}, executable; null if the jar lacks it. */
    static Path install(Path bin, String resource, String name) throws IOException {
        try (InputStream in = Sandbox.class.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            Path target = bin.resolve(name);
            Path tmp = Files.createTempFile(bin, "launch", ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r-xr-xr-x"));
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        }
    }

    /** Whether a native launcher loads here: run without arguments, it prints its usage and exits 2. */
    static boolean runs(Path program) {
        try {
            Process probe = new ProcessBuilder(program.toString()).redirectErrorStream(true)
                    .redirectOutput(Redirect.DISCARD).start();
            return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 2;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
