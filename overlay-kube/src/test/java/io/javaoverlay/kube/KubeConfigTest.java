package io.javaoverlay.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.client.Config;
import io.javaoverlay.core.metrics.OverlayMetrics;

/** How the API server is found, as flannel's {@code clientcmd.BuildConfigFromFlags(apiUrl, kubeconfig)} finds it. */
class KubeConfigTest {

    private static final String KUBECONFIG = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: https://10.0.0.1:6443
            users:
            - name: u
              user:
                token: secret-token
            contexts:
            - name: x
              context:
                cluster: c
                user: u
            current-context: x
            """;

    @TempDir
    Path dir;

    private KubeOptions options(Optional<String> url, Optional<Path> kubeconfig) {
        return new KubeOptions(url, kubeconfig, null, null, true, Map.of("NODE_NAME", "n1"));
    }

    /** The bearer token requests carry: set explicitly, or read from the kubeconfig's user. */
    private static String token(Config c) {
        return c.getOauthToken() != null ? c.getOauthToken() : c.getAutoOAuthToken();
    }

    @Test
    void aKubeconfigNamesTheServerAndCredentialsAndTheApiUrlOverridesItsServer() throws Exception {
        Path kc = Files.writeString(dir.resolve("kubeconfig"), KUBECONFIG);
        Config c = KubeLeaseStore.config(options(Optional.empty(), Optional.of(kc)));
        assertThat(c.getMasterUrl()).startsWith("https://10.0.0.1:6443");
        assertThat(token(c)).isEqualTo("secret-token");
        Config overridden = KubeLeaseStore.config(options(Optional.of("https://10.9.9.9:6443"), Optional.of(kc)));
        assertThat(overridden.getMasterUrl()).startsWith("https://10.9.9.9:6443");
        assertThat(token(overridden)).isEqualTo("secret-token");
    }

    @Test
    void theApiUrlAloneCarriesNoCredentialsAndRequestsFailFastWhileWatchesReconnectForEver() {
        Config c = KubeLeaseStore.config(options(Optional.of("http://192.0.2.1:8080"), Optional.empty()));
        assertThat(c.getMasterUrl()).startsWith("http://192.0.2.1:8080");
        assertThat(token(c)).isNullOrEmpty();
        assertThat(c.getRequestRetryBackoffLimit()).isZero();
        assertThat(c.getWatchReconnectLimit()).isEqualTo(-1);
    }

    @Test
    void anUnreadableKubeconfigOrNoNodeNameIsSaidAtOnce() {
        assertThatThrownBy(() -> KubeLeaseStore.config(options(Optional.empty(), Optional.of(dir.resolve("missing")))))
                .hasMessageContaining("cannot read --kubeconfig-file");
        assertThatThrownBy(() -> KubeLeaseStore.connect(new KubeOptions(Optional.of("http://192.0.2.1:8080"), Optional.empty(), null, null,
                true, Map.of("POD_NAME", "p")), new OverlayMetrics())).hasMessageContaining("set NODE_NAME, or POD_NAME and POD_NAMESPACE");
    }
}
