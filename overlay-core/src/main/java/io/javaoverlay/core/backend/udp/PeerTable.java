package io.javaoverlay.core.backend.udp;

import java.util.Arrays;
import java.util.Map;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * Immutable lookup tables for the udp backend's two hot paths, rebuilt on every peer change
 * and swapped in with one volatile write, so the packet threads never lock or allocate:
 * <ul>
 *   <li>outbound: inner destination address -> peer public IP ({@link #publicIpFor});</li>
 *   <li>inbound: datagram source (peer public IP) -> that peer's subnet ({@link #subnetOf}).</li>
 * </ul>
 * Every lease in a network has the same prefix length, so an outbound lookup is one mask and
 * one probe of an open-addressing int map. {@code 0} marks an empty slot: neither the network
 * address 0.0.0.0 nor the public IP 0.0.0.0 can be a peer.
 */
public final class PeerTable {

    /** Returned by lookups that find nothing. */
    public static final int NONE = 0;

    private final int subnetMask;
    private final IntIntMap bySubnet;
    private final IntIntMap subnetByPublicIp;
    private final int size;

    private PeerTable(int subnetLength, Map<Ip4Net, Ip4> peers) {
        this.subnetMask = Ip4Net.mask(subnetLength);
        this.bySubnet = new IntIntMap(peers.size());
        this.subnetByPublicIp = new IntIntMap(peers.size());
        for (Map.Entry<Ip4Net, Ip4> e : peers.entrySet()) {
            if (e.getKey().prefixLength() != subnetLength) {
                throw new IllegalArgumentException("peer subnet " + e.getKey() + " is not a /" + subnetLength);
            }
            if (e.getKey().address().value() == NONE || e.getValue().value() == NONE) {
                throw new IllegalArgumentException("0.0.0.0 cannot be a peer subnet or public IP");
            }
            bySubnet.put(e.getKey().address().value(), e.getValue().value());
            subnetByPublicIp.put(e.getValue().value(), e.getKey().address().value());
        }
        this.size = peers.size();
    }

    /** @param peers every peer's subnet and public IP; all subnets have {@code subnetLength} */
    public static PeerTable of(int subnetLength, Map<Ip4Net, Ip4> peers) {
        return new PeerTable(subnetLength, peers);
    }

    public static PeerTable empty(int subnetLength) {
        return new PeerTable(subnetLength, Map.of());
    }

    /** The public IP of the peer whose subnet holds {@code innerDst}, or {@link #NONE}. */
    public int publicIpFor(int innerDst) {
        return bySubnet.get(innerDst & subnetMask);
    }

    /** The network address of the subnet leased by the peer at {@code publicIp}, or {@link #NONE}. */
    public int subnetOf(int publicIp) {
        return subnetByPublicIp.get(publicIp);
    }

    /** True when {@code innerSrc} lies in the subnet of the peer at {@code publicIp}. */
    public boolean isFromPeer(int publicIp, int innerSrc) {
        int subnet = subnetOf(publicIp);
        return subnet != NONE && (innerSrc & subnetMask) == subnet;
    }

    /** True when {@code ip} lies in the subnet whose network address is {@code subnet} (from {@link #subnetOf}). */
    public boolean isInSubnet(int subnet, int ip) {
        return (ip & subnetMask) == subnet;
    }

    public int size() {
        return size;
    }

    /** Open addressing with linear probing; keys are never 0. Load factor at most 1/2. */
    private static final class IntIntMap {
        private final int[] keys;
        private final int[] values;
        private final int mask;

        IntIntMap(int expected) {
            int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
            keys = new int[capacity];
            values = new int[capacity];
            mask = capacity - 1;
        }

        void put(int key, int value) {
            int i = mix(key) & mask;
            while (keys[i] != 0 && keys[i] != key) {
                i = (i + 1) & mask;
            }
            keys[i] = key;
            values[i] = value;
        }

        int get(int key) {
            int i = mix(key) & mask;
            while (true) {
                int k = keys[i];
                if (k == key) {
                    return values[i];
                }
                if (k == 0) {
                    return NONE;
                }
                i = (i + 1) & mask;
            }
        }

        /** Subnet addresses differ only in a few middle bits; spread them over the table. */
        private static int mix(int key) {
            int h = key * 0x9E3779B9;
            return h ^ (h >>> 16);
        }

        @Override
        public String toString() {
            return Arrays.toString(keys);
        }
    }
}
