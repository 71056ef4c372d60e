//! The Athena (Trino) SQL of the pushed-down aggregation, generated from
//! [`crate::reduce::rules`] and the orientation pass's order (see the module
//! docs). Values never enter the text: the window and the partition bounds
//! are `?` parameters, the table's name is checked and quoted.

use std::fmt::Write;

use crate::aggregate::Method;
use crate::parse::{Field, MAX_COUNTER, MAX_ICMP_TYPE};
use crate::reduce::{ICMP_ANY, rules};
use crate::window::{LAST_TIME, Window, date};

/// How a table's partitions name the day, so a query reads only the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Partition {
    /// One string column `yyyy/MM/dd` (AWS's table with partition projection
    /// over `AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}`).
    Day(String),
    /// Hive layout: `year`, `month`, `day` string columns (`2026`, `11`, `23`).
    Hive {
        year: String,
        month: String,
        day: String,
    },
    /// No partition filter: every file of the table is read.
    FullScan,
}

/// A flow-log table: its name, the flow-log fields it has, its partitions.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub fields: Vec<Field>,
    pub partition: Partition,
}

/// One query: SQL with `?` placeholders and their values as SQL literals
/// (what Athena's `ExecutionParameters` take), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub sql: String,
    pub params: Vec<String>,
}

/// The functions the generated SQL calls: the test parses every query and
/// refuses any other, so a function Athena lacks cannot slip in.
pub const FUNCTIONS: [&str; 8] = [
    "bitwise_and",
    "bitwise_or_agg",
    "coalesce",
    "count",
    "max",
    "min",
    "nullif",
    "sum",
];

/// The column a flow-log field has in Athena's tables: its name with
/// underscores (`end` quoted, it is a keyword).
pub fn column(f: Field) -> Option<&'static str> {
    Some(match f {
        Field::Version => "version",
        Field::AccountId => "account_id",
        Field::InterfaceId => "interface_id",
        Field::SrcAddr => "srcaddr",
        Field::DstAddr => "dstaddr",
        Field::SrcPort => "srcport",
        Field::DstPort => "dstport",
        Field::Protocol => "protocol",
        Field::Packets => "packets",
        Field::Bytes => "bytes",
        Field::Start => "start",
        Field::End => "\"end\"",
        Field::Action => "action",
        Field::LogStatus => "log_status",
        Field::VpcId => "vpc_id",
        Field::SubnetId => "subnet_id",
        Field::InstanceId => "instance_id",
        Field::TcpFlags => "tcp_flags",
        Field::Type => "type",
        Field::PktSrcAddr => "pkt_srcaddr",
        Field::PktDstAddr => "pkt_dstaddr",
        Field::Region => "region",
        Field::AzId => "az_id",
        Field::SublocationType => "sublocation_type",
        Field::SublocationId => "sublocation_id",
        Field::PktSrcAwsService => "pkt_src_aws_service",
        Field::PktDstAwsService => "pkt_dst_aws_service",
        Field::FlowDirection => "flow_direction",
        Field::TrafficPath => "traffic_path",
        Field::RejectReason => "reject_reason",
        Field::Ecs | Field::TransitGateway => return None,
    })
}

/// The fields a table needs for the aggregation.
pub const REQUIRED: [Field; 8] = [
    Field::SrcAddr,
    Field::DstAddr,
    Field::SrcPort,
    Field::DstPort,
    Field::Protocol,
    Field::Start,
    Field::Action,
    Field::Bytes,
];

/// A table name Athena accepts unquoted (letters, digits, `_`), quoted.
pub fn quote_name(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(format!("\"{}\"", name.to_ascii_lowercase()))
    } else {
        Err(format!(
            "{name:?} is not an Athena table name (letters, digits and `_`)"
        ))
    }
}

impl Table {
    fn has(&self, f: Field) -> bool {
        self.fields.contains(&f)
    }

    /// A text column (`-` is no value), or NULL where the table lacks it.
    fn text(&self, f: Field) -> String {
        match (self.has(f), column(f)) {
            (true, Some(c)) => format!("nullif({c}, '-')"),
            _ => "CAST(NULL AS varchar)".into(),
        }
    }

    /// A number column, or NULL (or `default`) where the table lacks it.
    fn number(&self, f: Field, default: &str) -> String {
        match (self.has(f), column(f)) {
            (true, Some(c)) if default == "NULL" => c.to_string(),
            (true, Some(c)) => format!("coalesce({c}, {default})"),
            _ if default == "NULL" => "CAST(NULL AS bigint)".into(),
            _ => default.into(),
        }
    }

