package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * Bouncy Castle (about 9 MB of signed jars) loads only when a client certificate is configured: the agent's start
 * time is watched, and most agents talk plain http or https with a CA alone. Each case runs in a JVM of its own
 * with {@code -verbose:class}, since this test JVM may have loaded the classes already.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsFootprintTest {

    /** Builds a store for the case named in args[0], then exits; no request is made. */
    public static void main(String[] args) {
        List<String> plain = List.of("http://127.0.0.1:1");
        List<String> https = List.of("https://127.0.0.1:1");
        switch (args[0]) {
            case "plain" -> EtcdLeaseStore.connect(EtcdOptions.of(plain, null), new OverlayMetrics()).close();
            case "https" -> EtcdLeaseStore.connect(EtcdOptions.of(https, null), new OverlayMetrics()).close();
            case "client-cert" -> {
                try {
                    EtcdClientCredentials.read(Path.of("/nonexistent/client.pem"), Path.of("/nonexistent/client.key"));
                } catch (Exception expected) {
                    // the files are missing; the classes are loaded by then
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.exit(0);
    }

    private static String loadedClasses(String which) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-verbose:class", "-cp", System.getProperty("java.class.path"),
                TlsFootprintTest.class.getName(), which).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out.lines().filter(l -> !l.startsWith("[")).toList().toString()).isZero();
        return out;
    }

    @Test
    void plainAndCaOnlyStoresDoNotLoadBouncyCastle() throws Exception {
        assertThat(loadedClasses("plain")).contains("io.javaoverlay.core.lease.EtcdLeaseStore").doesNotContain("org.bouncycastle");
        assertThat(loadedClasses("https")).contains("io.javaoverlay.core.lease.EtcdLeaseStore").doesNotContain("org.bouncycastle");
    }

    @Test
    void aClientCertificateDoes() throws Exception {
        // the control: the check above would see Bouncy Castle if it were loaded
        assertThat(loadedClasses("client-cert")).contains("org.bouncycastle");
    }
}
