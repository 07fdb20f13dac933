package io.javaoverlay.core.backend;

import io.javaoverlay.core.net.Ip4;

/**
 * The interface this host reaches the other hosts through, as flannel picks it
 * ({@code --iface}, {@code --iface-regex}, the default route), and the address published to them.
 *
 * @param ifaceAddr the interface's own IPv4 address (the VXLAN source address)
 * @param publicIp  what other hosts send to: {@code --public-ip}, else {@code ifaceAddr}
 * @param mtu       the interface's MTU; backends subtract their encapsulation overhead
 */
public record ExternalInterface(String name, int index, int mtu, Ip4 ifaceAddr, Ip4 publicIp) {

    public ExternalInterface {
        if (name == null || name.isEmpty() || ifaceAddr == null || publicIp == null) {
            throw new IllegalArgumentException("interface name and addresses are required");
        }
        if (mtu <= 0) {
            throw new IllegalArgumentException("cannot determine the MTU of " + name);
        }
    }

    @Override
    public String toString() {
        return name + " (" + ifaceAddr + ", MTU " + mtu + (publicIp.equals(ifaceAddr) ? "" : ", public IP " + publicIp) + ")";
    }
}
