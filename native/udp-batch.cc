// anypick_udp: batched UDP datagram I/O for the DNS server (Linux recvmmsg/sendmmsg).
//
// One UDP socket per Batch. libuv watches its fd (uv_poll_t) on Node's own event loop; when it
// is readable, recvmmsg reads up to `slots` datagrams into the receive buffer, JavaScript is
// called once for the whole batch, and the replies it wrote into the send buffer go out with
// one sendmmsg, each to the address and port its query came from. The buffers belong to
// JavaScript (Buffers passed in at creation and referenced here), so no copy crosses the
// boundary.
//
// JavaScript API (src/dns/udp-batch.ts wraps it):
//   open(family 4|6, address bytes, port, reusePort) -> fd; throws Error(code = errno name)
//   localPort(fd) -> port
//   create(fd, rx, rxMeta, tx, txMeta, slots, slotSize, onBatch) -> handle
//     rx:     slots * slotSize bytes, datagram i at i * slotSize
//     rxMeta: slots * 32 bytes: int32 length, family (4|6), port, flags (1 = truncated),
//             then 16 address bytes (IPv4 in the first 4)
//     tx:     reply bytes, any layout
//     txMeta: int32 triples per reply: offset in tx, length, index of the query it answers
//     onBatch(count) is called with the number of datagrams received
//   send(handle, replies) -> replies handed to the kernel (sendmmsg; the rest dropped, counted)
//   stats(handle) -> [wakeups, batches, datagrams, sent, sendErrors, truncated]
//   close(handle): stops watching and closes the fd
//   closeFd(fd): closes a socket that create() did not take over
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace {

// recvmmsg calls per wake-up before the loop runs other handles (TCP, timers): one, so TCP
// and timers wait for at most one batch, as node:dgram reads up to 32 datagrams per wake-up.
constexpr int kMaxRoundsPerWake = 1;
constexpr int kMetaBytes = 32;

struct Batch {
  napi_env env = nullptr;
  int fd = -1;
  uv_poll_t poll;
  bool closed = false;
  uint32_t slots = 0;
  uint32_t slot_size = 0;
  uint8_t* rx = nullptr;
  int32_t* rx_meta = nullptr;
  uint8_t* tx = nullptr;
  size_t tx_len = 0;
  int32_t* tx_meta = nullptr;
  size_t tx_meta_len = 0;
  napi_ref refs[5] = {nullptr, nullptr, nullptr, nullptr, nullptr};  // rx, rxMeta, tx, txMeta, onBatch
  napi_async_context async = nullptr;
  std::vector<mmsghdr> in;
  std::vector<iovec> in_iov;
  std::vector<sockaddr_storage> peers;
  std::vector<mmsghdr> out;
  std::vector<iovec> out_iov;
  double wakeups = 0, batches = 0, datagrams = 0, sent = 0, send_errors = 0, truncated = 0;
  // Freed once libuv is done with the poll handle and JavaScript with the external handle.
  bool poll_closed = false;
  bool finalized = false;
};

void MaybeFree(Batch* b) {
  if (b->poll_closed && b->finalized) delete b;
}

void Finalize(napi_env, void* data, void*);

napi_value Throw(napi_env env, const char* what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, text, error;
  const char* name = err == EADDRINUSE ? "EADDRINUSE" : err == EACCES ? "EACCES" : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : "E_UDP_BATCH";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_throw(env, error);
  return nullptr;
}

napi_value ThrowType(napi_env env, const char* msg) {
  napi_throw_type_error(env, nullptr, msg);
  return nullptr;
}

bool GetBuffer(napi_env env, napi_value v, void** data, size_t* len) {
  bool is = false;
  napi_is_buffer(env, v, &is);
  if (!is) return false;
  return napi_get_buffer_info(env, v, data, len) == napi_ok;
}

int32_t Int(napi_env env, napi_value v) {
  int32_t n = 0;
  napi_get_value_int32(env, v, &n);
  return n;
}

Batch* Unwrap(napi_env env, napi_value v) {
  void* p = nullptr;
  if (napi_get_value_external(env, v, &p) != napi_ok) return nullptr;
  return static_cast<Batch*>(p);
}

// open(family, addressBytes, port, reusePort) -> fd
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 4) return ThrowType(env, "open(family, address, port, reusePort)");
  int family = Int(env, argv[0]);
  void* addr = nullptr;
  size_t addr_len = 0;
  if (!GetBuffer(env, argv[1], &addr, &addr_len) || addr_len != (family == 6 ? 16u : 4u)) return ThrowType(env, "address: 4 or 16 bytes for family 4 or 6");
  int port = Int(env, argv[2]);
  bool reuse = false;
  napi_get_value_bool(env, argv[3], &reuse);
  if (port < 0 || port > 65535) return ThrowType(env, "port: 0..65535");

  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Throw(env, "socket", errno);
  int one = 1;
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int e = errno;
    close(fd);
    return Throw(env, "setsockopt SO_REUSEPORT", e);
  }
  sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  if (family == 6) {
    // As the dgram path: an IPv6 listen address takes IPv6 only.
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
      int e = errno;
      close(fd);
      return Throw(env, "setsockopt IPV6_V6ONLY", e);
    }
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(static_cast<uint16_t>(port));
    memcpy(&s6->sin6_addr, addr, 16);
    sl = sizeof(sockaddr_in6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(static_cast<uint16_t>(port));
    memcpy(&s4->sin_addr, addr, 4);
    sl = sizeof(sockaddr_in);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), sl) != 0) {
    int e = errno;
    close(fd);
    return Throw(env, "bind", e);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

napi_value LocalPort(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int fd = argc > 0 ? Int(env, argv[0]) : -1;
  sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl) != 0) return Throw(env, "getsockname", errno);
  int port = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port) : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  napi_value out;
  napi_create_int32(env, port, &out);
  return out;
}

