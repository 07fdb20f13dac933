package io.javaoverlay.docker.api;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The JSON bodies of libnetwork's remote network driver protocol ({@code /NetworkDriver.*}),
 * exactly as dockerd sends and expects them: field names in Go's PascalCase, absent fields
 * decode to null. These are wire shapes only; the driver turns them into domain values.
 *
 * <p>Replies leave out null fields, so a reply that carries nothing is {@code {}}.
 */
public final class NetworkDriverMessages {

    private NetworkDriverMessages() {}

    /** {@code GetCapabilities}: where networks live and how far their connectivity reaches. */
    public record Capabilities(
            @JsonProperty("Scope") String scope,
            @JsonProperty("ConnectivityScope") String connectivityScope) {}

    /** One IPv4 or IPv6 pool of a network, as the IPAM driver handed it to dockerd. */
    public record IpamData(
            @JsonProperty("AddressSpace") String addressSpace,
            @JsonProperty("Pool") String pool,
            @JsonProperty("Gateway") String gateway,
            @JsonProperty("AuxAddresses") Map<String, String> auxAddresses) {}

    public record CreateNetworkRequest(
            @JsonProperty("NetworkID") String networkId,
            @JsonProperty("Options") Map<String, Object> options,
            @JsonProperty("IPv4Data") List<IpamData> ipv4Data,
            @JsonProperty("IPv6Data") List<IpamData> ipv6Data) {}

    /** Requests that name only a network: DeleteNetwork, FreeNetwork. */
    public record NetworkRequest(@JsonProperty("NetworkID") String networkId) {}

    /** {@code AllocateNetwork} (swarm managers only; answered so that a swarm does not fail). */
    public record AllocateNetworkRequest(
            @JsonProperty("NetworkID") String networkId,
            @JsonProperty("Options") Map<String, String> options,
            @JsonProperty("IPv4Data") List<IpamData> ipv4Data,
            @JsonProperty("IPv6Data") List<IpamData> ipv6Data) {}

    public record AllocateNetworkResponse(@JsonProperty("Options") Map<String, String> options) {}

    /** The interface of an endpoint: addresses in CIDR form, MAC as {@code aa:bb:...}. */
    public record EndpointInterface(
            @JsonProperty("Address") String address,
            @JsonProperty("AddressIPv6") String addressIpv6,
            @JsonProperty("MacAddress") String macAddress) {}

    public record CreateEndpointRequest(
            @JsonProperty("NetworkID") String networkId,
            @JsonProperty("EndpointID") String endpointId,
            @JsonProperty("Interface") EndpointInterface iface,
            @JsonProperty("Options") Map<String, Object> options) {}

    /**
     * The reply may only add what dockerd did not supply: dockerd rejects a reply that sets
     * an address or MAC it already gave, so {@code iface} carries only the fields we chose.
     */
    public record CreateEndpointResponse(@JsonProperty("Interface") EndpointInterface iface) {}

    /** Requests that name an endpoint: DeleteEndpoint, EndpointOperInfo, Leave, RevokeExternalConnectivity. */
    public record EndpointRequest(
            @JsonProperty("NetworkID") String networkId,
            @JsonProperty("EndpointID") String endpointId) {}

    public record EndpointOperInfoResponse(@JsonProperty("Value") Map<String, Object> value) {}

    public record JoinRequest(
            @JsonProperty("NetworkID") String networkId,
            @JsonProperty("EndpointID") String endpointId,
            @JsonProperty("SandboxKey") String sandboxKey,
            @JsonProperty("Options") Map<String, Object> options) {}

    /** The interface dockerd moves into the sandbox and renames to {@code DstPrefix<n>}. */
    public record InterfaceName(
            @JsonProperty("SrcName") String srcName,
            @JsonProperty("DstPrefix") String dstPrefix) {}

    /** {@code RouteType} 0: via {@code NextHop}; 1: connected (no next hop). */
    public record StaticRoute(
            @JsonProperty("Destination") String destination,
            @JsonProperty("RouteType") int routeType,
            @JsonProperty("NextHop") String nextHop) {

        public static final int NEXT_HOP = 0;
        public static final int CONNECTED = 1;
    }

    public record JoinResponse(
            @JsonProperty("InterfaceName") InterfaceName interfaceName,
            @JsonProperty("Gateway") String gateway,
            @JsonProperty("GatewayIPv6") String gatewayIpv6,
            @JsonProperty("StaticRoutes") List<StaticRoute> staticRoutes,
            @JsonProperty("DisableGatewayService") boolean disableGatewayService) {}

    public record ProgramExternalConnectivityRequest(
            @JsonProperty("NetworkID") String networkId,
            @JsonProperty("EndpointID") String endpointId,
            @JsonProperty("Options") Map<String, Object> options) {}

    /** DiscoverNew / DiscoverDelete: node discovery (type 1) and others we do not use. */
    public record DiscoveryNotification(
            @JsonProperty("DiscoveryType") Integer discoveryType,
            @JsonProperty("DiscoveryData") Object discoveryData) {}
}
