package io.javaoverlay.docker.server;

import java.util.List;

import io.javaoverlay.docker.api.IpamMessages;
import io.javaoverlay.docker.api.NetworkDriverMessages;
import io.javaoverlay.docker.api.PluginMessages;
import io.javaoverlay.docker.driver.NetworkDriver;
import io.javaoverlay.docker.ipam.IpamDriver;

import static io.javaoverlay.docker.server.Route.Family.DRIVER;
import static io.javaoverlay.docker.server.Route.Family.IPAM;

/** Every method the socket serves: the handshake, the network driver and the IPAM driver. */
public final class PluginRoutes {

    /*
     * Calls that use the lease wait for it (the agent of `docker-plugin` gets it after the socket
     * is up); calls that only clean up (Leave, Delete*, Release*) never wait: dockerd must be able
     * to remove containers and networks while the agent is down.
     */

    /** The interfaces named in the handshake; one socket serves both. */
    public static final List<String> IMPLEMENTS = List.of("NetworkDriver", "IpamDriver");

    private PluginRoutes() {}

    public static List<Route<?>> of(NetworkDriver net, IpamDriver ipam) {
        return List.of(
                Route.noBody("Plugin.Activate", DRIVER, () -> new PluginMessages.Manifest(IMPLEMENTS)),

                Route.noBody("NetworkDriver.GetCapabilities", DRIVER, net::capabilities),
                Route.of("NetworkDriver.CreateNetwork", DRIVER, NetworkDriverMessages.CreateNetworkRequest.class, net::createNetwork)
                        .needingLease(),
                Route.of("NetworkDriver.DeleteNetwork", DRIVER, NetworkDriverMessages.NetworkRequest.class, net::deleteNetwork),
                Route.of("NetworkDriver.AllocateNetwork", DRIVER, NetworkDriverMessages.AllocateNetworkRequest.class, net::allocateNetwork),
                Route.of("NetworkDriver.FreeNetwork", DRIVER, NetworkDriverMessages.NetworkRequest.class, net::freeNetwork),
                Route.of("NetworkDriver.CreateEndpoint", DRIVER, NetworkDriverMessages.CreateEndpointRequest.class, net::createEndpoint)
                        .needingLease(),
                Route.of("NetworkDriver.EndpointOperInfo", DRIVER, NetworkDriverMessages.EndpointRequest.class, net::endpointOperInfo),
                Route.of("NetworkDriver.DeleteEndpoint", DRIVER, NetworkDriverMessages.EndpointRequest.class, net::deleteEndpoint),
                Route.of("NetworkDriver.Join", DRIVER, NetworkDriverMessages.JoinRequest.class, net::join).needingLease(),
                Route.of("NetworkDriver.Leave", DRIVER, NetworkDriverMessages.EndpointRequest.class, net::leave),
                Route.of("NetworkDriver.ProgramExternalConnectivity", DRIVER,
                        NetworkDriverMessages.ProgramExternalConnectivityRequest.class, net::programExternalConnectivity),
                Route.of("NetworkDriver.RevokeExternalConnectivity", DRIVER,
                        NetworkDriverMessages.EndpointRequest.class, net::revokeExternalConnectivity),
                Route.of("NetworkDriver.DiscoverNew", DRIVER, NetworkDriverMessages.DiscoveryNotification.class, n -> net.discovery()),
                Route.of("NetworkDriver.DiscoverDelete", DRIVER, NetworkDriverMessages.DiscoveryNotification.class, n -> net.discovery()),

                Route.noBody("IpamDriver.GetCapabilities", IPAM, ipam::capabilities),
                Route.noBody("IpamDriver.GetDefaultAddressSpaces", IPAM, ipam::addressSpaces),
                Route.of("IpamDriver.RequestPool", IPAM, IpamMessages.RequestPoolRequest.class, ipam::requestPool).needingLease(),
                Route.of("IpamDriver.ReleasePool", IPAM, IpamMessages.ReleasePoolRequest.class, ipam::releasePool),
                Route.of("IpamDriver.RequestAddress", IPAM, IpamMessages.RequestAddressRequest.class, ipam::requestAddress)
                        .needingLease(),
                Route.of("IpamDriver.ReleaseAddress", IPAM, IpamMessages.ReleaseAddressRequest.class, ipam::releaseAddress));
    }
}
