package io.javaoverlay.core.backend;

import java.nio.file.Path;

/**
 * What a backend is built with.
 *
 * @param dataDir a directory for the host's backend state that must survive restarts
 *                (e.g. the VTEP MAC: {@link VtepMacStore}); {@code --data-dir}
 */
public record BackendContext(ExternalInterface external, Path dataDir) {
    public BackendContext {
        if (external == null || dataDir == null) {
            throw new IllegalArgumentException("external interface and data dir are required");
        }
    }
}
