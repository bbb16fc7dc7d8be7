package dev.floe.worker.environment.javafn;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** A {@link RequestStreamHandler}: the event's bytes in, upper-cased out. */
public class Shouter implements RequestStreamHandler {
    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        output.write(new String(input.readAllBytes(), StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8));
    }

    /** A plain method named in the handler as {@code Class::method}. */
    public String greet(String name) {
        return "hello " + name;
    }
}
