package io.javaoverlay.core.backend;

import io.javaoverlay.core.config.BackendType;

/** Makes a backend of one type for this host. */
@FunctionalInterface
public interface BackendFactory {
    Backend create(BackendType type, BackendContext context);

    /**
     * For the constructor of a backend that runs one type: fails unless {@code type}, as the
     * registry passed it, is the type {@code runs}.
     */
    static void requireType(BackendType type, BackendType runs, Class<? extends Backend> backend) {
        if (type != runs) {
            throw new IllegalArgumentException(backend.getSimpleName() + " runs Backend.Type " + runs + ", not " + type);
        }
    }
}
