#!/usr/bin/env python3
"""Generates the sgpair sample environment: VPC flow logs for one week of a
small three-tier application, and the inventory snapshot that goes with them.

    python3 sample-logs/generate.py        # rewrites sample-logs/flow-logs and inventory.json

Python 3.8+ standard library only. Deterministic: one fixed seed, sorted
output, gzip without timestamps, so a rerun gives byte-identical files.
See sample-logs/README.md for the story and what sgpair should find.
"""

import gzip
import hashlib
import json
import math
import os
import random
import shutil
from datetime import datetime, timezone

SEED = 20261118
HERE = os.path.dirname(os.path.abspath(__file__))
OUT_LOGS = os.path.join(HERE, "flow-logs")
OUT_INVENTORY = os.path.join(HERE, "inventory.json")

ACCOUNT = "123456789012"
REGION = "us-east-1"
VPC_ID = "vpc-0a1b2c3d4e5f60718"
VPC_V4 = "10.20.0.0/16"
VPC_V6 = "2600:1f18:4a3:6b00::/56"

SINCE = 1794960000  # 2026-11-18T00:00:00Z
UNTIL = 1795564800  # 2026-11-25T00:00:00Z
IV = 600  # aggregation interval (the default, 10 minutes)

assert datetime.fromtimestamp(SINCE, timezone.utc).isoformat() == "2026-11-18T00:00:00+00:00"
assert datetime.fromtimestamp(UNTIL, timezone.utc).isoformat() == "2026-11-25T00:00:00+00:00"

TCP, UDP = 6, 17

# --------------------------------------------------------------------------
# The environment
# --------------------------------------------------------------------------

SUBNETS = {
    "public-a": dict(id="subnet-0a1c3e5a7c9e1a3c5", az_id="use1-az4", v4="10.20.0.0/24", v6="2600:1f18:4a3:6b00::/64"),
    "public-b": dict(id="subnet-0b2d4f6b8d0f2b4d6", az_id="use1-az6", v4="10.20.1.0/24", v6="2600:1f18:4a3:6b01::/64"),
    "app-a": dict(id="subnet-0c3e5a7c9e1a3c5e7", az_id="use1-az4", v4="10.20.10.0/24", v6="2600:1f18:4a3:6b10::/64"),
    "app-b": dict(id="subnet-0d4f6b8d0f2b4d6f8", az_id="use1-az6", v4="10.20.11.0/24", v6="2600:1f18:4a3:6b11::/64"),
    "data-a": dict(id="subnet-0e5a7c9e1a3c5e7a9", az_id="use1-az4", v4="10.20.20.0/24", v6="2600:1f18:4a3:6b20::/64"),
    "data-b": dict(id="subnet-0f6b8d0f2b4d6f8b0", az_id="use1-az6", v4="10.20.21.0/24", v6="2600:1f18:4a3:6b21::/64"),
}

SG = {
    "alb": "sg-0a11b22c33d44e551",
    "web": "sg-0b22c33d44e55f662",
    "db": "sg-0c33d44e55f66a773",
    "payments": "sg-0d44e55f66a77b884",
    "bastion": "sg-0e55f66a77b88c995",
    "monitoring": "sg-0f66a77b88c99daa6",
    "monitoring-agents": "sg-0177b88c99daaebb7",
    "s3-endpoint": "sg-0288c99daaebbfcc8",
}

# Flow logs: one per subnet. Public and app subnets deliver to S3 with a
# custom v5 format; the data subnets deliver to CloudWatch Logs in the v2
# default format (no tcp-flags: orientation there needs other evidence).
FMT_DOC_ORDER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
    "start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr "
    "pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service "
    "pkt-dst-aws-service flow-direction traffic-path"
)
FMT_SHUFFLED = (
    "version account-id vpc-id subnet-id instance-id interface-id flow-direction type "
    "srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end "
    "action tcp-flags log-status region az-id sublocation-type sublocation-id "
    "pkt-src-aws-service pkt-dst-aws-service traffic-path"
)
FMT_V2 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

LOG_GROUP = "/vpc/prod/flow-logs/data"
BUCKET = "arn:aws:s3:::acme-prod-vpc-flow-logs"

FLOW_LOGS = {
    # subnet: (flow-log id, destination kind, format, file cadence)
    "app-a": ("fl-0abc1234def567890", "s3", FMT_SHUFFLED, "hour"),
    "app-b": ("fl-0abc1234def5678a1", "s3", FMT_SHUFFLED, "day"),
    "public-a": ("fl-0abc1234def5678b2", "s3", FMT_DOC_ORDER, "day"),
    "public-b": ("fl-0abc1234def5678c3", "s3", FMT_DOC_ORDER, "day"),
    "data-a": ("fl-0cd5e6f7a8b9c0d14", "cwl", FMT_V2, None),
    "data-b": ("fl-0cd5e6f7a8b9c0d25", "cwl", FMT_V2, None),
}


