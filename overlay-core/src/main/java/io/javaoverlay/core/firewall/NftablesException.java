package io.javaoverlay.core.firewall;

/**
 * An {@code nft} command failed or could not run; carries its exit status ({@link #NOT_RUN} when
 * the command could not be started) and what it printed on stderr.
 */
public final class NftablesException extends FirewallException {
    private static final long serialVersionUID = 1L;

    /** The exit status given when {@code nft} could not be started at all. */
    public static final int NOT_RUN = -1;

    private final int exitStatus;

    public NftablesException(String command, int exitStatus, String stderr) {
        super(command + " failed with exit status " + exitStatus + ": " + stderr.strip());
        this.exitStatus = exitStatus;
    }

    NftablesException(String command, Throwable cause) {
        super("cannot run " + command + " (is nftables installed? apt-get install nftables): " + cause.getMessage(), cause);
        this.exitStatus = NOT_RUN;
    }

    public int exitStatus() {
        return exitStatus;
    }
}
