//! What one end of a connection is, once resolved: the model type that
//! aggregate (as a placeholder), resolve (which decides it), synthesize,
//! audit and emit share without importing each other.

use serde::Serialize;

use crate::id::{Groups, Id};

/// What an address is, in the VPC and at the time a record captured it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Endpoint {
    /// Not resolved yet: only between aggregation and resolution.
    Unresolved,
    /// A known interface. `learned` when only the flow logs tied the address to it.
    Eni {
        id: Id,
        groups: Groups,
        learned: bool,
    },
    /// An interface that the logs show but the inventory does not hold:
    /// deleted, newer than the inventory, or of an account or VPC the
    /// inventory does not cover. Its groups are unknown.
    Absent {
        id: Id,
    },
    /// The address passed between interfaces during the connection, or was
    /// held by another interface around its time: its owner then is not
    /// known, and sgpair does not guess.
    Ambiguous {
        vpc: Id,
    },
    /// A known interface whose groups changed during the connection (or
    /// before it, without a record of what they were): which applied is
    /// not known, and sgpair does not guess.
    Regrouped {
        id: Id,
    },
    /// An interface of another VPC reached through a transit gateway: a
    /// group reference works there only for inbound rules, so the module
    /// (which writes both halves) cannot apply the pair. Boxed: rare, and
    /// the largest variant otherwise (every connection holds two ends).
    ThroughTgw(Box<TgwEnd>),
    /// Inside a known VPC, but no interface in the inventory has it (deleted,
    /// or the inventory is older than the logs).
    VpcUnknown {
        vpc: Id,
    },
    /// An AWS service range (prefix list, or `pkt-*-aws-service` in the logs).
    AwsService {
        service: Id,
    },
    /// Private or shared address space outside every known VPC (peering, VPN, on premises).
    Private,
    Internet,
}

/// An interface of another VPC behind a transit gateway.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TgwEnd {
    pub id: Id,
    pub vpc: Id,
    pub groups: Groups,
}

/// How [`Endpoint::label`] ends for an interface the inventory lacks.
pub const NOT_IN_INVENTORY: &str = " (not in the inventory)";

impl Endpoint {
    pub fn label(&self) -> String {
        match self {
            Endpoint::Unresolved => "unresolved".into(),
            Endpoint::Eni { id, .. } => id.to_string(),
            Endpoint::Absent { id } => format!("{id}{NOT_IN_INVENTORY}"),
            Endpoint::Ambiguous { vpc } => {
                format!("address of {vpc} whose owner at the time is not known")
            }
            Endpoint::Regrouped { id } => {
                format!("{id} (its groups at the time are not known)")
            }
            Endpoint::ThroughTgw(t) => {
                format!("{} in {} (through a transit gateway)", t.id, t.vpc)
            }
            Endpoint::VpcUnknown { vpc } => format!("unknown address in {vpc}"),
            Endpoint::AwsService { service } => format!("AWS service {service}"),
            Endpoint::Private => "private network outside the known VPCs".into(),
            Endpoint::Internet => "internet".into(),
        }
    }

    pub fn groups(&self) -> Option<&[Id]> {
        match self {
            Endpoint::Eni { groups, .. } if !groups.is_empty() => Some(groups),
            _ => None,
        }
    }

    /// The interface id, known to the inventory or not.
    pub fn interface(&self) -> Option<&str> {
        match self {
            Endpoint::Eni { id, .. } | Endpoint::Absent { id } | Endpoint::Regrouped { id } => {
                Some(id)
            }
            Endpoint::ThroughTgw(t) => Some(&t.id),
            _ => None,
        }
    }

    /// Whether this end is decided (an owner, or a class of address).
    pub fn is_definite(&self) -> bool {
        !matches!(
            self,
            Endpoint::Unresolved | Endpoint::Ambiguous { .. } | Endpoint::Regrouped { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_end_behind_a_transit_gateway_reads_and_serializes_as_its_fields() {
        let e = Endpoint::ThroughTgw(Box::new(TgwEnd {
            id: "eni-1".into(),
            vpc: "vpc-2".into(),
            groups: vec!["sg-3".to_string()].into(),
        }));
        assert_eq!(e.interface(), Some("eni-1"));
        assert_eq!(e.label(), "eni-1 in vpc-2 (through a transit gateway)");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"kind": "through-tgw", "id": "eni-1", "vpc": "vpc-2", "groups": ["sg-3"]})
        );
    }

    #[test]
    fn an_end_stays_small() {
        // Every connection holds two; the rare large variant is boxed.
        assert!(std::mem::size_of::<Endpoint>() <= 40);
    }
}
