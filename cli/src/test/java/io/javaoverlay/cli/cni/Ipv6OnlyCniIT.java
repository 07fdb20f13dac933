package io.javaoverlay.cli.cni;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.cli.cni.CniHost.Run;
import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

/**
 * IPv6-only pods: a namespace host whose subnet.env is what flanneld writes for an IPv6-only
 * network ({@code "EnableIPv4": false}: the IPv6 pair, MTU and IPMASQ, no FLANNEL_NETWORK or
 * FLANNEL_SUBNET), no agent, and the real CNI executable in its own JVM as a runtime runs it.
 * Two pods get only an IPv6 address each, ping each other and the bridge's gateway over IPv6;
 * the results hold only the IPv6 address, also as the reference {@code tuning} plugin (libcni's
 * types) reads them; CHECK and STATUS pass; {@code ipMasq} writes ip6tables rules and no
 * iptables ones; DEL frees the addresses and the last one takes the rules away.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class Ipv6OnlyCniIT {

    @RegisterExtension
    static final TestNetwork net = TestNetwork.namespacesOnly();

    static final String NETWORK6 = "fd00:6a::/48";
    static final String LEASE6 = "fd00:6a:0:34::/64";
    static final String GATEWAY6 = "fd00:6a:0:34::1";
    /** flannel v0.28's WriteSubnetFile with EnableIPv4 false, EnableIPv6 true and no --ip-masq. */
    static final String FLANNELD_SUBNET_ENV = "FLANNEL_IPV6_NETWORK=" + NETWORK6 + "\nFLANNEL_IPV6_SUBNET=" + GATEWAY6 + "/64\n"
            + "FLANNEL_MTU=1400\nFLANNEL_IPMASQ=false\n";

    private static final String TUNING = "/usr/lib/cni/tuning";

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> result, String key) {
        return (List<Map<String, Object>>) result.get(key);
    }

    /** The JO-CNI lines of the host's {@code tool -t nat -S}. */
    private static List<String> cniNat(CniHost host, String tool) {
        return host.ns.execOk(tool, "-t", "nat", "-S").lines().filter(l -> l.contains("JO-CNI-")).toList();
    }

    /** The names in the host's IPAM directory that are IPv6 reservations. */
    private static List<String> reservations6(CniHost host) {
        if (!Files.isDirectory(host.dataDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(host.dataDir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("fd00:")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The global addresses of {@code dev} in {@code ns} for {@code family} ("-4" or "-6"). */
    private static List<String> globalAddresses(TestNamespace ns, String family, String dev) {
        List<String> out = new ArrayList<>();
        for (JsonNode link : ns.ipJson(family, "addr", "show", "dev", dev)) {
            for (JsonNode info : link.path("addr_info")) {
                if (info.path("scope").asText().equals("global")) {
                    out.add(info.path("local").asText() + "/" + info.path("prefixlen").asInt());
                }
            }
        }
        return out;
    }

    @Test
    void podsOfAnIpv6OnlyHostGetOnlyIpv6AddressesReachEachOtherAndAreFreedByDel() throws Exception {
        Requirements.check().command("ip6tables", "iptables").executable(TUNING, "containernetworking-plugins").orAbort();
        CniHost host = CniHost.create(net, "v6only", false);
        Files.writeString(host.subnetFile, FLANNELD_SUBNET_ENV); // over the IPv4 file CniHost wrote: flanneld's, by hand
        // the host ran an IPv4 lease before: its bridge still carries that gateway, which must go
        host.ns.ip("link", "add", CniHost.BRIDGE, "type", "bridge");
        host.ns.ip("addr", "add", "10.99.7.1/24", "dev", CniHost.BRIDGE);
        TestNamespace a = host.pod();
        TestNamespace b = host.pod();
        // 1.0.0: the newest version the installed reference plugins (tuning, below) speak
        Run addA = host.invoke("ADD", "v6a", a, host.conf("1.0.0"));
        assertThat(addA.exit()).as("ADD a: %s", addA).isZero();
        Run addB = host.invoke("ADD", "v6b", b, host.conf("0.3.1"));
        assertThat(addB.exit()).as("ADD b: %s", addB).isZero();
        Map<String, Object> resultA = CniJson.assertAddResult(addA.stdout(), "1.0.0");
        Map<String, Object> resultB = CniJson.assertAddResult(addB.stdout(), "0.3.1");

        // each result: one IPv6 address from the host's IPv6 subnet with the bridge as gateway, the IPv6 routes only
        List<String> ips = new ArrayList<>();
        for (Map<String, Object> result : List.of(resultA, resultB)) {
            assertThat(list(result, "ips")).singleElement().satisfies(ip -> {
                assertThat(ip.get("gateway")).isEqualTo(GATEWAY6);
                assertThat((String) ip.get("address")).startsWith("fd00:6a:0:34::").endsWith("/64");
            });
            assertThat(list(result, "routes")).extracting(r -> r.get("dst") + " via " + r.get("gw"))
                    .containsExactly(NETWORK6 + " via " + GATEWAY6, "::/0 via " + GATEWAY6);
            ips.add(Ip6Host.parse((String) list(result, "ips").get(0).get("address")).ipText());
        }
        assertThat(list(resultB, "ips").get(0)).as("0.3.x names the family").containsEntry("version", "6");
        String ipA = ips.get(0);
        String ipB = ips.get(1);
        assertThat(ipA).isNotEqualTo(ipB);
        assertThat(reservations6(host)).containsExactlyInAnyOrder(ipA, ipB);

        // what the kernel has: the pods and the bridge carry IPv6 only, nothing tentative
        for (TestNamespace pod : List.of(a, b)) {
            assertThat(globalAddresses(pod, "-4", "eth0")).as("no IPv4 address in the pod").isEmpty();
            assertThat(pod.ip("-4", "route", "show")).as("no IPv4 route in the pod").isBlank();
            assertThat(pod.ip("-6", "addr", "show", "tentative")).isBlank();
            assertThat(pod.ip("-6", "route", "show")).contains("default via " + GATEWAY6 + " dev eth0")
                    .contains(NETWORK6 + " via " + GATEWAY6 + " dev eth0");
        }
        assertThat(globalAddresses(a, "-6", "eth0")).containsExactly(ipA + "/64");
        assertThat(globalAddresses(host.ns, "-4", CniHost.BRIDGE)).as("no IPv4 address on the bridge, the old one removed").isEmpty();
        assertThat(globalAddresses(host.ns, "-6", CniHost.BRIDGE)).containsExactly(GATEWAY6 + "/64");

        // IPv6 between the pods and to the bridge's gateway
        ExecResult ab = a.exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c3", "-i0.2", "-W1", ipB);
        assertThat(ab.ok()).as(ab.stdout() + ab.stderr()).isTrue();
        assertThat(ab.stdout()).contains("3 received");
        assertThat(b.exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c1", "-W1", ipA).ok()).as("b -> a").isTrue();
        assertThat(a.exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c1", "-W1", GATEWAY6).ok()).as("a -> gateway").isTrue();
        assertThat(host.ns.exec(Duration.ofSeconds(10), "ping", "-6", "-n", "-c1", "-W1", ipB).ok()).as("host -> b").isTrue();

        // libcni's types read the result: the reference tuning plugin takes it as prevResult and passes it on
        // (its backup of the link's settings goes to this host's directory, not /run/cni)
        String tuningConf = new String(JsonTree.format(Map.of("cniVersion", "1.0.0", "name", "podnet", "type", "tuning",
                "dataDir", host.dir.resolve("tuning").toString(), "prevResult", resultA)), StandardCharsets.UTF_8);
        Run tuning = host.run(TUNING, CniHost.env("ADD", "v6a", a, "eth0"), tuningConf);
        assertThat(tuning.exit()).as("tuning: %s", tuning).isZero();
        assertThat(list(CniJson.assertAddResult(tuning.stdout(), "1.0.0"), "ips")).extracting(ip -> ip.get("address"))
                .containsExactly(ipA + "/64");
        Run tuningDel = host.run(TUNING, CniHost.env("DEL", "v6a", a, "eth0"), tuningConf);
        assertThat(tuningDel.exit()).as("tuning DEL: %s", tuningDel).isZero();

        // CHECK and STATUS pass on this host
        Run check = host.invoke("CHECK", "v6a", a, host.conf("1.0.0", Map.of("prevResult", resultA)));
        assertThat(check.exit()).as("CHECK: %s", check).isZero();
        Run status = host.invoke("STATUS", "", null, host.conf("1.1.0"));
        assertThat(status.exit()).as("STATUS: %s", status).isZero();

        // FLANNEL_IPMASQ=false, so the plugin masquerades: with ip6tables only
        List<String> nat6 = cniNat(host, "ip6tables");
        assertThat(nat6).anyMatch(l -> l.contains("-s " + LEASE6 + " -d " + NETWORK6) && l.endsWith("-j RETURN"))
                .anyMatch(l -> l.contains("-s " + LEASE6 + " ! -d ff00::/8") && l.endsWith("-j MASQUERADE"));
        assertThat(cniNat(host, "iptables")).as("no IPv4 rule").isEmpty();

        // DEL frees each address; the last one takes the rules away
        Run delA = host.invoke("DEL", "v6a", a, host.conf("1.0.0"));
        assertThat(delA.exit()).as("DEL a: %s", delA).isZero();
        assertThat(reservations6(host)).containsExactly(ipB);
        assertThat(CniHost.links(a)).isEmpty();
        assertThat(cniNat(host, "ip6tables")).as("b still uses them").isEqualTo(nat6);
        Run delB = host.invoke("DEL", "v6b", b, host.conf("0.3.1"));
        assertThat(delB.exit()).as("DEL b: %s", delB).isZero();
        assertThat(reservations6(host)).isEmpty();
        assertThat(host.reservations()).as("no IPv4 reservation at any time").isEmpty();
        assertThat(cniNat(host, "ip6tables")).isEmpty();
        assertThat(host.invoke("DEL", "v6b", b, host.conf("0.3.1")).exit()).as("repeated DEL").isZero();
    }
}
