//! With `--terraform`: what the folder holds and how to roll it out. The
//! change per owner (as the groups' tags tell), the rules adopted instead
//! of duplicated, the groups another tool manages, the egress rules the
//! module cannot express, and the sequence from the first apply to closed
//! egress.

use std::collections::{BTreeMap, BTreeSet};

use crate::analysis::Analysis;
use crate::emit::report::document::{Block, Markup, Row, Section, para, table};
use crate::emit::report::sections::{group_label, key_cell};
use crate::emit::terraform::{Destination, Folder, Half, Written, destinations, service};
use crate::inventory::Inventory;
use crate::present::owner::{self, Tool};
use crate::window::{day, end_day};

/// The section, or none when the run wrote no folder.
pub(crate) fn terraform(a: &Analysis, folders: &[Written], m: &dyn Markup) -> Option<Section> {
    if folders.is_empty() {
        return None;
    }
    let inv = &a.inventory;
    let mut blocks = vec![files(folders, m)];
    blocks.push(Block::Sub(per_owner(inv, folders, m)));
    blocks.push(Block::Sub(imports(inv, folders, m)));
    blocks.push(Block::Sub(managed_elsewhere(inv, folders, m)));
    blocks.push(Block::Sub(egress(inv, folders, m)));
    blocks.push(Block::Sub(roll_out(folders, m)));
    Some(Section::new("terraform", "The Terraform folder", blocks))
}

fn files(folders: &[Written], m: &dyn Markup) -> Block {
    let items = folders
        .iter()
        .map(|w| {
            let mut s = format!("{}: ", m.code_text(&w.dir));
            let written: Vec<String> = w
                .folder
                .files
                .iter()
                .filter(|f| !w.kept.contains(&f.name))
                .map(|f| m.code(f.name))
                .collect();
            s.push_str(&format!("written {}", written.join(", ")));
            if !w.kept.is_empty() {
                let kept: Vec<String> = w.kept.iter().map(|f| m.code(f)).collect();
                s.push_str(&format!("; kept as they were (yours): {}", kept.join(", ")));
            }
            s
        })
        .collect();
    Block::List(items)
}

