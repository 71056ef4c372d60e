//! The rule resources of the proposal's Terraform folder: what `sgpair
//! infer --terraform` writes beside the tfvars (`egress.tf`: the egress the
//! module cannot express) and what a team added there, which one apply
//! creates together with the module's rules. Every `*.tf` file of the
//! folder is read with an HCL parser, and each
//! `aws_vpc_security_group_egress_rule` and `_ingress_rule` resource whose
//! values are written out is read as the rule it creates, and each older
//! `aws_security_group_rule` as the rules it creates (one per peer it
//! lists).
//!
//! A resource that cannot be read so (a value Terraform computes, `count`
//! or `for_each`, a file that is not HCL) is named in a warning and left
//! out. Leaving a rule out can only make a check report a connection as
//! blocked, never let one pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hcl::expr::{Expression, Operation, UnaryOperator};

use crate::inventory::{Cidr, SecurityGroup, SgRule, protocol_number};
use crate::reduce::{TCP, UDP};

/// The resource types of one rule each, and whether each is an egress rule.
const TYPES: [(&str, bool); 2] = [
    ("aws_vpc_security_group_egress_rule", true),
    ("aws_vpc_security_group_ingress_rule", false),
];

/// The older resource type, of either direction (`type`) and of one rule
/// per peer it lists (`cidr_blocks`, `ipv6_cidr_blocks`, `prefix_list_ids`).
const LEGACY: &str = "aws_security_group_rule";

/// What a folder's rule resources create.
#[derive(Debug, Default)]
pub struct Resources {
    /// Per group (by id, in order), only the rules the resources give it.
    pub groups: Vec<SecurityGroup>,
    /// How many rules were read.
    pub rules: usize,
    /// The files that held them, in name order.
    pub files: Vec<PathBuf>,
    /// Each resource or file that could not be read, and why.
    pub warnings: Vec<String>,
}

/// The rule resources of every `*.tf` file in `dir` (none: an empty set).
pub fn load_folder(dir: &Path) -> Result<Resources> {
    let (texts, warnings) = folder_texts(dir)?;
    let mut out = from_texts(&texts);
    out.warnings.splice(0..0, warnings);
    Ok(out)
}

/// A `.tf` file's path and its text.
pub type TfText = (PathBuf, String);

/// Every `*.tf` file in `dir` with its text, in name order, and a warning
/// for each file Terraform reads that is not read here (its JSON syntax, a
/// file that cannot be read).
pub fn folder_texts(dir: &Path) -> Result<(Vec<TfText>, Vec<String>)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list the proposal's folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut warnings = Vec::new();
    // Terraform reads its JSON syntax too; sgpair does not.
    for p in paths
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".tf.json"))
    {
        warnings.push(format!(
            "{}: Terraform's JSON syntax is not read: the rules it creates, if any, are not in the after state",
            p.display()
        ));
    }
    paths.retain(|p| p.extension().is_some_and(|x| x == "tf"));
    let mut texts = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(t) => texts.push((path, t)),
            Err(e) => warnings.push(format!(
                "{}: not read ({e}): the rules it creates, if any, are not in the after state",
                path.display()
            )),
        }
    }
    Ok((texts, warnings))
}

/// The rule resources of `files` (each a `.tf` file's path and text): the
/// files a folder will hold, some of them not written yet.
pub fn from_texts(files: &[TfText]) -> Resources {
    let mut groups: BTreeMap<String, SecurityGroup> = BTreeMap::new();
    let mut out = Resources::default();
    for (path, text) in files {
        read_file(path.clone(), text, &mut groups, &mut out);
    }
    out.groups = groups.into_values().collect();
    out
}

/// The rule resources of one file's text, added to `groups`; `path` names
/// it in warnings, and is listed in `out.files` when it holds a rule.
fn read_file(
    path: PathBuf,
    text: &str,
    groups: &mut BTreeMap<String, SecurityGroup>,
    out: &mut Resources,
) {
    let before = out.rules;
    read_rules(&path, text, groups, out);
    if out.rules > before {
        out.files.push(path);
    }
}

