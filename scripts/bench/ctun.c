/*
 * The latency baseline of scripts/bench-datapath (scenario c-udp): the smallest user-space udp
 * tunnel, flannel's wire format (one inner IPv4 packet per datagram), one thread, one packet
 * per system call, poll() on both descriptors. Not a product: no peer table, no checks.
 *
 *   ctun TUN_NAME LOCAL_IP PORT PEER_IP      (in the host's network namespace, as root)
 *
 * Compiled by the benchmark with `cc -O2`; runs until killed.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: ctun TUN_NAME LOCAL_IP PORT PEER_IP\n");
        return 2;
    }
    int tun = open("/dev/net/tun", O_RDWR);
    if (tun < 0) { perror("open /dev/net/tun"); return 1; }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
    if (ioctl(tun, TUNSETIFF, &ifr) < 0) { perror("TUNSETIFF"); return 1; }

    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
    inet_pton(AF_INET, argv[2], &local.sin_addr);
    if (bind(udp, (struct sockaddr *) &local, sizeof local) < 0) { perror("bind"); return 1; }
    struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
    inet_pton(AF_INET, argv[4], &peer.sin_addr);

    static char buf[65536];
    struct pollfd fds[2] = { { .fd = tun, .events = POLLIN }, { .fd = udp, .events = POLLIN } };
    for (;;) {
        if (poll(fds, 2, -1) < 0) { perror("poll"); return 1; }
        if (fds[0].revents & POLLIN) {
            ssize_t n = read(tun, buf, sizeof buf);
            if (n > 0) sendto(udp, buf, n, 0, (struct sockaddr *) &peer, sizeof peer);
        }
        if (fds[1].revents & POLLIN) {
            ssize_t n = recv(udp, buf, sizeof buf, 0);
            if (n > 0) write(tun, buf, n);
        }
    }
}