/// The groups the folder changes: each proposed entry's two halves, the
/// adopted rules and the egress.tf rules, per owner.
fn per_owner(inv: &Inventory, folders: &[Written], m: &dyn Markup) -> Section {
    #[derive(Default)]
    struct Change {
        added: usize,
        adopted: usize,
        egress: usize,
    }
    let mut by_group: BTreeMap<&str, Change> = BTreeMap::new();
    for w in folders {
        let f = &w.folder;
        let adopted: BTreeSet<(&str, Half, &str)> = f
            .plan
            .importable()
            .map(|i| (i.group.as_str(), i.half, i.key.as_str()))
            .collect();
        for i in f.plan.importable() {
            by_group.entry(&i.group).or_default().adopted += 1;
        }
        for e in &f.plan.egress {
            if !adopted.contains(&(e.group.as_str(), Half::Egress, e.name.as_str())) {
                by_group.entry(&e.group).or_default().egress += 1;
            }
        }
        // New module rules: the halves that are not adopted.
        for (group, half, key) in module_halves(f) {
            if !adopted.contains(&(group, half, key.as_str())) {
                by_group.entry(group).or_default().added += 1;
            }
        }
    }
    if by_group.is_empty() {
        return Section::new(
            "terraform-owners",
            "The change per owner",
            vec![para("The folder changes no group.")],
        );
    }
    let mut rows: Vec<(String, Row)> = by_group
        .into_iter()
        .map(|(g, c)| {
            let o = inv.group(g).map(owner::of_group);
            let label = o
                .and_then(|o| o.label)
                .map_or_else(|| "unknown (no owner tag)".to_string(), |l| m.text(&l));
            let row = Row::plain(vec![
                label.clone(),
                group_label(m, inv, g),
                c.added.to_string(),
                c.adopted.to_string(),
                c.egress.to_string(),
            ]);
            (label, row)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Section::new(
        "terraform-owners",
        "The change per owner",
        vec![
            para(
                "Per group, under its owner where its tags name one (a CloudFormation stack, or a repository, stack or project tag): the module rules it gains, the existing rules the folder adopts (imports.tf) and the egress.tf rules it gains. Each owner reviews its groups' lines.",
            ),
            table(
                "terraform-owners",
                &[
                    "Owner",
                    "Group",
                    ">Rules added",
                    ">Rules adopted",
                    ">Egress rules added",
                ],
                rows.into_iter().map(|(_, r)| r).collect(),
            ),
        ],
    )
}

/// Every half of every module entry of a folder: (group, half, key).
fn module_halves(f: &Folder) -> Vec<(&str, Half, String)> {
    let mut out = Vec::new();
    for (rule, key) in f.rules.iter().zip(&f.keys) {
        out.push((rule.target_sg.as_str(), Half::Ingress, key.clone()));
        out.push((rule.source_sg.as_str(), Half::Egress, key.clone()));
    }
    out
}

fn imports(inv: &Inventory, folders: &[Written], m: &dyn Markup) -> Section {
    const H: &str = "Rules that exist already (imports.tf)";
    let mut rows = Vec::new();
    let mut without_id = Vec::new();
    for w in folders {
        for i in &w.folder.plan.imports {
            let peer = if i.in_module {
                group_label(m, inv, &i.peer)
            } else {
                m.text(&i.peer)
            };
            let what = match i.half {
                Half::Ingress => format!("ingress from {peer}"),
                Half::Egress => format!("egress to {peer}"),
            };
            match &i.rule_id {
                Some(id) => rows.push(Row::plain(vec![
                    group_label(m, inv, &i.group),
                    what,
                    m.text(&i.service),
                    m.code_text(id),
                    key_cell(m, &i.key),
                ])),
                None => without_id.push(format!(
                    "{}: {what}, {}",
                    group_label(m, inv, &i.group),
                    m.text(&i.service)
                )),
            }
        }
    }
    let mut blocks = Vec::new();
    if rows.is_empty() && without_id.is_empty() {
        blocks.push(para(
            "None of the proposed rules exists yet, on either side: imports.tf holds no import block.",
        ));
    }
    blocks.extend(stale(folders, "imports.tf", "this run has nothing to import, so its import blocks may address keys rules.auto.tfvars no longer holds (terraform plan then fails). Check it, or move it aside to get sgpair's", m));
    if !rows.is_empty() {
        blocks.push(para(
            "These halves exist exactly (group, peer, protocol, ports). The folder's import blocks adopt them, so the apply does not fail with InvalidPermission.Duplicate; their descriptions and tags become the module's. Adopting a rule makes this folder its manager: if another tool created it, remove it from that tool's code or state first (see the next section).",
        ));
        blocks.push(table(
            "terraform-imports",
            &[
                "Group",
                "Existing rule",
                "=Service",
                "=Rule id",
                "Entry or resource",
            ],
            rows,
        ));
    }
    if !without_id.is_empty() {
        blocks.push(para(
            "These halves exist, but the inventory holds no rule id for them (a file without rule_id): the apply will fail on them as duplicates. Take a new snapshot with sgpair inventory (it reads the ids with DescribeSecurityGroupRules) and run again:",
        ));
        blocks.push(Block::List(without_id));
    }
    Section::new("terraform-imports", H, blocks)
}

/// Inline ingress/egress blocks: the warning sgpair can give.
fn managed_elsewhere(inv: &Inventory, folders: &[Written], m: &dyn Markup) -> Section {
    let mut groups: BTreeSet<&str> = BTreeSet::new();
    for w in folders {
        for (g, _, _) in module_halves(&w.folder) {
            groups.insert(g);
        }
        groups.extend(w.folder.plan.egress.iter().map(|e| e.group.as_str()));
    }
    let mut items = Vec::new();
    for g in groups {
        let Some(group) = inv.group(g) else { continue };
        let o = owner::of_group(group);
        let label = o.label.as_deref().map(|l| m.text(l));
        match o.tool {
            Tool::CloudFormation => items.push(format!(
                "{}: managed by {}. If its template declares SecurityGroupIngress or SecurityGroupEgress on the group itself, the stack may remove rules added outside it on its next update: move those rules to separate AWS::EC2::SecurityGroupIngress/Egress resources first, or add the rules to the template instead of this folder.",
                group_label(m, inv, g),
                label.unwrap_or_default()
            )),
            Tool::Terraform => items.push(format!(
                "{}: its tags say Terraform manages it{}. If its aws_security_group resource has inline ingress or egress blocks, that configuration's next apply deletes every rule this folder adds: its owner must first move the inline blocks to aws_vpc_security_group_ingress_rule/egress_rule resources (or set ingress = [] and egress = [] only after the rules moved), then apply this folder.",
                group_label(m, inv, g),
                label.map_or(String::new(), |l| format!(" ({l})"))
            )),
            Tool::Unknown => {}
        }
    }
    let mut blocks = vec![para(
        "sgpair sees the groups through EC2, not the code that made them, so it cannot tell whether a group is managed with inline ingress/egress blocks in an aws_security_group resource. Such a group's next apply deletes every rule managed elsewhere, this folder's included. Before applying, ask each owner above whether the group's rules are inline; if they are, the owner moves them to separate rule resources (aws_vpc_security_group_ingress_rule and aws_vpc_security_group_egress_rule) first.",
    )];
    if items.is_empty() {
        blocks.push(para(
            "No group this folder changes carries a tag that names CloudFormation or Terraform.",
        ));
    } else {
        blocks.push(para("Groups whose tags name the tool that manages them:"));
        blocks.push(Block::List(items));
    }
    Section::new("terraform-inline", "Groups another tool manages", blocks)
}

fn egress(inv: &Inventory, folders: &[Written], m: &dyn Markup) -> Section {
    const H: &str = "Egress the module cannot express (egress.tf)";
    let mut rows = Vec::new();
    let mut not_written = Vec::new();
    for w in folders {
        for e in &w.folder.plan.egress {
            let dest = match &e.destination {
                Destination::PrefixList { id, name } => {
                    format!("prefix list {} ({})", m.code_text(id), m.text(name))
                }
                Destination::Subnet { cidr, of } => format!("{cidr}, {}", m.text(of)),
                Destination::Internet { cidr } => format!("{cidr}, the internet"),
            };
            let o = &e.observed;
            rows.push(Row::plain(vec![
                group_label(m, inv, &e.group),
                dest,
                m.text(&service(e.proto, e.ports)),
                if o.both_families {
                    format!("{} (IPv4 and IPv6)", o.connections)
                } else {
                    o.connections.to_string()
                },
                format!("{}..{}", day(o.first), end_day(o.last.max(o.first + 1))),
                destinations(o),
            ]));
        }
        for n in &w.folder.plan.not_written {
            not_written.push(format!(
                "{} to {} ({}): {}",
                m.text(&n.interface),
                m.text(&n.destination),
                m.text(&service(
                    n.proto,
                    Some((i32::from(n.port), i32::from(n.port)))
                )),
                m.text(n.reason)
            ));
        }
    }
    let mut blocks = Vec::new();
    if rows.is_empty() {
        blocks.push(para(
            "No egress beyond the group-to-group rules was seen: egress.tf holds no rule, and an apply removes the rules an earlier egress.tf created.",
        ));
    } else {
        blocks.push(para(
            "Open egress carried this traffic; the module writes only group-to-group rules, so egress.tf holds plain egress rules for it, each with its evidence as a comment: a prefix list for gateway endpoints and customer-managed lists, the subnets of destinations without groups, and for the internet one rule per group and port to 0.0.0.0/0 (::/0 where IPv6 was used), never per address: SaaS and CDN addresses rotate, and /32 rules break within days and use up the rules quota. To go further than ports, filter by domain name (an egress proxy, or AWS Network Firewall). Nothing is written for suspicious traffic or the VPC resolver.",
        ));
        blocks.push(table(
            "terraform-egress",
            &[
                "Group",
                "Destination",
                "=Service",
                ">Connections",
                "=Seen",
                "Addresses seen",
            ],
            rows,
        ));
    }
    blocks.push(para(
        "Other traffic no rule covers (peered or on-premises networks, addresses whose owner is not known, paths through a transit gateway, ingress from the internet) is listed under Traffic that cannot be a security-group rule: egress.tf writes nothing for it.",
    ));
    if !not_written.is_empty() {
        blocks.push(para("Egress seen but not written, and why:"));
        blocks.push(Block::List(not_written));
    }
    blocks.extend(stale(folders, "egress.tf", "this run saw no egress beyond group-to-group rules, so its rules may be stale, from an older window. Check it, or move it aside to get sgpair's", m));
    Section::new("terraform-egress", H, blocks)
}

/// A paragraph naming each folder's `name` that was kept as the user's
/// while this run has nothing for it: sgpair leaves a file it did not
/// write alone, so the user is told it may no longer match the proposal.
fn stale(folders: &[Written], name: &str, why: &str, m: &dyn Markup) -> Option<Block> {
    let paths: Vec<String> = folders
        .iter()
        .filter(|w| w.kept.contains(&name) && w.folder.empty(name))
        .map(|w| m.code_text(&format!("{}/{name}", w.dir.trim_end_matches('/'))))
        .collect();
    (!paths.is_empty()).then(|| {
        para(format!(
            "Kept as it was, not written by sgpair: {}: {why}.",
            paths.join(", ")
        ))
    })
}

fn roll_out(folders: &[Written], m: &dyn Markup) -> Section {
    let dirs: Vec<String> = folders.iter().map(|w| m.code_text(&w.dir)).collect();
    let steps = vec![
        format!(
            "Review the folder ({}) with each owner above, then in it: {}, {} (the plan shows the imports as adopted, not created) and {}. The rules are added beside open egress: nothing is blocked yet.",
            dirs.join(", "),
            m.code("terraform init"),
            m.code("terraform plan"),
            m.code("terraform apply")
        ),
        format!(
            "Collect evidence: run {} daily over the new day's logs (it lists every connection that closing open egress or removing a rule would block), or run {} daily with {} so that evidence accumulates, until a group is ready: no connection that only open egress carried over the soak period.",
            m.code("sgpair check"),
            m.code("sgpair infer"),
            m.code("--state")
        ),
        "Remove that group's open egress rule (0.0.0.0/0 and ::/0, all protocols) in the code that owns the group.".to_string(),
        "Repeat group by group; re-run sgpair and apply the folder again as traffic changes (keys are stable: a re-run changes only what changed).".to_string(),
    ];
    let steps = steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| para(format!("{}. {s}", i + 1)))
        .collect();
    Section::new("terraform-roll-out", "How to roll out", steps)
}
