package io.javaoverlay.kube;

import java.util.regex.Pattern;

/**
 * The names of flannel's node annotations under a prefix ({@code --kube-annotation-prefix},
 * default {@value #DEFAULT_PREFIX}), derived as flannel's {@code newAnnotations} derives them:
 * a prefix without a slash gets one ({@code example.com} -> {@code example.com/}), a prefix with
 * a path part gets a dash ({@code example.com/net} -> {@code example.com/net-}); more than one
 * slash, or anything but lowercase letters, digits, {@code _ - .}, is refused.
 *
 * <p>javaoverlay reads and writes the IPv4 ones and, dual stack, the IPv6 ones ({@code public-ipv6},
 * {@code backend-v6-data}, {@code public-ipv6-overwrite}).
 */
public record NodeAnnotations(String prefix) {

    /** flannel's default for {@code --kube-annotation-prefix}. */
    public static final String DEFAULT_PREFIX = "flannel.alpha.coreos.com";

    /** flannel's check of the normalized prefix: an FQDN, a slash, an optional name ending in a dash. */
    private static final Pattern VALID = Pattern.compile("(?:[a-z0-9_-]+\\.)+[a-z0-9_-]+/(?:[a-z0-9_-]+-)?");

    /** @param prefix the normalized prefix, ending in {@code /} or {@code -} ({@link #of} makes one) */
    public NodeAnnotations {
        if (prefix == null || !VALID.matcher(prefix).matches()) {
            throw new IllegalArgumentException("annotation prefix must be in a format: fqdn/[0-9a-z-_]*, got " + prefix);
        }
    }

    /**
     * Normalizes a {@code --kube-annotation-prefix} value as flannel does.
     *
     * @throws IllegalArgumentException naming what is wrong (as flannel's two messages do)
     */
    public static NodeAnnotations of(String flag) {
        String p = flag == null || flag.isEmpty() ? DEFAULT_PREFIX : flag;
        long slashes = p.chars().filter(c -> c == '/').count();
        if (slashes > 1) {
            throw new IllegalArgumentException("the annotation prefix can contain at most a single slash, got " + flag);
        }
        if (slashes == 0) {
            p += "/";
        }
        if (!p.endsWith("/") && !p.endsWith("-")) {
            p += "-";
        }
        return new NodeAnnotations(p);
    }

    /** {@code "true"} on a node whose flannel annotations are written by a kube subnet manager: only those nodes are peers. */
    public String kubeSubnetManager() {
        return prefix + "kube-subnet-manager";
    }

    /** The backend's JSON ({@code {"VNI":1,"VtepMAC":"..."}}, {@code null} for host-gw), as Go's json.Marshal writes it. */
    public String backendData() {
        return prefix + "backend-data";
    }

    public String backendV6Data() {
        return prefix + "backend-v6-data";
    }

    public String backendType() {
        return prefix + "backend-type";
    }

    public String publicIp() {
        return prefix + "public-ip";
    }

    public String publicIpv6() {
        return prefix + "public-ipv6";
    }

    /** Set by an operator: the public IP to publish instead of the interface's (a node behind NAT). */
    public String publicIpOverwrite() {
        return prefix + "public-ip-overwrite";
    }

    public String publicIpv6Overwrite() {
        return prefix + "public-ipv6-overwrite";
    }
}
