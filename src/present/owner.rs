//! Who manages a security group, as far as its tags tell: the owner a
//! change is grouped under, and the tool whose next apply may undo rules
//! added outside it.
//!
//! sgpair sees the groups through EC2, never the code that made them, so
//! it can only read the tags: CloudFormation tags every resource of a
//! stack (`aws:cloudformation:stack-name`); Terraform tags nothing by
//! itself, and teams tag by convention (`ManagedBy = terraform`, a
//! `repository` or `stack` tag). A group without such tags has an unknown
//! owner, and whether a Terraform resource declares its rules inline
//! (`ingress`/`egress` blocks) cannot be seen at all: the report warns in
//! general and names the groups whose tags point at a tool.

use crate::inventory::SecurityGroup;

/// The tag CloudFormation puts on every resource of a stack.
pub const CLOUDFORMATION_STACK: &str = "aws:cloudformation:stack-name";

/// Tag keys (compared without case, `-` and `_`) that name where a group
/// is defined, in the order they are tried.
const OWNER_KEYS: &[&str] = &[
    "repository",
    "repo",
    "gitrepo",
    "gitrepository",
    "sourcerepo",
    "stack",
    "stackname",
    "terraformstack",
    "terraformworkspace",
    "project",
];

/// Tag keys (compared like [`OWNER_KEYS`]) whose value names the managing tool.
const MANAGER_KEYS: &[&str] = &["managedby", "manager", "provisioner", "createdby", "iac"];

/// The tool a group's tags say manages it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    CloudFormation,
    Terraform,
    /// No tag names a tool.
    Unknown,
}

/// A group's owner as its tags tell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Owner {
    /// `CloudFormation stack web-prod`, `repository acme/net`; `None` when
    /// no tag names one.
    pub label: Option<String>,
    pub tool: Tool,
}

fn folded(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '-' && *c != '_' && *c != ' ')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The owner of a group from its tags.
pub fn of_group(g: &SecurityGroup) -> Owner {
    if let Some(stack) = g.tags.get(CLOUDFORMATION_STACK).filter(|s| !s.is_empty()) {
        return Owner {
            label: Some(format!("CloudFormation stack {stack}")),
            tool: Tool::CloudFormation,
        };
    }
    let mut label = None;
    for want in OWNER_KEYS {
        if let Some((k, v)) = g
            .tags
            .iter()
            .find(|(k, v)| folded(k) == *want && !v.is_empty())
        {
            label = Some(format!("{k} {v}"));
            break;
        }
    }
    let terraform = g.tags.iter().any(|(k, v)| {
        let k = folded(k);
        k.starts_with("terraform")
            || (MANAGER_KEYS.contains(&k.as_str()) && v.to_ascii_lowercase().contains("terraform"))
    });
    Owner {
        label,
        tool: if terraform {
            Tool::Terraform
        } else {
            Tool::Unknown
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(tags: &[(&str, &str)]) -> SecurityGroup {
        let mut g = SecurityGroup::new("sg-1", "web");
        g.tags = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        g
    }

    #[test]
    fn a_cloudformation_stack_is_the_owner() {
        let o = of_group(&group(&[(CLOUDFORMATION_STACK, "web-prod"), ("repo", "x")]));
        assert_eq!(o.label.as_deref(), Some("CloudFormation stack web-prod"));
        assert_eq!(o.tool, Tool::CloudFormation);
    }

    #[test]
    fn a_repository_tag_and_a_managed_by_tag_name_a_terraform_owner() {
        let o = of_group(&group(&[
            ("ManagedBy", "Terraform"),
            ("git_repo", "acme/net"),
        ]));
        assert_eq!(o.label.as_deref(), Some("git_repo acme/net"));
        assert_eq!(o.tool, Tool::Terraform);
        let o = of_group(&group(&[("terraform", "true")]));
        assert_eq!((o.label, o.tool), (None, Tool::Terraform));
    }

    #[test]
    fn no_tags_is_an_unknown_owner() {
        let o = of_group(&group(&[("Name", "web"), ("ManagedBy", "console")]));
        assert_eq!((o.label, o.tool), (None, Tool::Unknown));
    }
}