fn read_rules(
    path: &Path,
    text: &str,
    groups: &mut BTreeMap<String, SecurityGroup>,
    out: &mut Resources,
) {
    let body = match hcl::parse(text) {
        Ok(b) => b,
        Err(e) => {
            out.warnings.push(format!(
                "{}: not read as HCL ({}): the rules it creates, if any, are not in the after state",
                path.display(),
                e.to_string().lines().next().unwrap_or_default()
            ));
            return;
        }
    };
    for block in body.blocks() {
        let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
        let (true, [kind, name]) = (block.identifier() == "resource", labels.as_slice()) else {
            continue;
        };
        let one = TYPES.iter().find(|(t, _)| t == kind).map(|(_, e)| *e);
        if one.is_none() && *kind != LEGACY {
            continue;
        }
        let attrs = Attrs(
            block
                .body()
                .attributes()
                .map(|a| (a.key(), a.expr()))
                .collect(),
        );
        let made = match one {
            Some(egress) => rule(&attrs).map(|(group, r)| (group, egress, vec![r])),
            None => legacy_rules(&attrs),
        };
        match made {
            Ok((group, egress, rules)) => {
                let g = groups
                    .entry(group.clone())
                    .or_insert_with(|| SecurityGroup::new(&group, ""));
                out.rules += rules.len();
                if egress {
                    g.egress.extend(rules);
                } else {
                    g.ingress.extend(rules);
                }
            }
            Err(why) => out.warnings.push(format!(
                "{}: {kind}.{name} is not read ({why}): its rule is left out of the after state, so traffic only it allows shows as blocked",
                path.display()
            )),
        }
    }
}

/// A resource's attributes, each read as a value written out; why not, in
/// words.
struct Attrs<'b>(BTreeMap<&'b str, &'b Expression>);

type Read<T> = std::result::Result<T, String>;

impl Attrs<'_> {
    /// Refuses a resource of several instances: Terraform makes them.
    fn single(&self) -> Read<()> {
        match ["count", "for_each"]
            .iter()
            .find(|m| self.0.contains_key(*m))
        {
            Some(meta) => Err(format!(
                "`{meta}` makes its rules as Terraform evaluates it"
            )),
            None => Ok(()),
        }
    }

    fn text(&self, k: &str) -> Read<Option<String>> {
        match self.0.get(k) {
            None => Ok(None),
            Some(e) => literal(e)
                .map(Some)
                .ok_or_else(|| format!("`{k}` is not a value written out")),
        }
    }

    fn port(&self, k: &str) -> Read<Option<i32>> {
        match self.text(k)? {
            None => Ok(None),
            Some(s) => s
                .parse::<i32>()
                .ok()
                .filter(|p| (-1..=65_535).contains(p))
                .map(Some)
                .ok_or_else(|| format!("`{k}` = {s:?} is not a port")),
        }
    }

    /// A list of values written out; none when the attribute is absent.
    fn list(&self, k: &str) -> Read<Vec<String>> {
        match self.0.get(k) {
            None => Ok(Vec::new()),
            Some(Expression::Array(items)) => items
                .iter()
                .map(literal)
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| format!("`{k}` is not a list of values written out")),
            Some(_) => Err(format!("`{k}` is not a list of values written out")),
        }
    }

    /// The protocol attribute `k` and its number (`None`: every protocol).
    fn protocol(&self, k: &str) -> Read<(String, Option<u8>)> {
        let protocol = self.text(k)?.ok_or_else(|| format!("it has no `{k}`"))?;
        let number = protocol_number(&protocol);
        if number.is_none() && !(protocol == "-1" || protocol.eq_ignore_ascii_case("all")) {
            return Err(format!("`{k}` = {protocol:?} is not a protocol"));
        }
        Ok((protocol, number))
    }

    fn description(&self) -> String {
        self.text("description").ok().flatten().unwrap_or_default()
    }
}

/// The group and rule one resource's attributes create; why not, in words.
fn rule(attrs: &Attrs<'_>) -> Read<(String, SgRule)> {
    attrs.single()?;
    let text = |k: &str| attrs.text(k);
    let port = |k: &str| attrs.port(k);
    let group = text("security_group_id")?.ok_or("it has no `security_group_id`")?;
    let (protocol, number) = attrs.protocol("ip_protocol")?;
    let (from_port, to_port) = (port("from_port")?, port("to_port")?);
    if matches!(number, Some(TCP | UDP))
        && !matches!((from_port, to_port), (Some(f), Some(t)) if f <= t)
    {
        return Err("a TCP or UDP rule needs `from_port` <= `to_port`".into());
    }
    let cidr = match (text("cidr_ipv4")?, text("cidr_ipv6")?) {
        (Some(c), None) | (None, Some(c)) => Some(c.parse::<Cidr>()?),
        (Some(_), Some(_)) => return Err("it sets both `cidr_ipv4` and `cidr_ipv6`".into()),
        (None, None) => None,
    };
    let prefix_list_id = text("prefix_list_id")?;
    let referenced_group_id = text("referenced_security_group_id")?;
    let peers = usize::from(cidr.is_some())
        + usize::from(prefix_list_id.is_some())
        + usize::from(referenced_group_id.is_some());
    if peers != 1 {
        return Err(format!(
            "it names {peers} peers: one of `cidr_ipv4`, `cidr_ipv6`, `prefix_list_id`, `referenced_security_group_id`"
        ));
    }
    Ok((
        group,
        SgRule {
            rule_id: None,
            protocol,
            from_port,
            to_port,
            cidr,
            referenced_group_id,
            prefix_list_id,
            description: attrs.description(),
        },
    ))
}

