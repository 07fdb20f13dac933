package io.javaoverlay.docker.host;

import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.Address;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.Links;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.NewLink;

/** {@link HostNetwork} over rtnetlink, in the plugin process's own network namespace. */
public final class NetlinkHostNetwork implements HostNetwork, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NetlinkHostNetwork.class);

    private final NetlinkSocket netlink;

    public NetlinkHostNetwork(NetlinkSocket netlink) {
        this.netlink = netlink;
    }

    /** A socket on the calling thread's namespace: the plugin runs in the host's namespace. */
    public static NetlinkHostNetwork openHere() {
        return new NetlinkHostNetwork(NetlinkSocket.open());
    }

    @Override
    public void ensureBridge(String bridge, Ip4Net.HostAddress gateway) {
        Links links = netlink.links();
        boolean existed = links.get(bridge).isPresent();
        Link br = links.ensureBridge(bridge);
        if (!existed) {
            LOG.info("created bridge {} for {}", bridge, gateway.network());
        }
        boolean hasGateway = netlink.addresses().list(br).stream()
                .anyMatch(a -> a.isIp4() && a.ip4().equals(gateway));
        if (!hasGateway) {
            netlink.addresses().replace(Address.ip4(br.index(), gateway));
            LOG.info("bridge {}: address {}", bridge, gateway);
        }
        if (!br.isUp()) {
            links.setUp(br.index());
        }
    }

    @Override
    public void createVethPair(String bridge, String hostEnd, String containerEnd, MacAddress mac, int mtu) {
        Links links = netlink.links();
        if (links.deleteIfExists(hostEnd)) {
            LOG.info("replaced leftover veth {}", hostEnd);
        }
        if (links.deleteIfExists(containerEnd)) {
            LOG.info("replaced leftover veth {}", containerEnd);
        }
        Link br = links.require(bridge);
        Link host = links.create(NewLink.veth(hostEnd, NewLink.VethPeer.named(containerEnd).withMac(mac).withMtu(mtu))
                .withMtu(mtu));
        boolean done = false;
        try {
            links.setMaster(host.index(), br.index());
            links.setUp(host.index());
            done = true;
        } finally {
            if (!done) {
                links.deleteIfExists(hostEnd);
            }
        }
    }

    @Override
    public boolean linkExists(String name) {
        return netlink.links().get(name).isPresent();
    }

    @Override
    public boolean deleteLink(String name) {
        return netlink.links().deleteIfExists(name);
    }

    @Override
    public List<String> linkNames() {
        return netlink.links().list().stream().map(Link::name).toList();
    }

    @Override
    public List<String> bridgePorts(String bridge) {
        Optional<Link> br = netlink.links().get(bridge);
        if (br.isEmpty()) {
            return List.of();
        }
        int index = br.get().index();
        return netlink.links().list().stream().filter(l -> l.masterIndex() == index).map(Link::name).toList();
    }

    @Override
    public void close() {
        netlink.close();
    }
}
