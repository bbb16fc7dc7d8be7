package dev.floe.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Builds function code packages: zip files that keep each file's Unix permissions, so a
 * {@code bootstrap} stays executable on the worker, as Lambda requires.
 */
public final class CodePackages {
    private static final Set<PosixFilePermission> EXECUTABLE = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> REGULAR = PosixFilePermissions.fromString("rw-r--r--");

    private CodePackages() {}

    /** Zips a directory's files (symbolic links are followed) with their permissions. */
    public static byte[] zipDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("code: " + dir + " (expected: a directory or a .zip file)");
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> files = walk.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).toList();
            return zip(files.stream().map(f -> new Entry(dir.relativize(f).toString(), read(f), permissions(f))).toList());
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Zips files given by name; {@code bootstrap} and names ending in {@code .sh} are made executable. */
    public static byte[] zipFiles(Map<String, String> files) {
        return zip(files.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> new Entry(e.getKey(), e.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        isExecutableName(e.getKey()) ? EXECUTABLE : REGULAR))
                .toList());
    }

    /** A file to put in a package. */
    public record Entry(String name, byte[] content, Set<PosixFilePermission> permissions) {}

    /**
     * The same files make the same package, byte for byte, whenever they are zipped: entries in name
     * order, and every time (modified, accessed, created) this one. Zip times are local, so machines in
     * different time zones make packages that differ in their times. So unchanged code keeps
     * its SHA-256, and a new revision with it reuses the package already stored and cached.
     */
    public static byte[] zip(List<Entry> entries) {
        FileTime fixed = FileTime.from(LocalDateTime.of(2000, 1, 1, 0, 0).atZone(ZoneId.systemDefault()).toInstant());
        List<Entry> ordered = entries.stream().sorted(Comparator.comparing(Entry::name)).toList();
        Path tmp = null;
        try {
            tmp = Files.createTempFile("floe-package-", ".zip");
            Files.delete(tmp);
            URI uri = URI.create("jar:" + tmp.toUri());
            try (FileSystem zip = FileSystems.newFileSystem(uri, Map.of("create", "true", "enablePosixFileAttributes", "true"))) {
                for (Entry entry : ordered) {
                    Path target = zip.getPath(entry.name());
                    if (target.getParent() != null) {
                        Files.createDirectories(target.getParent());
                        for (Path dir = target.getParent(); dir != null; dir = dir.getParent()) {
                            setTimes(dir, fixed);
                        }
                    }
                    Files.write(target, entry.content());
                    Files.setPosixFilePermissions(target, entry.permissions());
                    setTimes(target, fixed);
                }
            }
            return Files.readAllBytes(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("building a code package: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    /** All three times: the zip keeps access and creation times too, in an extra field. */
    private static void setTimes(Path entry, FileTime time) throws IOException {
        Files.getFileAttributeView(entry, java.nio.file.attribute.BasicFileAttributeView.class).setTimes(time, time, time);
    }

    private static boolean isExecutableName(String name) {
        String base = name.substring(name.lastIndexOf('/') + 1);
        return base.equals("bootstrap") || base.endsWith(".sh");
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + ": " + e.getMessage(), e);
        }
    }

    private static Set<PosixFilePermission> permissions(Path file) {
        try {
            return Files.getPosixFilePermissions(file);
        } catch (IOException | UnsupportedOperationException e) {
            return Files.isExecutable(file) ? EXECUTABLE : REGULAR;
        }
    }
}
