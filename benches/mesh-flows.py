#!/usr/bin/env python3
"""Flow logs of a service mesh, written independently of `sgpair generate`.

A second data set for benches/compare-duckdb.sh, of another shape than
sgpair's own generator (50 interfaces, 7 roles, records of one connection
written together):

- many interfaces and services: by default 1,200 interfaces in 48 services
  (web front ends behind load balancers, internal APIs, gRPC services,
  databases, caches, queues, a DNS resolver, a metrics collector), each
  service with its own security group, spread over six subnets;
- traffic along a random dependency graph (each service calls two to five
  services of the tiers below it), load-balanced over the callee's
  instances; the internet reaches the load balancers from a Zipf-distributed
  population of client addresses; some services call outside APIs on 443;
- both directions of a connection (request and response) at both
  interfaces of the VPC that carry it (four records), two records where one
  end is outside the VPC;
- realistic client ports: Linux's ephemeral range (32768-60999) for most
  hosts, Windows' (49152-65535) for a few services, a new port per HTTP
  connection, pooled connections (a fixed port for many minutes) to
  databases, caches and queues;
- 5% of the lines REJECT (internet scanners on administrative ports, internal
  calls a security group refused), logged at the refusing interface;
- NODATA lines for interfaces idle in a minute;
- the header line S3 delivery writes, then records of the default v2 format;
- one-minute aggregation intervals over --hours, and within each minute the
  records grouped by interface in random order (as captures arrive), so the
  copies of one connection at its two interfaces are far apart.

It also writes the inventory (sgpair's JSON format) that explains the
interfaces, so `sgpair infer --inventory` resolves every internal address.
The output depends only on the arguments (Python's seeded `random`).

    python3 benches/mesh-flows.py --lines 1000000 --out mesh.log --inventory-out mesh-inv.json
"""

import argparse
import ipaddress
import itertools
import json
import random
import sys

ACCOUNT = "210987654321"
VPC = "vpc-0c0ffee0d15ea5e01"
START = 1795478400  # 2026-11-24T00:00:00Z, the same day as sgpair generate's
HEADER = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol "
          "packets bytes start end action log-status")

# (tier, port, protocol, pooled connections, share of the services)
KINDS = [
    ("web", 8080, 6, False),
    ("api", 8443, 6, False),
    ("api", 9000, 6, False),
    ("grpc", 50051, 6, False),
    ("db", 5432, 6, True),
    ("db", 3306, 6, True),
    ("cache", 6379, 6, True),
    ("cache", 11211, 6, True),
    ("queue", 9092, 6, True),
    ("queue", 5672, 6, True),
    ("search", 9200, 6, False),
]
TIER_ORDER = {"lb": 0, "web": 1, "api": 2, "grpc": 2, "search": 3, "queue": 3, "db": 4, "cache": 4}
SCAN_PORTS = [22, 23, 445, 1433, 3306, 3389, 5900, 6379, 8080, 9200]


class Service:
    def __init__(self, i, tier, port, proto, pooled, windows, rng):
        self.i = i
        self.name = f"{tier}-{i:02d}"
        self.tier = tier
        self.port = port
        self.proto = proto
        self.pooled = pooled
        self.windows = windows
        self.sg = f"sg-0{rng.getrandbits(64):016x}"
        self.enis = []  # indexes into Mesh.enis
        self.calls = []  # (service, weight)


