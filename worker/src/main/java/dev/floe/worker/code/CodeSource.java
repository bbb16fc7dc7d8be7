package dev.floe.worker.code;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/** Where a worker gets code packages it does not hold yet. */
public interface CodeSource {
    /** Writes the package whose SHA-256 is {@code sha256} to {@code target}. */
    CompletableFuture<Void> fetch(String sha256, Path target);

    /** Packages stored as {@code <dir>/<sha256>.zip}, as the controller stores them. */
    static CodeSource directory(Path dir) {
        return (sha256, target) -> CompletableFuture.runAsync(() -> {
            try {
                java.nio.file.Files.copy(dir.resolve(sha256 + ".zip"), target,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("no package " + sha256 + " in " + dir, e);
            }
        });
    }
}
