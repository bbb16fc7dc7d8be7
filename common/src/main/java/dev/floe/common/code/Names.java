package dev.floe.common.code;

import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Entry names of a package: where each lands under the package's root, and how to show one in a message. */
final class Names {
    private static final Pattern WINDOWS_DRIVE = Pattern.compile("^[A-Za-z]:.*");
    /** Linux's limits on a name and a path (limits.h: NAME_MAX, PATH_MAX less room for the unpack directory). */
    static final int NAME_MAX = 255;
    static final int PATH_MAX = 3072;

    private Names() {}

    /**
     * The path an entry lands at, relative to the root, with empty and {@code .} segments dropped
     * ({@code ""} for the root itself); refuses a name that is absolute, climbs with {@code ..} (anywhere:
     * even a climb that stays inside is refused, so no two spellings of one path meet), or holds a NUL.
     */
    static String normalize(String name) throws PackageException {
        boolean absolute = name.startsWith("/") || name.startsWith("\\") || WINDOWS_DRIVE.matcher(name).matches();
        List<String> kept = new ArrayList<>();
        boolean climbs = false;
        for (String segment : name.split("/")) {
            for (String part : segment.split("\\\\")) {
                climbs |= part.equals("..");
            }
            if (!segment.isEmpty() && !segment.equals(".")) {
                kept.add(segment);
            }
        }
        if (absolute || climbs) {
            throw new PackageException("entry \"" + printable(name) + "\" points outside the package"
                    + " (expected: relative paths without \"..\")");
        }
        if (name.indexOf('\0') >= 0) {
            throw new PackageException("entry \"" + printable(name) + "\" holds a NUL character (expected: a path of text)");
        }
        for (String segment : kept) {
            int bytes = segment.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > NAME_MAX) {
                throw new PackageException("entry \"" + printable(name) + "\" has a name of " + bytes + " bytes (expected: at most "
                        + NAME_MAX + " per file or directory name, the file system's limit)");
            }
        }
        String path = String.join("/", kept);
        if (path.getBytes(StandardCharsets.UTF_8).length > PATH_MAX) {
            throw new PackageException("entry \"" + printable(name) + "\" has a path of more than " + PATH_MAX + " bytes (expected: at most "
                    + PATH_MAX + ")");
        }
        try {
            Path.of(path);
        } catch (InvalidPathException e) {
            throw new PackageException("entry \"" + printable(name) + "\" is not a path this machine can write (" + e.getReason()
                    + "; expected: UTF-8 names, with the JVM's sun.jnu.encoding UTF-8)");
        }
        return path;
    }

    /** A name from a hostile zip, fit for a message: control characters escaped, length bounded. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 200; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return s.length() > 200 ? b + "..." : b.toString();
    }
}
