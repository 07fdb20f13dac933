package io.javaoverlay.core.backend;

import io.javaoverlay.core.config.BackendType;

/** Makes a backend of one type for this host. */
@FunctionalInterface
public interface BackendFactory {
    Backend create(BackendType type, BackendContext context);
}
