package dev.floe.controller.function;

import dev.floe.common.CodePackages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Code packages for tests: good ones through {@link CodePackages}, hostile ones written entry by entry. */
public final class Packages {
    private Packages() {}

    /** A package whose bootstrap prints {@code marker}, so two calls with different markers differ. */
    public static byte[] bootstrap(String marker) {
        return CodePackages.zipFiles(Map.of("bootstrap", "#!/bin/sh\necho " + marker + "\n"));
    }

    /** A zip with exactly these entry names, as given (no normalisation, so ".." survives). */
    public static byte[] raw(String... namesAndContents) {
        Map<String, String> entries = new LinkedHashMap<>();
        for (int i = 0; i < namesAndContents.length; i += 2) {
            entries.put(namesAndContents[i], namesAndContents[i + 1]);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

}