void Arm(Batch* b) {
  for (uint32_t i = 0; i < b->slots; i++) {
    b->in_iov[i].iov_base = b->rx + static_cast<size_t>(i) * b->slot_size;
    b->in_iov[i].iov_len = b->slot_size;
    msghdr& h = b->in[i].msg_hdr;
    h.msg_iov = &b->in_iov[i];
    h.msg_iovlen = 1;
    h.msg_name = &b->peers[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_control = nullptr;
    h.msg_controllen = 0;
    h.msg_flags = 0;
    b->in[i].msg_len = 0;
  }
}

// Fills rxMeta for `n` received datagrams.
void Describe(Batch* b, int n) {
  for (int i = 0; i < n; i++) {
    int32_t* m = b->rx_meta + i * (kMetaBytes / 4);
    uint8_t* a = reinterpret_cast<uint8_t*>(m + 4);
    const sockaddr_storage& ss = b->peers[i];
    bool trunc = (b->in[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    if (trunc) b->truncated++;
    m[0] = static_cast<int32_t>(b->in[i].msg_len);
    m[3] = trunc ? 1 : 0;
    if (ss.ss_family == AF_INET6) {
      const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
      m[1] = 6;
      m[2] = ntohs(s6->sin6_port);
      memcpy(a, &s6->sin6_addr, 16);
    } else {
      const auto* s4 = reinterpret_cast<const sockaddr_in*>(&ss);
      m[1] = 4;
      m[2] = ntohs(s4->sin_port);
      memcpy(a, &s4->sin_addr, 4);
    }
  }
}

void OnReadable(uv_poll_t* handle, int status, int events) {
  Batch* b = static_cast<Batch*>(handle->data);
  if (b->closed || status < 0) return;
  b->wakeups++;
  napi_env env = b->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, recv;
  napi_get_reference_value(env, b->refs[4], &cb);
  napi_get_global(env, &recv);
  for (int round = 0; round < kMaxRoundsPerWake && !b->closed; round++) {
    Arm(b);
    int n = recvmmsg(b->fd, b->in.data(), b->slots, MSG_DONTWAIT, nullptr);
    if (n <= 0) break;  // EAGAIN: drained (other errors, e.g. ICMP-reported ones, wait for the next wake-up)
    b->batches++;
    b->datagrams += n;
    Describe(b, n);
    napi_value arg, result;
    napi_create_int32(env, n, &arg);
    napi_status s = napi_make_callback(env, b->async, recv, cb, 1, &arg, &result);
    if (s == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
      break;
    }
    if (static_cast<uint32_t>(n) < b->slots) break;
  }
  napi_close_handle_scope(env, scope);
}

// create(fd, rx, rxMeta, tx, txMeta, slots, slotSize, onBatch) -> handle
napi_value Create(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 8) return ThrowType(env, "create(fd, rx, rxMeta, tx, txMeta, slots, slotSize, onBatch)");
  auto* b = new Batch();
  b->env = env;
  b->fd = Int(env, argv[0]);
  b->slots = static_cast<uint32_t>(Int(env, argv[5]));
  b->slot_size = static_cast<uint32_t>(Int(env, argv[6]));
  void *rx, *rx_meta, *tx, *tx_meta;
  size_t rx_len, rx_meta_len, tx_len, tx_meta_len;
  napi_valuetype t;
  napi_typeof(env, argv[7], &t);
  if (!GetBuffer(env, argv[1], &rx, &rx_len) || !GetBuffer(env, argv[2], &rx_meta, &rx_meta_len) || !GetBuffer(env, argv[3], &tx, &tx_len) ||
      !GetBuffer(env, argv[4], &tx_meta, &tx_meta_len) || t != napi_function || b->slots == 0 || b->slot_size == 0 ||
      rx_len < static_cast<size_t>(b->slots) * b->slot_size || rx_meta_len < static_cast<size_t>(b->slots) * kMetaBytes ||
      (reinterpret_cast<uintptr_t>(rx_meta) & 3) != 0 || (reinterpret_cast<uintptr_t>(tx_meta) & 3) != 0) {
    delete b;
    return ThrowType(env, "create: buffers too small or misaligned, or onBatch not a function");
  }
  b->rx = static_cast<uint8_t*>(rx);
  b->rx_meta = static_cast<int32_t*>(rx_meta);
  b->tx = static_cast<uint8_t*>(tx);
  b->tx_len = tx_len;
  b->tx_meta = static_cast<int32_t*>(tx_meta);
  b->tx_meta_len = tx_meta_len / 12;
  for (int i = 0; i < 4; i++) napi_create_reference(env, argv[i + 1], 1, &b->refs[i]);
  napi_create_reference(env, argv[7], 1, &b->refs[4]);
  napi_value name, resource;
  napi_create_string_utf8(env, "anypick:udp-batch", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &resource);
  napi_async_init(env, resource, name, &b->async);
  b->in.resize(b->slots);
  b->in_iov.resize(b->slots);
  b->peers.resize(b->slots);
  b->out.resize(b->tx_meta_len);
  b->out_iov.resize(b->tx_meta_len);
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  int r = uv_poll_init(loop, &b->poll, b->fd);
  if (r == 0) {
    b->poll.data = b;
    r = uv_poll_start(&b->poll, UV_READABLE, OnReadable);
  }
  if (r != 0) {
    for (auto& ref : b->refs) napi_delete_reference(env, ref);
    napi_async_destroy(env, b->async);
    delete b;
    napi_throw_error(env, "E_UDP_BATCH", uv_strerror(r));
    return nullptr;
  }
  napi_value out;
  napi_create_external(env, b, Finalize, nullptr, &out);
  return out;
}

// send(handle, replies) -> sent
napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Batch* b = argc == 2 ? Unwrap(env, argv[0]) : nullptr;
  if (!b) return ThrowType(env, "send(handle, replies)");
  int32_t count = Int(env, argv[1]);
  int32_t sent = 0;
  if (!b->closed && count > 0 && static_cast<size_t>(count) <= b->tx_meta_len) {
    int k = 0;
    for (int32_t i = 0; i < count; i++) {
      const int32_t* m = b->tx_meta + i * 3;
      int32_t off = m[0], len = m[1], q = m[2];
      // Skip what JavaScript cannot have meant: out of the buffer, or not a received query.
      if (off < 0 || len <= 0 || static_cast<size_t>(off) + len > b->tx_len || q < 0 || static_cast<uint32_t>(q) >= b->slots) {
        b->send_errors++;
        continue;
      }
      b->out_iov[k].iov_base = b->tx + off;
      b->out_iov[k].iov_len = len;
      msghdr& h = b->out[k].msg_hdr;
      memset(&h, 0, sizeof h);
      h.msg_iov = &b->out_iov[k];
      h.msg_iovlen = 1;
      h.msg_name = &b->peers[q];
      h.msg_namelen = b->peers[q].ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
      k++;
    }
    int done = 0;
    while (done < k) {
      int r = sendmmsg(b->fd, b->out.data() + done, k - done, MSG_DONTWAIT);
      if (r > 0) {
        done += r;
        sent += r;
        continue;
      }
      // The message at `done` failed (EAGAIN: send buffer full; or e.g. EPERM): drop it only.
      b->send_errors++;
      done++;
    }
    b->sent += sent;
  }
  napi_value out;
  napi_create_int32(env, sent, &out);
  return out;
}

napi_value Stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Batch* b = argc == 1 ? Unwrap(env, argv[0]) : nullptr;
  if (!b) return ThrowType(env, "stats(handle)");
  double v[6] = {b->wakeups, b->batches, b->datagrams, b->sent, b->send_errors, b->truncated};
  napi_value arr;
  napi_create_array_with_length(env, 6, &arr);
  for (uint32_t i = 0; i < 6; i++) {
    napi_value x;
    napi_create_double(env, v[i], &x);
    napi_set_element(env, arr, i, x);
  }
  return arr;
}