/// The group, direction (egress: `true`) and rules an
/// `aws_security_group_rule` creates: one per CIDR and prefix list it
/// lists, or the one of `source_security_group_id` or `self`; why not, in
/// words.
fn legacy_rules(attrs: &Attrs<'_>) -> Read<(String, bool, Vec<SgRule>)> {
    attrs.single()?;
    let text = |k: &str| attrs.text(k);
    let port = |k: &str| attrs.port(k)?.ok_or_else(|| format!("it has no `{k}`"));
    let group = text("security_group_id")?.ok_or("it has no `security_group_id`")?;
    let egress = match text("type")?.as_deref() {
        Some("egress") => true,
        Some("ingress") => false,
        Some(t) => return Err(format!("`type` = {t:?} is neither ingress nor egress")),
        None => return Err("it has no `type`".into()),
    };
    let (protocol, number) = attrs.protocol("protocol")?;
    let every = number.is_none();
    let (from, to) = (port("from_port")?, port("to_port")?);
    if matches!(number, Some(TCP | UDP)) && from > to {
        return Err("a TCP or UDP rule needs `from_port` <= `to_port`".into());
    }
    // Every protocol: the provider asks for ports 0 to 0, and EC2 keeps none.
    let ports = if every {
        (None, None)
    } else {
        (Some(from), Some(to))
    };
    let source = text("source_security_group_id")?;
    let own = match attrs.0.get("self") {
        None => false,
        Some(Expression::Bool(b)) => *b,
        Some(_) => return Err("`self` is not a value written out".into()),
    };
    let cidrs: Vec<Cidr> = attrs
        .list("cidr_blocks")?
        .into_iter()
        .chain(attrs.list("ipv6_cidr_blocks")?)
        .map(|c| c.parse::<Cidr>())
        .collect::<std::result::Result<_, _>>()?;
    let prefix_lists = attrs.list("prefix_list_ids")?;
    let groups: Vec<String> = source
        .into_iter()
        .chain(own.then(|| group.clone()))
        .collect();
    if groups.len() > 1 || (!groups.is_empty() && !cidrs.is_empty()) {
        return Err(
            "it names a group (`source_security_group_id` or `self`) beside another peer".into(),
        );
    }
    let description = attrs.description();
    let make = |cidr, referenced_group_id, prefix_list_id| SgRule {
        rule_id: None,
        protocol: protocol.clone(),
        from_port: ports.0,
        to_port: ports.1,
        cidr,
        referenced_group_id,
        prefix_list_id,
        description: description.clone(),
    };
    let rules: Vec<SgRule> = cidrs
        .into_iter()
        .map(|c| make(Some(c), None, None))
        .chain(groups.into_iter().map(|g| make(None, Some(g), None)))
        .chain(prefix_lists.into_iter().map(|p| make(None, None, Some(p))))
        .collect();
    if rules.is_empty() {
        return Err(
            "it names no peer: `cidr_blocks`, `ipv6_cidr_blocks`, `prefix_list_ids`, `source_security_group_id` or `self`".into(),
        );
    }
    Ok((group, egress, rules))
}

