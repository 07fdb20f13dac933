package io.javaoverlay.docker.names;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * Where container names live in etcd, a javaoverlay extension that flanneld ignores:
 * {@code <prefix>/names/<a.b.c.d>-<len>/<name>/<address>}, the first part the publishing host's
 * lease in flannel's subnet-key form, written with the etcd lease of that host's
 * {@code <prefix>/subnets/} key, so a host's names go when its lease goes. Everything is in the
 * key (the value is the container's short ID, for people reading etcd), so a reader checks one
 * string: a DNS label, an address inside the lease the key names.
 */
public final class NameKeys {

    /** One DNS label as container names should be: RFC 1123 host-name rules, lower case. */
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private final String names;
    private final String subnets;

    public NameKeys(String prefix) {
        this.names = prefix + "/names/";
        this.subnets = prefix + "/subnets/";
    }

    /** A key that is no valid name entry; {@link #reason} is the metric label. */
    public static final class BadKey extends IllegalArgumentException {
        private final String reason;

        BadKey(String reason, String message) {
            super(message);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    /** One published name: {@code name} resolves to {@code address}, published by the holder of {@code lease}. */
    public record Entry(Ip4Net lease, String name, Ip4 address) {
        public Entry {
            if (!LABEL.matcher(name).matches()) {
                throw new BadKey("not-a-label", "\"" + name + "\" is not a DNS label");
            }
            if (!lease.contains(address)) {
                throw new BadKey("outside-lease", address + " is outside the lease " + lease);
            }
        }
    }

    /** The prefix of every name key. */
    public String namesPrefix() {
        return names;
    }

    /** The prefix of flannel's lease keys. */
    public String subnetsPrefix() {
        return subnets;
    }

    /** The prefix of the names one host publishes. */
    public String hostPrefix(Ip4Net lease) {
        return names + lease.toKey() + "/";
    }

    public String key(Entry e) {
        return hostPrefix(e.lease()) + e.name() + "/" + e.address();
    }

    /** Parses a name key; {@link BadKey} says what is wrong with it. */
    public Entry parse(String key) {
        if (!key.startsWith(names)) {
            throw new BadKey("malformed", "not under " + names);
        }
        String[] parts = key.substring(names.length()).split("/", -1);
        if (parts.length != 3) {
            throw new BadKey("malformed", "expected " + names + "<subnet>/<name>/<address>");
        }
        Ip4Net lease;
        Ip4 address;
        try {
            lease = Ip4Net.parseKey(parts[0]);
            address = Ip4.parse(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new BadKey("malformed", e.getMessage());
        }
        return new Entry(lease, parts[1], address);
    }

    /** The lease a {@code <prefix>/subnets/} key names; IllegalArgumentException when it names none. */
    public Ip4Net parseSubnetKey(String key) {
        if (!key.startsWith(subnets)) {
            throw new IllegalArgumentException("not under " + subnets);
        }
        return Ip4Net.parseKey(key.substring(subnets.length()));
    }

    /**
     * A Docker container name or alias as a DNS label (lower-cased), or empty when it cannot be
     * one: Docker allows {@code _} and {@code .} in names, DNS labels do not.
     */
    public static Optional<String> label(String dockerName) {
        String s = dockerName.startsWith("/") ? dockerName.substring(1) : dockerName;
        s = s.toLowerCase(Locale.ROOT);
        return LABEL.matcher(s).matches() ? Optional.of(s) : Optional.empty();
    }
}
