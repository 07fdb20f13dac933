package io.javaoverlay.cni;

/**
 * The {@code code} of a CNI error result. 1-99 are the spec's well-known codes; 100 and up are
 * this plugin's own (listed in docs/cni.md).
 */
public enum ErrorCode {
    INCOMPATIBLE_VERSION(1),
    UNSUPPORTED_FIELD(2),
    UNKNOWN_CONTAINER(3),
    INVALID_ENVIRONMENT(4),
    IO_FAILURE(5),
    DECODING_FAILURE(6),
    INVALID_CONFIG(7),
    TRY_AGAIN_LATER(11),
    /** STATUS: cannot serve ADD */
    NOT_AVAILABLE(50),
    /** STATUS: cannot serve ADD, and existing containers may have limited connectivity */
    LIMITED_CONNECTIVITY(51),

    /** something this plugin did not expect; details carry the cause */
    INTERNAL(100),
    /** subnet.env exists but cannot be understood */
    SUBNET_ENV_INVALID(101),
    /** every address of the host subnet is taken */
    ADDRESS_EXHAUSTED(102),
    /** the address asked for (CNI_ARGS IP=, runtimeConfig ips) cannot be given */
    ADDRESS_UNAVAILABLE(103),
    /** CNI_IFNAME already exists in the container */
    INTERFACE_EXISTS(104),
    /** the kernel refused a link, address or route change */
    KERNEL_FAILURE(105),
    /** iptables failed */
    FIREWALL_FAILURE(106),
    /** CHECK found the container's network not as ADD left it */
    CHECK_FAILED(107);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
