// anypick_sockopt: the socket options BGP and BFD peers demand that Node does not expose.
//   tcpSocket(family)                      -> fd of a new non-blocking, close-on-exec TCP socket
//   setMd5(fd, family, peer, key)          TCP_MD5SIG (RFC 2385) for one peer address; empty key removes it
//   setTtl(fd, family, ttl)                IP_TTL / IPV6_UNICAST_HOPS (RFC 5082: 255)
//   setMinTtl(fd, family, minTtl)          IP_MINTTL / IPV6_MINHOPCOUNT (RFC 5082: 254 for one hop)
//   udpSocket(family, addr, port, ttl)     fd of a bound UDP socket sending with TTL / hop limit `ttl` and
//                                          accepting only datagrams that arrive with exactly `ttl` (classic
//                                          BPF filter; RFC 5881 §5: BFD requires 255)
//   bindListener(family, addr, port)       fd of a bound (not yet listening) TCP socket, SO_REUSEADDR
//   closeFd(fd)
//   tcpRtt(fd)                             -> [rtt, rttvar] of a connected TCP socket, µs (TCP_INFO
//                                          tcpi_rtt / tcpi_rttvar: the kernel's smoothed round trip)
// Every failure throws an Error whose message names the call and strerror(errno).
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_MINTTL
#define IP_MINTTL 21
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif

static napi_value fail(napi_env env, const std::string& what, int err) {
  std::string msg = what + ": " + strerror(err);
  napi_throw_error(env, err == ENOPROTOOPT || err == EINVAL ? "E_SOCKOPT_UNSUPPORTED" : "E_SOCKOPT", msg.c_str());
  return nullptr;
}

static bool args(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < want) {
    napi_throw_type_error(env, nullptr, "missing arguments");
    return false;
  }
  return true;
}

static bool int32(napi_env env, napi_value v, int32_t* out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, nullptr, "expected a number");
    return false;
  }
  return true;
}

static bool family(napi_env env, napi_value v, int* fam) {
  int32_t f;
  if (!int32(env, v, &f)) return false;
  if (f != 4 && f != 6) {
    napi_throw_type_error(env, nullptr, "family must be 4 or 6");
    return false;
  }
  *fam = f;
  return true;
}

static napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static napi_value TcpSocket(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fam;
  if (!args(env, info, 1, argv) || !family(env, argv[0], &fam)) return nullptr;
  int fd = socket(fam == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(env, "socket", errno);
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

static napi_value SetMd5(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd;
  int fam;
  if (!args(env, info, 4, argv) || !int32(env, argv[0], &fd) || !family(env, argv[1], &fam)) return nullptr;
  char peer[64] = {0};
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[2], peer, sizeof peer, &len) != napi_ok) {
    napi_throw_type_error(env, nullptr, "peer must be a string");
    return nullptr;
  }
  void* key = nullptr;
  size_t keylen = 0;
  if (napi_get_buffer_info(env, argv[3], &key, &keylen) != napi_ok) {
    napi_throw_type_error(env, nullptr, "key must be a Buffer");
    return nullptr;
  }
  if (keylen > TCP_MD5SIG_MAXKEYLEN) {
    napi_throw_range_error(env, nullptr, "TCP-MD5 key longer than 80 octets");
    return nullptr;
  }
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  // On an IPv6 socket an IPv4 peer is keyed by its v4-mapped address.
  if (fam == 6) {
    struct sockaddr_in6* a = reinterpret_cast<struct sockaddr_in6*>(&sig.tcpm_addr);
    a->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, peer, &a->sin6_addr) != 1) {
      struct in_addr v4;
      if (inet_pton(AF_INET, peer, &v4) != 1) return fail(env, std::string("inet_pton ") + peer, EINVAL);
      a->sin6_addr.s6_addr[10] = 0xff;
      a->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
    }
  } else {
    struct sockaddr_in* a = reinterpret_cast<struct sockaddr_in*>(&sig.tcpm_addr);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, peer, &a->sin_addr) != 1) return fail(env, std::string("inet_pton ") + peer, EINVAL);
  }
  sig.tcpm_keylen = static_cast<uint16_t>(keylen);
  if (keylen) memcpy(sig.tcpm_key, key, keylen);
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig) != 0) return fail(env, "setsockopt TCP_MD5SIG", errno);
  return undef(env);
}

static napi_value setInt(napi_env env, napi_callback_info info, int level4, int opt4, int level6, int opt6, const char* name) {
  napi_value argv[3];
  int32_t fd, value;
  int fam;
  if (!args(env, info, 3, argv) || !int32(env, argv[0], &fd) || !family(env, argv[1], &fam) || !int32(env, argv[2], &value)) return nullptr;
  int v = value;
  int rc = fam == 6 ? setsockopt(fd, level6, opt6, &v, sizeof v) : setsockopt(fd, level4, opt4, &v, sizeof v);
  if (rc != 0) return fail(env, std::string("setsockopt ") + name, errno);
  // An IPv6 socket may carry IPv4 (v4-mapped) traffic too: set the IPv4 option as well, where allowed.
  if (fam == 6) setsockopt(fd, level4, opt4, &v, sizeof v);
  return undef(env);
}

