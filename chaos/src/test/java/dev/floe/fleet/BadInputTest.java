package dev.floe.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.common.CodePackages;
import dev.floe.common.ErrorType;
import dev.floe.common.FloeException;
import dev.floe.common.HostPort;
import dev.floe.proto.Environment;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.InvokeResponse;
import dev.floe.proto.UpdateFunctionRequest;
import dev.floe.testing.ProbeFunction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.zip.UnixStat;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input never harms the fleet: every kind a user (or a stranger on the network) can send gets a
 * clear error saying what was expected, and the function accepted before keeps answering from the
 * same warm environment afterwards.
 */
class BadInputTest {
    private static final FunctionConfig.Builder PROBE = FunctionConfig.newBuilder().setRuntime("provided").setHandler("probe.handler");
    private static FleetFixture fleet;

    @BeforeAll
    static void start() throws Exception {
        fleet = new FleetFixture(1);
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    @Test
    void badFunctionsAndInvocationsAreRefusedClearlyAndTheAcceptedOneKeepsServing() throws IOException {
        fleet.createProbe("steady", FunctionConfig.newBuilder());
        InvokeResponse before = fleet.invoke("steady", "{\"op\":\"count\"}");

        refused(ErrorType.INVALID_PARAMETER, "expected: 1 to 64 letters", () -> create("bad name!", ProbeFunction.zip(), PROBE));
        refused(ErrorType.INVALID_PARAMETER, "expected: 128..10240", () -> create("m", ProbeFunction.zip(), PROBE.clone().setMemoryMb(64)));
        refused(ErrorType.INVALID_PARAMETER, "expected: 1..900", () -> create("t", ProbeFunction.zip(), PROBE.clone().setTimeoutSeconds(901)));
        refused(ErrorType.INVALID_PARAMETER, "code: not a zip file", () -> create("z", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), PROBE));
        refused(ErrorType.INVALID_PARAMETER, "code: entry \"../../etc/cron.d/x\" points outside the package",
                () -> create("slip", rawZip("bootstrap", "x", "../../etc/cron.d/x", "y"), PROBE));
        refused(ErrorType.INVALID_PARAMETER, "code: symbolic link \"lib\" -> \"/etc\" points outside the package",
                () -> create("link", dev.floe.testing.LinkZips.withLinks("lib", "/etc"), PROBE));
        refused(ErrorType.INVALID_PARAMETER, "this looks like a zip bomb",
                () -> create("bomb", rawZip("bootstrap", "x", "zeros", "\0".repeat(80 << 20)), PROBE));
        // Issue 10: packages an upload check accepted that no worker could unpack, so that every invocation failed.
        refused(ErrorType.INVALID_PARAMETER, "code: unpacks to more than 67108864 bytes from",
                () -> create("underdeclared", dev.floe.testing.HostileZips.underDeclared(300), PROBE));
        refused(ErrorType.INVALID_PARAMETER, "code: entry \"bootstrap\" appears twice (expected: each path once)",
                () -> create("twice", dev.floe.testing.HostileZips.bootstrapTwice(), PROBE));
        refused(ErrorType.INVALID_PARAMETER, "code: entry \"sub/x\" is under \"sub\", a symbolic link",
                () -> create("underlink", dev.floe.testing.HostileZips.fileUnderALink(), PROBE));
        refused(ErrorType.INVALID_PARAMETER, "code: no bootstrap at the root of the package",
                () -> create("nob", CodePackages.zipFiles(Map.of("main.sh", "echo")), PROBE));
        refused(ErrorType.INVALID_PARAMETER, "code: no bootstrap",
                () -> fleet.client.updateFunction(UpdateFunctionRequest.newBuilder().setName("steady")
                        .setCodeZip(com.google.protobuf.ByteString.copyFrom(CodePackages.zipFiles(Map.of("x", "y")))).build()));
        refused(ErrorType.REQUEST_TOO_LARGE, "expected: at most 6291456",
                () -> fleet.client.invoke("steady", new byte[6 * 1024 * 1024 + 1], false));
        refused(ErrorType.RESOURCE_NOT_FOUND, "function ghost not found", () -> fleet.invoke("ghost", "{}"));

        List<String> stored = fleet.client.listFunctions().stream().map(f -> f.getName()).toList();
        assertTrue(stored.stream().noneMatch(List.of("m", "t", "z", "slip", "link", "bomb", "underdeclared", "twice", "underlink", "nob")::contains),
                "nothing refused was stored: " + stored);
        assertEquals(1, fleet.client.getFunction("steady").getRevision(), "the refused update made no revision");
        assertServesWarm(before);
    }

