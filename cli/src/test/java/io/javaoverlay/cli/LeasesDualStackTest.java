package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.lease.DiskLeaseStore;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.SubnetManager;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;

/** {@code javaoverlay leases} shows both families of a dual-stack lease. */
class LeasesDualStackTest {

    @Test
    void listsTheIpv6SubnetAndPublicIpv6BesideTheIpv4Ones(@TempDir Path dir) throws Exception {
        Path leaseDir = dir.resolve("leases");
        ObjectMapper json = new ObjectMapper();
        try (DiskLeaseStore store = new DiskLeaseStore(leaseDir, Optional.empty())) {
            store.writeNetworkConfig("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\"}");
            SubnetManager sm = new SubnetManager(store, Duration.ofMinutes(5));
            LeaseAttrs attrs = LeaseAttrs.of(Ip4.parse("192.0.2.5"), Optional.of("vxlan"),
                    Optional.of(json.readTree("{\"VNI\":1,\"VtepMAC\":\"0a:58:0a:05:00:01\"}")))
                    .withIpv6("fd00::5", Optional.of(json.readTree("{\"VNI\":1,\"VtepMAC\":\"0a:58:0a:05:00:02\"}")));
            sm.acquire(sm.networkConfig(), attrs, Optional.of(io.javaoverlay.core.net.Ip4Net.parse("10.5.52.0/24")),
                    Optional.of(Ip6Net.parse("fc00:5:0:34::/64")), List.of());
        }

        StringWriter out = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("leases", "--lease-dir", leaseDir.toString())).isZero();
        assertThat(out.toString()).contains("SUBNET             PUBLIC-IP       IPV6-SUBNET              PUBLIC-IPV6")
                .contains("10.5.52.0/24       192.0.2.5       fc00:5:0:34::/64         fd00::5");

        out.getBuffer().setLength(0);
        assertThat(cl.execute("leases", "--lease-dir", leaseDir.toString(), "--json")).isZero();
        assertThat(out.toString().strip()).isEqualTo("{\"Subnet\":\"10.5.52.0/24\",\"IPv6Subnet\":\"fc00:5:0:34::/64\",\"Lease\":"
                + "{\"PublicIP\":\"192.0.2.5\",\"PublicIPv6\":\"fd00::5\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,"
                + "\"VtepMAC\":\"0a:58:0a:05:00:01\"},\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"0a:58:0a:05:00:02\"}}}");
    }
}
