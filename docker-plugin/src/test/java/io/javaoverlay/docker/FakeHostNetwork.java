package io.javaoverlay.docker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.docker.host.HostNetwork;

/** A host in memory: links by name, what the driver asked of the kernel. Test sources only. */
final class FakeHostNetwork implements HostNetwork {

    record FakeLink(String name, String kind, String master, MacAddress mac, int mtu, List<Ip4Net.HostAddress> addresses,
                    String peer) {}

    final Map<String, FakeLink> links = new LinkedHashMap<>();

    @Override
    public synchronized void ensureBridge(String bridge, Ip4Net.HostAddress gateway) {
        FakeLink br = links.get(bridge);
        if (br != null && !br.kind().equals("bridge")) {
            throw new IllegalStateException(bridge + " exists and is not a bridge");
        }
        List<Ip4Net.HostAddress> addrs = br == null ? new ArrayList<>() : br.addresses();
        if (!addrs.contains(gateway)) {
            addrs.add(gateway);
        }
        links.put(bridge, new FakeLink(bridge, "bridge", null, null, 1500, addrs, null));
    }

    @Override
    public synchronized void createVethPair(String bridge, String hostEnd, String containerEnd, MacAddress mac, int mtu) {
        deleteLink(hostEnd);
        deleteLink(containerEnd);
        if (!links.containsKey(bridge)) {
            throw new IllegalStateException("no bridge " + bridge);
        }
        links.put(hostEnd, new FakeLink(hostEnd, "veth", bridge, null, mtu, List.of(), containerEnd));
        links.put(containerEnd, new FakeLink(containerEnd, "veth", null, mac, mtu, List.of(), hostEnd));
    }

    /** What dockerd does after Join: moves the container end into the sandbox (out of the host). */
    synchronized void moveToSandbox(String containerEnd) {
        links.remove(containerEnd);
    }

    /** What the kernel does when a container's namespace goes: both veth ends vanish. */
    synchronized void killSandbox(String hostEnd) {
        FakeLink l = links.remove(hostEnd);
        if (l != null && l.peer() != null) {
            links.remove(l.peer());
        }
    }

    @Override
    public synchronized boolean linkExists(String name) {
        return links.containsKey(name);
    }

    @Override
    public synchronized boolean deleteLink(String name) {
        FakeLink l = links.remove(name);
        if (l != null && l.peer() != null) {
            links.remove(l.peer());
        }
        return l != null;
    }

    @Override
    public synchronized List<String> linkNames() {
        return List.copyOf(links.keySet());
    }

    @Override
    public synchronized List<String> bridgePorts(String bridge) {
        return links.values().stream().filter(l -> bridge.equals(l.master())).map(FakeLink::name).toList();
    }
}