    @Test
    void symbolicLinksInsideThePackageAreKeptAndRunThrough() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(bytes)) {
            ZipArchiveEntry runtime = new ZipArchiveEntry("lib/probe.py");
            runtime.setUnixMode(UnixStat.FILE_FLAG | 0755);
            zip.putArchiveEntry(runtime);
            zip.write(ProbeFunction.bootstrap().getBytes(StandardCharsets.UTF_8));
            zip.closeArchiveEntry();
            for (String[] link : new String[][] {{"bootstrap", "lib/probe.py"}, {"current", "lib"}}) {
                ZipArchiveEntry entry = new ZipArchiveEntry(link[0]);
                entry.setUnixMode(UnixStat.LINK_FLAG | 0777);
                zip.putArchiveEntry(entry);
                zip.write(link[1].getBytes(StandardCharsets.UTF_8));
                zip.closeArchiveEntry();
            }
        }
        create("linked", bytes.toByteArray(), PROBE);

        InvokeResponse listing = fleet.invoke("linked", "{\"op\":\"sh\",\"command\":\"cd $LAMBDA_TASK_ROOT && readlink bootstrap current\"}");

        assertEquals("", listing.getFunctionError(), listing.getPayload().toStringUtf8());
        assertEquals("lib/probe.py\nlib\n", FleetFixture.json(listing).get("out"), "the bootstrap it ran is a link, kept as one");
    }

    @Test
    void garbageOnTheControllerAndWorkerPortsIsDroppedAndTheFleetKeepsServing() throws IOException {
        fleet.createProbe("survivor", FunctionConfig.newBuilder());
        InvokeResponse before = fleet.invoke("survivor", "{\"op\":\"count\"}");
        List<HostPort> ports = List.of(fleet.fleet.endpoint(), HostPort.parse(fleet.fleet.workers().getFirst().address()));

        Random random = new Random(5);
        for (HostPort port : ports) {
            for (byte[] garbage : garbage(random)) {
                assertClosedByServer(port, garbage);
            }
        }

        assertEquals(1, fleet.client.workers().size(), "the worker is still in the fleet");
        assertServesWarm(before);
    }

    @Test
    void aStrangerStallingTheHandshakeIsCutOff() throws Exception {
        List<HostPort> ports = List.of(fleet.fleet.endpoint(), HostPort.parse(fleet.fleet.workers().getFirst().address()));
        List<Socket> stalled = new ArrayList<>();
        try {
            for (HostPort port : ports) {
                Socket socket = new Socket(port.host(), port.port());
                socket.setSoTimeout(30_000);
                // half of HTTP/2's preface, then nothing
                socket.getOutputStream().write("PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.ISO_8859_1));
                stalled.add(socket);
            }
            for (Socket socket : stalled) {
                long start = System.nanoTime();
                try {
                    while (socket.getInputStream().read(new byte[1024]) >= 0) {
                        // whatever the server says before it closes
                    }
                } catch (SocketTimeoutException e) {
                    throw new AssertionError(socket.getRemoteSocketAddress() + " kept a stalled handshake open 30 s");
                } catch (IOException reset) {
                    // a reset is a close too
                }
                assertTrue(System.nanoTime() - start < 25_000_000_000L, "cut off within the handshake timeout");
            }
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    /** Bytes a stranger might send to a gRPC port: noise, other protocols, a broken HTTP/2 conversation. */
    private static List<byte[]> garbage(Random random) {
        List<byte[]> all = new ArrayList<>();
        byte[] noise = new byte[64 * 1024];
        random.nextBytes(noise);
        all.add(noise);
        all.add("GET / HTTP/1.1\r\nHost: floe\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        all.add(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, 0x00, 0x00, (byte) 0xa1, 0x03, 0x03}); // a TLS hello's start
        byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] frames = new byte[4096];
        random.nextBytes(frames);
        all.add(concat(preface, frames));
        // a frame header announcing a 16 MB HEADERS frame, more than any peer may send
        all.add(concat(preface, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x04, 0, 0, 0, 1}));
        return all;
    }

    /** Sends {@code bytes} and reads until the server closes: it must not keep a stranger's connection. */
    private static void assertClosedByServer(HostPort port, byte[] bytes) throws IOException {
        try (Socket socket = new Socket(port.host(), port.port())) {
            socket.setSoTimeout(15_000);
            try {
                socket.getOutputStream().write(bytes);
            } catch (IOException closedWhileWriting) {
                return;
            }
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                while (in.read(buffer) >= 0) {
                    // the server may answer (a GOAWAY, an HTTP/1 error) before it closes
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError(port + " kept a connection open 15 s after " + bytes.length + " bytes of garbage");
            } catch (IOException reset) {
                // a reset is a close too
            }
        }
    }

    private static void assertServesWarm(InvokeResponse before) {
        InvokeResponse after = fleet.invoke(before.getFunction(), "{\"op\":\"count\"}");
        assertFalse(after.getCold(), "the accepted function answers warm");
        assertEquals(before.getEnvironmentId(), after.getEnvironmentId(), "from the same environment");
        assertEquals(((Number) FleetFixture.json(before).get("count")).intValue() + 1,
                ((Number) FleetFixture.json(after).get("count")).intValue());
        assertTrue(fleet.client.environments().stream().noneMatch(e -> e.getState() == Environment.State.RETIRED));
    }

    private static void create(String name, byte[] zip, FunctionConfig.Builder config) {
        fleet.client.createFunction(name, zip, config.build());
    }

    private static void refused(ErrorType type, String expected, org.junit.jupiter.api.function.Executable call) {
        FloeException e = assertThrows(FloeException.class, call);
        assertEquals(type, e.type(), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "\"" + e.getMessage() + "\" should say " + expected);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static byte[] rawZip(String... namesAndContents) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (int i = 0; i < namesAndContents.length; i += 2) {
                zip.putNextEntry(new ZipEntry(namesAndContents[i]));
                zip.write(namesAndContents[i + 1].getBytes(StandardCharsets.ISO_8859_1));
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
