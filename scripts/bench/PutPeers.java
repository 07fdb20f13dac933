// Peer leases for scripts/bench-agent-start (run with the source launcher:
//   java -cp 'cli/target/lib/*' scripts/bench/PutPeers.java ETCD_URL PREFIX COUNT).
//
// Writes COUNT vxlan peer leases in flannel's format under PREFIX/subnets/ in one transaction,
// each bound to one etcd lease of an hour (as agents write them), subnets /24 from the top of
// 10.0.0.0/8 down (clear of what an agent leases from the bottom), public IPs 172.16.0.0/12.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;

public class PutPeers {

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: PutPeers ETCD_URL PREFIX COUNT");
            System.exit(2);
        }
        String prefix = args[1];
        int count = Integer.parseInt(args[2]);
        Ip4Net network = Ip4Net.parse("10.0.0.0/8");
        try (Client etcd = Client.builder().endpoints(args[0]).build()) {
            long lease = etcd.getLeaseClient().grant(3600).get().getID();
            List<Op> puts = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                Ip4Net subnet = new Ip4Net(network.last().plus(-(256L * (i + 1)) + 1), 24);
                Ip4 publicIp = Ip4.of(172, 16 + (i >> 16), (i >> 8) & 0xff, i & 0xff);
                String value = "{\"PublicIP\":\"" + publicIp + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + MacAddress.randomLocal() + "\"}}";
                puts.add(Op.put(bytes(prefix + "/subnets/" + subnet.toKey()), bytes(value),
                        PutOption.builder().withLeaseId(lease).build()));
            }
            etcd.getKVClient().txn().Then(puts.toArray(Op[]::new)).commit().get();
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