class Mesh:
    def __init__(self, n_enis, n_services, rng):
        self.rng = rng
        net = ipaddress.ip_network("10.40.0.0/16")
        self.subnets = [(f"subnet-0{0x5ab0 + k:016x}", ipaddress.ip_network(f"10.40.{k * 32}.0/19"))
                        for k in range(6)]
        services = []
        n_lb = max(1, n_services // 12)
        for i in range(n_services):
            if i < n_lb:
                svc = Service(i, "lb", 443, 6, False, False, rng)
            elif i == n_lb:
                svc = Service(i, "dns", 53, 17, False, False, rng)
            elif i == n_lb + 1:
                svc = Service(i, "metrics", 8125, 17, False, False, rng)
            else:
                tier, port, proto, pooled = rng.choice(KINDS)
                svc = Service(i, tier, port, proto, pooled, rng.random() < 0.1, rng)
            services.append(svc)
        self.services = services
        # Instances: a few large services, many small ones (at least 2 each).
        weights = [rng.paretovariate(1.2) for _ in services]
        total = sum(weights)
        counts = [max(2, int(n_enis * w / total)) for w in weights]
        for k, s in enumerate(services):
            if s.tier in ("lb", "dns"):
                counts[k] = 3  # an interface per availability zone
        while sum(counts) > n_enis:
            k = max(range(len(counts)), key=lambda j: counts[j])
            counts[k] -= 1
        k = 0
        while sum(counts) < n_enis:
            counts[k % len(counts)] += 1
            k += 1
        self.enis = []  # (id, address, service, subnet)
        next_host = [4] * len(self.subnets)
        for s, c in zip(services, counts):
            for j in range(c):
                sn = (s.i + j) % len(self.subnets)
                addr = self.subnets[sn][1].network_address + next_host[sn]
                next_host[sn] += 1
                eid = f"eni-0{rng.getrandbits(64):016x}"
                s.enis.append(len(self.enis))
                self.enis.append((eid, str(addr), s, sn))
        # Who calls whom: every tier calls two to five services of lower tiers.
        for s in services:
            if s.tier in ("dns", "metrics"):
                continue
            below = [t for t in services
                     if t.tier in TIER_ORDER and TIER_ORDER.get(t.tier, 9) > TIER_ORDER.get(s.tier, 9)]
            if s.tier == "lb":
                below = [t for t in services if t.tier == "web"] or below
            if below:
                for t in rng.sample(below, min(len(below), rng.randint(2, 5))):
                    s.calls.append((t, rng.randint(1, 10)))
            dns = next(t for t in services if t.tier == "dns")
            metrics = next(t for t in services if t.tier == "metrics")
            if s.tier != "lb":
                s.calls.append((dns, 2))
                s.calls.append((metrics, 1))
        # The internet: clients of the load balancers (Zipf over a pool) and
        # outside APIs some services call.
        pool = [ipaddress.ip_address(0xC6120000 + rng.getrandbits(17)) for _ in range(20000)]
        self.internet = [str(a) for a in pool]
        self.zipf = list(itertools.accumulate(1.0 / (r + 1) ** 0.9 for r in range(len(pool))))
        self.apis = [f"203.0.113.{h}" for h in range(10, 20)]
        self.scanners = [f"192.0.2.{h}" for h in range(1, 255)] + [f"198.51.100.{h}" for h in range(1, 255)]
        self.external_callers = [s for s in services if s.tier in ("api", "web") and rng.random() < 0.3]
        # Edges weighted by the caller's size.
        self.edges = []
        for s in services:
            for t, w in s.calls:
                self.edges.append((s, t, w * len(s.enis)))
        self.edge_weights = list(itertools.accumulate(w for _, _, w in self.edges))
        self.lbs = [s for s in services if s.tier == "lb"]
        # Pooled connections: (client eni, service) -> fixed ports, renewed now and then.
        self.pools = {}

    def ephemeral(self, svc):
        if svc.windows:
            return self.rng.randint(49152, 65535)
        return self.rng.randint(32768, 60999)

    def inventory(self):
        out = {
            "format_version": 1,
            "account_id": ACCOUNT,
            "region": "eu-west-1",
            "captured_at": "2026-11-25T00:10:00Z",
            "vpcs": [{"id": VPC, "cidrs": ["10.40.0.0/16"]}],
            "subnets": [{"id": sid, "vpc_id": VPC, "cidrs": [str(net)]} for sid, net in self.subnets],
            "network_interfaces": [],
            "security_groups": [],
            "prefix_lists": [],
            "flow_logs": [{"id": "fl-0mesh0000000001", "resource_id": VPC,
                           "destination": "arn:aws:s3:::mesh-flow-logs", "traffic_type": "ALL"}],
        }
        for k, (eid, addr, s, sn) in enumerate(self.enis):
            nic = {
                "id": eid, "vpc_id": VPC, "subnet_id": self.subnets[sn][0], "addresses": [addr],
                "security_groups": [s.sg], "interface_type": "interface",
            }
            if s.tier == "lb":
                nic["description"] = f"ELB app/{s.name}/{k:016x}"
                nic["requester_managed"] = True
            else:
                nic["description"] = f"{s.name}-{k}"
                nic["requester_managed"] = False
                nic["instance_id"] = f"i-0{0x2000000 + k:016x}"
                nic["tags"] = {"Name": f"{s.name}-{k}"}
            out["network_interfaces"].append(nic)
        # Ingress as the team wrote it: each service from its callers' groups
        # on its port, the load balancers from anywhere on 443.
        callers = {}
        for c in self.services:
            for t, _ in c.calls:
                callers.setdefault(t.i, []).append(c)
        for s in self.services:
            proto = "tcp" if s.proto == 6 else "udp"
            if s.tier == "lb":
                ingress = [{"protocol": "tcp", "from_port": 443, "to_port": 443,
                            "cidr": "0.0.0.0/0", "description": "HTTPS from anywhere"}]
            else:
                ingress = [{"protocol": proto, "from_port": s.port, "to_port": s.port,
                            "referenced_group_id": c.sg, "description": f"from {c.name}"}
                           for c in sorted(callers.get(s.i, []), key=lambda c: c.sg)]
            out["security_groups"].append({
                "id": s.sg, "name": s.name, "vpc_id": VPC, "description": f"{s.name} ({s.tier})",
                "ingress": ingress,
                "egress": [{"protocol": "-1", "cidr": "0.0.0.0/0", "description": ""}],
            })
        out["network_interfaces"].sort(key=lambda n: n["id"])
        out["security_groups"].sort(key=lambda g: g["id"])
        return out


def minute(mesh, t, budget, rng):
    """The records of the minute starting at `t`, about `budget` lines, as
    (eni index, line) pairs."""
    recs = []
    enis = mesh.enis
    n = 0
    reject_budget = budget * 0.05
    rejects = 0

    def rec(at, src, dst, sport, dport, proto, pk, by, action="ACCEPT"):
        s0 = t + rng.randint(0, 5)
        recs.append((at, f"2 {ACCOUNT} {enis[at][0]} {src} {dst} {sport} {dport} {proto} {pk} {by} "
                         f"{s0} {s0 + 59} {action} OK"))

    while n + rejects < budget:
        if rejects < reject_budget * (n + rejects) / budget:
            # A refused attempt, logged at the interface that refused it.
            at = rng.randrange(len(enis))
            if rng.random() < 0.7:
                src = rng.choice(mesh.scanners)
                port = rng.choice(SCAN_PORTS)
                sport = rng.randint(1024, 65535)
            else:
                caller = enis[rng.randrange(len(enis))]
                src = caller[1]
                port = rng.choice(SCAN_PORTS)
                sport = mesh.ephemeral(caller[2])
            rec(at, src, enis[at][1], sport, port, 6, 1, 40 + 4 * rng.randint(0, 5), "REJECT")
            rejects += 1
            continue
        r = rng.random()
        if r < 0.12:
            # Internet -> load balancer (two records at the balancer's interface).
            lb = rng.choice(mesh.lbs)
            at = rng.choice(lb.enis)
            client = rng.choices(mesh.internet, cum_weights=mesh.zipf)[0]
            sport = rng.randint(32768, 60999) if rng.random() < 0.6 else rng.randint(49152, 65535)
            pk = rng.randint(4, 60)
            rec(at, client, enis[at][1], sport, 443, 6, pk, pk * rng.randint(60, 400))
            rec(at, enis[at][1], client, 443, sport, 6, pk, pk * rng.randint(200, 1400))
            n += 2
        elif r < 0.16 and mesh.external_callers:
            # A service calls an outside API (two records at the caller's interface).
            s = rng.choice(mesh.external_callers)
            at = rng.choice(s.enis)
            api = rng.choice(mesh.apis)
            sport = mesh.ephemeral(s)
            pk = rng.randint(6, 40)
            rec(at, enis[at][1], api, sport, 443, 6, pk, pk * rng.randint(80, 300))
            rec(at, api, enis[at][1], 443, sport, 6, pk, pk * rng.randint(300, 1400))
            n += 2
        else:
            # Inside the VPC: four records, request and response at both ends.
            s, d, _ = rng.choices(mesh.edges, cum_weights=mesh.edge_weights)[0]
            c = rng.choice(s.enis)
            v = rng.choice(d.enis)
            if d.pooled:
                key = (c, d.i)
                ports = mesh.pools.get(key)
                if ports is None or rng.random() < 0.002:
                    ports = [mesh.ephemeral(s) for _ in range(rng.randint(2, 8))]
                    mesh.pools[key] = ports
                sport = rng.choice(ports)
            else:
                sport = mesh.ephemeral(s)
            ca, va = enis[c][1], enis[v][1]
            pk = rng.randint(1, 80)
            up, down = pk * rng.randint(50, 300), pk * rng.randint(60, 1400)
            for at in (c, v):
                rec(at, ca, va, sport, d.port, d.proto, pk, up)
                rec(at, va, ca, d.port, sport, d.proto, pk, down)
            n += 4
    # Interfaces idle this minute log NODATA (about 0.5% of the lines).
    busy = {at for at, _ in recs}
    idle = int(budget * 0.005 + rng.random())
    for at in rng.sample(range(len(enis)), min(len(enis), idle)):
        if at not in busy:
            recs.append((at, f"2 {ACCOUNT} {enis[at][0]} - - - - - - - {t} {t + 59} - NODATA"))
    # Grouped by interface, interfaces and records in random order.
    by_eni = {}
    for at, line in recs:
        by_eni.setdefault(at, []).append(line)
    order = list(by_eni)
    rng.shuffle(order)
    out = []
    for at in order:
        lines = by_eni[at]
        rng.shuffle(lines)
        out.extend(lines)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000, help="lines to write after the header")
    ap.add_argument("--interfaces", type=int, default=1200)
    ap.add_argument("--services", type=int, default=48)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", required=True)
    ap.add_argument("--inventory-out", required=True)
    a = ap.parse_args()
    if a.services < 12 or a.interfaces < 3 * a.services:
        sys.exit("mesh-flows.py: need --services >= 12 and --interfaces >= 3 x --services")
    rng = random.Random(a.seed)
    mesh = Mesh(a.interfaces, a.services, rng)
    minutes = a.hours * 60
    written = 0
    with open(a.out, "w", buffering=1 << 20) as f:
        f.write(HEADER + "\n")
        for m in range(minutes):
            want = (a.lines * (m + 1)) // minutes - written
            lines = minute(mesh, START + 60 * m, want, rng)[:a.lines - written]
            f.write("\n".join(lines))
            if lines:
                f.write("\n")
            written += len(lines)
    with open(a.inventory_out, "w") as f:
        json.dump(mesh.inventory(), f, indent=1)
        f.write("\n")
    print(f"wrote {a.out}: {written} lines and a header, {len(mesh.enis)} interfaces, "
          f"{len(mesh.services)} services; inventory in {a.inventory_out}", file=sys.stderr)


if __name__ == "__main__":
    main()