void PollClosed(uv_handle_t* h) {
  Batch* b = static_cast<Batch*>(h->data);
  b->poll_closed = true;
  MaybeFree(b);
}

void Finalize(napi_env, void* data, void*) {
  Batch* b = static_cast<Batch*>(data);
  b->finalized = true;
  // A handle collected while open (its server never closed) keeps its socket for the
  // process's life: the poll handle still points at it.
  MaybeFree(b);
}

napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  Batch* b = argc == 1 ? Unwrap(env, argv[0]) : nullptr;
  if (!b) return ThrowType(env, "close(handle)");
  if (!b->closed) {
    b->closed = true;
    uv_poll_stop(&b->poll);
    for (auto& ref : b->refs) {
      napi_delete_reference(env, ref);
      ref = nullptr;
    }
    napi_async_destroy(env, b->async);
    close(b->fd);
    b->fd = -1;
    // The external handle JavaScript holds keeps pointing here until collected; `closed`
    // makes it inert.
    uv_close(reinterpret_cast<uv_handle_t*>(&b->poll), PollClosed);
  }
  return nullptr;
}

// closeFd(fd): closes a socket open() made that create() never took over.
napi_value CloseFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc == 1) close(Int(env, argv[0]));
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"localPort", nullptr, LocalPort, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"create", nullptr, Create, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"send", nullptr, Send, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"closeFd", nullptr, CloseFd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
