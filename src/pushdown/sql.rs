//! The Athena (Trino) SQL of the pushed-down aggregation, generated from
//! [`crate::reduce::rules`] and the orientation pass's order (see the module
//! docs). Values never enter the text: the window and the partition bounds
//! are `?` parameters, the table's name is checked and quoted.

use std::fmt::Write;

use crate::aggregate::Method;
use crate::parse::{Field, MAX_COUNTER, MAX_ICMP_TYPE};
use crate::reduce::{ICMP_ANY, rules};
use crate::window::{LAST_TIME, MAX_INTERVAL, Window, date};

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
    /// One `date` column (AWS's table partitioned by `date`).
    Date(String),
    /// No partition filter: every file of the table is read.
    FullScan,
}

/// A flow-log table: its name, the flow-log fields it has, its partitions.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub fields: Vec<Field>,
    pub partition: Partition,
    /// The partition columns that hold the account and the region, where
    /// the table has them (quoted, see [`quote_column`]).
    pub account_column: Option<String>,
    pub region_column: Option<String>,
    /// The accounts and regions to read (`--account`, `--log-region`);
    /// empty: every one.
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
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
pub const FUNCTIONS: [&str; 10] = [
    "bitwise_and",
    "bitwise_or_agg",
    "coalesce",
    "concat",
    "count",
    "max",
    "min",
    "nullif",
    "row_number",
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

/// A column name as a catalog may spell it (letters, digits, `_`, `-`:
/// AWS's Hive layout names `aws-account-id`), quoted.
pub fn quote_column(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(format!("\"{}\"", name.to_ascii_lowercase()))
    } else {
        Err(format!(
            "{name:?} is not a column name sgpair can query (letters, digits, `_`, `-`)"
        ))
    }
}

