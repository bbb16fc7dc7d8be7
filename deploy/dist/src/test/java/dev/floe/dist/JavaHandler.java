package dev.floe.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * A Java function as a user writes one for Lambda's java runtimes (a handler reading the event's stream and
 * writing its answer), compiled for Java 21 into a jar: it keeps a count, so a warm start shows.
 */
final class JavaHandler {
    static final String HANDLER = "example.Hello::handle";

    private static final String SOURCE = """
            package example;

            import java.io.InputStream;
            import java.io.OutputStream;
            import java.nio.charset.StandardCharsets;

            public class Hello {
                private static int calls;

                public void handle(InputStream in, OutputStream out) throws java.io.IOException {
                    in.readAllBytes();
                    calls++;
                    out.write(("\\"hello from java " + Runtime.version().feature() + ", call " + calls + "\\"")
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
            """;

    private JavaHandler() {}

    /** The handler's jar, made in {@code dir}. */
    static Path jar(Path dir) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src/example"));
        Files.writeString(src.resolve("Hello.java"), SOURCE);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int status = javac.run(null, null, null, "--release", "21", "-d", classes.toString(), src.resolve("Hello.java").toString());
        if (status != 0) {
            throw new IOException("javac failed: " + status);
        }
        Path jar = dir.resolve("hello.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String name : List.of("example/Hello.class")) {
                out.putNextEntry(new JarEntry(name));
                out.write(Files.readAllBytes(classes.resolve(name)));
                out.closeEntry();
            }
        }
        return jar;
    }
}
