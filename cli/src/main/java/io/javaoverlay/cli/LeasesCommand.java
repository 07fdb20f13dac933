package io.javaoverlay.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import io.javaoverlay.core.lease.EtcdLeaseStore;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseException;
import io.javaoverlay.core.lease.LeaseStore;

/** {@code javaoverlay leases}: this network's subnet leases, one per line. */
@Command(name = "leases", mixinStandardHelpOptions = true, defaultValueProvider = FlanneldEnvDefaults.class,
        description = "Lists the network's subnet leases (etcd with --etcd-endpoints, else the embedded store).")
final class LeasesCommand implements Callable<Integer> {

    @Mixin
    StoreOptions store;

    @Option(names = "--json", description = "print each lease's key and flannel value as JSON lines")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (LeaseStore s = store.open()) {
            List<Lease> leases = s.list().leases().stream().sorted(Comparator.comparing(Lease::id)).toList();
            if (json) {
                for (Lease l : leases) {
                    out.println("{\"Subnet\":\"" + l.subnet() + "\"" + l.ipv6Subnet().map(v6 -> ",\"IPv6Subnet\":\"" + v6 + "\"").orElse("")
                            + ",\"Lease\":" + l.attrs().toJson() + "}");
                }
            } else if (leases.stream().anyMatch(l -> l.ipv6Subnet().isPresent())) {
                // dual-stack leases: both families, an IPv4-only lease shows "-" for the IPv6 ones
                out.printf("%-18s %-15s %-24s %-24s %-8s %s%n", "SUBNET", "PUBLIC-IP", "IPV6-SUBNET", "PUBLIC-IPV6", "BACKEND", "EXPIRES");
                for (Lease l : leases) {
                    out.printf("%-18s %-15s %-24s %-24s %-8s %s%n", l.subnet(), l.attrs().publicIp(),
                            l.ipv6Subnet().map(Object::toString).orElse("-"), l.attrs().publicIpv6().orElse("-"),
                            l.attrs().backendType().orElse("udp"), expires(s, l));
                }
            } else {
                out.printf("%-18s %-15s %-8s %s%n", "SUBNET", "PUBLIC-IP", "BACKEND", "EXPIRES");
                for (Lease l : leases) {
                    out.printf("%-18s %-15s %-8s %s%n", l.subnet(), l.attrs().publicIp(), l.attrs().backendType().orElse("udp"),
                            expires(s, l));
                }
            }
            out.flush();
            return 0;
        } catch (LeaseException e) {
            spec.commandLine().getErr().println("javaoverlay leases: " + e.getMessage());
            return 1;
        }
    }

    private static String expires(LeaseStore s, Lease l) {
        if (l.reservation()) {
            return "never (reservation)";
        }
        if (l.expiration().isPresent()) {
            return l.expiration().get().toString();
        }
        // etcd lists leases without their TTLs; a listing for people can afford one lookup each
        if (s instanceof EtcdLeaseStore e) {
            return e.expirationOf(l.subnet()).map(Instant::toString).orElse("-");
        }
        return "-";
    }
}
