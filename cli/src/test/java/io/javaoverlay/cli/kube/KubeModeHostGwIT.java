package io.javaoverlay.cli.kube;

import static io.javaoverlay.cli.kube.KubeModeCluster.ANNOTATION;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip4Net;

/**
 * javaoverlay in kube mode with the host-gw backend: three agents against one API server (the
 * mock server in CRUD mode), routes to each other's podCIDR via each other's node address, and a
 * deleted node's route gone from the others.
 */
class KubeModeHostGwIT extends KubeModeContract {

    @RegisterExtension
    static final KubeModeCluster cluster = new KubeModeCluster("{\"Type\":\"host-gw\"}", 3, 3);


    @Test
    @Order(1)
    void theNodesCarryFlannelsHostGwAnnotationsAndTheRoutesGoViaTheNodes() {
        for (int n = 1; n <= 3; n++) {
            JsonNode a = cluster.node(n).path("metadata").path("annotations");
            assertThat(a.path(ANNOTATION + "backend-type").asText()).isEqualTo("host-gw");
            assertThat(a.path(ANNOTATION + "backend-data").asText()).as("Go marshals host-gw's empty data as null").isEqualTo("null");
            assertThat(a.path(ANNOTATION + "public-ip").asText()).isEqualTo(cluster.host(n).underlayIp().toString());
            for (int to = 1; to <= 3; to++) {
                if (to != n) {
                    JsonNode route = cluster.host(n).ipJson("route", "show", KubeModeCluster.podCidr(to).toString()).get(0);
                    assertThat(route.path("gateway").asText()).isEqualTo(cluster.host(to).underlayIp().toString());
                }
            }
        }
    }

    @Test
    @Order(3)
    void annotationsRemovedFromAHostsNodeAreWrittenBackByItsAgent() {
        // kubectl annotate node node-1 flannel.alpha.coreos.com/public-ip- ... (a merge patch with nulls)
        cluster.kubectl("PATCH", "/api/v1/nodes/" + KubeModeCluster.nodeName(1), "application/merge-patch+json",
                "{\"metadata\":{\"annotations\":{\"" + ANNOTATION + "public-ip\":null,\"" + ANNOTATION + "kube-subnet-manager\":null}}}");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).pollInterval(java.time.Duration.ofMillis(250))
                .untilAsserted(() -> {
                    JsonNode a = cluster.node(1).path("metadata").path("annotations");
                    assertThat(a.path(ANNOTATION + "public-ip").asText()).isEqualTo(cluster.host(1).underlayIp().toString());
                    assertThat(a.path(ANNOTATION + "kube-subnet-manager").asText()).isEqualTo("true");
                });
        assertThat(cluster.container(2).ping(KubeModeCluster.containerIp(1).toString(), 5)).isTrue();
    }

    @Test
    @Order(4)
    void deletingANodeTakesItsRouteOffTheOthers() {
        Ip4Net gone = KubeModeCluster.podCidr(3);
        cluster.deleteNode(3);
        cluster.awaitRouteGone(1, gone);
        cluster.awaitRouteGone(2, gone);
        assertThat(cluster.container(1).ping(KubeModeCluster.containerIp(3).toString(), 2)).isFalse();
        assertThat(cluster.container(1).ping(KubeModeCluster.containerIp(2).toString(), 3)).isTrue();
    }
}
