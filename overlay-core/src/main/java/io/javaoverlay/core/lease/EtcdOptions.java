package io.javaoverlay.core.lease;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How to reach etcd: flannel's {@code --etcd-*} flags.
 *
 * <p>TLS follows flannel: {@code --etcd-certfile} and {@code --etcd-keyfile} together present a
 * client certificate; {@code --etcd-cafile} alone trusts a private CA for an https endpoint that
 * does not ask for client certificates. Keys are PEM in any form flannel takes: PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}), SEC1 ({@code BEGIN EC PRIVATE KEY}) or PKCS#8 ({@code BEGIN PRIVATE KEY}),
 * unencrypted; the certificate file may hold the chain (see {@link EtcdClientCredentials}).
 *
 * @param prefix the key prefix, flannel's {@code /coreos.com/network} by default
 * @param requestTimeout how long one etcd request may take before it counts as unavailable
 */
public record EtcdOptions(List<String> endpoints, String prefix, Optional<Path> caFile, Optional<Path> certFile,
                          Optional<Path> keyFile, Optional<String> username, Optional<String> password, Duration requestTimeout) {

    public static final String DEFAULT_PREFIX = "/coreos.com/network";

    public EtcdOptions {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("at least one etcd endpoint is required (--etcd-endpoints http://127.0.0.1:2379)");
        }
        for (String e : endpoints) {
            if (!e.startsWith("http://") && !e.startsWith("https://")) {
                throw new IllegalArgumentException("etcd endpoint \"" + e + "\" must start with http:// or https://");
            }
        }
        prefix = normalizePrefix(prefix == null ? DEFAULT_PREFIX : prefix);
        caFile = caFile == null ? Optional.empty() : caFile;
        certFile = certFile == null ? Optional.empty() : certFile;
        keyFile = keyFile == null ? Optional.empty() : keyFile;
        username = username == null ? Optional.empty() : username.filter(s -> !s.isEmpty());
        password = password == null ? Optional.empty() : password;
        if (certFile.isPresent() != keyFile.isPresent()) {
            throw new IllegalArgumentException("--etcd-certfile and --etcd-keyfile go together: give both or neither");
        }
        if (username.isEmpty() && password.filter(s -> !s.isEmpty()).isPresent()) {
            throw new IllegalArgumentException("--etcd-password needs --etcd-username");
        }
        requestTimeout = requestTimeout == null ? Duration.ofSeconds(10) : requestTimeout;
    }

    /** Plain endpoints, default prefix, no TLS or auth. */
    public static EtcdOptions of(List<String> endpoints, String prefix) {
        return new EtcdOptions(endpoints, prefix, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), null);
    }

    public boolean usesTls() {
        return caFile.isPresent() || certFile.isPresent() || endpoints.stream().anyMatch(e -> e.startsWith("https://"));
    }

    /** As Go's path.Join cleans it: no trailing or doubled slashes. */
    static String normalizePrefix(String prefix) {
        String p = prefix.replaceAll("/{2,}", "/");
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.equals("/") ? "" : p;
    }
}
