package dev.floe.controller.lambdaapi;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.floe.controller.function.FunctionUpdate;
import dev.floe.controller.function.Qualifier;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionConfig;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Floe's function model in Lambda's shapes (API reference: FunctionConfiguration, CreateFunction,
 * UpdateFunctionCode, UpdateFunctionConfiguration). A Floe revision is a Lambda version: immutable and
 * numbered, so {@code Version} is the revision number and {@code RevisionId} its fleet-wide id.
 * Role, Description, tags and the like are accepted and not kept: Floe has no IAM, and they do not
 * change how a function runs.
 */
final class FunctionShapes {
    /** Lambda's ARN format, with a fixed account: Floe has no accounts. */
    static final String ARN_PREFIX = "arn:aws:lambda:us-east-1:000000000000:function:";
    private static final DateTimeFormatter LAST_MODIFIED =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);
    private static final String ARCHITECTURE = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "x86_64";

    /** Accepted and not kept (see the class comment). */
    private static final Set<String> IGNORED = Set.of("Role", "Description", "Publish", "Tags", "TracingConfig",
            "LoggingConfig", "KMSKeyArn", "VpcConfig", "Architectures", "PackageType");
    /** Features whose absence would change what the function does: refused when set. */
    private static final Set<String> UNSUPPORTED = Set.of("Layers", "FileSystemConfigs", "ImageConfig",
            "CodeSigningConfigArn", "SnapStart", "DeadLetterConfig");
    private static final Set<String> CONFIG_FIELDS = Set.of("Runtime", "Handler", "MemorySize", "Timeout", "Environment",
            "EphemeralStorage");

    private FunctionShapes() {}

    record Create(String name, FunctionConfig config, byte[] zip) {}

    static Create create(byte[] body) {
        RequestBody b = RequestBody.parse("CreateFunction", body).allowOnly(union(CONFIG_FIELDS, IGNORED, UNSUPPORTED,
                Set.of("FunctionName", "Code")), UNSUPPORTED);
        checkPackageType(b);
        String name = b.requiredString("FunctionName");
        FunctionConfig.Builder config = FunctionConfig.newBuilder();
        b.string("Runtime").ifPresent(config::setRuntime);
        b.string("Handler").ifPresent(config::setHandler);
        b.integer("MemorySize").ifPresent(config::setMemoryMb);
        b.integer("Timeout").ifPresent(config::setTimeoutSeconds);
        ephemeralStorage(b).ifPresent(config::setTmpMb);
        environment(b).ifPresent(config::putAllEnvironment);
        RequestBody code = b.object("Code").orElseThrow(() ->
                ApiError.invalid("CreateFunction: Code is missing (expected: {\"ZipFile\": base64 of a zip})").toException());
        return new Create(name, config.build(), zipFile(code));
    }

    /** UpdateFunctionConfiguration's body as an update, and the RevisionId it requires, if any. */
    static Guarded configurationUpdate(String name, byte[] body) {
        RequestBody b = RequestBody.parse("UpdateFunctionConfiguration", body)
                .allowOnly(union(CONFIG_FIELDS, IGNORED, UNSUPPORTED, Set.of("RevisionId")), UNSUPPORTED);
        FunctionUpdate update = new FunctionUpdate(name, Optional.empty(), b.string("Runtime"), b.string("Handler"),
                b.integer("MemorySize"), b.integer("Timeout"), ephemeralStorage(b), environment(b));
        return new Guarded(update, b.string("RevisionId"), false);
    }

    static Guarded codeUpdate(String name, byte[] body) {
        RequestBody b = RequestBody.parse("UpdateFunctionCode", body).allowOnly(Set.of("ZipFile", "Publish", "DryRun",
                "RevisionId", "Architectures", "S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri", "SourceKMSKeyArn"),
                Set.of("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri", "SourceKMSKeyArn"));
        byte[] zip = b.base64("ZipFile").orElseThrow(() -> ApiError.invalid(
                "UpdateFunctionCode: ZipFile is missing (expected: base64 of a zip; S3 locations and images are not supported by Floe)").toException());
        if (zip.length == 0) {
            throw ApiError.invalid("UpdateFunctionCode: ZipFile is empty (expected: base64 of a zip with a bootstrap)").toException();
        }
        return new Guarded(FunctionUpdate.of(name).withCode(zip), b.string("RevisionId"), b.bool("DryRun").orElse(false));
    }

    /** An update, with the RevisionId the caller expects to replace (Lambda's optimistic lock). */
    record Guarded(FunctionUpdate update, Optional<String> revisionId, boolean dryRun) {}

    /** FunctionConfiguration of a new revision, as CreateFunction and the updates answer: Floe publishes every change. */
    static JsonObject configuration(Function f) {
        return configuration(f, null, version(f));
    }

    /**
     * FunctionConfiguration as Lambda gives it where a call names no version (GetFunction without a
     * qualifier, ListFunctions): the unqualified ARN and {@code Version} {@code $LATEST}.
     */
    static JsonObject latest(Function f) {
        return configuration(f, null, Qualifier.LATEST_NAME);
    }

    /**
     * FunctionConfiguration as Lambda gives it for a qualified name: the ARN carries {@code qualifier}
     * (none when null), and {@code Version} is {@code version} ({@code $LATEST} in ListVersionsByFunction).
     */
    static JsonObject configuration(Function f, String qualifier, String version) {
        FunctionConfig c = f.getConfig();
        JsonObject o = new JsonObject();
        o.addProperty("FunctionName", f.getName());
        o.addProperty("FunctionArn", ARN_PREFIX + f.getName() + (qualifier == null ? "" : ":" + qualifier));
        o.addProperty("Runtime", c.getRuntime());
        o.addProperty("Handler", c.getHandler());
        o.addProperty("CodeSize", f.getCodeSize());
        o.addProperty("Description", "");
        o.addProperty("Timeout", c.getTimeoutSeconds());
        o.addProperty("MemorySize", c.getMemoryMb());
        o.addProperty("LastModified", LAST_MODIFIED.format(Instant.ofEpochSecond(f.getLastModified().getSeconds(),
                f.getLastModified().getNanos())));
        o.addProperty("CodeSha256", Base64.getEncoder().encodeToString(HexFormat.of().parseHex(f.getCodeSha256())));
        o.addProperty("Version", version);
        o.addProperty("RevisionId", f.getRevisionId());
        if (!c.getEnvironmentMap().isEmpty()) {
            JsonObject vars = new JsonObject();
            c.getEnvironmentMap().forEach(vars::addProperty);
            JsonObject env = new JsonObject();
            env.add("Variables", vars);
            o.add("Environment", env);
        }
        JsonObject storage = new JsonObject();
        storage.addProperty("Size", c.getTmpMb());
        o.add("EphemeralStorage", storage);
        o.addProperty("State", "Active");
        o.addProperty("LastUpdateStatus", "Successful");
        o.addProperty("PackageType", "Zip");
        JsonArray architectures = new JsonArray();
        architectures.add(ARCHITECTURE);
        o.add("Architectures", architectures);
        return o;
    }

    static String version(Function f) {
        return Integer.toString(f.getRevision());
    }

    private static byte[] zipFile(RequestBody code) {
        code.allowOnly(Set.of("ZipFile", "S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri", "SourceKMSKeyArn"),
                Set.of("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri", "SourceKMSKeyArn"));
        byte[] zip = code.base64("ZipFile").orElseThrow(() -> ApiError.invalid(
                "CreateFunction: Code.ZipFile is missing (expected: base64 of a zip; S3 locations and images are not supported by Floe)").toException());
        if (zip.length == 0) {
            throw ApiError.invalid("CreateFunction: Code.ZipFile is empty (expected: base64 of a zip with a bootstrap)").toException();
        }
        return zip;
    }

    private static void checkPackageType(RequestBody b) {
        b.string("PackageType").filter(t -> !t.equals("Zip")).ifPresent(t -> {
            throw ApiError.invalid("CreateFunction: PackageType: \"" + t + "\" (expected: Zip; Floe runs zip packages)").toException();
        });
    }

    private static OptionalInt ephemeralStorage(RequestBody b) {
        return b.object("EphemeralStorage").map(s -> {
            s.allowOnly(Set.of("Size"), Set.of());
            return s.integer("Size");
        }).orElse(OptionalInt.empty());
    }

    /** Environment.Variables; an Environment without Variables means none. */
    private static Optional<Map<String, String>> environment(RequestBody b) {
        return b.object("Environment").map(e -> {
            e.allowOnly(Set.of("Variables"), Set.of());
            return e.stringMap("Variables").orElse(Map.of());
        });
    }

    @SafeVarargs
    private static Set<String> union(Set<String>... sets) {
        java.util.Set<String> all = new java.util.HashSet<>();
        for (Set<String> s : sets) {
            all.addAll(s);
        }
        return all;
    }
}
