package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.testkit.EtcdExtension;

/**
 * The "no network config" error in etcd names the v2/v3 trap (a config written with {@code etcdctl set} is invisible
 * to v3 clients) and gives an etcdctl command that works as printed: the test runs it and the config is then found.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MissingConfigMessageIT {

    @RegisterExtension
    static final EtcdExtension etcd = EtcdExtension.builder().build();

    @Test
    void theMessageNamesTheV2TrapAndItsEtcdctlCommandWorks() throws Exception {
        String prefix = "/mcm-" + System.nanoTime() + "/network";
        try (EtcdLeaseStore store = EtcdLeaseStore.connect(EtcdOptions.of(etcd.endpoints(), prefix), new OverlayMetrics())) {
            SubnetManager sm = new SubnetManager(store, Duration.ofMinutes(1));
            Throwable t = catchThrowable(sm::networkConfig);
            assertThat(t).isInstanceOf(SubnetManager.MissingConfigException.class)
                    .hasMessageContaining(prefix + "/config in etcd at " + etcd.endpointsFlag())
                    .hasMessageContaining("etcdctl set").hasMessageContaining("ETCDCTL_API=3")
                    .hasMessageContaining("javaoverlay config set --etcd-endpoints=" + etcd.endpointsFlag() + " --etcd-prefix=" + prefix);

            Matcher m = Pattern.compile("`(ETCDCTL_API=3 etcdctl [^`]*)`").matcher(t.getMessage());
            assertThat(m.find()).as("an etcdctl command in %s", t.getMessage()).isTrue();
            Process p = new ProcessBuilder("sh", "-c", m.group(1)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();

            assertThat(sm.networkConfig().network().toString()).isEqualTo("10.244.0.0/16");
        }
    }

    @Test
    void withTheDefaultPrefixNoPrefixFlagIsNeeded() {
        try (EtcdLeaseStore store = EtcdLeaseStore.connect(EtcdOptions.of(etcd.endpoints(), null), new OverlayMetrics())) {
            assertThatThrownBy(() -> new SubnetManager(store, Duration.ofMinutes(1)).networkConfig())
                    .isInstanceOf(SubnetManager.MissingConfigException.class)
                    .hasMessageContaining("/coreos.com/network/config")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("--etcd-prefix"));
        }
    }
}
