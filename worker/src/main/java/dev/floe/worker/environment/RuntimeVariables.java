package dev.floe.worker.environment;

import dev.floe.proto.Function;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The environment variables a runtime starts with: Lambda's defined runtime variables
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * then the runtime's own, then the function's own, which may override the non-reserved ones (PATH, LANG, TZ, LD_LIBRARY_PATH).
 * Nothing is inherited from the worker's own environment.
 */
final class RuntimeVariables {
    static final String ACCOUNT = "000000000000";
    private static final DateTimeFormatter STREAM_DATE = DateTimeFormatter.ofPattern("yyyy/MM/dd").withZone(ZoneOffset.UTC);

    private RuntimeVariables() {}

    static Map<String, String> of(Function function, String environmentId, String runtimeApi, Path taskRoot,
                                  Map<String, String> runtimeVariables, EnvironmentHost host) {
        String root = taskRoot.toString();
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("_HANDLER", function.getConfig().getHandler());
        vars.put("AWS_REGION", host.region());
        vars.put("AWS_DEFAULT_REGION", host.region());
        vars.put("AWS_LAMBDA_FUNCTION_NAME", function.getName());
        vars.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(function.getConfig().getMemoryMb()));
        vars.put("AWS_LAMBDA_FUNCTION_VERSION", Integer.toString(function.getRevision()));
        vars.put("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
        vars.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + function.getName());
        vars.put("AWS_LAMBDA_LOG_STREAM_NAME", STREAM_DATE.format(host.clock().instant())
                + "/[" + function.getRevision() + "]" + environmentId);
        vars.put("AWS_LAMBDA_RUNTIME_API", runtimeApi);
        vars.put("LAMBDA_TASK_ROOT", root);
        vars.put("LAMBDA_RUNTIME_DIR", root);
        // As Lambda sets it: the leading colon names a zone file (POSIX), not a rule.
        vars.put("TZ", ":UTC");
        vars.put("LANG", "en_US.UTF-8");
        vars.put("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin");
        vars.put("LD_LIBRARY_PATH", "/lib64:/usr/lib64:" + root + ":" + root + "/lib:/opt/lib");
        // The runtime's own (AWS_EXECUTION_ENV, LAMBDA_RUNTIME_DIR of a managed runtime's files).
        vars.putAll(runtimeVariables);
        vars.putAll(function.getConfig().getEnvironmentMap());
        return vars;
    }

    /** The ARN a runtime sees in Lambda-Runtime-Invoked-Function-Arn. */
    static String arn(Function function, EnvironmentHost host) {
        return "arn:aws:lambda:" + host.region() + ":" + ACCOUNT + ":function:" + function.getName();
    }
}
