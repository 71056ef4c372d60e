use super::*;
use crate::emit::test_support::{HOSTILE, fixture, in_another_order};
use crate::inventory::SgRule;

#[test]
fn module_names_are_terraform_identifiers() {
    for ok in ["sgpair_rules", "_x", "rules-2"] {
        assert_eq!(check_module_name(ok), Ok(()), "{ok}");
    }
    for bad in ["", "9lives", "a b", "a.b", "a\"b", "ünïcode"] {
        assert!(check_module_name(bad).is_err(), "{bad}");
    }
}

#[test]
fn services_are_said_alike_everywhere() {
    assert_eq!(service(6, Some((443, 443))), "tcp 443");
    assert_eq!(service(17, Some((8125, 8127))), "udp 8125-8127");
    assert_eq!(service(1, Some((8, -1))), "icmp type 8");
    assert_eq!(service(1, Some((-1, -1))), "icmp");
    assert_eq!(service(47, None), "protocol 47");
}

/// The fixture's rules with an exact existing half: web's ingress from alb
/// on the rule's ports, with an id.
fn with_existing_half() -> crate::analysis::Analysis {
    let mut a = fixture();
    let web = crate::emit::test_support::existing_alb_to_web(&mut a, "sgr-0aaa");
    let half = web.ingress.last().expect("the half just added").clone();
    let port = half.to_port.expect("the half has ports");
    // Same peer, another port: another rule, not adopted.
    web.ingress.push(SgRule {
        rule_id: Some("sgr-0bbb".into()),
        from_port: Some(port + 1),
        to_port: Some(port + 1),
        ..half
    });
    a
}

#[test]
fn an_exact_existing_half_is_imported_and_nothing_else() {
    let a = with_existing_half();
    let f = render(&a, "m");
    let imports: Vec<&Import> = f.plan.importable().collect();
    assert_eq!(imports.len(), 1, "{imports:?}");
    assert_eq!(imports[0].rule_id.as_deref(), Some("sgr-0aaa"));
    assert_eq!(imports[0].half, Half::Ingress);
    let text = &f
        .files
        .iter()
        .find(|x| x.name == "imports.tf")
        .unwrap()
        .text;
    assert!(text.contains(&format!(
        "  to = module.m.aws_vpc_security_group_ingress_rule.this[\"{}\"]\n  id = \"sgr-0aaa\"\n",
        imports[0].key
    )));
}

/// Without an existing half, imports.tf is its header alone (and so is
/// egress.tf without egress): written anyway, so that it replaces what an
/// earlier run wrote there.
#[test]
fn without_an_existing_half_imports_tf_is_its_header_alone() {
    let mut a = fixture();
    a.proposal.external.clear();
    let f = render(&a, DEFAULT_MODULE_NAME);
    assert!(f.plan.imports.is_empty() && f.plan.egress.is_empty());
    let names: Vec<&str> = f.files.iter().map(|x| x.name).collect();
    assert_eq!(
        names,
        [
            "rules.auto.tfvars",
            "main.tf",
            "variables.tf",
            "versions.tf",
            "imports.tf",
            "egress.tf"
        ]
    );
    for name in ["imports.tf", "egress.tf"] {
        let file = f.files.iter().find(|x| x.name == name).unwrap();
        assert!(file.empty && f.empty(name), "{name}");
        assert!(file.text.starts_with(GENERATED), "{}", file.text);
        assert!(
            file.text.lines().all(|l| l.starts_with('#')),
            "{}",
            file.text
        );
    }
    assert!(!f.empty("rules.auto.tfvars"));
    let with = render(&with_existing_half(), DEFAULT_MODULE_NAME);
    assert!(!with.empty("imports.tf"));
}

#[test]
fn aws_text_cannot_end_a_comment_or_a_string() {
    let mut a = with_existing_half();
    for g in &mut a.inventory.security_groups {
        g.name = format!("{HOSTILE} {}", g.name);
    }
    let f = render(&a, DEFAULT_MODULE_NAME);
    for file in &f.files {
        for line in file.text.lines() {
            // Every line is a comment, a block line or an attribute: none
            // starts with text from AWS.
            let t = line.trim_start();
            assert!(
                t.is_empty()
                    || t.starts_with('#')
                    || t.starts_with('"')
                    || t.starts_with('}')
                    || t.starts_with(']')
                    || t.split(' ').next().is_some_and(|w| w
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-={(".contains(c))),
                "{}: {line}",
                file.name
            );
            // No live template outside comments: `${` only as `$${`.
            assert!(
                t.starts_with('#') || !line.replace("$${", "").contains("${"),
                "{}: {line}",
                file.name
            );
        }
    }
}

#[test]
fn the_files_do_not_depend_on_the_order_of_the_input() {
    let a = fixture();
    let b = in_another_order(&a);
    let (fa, fb) = (render(&a, "m"), render(&b, "m"));
    let texts = |f: &Folder| -> Vec<(String, String)> {
        f.files
            .iter()
            .map(|x| (x.name.to_string(), x.text.clone()))
            .collect()
    };
    assert_eq!(texts(&fa), texts(&fb));
}

#[test]
fn resource_names_start_with_a_letter() {
    assert_eq!(
        plan::resource_name("web-0a1b-to-internet-ipv4-tcp-443"),
        "web-0a1b-to-internet-ipv4-tcp-443"
    );
    assert_eq!(
        plan::resource_name("00000a01-to-internet-ipv4-tcp-443"),
        "sg-00000a01-to-internet-ipv4-tcp-443"
    );
    assert!(check_module_name(&plan::resource_name("1-web-to-x")).is_ok());
}
