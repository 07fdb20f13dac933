package io.javaoverlay.core.firewall;

/** An iptables command failed; carries its exit status and what it printed on stderr. */
public final class IptablesException extends FirewallException {
    private static final long serialVersionUID = 1L;

    private final int exitStatus;

    public IptablesException(String command, int exitStatus, String stderr) {
        super(command + " failed with exit status " + exitStatus + ": " + stderr.strip()
                + (exitStatus == 4 ? " (another program holds the xtables lock; retry)" : ""));
        this.exitStatus = exitStatus;
    }

    public int exitStatus() {
        return exitStatus;
    }
}
