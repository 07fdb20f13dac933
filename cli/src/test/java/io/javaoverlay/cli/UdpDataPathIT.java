package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNamespace;

/**
 * The udp backend across namespace hosts: the agent's own packet loops between a TUN device and
 * UDP port 8285, with flannel's wire format (the inner IP packet is the payload).
 */
class UdpDataPathIT extends DataPathContract {

    @RegisterExtension
    static final OverlayCluster cluster = clusterOf("{\"Type\":\"udp\"}");

    /** No route per peer here: the late host is timed by the agent forwarding to it (see {@link #isProgrammed}). */
    @Override
    boolean isRouted(TestHost host, Ip4Net peer, Ip4 peerIp) {
        return isProgrammed(host, peer, peerIp);
    }

    /**
     * The udp backend keeps peers in the agent, not in the kernel. This host's agent knows the
     * peer when a ping to the peer's TUN address ({@code <subnet>.0}) is sent on to it instead of
     * being answered at once with "Destination Net Unreachable" (an answer from the peer needs
     * the peer to know this host as well, which is the peer's start-up, not this host's update).
     */
    @Override
    boolean isProgrammed(TestHost host, Ip4Net peer, Ip4 peerIp) {
        ExecResult r = host.exec(Duration.ofSeconds(5), "ping", "-n", "-c1", "-W0.1", peer.address().toString());
        return r.ok() || !r.stdout().contains("Unreachable");
    }

    /** ... and it is gone when this host's agent answers for it with ICMP net unreachable. */
    @Override
    boolean isGone(TestHost host, Ip4Net peer, Ip4 peerIp) {
        ExecResult r = host.exec(Duration.ofSeconds(5), "ping", "-n", "-c1", "-W0.5", peer.address().toString());
        return !r.ok() && r.stdout().contains("Destination Net Unreachable");
    }

    @Test
    @Order(10)
    void theNetworkIsRoutedIntoTheTunDevice() {
        TestHost h1 = cluster.host(1);
        assertThat(h1.ipJson("link", "show", "flannel0").get(0).path("mtu").asInt()).isEqualTo(1472);
        assertThat(h1.ip("route", "show", OverlayCluster.NETWORK)).contains("dev flannel0");
        assertThat(cluster.etcdctl("get", OverlayCluster.PREFIX + "/subnets/" + cluster.subnet(1).toKey()))
                .contains("\"PublicIP\":\"" + h1.underlayIp() + "\"").doesNotContain("BackendType");
    }

    @Test
    @Order(11)
    void datagramsFromNonPeersOrWithSpoofedSourcesAreDroppedAndCounted() throws Exception {
        TestNamespace target = cluster.container(1, 1);
        Ip4 targetIp = cluster.containerIp(1, 1);
        InetSocketAddress agent = new InetSocketAddress(cluster.host(1).underlayIp().toInetAddress(), 8285);
        Ip4 peerContainer = cluster.containerIp(2, 1);
        long echoes = inEchos(target);
        long notAPeer = dropped("not-a-peer");
        long spoofed = dropped("spoofed-source");

        // a well-formed packet from a legitimate source address, but sent by the underlay (not a peer)
        try (DatagramChannel outsider = NamespaceSockets.openUdp(cluster.net.underlay(), cluster.net.underlayGateway())) {
            outsider.send(ByteBuffer.wrap(echoRequest(peerContainer, targetIp, 1)), agent);
        }
        try (DatagramChannel peer = NamespaceSockets.openUdp(cluster.host(2), cluster.host(2).underlayIp())) {
            // from a peer, but claiming a source outside that peer's subnet
            peer.send(ByteBuffer.wrap(echoRequest(Ip4.parse("10.244.254.9"), targetIp, 2)), agent);
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                    .until(() -> dropped("not-a-peer") == notAPeer + 1 && dropped("spoofed-source") == spoofed + 1);
            assertThat(inEchos(target)).as("echo requests that reached the container").isEqualTo(echoes);
            // the same counters on the agent's /metrics, where Prometheus reads them
            assertThat(cluster.agentHttp(1, "/metrics"))
                    .contains("javaoverlay_backend_drops_total{backend=\"udp\",reason=\"not-a-peer\"} " + (notAPeer + 1) + ".0")
                    .contains("javaoverlay_backend_drops_total{backend=\"udp\",reason=\"spoofed-source\"} " + (spoofed + 1) + ".0")
                    .containsPattern("javaoverlay_backend_packets_total\\{backend=\"udp\",direction=\"rx\"} [1-9]");

            // the control: the same injection with the peer's own container as source is delivered
            peer.send(ByteBuffer.wrap(echoRequest(peerContainer, targetIp, 3)), agent);
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> inEchos(target) == echoes + 1);
        }
    }

    @Test
    @Order(12)
    void packetsForSubnetsNoPeerHoldsGetNetUnreachable() {
        ExecResult r = cluster.container(1, 1).exec(Duration.ofSeconds(10), "ping", "-n", "-c1", "-W2", "10.244.254.9");
        assertThat(r.ok()).isFalse();
        assertThat(r.stdout()).contains("Destination Net Unreachable");
    }

    private static final Pattern DROPS = Pattern.compile("dropped so far: ([^(]*)");

    /** A drop counter of host 1's agent, from the last summary it logged (every recheck when drops changed). */
    private static long dropped(String reason) {
        Matcher m = DROPS.matcher(cluster.agent(1).log());
        long value = 0;
        while (m.find()) {
            Matcher r = Pattern.compile("(\\d+) " + Pattern.quote(reason)).matcher(m.group(1));
            value = r.find() ? Long.parseLong(r.group(1)) : 0;
        }
        return value;
    }

    /** The container's count of ICMP echo requests received ({@code /proc/net/snmp}). */
    private static long inEchos(TestNamespace ns) {
        String snmp = ns.execOk("cat", "/proc/net/snmp");
        String[] lines = snmp.split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            if (lines[i].startsWith("Icmp: InMsgs")) {
                String[] names = lines[i].split("\\s+");
                String[] values = lines[i + 1].split("\\s+");
                for (int k = 0; k < names.length; k++) {
                    if (names[k].equals("InEchos")) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        }
        throw new AssertionError("no Icmp InEchos in /proc/net/snmp:\n" + snmp);
    }

    /** An IPv4 ICMP echo request with valid checksums: what flannel's udp backend carries as a datagram's payload. */
    static byte[] echoRequest(Ip4 src, Ip4 dst, int seq) {
        ByteBuffer p = ByteBuffer.allocate(20 + 8 + 16);
        p.put(0, (byte) 0x45).putShort(2, (short) p.capacity()).putShort(4, (short) seq).put(8, (byte) 64).put(9, (byte) 1)
                .putInt(12, src.value()).putInt(16, dst.value());
        p.putShort(10, (short) checksum(p, 0, 20));
        p.put(20, (byte) 8).putShort(24, (short) 0x4a4f).putShort(26, (short) seq);
        for (int i = 28; i < p.capacity(); i++) {
            p.put(i, (byte) i);
        }
        p.putShort(22, (short) checksum(p, 20, p.capacity() - 20));
        return p.array();
    }

    private static int checksum(ByteBuffer b, int off, int len) {
        long sum = 0;
        for (int i = off; i < off + len; i += 2) {
            sum += ((b.get(i) & 0xff) << 8) | (i + 1 < off + len ? b.get(i + 1) & 0xff : 0);
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    @Test
    @Order(20)
    void aContainerWithTheUnderlaysMtuLearnsThePathMtuAndStillTransfers() throws Exception {
        containerWithTheUnderlaysMtuLearnsThePathMtu();
    }
}
