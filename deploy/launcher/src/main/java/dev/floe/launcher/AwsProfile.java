package dev.floe.launcher;

import dev.floe.controller.lambdaapi.LambdaCredentials;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The AWS profile {@value #NAME} in a user's {@code ~/.aws/credentials} and {@code ~/.aws/config}, so the
 * AWS CLI and SDKs sign with the local controller's Lambda API key: {@code aws lambda list-functions
 * --profile floe --endpoint-url http://127.0.0.1:7071}, or {@code AWS_PROFILE=floe}. Only that profile's
 * section is written; every other line of the files is kept as it was. The credentials file is the
 * user's alone (0600, in a 0700 {@code ~/.aws} when made here), as the AWS CLI makes it. The config gets
 * the region (any works; the CLI needs one), the endpoint (read by AWS CLI 2.13 and later and recent
 * SDKs, so they need no {@code --endpoint-url}) and, with TLS, the cluster's CA as {@code ca_bundle}.
 */
public final class AwsProfile {
    public static final String NAME = "floe";

    private AwsProfile() {}

    /** Writes the profile under {@code home} for {@code key}, the Lambda API at {@code endpoint} and, if not null, {@code caBundle}. */
    public static void write(Path home, LambdaCredentials.Key key, URI endpoint, Path caBundle) throws IOException {
        Path aws = home.resolve(".aws");
        if (!Files.isDirectory(aws)) {
            Files.createDirectories(aws, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Map<String, String> credentials = new LinkedHashMap<>();
        credentials.put("aws_access_key_id", key.id());
        credentials.put("aws_secret_access_key", key.secret());
        writeSection(aws.resolve("credentials"), NAME, credentials);
        Map<String, String> config = new LinkedHashMap<>();
        config.put("region", "us-east-1");
        config.put("endpoint_url", endpoint.toString());
        config.put("ca_bundle", caBundle == null ? null : caBundle.toAbsolutePath().toString());
        writeSection(aws.resolve("config"), "profile " + NAME, config);
    }

    /**
     * Sets {@code values} in the section {@code [section]} of the INI file {@code file} (a null value
     * removes the key), adding the section at the end if it is not there; writes a temporary file and
     * renames it over the old one, 0600.
     */
    static void writeSection(Path file, String section, Map<String, String> values) throws IOException {
        List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
        List<String> out = new ArrayList<>();
        Map<String, String> pending = new LinkedHashMap<>(values);
        boolean inSection = false;
        boolean found = false;
        for (String line : lines) {
            String trimmed = line.strip();
            if (trimmed.startsWith("[") && trimmed.endsWith("]")) {
                if (inSection) {
                    flush(out, pending);
                }
                inSection = trimmed.substring(1, trimmed.length() - 1).strip().equals(section);
                found |= inSection;
                out.add(line);
                continue;
            }
            if (inSection) {
                int eq = trimmed.indexOf('=');
                String key = eq < 0 ? null : trimmed.substring(0, eq).strip();
                if (key != null && values.containsKey(key)) {
                    String value = pending.remove(key);
                    if (value != null) {
                        out.add(key + " = " + value);
                    }
                    continue;
                }
            }
            out.add(line);
        }
        if (inSection) {
            flush(out, pending);
        }
        if (!found) {
            if (!out.isEmpty() && !out.getLast().isBlank()) {
                out.add("");
            }
            out.add("[" + section + "]");
            flush(out, pending);
        }
        Path temp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName() + "-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(temp, out);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** The values still to write, at the end of the section being left; removals are dropped. */
    private static void flush(List<String> out, Map<String, String> pending) {
        // Before the blank lines that end the section, so it stays one block.
        int at = out.size();
        while (at > 0 && out.get(at - 1).isBlank()) {
            at--;
        }
        for (Map.Entry<String, String> e : pending.entrySet()) {
            if (e.getValue() != null) {
                out.add(at++, e.getKey() + " = " + e.getValue());
            }
        }
        pending.clear();
    }
}
