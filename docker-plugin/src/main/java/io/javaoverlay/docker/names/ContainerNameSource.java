package io.javaoverlay.docker.names;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** The names (container name and aliases) Docker gives an endpoint's container on a network. */
@FunctionalInterface
public interface ContainerNameSource {

    /**
     * The container's names on {@code networkId} as Docker spells them, or empty when Docker does
     * not list the endpoint yet (it is joined before the container runs: ask again later).
     */
    Optional<Named> namesOf(String networkId, String endpointId) throws IOException;

    /** @param containerId the short container ID, @param names its name and aliases on the network */
    record Named(String containerId, List<String> names) {
        public Named {
            names = List.copyOf(names);
        }
    }
}