/// A string as a SQL literal (an execution parameter's value).
fn literal(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

impl Table {
    /// A table with no account or region partition column, read whole
    /// (every account and region).
    pub fn new(name: String, fields: Vec<Field>, partition: Partition) -> Table {
        Table {
            name,
            fields,
            partition,
            account_column: None,
            region_column: None,
            accounts: Vec::new(),
            regions: Vec::new(),
        }
    }

    /// The filter on the accounts and regions asked for, and its values:
    /// on the partition column where the table has one (only those
    /// partitions are read), else on the records' `account_id` / `region`
    /// column (every partition of the window is read, the others' records
    /// dropped); an error where the table has neither.
    pub fn scope_filter(&self) -> Result<(String, Vec<String>), String> {
        let mut sql = String::new();
        let mut params = Vec::new();
        for (values, partition, field, flag, what) in [
            (
                &self.accounts,
                &self.account_column,
                Field::AccountId,
                "--account",
                "account",
            ),
            (
                &self.regions,
                &self.region_column,
                Field::Region,
                "--log-region",
                "region",
            ),
        ] {
            if values.is_empty() {
                continue;
            }
            let column = match (partition, self.has(field), column(field)) {
                (Some(p), ..) => p.clone(),
                (None, true, Some(c)) => c.to_string(),
                _ => {
                    return Err(format!(
                        "{flag}: the table {name} has no {what} partition column and its columns \
                         (the format) have no {field} field, so its records cannot be limited \
                         to a {what}; leave out {flag}, or query a table that has one",
                        name = self.name,
                        field = if what == "account" {
                            "account-id"
                        } else {
                            "region"
                        },
                    ));
                }
            };
            let marks = vec!["?"; values.len()].join(", ");
            let _ = write!(sql, " AND {column} IN ({marks})");
            params.extend(values.iter().map(|v| literal(v)));
        }
        Ok((sql, params))
    }

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
            Partition::Date(c) => (
                format!("{c} BETWEEN CAST(? AS date) AND CAST(? AS date)"),
                vec![
                    format!("'{:04}-{:02}-{:02}'", from.year, from.month, from.day),
                    format!("'{:04}-{:02}-{:02}'", to.year, to.month, to.day),
                ],
            ),
            Partition::FullScan => ("true".into(), vec![]),
        }
    }

    /// `base`: the records of the window in its partitions, named as the
    /// reducer names them; `rec`: those a local read would use or reject
    /// (every value in range, as `parse` checks them); `o`: the accepted
    /// ones oriented as [`crate::reduce::reduce`] orients them.
    fn records(&self, w: &Window, every: bool) -> Result<(String, Vec<String>), String> {
        let (mut pf, mut params) = self.partition_filter(w);
        let (scope, values) = self.scope_filter()?;
        pf.push_str(&scope);
        params.extend(values);
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
        // Without a log-status, a record with neither address nor action is
        // an idle interval, as the parser reads it.
        let idle = "CASE WHEN nullif(srcaddr, '-') IS NULL AND nullif(action, '-') IS NULL \
                    THEN 'NODATA' ELSE 'OK' END";
        let status = if self.has(Field::LogStatus) {
            format!("coalesce(nullif(log_status, '-'), {idle})")
        } else {
            idle.to_string()
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
             {svc_src} AS svc_src, {svc_dst} AS svc_dst, {reason} AS reason\n  FROM {table}\n  \
             WHERE {pf} AND (start IS NULL OR start >= ? AND start < ?)\n),\n\
             rec AS (\n  SELECT {rec_head}\n  {rec_cond} status = 'OK' AND action IN ('ACCEPT', 'REJECT')\n    \
             AND src <> '-' AND dst <> '-' AND srcaddr <> '-' AND dstaddr <> '-'\n    \
             AND sp BETWEEN 0 AND 65535 AND dp BETWEEN 0 AND 65535 AND proto BETWEEN 0 AND 255\n    \
             AND (proto NOT IN ({icmp}) OR sp <= {max_type} AND dp <= {max_type})\n    \
             AND t0 BETWEEN 0 AND {last} AND t1 BETWEEN t0 AND {last} AND t1 - t0 <= {interval}\n    \
             AND packets BETWEEN 0 AND {max} AND bytes BETWEEN 0 AND {max}{rec_tail}\n),\n",
            rec_head = if every { "base.*," } else { "* FROM base" },
            rec_cond = if every { "(" } else { "WHERE" },
            rec_tail = if every { ") AS valid FROM base" } else { "" },
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
            reason = self.text(Field::RejectReason),
            table = self.name,
            icmp = icmp_list(),
            max_type = MAX_ICMP_TYPE,
            last = LAST_TIME,
            interval = MAX_INTERVAL,
            max = MAX_COUNTER,
        );
        Ok((t + &orient(every), params))
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
/// SYN; then `o` names client, server and service port. With `every`, `o`
/// also keeps each record's validity, status and what it is (`used`,
/// `rejected`), and `rport`, the service of a rejected record as
/// [`crate::reduce::Rejection`] names it.
fn orient(every: bool) -> String {
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
         FROM rec{used_filter}\n),\n\
         o AS (\n  SELECT eni, vpc, account, t0, t1, bytes, packets, flags, dir, srcaddr, dstaddr, st, syn, proto,{extra}\n    \
         CASE WHEN sc THEN src ELSE dst END AS client, CASE WHEN sc THEN ps ELSE pd END AS cport,\n    \
         CASE WHEN sc THEN dst ELSE src END AS server, CASE WHEN sc THEN pd ELSE ps END AS port,\n    \
         CASE WHEN sc THEN svc_src ELSE svc_dst END AS client_svc,\n    \
         CASE WHEN sc THEN svc_dst ELSE svc_src END AS server_svc\n  FROM r1\n),\n",
        any = ICMP_ANY,
        used_filter = if every {
            ""
        } else {
            " WHERE action = 'ACCEPT' AND src <> dst"
        },
        extra = if every {
            format!(
                "\n    valid, status, te, valid AND action = 'ACCEPT' AND src <> dst AS used,\n    \
                 valid AND action = 'REJECT' AND src <> dst AS rejected, src, dst, reason,\n    \
                 CASE WHEN proto IN ({icmp}) AND sp = 0 AND dp = 0 THEN {any}\n      \
                 WHEN proto IN ({icmp}) THEN sp ELSE dp END AS rport,",
                any = ICMP_ANY,
            )
        } else {
            String::new()
        },
    )
}