def eni(eid, subnet, addrs, groups, *, kind="interface", managed=False, desc="", instance=None, name=None):
    return dict(
        id=eid,
        subnet=subnet,
        addrs=addrs,
        groups=[SG[g] for g in groups],
        kind=kind,
        managed=managed,
        desc=desc,
        instance=instance,
        name=name,
    )


ENIS = {
    "alb-a": eni("eni-0a1f3c5e7b9d2f401", "public-a", ["10.20.0.45"], ["alb"], managed=True,
                 desc="ELB app/prod-web/50dc6c495c0c9188"),
    "alb-b": eni("eni-0b2e4d6f8a0c3e502", "public-b", ["10.20.1.137"], ["alb"], managed=True,
                 desc="ELB app/prod-web/50dc6c495c0c9188"),
    "nat": eni("eni-0c3d5f7a9b1e4f603", "public-a", ["10.20.0.200"], [], kind="nat_gateway", managed=True,
               desc="Interface for NAT Gateway nat-0f1e2d3c4b5a69788"),
    "bastion": eni("eni-0d4e6a8b0c2f5a704", "public-a", ["10.20.0.10"], ["bastion", "monitoring-agents"],
                   instance="i-0b1a2c3d4e5f60789", name="bastion"),
    "web-1": eni("eni-0e5f7b9c1d3a6b805", "app-a", ["10.20.10.11"], ["web", "monitoring-agents"],
                 instance="i-0c2b3d4e5f6a7b890", name="web-1"),
    "web-2": eni("eni-0f6a8c0d2e4b7c906", "app-b", ["10.20.11.12"], ["web", "monitoring-agents"],
                 instance="i-0d3c4e5f6a7b8c901", name="web-2"),
    # web-3 has a secondary private address (a second container behind the
    # ALB, registered as an IP target) and an IPv6 address.
    "web-3": eni("eni-017b9d1e3f5c8da07", "app-a",
                 ["10.20.10.13", "10.20.10.113", "2600:1f18:4a3:6b10:c0de:4f1b:92aa:7e13"],
                 ["web", "monitoring-agents"], instance="i-0e4d5f6a7b8c9d012", name="web-3"),
    "monitoring": eni("eni-028cae2f4a6d9eb08", "app-b", ["10.20.11.50"], ["monitoring"],
                      instance="i-0f5e6a7b8c9d0e123", name="monitoring"),
    "s3ep-a": eni("eni-039dbf3a5b7eafc09", "app-a", ["10.20.10.200"], ["s3-endpoint"], kind="vpc_endpoint",
                  managed=True, desc="VPC Endpoint Interface vpce-0a1b2c3d4e5f6a7b8"),
    "s3ep-b": eni("eni-04aec04b6c8fb0d1a", "app-b", ["10.20.11.200"], ["s3-endpoint"], kind="vpc_endpoint",
                  managed=True, desc="VPC Endpoint Interface vpce-0a1b2c3d4e5f6a7b8"),
    "db": eni("eni-05bfd15c7d9ac1e2b", "data-a", ["10.20.20.21", "2600:1f18:4a3:6b20:5d1c:88e2:a7f0:3b21"],
              ["db", "monitoring-agents"], instance="i-0a6f7b8c9d0e1f234", name="db"),
    "payments": eni("eni-06c0e26d8e0bd2f3c", "data-b", ["10.20.21.31", "2600:1f18:4a3:6b21:f3e:2c9d:b5a1:6431"],
                    ["payments", "monitoring-agents"], instance="i-0b7a8c9d0e1f2a345", name="payments"),
}

# Addresses outside the VPC (documentation ranges, plus 8.8.8.8 and AWS ranges).
OFFICE = "203.0.113.25"
IRC_SERVER = "192.0.2.166"
PARTNER_API = ["192.0.2.210", "192.0.2.211"]
GOOGLE_DNS = "8.8.8.8"
DYNAMODB = ["3.218.182.17", "3.218.183.204", "52.94.0.92"]

# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------

rng = random.Random(SEED)


def ip_type(a):
    return "IPv6" if ":" in a else "IPv4"


