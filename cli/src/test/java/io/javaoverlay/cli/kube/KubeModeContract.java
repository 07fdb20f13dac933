package io.javaoverlay.cli.kube;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import io.javaoverlay.cli.ClusterContract;

/**
 * What every backend must do in kube mode on its first three hosts, whatever else its class
 * checks around it (in order): the containers on each host reach those on every other.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class KubeModeContract extends ClusterContract<KubeModeCluster> {

    @Test
    @Order(2)
    void containersOnEveryHostReachEachOther() {
        cluster().assertContainersReachEachOther(1, 2, 3);
    }
}
