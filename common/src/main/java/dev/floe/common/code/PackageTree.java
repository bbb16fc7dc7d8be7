package dev.floe.common.code;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The paths of a package as they would stand on disk once unpacked: files, symbolic links and
 * directories (named by an entry, or implied by the path of one under them). It refuses, as each entry
 * comes, what a disk could not hold: a path twice (a directory named twice is fine), and a path under
 * a file or a symbolic link (a link {@code sub} and a file {@code sub/x}: on disk {@code sub/x} would be
 * written through the link, or the link could not be made). Once every entry is in, {@link
 * #checkLinks()} resolves each link the way the kernel does (component by component, following links
 * met on the way, at most {@value #MAX_LINK_HOPS} of them as Linux's {@code MAXSYMLINKS}) and refuses
 * one that leaves the package, loops, or names nothing in it.
 */
final class PackageTree {
    /** Linux follows at most 40 links resolving one path (path_resolution(7)). */
    static final int MAX_LINK_HOPS = 40;

    private enum Kind { FILE, LINK, DIRECTORY }

    /** A path's kind; for a directory only implied so far, the entry that implied it. */
    private record Node(Kind kind, String target, String impliedBy) {}

    private final Map<String, Node> nodes = new HashMap<>();
    private final Map<String, String> links = new LinkedHashMap<>();

    void directory(String path) throws PackageException {
        parents(path);
        Node existing = nodes.get(path);
        if (existing != null && existing.kind() != Kind.DIRECTORY) {
            throw new PackageException("entry \"" + Names.printable(path) + "\" is named twice, as a " + name(existing.kind())
                    + " and as a directory (expected: each path once)");
        }
        nodes.put(path, new Node(Kind.DIRECTORY, null, null));
    }

    void file(String path) throws PackageException {
        add(path, new Node(Kind.FILE, null, null));
    }

    void link(String path, String target) throws PackageException {
        add(path, new Node(Kind.LINK, target, null));
        links.put(path, target);
    }

    private void add(String path, Node node) throws PackageException {
        parents(path);
        Node existing = nodes.get(path);
        if (existing != null) {
            if (existing.impliedBy() != null) {
                throw new PackageException("entry \"" + Names.printable(path) + "\" is a " + name(node.kind())
                        + " and also the directory of \"" + Names.printable(existing.impliedBy())
                        + "\" (expected: each path once, as a file, a directory or a symbolic link)");
            }
            throw new PackageException(existing.kind() == node.kind()
                    ? "entry \"" + Names.printable(path) + "\" appears twice (expected: each path once)"
                    : "entry \"" + Names.printable(path) + "\" is named twice, as a " + name(existing.kind()) + " and as a "
                            + name(node.kind()) + " (expected: each path once)");
        }
        nodes.put(path, node);
    }

    /** Makes the directories above {@code path}, refusing one that is a file or a link. */
    private void parents(String path) throws PackageException {
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
            String parent = path.substring(0, slash);
            Node node = nodes.get(parent);
            if (node == null) {
                nodes.put(parent, new Node(Kind.DIRECTORY, null, path));
            } else if (node.kind() != Kind.DIRECTORY) {
                throw new PackageException("entry \"" + Names.printable(path) + "\" is under \"" + Names.printable(parent)
                        + "\", a " + name(node.kind()) + " (expected: each path once, as a file, a directory or a symbolic link;"
                        + " nothing under a file or a link)");
            }
        }
    }

    /** Refuses a link that, resolved as the kernel would, leaves the package, loops or names nothing. */
    void checkLinks() throws PackageException {
        for (Map.Entry<String, String> link : links.entrySet()) {
            String path = link.getKey();
            String target = link.getValue();
            List<String> from = components(path);
            from.removeLast();
            if (climbsOut(from, target)) {
                throw outside(path, target); // by its text alone, whatever the links on the way
            }
            int[] hops = {0};
            Result result = resolve(from, target, hops);
            switch (result.outcome) {
                case INSIDE -> { }
                case OUTSIDE -> throw outside(path, target);
                case MISSING -> throw new PackageException("symbolic link \"" + Names.printable(path) + "\" -> \"" + Names.printable(target)
                        + "\" points to nothing in the package (expected: a target inside the package)");
                case LOOP -> throw new PackageException("symbolic link \"" + Names.printable(path) + "\" -> \"" + Names.printable(target)
                        + "\" does not resolve: more than " + MAX_LINK_HOPS + " links on the way (expected: a target inside the package)");
                case NOT_A_DIRECTORY -> throw new PackageException("symbolic link \"" + Names.printable(path) + "\" -> \""
                        + Names.printable(target) + "\" goes through a file as if it were a directory (expected: a target inside the package)");
            }
        }
    }

    static PackageException outside(String path, String target) {
        return new PackageException("symbolic link \"" + Names.printable(path) + "\" -> \"" + Names.printable(target)
                + "\" points outside the package (expected: a relative target inside the package)");
    }

    private enum Outcome { INSIDE, OUTSIDE, MISSING, LOOP, NOT_A_DIRECTORY }

    private record Result(Outcome outcome, List<String> path) {}

    /** Resolves {@code target} from the directory {@code from} (components under the root). */
    private Result resolve(List<String> from, String target, int[] hops) {
        if (target.startsWith("/")) {
            return new Result(Outcome.OUTSIDE, null);
        }
        List<String> at = new ArrayList<>(from);
        String[] parts = target.split("/");
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (isFile(at)) {
                return new Result(Outcome.NOT_A_DIRECTORY, null);
            }
            if (part.equals("..")) {
                if (at.isEmpty()) {
                    return new Result(Outcome.OUTSIDE, null);
                }
                at.removeLast();
                continue;
            }
            at.add(part);
            Node node = nodes.get(String.join("/", at));
            if (node == null) {
                return new Result(Outcome.MISSING, null);
            }
            if (node.kind() == Kind.LINK) {
                if (++hops[0] > MAX_LINK_HOPS) {
                    return new Result(Outcome.LOOP, null);
                }
                at.removeLast();
                Result via = resolve(at, node.target(), hops);
                if (via.outcome() != Outcome.INSIDE) {
                    return via;
                }
                at = new ArrayList<>(via.path());
            }
        }
        if (target.endsWith("/") && isFile(at)) {
            return new Result(Outcome.NOT_A_DIRECTORY, null);
        }
        return new Result(Outcome.INSIDE, at);
    }

    private boolean isFile(List<String> at) {
        Node node = at.isEmpty() ? null : nodes.get(String.join("/", at));
        return node != null && node.kind() == Kind.FILE;
    }

    /** Whether {@code target}, read as text from {@code from}, climbs above the root. */
    private static boolean climbsOut(List<String> from, String target) {
        int depth = from.size();
        for (String part : target.split("/")) {
            if (part.equals("..")) {
                if (--depth < 0) {
                    return true;
                }
            } else if (!part.isEmpty() && !part.equals(".")) {
                depth++;
            }
        }
        return false;
    }

    private static List<String> components(String path) {
        return new ArrayList<>(List.of(path.split("/")));
    }

    private static String name(Kind kind) {
        return switch (kind) {
            case FILE -> "file";
            case LINK -> "symbolic link";
            case DIRECTORY -> "directory";
        };
    }
}
