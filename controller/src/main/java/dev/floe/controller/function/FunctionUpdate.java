package dev.floe.controller.function;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The changes an update asks for; every empty field keeps the latest revision's value. A present
 * {@code environment} replaces all the function's variables, as Lambda's UpdateFunctionConfiguration does.
 */
public record FunctionUpdate(
        String name,
        Optional<byte[]> codeZip,
        Optional<String> runtime,
        Optional<String> handler,
        OptionalInt memoryMb,
        OptionalInt timeoutSeconds,
        OptionalInt tmpMb,
        Optional<Map<String, String>> environment) {

    public FunctionUpdate {
        codeZip = codeZip.filter(zip -> zip.length > 0);
        environment = environment.map(Map::copyOf);
    }

    /** An update that changes nothing but still makes a new revision. */
    public static FunctionUpdate of(String name) {
        return new FunctionUpdate(name, Optional.empty(), Optional.empty(), Optional.empty(),
                OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(), Optional.empty());
    }

    public FunctionUpdate withCode(byte[] zip) {
        return new FunctionUpdate(name, Optional.of(zip), runtime, handler, memoryMb, timeoutSeconds, tmpMb, environment);
    }

    public FunctionUpdate withMemoryMb(int mb) {
        return new FunctionUpdate(name, codeZip, runtime, handler, OptionalInt.of(mb), timeoutSeconds, tmpMb, environment);
    }

    public FunctionUpdate withTimeoutSeconds(int seconds) {
        return new FunctionUpdate(name, codeZip, runtime, handler, memoryMb, OptionalInt.of(seconds), tmpMb, environment);
    }

    public FunctionUpdate withRuntime(String value) {
        return new FunctionUpdate(name, codeZip, Optional.of(value), handler, memoryMb, timeoutSeconds, tmpMb, environment);
    }

    public FunctionUpdate withHandler(String value) {
        return new FunctionUpdate(name, codeZip, runtime, Optional.of(value), memoryMb, timeoutSeconds, tmpMb, environment);
    }

    public FunctionUpdate withEnvironment(Map<String, String> variables) {
        return new FunctionUpdate(name, codeZip, runtime, handler, memoryMb, timeoutSeconds, tmpMb, Optional.of(variables));
    }
}
