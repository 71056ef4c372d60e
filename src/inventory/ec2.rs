//! The inventory from the live EC2 API: VPCs, subnets, every network
//! interface with all its addresses and groups, security groups and their
//! rules, managed prefix lists, and flow logs.

use std::collections::BTreeMap;
use std::net::IpAddr;

use anyhow::Result;
use aws_config::SdkConfig;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, Tag};

use super::{
    Cidr, FORMAT_VERSION, FlowLog, Inventory, NetworkInterface, Peering, PrefixList, SecurityGroup,
    SgRule, Subnet, TgwAttachment, Vpc,
};
use crate::aws::{call_error, paginate};

/// The IAM actions `fetch` uses, for README and error messages.
pub const IAM_ACTIONS: &[&str] = &[
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeManagedPrefixLists",
    "ec2:GetManagedPrefixListEntries",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeTrunkInterfaceAssociations",
    "ec2:DescribeTransitGatewayVpcAttachments",
];

/// Reads the whole inventory of the configured account and region.
pub async fn fetch(config: &SdkConfig) -> Result<Inventory> {
    let ec2 = Client::new(config);
    let (vpcs, subnets, mut enis, groups, rules, prefix_lists, flow_logs, peerings, tgw) = tokio::try_join!(
        vpcs(&ec2),
        subnets(&ec2),
        interfaces(&ec2),
        security_groups(&ec2),
        security_group_rules(&ec2),
        prefix_lists(&ec2),
        flow_logs(&ec2),
        peerings(&ec2),
        tgw_attachments(&ec2),
    )?;
    // Branch interfaces (security groups for pods, ECS task trunking) are
    // logged under their trunk: only asked for where a trunk exists.
    if enis.iter().any(|e| e.interface_type == "trunk") {
        for (branch, trunk) in trunk_associations(&ec2).await? {
            if let Some(e) = enis.iter_mut().find(|e| e.id == branch) {
                e.trunk_interface_id = Some(trunk);
            }
        }
    }
    // The account: the one owner of every VPC read (none when they differ),
    // else of every group (an account whose VPCs are all shared with it).
    let mut owners: Vec<&str> = vpcs.iter().filter_map(|v| v.owner_id.as_deref()).collect();
    if owners.is_empty() {
        owners = groups
            .iter()
            .filter_map(|g| g.owner_id.as_deref())
            .collect();
    }
    owners.sort();
    owners.dedup();
    let account_id = match owners.as_slice() {
        [one] => Some(one.to_string()),
        _ => None,
    };
    let mut groups = groups;
    for (group_id, egress, rule) in rules {
        if let Some(g) = groups.iter_mut().find(|g| g.id == group_id) {
            if egress {
                g.egress.push(rule)
            } else {
                g.ingress.push(rule)
            }
        }
    }
    let mut inv = Inventory {
        format_version: FORMAT_VERSION,
        account_id,
        region: config.region().map(|r| r.to_string()),
        captured_at: Some(
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        ),
        vpcs,
        subnets,
        network_interfaces: enis,
        security_groups: groups,
        prefix_lists,
        flow_logs,
        peerings,
        transit_gateway_attachments: tgw,
        accounts: Vec::new(),
    };
    inv.sort();
    // The same ranges as a file: EC2 enforces them, and a value outside
    // them is named here rather than met by a later stage.
    inv.check()
        .map_err(|e| anyhow::anyhow!("EC2's answer does not hold together: {e:#}"))?;
    Ok(inv)
}

fn tags(t: &[Tag]) -> BTreeMap<String, String> {
    t.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

fn cidrs<'a>(it: impl IntoIterator<Item = Option<&'a str>>) -> Vec<Cidr> {
    let mut out: Vec<Cidr> = it
        .into_iter()
        .flatten()
        .filter_map(|c| c.parse().ok())
        .collect();
    out.sort();
    out.dedup();
    out
}

async fn vpcs(ec2: &Client) -> Result<Vec<Vpc>> {
    paginate("DescribeVpcs", |token| async move {
        let out = ec2
            .describe_vpcs()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| call_error("ec2:DescribeVpcs", "ec2:DescribeVpcs", e))?;
        let items = out
            .vpcs()
            .iter()
            .map(|v| Vpc {
                id: v.vpc_id().unwrap_or_default().to_string(),
                owner_id: v.owner_id().map(String::from),
                cidrs: cidrs(
                    std::iter::once(v.cidr_block())
                        .chain(
                            v.cidr_block_association_set()
                                .iter()
                                .map(|a| a.cidr_block()),
                        )
                        .chain(
                            v.ipv6_cidr_block_association_set()
                                .iter()
                                .map(|a| a.ipv6_cidr_block()),
                        ),
                ),
            })
            .collect();
        Ok((items, out.next_token().map(String::from)))
    })
    .await
}

