package dev.floe.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.commons.compress.archivers.zip.UnixStat;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

/**
 * The packages of issue 10 that an upload check once accepted and no worker could unpack: a size
 * under-declared in the zip's headers, a path twice, a file under a symbolic link. Each runs the probe.
 */
public final class HostileZips {
    private HostileZips() {}

    /** The probe, plus {@code megabytes} of zeros declared in both headers as 1,000 bytes. */
    public static byte[] underDeclared(int megabytes) {
        byte[] zip = zip(new String[] {"bootstrap", ProbeFunction.bootstrap(), "0755"},
                new String[] {"zeros", "\0".repeat(megabytes << 20), "0644"});
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        byte[] name = "zeros".getBytes(StandardCharsets.UTF_8);
        for (int at = 0; at + 46 < zip.length; at++) {
            int signature = b.getInt(at);
            if (signature == 0x04034b50 && b.getShort(at + 26) == name.length
                    && Arrays.equals(zip, at + 30, at + 30 + name.length, name, 0, name.length)) {
                b.putInt(at + 22, 1000);
            } else if (signature == 0x02014b50 && b.getShort(at + 28) == name.length
                    && Arrays.equals(zip, at + 46, at + 46 + name.length, name, 0, name.length)) {
                b.putInt(at + 24, 1000);
            }
        }
        return zip;
    }

    /** The probe's bootstrap twice. */
    public static byte[] bootstrapTwice() {
        return zip(new String[] {"bootstrap", ProbeFunction.bootstrap(), "0755"}, new String[] {"bootstrap", "#!/bin/sh\n", "0755"});
    }

    /** The probe, a link {@code sub} -> {@code lib}, and a file {@code sub/x}. */
    public static byte[] fileUnderALink() {
        return zip(new String[] {"bootstrap", ProbeFunction.bootstrap(), "0755"}, new String[] {"sub", "lib", "link"},
                new String[] {"lib/y", "y", "0644"}, new String[] {"sub/x", "x", "0644"});
    }

    /** Entries of name, content and an octal mode, or "link" for a symbolic link to the content. */
    private static byte[] zip(String[]... entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            for (String[] e : entries) {
                ZipArchiveEntry entry = new ZipArchiveEntry(e[0]);
                entry.setUnixMode(e[2].equals("link") ? UnixStat.LINK_FLAG | 0777 : UnixStat.FILE_FLAG | Integer.parseInt(e[2], 8));
                zip.putArchiveEntry(entry);
                zip.write(e[1].getBytes(StandardCharsets.UTF_8));
                zip.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
