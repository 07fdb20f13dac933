package io.javaoverlay.core.netlink;

/** rtnetlink numbers from the kernel's uapi headers, named as there. */
final class Rtnl {

    private Rtnl() {}

    // linux/netlink.h: message types and flags
    static final int NLMSG_NOOP = 1;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_MULTI = 0x2;
    static final int NLM_F_ACK = 0x4;
    static final int NLM_F_DUMP_INTR = 0x10;
    static final int NLM_F_DUMP = 0x300;
    static final int NLM_F_REPLACE = 0x100;
    static final int NLM_F_EXCL = 0x200;
    static final int NLM_F_CREATE = 0x400;
    static final int NLM_F_APPEND = 0x800;
    static final int NLM_F_CAPPED = 0x100;   // in NLMSG_ERROR: original payload left out
    static final int NLM_F_ACK_TLVS = 0x200; // in NLMSG_ERROR: extended-ACK attributes follow
    static final int NLMSGERR_ATTR_MSG = 1;

    // linux/rtnetlink.h: message types
    static final int RTM_NEWLINK = 16;
    static final int RTM_DELLINK = 17;
    static final int RTM_GETLINK = 18;
    static final int RTM_SETLINK = 19;
    static final int RTM_NEWADDR = 20;
    static final int RTM_DELADDR = 21;
    static final int RTM_GETADDR = 22;
    static final int RTM_NEWROUTE = 24;
    static final int RTM_DELROUTE = 25;
    static final int RTM_GETROUTE = 26;
    static final int RTM_NEWNEIGH = 28;
    static final int RTM_DELNEIGH = 29;
    static final int RTM_GETNEIGH = 30;

    static String messageName(int type) {
        return switch (type) {
            case RTM_NEWLINK -> "RTM_NEWLINK";
            case RTM_DELLINK -> "RTM_DELLINK";
            case RTM_GETLINK -> "RTM_GETLINK";
            case RTM_SETLINK -> "RTM_SETLINK";
            case RTM_NEWADDR -> "RTM_NEWADDR";
            case RTM_DELADDR -> "RTM_DELADDR";
            case RTM_GETADDR -> "RTM_GETADDR";
            case RTM_NEWROUTE -> "RTM_NEWROUTE";
            case RTM_DELROUTE -> "RTM_DELROUTE";
            case RTM_GETROUTE -> "RTM_GETROUTE";
            case RTM_NEWNEIGH -> "RTM_NEWNEIGH";
            case RTM_DELNEIGH -> "RTM_DELNEIGH";
            case RTM_GETNEIGH -> "RTM_GETNEIGH";
            default -> "netlink message " + type;
        };
    }

    // address families
    static final int AF_UNSPEC = 0;
    static final int AF_INET = 2;
    static final int AF_BRIDGE = 7;
    static final int AF_INET6 = 10;

    // linux/if.h
    static final int IFF_UP = 0x1;
    static final int IFF_LOWER_UP = 0x10000;

    // linux/if_link.h: IFLA_*
    static final int IFLA_ADDRESS = 1;
    static final int IFLA_IFNAME = 3;
    static final int IFLA_MTU = 4;
    static final int IFLA_LINK = 5;
    static final int IFLA_MASTER = 10;
    static final int IFLA_PROTINFO = 12;
    static final int IFLA_AF_SPEC = 26;
    /** Inside IFLA_AF_SPEC / AF_INET: the interface's IPv4 settings, one u32 per IPV4_DEVCONF_* index. */
    static final int IFLA_INET_CONF = 1;
    /** include/uapi/linux/ip.h: the 26th IPV4_DEVCONF_* index (FORWARDING is 1). */
    static final int IPV4_DEVCONF_ROUTE_LOCALNET = 26;
    static final int IFLA_OPERSTATE = 16;
    static final int IFLA_STATS64 = 23;
    static final int IFLA_LINKINFO = 18;
    static final int IFLA_NET_NS_FD = 28;
    static final int IFLA_EXT_MASK = 29;
    static final int IFLA_LINK_NETNSID = 37;
    static final int IFLA_MAX_PARSED = 60;

    static final int IFLA_INFO_KIND = 1;
    static final int IFLA_INFO_DATA = 2;
    static final int IFLA_INFO_SLAVE_KIND = 4;
    static final int IFLA_INFO_SLAVE_DATA = 5;
    static final int IFLA_INFO_MAX = 5;

    static final int VETH_INFO_PEER = 1;

    static final int IFLA_BRPORT_MODE = 4; // hairpin
    static final int IFLA_BRPORT_MAX_PARSED = 40;

    static final int IFLA_VXLAN_ID = 1;
    static final int IFLA_VXLAN_LINK = 3;
    static final int IFLA_VXLAN_LOCAL = 4;
    static final int IFLA_VXLAN_LEARNING = 7;
    static final int IFLA_VXLAN_PORT = 15;
    static final int IFLA_VXLAN_LOCAL6 = 17;
    static final int IFLA_VXLAN_GBP = 23;
    static final int IFLA_VXLAN_MAX_PARSED = 32;

    static final int RTEXT_FILTER_SKIP_STATS = 1 << 3;

    // linux/if_addr.h
    static final int IFA_ADDRESS = 1;
    static final int IFA_LOCAL = 2;
    static final int IFA_LABEL = 3;
    static final int IFA_BROADCAST = 4;
    static final int IFA_FLAGS = 8;
    static final int IFA_MAX_PARSED = 12;

    // linux/rtnetlink.h: routes
    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_GATEWAY = 5;
    static final int RTA_PRIORITY = 6;
    static final int RTA_PREFSRC = 7;
    static final int RTA_TABLE = 15;
    static final int RTA_MAX_PARSED = 32;
    static final int RTNH_F_ONLINK = 4;

    // linux/neighbour.h
    static final int NDA_DST = 1;
    static final int NDA_LLADDR = 2;
    static final int NDA_VNI = 7;
    static final int NDA_MASTER = 9;
    static final int NDA_MAX_PARSED = 16;
}