async fn subnets(ec2: &Client) -> Result<Vec<Subnet>> {
    paginate("DescribeSubnets", |token| async move {
        let out = ec2
            .describe_subnets()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| call_error("ec2:DescribeSubnets", "ec2:DescribeSubnets", e))?;
        let items = out
            .subnets()
            .iter()
            .map(|s| Subnet {
                id: s.subnet_id().unwrap_or_default().to_string(),
                vpc_id: s.vpc_id().unwrap_or_default().to_string(),
                cidrs: cidrs(
                    std::iter::once(s.cidr_block()).chain(
                        s.ipv6_cidr_block_association_set()
                            .iter()
                            .map(|a| a.ipv6_cidr_block()),
                    ),
                ),
            })
            .collect();
        Ok((items, out.next_token().map(String::from)))
    })
    .await
}

async fn interfaces(ec2: &Client) -> Result<Vec<NetworkInterface>> {
    paginate("DescribeNetworkInterfaces", |token| async move {
        let out = ec2
            .describe_network_interfaces()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                call_error(
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeNetworkInterfaces",
                    e,
                )
            })?;
        let items = out
            .network_interfaces()
            .iter()
            .map(|n| {
                let mut addresses: Vec<IpAddr> = std::iter::once(n.private_ip_address())
                    .chain(
                        n.private_ip_addresses()
                            .iter()
                            .map(|a| a.private_ip_address()),
                    )
                    .chain(n.ipv6_addresses().iter().map(|a| a.ipv6_address()))
                    .flatten()
                    .filter_map(|a| a.parse().ok())
                    .collect();
                addresses.sort();
                addresses.dedup();
                let mut groups: Vec<String> = n
                    .groups()
                    .iter()
                    .filter_map(|g| g.group_id().map(String::from))
                    .collect();
                groups.sort();
                NetworkInterface {
                    id: n.network_interface_id().unwrap_or_default().to_string(),
                    vpc_id: n.vpc_id().map(String::from),
                    subnet_id: n.subnet_id().map(String::from),
                    addresses,
                    prefixes: cidrs(
                        n.ipv4_prefixes()
                            .iter()
                            .map(|p| p.ipv4_prefix())
                            .chain(n.ipv6_prefixes().iter().map(|p| p.ipv6_prefix())),
                    ),
                    trunk_interface_id: None,
                    security_groups: groups,
                    description: n.description().unwrap_or_default().to_string(),
                    interface_type: n
                        .interface_type()
                        .map(|t| t.as_str().to_string())
                        .unwrap_or_else(|| "interface".into()),
                    requester_managed: n.requester_managed().unwrap_or(false),
                    instance_id: n
                        .attachment()
                        .and_then(|a| a.instance_id())
                        .map(String::from),
                    tags: tags(n.tag_set()),
                }
            })
            .collect();
        Ok((items, out.next_token().map(String::from)))
    })
    .await
}

/// Active peering connections (others carry no traffic).
async fn peerings(ec2: &Client) -> Result<Vec<Peering>> {
    paginate("DescribeVpcPeeringConnections", |token| async move {
        let out = ec2
            .describe_vpc_peering_connections()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                call_error(
                    "ec2:DescribeVpcPeeringConnections",
                    "ec2:DescribeVpcPeeringConnections",
                    e,
                )
            })?;
        let items = out
            .vpc_peering_connections()
            .iter()
            .filter(|p| {
                p.status().and_then(|s| s.code())
                    == Some(&aws_sdk_ec2::types::VpcPeeringConnectionStateReasonCode::Active)
            })
            .filter_map(|p| {
                Some(Peering {
                    id: p.vpc_peering_connection_id()?.to_string(),
                    requester_vpc_id: p.requester_vpc_info()?.vpc_id()?.to_string(),
                    accepter_vpc_id: p.accepter_vpc_info()?.vpc_id()?.to_string(),
                })
            })
            .collect();
        Ok((items, out.next_token().map(String::from)))
    })
    .await
}

/// VPC attachments of transit gateways that are available.
async fn tgw_attachments(ec2: &Client) -> Result<Vec<TgwAttachment>> {
    paginate("DescribeTransitGatewayVpcAttachments", |token| async move {
        let out = ec2
            .describe_transit_gateway_vpc_attachments()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                call_error(
                    "ec2:DescribeTransitGatewayVpcAttachments",
                    "ec2:DescribeTransitGatewayVpcAttachments",
                    e,
                )
            })?;
        let items = out
            .transit_gateway_vpc_attachments()
            .iter()
            .filter(|a| {
                a.state() == Some(&aws_sdk_ec2::types::TransitGatewayAttachmentState::Available)
            })
            .filter_map(|a| {
                Some(TgwAttachment {
                    id: a.transit_gateway_attachment_id()?.to_string(),
                    transit_gateway_id: a.transit_gateway_id()?.to_string(),
                    vpc_id: a.vpc_id()?.to_string(),
                })
            })
            .collect();
        Ok((items, out.next_token().map(String::from)))
    })
    .await
}

/// (branch interface, trunk interface)
async fn trunk_associations(ec2: &Client) -> Result<Vec<(String, String)>> {
    paginate("DescribeTrunkInterfaceAssociations", |token| async move {
        let out = ec2
            .describe_trunk_interface_associations()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                call_error(
                    "ec2:DescribeTrunkInterfaceAssociations",
                    "ec2:DescribeTrunkInterfaceAssociations",
                    e,
                )
            })?;
        let items = out
            .interface_associations()
            .iter()
            .filter_map(|a| {
                Some((
                    a.branch_interface_id()?.to_string(),
                    a.trunk_interface_id()?.to_string(),
                ))
            })
            .collect();
        Ok((items, out.next_token().map(String::from)))
    })
    .await
}

