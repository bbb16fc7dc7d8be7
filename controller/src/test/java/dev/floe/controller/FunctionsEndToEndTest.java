package dev.floe.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.floe.common.CodePackages;
import dev.floe.common.FloeException;
import dev.floe.controller.function.Packages;
import dev.floe.proto.CodeChunk;
import dev.floe.proto.CreateFunctionRequest;
import dev.floe.proto.DeleteFunctionRequest;
import dev.floe.proto.EnvironmentVariables;
import dev.floe.proto.FetchCodeRequest;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import dev.floe.proto.GetFunctionRequest;
import dev.floe.proto.ListFunctionsRequest;
import dev.floe.proto.UpdateFunctionRequest;
import dev.floe.testing.ProbeFunction;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code Functions} API and code distribution over gRPC, as a client and a worker see them. */
class FunctionsEndToEndTest {
    private static final FunctionConfig PROVIDED = FunctionConfig.newBuilder().setRuntime("provided").setHandler("main").build();

    @TempDir
    Path dataDir;
    private ControllerFixture fx;

    @BeforeEach
    void start() {
        fx = ControllerFixture.start(dataDir);
    }

    @AfterEach
    void close() {
        fx.close();
    }

    private Function create(String name, FunctionConfig config, byte[] code) {
        return fx.functions().createFunction(CreateFunctionRequest.newBuilder().setName(name).setConfig(config)
                .setCodeZip(ByteString.copyFrom(code)).build());
    }

    private Function get(String name) {
        return fx.functions().getFunction(GetFunctionRequest.newBuilder().setName(name).build());
    }

