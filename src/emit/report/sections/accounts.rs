//! An estate's accounts: which the inventory covers and what their records
//! held, which rules each applies (its own `rules.auto.tfvars` under
//! `--out-dir`), the rules across two accounts with the half each applies,
//! and the records of accounts without an inventory, never resolved.

use crate::analysis::Analysis;
use crate::emit::report::document::{Block, Markup, Row, Section, para, table};
use crate::emit::report::sections::{group_label, key_cell};
use crate::inventory::UNKNOWN_ACCOUNT;
use crate::present::{count, names, service};

/// The section, where there is something to say: several accounts covered,
/// records of an account the inventory does not cover, or a rule across
/// two accounts. `None` for one account.
pub(super) fn accounts(a: &Analysis, m: &dyn Markup) -> Option<Section> {
    let inv = &a.inventory;
    let seen = &a.attribution.accounts;
    let across = &a.proposal.cross_account;
    if inv.covered_accounts().len() < 2 && seen.is_empty() && across.is_empty() {
        return None;
    }
    let keys = names::rule_keys(&a.proposal.rules, inv);
    // Per account: its rules with their keys.
    let rules = names::rules_by_account(&a.proposal.rules, inv, &[]);
    let mut accounts: Vec<&str> = inv.covered_accounts();
    accounts.extend(seen.iter().map(|s| s.account.as_str()));
    accounts.extend(rules.keys().copied());
    for x in across {
        accounts.extend([x.source_account.as_str(), x.target_account.as_str()]);
    }
    accounts.sort();
    accounts.dedup();
    let covered = inv.covered_accounts();
    let rows: Vec<Row> = accounts
        .iter()
        .map(|acct| {
            let records = seen
                .iter()
                .find(|s| s.account == *acct)
                .map_or(0, |s| s.records);
            let halves = across
                .iter()
                .filter(|x| x.source_account == *acct || x.target_account == *acct)
                .count();
            let inventory = if covered.contains(acct) || *acct == UNKNOWN_ACCOUNT {
                "yes"
            } else {
                "none: records not resolved"
            };
            Row::plain(vec![
                m.code(acct),
                inventory.to_string(),
                records.to_string(),
                rules.get(acct).map_or(0, Vec::len).to_string(),
                halves.to_string(),
            ])
        })
        .collect();
    let uncovered: Vec<String> = seen
        .iter()
        .filter(|s| !s.covered)
        .map(|s| format!("{} ({})", m.code(&s.account), count(s.records, "record")))
        .collect();
    let mut blocks = vec![
        para(format!(
            "The inventory covers {}. The module applies with one provider, so each account applies the rules between its own groups: {} writes each account's {} into a folder of its own.",
            count(covered.len() as u64, "account"),
            m.code("--out-dir DIR"),
            m.code("DIR/<account>/rules.auto.tfvars"),
        )),
        table(
            "accounts",
            &[
                "=Account",
                "Inventory",
                ">Records",
                ">Rules",
                ">Rules across accounts",
            ],
            rows,
        ),
    ];
    if !uncovered.is_empty() {
        blocks.push(para(format!(
            "Records of accounts without an inventory are counted, never resolved against another account's interfaces: {}. Give their snapshots ({} once per account) or read them live ({} with {}).",
            uncovered.join(", "),
            m.code("--inventory FILE"),
            m.code("--account ID"),
            m.code("--role-arn 'arn:aws:iam::{account}:role/NAME'"),
        )));
    }
    for (acct, ix) in &rules {
        let rows: Vec<Row> = ix
            .iter()
            .map(|i| {
                let r = &a.proposal.rules[*i];
                Row::plain(vec![
                    key_cell(m, &keys[*i]),
                    group_label(m, inv, &r.source_sg),
                    group_label(m, inv, &r.target_sg),
                    m.text(&service::of_rule(r)),
                ])
            })
            .collect();
        // Account ids are digits; anything else the records named is kept
        // out of the heading and the HTML id (it is in the table, escaped).
        let safe: String = acct
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        blocks.push(Block::Sub(Section::new(
            format!("account-{safe}"),
            format!("Account {safe}"),
            vec![table(
                "account-rules",
                &["Key", "Source group", "Target group", "=Service"],
                rows,
            )],
        )));
    }
    if !across.is_empty() {
        let rows: Vec<Row> = across
            .iter()
            .map(|x| {
                let r = &x.rule;
                Row::plain(vec![
                    group_label(m, inv, &r.source_sg),
                    group_label(m, inv, &r.target_sg),
                    m.text(&service::of_rule(r)),
                    format!(
                        "{}: egress on {} to {}",
                        m.code(&x.source_account),
                        m.text(&r.source_sg),
                        m.text(&format!("{}/{}", x.target_account, r.target_sg))
                    ),
                    format!(
                        "{}: ingress on {} from {}",
                        m.code(&x.target_account),
                        m.text(&r.target_sg),
                        m.text(&format!("{}/{}", x.source_account, r.source_sg))
                    ),
                    r.evidence.connections.to_string(),
                ])
            })
            .collect();
        blocks.push(Block::Sub(Section::new(
            "across-accounts",
            "Rules across accounts",
            vec![
                para(
                    "These connections join groups of two accounts (a VPC peering in one region, or a shared VPC). They are in no account's file: each account adds its half, referencing the other's group as account/group-id.",
                ),
                table(
                    "across-accounts",
                    &[
                        "Source group",
                        "Target group",
                        "=Service",
                        "Egress half, applied by",
                        "Ingress half, applied by",
                        ">Connections",
                    ],
                    rows,
                ),
            ],
        )));
    }
    Some(Section::new("accounts", "Accounts", blocks))
}