    /// The filter on the partitions and its values: the window's days, and a
    /// day either side (a record is delivered into the folder of the hour it
    /// was written, after its capture interval ended).
    fn partition_filter(&self, w: &Window) -> (String, Vec<String>) {
        let day = |t: i64| date(t.clamp(0, LAST_TIME));
        let (from, to) = (
            day(w.since.saturating_sub(86_400)),
            day(w.until.saturating_add(86_400)),
        );
        match &self.partition {
            Partition::Day(c) => (
                format!("{c} BETWEEN ? AND ?"),
                vec![
                    format!("'{:04}/{:02}/{:02}'", from.year, from.month, from.day),
                    format!("'{:04}/{:02}/{:02}'", to.year, to.month, to.day),
                ],
            ),
            Partition::Hive { year, month, day } => (
                format!("concat({year}, {month}, {day}) BETWEEN ? AND ?"),
                vec![
                    format!("'{:04}{:02}{:02}'", from.year, from.month, from.day),
                    format!("'{:04}{:02}{:02}'", to.year, to.month, to.day),
                ],
            ),
            Partition::FullScan => ("true".into(), vec![]),
        }
    }

    /// `base`: the records of the window in its partitions, named as the
    /// reducer names them; `rec`: those a local read would use or reject
    /// (every value in range, as `parse` checks them); `o`: the accepted
    /// ones oriented as [`crate::reduce::reduce`] orients them.
    fn records(&self, w: &Window) -> (String, Vec<String>) {
        let (pf, mut params) = self.partition_filter(w);
        params.push(w.since.to_string());
        params.push(w.until.to_string());
        let src = if self.has(Field::PktSrcAddr) {
            "coalesce(nullif(pkt_srcaddr, '-'), srcaddr)"
        } else {
            "srcaddr"
        };
        let dst = if self.has(Field::PktDstAddr) {
            "coalesce(nullif(pkt_dstaddr, '-'), dstaddr)"
        } else {
            "dstaddr"
        };
        let status = if self.has(Field::LogStatus) {
            "coalesce(nullif(log_status, '-'), 'OK')"
        } else {
            "'OK'"
        };
        let end = if self.has(Field::End) {
            "coalesce(\"end\", start)"
        } else {
            "start"
        };
        let t = format!(
            "base AS (\n  SELECT {eni} AS eni, {vpc} AS vpc, {account} AS account,\n    \
             {src} AS src, {dst} AS dst, srcaddr, dstaddr, srcport AS sp, dstport AS dp,\n    \
             protocol AS proto, {packets} AS packets, {bytes} AS bytes, start AS t0, {end} AS t1,\n    \
             {te} AS te, \
             action, {status} AS status, {flags} AS flags, {dir} AS dir,\n    \
             {svc_src} AS svc_src, {svc_dst} AS svc_dst\n  FROM {table}\n  \
             WHERE {pf} AND (start IS NULL OR start >= ? AND start < ?)\n),\n\
             rec AS (\n  SELECT * FROM base\n  WHERE status = 'OK' AND action IN ('ACCEPT', 'REJECT')\n    \
             AND src <> '-' AND dst <> '-' AND srcaddr <> '-' AND dstaddr <> '-'\n    \
             AND sp BETWEEN 0 AND 65535 AND dp BETWEEN 0 AND 65535 AND proto BETWEEN 0 AND 255\n    \
             AND (proto NOT IN ({icmp}) OR sp <= {max_type} AND dp <= {max_type})\n    \
             AND t0 BETWEEN 0 AND {last} AND t1 BETWEEN t0 AND {last}\n    \
             AND packets BETWEEN 0 AND {max} AND bytes BETWEEN 0 AND {max}\n),\n",
            te = self.number(Field::End, "NULL"),
            eni = self.text(Field::InterfaceId),
            vpc = self.text(Field::VpcId),
            account = self.text(Field::AccountId),
            packets = self.number(Field::Packets, "0"),
            bytes = self.number(Field::Bytes, "0"),
            flags = self.number(Field::TcpFlags, "NULL"),
            dir = self.text(Field::FlowDirection),
            svc_src = self.text(Field::PktSrcAwsService),
            svc_dst = self.text(Field::PktDstAwsService),
            table = self.name,
            icmp = icmp_list(),
            max_type = MAX_ICMP_TYPE,
            last = LAST_TIME,
            max = MAX_COUNTER,
        );
        (t + &orient(), params)
    }
}