static napi_value SetTtl(napi_env env, napi_callback_info info) {
  return setInt(env, info, IPPROTO_IP, IP_TTL, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "IP_TTL/IPV6_UNICAST_HOPS");
}

static napi_value SetMinTtl(napi_env env, napi_callback_info info) {
  return setInt(env, info, IPPROTO_IP, IP_MINTTL, IPPROTO_IPV6, IPV6_MINHOPCOUNT, "IP_MINTTL/IPV6_MINHOPCOUNT");
}

static bool sockaddrOf(int fam, const char* addr, int port, struct sockaddr_storage* ss, socklen_t* len) {
  memset(ss, 0, sizeof *ss);
  if (fam == 6) {
    struct sockaddr_in6* a = reinterpret_cast<struct sockaddr_in6*>(ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    *len = sizeof *a;
    return inet_pton(AF_INET6, addr, &a->sin6_addr) == 1;
  }
  struct sockaddr_in* a = reinterpret_cast<struct sockaddr_in*>(ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(port);
  *len = sizeof *a;
  return inet_pton(AF_INET, addr, &a->sin_addr) == 1;
}

static napi_value bound(napi_env env, napi_callback_info info, int type, bool withTtl) {
  napi_value argv[4];
  int fam;
  int32_t port, ttl = 0;
  if (!args(env, info, withTtl ? 4 : 3, argv) || !family(env, argv[0], &fam) || !int32(env, argv[2], &port)) return nullptr;
  if (withTtl && !int32(env, argv[3], &ttl)) return nullptr;
  char addr[64] = {0};
  size_t n = 0;
  if (napi_get_value_string_utf8(env, argv[1], addr, sizeof addr, &n) != napi_ok) {
    napi_throw_type_error(env, nullptr, "address must be a string");
    return nullptr;
  }
  struct sockaddr_storage ss;
  socklen_t sl;
  if (!sockaddrOf(fam, addr, port, &ss, &sl)) return fail(env, std::string("inet_pton ") + addr, EINVAL);
  int fd = socket(fam == 6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(env, "socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&ss), sl) != 0) {
    int e = errno;
    close(fd);
    return fail(env, std::string("bind ") + addr + ":" + std::to_string(port), e);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

static napi_value BindListener(napi_env env, napi_callback_info info) {
  return bound(env, info, SOCK_STREAM, false);
}

static napi_value UdpSocket(napi_env env, napi_callback_info info) {
  napi_value fdv = bound(env, info, SOCK_DGRAM, true);
  if (!fdv) return nullptr;
  napi_value argv[4];
  args(env, info, 4, argv);
  int32_t fd, fam, ttl;
  napi_get_value_int32(env, fdv, &fd);
  napi_get_value_int32(env, argv[0], &fam);
  napi_get_value_int32(env, argv[3], &ttl);
  int v = ttl;
  int rc = fam == 6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof v) : setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof v);
  if (rc != 0) {
    int e = errno;
    close(fd);
    return fail(env, "setsockopt IP_TTL/IPV6_UNICAST_HOPS", e);
  }
  struct sock_filter code[] = {
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF + 0),
    BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 2),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF + 7),
    BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)SKF_NET_OFF + 8),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ttl, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
    BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog prog = {static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
    int e = errno;
    close(fd);
    return fail(env, "setsockopt SO_ATTACH_FILTER", e);
  }
  return fdv;
}

static napi_value CloseFd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!args(env, info, 1, argv) || !int32(env, argv[0], &fd)) return nullptr;
  close(fd);
  return undef(env);
}

static napi_value TcpRtt(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!args(env, info, 1, argv) || !int32(env, argv[0], &fd)) return nullptr;
  struct tcp_info ti;
  socklen_t len = sizeof ti;
  memset(&ti, 0, sizeof ti);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return fail(env, "getsockopt TCP_INFO", errno);
  napi_value out, rtt, var;
  napi_create_array_with_length(env, 2, &out);
  napi_create_uint32(env, ti.tcpi_rtt, &rtt);
  napi_create_uint32(env, ti.tcpi_rttvar, &var);
  napi_set_element(env, out, 0, rtt);
  napi_set_element(env, out, 1, var);
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"tcpSocket", nullptr, TcpSocket, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"setMd5", nullptr, SetMd5, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"setTtl", nullptr, SetTtl, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"setMinTtl", nullptr, SetMinTtl, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"udpSocket", nullptr, UdpSocket, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"bindListener", nullptr, BindListener, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"closeFd", nullptr, CloseFd, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"tcpRtt", nullptr, TcpRtt, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