class Rec:
    __slots__ = ("eni", "src", "dst", "sport", "dport", "proto", "packets", "bytes", "start", "end",
                 "action", "status", "flags", "direction", "pkt_src", "pkt_dst", "path", "src_svc", "dst_svc")

    def __init__(self, eni_name, src, dst, sport, dport, proto, packets, nbytes, start, end, *,
                 action="ACCEPT", status="OK", flags=0, direction="-", pkt_src=None, pkt_dst=None,
                 path="-", src_svc="-", dst_svc="-"):
        self.eni = eni_name
        self.src, self.dst, self.sport, self.dport, self.proto = src, dst, sport, dport, proto
        self.packets, self.bytes, self.start, self.end = packets, nbytes, start, end
        self.action, self.status, self.flags, self.direction = action, status, flags, direction
        self.pkt_src = pkt_src if pkt_src is not None else src
        self.pkt_dst = pkt_dst if pkt_dst is not None else dst
        self.path, self.src_svc, self.dst_svc = path, src_svc, dst_svc

    def values(self, version):
        e = ENIS[self.eni]
        sub = SUBNETS[e["subnet"]]
        data = self.status == "OK"

        def d(v):
            return str(v) if data else "-"

        return {
            "version": str(version),
            "account-id": ACCOUNT,
            "interface-id": e["id"],
            "srcaddr": d(self.src),
            "dstaddr": d(self.dst),
            "srcport": d(self.sport),
            "dstport": d(self.dport),
            "protocol": d(self.proto),
            "packets": d(self.packets),
            "bytes": d(self.bytes),
            "start": str(self.start),
            "end": str(self.end),
            "action": self.action if data else "-",
            "log-status": self.status,
            "vpc-id": VPC_ID,
            "subnet-id": sub["id"],
            "instance-id": e["instance"] or "-",
            "tcp-flags": d(self.flags),
            "type": d(ip_type(self.src)) if data else "-",
            "pkt-srcaddr": d(self.pkt_src),
            "pkt-dstaddr": d(self.pkt_dst),
            "region": REGION,
            "az-id": sub["az_id"],
            "sublocation-type": "-",
            "sublocation-id": "-",
            "pkt-src-aws-service": self.src_svc if data else "-",
            "pkt-dst-aws-service": self.dst_svc if data else "-",
            "flow-direction": self.direction if data else "-",
            "traffic-path": self.path if data else "-",
        }

    def sort_key(self):
        return (self.start, self.end, ENIS[self.eni]["id"], self.src, self.dst, self.sport, self.dport, self.proto)


RECORDS = []


def add(rec):
    RECORDS.append(rec)


def in_vpc(a):
    return a.startswith("10.20.") or a.startswith("2600:1f18:4a3:6b")


def egress_path(src_eni, dst_addr, via_nat):
    """traffic-path of an egress record: 1 inside the VPC (a NAT gateway
    included), 2 through the internet gateway."""
    if in_vpc(dst_addr) or via_nat:
        return "1"
    return "2"


def primary(name):
    return ENIS[name]["addrs"][0]


def seen_dst_at(name, addr):
    """A secondary private IPv4 address in dstaddr shows as the primary
    (pkt-dstaddr keeps the original), per the flow-log limitations."""
    e = ENIS[name]
    if ":" not in addr and addr in e["addrs"] and addr != e["addrs"][0]:
        return e["addrs"][0]
    return addr


def busy(t):
    """Relative load at time t: US business hours (13-22 UTC) are busy,
    nights quiet, weekends about half."""
    dt = datetime.fromtimestamp(t, timezone.utc)
    h = dt.hour
    hour = 1.0 if 13 <= h <= 22 else (0.45 if 11 <= h <= 12 or h == 23 else 0.12)
    return hour * (0.45 if dt.weekday() >= 5 else 1.0)