fn icmp_list() -> String {
    rules::ECHO
        .iter()
        .map(|(p, ..)| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `CASE proto WHEN 1 THEN 8 ... END`: the echo request or reply type.
fn echo(reply: bool) -> String {
    let mut s = String::from("CASE proto");
    for (p, req, rep) in rules::ECHO {
        let _ = write!(s, " WHEN {p} THEN {}", if reply { rep } else { req });
    }
    s + " END"
}

/// The orientation of one accepted record ([`crate::reduce`]'s `orient`):
/// `sc` the source is the client, `ps`/`pd` the ports in service terms,
/// `st` the strength (0 weak, 1 clear, 2 certain), `syn` the initiator's
/// SYN; then `o` names client, server and service port.
fn orient() -> String {
    let icmp = icmp_list();
    let ports = rules::WITH_PORTS
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let (req, rep) = (echo(false), echo(true));
    let class = |p: &str| {
        format!(
            "CASE WHEN {p} < {} THEN 0 WHEN {p} < {} THEN 1 ELSE 2 END",
            rules::REGISTERED,
            rules::EPHEMERAL
        )
    };
    let (cs, cd) = (class("sp"), class("dp"));
    let syn = format!(
        "proto = {tcp} AND flags IS NOT NULL AND bitwise_and(flags, {m}) = {s}",
        tcp = crate::reduce::TCP,
        m = rules::FLAG_MASK,
        s = rules::FLAG_SYN
    );
    let syn_ack = format!(
        "proto = {tcp} AND flags IS NOT NULL AND bitwise_and(flags, {m}) = {s}",
        tcp = crate::reduce::TCP,
        m = rules::FLAG_MASK,
        s = rules::FLAG_SYN_ACK
    );
    let portless = format!("proto NOT IN ({ports}) AND sp = 0 AND dp = 0");
    format!(
        "r1 AS (\n  SELECT *,\n    \
         CASE WHEN proto IN ({icmp}) THEN (sp = 0 AND dp = 0) OR sp <> {rep}\n      \
         WHEN {syn} THEN true WHEN {syn_ack} THEN false WHEN {portless} THEN true\n      \
         WHEN {cs} > {cd} THEN true WHEN {cs} < {cd} THEN false ELSE sp >= dp END AS sc,\n    \
         CASE WHEN proto IN ({icmp}) AND NOT (sp = 0 AND dp = 0) AND sp = {rep} THEN {req}\n      \
         WHEN proto IN ({icmp}) THEN 0 ELSE sp END AS ps,\n    \
         CASE WHEN proto IN ({icmp}) AND sp = 0 AND dp = 0 THEN {any}\n      \
         WHEN proto IN ({icmp}) AND sp = {rep} THEN 0 WHEN proto IN ({icmp}) THEN sp ELSE dp END AS pd,\n    \
         CASE WHEN proto IN ({icmp}) AND sp = 0 AND dp = 0 THEN 0\n      \
         WHEN proto IN ({icmp}) AND (sp = {req} OR sp = {rep}) THEN 2 WHEN proto IN ({icmp}) THEN 1\n      \
         WHEN {syn} OR {syn_ack} THEN 2 WHEN {portless} THEN 0\n      \
         WHEN {cs} = {cd} THEN 0 ELSE 1 END AS st,\n    \
         CASE WHEN proto IN ({icmp}) AND NOT (sp = 0 AND dp = 0) AND sp = {req} THEN 1\n      \
         WHEN proto NOT IN ({icmp}) AND {syn} THEN 1 ELSE 0 END AS syn\n  \
         FROM rec WHERE action = 'ACCEPT' AND src <> dst\n),\n\
         o AS (\n  SELECT eni, vpc, account, t0, t1, bytes, packets, flags, dir, srcaddr, dstaddr, st, syn, proto,\n    \
         CASE WHEN sc THEN src ELSE dst END AS client, CASE WHEN sc THEN ps ELSE pd END AS cport,\n    \
         CASE WHEN sc THEN dst ELSE src END AS server, CASE WHEN sc THEN pd ELSE ps END AS port,\n    \
         CASE WHEN sc THEN svc_src ELSE svc_dst END AS client_svc,\n    \
         CASE WHEN sc THEN svc_dst ELSE svc_src END AS server_svc\n  FROM r1\n),\n",
        any = ICMP_ANY,
    )
}

/// The connections of the window: one row per capturing interface and
/// settled key (`kind` `conn`), or per copy whose initiator no evidence
/// decides (`undecided`). Two stages: first each endpoint's evidence over
/// the whole window (proven by flags, fan-in counted exactly over distinct
/// client ports), then each record's group is kept, flipped or left
/// undecided by it, and the records grouped again under the settled key.
pub fn connections(t: &Table, w: &Window) -> Query {
    let (mut sql, params) = t.records(w);
    sql.insert_str(0, "WITH ");
    let key = rules::KEY.join(", ");
    let icmp = icmp_list();
    let ports = rules::WITH_PORTS
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let rank = |m: Method| m.rank();
    let _ = write!(
        sql,
        "place AS (\n  SELECT eni, min(vpc) AS vpc, min(account) AS account FROM o\n  \
         WHERE eni IS NOT NULL GROUP BY eni\n),\n\
         os AS (\n  SELECT o.*, coalesce(o.eni, '') AS ek, coalesce(place.vpc, '') AS scope\n  \
         FROM o LEFT JOIN place ON o.eni = place.eni\n),\n\
         g AS (\n  SELECT ek, scope, {key}, count(*) AS records, sum(bytes) AS bytes,\n    \
         sum(packets) AS packets, sum(syn) AS syns, min(t0) AS t0, max(t1) AS t1, max(st) AS st,\n    \
         count(DISTINCT cport) AS n, min(cport) AS p1\n  FROM os GROUP BY ek, scope, {key}\n),\n\
         known AS (\n  SELECT DISTINCT scope, server AS addr, port, proto FROM g WHERE st = 2\n),\n\
         pk AS (\n  SELECT scope, {key}, max(n) AS n,\n    \
         CASE WHEN max(n) = 1 THEN min(p1) END AS single\n  FROM g GROUP BY scope, {key}\n),\n\
         fan AS (\n  SELECT scope, addr, port, proto, sum(f) AS f FROM (\n    \
         SELECT scope, server AS addr, port, proto, n AS f FROM pk\n    UNION ALL\n    \
         SELECT scope, client AS addr, single AS port, proto, 1 AS f FROM pk WHERE single IS NOT NULL\n  \
         ) AS e GROUP BY scope, addr, port, proto\n),\n\
         d0 AS (\n  SELECT g.*,\n    \
         (g.proto IN ({icmp}) AND g.port = {any})\n      \
         OR (g.proto NOT IN ({ports}) AND g.port = 0 AND g.n = 1 AND g.p1 = 0) AS raw,\n    \
         k1.addr IS NOT NULL AS own_known, g.n = 1 AND k2.addr IS NOT NULL AS alt_known,\n    \
         coalesce(f1.f, 0) AS own_fan, CASE WHEN g.n = 1 THEN coalesce(f2.f, 0) ELSE 0 END AS alt_fan\n  \
         FROM g\n  \
         LEFT JOIN known AS k1 ON k1.scope = g.scope AND k1.addr = g.server AND k1.port = g.port AND k1.proto = g.proto\n  \
         LEFT JOIN known AS k2 ON k2.scope = g.scope AND k2.addr = g.client AND k2.port = g.p1 AND k2.proto = g.proto\n  \
         LEFT JOIN fan AS f1 ON f1.scope = g.scope AND f1.addr = g.server AND f1.port = g.port AND f1.proto = g.proto\n  \
         LEFT JOIN fan AS f2 ON f2.scope = g.scope AND f2.addr = g.client AND f2.port = g.p1 AND f2.proto = g.proto\n\
         ),\n\
         d AS (\n  SELECT *,\n    \
         CASE WHEN st = 2 THEN 'keep' WHEN raw THEN 'raw' WHEN n > 1 THEN 'keep'\n      \
         WHEN alt_known AND NOT own_known THEN 'flip' WHEN own_known AND NOT alt_known THEN 'keep'\n      \
         WHEN alt_fan > own_fan THEN 'flip' WHEN own_fan > alt_fan THEN 'keep'\n      \
         WHEN st = 1 THEN 'keep' ELSE 'undecided' END AS act,\n    \
         CASE WHEN st = 2 THEN {flags} WHEN raw THEN NULL WHEN n > 1 THEN {fan_in}\n      \
         WHEN alt_known AND NOT own_known THEN {known} WHEN own_known AND NOT alt_known THEN {known}\n      \
         WHEN alt_fan <> own_fan THEN {fan_in} WHEN st = 1 THEN {range} END AS method\n  \
         FROM d0\n),\n\
         f AS (\n  SELECT os.ek, os.proto, os.t0, os.t1, os.bytes, os.packets, os.syn, os.st, os.flags, d.method,\n    \
         CASE WHEN d.act = 'flip' THEN os.client ELSE os.server END AS server,\n    \
         CASE WHEN d.act = 'flip' THEN os.cport ELSE os.port END AS port,\n    \
         CASE WHEN d.act = 'flip' THEN os.server ELSE os.client END AS client,\n    \
         CASE WHEN d.act = 'flip' THEN os.port ELSE os.cport END AS cport\n  \
         FROM os JOIN d ON d.ek = os.ek AND d.server = os.server AND d.port = os.port\n    \
         AND d.client = os.client AND d.proto = os.proto\n  WHERE d.act <> 'undecided'\n),\n\
         conn AS (\n  SELECT ek, {key}, count(*) AS records, sum(bytes) AS bytes, sum(packets) AS packets,\n    \
         sum(syn) AS syns, min(t0) AS t0, max(t1) AS t1, max(st) AS st, min(method) AS method,\n    \
         count(DISTINCT cport) AS n, CASE WHEN count(DISTINCT cport) = 1 THEN min(cport) END AS p1,\n    \
         bitwise_or_agg(flags) AS flags\n  FROM f GROUP BY ek, {key}\n)\n\
         SELECT 'conn' AS kind, conn.ek AS interface, place.account, place.vpc, conn.client, conn.server,\n  \
         conn.port, conn.proto, conn.flags AS tcp_flags, conn.t0 AS first, conn.t1 AS last, conn.bytes,\n  \
         conn.packets, conn.records, conn.syns, conn.n AS client_ports, conn.p1 AS client_port,\n  \
         conn.method, conn.st AS strength\n\
         FROM conn LEFT JOIN place ON place.eni = conn.ek\n\
         UNION ALL\n\
         SELECT 'undecided' AS kind, d.ek AS interface, place.account, place.vpc, d.client, d.server,\n  \
         d.port, d.proto, CAST(NULL AS bigint) AS tcp_flags, d.t0 AS first, d.t1 AS last, d.bytes,\n  \
         d.packets, d.records, d.syns, d.n AS client_ports, d.p1 AS client_port,\n  \
         CAST(NULL AS bigint) AS method, d.st AS strength\n\
         FROM d LEFT JOIN place ON place.eni = d.ek WHERE d.act = 'undecided'\n",
        any = ICMP_ANY,
        flags = rank(Method::TcpFlags),
        fan_in = rank(Method::FanIn),
        known = rank(Method::KnownService),
        range = rank(Method::PortRange),
    );
    Query { sql, params }
}

/// The rest of what records tell besides connections, small: which
/// interface held which address when (`held`), addresses of AWS services
/// (`service`), SKIPDATA intervals (`gap`), each interface's records in
/// the window (`span`).
pub fn timeline(t: &Table, w: &Window) -> Query {
    let (mut sql, params) = t.records(w);
    sql.insert_str(0, "WITH ");
    let _ = write!(
        sql,
        "svc AS (\n  SELECT server AS addr, t0, server_svc AS name FROM o WHERE server_svc IS NOT NULL\n  \
         UNION ALL\n  SELECT client AS addr, t0, client_svc AS name FROM o WHERE client_svc IS NOT NULL\n),\n\
         svc_first AS (\n  SELECT addr, min(t0) AS t0 FROM svc GROUP BY addr\n)\n\
         SELECT 'held' AS kind, eni AS interface,\n  \
         CASE WHEN dir = 'ingress' THEN dstaddr ELSE srcaddr END AS addr, CAST(NULL AS varchar) AS name,\n  \
         min(t0) AS first, max(t1) AS last, count(*) AS n\n\
         FROM o WHERE eni IS NOT NULL AND dir IN ('ingress', 'egress')\n\
         GROUP BY eni, CASE WHEN dir = 'ingress' THEN dstaddr ELSE srcaddr END\n\
         UNION ALL\n\
         SELECT 'service' AS kind, CAST(NULL AS varchar) AS interface, svc.addr, min(svc.name) AS name,\n  \
         svc_first.t0 AS first, svc_first.t0 AS last, count(*) AS n\n\
         FROM svc JOIN svc_first ON svc.addr = svc_first.addr AND svc.t0 = svc_first.t0\n\
         GROUP BY svc.addr, svc_first.t0\n\
         UNION ALL\n\
         SELECT 'gap' AS kind, eni AS interface, CAST(NULL AS varchar) AS addr,\n  \
         CAST(NULL AS varchar) AS name, min(t0) AS first, max(te) AS last, count(*) AS n\n\
         FROM base WHERE status = 'SKIPDATA' GROUP BY eni\n\
         UNION ALL\n\
         SELECT 'span' AS kind, eni AS interface, CAST(NULL AS varchar) AS addr,\n  \
         CAST(NULL AS varchar) AS name, min(t0) AS first, max(t1) AS last, count(*) AS n\n\
         FROM rec WHERE eni IS NOT NULL GROUP BY eni\n",
    );
    Query { sql, params }
}
