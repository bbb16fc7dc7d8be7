package dev.floe.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.zip.UnixStat;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/** Code packages with symbolic links, which java.util.zip cannot write: for the package checks' tests. */
public final class LinkZips {
    private LinkZips() {}

    /** A zip with a bootstrap and these symbolic links (name, target, name, target...). */
    public static byte[] withLinks(String... namesAndTargets) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            ZipArchiveEntry bootstrap = new ZipArchiveEntry("bootstrap");
            bootstrap.setUnixMode(UnixStat.FILE_FLAG | 0755);
            zip.putArchiveEntry(bootstrap);
            zip.write("#!/bin/sh\n".getBytes(StandardCharsets.UTF_8));
            zip.closeArchiveEntry();
            for (int i = 0; i < namesAndTargets.length; i += 2) {
                ZipArchiveEntry link = new ZipArchiveEntry(namesAndTargets[i]);
                link.setUnixMode(UnixStat.LINK_FLAG | 0777);
                zip.putArchiveEntry(link);
                zip.write(namesAndTargets[i + 1].getBytes(StandardCharsets.UTF_8));
                zip.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
