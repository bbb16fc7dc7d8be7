package dev.floe.launcher;

import dev.floe.common.JsonStrings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --log-format json}: one JSON object per line, for log shippers. Every record has {@code time}
 * (ISO-8601 UTC), {@code level} (System.Logger's names: ERROR, WARNING, INFO, DEBUG, TRACE), {@code logger},
 * {@code message}, and, where a failure came with it, {@code error}; and the ids in play where the record
 * names them: {@code function}, {@code request}, {@code environment} and {@code worker}. Floe's messages
 * name them in fixed phrases ("worker ID", "environment ID of FUNCTION", "function NAME", "request ID"),
 * which is where they are read from; a {@code floe worker} process also stamps its own id on every record.
 */
public final class JsonLogFormatter extends Formatter {
    private static final Pattern WORKER = Pattern.compile("\\bworker ([A-Za-z0-9][A-Za-z0-9._:-]*[A-Za-z0-9])");
    private static final Pattern ENVIRONMENT = Pattern.compile("\\benvironment ([A-Za-z0-9][A-Za-z0-9_-]{5,})(?: of ([A-Za-z0-9_-]+))?");
    private static final Pattern FUNCTION = Pattern.compile("\\bfunction ([A-Za-z0-9_-]+)");
    private static final Pattern REQUEST = Pattern.compile("\\brequest(?: id)? ([0-9a-fA-F][0-9a-fA-F-]{7,})");
    /** Words that follow "worker" or "function" in prose without being an id. */
    private static final java.util.Set<String> NOT_IDS = java.util.Set.of("is", "was", "has", "that", "with", "and", "the", "of",
            "to", "for", "in", "on", "error", "errors", "code", "link", "state", "settings", "failed", "stopped", "started");

    /** The id of the worker this process is, when it is one ({@code floe worker}); null otherwise. */
    private static volatile String processWorker;

    static void processWorker(String id) {
        processWorker = id;
    }

    @Override
    public String format(LogRecord record) {
        String message = formatMessage(record);
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("time", Instant.ofEpochMilli(record.getMillis()).toString());
        fields.put("level", level(record.getLevel()));
        fields.put("logger", record.getLoggerName() == null ? "" : record.getLoggerName());
        fields.put("message", message == null ? "" : message);
        ids(message == null ? "" : message, fields);
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            fields.put("error", trace.toString().strip());
        }
        StringBuilder line = new StringBuilder(256).append('{');
        fields.forEach((k, v) -> {
            if (line.length() > 1) {
                line.append(',');
            }
            JsonStrings.quote(line, k).append(':');
            JsonStrings.quote(line, v);
        });
        return line.append("}\n").toString();
    }

    /** The ids a message names, by the phrases Floe's messages use. */
    static void ids(String message, Map<String, String> fields) {
        Matcher env = ENVIRONMENT.matcher(message);
        String function = null;
        String environment = null;
        if (env.find()) {
            environment = env.group(1);
            function = env.group(2);
        }
        if (function == null) {
            function = first(FUNCTION, message);
        }
        put(fields, "function", function);
        put(fields, "request", first(REQUEST, message));
        put(fields, "environment", environment);
        String worker = first(WORKER, message);
        put(fields, "worker", worker != null ? worker : processWorker);
    }

    private static String first(Pattern pattern, String message) {
        Matcher m = pattern.matcher(message);
        while (m.find()) {
            if (!NOT_IDS.contains(m.group(1))) {
                return m.group(1);
            }
        }
        return null;
    }

    private static void put(Map<String, String> fields, String key, String value) {
        if (value != null && !NOT_IDS.contains(value)) {
            fields.put(key, value);
        }
    }

    /** System.Logger's level names, which is what Floe's code logs with. */
    static String level(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (v >= Level.WARNING.intValue()) {
            return "WARNING";
        }
        if (v >= Level.INFO.intValue()) {
            return "INFO";
        }
        return v >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
    }

}
