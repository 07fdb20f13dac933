package io.javaoverlay.core.ipam;

/**
 * Who holds an address.
 *
 * <p>The CNI plugin uses {@code client = "cni/<network name>"}, {@code id = CNI_CONTAINERID},
 * {@code ifName = CNI_IFNAME}: the spec's attachment key. The Docker IPAM driver is not told
 * the container (libnetwork's RequestAddress carries only the pool), so it uses
 * {@code client = "docker"}, the pool ID as {@code id} and releases by address. Keeping the
 * client apart lets each face list and collect only its own reservations.
 *
 * @param client which face and network holds the address, e.g. {@code cni/podnet} or {@code docker}
 * @param id     the container (CNI) or pool (Docker) identifier
 * @param ifName the interface inside the container, or an endpoint name; may be empty
 */
public record Owner(String client, String id, String ifName) {

    public Owner {
        check("client", client, false);
        check("id", id, false);
        check("ifName", ifName == null ? "" : ifName, true);
        ifName = ifName == null ? "" : ifName;
    }

    public static Owner of(String client, String id, String ifName) {
        return new Owner(client, id, ifName);
    }

    /** The owner as a CNI attachment of network {@code network}. */
    public static Owner cni(String network, String containerId, String ifName) {
        return new Owner(cniClient(network), containerId, ifName);
    }

    /** The client of every attachment of CNI network {@code network}: {@code cni/<network>}. */
    public static String cniClient(String network) {
        return "cni/" + network;
    }

    /**
     * The stored fields must survive one line per field in the record file: no line breaks,
     * and nothing that is not printable.
     */
    private static void check(String what, String value, boolean mayBeEmpty) {
        if (value == null || (!mayBeEmpty && value.isEmpty())) {
            throw new IllegalArgumentException("owner " + what + " is missing");
        }
        if (value.length() > 1024) {
            throw new IllegalArgumentException("owner " + what + " is longer than 1024 characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("owner " + what + " contains a control character: \"" + value + "\"");
            }
        }
    }

    // equals and hashCode by hand: a record's generated ones are bootstrapped through
    // invokedynamic (ObjectMethods) on first use, which costs a short-lived process such as the
    // CNI plugin tens of milliseconds
    @Override
    public boolean equals(Object o) {
        return o instanceof Owner other && other.client.equals(client) && other.id.equals(id) && other.ifName.equals(ifName);
    }

    @Override
    public int hashCode() {
        return (client.hashCode() * 31 + id.hashCode()) * 31 + ifName.hashCode();
    }

    @Override
    public String toString() {
        return client + ":" + id + (ifName.isEmpty() ? "" : "/" + ifName);
    }
}