async fn security_groups(ec2: &Client) -> Result<Vec<SecurityGroup>> {
    paginate("DescribeSecurityGroups", |token| async move {
        let out = ec2
            .describe_security_groups()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                call_error(
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSecurityGroups",
                    e,
                )
            })?;
        let items = out
            .security_groups()
            .iter()
            .map(|g| SecurityGroup {
                id: g.group_id().unwrap_or_default().to_string(),
                name: g.group_name().unwrap_or_default().to_string(),
                owner_id: g.owner_id().map(String::from),
                vpc_id: g.vpc_id().map(String::from),
                description: g.description().unwrap_or_default().to_string(),
                tags: tags(g.tags()),
                ingress: Vec::new(),
                egress: Vec::new(),
            })
            .collect();
        Ok((items, out.next_token().map(String::from)))
    })
    .await
}

/// (group id, is egress, rule)
async fn security_group_rules(ec2: &Client) -> Result<Vec<(String, bool, SgRule)>> {
    paginate("DescribeSecurityGroupRules", |token| async move {
        let out = ec2
            .describe_security_group_rules()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                call_error(
                    "ec2:DescribeSecurityGroupRules",
                    "ec2:DescribeSecurityGroupRules",
                    e,
                )
            })?;
        let items = out
            .security_group_rules()
            .iter()
            .map(|r| {
                let all = r.ip_protocol() == Some("-1");
                let port = |p: Option<i32>| if all { None } else { p };
                (
                    r.group_id().unwrap_or_default().to_string(),
                    r.is_egress().unwrap_or(false),
                    SgRule {
                        rule_id: r.security_group_rule_id().map(String::from),
                        protocol: r.ip_protocol().unwrap_or("-1").to_string(),
                        from_port: port(r.from_port()),
                        to_port: port(r.to_port()),
                        cidr: r.cidr_ipv4().or(r.cidr_ipv6()).and_then(|c| c.parse().ok()),
                        referenced_group_id: r
                            .referenced_group_info()
                            .and_then(|g| g.group_id())
                            .map(String::from),
                        prefix_list_id: r.prefix_list_id().map(String::from),
                        description: r.description().unwrap_or_default().to_string(),
                    },
                )
            })
            .collect();
        Ok((items, out.next_token().map(String::from)))
    })
    .await
}

async fn prefix_lists(ec2: &Client) -> Result<Vec<PrefixList>> {
    let lists = paginate("DescribeManagedPrefixLists", |token| async move {
        let out = ec2
            .describe_managed_prefix_lists()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                call_error(
                    "ec2:DescribeManagedPrefixLists",
                    "ec2:DescribeManagedPrefixLists",
                    e,
                )
            })?;
        let items: Vec<(String, String)> = out
            .prefix_lists()
            .iter()
            .filter_map(|p| {
                Some((
                    p.prefix_list_id()?.to_string(),
                    p.prefix_list_name().unwrap_or_default().to_string(),
                ))
            })
            .collect();
        Ok((items, out.next_token().map(String::from)))
    })
    .await?;
    let mut out = Vec::new();
    for (id, name) in lists {
        let id_ref = &id;
        let entries = paginate("GetManagedPrefixListEntries", |token| async move {
            let page = ec2
                .get_managed_prefix_list_entries()
                .prefix_list_id(id_ref)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| {
                    call_error(
                        "ec2:GetManagedPrefixListEntries",
                        "ec2:GetManagedPrefixListEntries",
                        e,
                    )
                })?;
            let items: Vec<Option<String>> = page
                .entries()
                .iter()
                .map(|e| e.cidr().map(String::from))
                .collect();
            Ok((items, page.next_token().map(String::from)))
        })
        .await?;
        out.push(PrefixList {
            cidrs: cidrs(entries.iter().map(|c| c.as_deref())),
            id,
            name,
        });
    }
    Ok(out)
}

async fn flow_logs(ec2: &Client) -> Result<Vec<FlowLog>> {
    paginate("DescribeFlowLogs", |token| async move {
        let out = ec2
            .describe_flow_logs()
            .set_next_token(token)
            .set_filter(None::<Vec<Filter>>)
            .send()
            .await
            .map_err(|e| call_error("ec2:DescribeFlowLogs", "ec2:DescribeFlowLogs", e))?;
        let items = out
            .flow_logs()
            .iter()
            .map(|f| FlowLog {
                id: f.flow_log_id().unwrap_or_default().to_string(),
                resource_id: f.resource_id().unwrap_or_default().to_string(),
                log_format: f.log_format().map(String::from),
                log_group: f.log_group_name().map(String::from),
                destination: f.log_destination().map(String::from),
                traffic_type: f.traffic_type().map(|t| t.as_str().to_string()),
            })
            .collect();
        Ok((items, out.next_token().map(String::from)))
    })
    .await
}
