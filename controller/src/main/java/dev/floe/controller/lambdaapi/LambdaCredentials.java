package dev.floe.controller.lambdaapi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The access keys the Lambda API accepts. {@link #anyone()} (the default) accepts every request,
 * signed or not, as a local Lambda emulator does; {@link #read(Path)} loads keys an operator wrote,
 * and then every request must carry a valid SigV4 signature made with one of them.
 *
 * <p>The file has one key per line, {@code ACCESS_KEY_ID SECRET_ACCESS_KEY}, separated by spaces or
 * a tab; blank lines and lines starting with {@code #} are ignored.
 */
public final class LambdaCredentials {
    private final Map<String, String> secrets;

    private LambdaCredentials(Map<String, String> secrets) {
        this.secrets = Map.copyOf(secrets);
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