/// A string or number written out (`-1` is a negated number in HCL).
fn literal(e: &Expression) -> Option<String> {
    match e {
        Expression::String(s) => Some(s.clone()),
        Expression::Number(n) => Some(n.to_string()),
        Expression::Parenthesis(e) => literal(e),
        Expression::Operation(op) => match op.as_ref() {
            Operation::Unary(u) if u.operator == UnaryOperator::Neg => {
                literal(&u.expr).map(|v| format!("-{v}"))
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Resources {
        from_texts(&[("dir/egress.tf".into(), text.to_string())])
    }

    /// What `infer --terraform` writes: a prefix list and the internet on
    /// one port each, and an ICMP rule and an every-protocol one a team added.
    #[test]
    fn written_out_rules_are_read_as_the_rules_they_create() {
        let r = read(
            r#"
# generated
resource "aws_vpc_security_group_egress_rule" "a" {
  security_group_id = "sg-1"
  prefix_list_id    = "pl-1"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "sgpair: a to s3"
}
resource "aws_vpc_security_group_egress_rule" "b" {
  security_group_id = "sg-1"
  cidr_ipv6         = "::/0"
  ip_protocol       = "icmpv6"
  from_port         = -1
  to_port           = -1
}
resource "aws_vpc_security_group_ingress_rule" "c" {
  security_group_id            = "sg-2"
  referenced_security_group_id = "sg-1"
  ip_protocol                  = "-1"
}
resource "aws_security_group" "other" {
  name = "not a rule"
}
"#,
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.rules, 3);
        let ids: Vec<&str> = r.groups.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, ["sg-1", "sg-2"]);
        let (one, two) = (&r.groups[0], &r.groups[1]);
        assert_eq!(one.egress.len(), 2);
        assert!(one.ingress.is_empty());
        let s3 = &one.egress[0];
        assert_eq!(
            (s3.protocol.as_str(), s3.from_port, s3.to_port),
            ("tcp", Some(443), Some(443))
        );
        assert_eq!(s3.prefix_list_id.as_deref(), Some("pl-1"));
        assert_eq!(s3.description, "sgpair: a to s3");
        let icmp = &one.egress[1];
        assert_eq!((icmp.from_port, icmp.to_port), (Some(-1), Some(-1)));
        assert_eq!(icmp.cidr, Some("::/0".parse().unwrap()));
        assert_eq!(two.ingress[0].referenced_group_id.as_deref(), Some("sg-1"));
        assert_eq!(two.ingress[0].protocol, "-1");
    }

    /// A resource whose values Terraform computes, or that makes several
    /// rules, or that is incomplete, is named with why, and left out.
    #[test]
    fn a_resource_that_cannot_be_read_is_named_and_left_out() {
        let r = read(
            r#"
resource "aws_vpc_security_group_egress_rule" "computed" {
  security_group_id = module.sg.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
resource "aws_vpc_security_group_egress_rule" "many" {
  for_each          = toset(["a"])
  security_group_id = "sg-1"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
resource "aws_vpc_security_group_egress_rule" "portless" {
  security_group_id = "sg-1"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
}
resource "aws_vpc_security_group_egress_rule" "two_peers" {
  security_group_id = "sg-1"
  cidr_ipv4         = "0.0.0.0/0"
  prefix_list_id    = "pl-1"
  ip_protocol       = "udp"
  from_port         = 53
  to_port           = 53
}
resource "aws_vpc_security_group_ingress_rule" "bad_block" {
  security_group_id = "sg-1"
  cidr_ipv4         = "10.0.0.0/40"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
}
resource "aws_vpc_security_group_ingress_rule" "bad_protocol" {
  security_group_id = "sg-1"
  cidr_ipv4         = "10.0.0.0/8"
  ip_protocol       = "tcpp"
  from_port         = 22
  to_port           = 22
}
"#,
        );
        assert_eq!(r.rules, 0);
        assert!(r.groups.is_empty());
        let expect = [
            "aws_vpc_security_group_egress_rule.computed is not read (`security_group_id` is not a value written out)",
            "aws_vpc_security_group_egress_rule.many is not read (`for_each` makes its rules as Terraform evaluates it)",
            "aws_vpc_security_group_egress_rule.portless is not read (a TCP or UDP rule needs `from_port` <= `to_port`)",
            "aws_vpc_security_group_egress_rule.two_peers is not read (it names 2 peers",
            "aws_vpc_security_group_ingress_rule.bad_block is not read (\"10.0.0.0/40\" has a bad prefix length)",
            "aws_vpc_security_group_ingress_rule.bad_protocol is not read (`ip_protocol` = \"tcpp\" is not a protocol)",
        ];
        assert_eq!(r.warnings.len(), expect.len(), "{:#?}", r.warnings);
        for (w, e) in r.warnings.iter().zip(expect) {
            assert!(
                w.starts_with("dir/egress.tf: ") && w.contains(e),
                "{w}\nwanted: {e}"
            );
        }
    }

    /// The older `aws_security_group_rule`: one rule per peer it lists,
    /// its direction from `type`, every protocol without ports; what it
    /// cannot say as written out is named and left out.
    #[test]
    fn an_older_rule_resource_is_read_as_one_rule_per_peer() {
        let r = read(
            r#"
resource "aws_security_group_rule" "out" {
  type              = "egress"
  security_group_id = "sg-1"
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = ["10.0.0.0/8", "0.0.0.0/0"]
  ipv6_cidr_blocks  = ["::/0"]
  prefix_list_ids   = ["pl-1"]
}
resource "aws_security_group_rule" "from_web" {
  type                     = "ingress"
  security_group_id        = "sg-2"
  protocol                 = "-1"
  from_port                = 0
  to_port                  = 0
  source_security_group_id = "sg-1"
}
resource "aws_security_group_rule" "itself" {
  type              = "ingress"
  security_group_id = "sg-2"
  protocol          = "udp"
  from_port         = 53
  to_port           = 53
  self              = true
}
resource "aws_security_group_rule" "computed" {
  type              = "egress"
  security_group_id = "sg-1"
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_blocks       = var.admin
}
resource "aws_security_group_rule" "no_type" {
  security_group_id = "sg-1"
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_blocks       = ["10.0.0.0/8"]
}
resource "aws_security_group_rule" "group_and_cidr" {
  type                     = "ingress"
  security_group_id        = "sg-1"
  protocol                 = "tcp"
  from_port                = 22
  to_port                  = 22
  cidr_blocks              = ["10.0.0.0/8"]
  source_security_group_id = "sg-2"
}
resource "aws_security_group_rule" "no_peer" {
  type              = "ingress"
  security_group_id = "sg-1"
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
}
"#,
        );
        assert_eq!(r.rules, 6);
        let (one, two) = (&r.groups[0], &r.groups[1]);
        let peers: Vec<String> = one
            .egress
            .iter()
            .map(|x| {
                assert_eq!(
                    (x.protocol.as_str(), x.from_port, x.to_port),
                    ("tcp", Some(443), Some(443))
                );
                match (&x.cidr, &x.prefix_list_id) {
                    (Some(c), None) => c.to_string(),
                    (None, Some(p)) => p.clone(),
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        assert_eq!(peers, ["10.0.0.0/8", "0.0.0.0/0", "::/0", "pl-1"]);
        assert!(one.ingress.is_empty());
        let all = &two.ingress[0];
        assert_eq!(
            (all.protocol.as_str(), all.from_port, all.to_port),
            ("-1", None, None)
        );
        assert_eq!(all.referenced_group_id.as_deref(), Some("sg-1"));
        assert_eq!(two.ingress[1].referenced_group_id.as_deref(), Some("sg-2"));
        assert_eq!(two.ingress[1].from_port, Some(53));
        let expect = [
            "aws_security_group_rule.computed is not read (`cidr_blocks` is not a list of values written out)",
            "aws_security_group_rule.no_type is not read (it has no `type`)",
            "aws_security_group_rule.group_and_cidr is not read (it names a group (`source_security_group_id` or `self`) beside another peer)",
            "aws_security_group_rule.no_peer is not read (it names no peer",
        ];
        assert_eq!(r.warnings.len(), expect.len(), "{:#?}", r.warnings);
        for (w, e) in r.warnings.iter().zip(expect) {
            assert!(w.contains(e), "{w}\nwanted: {e}");
        }
    }

    #[test]
    fn a_file_that_is_not_hcl_is_named() {
        let r = read("resource \"aws_vpc_security_group_egress_rule\" {\n");
        assert_eq!(r.rules, 0);
        assert_eq!(r.warnings.len(), 1);
        assert!(
            r.warnings[0].starts_with("dir/egress.tf: not read as HCL ("),
            "{}",
            r.warnings[0]
        );
    }

    /// Every `*.tf` file of the folder, in name order; the files without a
    /// rule resource are not listed as holding rules.
    #[test]
    fn a_folder_reads_every_tf_file() {
        let dir = tempfile::tempdir().unwrap();
        let rule = |g: &str| {
            format!(
                "resource \"aws_vpc_security_group_egress_rule\" \"r\" {{\n  security_group_id = \"{g}\"\n  cidr_ipv4 = \"0.0.0.0/0\"\n  ip_protocol = \"tcp\"\n  from_port = 443\n  to_port = 443\n}}\n"
            )
        };
        std::fs::write(dir.path().join("egress.tf"), rule("sg-2")).unwrap();
        std::fs::write(dir.path().join("b-team.tf"), rule("sg-1")).unwrap();
        std::fs::write(
            dir.path().join("main.tf"),
            "module \"m\" {\n  source = \"x\"\n}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), rule("sg-3")).unwrap();
        std::fs::write(dir.path().join("x.tf.json"), "{}").unwrap();
        let r = load_folder(dir.path()).unwrap();
        assert_eq!(r.rules, 2);
        let names: Vec<String> = r
            .files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["b-team.tf", "egress.tf"]);
        let ids: Vec<&str> = r.groups.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, ["sg-1", "sg-2"]);
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(
            r.warnings[0].ends_with("x.tf.json: Terraform's JSON syntax is not read: the rules it creates, if any, are not in the after state"),
            "{}",
            r.warnings[0]
        );
    }
}
