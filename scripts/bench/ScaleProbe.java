// Control-plane scale probe for scripts/bench-datapath (run with the source launcher:
//   java -cp 'cli/target/lib/*' scripts/bench/ScaleProbe.java ...).
//
// Writes COUNT vxlan peer leases in flannel's format into etcd in ONE transaction (each bound
// to an etcd lease, as agents write them), then watches the agent's network namespace through
// netlink until its VXLAN device carries a route, a neighbour entry and an FDB entry for every
// one of them. Prints one line of key=value pairs: how long the write took and how long after
// the commit the last peer was programmed.

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.NetNs;
import io.javaoverlay.core.netlink.NetlinkSocket;

public class ScaleProbe {

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: ScaleProbe ETCD_URL PREFIX NETWORK COUNT NETNS_PATH DEVICE");
            System.exit(2);
        }
        String url = args[0];
        String prefix = args[1];
        Ip4Net network = Ip4Net.parse(args[2]);
        int count = Integer.parseInt(args[3]);
        Path netns = Path.of(args[4]);
        String device = args[5];

        try (Client etcd = Client.builder().endpoints(url).build();
             NetNs ns = NetNs.open(netns);
             NetlinkSocket nl = NetlinkSocket.open(ns)) {
            long lease = etcd.getLeaseClient().grant(3600).get().getID();
            List<Op> puts = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                // subnets from the top of the network down, clear of what agents lease from the bottom
                Ip4Net subnet = new Ip4Net(network.last().plus(-(256L * (i + 1)) + 1), 24);
                Ip4 publicIp = Ip4.of(172, 16 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
                String value = "{\"PublicIP\":\"" + publicIp + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + MacAddress.randomLocal() + "\"}}";
                puts.add(Op.put(bytes(prefix + "/subnets/" + subnet.toKey()), bytes(value),
                        PutOption.builder().withLeaseId(lease).build()));
            }
            long start = System.nanoTime();
            etcd.getKVClient().txn().Then(puts.toArray(Op[]::new)).commit().get();
            long committed = System.nanoTime();

            Link link = nl.links().require(device);
            long deadline = committed + 120_000_000_000L;
            int routes = 0, neighbours = 0, fdb = 0;
            while (System.nanoTime() < deadline) {
                routes = (int) nl.routes().listIp4().stream().filter(r -> r.outputIndex() == link.index()).count();
                if (routes >= count) {
                    neighbours = nl.neighbours().listIp4(link.index()).size();
                    fdb = (int) nl.fdb().list(link.index()).stream().filter(f -> f.destination() != null).count();
                    if (neighbours >= count && fdb >= count) {
                        break;
                    }
                }
                Thread.sleep(5);
            }
            long done = System.nanoTime();
            System.out.printf("peers=%d write_ms=%d apply_ms=%d routes=%d neighbours=%d fdb=%d%n", count,
                    (committed - start) / 1_000_000, (done - committed) / 1_000_000, routes, neighbours, fdb);
            if (routes < count || neighbours < count || fdb < count) {
                System.exit(1);
            }
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
