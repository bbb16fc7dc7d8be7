package dev.floe.controller.lambdaapi;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.floe.controller.function.CodeStore;
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
    private static final Set<String> IGNORED = Set.of("Role", "Description", "TracingConfig",
            "LoggingConfig", "KMSKeyArn", "VpcConfig", "Architectures", "PackageType");
    /** Features whose absence would change what the function does: refused when set. */
    private static final Set<String> UNSUPPORTED = Set.of("Layers", "FileSystemConfigs", "ImageConfig",
            "CodeSigningConfigArn", "SnapStart", "DeadLetterConfig");
    private static final Set<String> CONFIG_FIELDS = Set.of("Runtime", "Handler", "MemorySize", "Timeout", "Environment",
            "EphemeralStorage");

    private FunctionShapes() {}

    /** A CreateFunction: its code, received into the store and not checked yet, is closed by the caller. */
    record Create(String name, FunctionConfig config, CodeStore.Staged zip, Map<String, String> tags, boolean publish) {}

    /** Reads CreateFunction's body as it streams from {@code in}, its zip into {@code code}. */
    static Create create(java.io.InputStream in, CodeStore code) {
        UploadBody upload = UploadBody.read("CreateFunction", in, code, "Code", "ZipFile");
        try {
            return create(upload.fields(), upload.zip());
        } catch (RuntimeException e) {
            upload.close();
            throw e;
        }
    }

    private static Create create(RequestBody b, CodeStore.Staged zip) {
        b.allowOnly(union(CONFIG_FIELDS, IGNORED, UNSUPPORTED, Set.of("FunctionName", "Code", "Tags", "Publish")), UNSUPPORTED);
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
        code.allowOnly(Set.of("ZipFile", "S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri", "SourceKMSKeyArn"),
                Set.of("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri", "SourceKMSKeyArn"));
        Map<String, String> tags = SettingsOperations.checkTags(b.stringMap("Tags").orElse(Map.of()));
        return new Create(name, config.build(), zipFile(zip, code.has("ZipFile"), "CreateFunction: Code.ZipFile"), tags,
                b.bool("Publish").orElse(false));
    }

    /** UpdateFunctionConfiguration's body as an update, and the RevisionId it requires, if any. */
    static Guarded configurationUpdate(String name, byte[] body) {
        RequestBody b = RequestBody.parse("UpdateFunctionConfiguration", body)
                .allowOnly(union(CONFIG_FIELDS, IGNORED, UNSUPPORTED, Set.of("RevisionId")), UNSUPPORTED);
        FunctionUpdate update = new FunctionUpdate(name, Optional.empty(), b.string("Runtime"), b.string("Handler"),
                b.integer("MemorySize"), b.integer("Timeout"), ephemeralStorage(b), environment(b));
        return new Guarded(update, Optional.empty(), b.string("RevisionId"), false, false);
    }

    /** Reads UpdateFunctionCode's body as it streams from {@code in}, its zip into {@code code}. */
    static Guarded codeUpdate(String name, java.io.InputStream in, CodeStore code) {
        UploadBody upload = UploadBody.read("UpdateFunctionCode", in, code, "ZipFile");
        try {
            RequestBody b = upload.fields().allowOnly(Set.of("ZipFile", "Publish", "DryRun",
                    "RevisionId", "Architectures", "S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri", "SourceKMSKeyArn"),
                    Set.of("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri", "SourceKMSKeyArn"));
            CodeStore.Staged zip = zipFile(upload.zip(), b.has("ZipFile"), "UpdateFunctionCode: ZipFile");
            return new Guarded(FunctionUpdate.of(name), Optional.of(zip), b.string("RevisionId"), b.bool("DryRun").orElse(false),
                    b.bool("Publish").orElse(false));
        } catch (RuntimeException e) {
            upload.close();
            throw e;
        }
    }

    /**
     * An update, with the RevisionId the caller expects to replace (Lambda's optimistic lock) and, for
     * UpdateFunctionCode, the new code received into the store, which the caller closes.
     */
    record Guarded(FunctionUpdate update, Optional<CodeStore.Staged> code, Optional<String> revisionId, boolean dryRun,
            boolean publish) {}

    /**
     * FunctionConfiguration of a revision as a version, as CreateFunction and UpdateFunctionCode answer
     * with {@code Publish}: Floe makes a revision of every change, and its number is the version.
     */
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

    /**
     * The zip the body carried: refused when missing, when the field was not a string ({@code present}
     * but not streamed), or empty.
     */
    private static CodeStore.Staged zipFile(CodeStore.Staged zip, boolean present, String field) {
        if (zip == null) {
            throw ApiError.invalid(field + (present ? ": not a string (expected: base64 of a zip)"
                    : " is missing (expected: base64 of a zip; S3 locations and images are not supported by Floe)")).toException();
        }
        if (zip.size() == 0) {
            throw ApiError.invalid(field + " is empty (expected: base64 of a zip with a bootstrap)").toException();
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
