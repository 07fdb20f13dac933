package io.javaoverlay.cni.model;

import java.util.List;

/** A CNI success result, independent of the version it is printed in. */
public record Result(List<Interface> interfaces, List<IpConfig> ips, List<Route> routes, Dns dns) {

    public static final Result EMPTY = new Result(List.of(), List.of(), List.of(), Dns.EMPTY);

    public Result {
        interfaces = List.copyOf(interfaces);
        ips = List.copyOf(ips);
        routes = List.copyOf(routes);
        dns = dns == null ? Dns.EMPTY : dns;
    }
}
