package io.javaoverlay.docker.names;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;

/** The real server on loopback, asked by dnsjava's own client over UDP and TCP. */
@Timeout(60)
class DnsServerTest {

    private final List<DnsServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(DnsServer::close);
    }

    private InetSocketAddress serve(Map<String, List<Ip4>> names, List<InetSocketAddress> upstreams) throws IOException {
        NameTable table = new NameTable();
        table.replace(names);
        DnsServer dns = new DnsServer(table, upstreams, Duration.ofMillis(500), new OverlayMetrics());
        servers.add(dns);
        InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort());
        dns.bind(at);
        return at;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Message ask(InetSocketAddress server, String name, int type, boolean tcp) throws IOException {
        SimpleResolver r = new SimpleResolver(server);
        r.setTCP(tcp);
        r.setIgnoreTruncation(true);
        r.setTimeout(Duration.ofSeconds(3));
        return r.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    private static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().map(r -> ((ARecord) r).getAddress().getHostAddress()).toList();
    }

    @Test
    void aPublishedNameGetsItsAddressesOverUdpAndTcpInAnyCase() throws IOException {
        InetSocketAddress dns = serve(Map.of("web", List.of(Ip4.parse("10.244.3.2"), Ip4.parse("10.244.5.7"))), List.of());
        for (boolean tcp : new boolean[] {false, true}) {
            Message m = ask(dns, "WEB.", Type.A, tcp);
            assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
            assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
            assertThat(addresses(m)).containsExactly("10.244.3.2", "10.244.5.7");
            assertThat(m.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(DnsServer.TTL_SECONDS);
        }
        Message aaaa = ask(dns, "web.", Type.AAAA, false);
        assertThat(aaaa.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(aaaa.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void otherNamesGoUpstreamAndComeBackAsTheUpstreamAnswered() throws IOException {
        InetSocketAddress upstream = serve(Map.of("db", List.of(Ip4.parse("192.0.2.9"))), List.of());
        InetSocketAddress dns = serve(Map.of("web", List.of(Ip4.parse("10.244.3.2"))), List.of(upstream));
        assertThat(addresses(ask(dns, "db.", Type.A, false))).containsExactly("192.0.2.9");
        // a longer name is never a container name here: forwarded too (the upstream has none, so SERVFAIL from it)
        assertThat(ask(dns, "web.example.", Type.A, false).getRcode()).isEqualTo(Rcode.SERVFAIL);
    }

    @Test
    void withoutAnUpstreamOtherNamesGetServfail() throws IOException {
        InetSocketAddress dns = serve(Map.of(), List.of());
        assertThat(ask(dns, "nothing.", Type.A, false).getRcode()).isEqualTo(Rcode.SERVFAIL);
    }

    @Test
    void anUnansweringUpstreamCostsAtMostTheForwardTimeout() throws IOException {
        try (DatagramSocket silent = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            InetSocketAddress dns = serve(Map.of(), List.of((InetSocketAddress) silent.getLocalSocketAddress()));
            long start = System.nanoTime();
            assertThat(ask(dns, "slow.", Type.A, false).getRcode()).isEqualTo(Rcode.SERVFAIL);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void aLargeAnswerIsTruncatedOnUdpAndWholeOnTcp() throws IOException {
        List<Ip4> many = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            many.add(Ip4.parse("10.244.3." + i));
        }
        InetSocketAddress dns = serve(Map.of("many", many), List.of());
        Message udp = ask(dns, "many.", Type.A, false);
        assertThat(udp.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(udp.toWire().length).isLessThanOrEqualTo(512);
        assertThat(addresses(ask(dns, "many.", Type.A, true))).hasSize(100);
    }

    @Test
    void garbageAndRepliesGetNoAnswer() throws IOException {
        InetSocketAddress dns = serve(Map.of("web", List.of(Ip4.parse("10.244.3.2"))), List.of());
        Message reply = Message.newQuery(Record.newRecord(Name.fromString("web."), Type.A, DClass.IN));
        reply.getHeader().setFlag(Flags.QR);
        try (DatagramSocket client = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            client.setSoTimeout(500);
            for (byte[] datagram : List.of(new byte[] {1, 2, 3}, reply.toWire())) {
                client.send(new DatagramPacket(datagram, datagram.length, dns));
                DatagramPacket in = new DatagramPacket(new byte[512], 512);
                try {
                    client.receive(in);
                    throw new AssertionError("answered " + in.getLength() + " bytes to something that is no query");
                } catch (SocketTimeoutException expected) {
                    // nothing came back
                }
            }
        }
        assertThat(addresses(ask(dns, "web.", Type.A, false))).containsExactly("10.244.3.2");
    }
}
