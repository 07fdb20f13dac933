package io.javaoverlay.docker.api;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The JSON bodies of libnetwork's remote IPAM protocol ({@code /IpamDriver.*}). Addresses in
 * requests are bare ({@code 10.5.72.9}); addresses in replies carry the pool's prefix
 * ({@code 10.5.72.9/24}), as libnetwork parses them.
 */
public final class IpamMessages {

    private IpamMessages() {}

    /**
     * {@code RequiresMACAddress}: whether dockerd must pass the endpoint's MAC to RequestAddress.
     * {@code RequiresRequestReplay}: whether dockerd must replay pool and address requests after
     * it restarts (for drivers that keep no state; we keep ours on disk).
     */
    public record Capabilities(
            @JsonProperty("RequiresMACAddress") boolean requiresMacAddress,
            @JsonProperty("RequiresRequestReplay") boolean requiresRequestReplay) {}

    public record AddressSpaces(
            @JsonProperty("LocalDefaultAddressSpace") String localDefault,
            @JsonProperty("GlobalDefaultAddressSpace") String globalDefault) {}

    public record RequestPoolRequest(
            @JsonProperty("AddressSpace") String addressSpace,
            @JsonProperty("Pool") String pool,
            @JsonProperty("SubPool") String subPool,
            @JsonProperty("Options") Map<String, String> options,
            @JsonProperty("V6") boolean v6) {}

    public record RequestPoolResponse(
            @JsonProperty("PoolID") String poolId,
            @JsonProperty("Pool") String pool,
            @JsonProperty("Data") Map<String, String> data) {}

    public record ReleasePoolRequest(@JsonProperty("PoolID") String poolId) {}

    public record RequestAddressRequest(
            @JsonProperty("PoolID") String poolId,
            @JsonProperty("Address") String address,
            @JsonProperty("Options") Map<String, String> options) {}

    public record RequestAddressResponse(
            @JsonProperty("Address") String address,
            @JsonProperty("Data") Map<String, String> data) {}

    public record ReleaseAddressRequest(
            @JsonProperty("PoolID") String poolId,
            @JsonProperty("Address") String address) {}
}
