package io.javaoverlay.cli;

import org.junit.jupiter.api.BeforeEach;

/**
 * A contract that runs against several backends: each subclass registers its own cluster
 * ({@code @RegisterExtension static final}), and JUnit hands it to the contract's tests
 * ({@link AgentCluster} resolves itself as a parameter), so a subclass gives only its backend.
 */
public abstract class ClusterContract<C extends AgentCluster> {

    private C cluster;

    @BeforeEach
    void takeTheCluster(C cluster) {
        this.cluster = cluster;
    }

    /** The subclass's cluster. */
    protected C cluster() {
        return cluster;
    }
}
