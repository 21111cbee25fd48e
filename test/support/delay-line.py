#!/usr/bin/env python3
"""A delay line on a TUN device: what `tc qdisc … netem delay` does, for kernels built without
sch_netem (this project's CI VM: `tc qdisc add … netem` says "Specified qdisc kind is unknown").

    delay-line.py DEV [SRC>DST=MS …]

Creates the TUN device DEV (IPv4, no packet information header) and holds every packet the
kernel routes into it for the delay of the first rule whose SRC and DST networks contain the
packet's source and destination (0 ms when none does), then writes it back into DEV, where the
kernel receives and routes it on. Packets keep their order within a delay. The TCP connection
stays end to end: both hosts' kernels see the delayed round trip, as with netem.

Rules read from standard input (one `SRC>DST=MS` per line) replace the rule for that SRC>DST
or add it. Prints `ready` once DEV exists.
"""
import fcntl
import heapq
import ipaddress
import os
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def parse(rule):
    nets, ms = rule.strip().split("=")
    src, dst = nets.split(">")
    return (ipaddress.ip_network(src), ipaddress.ip_network(dst)), float(ms) / 1000.0


def main():
    dev = sys.argv[1]
    rules = dict(parse(r) for r in sys.argv[2:])
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", dev.encode(), IFF_TUN | IFF_NO_PI))
    print("ready", flush=True)
    queue = []  # (due, seq, packet)
    seq = 0
    stdin = sys.stdin.fileno()
    inputs = [fd, stdin]
    pending = b""
    while True:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else None
        readable, _, _ = select.select(inputs, [], [], timeout)
        if stdin in readable:
            chunk = os.read(stdin, 4096)
            if not chunk:
                inputs.remove(stdin)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if line.strip():
                    key, delay = parse(line.decode())
                    rules[key] = delay
                    print("rule %s>%s=%d" % (key[0], key[1], delay * 1000), flush=True)
        if fd in readable:
            packet = os.read(fd, 65535)
            delay = 0.0
            if len(packet) >= 20 and packet[0] >> 4 == 4:
                src = ipaddress.IPv4Address(packet[12:16])
                dst = ipaddress.IPv4Address(packet[16:20])
                for (s, d), ms in rules.items():
                    if src in s and dst in d:
                        delay = ms
                        break
            heapq.heappush(queue, (time.monotonic() + delay, seq, packet))
            seq += 1
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            os.write(fd, heapq.heappop(queue)[2])


if __name__ == "__main__":
    main()
