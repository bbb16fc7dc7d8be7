package dev.floe.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterTokenTest {
    @TempDir
    Path dir;

    @Test
    void aTokenIsMadeOnceAndReadBackByEveryoneWhoIsGivenTheFile() throws IOException {
        Path file = dir.resolve("data/token");

        ClusterToken made = ClusterToken.readOrCreate(file);

        assertEquals(made, ClusterToken.readOrCreate(file), "made once");
        assertEquals(made, ClusterToken.read(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(made.reveal() + "\n", Files.readString(file));
        assertEquals(java.util.List.of("token"), listNames(file.getParent()), "no partial file left behind");
        assertNotEquals(made, ClusterToken.generate());
    }

    @Test
    void badTokensAreRefusedWithWhatWasExpected() throws IOException {
        IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class, () -> ClusterToken.parse("abc"));
        assertTrue(tooShort.getMessage().startsWith("token: 3 characters (expected: 16..512 printable ASCII characters"),
                tooShort.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClusterToken.parse("sixteen chars with spaces"));
        assertThrows(IllegalArgumentException.class, () -> ClusterToken.parse("é".repeat(20)));

        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        IOException unreadable = assertThrows(IOException.class, () -> ClusterToken.read(empty));
        assertTrue(unreadable.getMessage().startsWith(empty + ": token: 0 characters"), unreadable.getMessage());
        IOException missing = assertThrows(IOException.class, () -> ClusterToken.read(dir.resolve("none")));
        assertTrue(missing.getMessage().startsWith("cannot read the cluster token in " + dir.resolve("none")), missing.getMessage());
    }

    private static java.util.List<String> listNames(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
