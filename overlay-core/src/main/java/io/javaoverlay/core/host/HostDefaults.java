package io.javaoverlay.core.host;

/**
 * The defaults the agent and both faces share, spelled once: a CNI pod and a Docker container on
 * one host sit on the same bridge and take addresses from the same IPAM state, so they must agree.
 * Strings, so that command-line option annotations can use them as default values.
 */
public final class HostDefaults {

    private HostDefaults() {}

    /** The host bridge holding the subnet's gateway address (flannel's CNI delegate names it so too). */
    public static final String BRIDGE = "cni0";

    /** The agent's state directory. */
    public static final String DATA_DIR = "/var/lib/javaoverlay";

    /** The IPAM state both faces allocate container addresses from. */
    public static final String IPAM_DIR = DATA_DIR + "/ipam";

    /** The Docker plugin's networks and endpoints. */
    public static final String DOCKER_STATE_DIR = DATA_DIR + "/docker";
}
