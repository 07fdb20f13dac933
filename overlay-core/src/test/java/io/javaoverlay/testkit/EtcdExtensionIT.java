package io.javaoverlay.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;

/** The etcd fixture itself: a real server that survives stop/start with its data, plain and TLS. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdExtensionIT {

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Nested
    class Plain {
        @RegisterExtension
        static final EtcdExtension etcd = EtcdExtension.builder().build();

        @Test
        void keepsDataAcrossStopAndStart() throws Exception {
            Client c = etcd.client();
            c.getKVClient().put(bytes("/k"), bytes("v1")).get(5, TimeUnit.SECONDS);

            etcd.stop();
            etcd.start();

            assertThat(c.getKVClient().get(bytes("/k")).get(20, TimeUnit.SECONDS).getKvs())
                    .singleElement().satisfies(kv -> assertThat(kv.getValue().toString(StandardCharsets.UTF_8)).isEqualTo("v1"));
        }

        @Test
        void isolatedStartHidesTheUsualEndpoints() throws Exception {
            etcd.stop();
            try (Client side = etcd.startIsolated()) {
                side.getKVClient().put(bytes("/isolated"), bytes("yes")).get(5, TimeUnit.SECONDS);
            }
            etcd.stop();
            etcd.start();
            assertThat(etcd.client().getKVClient().get(bytes("/isolated")).get(20, TimeUnit.SECONDS).getCount()).isEqualTo(1);
        }
    }

    @Nested
    class Tls {
        @RegisterExtension
        static final EtcdExtension etcd = EtcdExtension.builder().tls(true).build();

        @Test
        void servesHttpsWithClientCertificates() throws Exception {
            assertThat(etcd.endpoints()).allSatisfy(e -> assertThat(e).startsWith("https://127.0.0.1:"));
            etcd.client().getKVClient().put(bytes("/tls"), bytes("ok")).get(5, TimeUnit.SECONDS);
            assertThat(etcd.client().getKVClient().get(bytes("/tls")).get(5, TimeUnit.SECONDS).getCount()).isEqualTo(1);
        }
    }

    @Nested
    class Cluster {
        @RegisterExtension
        static final EtcdExtension etcd = EtcdExtension.builder().members(3).build();

        @Test
        void survivesLosingOneMember() throws Exception {
            etcd.stop(0);
            etcd.newClient(etcd.endpoints().subList(1, 3)).getKVClient().put(bytes("/ha"), bytes("1")).get(20, TimeUnit.SECONDS);
            etcd.start(0);
            assertThat(etcd.client().getKVClient().get(bytes("/ha")).get(20, TimeUnit.SECONDS).getCount()).isEqualTo(1);
        }
    }
}