/// The connections of the window: one row per capturing interface and
/// settled key (`kind` `conn`), or per copy whose initiator no evidence
/// decides (`undecided`). Two stages: first each endpoint's evidence over
/// the whole window (proven by flags, fan-in counted exactly over distinct
/// client ports), then each record's group is kept, flipped or left
/// undecided by it, and the groups summed again under the settled key.
///
/// One chain, each step reading only the one before it, so the table is
/// read once however Trino plans a `WITH` clause referred to twice: the
/// records are grouped by interface, key and client port (`gp`); window
/// functions give each group's and each scoped key's figures; each row is
/// copied once per endpoint it touches (its server's, the one its single
/// client port would serve, the one it would be flipped to) so that window
/// functions over endpoints sum the evidence, and grouped back.
pub fn connections(t: &Table, w: &Window) -> Result<Query, String> {
    let (mut sql, params) = t.records(w, false)?;
    sql.insert_str(0, "WITH ");
    let icmp = icmp_list();
    let ports = rules::WITH_PORTS
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let key = rules::KEY.join(", ");
    let rank = |m: Method| m.rank();
    let _ = write!(
        sql,
        "gp AS (\n  SELECT coalesce(eni, '') AS ek, {key}, cport, min(vpc) AS vpc, min(account) AS account,\n    \
         count(*) AS records, sum(bytes) AS bytes, sum(packets) AS packets, sum(syn) AS syns,\n    \
         min(t0) AS t0, max(t1) AS t1, max(st) AS st, bitwise_or_agg(flags) AS flags\n  \
         FROM o GROUP BY coalesce(eni, ''), {key}, cport\n),\n\
         l1 AS (\n  SELECT gp.*,\n    \
         CASE WHEN ek = '' THEN NULL ELSE min(vpc) OVER (PARTITION BY ek) END AS pvpc,\n    \
         CASE WHEN ek = '' THEN NULL ELSE min(account) OVER (PARTITION BY ek) END AS pacct,\n    \
         count(*) OVER (PARTITION BY ek, {key}) AS n,\n    \
         min(cport) OVER (PARTITION BY ek, {key}) AS p1,\n    \
         max(st) OVER (PARTITION BY ek, {key}) AS gst,\n    \
         row_number() OVER (PARTITION BY ek, {key} ORDER BY cport) AS gr\n  FROM gp\n),\n\
         l2 AS (\n  SELECT l1.*, coalesce(pvpc, '') AS scope FROM l1\n),\n\
         l3 AS (\n  SELECT l2.*,\n    \
         max(n) OVER (PARTITION BY scope, {key}) AS maxn,\n    \
         min(CASE WHEN n = 1 THEN p1 END) OVER (PARTITION BY scope, {key}) AS single0,\n    \
         row_number() OVER (PARTITION BY scope, {key} ORDER BY ek, cport) AS kr\n  FROM l2\n),\n\
         u AS (\n  SELECT l3.*, r.role, CASE WHEN maxn = 1 THEN single0 END AS single,\n    \
         CASE WHEN r.role = 1 THEN server ELSE client END AS eaddr,\n    \
         CASE WHEN r.role = 1 THEN port WHEN r.role = 2 THEN CASE WHEN maxn = 1 THEN single0 END\n      \
         ELSE p1 END AS eport\n  \
         FROM l3 CROSS JOIN (VALUES 1, 2, 3) AS r (role)\n),\n\
         ue AS (\n  SELECT u.*,\n    \
         sum(CASE WHEN role = 1 AND gr = 1 AND gst = 2 THEN 1 ELSE 0 END)\n      \
         OVER (PARTITION BY scope, eaddr, eport, proto) AS eknown,\n    \
         sum(CASE WHEN role = 1 AND kr = 1 THEN maxn\n      \
         WHEN role = 2 AND kr = 1 AND single IS NOT NULL THEN 1 ELSE 0 END)\n      \
         OVER (PARTITION BY scope, eaddr, eport, proto) AS efan\n  FROM u\n),\n\
         pv AS (\n  SELECT ek, {key}, cport, records, bytes, packets, syns, t0, t1, st, flags, pvpc, pacct, n, p1, gst,\n    \
         max(CASE WHEN role = 1 THEN eknown END) > 0 AS own_known,\n    \
         n = 1 AND max(CASE WHEN role = 3 THEN eknown END) > 0 AS alt_known,\n    \
         coalesce(max(CASE WHEN role = 1 THEN efan END), 0) AS own_fan,\n    \
         CASE WHEN n = 1 THEN coalesce(max(CASE WHEN role = 3 THEN efan END), 0) ELSE 0 END AS alt_fan\n  \
         FROM ue\n  GROUP BY ek, {key}, cport, records, bytes, packets, syns, t0, t1, st, flags, pvpc, pacct, n, p1, gst\n),\n\
         d AS (\n  SELECT pv.*,\n    \
         (proto IN ({icmp}) AND port = {any})\n      \
         OR (proto NOT IN ({ports}) AND port = 0 AND n = 1 AND p1 = 0) AS raw\n  FROM pv\n),\n\
         e AS (\n  SELECT d.*,\n    \
         CASE WHEN gst = 2 THEN 'keep' WHEN raw THEN 'raw' WHEN n > 1 THEN 'keep'\n      \
         WHEN alt_known AND NOT own_known THEN 'flip' WHEN own_known AND NOT alt_known THEN 'keep'\n      \
         WHEN alt_fan > own_fan THEN 'flip' WHEN own_fan > alt_fan THEN 'keep'\n      \
         WHEN gst = 1 THEN 'keep' ELSE 'undecided' END AS act,\n    \
         CASE WHEN gst = 2 THEN {flags} WHEN raw THEN NULL WHEN n > 1 THEN {fan_in}\n      \
         WHEN alt_known AND NOT own_known THEN {known} WHEN own_known AND NOT alt_known THEN {known}\n      \
         WHEN alt_fan <> own_fan THEN {fan_in} WHEN gst = 1 THEN {range} END AS method\n  FROM d\n),\n\
         f AS (\n  SELECT ek, proto, records, bytes, packets, syns, t0, t1, st, flags, pvpc, pacct,\n    \
         CASE WHEN act = 'undecided' THEN 'undecided' ELSE 'conn' END AS kind,\n    \
         CASE WHEN act = 'undecided' THEN NULL ELSE method END AS method,\n    \
         CASE WHEN act = 'flip' THEN client ELSE server END AS server,\n    \
         CASE WHEN act = 'flip' THEN cport ELSE port END AS port,\n    \
         CASE WHEN act = 'flip' THEN server ELSE client END AS client,\n    \
         CASE WHEN act = 'flip' THEN port ELSE cport END AS cport\n  FROM e\n)\n\
         SELECT kind, ek AS interface, min(pacct) AS account, min(pvpc) AS vpc, client, server, port, proto,\n  \
         CASE WHEN kind = 'conn' THEN bitwise_or_agg(flags) END AS tcp_flags, min(t0) AS first, max(t1) AS last,\n  \
         sum(bytes) AS bytes, sum(packets) AS packets, sum(records) AS records, sum(syns) AS syns,\n  \
         count(DISTINCT cport) AS client_ports,\n  \
         CASE WHEN count(DISTINCT cport) = 1 THEN min(cport) END AS client_port,\n  \
         min(method) AS method, max(st) AS strength\n\
         FROM f GROUP BY kind, ek, {key}\n",
        any = ICMP_ANY,
        flags = rank(Method::TcpFlags),
        fan_in = rank(Method::FanIn),
        known = rank(Method::KnownService),
        range = rank(Method::PortRange),
    );
    Ok(Query { sql, params })
}

