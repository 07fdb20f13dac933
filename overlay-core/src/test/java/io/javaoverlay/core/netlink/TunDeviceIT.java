package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestProcess;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TUN devices: the kernel routes a ping into the device, the test reads the echo request from
 * the descriptor and writes the echo reply back, and ping must see it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TunDeviceIT {

    @RegisterExtension
    static final NamespaceFixture host = new NamespaceFixture("tun");

    @BeforeAll
    static void check() {
        Requirements.check().file("/dev/net/tun", "the kernel's TUN driver (CONFIG_TUN, modprobe tun)").command("ping", "iputils-ping").orAbort();
    }

    @Test
    void pingIsReadFromTheDeviceAndTheReplyWrittenBackReachesPing() throws Exception {
        try (TunDevice tun = TunDevice.open(host.handle(), "jtun0")) {
            assertThat(tun.name()).isEqualTo("jtun0");
            Link link = host.nl().links().require("jtun0");
            assertThat(link.kind()).isEqualTo("tun");
            assertThat(link.mac()).isNull();
            host.nl().addresses().add(Address.ip4(link.index(), Ip4.parse("10.60.0.1"), 24));
            host.nl().links().setUp(link.index());

            TestProcess ping = host.ns().start("ping", "ping", "-n", "-c1", "-W10", "10.60.0.2");

            ByteBuffer in = ByteBuffer.allocateDirect(2048);
            int length;
            while (true) { // skip IPv6 router solicitations and the like
                in.clear();
                length = tun.read(in);
                assertThat(length).isPositive();
                if ((in.get(0) >> 4) == 4 && in.get(9) == 1 && in.get(ipHeader(in)) == 8) {
                    break;
                }
            }
            assertThat(in.position()).isEqualTo(length);
            assertThat(Ip4.of(in.get(12) & 0xff, in.get(13) & 0xff, in.get(14) & 0xff, in.get(15) & 0xff))
                    .isEqualTo(Ip4.parse("10.60.0.1"));
            assertThat(Ip4.of(in.get(16) & 0xff, in.get(17) & 0xff, in.get(18) & 0xff, in.get(19) & 0xff))
                    .isEqualTo(Ip4.parse("10.60.0.2"));

            ByteBuffer reply = ByteBuffer.allocateDirect(2048);
            echoReply(in, length, reply);
            assertThat(tun.write(reply)).isEqualTo(length);
            assertThat(reply.hasRemaining()).isFalse();

            assertThat(ping.process().waitFor(15, TimeUnit.SECONDS)).as("ping finished").isTrue();
            assertThat(ping.process().exitValue()).as("ping got the reply; log: %s", ping.log()).isZero();
            assertThat(ping.log()).contains("1 received");
        }
        assertThat(host.nl().links().get("jtun0")).as("closing the descriptor removes the device").isEmpty();
    }

    @Test
    void closeIsIdempotentAndWakesABlockedReader() throws Exception {
        TunDevice tun = TunDevice.open(host.handle(), "jtun1");
        CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(() -> tun.read(ByteBuffer.allocateDirect(2048)));
        Thread.sleep(100);
        assertThat(blocked).isNotDone();

        tun.close();
        tun.close();

        assertThat(blocked.get(5, TimeUnit.SECONDS)).isEqualTo(-1);
        assertThat(tun.isOpen()).isFalse();
        assertThat(tun.read(ByteBuffer.allocateDirect(64))).isEqualTo(-1);
        assertThatThrownBy(() -> tun.write(ByteBuffer.allocateDirect(64))).isInstanceOf(IllegalStateException.class);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> host.nl().links().get("jtun1").isEmpty());
    }

    @Test
    void multiQueueOpensTheSameDeviceTwice() {
        try (TunDevice q1 = TunDevice.open(host.handle(), "jtunmq", TunDevice.Option.MULTI_QUEUE);
                TunDevice q2 = TunDevice.open(host.handle(), "jtunmq", TunDevice.Option.MULTI_QUEUE)) {
            assertThat(q2.name()).isEqualTo(q1.name());
            assertThat(host.nl().links().list()).filteredOn(l -> l.name().equals("jtunmq")).hasSize(1);
            assertThat(host.ns().ipJson("-d", "link", "show", "dev", "jtunmq").get(0).at("/linkinfo/info_data/multi_queue").asBoolean())
                    .isTrue();
        }
        assertThat(host.nl().links().get("jtunmq")).isEmpty();
    }

    @Test
    void flagsReachTheKernel() {
        try (TunDevice plain = TunDevice.open(host.handle(), "jtunp");
                TunDevice vnet = TunDevice.open(host.handle(), "jtunv", TunDevice.Option.VNET_HDR)) {
            var p = host.ns().ipJson("-d", "link", "show", "dev", plain.name()).get(0).at("/linkinfo/info_data");
            assertThat(p.get("type").asText()).isEqualTo("tun");
            assertThat(p.get("pi").asBoolean()).as("IFF_NO_PI").isFalse();
            assertThat(p.get("vnet_hdr").asBoolean()).isFalse();
            assertThat(p.get("multi_queue").asBoolean()).isFalse();
            assertThat(p.get("persist").asBoolean()).isFalse();
            var v = host.ns().ipJson("-d", "link", "show", "dev", vnet.name()).get(0).at("/linkinfo/info_data");
            assertThat(v.get("vnet_hdr").asBoolean()).isTrue();
        }
    }

    @Test
    void kernelNumberedNameAndHeapBuffersAreRefused() {
        try (TunDevice tun = TunDevice.open(host.handle(), "jtn%d")) {
            assertThat(tun.name()).matches("jtn\\d+");
            assertThat(host.nl().links().get(tun.name())).isPresent();
            assertThatThrownBy(() -> tun.write(ByteBuffer.allocate(20)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("direct");
        }
    }

    private static int ipHeader(ByteBuffer p) {
        return (p.get(0) & 0x0f) * 4;
    }

    /** Turns the echo request in {@code req} into its echo reply in {@code out} (flipped for writing). */
    private static void echoReply(ByteBuffer req, int length, ByteBuffer out) {
        out.clear();
        for (int i = 0; i < length; i++) {
            out.put(i, req.get(i));
        }
        int ihl = ipHeader(req);
        for (int i = 0; i < 4; i++) { // swap source and destination
            out.put(12 + i, req.get(16 + i));
            out.put(16 + i, req.get(12 + i));
        }
        out.put(ihl, (byte) 0); // ICMP echo reply
        out.putShort(ihl + 2, (short) 0);
        out.putShort(ihl + 2, (short) checksum(out, ihl, length - ihl));
        out.putShort(10, (short) 0);
        out.putShort(10, (short) checksum(out, 0, ihl));
        out.limit(length);
        out.position(0);
    }

    private static int checksum(ByteBuffer b, int offset, int length) {
        int sum = 0;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += ((b.get(offset + i) & 0xff) << 8) | (b.get(offset + i + 1) & 0xff);
        }
        if ((length & 1) != 0) {
            sum += (b.get(offset + length - 1) & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return ~sum & 0xffff;
    }
}