def poisson(lam):
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def split(nbytes, mtu):
    return max(1, -(-nbytes // mtu))


def connection(client, cport, server, sport, t0, t1, *, proto=TCP, client_eni=None, server_eni=None,
               req=(200, 2000), resp=(200, 4000), activity=1.0, nat=None, clamp=True,
               client_svc="-", server_svc="-"):
    """Records of one connection from t0 to t1, per 10-minute interval, at
    every logging interface it crosses: request and response records at the
    client's interface and at the server's. TCP flags: SYN (2, 3 with FIN)
    on the initiator's first interval, SYN-ACK (18/19) on the responder's,
    FIN (1) on the last, 0 in between. `t0 < SINCE` with `clamp` models a
    connection opened before the logs begin: no SYN is ever seen.
    `nat` = (nat ip, nat port): the client reaches `server` on the internet
    through the NAT gateway, whose interface logs both legs."""
    iv0 = (t0 // IV) * IV
    iv = iv0
    while iv <= t1:
        if clamp and (iv + IV <= SINCE or iv > UNTIL):
            iv += IV
            continue
        first = iv <= t0 < iv + IV
        last = iv <= t1 < iv + IV
        if not first and not last:
            p = activity(iv) if callable(activity) else activity
            if rng.random() >= p:
                iv += IV
                continue
        s = t0 if first else iv + rng.randint(0, 40)
        e = t1 if last else iv + IV - rng.randint(1, 30)
        if e < s:
            e = s
        if clamp and not (SINCE <= s <= UNTIL):
            iv += IV
            continue
        if proto == TCP:
            fq = (2 if first else 0) | (1 if last else 0)
            fr = (18 if first else 0) | (1 if last else 0)
        else:
            fq = fr = 0
        bq = rng.randint(*req)
        br = rng.randint(*resp)
        if first and proto == TCP:
            bq += 120
            br += 60
        pq, pr = split(bq, 1200) + (2 if first else 0), split(br, 1400) + (1 if first else 0)
        emit_pair(client, cport, server, sport, proto, s, e, fq, fr, bq, br, pq, pr,
                  client_eni, server_eni, nat, client_svc, server_svc)
        iv += IV


def emit_pair(client, cport, server, sport, proto, s, e, fq, fr, bq, br, pq, pr,
              client_eni, server_eni, nat, client_svc, server_svc):
    j = lambda: rng.randint(0, 1)  # noqa: E731 - clocks of two interfaces differ a little
    if client_eni:
        # At the client: request out, response in.
        add(Rec(client_eni, client, server, cport, sport, proto, pq, bq, s, e, flags=fq, direction="egress",
                path=egress_path(client_eni, server, nat is not None), dst_svc=server_svc))
        add(Rec(client_eni, server, client, sport, cport, proto, pr, br, s, e, flags=fr, direction="ingress",
                src_svc=server_svc))
    if server_eni:
        # At the server: request in (a secondary address shows as the
        # primary in dstaddr), response out.
        sj = j()
        add(Rec(server_eni, client, seen_dst_at(server_eni, server), cport, sport, proto, pq, bq, s + sj, e + sj,
                flags=fq, direction="ingress", pkt_dst=server, src_svc=client_svc))
        add(Rec(server_eni, server, client, sport, cport, proto, pr, br, s + sj, e + sj, flags=fr,
                direction="egress", path=egress_path(server_eni, client, False), dst_svc=client_svc))
    if nat:
        nat_ip, nat_port = nat
        nj = j()
        # The NAT gateway's interface: the instance's packets arrive with the
        # NAT address in dstaddr (pkt-dstaddr is the real destination), leave
        # translated, and the replies come back the same way.
        add(Rec("nat", client, nat_ip, cport, sport, proto, pq, bq, s + nj, e + nj, flags=fq,
                direction="ingress", pkt_src=client, pkt_dst=server))
        add(Rec("nat", nat_ip, server, nat_port, sport, proto, pq, bq, s + nj, e + nj, flags=fq,
                direction="egress", path="2"))
        add(Rec("nat", server, nat_ip, sport, nat_port, proto, pr, br, s + nj, e + nj, flags=fr,
                direction="ingress"))
        add(Rec("nat", nat_ip, client, sport, cport, proto, pr, br, s + nj, e + nj, flags=fr,
                direction="egress", pkt_src=server, pkt_dst=client, path="1"))


def linux_port():
    return rng.randint(32768, 60999)


def any_client_port():
    # Linux or Windows clients on the internet.
    return linux_port() if rng.random() < 0.6 else rng.randint(49152, 65535)


def sessions(rate_per_interval, fn, *, start=SINCE, end=UNTIL, load=busy):
    """Starts Poisson-many sessions per interval, scaled by the load curve."""
    iv = start
    while iv < end:
        for _ in range(poisson(rate_per_interval * load(iv))):
            fn(iv + rng.randint(0, IV - 1))
        iv += IV


def clamp_end(t):
    return min(t, UNTIL - 1)


WEB = ["web-1", "web-2", "web-3"]
# ALB targets: the three web hosts, and web-3's second container on its secondary address.
ALB_TARGETS = [("web-1", "10.20.10.11"), ("web-2", "10.20.11.12"), ("web-3", "10.20.10.13"),
               ("web-3", "10.20.10.113")]
AGENTS = ["web-1", "web-2", "web-3", "db", "payments", "bastion"]


def generate():
    # 1. internet -> ALB :443 (HTTPS listener). Logged at the ALB interfaces only.
    clients = sorted({f"198.51.100.{rng.randint(2, 250)}" for _ in range(60)})

    def https(t):
        alb = rng.choice(["alb-a", "alb-b"])
        dur = rng.randint(1, 40) if rng.random() < 0.85 else rng.randint(60, 900)
        connection(rng.choice(clients), any_client_port(), primary(alb), 443, t, clamp_end(t + dur),
                   server_eni=alb, req=(400, 6000), resp=(1500, 120000))

    sessions(1.1, https)

    # 2. ALB -> web :8080. Keep-alive connections of 1-25 minutes from ALB
    # source ports 1024-65535; every ALB interface reaches every target.
    def alb_to_web(t, pair=None):
        alb, (target, addr) = pair or (rng.choice(["alb-a", "alb-b"]), rng.choice(ALB_TARGETS))
        connection(primary(alb), rng.randint(1024, 65535), addr, 8080, t, clamp_end(t + rng.randint(30, 1500)),
                   client_eni=alb, server_eni=target, req=(800, 30000), resp=(4000, 250000), activity=0.9)

    for i, alb in enumerate(["alb-a", "alb-b"]):
        for k, tgt in enumerate(ALB_TARGETS):
            alb_to_web(SINCE + 3600 * (8 + i) + 300 * k + rng.randint(0, 200), (alb, tgt))
    sessions(0.55, alb_to_web)

    # 3. web -> db :5432. Connection pools: connections live 20-120 minutes.
    def pool(t):
        web = rng.choice(WEB)
        connection(primary(web), linux_port(), primary("db"), 5432, t, clamp_end(t + rng.randint(1200, 7200)),
                   client_eni=web, server_eni="db", req=(300, 9000), resp=(500, 60000),
                   activity=lambda iv: 0.25 + 0.6 * busy(iv))

    for k, web in enumerate(WEB):
        connection(primary(web), linux_port(), primary("db"), 5432, SINCE + 120 + 60 * k, SINCE + 4000 + 60 * k,
                   client_eni=web, server_eni="db", activity=0.5)
    sessions(0.14, pool)

    # 4. web -> payments gRPC :50051 (HTTP/2 channels that live for hours).
    # IPv4: one channel per host and worker, reconnected every 6-16 hours;
    # the first channels were opened before the logs begin. The payments
    # interface logs in the v2 format (no tcp-flags).
    for web in WEB:
        t = SINCE - rng.randint(3600, 20000)
        while t < UNTIL:
            t1 = t + rng.randint(6 * 3600, 16 * 3600)
            connection(primary(web), linux_port(), primary("payments"), 50051, t, clamp_end(t1),
                       client_eni=web, server_eni="payments", req=(300, 4000), resp=(300, 3000),
                       activity=lambda iv: 0.05 + 0.3 * busy(iv))
            t = t1 + rng.randint(1, 30)
    # IPv6: web-3's refund worker keeps four channels to the payments
    # service's IPv6 address, opened days ago: no SYN anywhere in the window,
    # client ports on both sides of 50051, so only fan-in can orient them.
    v6_ports = [rng.randint(33000, 45000), rng.randint(45001, 50000), rng.randint(51000, 56000),
                rng.randint(56001, 60999)]
    for p in v6_ports:
        connection(ENIS["web-3"]["addrs"][2], p, ENIS["payments"]["addrs"][1], 50051,
                   SINCE - rng.randint(86400, 3 * 86400), UNTIL + 86400, client_eni="web-3",
                   server_eni="payments", req=(200, 2500), resp=(200, 1800),
                   activity=lambda iv: 0.02 + 0.06 * busy(iv))

    # 5. Bastion: SSH from the office to the bastion, and from the bastion
    # to the web hosts and the database, on weekdays.
    targets_seen = set()
    day = SINCE
    while day < UNTIL:
        if datetime.fromtimestamp(day, timezone.utc).weekday() < 5:
            for _ in range(rng.randint(2, 4)):
                t0 = day + rng.randint(13 * 3600, 21 * 3600)
                t1 = t0 + rng.randint(600, 5400)
                connection(OFFICE, rng.randint(1024, 65535), primary("bastion"), 22, t0, t1,
                           server_eni="bastion", req=(2000, 20000), resp=(4000, 90000), activity=0.9)
                hops = rng.sample(["web-1", "web-2", "web-3", "db"], rng.randint(1, 2))
                for h in hops:
                    a = t0 + rng.randint(30, 300)
                    b = min(t1 - 10, a + rng.randint(120, 3000))
                    if b <= a:
                        continue
                    targets_seen.add(h)
                    connection(primary("bastion"), linux_port(), primary(h), 22, a, b, client_eni="bastion",
                               server_eni=h, req=(1500, 15000), resp=(3000, 80000), activity=0.85)
        day += 86400
    assert targets_seen == {"web-1", "web-2", "web-3", "db"}, targets_seen

    # 6. Monitoring: node exporter on every agent, scraped every 2 hours over
    # a keep-alive connection per target that is renewed once a day.
    for agent in AGENTS:
        day = SINCE
        while day < UNTIL:
            cport = linux_port()
            scrapes = [day + h * 3600 + 300 + rng.randint(0, 20) for h in range(0, 24, 2)]
            for i, t in enumerate(scrapes):
                first, last = i == 0, i == len(scrapes) - 1
                e = t + rng.randint(1, 3)
                bq, br = rng.randint(180, 260), rng.randint(38000, 52000)
                fq = (2 if first else 0) | (1 if last else 0)
                fr = (18 if first else 0) | (1 if last else 0)
                emit_pair(primary("monitoring"), cport, primary(agent), 9100, TCP, t, e, fq, fr, bq, br,
                          split(bq, 1200) + 2, split(br, 1400) + 1, "monitoring", agent, None, "-", "-")
            day += 86400

    # 7. web -> S3 interface endpoint :443. Short HTTPS requests; at night
    # (00-06 UTC) DNS hands out only the endpoint's first address.
    def s3(t):
        web = rng.choice(WEB)
        h = datetime.fromtimestamp(t, timezone.utc).hour
        ep = "s3ep-a" if h < 6 or rng.random() < 0.5 else "s3ep-b"
        connection(primary(web), linux_port(), primary(ep), 443, t, clamp_end(t + rng.randint(0, 25)),
                   client_eni=web, server_eni=ep, req=(400, 400000), resp=(600, 2000000))

    for k, web in enumerate(WEB):
        for j, ep in enumerate(["s3ep-a", "s3ep-b"]):
            s3_t = SINCE + 14 * 3600 + 600 * (2 * k + j) + rng.randint(0, 500)
            connection(primary(web), linux_port(), primary(ep), 443, s3_t, s3_t + 3, client_eni=web,
                       server_eni=ep)
    sessions(0.45, s3)

    # 8. web -> a partner API on the internet :443, through the NAT gateway.
    def partner(t):
        web = rng.choice(WEB)
        connection(primary(web), linux_port(), rng.choice(PARTNER_API), 443, t, clamp_end(t + rng.randint(0, 8)),
                   client_eni=web, nat=(primary("nat"), rng.randint(1024, 65535)), req=(500, 3000),
                   resp=(800, 9000))

    sessions(0.11, partner)

    # 9. Suspicious: web-2 joins an IRC server (a bot's command channel),
    # twice on the weekend; web-1 resolves names through 8.8.8.8.
    for start, hours in ((SINCE + 3 * 86400 + 3 * 3600 + 737, 5), (SINCE + 4 * 86400 + 2 * 3600 + 91, 2)):
        connection(primary("web-2"), linux_port(), IRC_SERVER, 6667, start, start + hours * 3600 + 417,
                   client_eni="web-2", nat=(primary("nat"), rng.randint(1024, 65535)), req=(60, 600),
                   resp=(80, 1500), activity=0.95)
    for k in range(12):
        t = SINCE + 5 * 86400 + 9 * 3600 + k * 1500 + rng.randint(0, 300)
        connection(primary("web-1"), linux_port(), GOOGLE_DNS, 53, t, t, proto=UDP, client_eni="web-1",
                   nat=(primary("nat"), rng.randint(1024, 65535)), req=(40, 80), resp=(60, 300))

    # 10. payments -> DynamoDB through the gateway endpoint (an AWS prefix list).
    def dynamo(t):
        connection(primary("payments"), linux_port(), rng.choice(DYNAMODB), 443, t,
                   clamp_end(t + rng.randint(1, 900)), client_eni="payments", req=(400, 5000),
                   resp=(400, 20000), server_svc="DYNAMODB")

    sessions(0.08, dynamo)

    # 11. Rejected: scanners on the internet. IPv4 against the public
    # bastion and the load balancer; IPv6 against web-3 and the database,
    # whose subnets route ::/0 to the internet gateway.
    v4_scanners = sorted({f"192.0.2.{rng.randint(1, 99)}" for _ in range(30)})
    v6_scanners = sorted({f"2001:db8:{rng.randint(1, 0xffff):x}::{rng.randint(1, 0xffff):x}" for _ in range(12)})
    scans = ([("bastion", primary("bastion"), p, v4_scanners) for p in (22, 3389, 5432, 23)]
             + [(a, primary(a), p, v4_scanners) for a in ("alb-a", "alb-b") for p in (22, 3389)]
             + [("web-3", ENIS["web-3"]["addrs"][2], p, v6_scanners) for p in (22, 3389)]
             + [("db", ENIS["db"]["addrs"][1], p, v6_scanners) for p in (5432, 22)])
    for _ in range(260):
        target, addr, port, pool_ = rng.choice(scans)
        t = SINCE + rng.randint(0, UNTIL - SINCE - 60)
        n = rng.randint(1, 3)
        add(Rec(target, rng.choice(pool_), addr, any_client_port(), port, TCP, n, n * rng.choice((40, 44, 60, 74)),
                t, t + rng.randint(0, 50), action="REJECT", flags=2, direction="ingress"))

    # 12. Just outside the window: a psql session from the monitoring host
    # to the database on the evening before and the morning after, plus
    # ordinary traffic. sgpair must count these records and not use them.
    for t0 in (SINCE - 460, UNTIL + 35):
        connection(primary("monitoring"), linux_port(), primary("db"), 5432, t0, t0 + 240, client_eni="monitoring",
                   server_eni="db", clamp=False, req=(300, 900), resp=(400, 6000))
        connection(primary("alb-a"), rng.randint(1024, 65535), primary("web-1"), 8080, t0 + 20, t0 + 200,
                   client_eni="alb-a", server_eni="web-1", clamp=False)

    # 13. SKIPDATA: web-2 lost records for three intervals on Saturday
    # afternoon, the payments interface for one.
    skip_web2 = [SINCE + 3 * 86400 + 14 * 3600 + k * IV for k in range(3)]
    RECORDS[:] = [r for r in RECORDS if not (r.eni == "web-2" and any(s <= r.start < s + IV for s in skip_web2))]
    for s in skip_web2:
        add(Rec("web-2", "-", "-", "-", "-", "-", "-", "-", s + 2, s + 598, status="SKIPDATA"))
    s = SINCE + 6 * 86400 + 17 * 3600
    add(Rec("payments", "-", "-", "-", "-", "-", "-", "-", s + 5, s + 590, status="SKIPDATA"))

    # 14. NODATA: every idle interval of the S3 endpoint's second interface.
    busy_iv = {(r.start // IV) for r in RECORDS if r.eni == "s3ep-b"}
    iv = SINCE
    while iv < UNTIL:
        if iv // IV not in busy_iv:
            add(Rec("s3ep-b", "-", "-", "-", "-", "-", "-", "-", iv + 3, iv + 597, status="NODATA"))
        iv += IV


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

def subnet_of(name):
    return ENIS[name]["subnet"]


def utc(t):
    return datetime.fromtimestamp(t, timezone.utc)


def write_logs():
    if os.path.isdir(OUT_LOGS):
        shutil.rmtree(OUT_LOGS)
    files = {}
    for r in sorted(RECORDS, key=Rec.sort_key):
        subnet = subnet_of(r.eni)
        fl_id, dest, fmt, cadence = FLOW_LOGS[subnet]
        if dest == "s3":
            t = utc(r.start)
            stamp = t.strftime("%Y%m%dT%H55Z") if cadence == "hour" else t.strftime("%Y%m%dT2355Z")
            digest = hashlib.sha256(f"{fl_id}/{stamp}".encode()).hexdigest()[:8]
            path = os.path.join(OUT_LOGS, "AWSLogs", ACCOUNT, "vpcflowlogs", REGION, t.strftime("%Y"),
                                t.strftime("%m"), t.strftime("%d"),
                                f"{ACCOUNT}_vpcflowlogs_{REGION}_{fl_id}_{stamp}_{digest}.log.gz")
            version = 5
        else:
            path = os.path.join(OUT_LOGS, "cloudwatch", f"{ENIS[r.eni]['id']}-all.log")
            version = 2
        entry = files.setdefault(path, (fmt, []))
        vals = r.values(version)
        entry[1].append(" ".join(vals[f] for f in fmt.split()))
    for path, (fmt, lines) in sorted(files.items()):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if path.endswith(".gz"):
            body = (fmt + "\n" + "\n".join(lines) + "\n").encode()
            with open(path, "wb") as f:
                f.write(gzip.compress(body, compresslevel=9, mtime=0))
        else:
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
    return files


def write_inventory():
    def rule(protocol, lo=None, hi=None, *, cidr=None, group=None, pl=None, desc="", rid):
        r = {"rule_id": rid, "protocol": protocol}
        if lo is not None:
            r["from_port"], r["to_port"] = lo, hi if hi is not None else lo
        if cidr:
            r["cidr"] = cidr
        if group:
            r["referenced_group_id"] = group
        if pl:
            r["prefix_list_id"] = pl
        r["description"] = desc
        return r

    n = [0]

    def rid():
        n[0] += 1
        return "sgr-0%016x" % (0x5e7a11d0c0ffee00 + n[0] * 0x10101)

    def all_out():
        return [rule("-1", cidr="0.0.0.0/0", rid=rid()), rule("-1", cidr="::/0", rid=rid())]

    groups = [
        ("alb", "alb-sg", "prod-web load balancer",
         [rule("tcp", 443, cidr="0.0.0.0/0", desc="HTTPS from anywhere", rid=rid()),
          rule("tcp", 443, cidr="::/0", desc="HTTPS from anywhere", rid=rid())],
         [rule("tcp", 8080, group=SG["web"], desc="to web targets", rid=rid())]),
        ("web", "web-sg", "web tier",
         [rule("tcp", 8080, group=SG["alb"], desc="from the load balancer", rid=rid()),
          rule("tcp", 8443, group=SG["alb"], desc="old TLS listener, unused since the ALB terminates TLS",
               rid=rid()),
          rule("tcp", 22, group=SG["bastion"], desc="SSH from the bastion", rid=rid())],
         all_out()),
        ("db", "db-sg", "PostgreSQL",
         [rule("tcp", 5432, group=SG["web"], desc="from web", rid=rid()),
          rule("tcp", 22, group=SG["bastion"], desc="SSH from the bastion", rid=rid())],
         all_out()),
        ("payments", "payments-sg", "payments gRPC service",
         [rule("tcp", 50051, group=SG["web"], desc="gRPC from web", rid=rid()),
          rule("tcp", 22, group=SG["bastion"], desc="SSH from the bastion", rid=rid())],
         all_out()),
        ("bastion", "bastion-sg", "SSH bastion",
         [rule("tcp", 22, cidr="203.0.113.0/24", desc="office", rid=rid())],
         all_out()),
        ("monitoring", "monitoring-sg", "Prometheus server", [], all_out()),
        ("monitoring-agents", "monitoring-agents-sg", "every host with node_exporter",
         [rule("tcp", 9100, group=SG["monitoring"], desc="node_exporter", rid=rid())],
         all_out()),
        ("s3-endpoint", "s3-endpoint-sg", "S3 interface endpoint",
         [rule("tcp", 443, cidr=VPC_V4, desc="HTTPS from the VPC", rid=rid())], []),
    ]
    security_groups = [
        {"id": SG[key], "name": name, "vpc_id": VPC_ID, "description": desc,
         "tags": {"Environment": "prod", "Name": name}, "ingress": ing, "egress": eg}
        for key, name, desc, ing, eg in groups
    ]
    interfaces = []
    for key, e in ENIS.items():
        d = {"id": e["id"], "vpc_id": VPC_ID, "subnet_id": SUBNETS[e["subnet"]]["id"], "addresses": e["addrs"],
             "security_groups": e["groups"], "description": e["desc"], "interface_type": e["kind"],
             "requester_managed": e["managed"]}
        if e["instance"]:
            d["instance_id"] = e["instance"]
        if e["name"]:
            d["tags"] = {"Name": e["name"]}
        interfaces.append(d)
    flow_logs = []
    for subnet, (fl_id, dest, fmt, _) in FLOW_LOGS.items():
        d = {"id": fl_id, "resource_id": SUBNETS[subnet]["id"],
             "log_format": " ".join("${%s}" % f for f in fmt.split())}
        if dest == "s3":
            d["destination"] = BUCKET
        else:
            d["log_group"] = LOG_GROUP
        d["traffic_type"] = "ALL"
        flow_logs.append(d)
    inv = {
        "format_version": 1,
        "account_id": ACCOUNT,
        "region": REGION,
        "captured_at": "2026-11-25T00:10:00Z",
        "vpcs": [{"id": VPC_ID, "cidrs": [VPC_V4, VPC_V6]}],
        "subnets": [{"id": s["id"], "vpc_id": VPC_ID, "cidrs": [s["v4"], s["v6"]]} for s in SUBNETS.values()],
        "network_interfaces": interfaces,
        "security_groups": security_groups,
        "prefix_lists": [
            {"id": "pl-63a5400a", "name": "com.amazonaws.us-east-1.s3",
             "cidrs": ["3.5.0.0/19", "16.15.176.0/20", "16.182.0.0/16", "18.34.0.0/19", "18.34.232.0/21",
                       "52.216.0.0/15", "54.231.0.0/16"]},
            {"id": "pl-02cd2c6b", "name": "com.amazonaws.us-east-1.dynamodb",
             "cidrs": ["3.218.180.0/22", "35.71.64.0/22", "52.94.0.0/22", "52.119.224.0/20"]},
        ],
        "flow_logs": flow_logs,
    }
    with open(OUT_INVENTORY, "w") as f:
        json.dump(inv, f, indent=2)
        f.write("\n")


def main():
    generate()
    files = write_logs()
    write_inventory()
    total = sum(len(lines) for _, lines in files.values())
    size = sum(os.path.getsize(p) for p in files) + os.path.getsize(OUT_INVENTORY)
    by_status = {}
    for r in RECORDS:
        k = r.status if r.status != "OK" else r.action
        by_status[k] = by_status.get(k, 0) + 1
    outside = sum(1 for r in RECORDS if not SINCE <= r.start <= UNTIL)
    print(f"{total} records in {len(files)} files, {size} bytes; "
          + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items()))
          + f"; {outside} outside the window")


if __name__ == "__main__":
    main()
