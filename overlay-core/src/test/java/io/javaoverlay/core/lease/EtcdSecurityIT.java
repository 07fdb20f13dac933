package io.javaoverlay.core.lease;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.EtcdExtension;

/** flannel's ways into a secured etcd: client certificates, a CA alone, and a user name with password. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdSecurityIT {

    static final String PREFIX = "/coreos.com/network";

    static void roundTrip(EtcdOptions options) {
        try (EtcdLeaseStore store = EtcdLeaseStore.connect(options, new OverlayMetrics())) {
            store.writeNetworkConfig("{\"Network\":\"10.11.0.0/16\"}");
            SubnetManager m = new SubnetManager(store, Duration.ofMinutes(1));
            Lease l = m.acquire(m.networkConfig(), LeaseAttrs.of(Ip4.parse("192.0.2.1"), Optional.empty(), Optional.empty()),
                    Optional.empty());
            assertThat(store.list().leases()).extracting(Lease::subnet).contains(l.subnet());
        }
    }

    static EtcdOptions options(EtcdExtension etcd, Optional<java.nio.file.Path> ca, Optional<java.nio.file.Path> cert,
                               Optional<java.nio.file.Path> key, Optional<String> user, Optional<String> password) {
        return new EtcdOptions(etcd.endpoints(), PREFIX, ca, cert, key, user, password, Duration.ofSeconds(5));
    }

    @Nested
    class MutualTls {
        @RegisterExtension
        static final EtcdExtension etcd = EtcdExtension.builder().tls(true).build();

        @Test
        void certKeyAndCaWork() {
            roundTrip(options(etcd, Optional.of(etcd.caFile()), Optional.of(etcd.clientCertFile()), Optional.of(etcd.clientKeyFile()),
                    Optional.empty(), Optional.empty()));
        }

        @Test
        void withoutAClientCertificateEtcdRefusesAndWeSaySo() {
            try (EtcdLeaseStore store = EtcdLeaseStore.connect(options(etcd, Optional.of(etcd.caFile()), Optional.empty(),
                    Optional.empty(), Optional.empty(), Optional.empty()), new OverlayMetrics())) {
                assertThatThrownBy(store::list).isInstanceOf(LeaseException.StoreUnavailableException.class)
                        .hasMessageContaining(etcd.endpoints().get(0));
            }
        }

        @Test
        void anUnreadableKeyFileIsNamed() {
            assertThatThrownBy(() -> EtcdLeaseStore.connect(options(etcd, Optional.of(etcd.caFile()), Optional.of(etcd.clientCertFile()),
                    Optional.of(java.nio.file.Path.of("/nonexistent/client.key")), Optional.empty(), Optional.empty()), new OverlayMetrics()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/nonexistent/client.key");
        }
    }

    @Nested
    class CaOnly {
        @RegisterExtension
        static final EtcdExtension etcd = EtcdExtension.builder().tls(true).clientCertAuth(false).build();

        @Test
        void aCaAloneIsEnoughForAnHttpsEtcdThatDoesNotAskForCertificates() {
            roundTrip(options(etcd, Optional.of(etcd.caFile()), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty()));
        }
    }

    @Nested
    class Password {
        @RegisterExtension
        static final EtcdExtension etcd = EtcdExtension.builder().build();

        @BeforeAll
        static void enableAuth() throws Exception {
            Auth auth = etcd.client().getAuthClient();
            ByteSequence root = ByteSequence.from("root", UTF_8);
            auth.roleAdd(root).get(10, TimeUnit.SECONDS);
            auth.userAdd(root, ByteSequence.from("s3cret", UTF_8)).get(10, TimeUnit.SECONDS);
            auth.userGrantRole(root, root).get(10, TimeUnit.SECONDS);
            auth.authEnable().get(10, TimeUnit.SECONDS);
        }

        @Test
        void usernameAndPasswordWork() {
            roundTrip(options(etcd, Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("root"), Optional.of("s3cret")));
        }

        @Test
        void aWrongPasswordIsRefused() {
            try (EtcdLeaseStore store = EtcdLeaseStore.connect(options(etcd, Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.of("root"), Optional.of("wrong")), new OverlayMetrics())) {
                assertThatThrownBy(store::list).isInstanceOf(LeaseException.StoreUnavailableException.class)
                        .hasMessageContaining("authentication failed");
            }
        }
    }
}
