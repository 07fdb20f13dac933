package io.javaoverlay.core.backend;

import java.util.EnumMap;
import java.util.Map;

import io.javaoverlay.core.config.BackendType;

/**
 * Maps {@code Backend.Type} to the factory that builds it. An explicit value handed to the agent,
 * not a global that backends register themselves into.
 *
 * <p>{@link #controlPlaneOnly()} maps every supported type to the {@link PeerLogBackend}
 * ({@code --no-data-path}); {@code io.javaoverlay.core.agent.DataPathBackends} maps them to the
 * real vxlan, udp, host-gw and wireguard backends.
 */
public final class BackendRegistry {

    private final Map<BackendType, BackendFactory> factories;

    private BackendRegistry(Map<BackendType, BackendFactory> factories) {
        this.factories = factories;
    }

    /** Every supported type publishes flannel's lease shape and only logs peer events. */
    public static BackendRegistry controlPlaneOnly() {
        Map<BackendType, BackendFactory> m = new EnumMap<>(BackendType.class);
        for (BackendType t : BackendType.values()) {
            m.put(t, PeerLogBackend::new);
        }
        return new BackendRegistry(m);
    }

    /** A copy with {@code type} built by {@code factory}. */
    public BackendRegistry with(BackendType type, BackendFactory factory) {
        Map<BackendType, BackendFactory> m = new EnumMap<>(factories);
        m.put(type, factory);
        return new BackendRegistry(m);
    }

    /**
     * Builds the backend for a {@code Backend.Type} name; unknown names and flannel backends that
     * javaoverlay does not run fail with {@link io.javaoverlay.core.config.NetworkConfigException}
     * saying which types work.
     */
    public Backend create(String typeName, BackendContext context) {
        return create(BackendType.parse(typeName), context);
    }

    public Backend create(BackendType type, BackendContext context) {
        BackendFactory f = factories.get(type);
        if (f == null) {
            throw new BackendException("no backend is built into this javaoverlay for Backend.Type \"" + type + "\"");
        }
        return f.create(type, context);
    }
}
