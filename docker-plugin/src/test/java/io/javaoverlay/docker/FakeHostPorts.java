package io.javaoverlay.docker;

import java.util.HashSet;
import java.util.Set;

import io.javaoverlay.docker.host.HostPorts;
import io.javaoverlay.docker.state.PortMapping;

/** A small dynamic range and ports the test says are listened on. Test sources only. */
final class FakeHostPorts implements HostPorts {

    Range range = new Range(40000, 40003);
    /** "tcp/40000"-style entries: something on the host listens there. */
    final Set<String> listening = new HashSet<>();

    @Override
    public Range dynamicRange() {
        return range;
    }

    @Override
    public synchronized boolean isFree(PortMapping mapping) {
        return !listening.contains(mapping.protocol().iptablesName() + "/" + mapping.hostPort());
    }
}