    private static FloeException refusal(Status.Code code, String errorType, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getMessage());
        FloeException floe = FloeException.fromThrowable(e);
        assertEquals(errorType, floe.type().wireName());
        return floe;
    }

    @Test
    void createGetListDelete() {
        Function b = create("bravo", PROVIDED, Packages.bootstrap("b"));
        Function a = create("alpha", PROVIDED.toBuilder().setMemoryMb(1024).build(), Packages.bootstrap("a"));

        assertEquals(a, get("alpha"));
        assertEquals(1024, a.getConfig().getMemoryMb());
        assertEquals(List.of(a, b), fx.functions().listFunctions(ListFunctionsRequest.getDefaultInstance()).getFunctionsList());

        fx.functions().deleteFunction(DeleteFunctionRequest.newBuilder().setName("alpha").build());

        assertEquals(List.of(b), fx.functions().listFunctions(ListFunctionsRequest.getDefaultInstance()).getFunctionsList());
        FloeException gone = refusal(Status.Code.NOT_FOUND, "ResourceNotFoundException", () -> get("alpha"));
        assertEquals("function alpha not found (expected: the name of a created function)", gone.getMessage());
    }

    @Test
    void refusalsCarryTheirErrorTypeAndSayWhatWasExpected() {
        create("taken", PROVIDED, Packages.bootstrap("x"));

        FloeException conflict = refusal(Status.Code.ALREADY_EXISTS, "ResourceConflictException",
                () -> create("taken", PROVIDED, Packages.bootstrap("x")));
        assertEquals("function taken already exists (expected: a new name, or UpdateFunction to change it)", conflict.getMessage());

        FloeException memory = refusal(Status.Code.INVALID_ARGUMENT, "InvalidParameterValueException",
                () -> create("small", PROVIDED.toBuilder().setMemoryMb(64).build(), Packages.bootstrap("x")));
        assertEquals("memory: 64 MB (expected: 128..10240 MB)", memory.getMessage());
        // Over gRPC a size that is sent is a size asked for: zero is refused, as Lambda refuses it.
        assertEquals("memory: 0 MB (expected: 128..10240 MB)", refusal(Status.Code.INVALID_ARGUMENT, "InvalidParameterValueException",
                () -> create("zero", PROVIDED.toBuilder().setMemoryMb(0).build(), Packages.bootstrap("x"))).getMessage());
        assertEquals("tmp: 0 MB (expected: 512..10240 MB)", refusal(Status.Code.INVALID_ARGUMENT, "InvalidParameterValueException",
                () -> create("zero", PROVIDED.toBuilder().setTmpMb(0).build(), Packages.bootstrap("x"))).getMessage());
        FloeException nul = refusal(Status.Code.INVALID_ARGUMENT, "InvalidParameterValueException", () -> create("nul",
                PROVIDED.toBuilder().putEnvironment("FOO", "x\u0000_HANDLER=injected").build(), Packages.bootstrap("x")));
        assertTrue(nul.getMessage().startsWith("environment variable FOO: its value holds a NUL character"), nul.getMessage());

        FloeException notZip = refusal(Status.Code.INVALID_ARGUMENT, "InvalidParameterValueException",
                () -> create("script", PROVIDED, "echo hi".getBytes()));
        assertTrue(notZip.getMessage().startsWith("code: not a zip file"), notZip.getMessage());

        refusal(Status.Code.NOT_FOUND, "ResourceNotFoundException",
                () -> fx.functions().updateFunction(UpdateFunctionRequest.newBuilder().setName("ghost").build()));
        refusal(Status.Code.NOT_FOUND, "ResourceNotFoundException",
                () -> fx.functions().deleteFunction(DeleteFunctionRequest.newBuilder().setName("ghost").build()));
    }

    @Test
    void anUpdateChangesOnlyTheFieldsItSets() {
        Function first = create("fn", PROVIDED.toBuilder().setTimeoutSeconds(10).putEnvironment("COLOR", "blue").build(),
                Packages.bootstrap("v1"));

        Function second = fx.functions().updateFunction(UpdateFunctionRequest.newBuilder().setName("fn").setMemoryMb(512).build());

        assertEquals(2, second.getRevision());
        assertEquals(512, second.getConfig().getMemoryMb());
        assertEquals(10, second.getConfig().getTimeoutSeconds());
        assertEquals("main", second.getConfig().getHandler());
        assertEquals(Map.of("COLOR", "blue"), second.getConfig().getEnvironmentMap());
        assertEquals(first.getCodeSha256(), second.getCodeSha256(), "empty code_zip keeps the code");

        byte[] v3 = Packages.bootstrap("v3");
        Function third = fx.functions().updateFunction(UpdateFunctionRequest.newBuilder().setName("fn")
                .setCodeZip(ByteString.copyFrom(v3)).setHandler("other")
                .setEnvironment(EnvironmentVariables.getDefaultInstance()).build());

        assertEquals(3, third.getRevision());
        assertEquals(ProbeFunction.sha256(v3), third.getCodeSha256());
        assertEquals("other", third.getConfig().getHandler());
        assertEquals(Map.of(), third.getConfig().getEnvironmentMap(), "a present, empty environment clears the variables");
        assertEquals(3, Set.of(first.getRevisionId(), second.getRevisionId(), third.getRevisionId()).size());
        assertEquals(third, get("fn"));
    }

    @Test
    void fetchCodeStreamsThePackageInChunksOfAMegabyte() {
        byte[] noise = new byte[3 * 1024 * 1024 + 12_345];
        new Random(7).nextBytes(noise);
        byte[] code = CodePackages.zip(List.of(
                new CodePackages.Entry("bootstrap", "#!/bin/sh\n".getBytes(), PosixFilePermissions.fromString("rwxr-xr-x")),
                new CodePackages.Entry("data.bin", noise, PosixFilePermissions.fromString("rw-r--r--"))));
        Function f = create("big", PROVIDED, code);

        List<Integer> sizes = new ArrayList<>();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        Iterator<CodeChunk> chunks = fx.link().fetchCode(FetchCodeRequest.newBuilder().setSha256(f.getCodeSha256()).build());
        chunks.forEachRemaining(chunk -> {
            sizes.add(chunk.getData().size());
            received.writeBytes(chunk.getData().toByteArray());
        });

        assertArrayEquals(code, received.toByteArray());
        assertEquals(f.getCodeSha256(), ProbeFunction.sha256(received.toByteArray()));
        assertEquals(code.length / (1024 * 1024) + 1, sizes.size());
        assertTrue(sizes.subList(0, sizes.size() - 1).stream().allMatch(n -> n == 1024 * 1024), sizes.toString());
    }

    @Test
    void fetchCodeRefusesUnknownAndMalformedHashes() {
        String unknown = "0".repeat(64);
        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () ->
                fx.link().fetchCode(FetchCodeRequest.newBuilder().setSha256(unknown).build()).forEachRemaining(c -> { }));
        assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
        assertEquals("code package " + unknown + " not found (expected: the code_sha256 of a stored revision)",
                missing.getStatus().getDescription());

        StatusRuntimeException malformed = assertThrows(StatusRuntimeException.class, () ->
                fx.link().fetchCode(FetchCodeRequest.newBuilder().setSha256("../../etc/passwd").build()).forEachRemaining(c -> { }));
        assertEquals(Status.Code.INVALID_ARGUMENT, malformed.getStatus().getCode());
        assertEquals("sha256: \"../../etc/passwd\" (expected: 64 hex digits)", malformed.getStatus().getDescription());
    }

    @Test
    void aControllerRestartedOnTheSameDataDirHasEveryFunctionBack() {
        Function a1 = create("a", PROVIDED, Packages.bootstrap("a"));
        Function a2 = fx.functions().updateFunction(UpdateFunctionRequest.newBuilder().setName("a").setTimeoutSeconds(60).build());
        Function b1 = create("b", PROVIDED, Packages.bootstrap("b"));
        fx.close();

        fx = ControllerFixture.start(dataDir);

        assertEquals(List.of(a2, b1), fx.functions().listFunctions(ListFunctionsRequest.getDefaultInstance()).getFunctionsList());
        Iterator<CodeChunk> code = fx.link().fetchCode(FetchCodeRequest.newBuilder().setSha256(a1.getCodeSha256()).build());
        assertArrayEquals(Packages.bootstrap("a"), code.next().getData().toByteArray());
        Function a3 = fx.functions().updateFunction(UpdateFunctionRequest.newBuilder().setName("a").build());
        assertEquals(3, a3.getRevision());
    }
}
