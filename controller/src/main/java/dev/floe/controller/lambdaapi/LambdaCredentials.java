package dev.floe.controller.lambdaapi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * The access keys the Lambda API accepts: every request must carry a valid SigV4 signature made with
 * one of them. {@link #readOrCreate(Path)} (the controller's default) makes a key on first start and
 * keeps it in a file only its user can read, so code running in a function (another user) cannot sign
 * requests; {@link #read(Path)} loads keys an operator wrote; {@link #anyone()} accepts every request,
 * signed or not, as a local Lambda emulator does, and then whatever reaches the port, a function's code
 * included, can read and change every function.
 *
 * <p>The file has one key per line, {@code ACCESS_KEY_ID SECRET_ACCESS_KEY}, separated by spaces or
 * a tab; blank lines and lines starting with {@code #} are ignored.
 */
public final class LambdaCredentials {
    private final Map<String, String> secrets;

    private LambdaCredentials(Map<String, String> secrets) {
        this.secrets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(secrets));
    }

    /** An access key: its id and its secret. */
    public record Key(String id, String secret) {
        @Override
        public String toString() {
            return "Key[id=" + id + "]"; // never the secret, in a log or a message
        }
    }

    private static final String ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static final String SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /**
     * The keys in {@code file}; if there is no such file, a new random key written there first (0600,
     * its directory made 0700 if new), as the cluster token is: a 20-character id starting {@code FLOE}
     * and a 40-character secret, the shapes of AWS's keys, from a {@link SecureRandom}.
     */
    public static LambdaCredentials readOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            SecureRandom random = new SecureRandom();
            String id = "FLOE" + randomText(random, ID_ALPHABET, 16);
            String secret = randomText(random, SECRET_ALPHABET, 40);
            Path dir = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            Path temp = Files.createTempFile(dir, ".lambda-credentials-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(temp, "# The Lambda API's access key, made by Floe on its first start (ACCESS_KEY_ID SECRET_ACCESS_KEY).\n"
                        + id + " " + secret + "\n");
                try {
                    // Two controllers starting at once on one directory: the first one's key stays.
                    Files.move(temp, file);
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    // read below
                }
            } finally {
                Files.deleteIfExists(temp);
            }
        }
        return read(file);
    }

    private static String randomText(SecureRandom random, String alphabet, int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    /** The first key, e.g. for a local client or an AWS profile; empty for {@link #anyone()}. */
    public Optional<Key> first() {
        return secrets.entrySet().stream().findFirst().map(e -> new Key(e.getKey(), e.getValue()));
    }

    public static LambdaCredentials anyone() {
        return new LambdaCredentials(Map.of());
    }

    public static LambdaCredentials of(Map<String, String> secretsByKeyId) {
        if (secretsByKeyId.isEmpty()) {
            throw new IllegalArgumentException("secretsByKeyId: empty (expected: at least one access key; anyone() accepts every request)");
        }
        secretsByKeyId.forEach(LambdaCredentials::checkKey);
        return new LambdaCredentials(secretsByKeyId);
    }

    public static LambdaCredentials read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        Map<String, String> secrets = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (fields.length != 2) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + fields.length
                        + " fields (expected: ACCESS_KEY_ID SECRET_ACCESS_KEY)");
            }
            if (secrets.putIfAbsent(fields[0], fields[1]) != null) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": access key " + fields[0]
                        + " is given twice (expected: one secret per key)");
            }
        }
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException(file + ": no access keys (expected: lines of ACCESS_KEY_ID SECRET_ACCESS_KEY)");
        }
        return of(secrets);
    }

    /** Whether requests must be signed with a configured key. */
    public boolean required() {
        return !secrets.isEmpty();
    }

    Optional<String> secret(String accessKeyId) {
        return Optional.ofNullable(secrets.get(accessKeyId));
    }

    public int size() {
        return secrets.size();
    }

    private static void checkKey(String id, String secret) {
        if (id == null || id.isBlank() || id.chars().anyMatch(c -> c == '/' || Character.isWhitespace(c))) {
            throw new IllegalArgumentException("access key id: \"" + id + "\" (expected: no spaces or slashes)");
        }
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("secret of " + id + ": empty (expected: a secret access key)");
        }
    }
}