/// The rest of what records tell besides connections: which
/// interface held which address when (`held`), addresses of AWS services
/// (`service`), SKIPDATA intervals (`gap`), the NODATA records of the
/// window (`nodata`: one row, their count), each interface's records in
/// the window (`span`), rejected records (`rejected`: per source,
/// destination, service port (for ICMP the type, as `rport` reads it),
/// protocol and reason, as
/// [`crate::reduce::Rejection`]s; their count and earliest and latest
/// start, which the aggregator sums per destination service as it sums
/// local rejections). One chain like [`connections`]: each record is
/// copied once per kind of fact it may give, and the copies grouped.
pub fn timeline(t: &Table, w: &Window) -> Result<Query, String> {
    let (mut sql, params) = t.records(w, true)?;
    sql.insert_str(0, "WITH ");
    sql.push_str(
        "x AS (\n  SELECT o.*, r.role FROM o CROSS JOIN (VALUES 1, 2, 3, 4, 5, 6) AS r (role)\n),\n\
         y AS (\n  SELECT\n    \
         CASE role WHEN 1 THEN 'held' WHEN 4 THEN CASE WHEN status = 'SKIPDATA' THEN 'gap' ELSE 'nodata' END\n      \
         WHEN 5 THEN 'span' WHEN 6 THEN 'rejected' ELSE 'service' END AS kind,\n    \
         CASE WHEN role IN (2, 3, 6) OR role = 4 AND status = 'NODATA' THEN NULL ELSE eni END AS interface,\n    \
         CASE role WHEN 1 THEN CASE WHEN dir = 'ingress' THEN dstaddr ELSE srcaddr END\n      \
         WHEN 2 THEN server WHEN 3 THEN client WHEN 6 THEN dst END AS addr,\n    \
         CASE role WHEN 2 THEN server_svc WHEN 3 THEN client_svc WHEN 6 THEN reason END AS name,\n    \
         CASE WHEN role = 6 THEN src END AS source, CASE WHEN role = 6 THEN rport END AS port,\n    \
         CASE WHEN role = 6 THEN proto END AS proto,\n    \
         t0, CASE role WHEN 4 THEN te WHEN 6 THEN t0 ELSE t1 END AS t1\n  FROM x\n  \
         WHERE role = 1 AND used AND eni IS NOT NULL AND dir IN ('ingress', 'egress')\n    \
         OR role = 2 AND used AND server_svc IS NOT NULL\n    \
         OR role = 3 AND used AND client_svc IS NOT NULL\n    \
         OR role = 4 AND status IN ('SKIPDATA', 'NODATA')\n    \
         OR role = 5 AND valid AND eni IS NOT NULL\n    \
         OR role = 6 AND rejected\n),\n\
         z AS (\n  SELECT kind, interface, addr, name, source, port, proto,\n    \
         min(t0) AS first, max(t1) AS last, count(*) AS n\n  \
         FROM y GROUP BY kind, interface, addr, name, source, port, proto\n),\n\
         zw AS (\n  SELECT z.*, min(first) OVER (PARTITION BY kind, addr) AS sfirst FROM z\n)\n\
         SELECT kind, interface, addr, min(name) AS name, source, port, proto, min(first) AS first,\n  \
         CASE WHEN kind = 'service' THEN min(first) ELSE max(last) END AS last, sum(n) AS n\n\
         FROM zw WHERE kind <> 'service' OR first = sfirst\n\
         GROUP BY kind, interface, addr, source, port, proto, CASE WHEN kind = 'rejected' THEN name END\n",
    );
    Ok(Query { sql, params })
}
