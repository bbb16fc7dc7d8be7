package dev.floe.worker.environment.javafn;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.LinkedHashMap;
import java.util.Map;

/** A {@link RequestHandler} whose count survives between invocations of a warm environment. */
public class Counter implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private static int count;

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        count++;
        Object op = event == null ? null : event.get("op");
        if ("fail".equals(op)) {
            throw new IllegalArgumentException("bad input: " + event.get("why"));
        }
        if ("crash".equals(op)) {
            Runtime.getRuntime().halt(7);
        }
        if ("sleep".equals(op)) {
            try {
                Thread.sleep(((Number) event.get("seconds")).longValue() * 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        context.getLogger().log("counted " + count);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("count", count);
        answer.put("requestId", context.getAwsRequestId());
        answer.put("function", context.getFunctionName());
        answer.put("memory", context.getMemoryLimitInMB());
        answer.put("remaining", context.getRemainingTimeInMillis());
        answer.put("java", System.getProperty("java.specification.version"));
        answer.put("jvmArguments", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        return answer;
    }
}
