package io.javaoverlay.docker.host;

import io.javaoverlay.docker.state.PortMapping;

/**
 * What the host says about its ports, for a host port the plugin picks ({@code -P}, {@code -p 80}):
 * the range to pick from and whether a port is free there.
 */
public interface HostPorts {

    /** The first and last port of the range to pick from, both inclusive. */
    Range dynamicRange();

    /**
     * False when something on the host listens on the mapping's host port at its host address
     * (any address when it has none): a DNAT rule would take its traffic away.
     */
    boolean isFree(PortMapping mapping);

    record Range(int first, int last) {
        public Range {
            if (first < 1 || last > 65535 || first > last) {
                throw new IllegalArgumentException("bad port range " + first + "-" + last);
            }
        }
    }
}
