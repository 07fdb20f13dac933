# The image whose filesystem becomes the managed Docker plugin's rootfs: a Java runtime, iptables
# and the built jars. scripts/docker-plugin-create builds it, exports it next to config.json and
# runs `docker plugin create javaoverlay:latest`; build the project first (README).
#
# BASE must have /bin/sh. With INSTALL_PACKAGES=true (the default) it must be Debian-like with a
# reachable package mirror; where there is none, pass a base that already holds a Java 17+
# runtime (java on PATH) and iptables, e.g. the one scripts/make-local-base-image builds from
# this machine's own packages, and INSTALL_PACKAGES=false.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
ARG INSTALL_PACKAGES=true
RUN if [ "$INSTALL_PACKAGES" = "true" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends openjdk-17-jre-headless iptables \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && mkdir -p /run/docker/plugins /run/flannel /var/lib/javaoverlay /tmp
COPY bin/javaoverlay /opt/javaoverlay/bin/javaoverlay
COPY cli/target/lib/ /opt/javaoverlay/cli/target/lib/
ENTRYPOINT ["/opt/javaoverlay/bin/javaoverlay", "docker-plugin"]
