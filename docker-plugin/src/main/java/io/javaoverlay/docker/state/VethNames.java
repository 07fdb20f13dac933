package io.javaoverlay.docker.state;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The two ends of an endpoint's veth pair: {@code host} stays on the bridge, {@code container}
 * is what dockerd moves into the sandbox (and renames to eth0, eth1, ...).
 *
 * <p>An interface name holds at most 15 bytes, so a 64-character Docker ID cannot be in it
 * whole. Names used to be the ID's first 12 characters, and two endpoints whose IDs share
 * those (Docker only promises uniqueness for the whole ID) got the same names: joining the
 * second deleted the first's live veth as a "leftover". Names are now 12 hex digits of the
 * SHA-256 of the whole ID, so they differ whenever the IDs differ (a collision needs two IDs
 * whose 48-bit digests agree, about one in 2^24 even among 4,096 endpoints on one host), and
 * they are recorded in the endpoint's state, so that a later change of the scheme never
 * renames the veth of a running container.
 *
 * @param host      the end on the host bridge ({@code vjo...})
 * @param container the end that goes into the container ({@code tjo...})
 */
public record VethNames(String host, String container) {

    /** The prefix of the host ends of our veth pairs (on the bridge). */
    public static final String HOST_PREFIX = "vjo";
    /** The prefix of the container ends before dockerd moves them into the sandbox. */
    public static final String CONTAINER_PREFIX = "tjo";
    /** 3 prefix characters + 12 = 15, the kernel's limit (IFNAMSIZ 16 with the NUL). */
    static final int SUFFIX_CHARS = 12;

    private static final Pattern HOST_NAME = Pattern.compile(HOST_PREFIX + "[0-9A-Za-z_.:-]{1," + SUFFIX_CHARS + "}");
    private static final Pattern CONTAINER_NAME = Pattern.compile(CONTAINER_PREFIX + "[0-9A-Za-z_.:-]{1," + SUFFIX_CHARS + "}");

    public VethNames {
        if (host == null || !HOST_NAME.matcher(host).matches()) {
            throw new IllegalArgumentException("host veth name " + host + " is not " + HOST_PREFIX + " and up to "
                    + SUFFIX_CHARS + " ID characters");
        }
        if (container == null || !CONTAINER_NAME.matcher(container).matches()) {
            throw new IllegalArgumentException("container veth name " + container + " is not " + CONTAINER_PREFIX
                    + " and up to " + SUFFIX_CHARS + " ID characters");
        }
    }

    /** The names of a new endpoint: from a digest of its whole ID. */
    public static VethNames forEndpoint(String endpointId) {
        Ids.check("endpoint", endpointId);
        String suffix = HexFormat.of().formatHex(sha256(endpointId), 0, SUFFIX_CHARS / 2);
        return new VethNames(HOST_PREFIX + suffix, CONTAINER_PREFIX + suffix);
    }

    /**
     * The names earlier plugins gave an endpoint (its ID's first 12 characters); used for
     * endpoints whose state file was written by such a plugin and so records no names, whose
     * containers may still be running on those veths.
     */
    public static VethNames legacy(String endpointId) {
        Ids.check("endpoint", endpointId);
        String suffix = endpointId.substring(0, Math.min(SUFFIX_CHARS, endpointId.length()));
        return new VethNames(HOST_PREFIX + suffix, CONTAINER_PREFIX + suffix);
    }

    /** True when an interface name is one of ours (host or container end), whoever it belongs to. */
    public static boolean looksOurs(String linkName) {
        return HOST_NAME.matcher(linkName).matches() || CONTAINER_NAME.matcher(linkName).matches();
    }

    /** True when the two pairs share a name: the one would take the other's interface. */
    public boolean clashesWith(VethNames other) {
        return host.equals(other.host) || container.equals(other.container);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
