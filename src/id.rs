//! Identifiers stored once and shared: an interface, VPC, account or
//! security group id names hundreds of thousands of connections on a large
//! run, and each connection holds a handle to the one copy ([`Id`]), as the
//! ends hold their interface's group list ([`Groups`]), instead of strings
//! of their own. A clone is a reference count, not an allocation.
//!
//! Both read as `str` and `[Id]` (`Deref`), compare with strings, and
//! serialize as a string and a list of strings, as the `String` and
//! `Vec<String>` they replace did.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An identifier: shared, immutable text. Ordered and hashed as its text.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(Arc<str>);

impl Id {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Id {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Id {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Id {
        Id(s.into())
    }
}

impl From<String> for Id {
    fn from(s: String) -> Id {
        Id(s.into())
    }
}

impl From<&String> for Id {
    fn from(s: &String) -> Id {
        Id(s.as_str().into())
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0.to_string()
    }
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Id {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Id> for String {
    fn eq(&self, other: &Id) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Id> for &str {
    fn eq(&self, other: &Id) -> bool {
        **self == *other.0
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        String::deserialize(d).map(Id::from)
    }
}

/// A list of security group ids, shared by every end that has it (an
/// interface's groups, resolved for each of its connections).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Groups(Arc<[Id]>);

impl Deref for Groups {
    type Target = [Id];
    fn deref(&self) -> &[Id] {
        &self.0
    }
}

impl fmt::Debug for Groups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<Vec<Id>> for Groups {
    fn from(v: Vec<Id>) -> Groups {
        Groups(v.into())
    }
}

impl From<Vec<String>> for Groups {
    fn from(v: Vec<String>) -> Groups {
        v.into_iter().map(Id::from).collect()
    }
}

impl From<&[String]> for Groups {
    fn from(v: &[String]) -> Groups {
        v.iter().map(Id::from).collect()
    }
}

impl FromIterator<Id> for Groups {
    fn from_iter<I: IntoIterator<Item = Id>>(it: I) -> Groups {
        Groups(it.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Groups {
    type Item = &'a Id;
    type IntoIter = std::slice::Iter<'a, Id>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl PartialEq<Vec<String>> for Groups {
    fn eq(&self, other: &Vec<String>) -> bool {
        self.0.len() == other.len() && self.0.iter().zip(other).all(|(a, b)| a == b)
    }
}

impl Serialize for Groups {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

impl<'de> Deserialize<'de> for Groups {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Groups, D::Error> {
        Vec::<Id>::deserialize(d).map(Groups::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_orders_hashes_and_serializes_as_its_text() {
        let a = Id::from("eni-b");
        let b = Id::from("eni-a".to_string());
        assert_eq!(&*a, "eni-b");
        assert!(b < a);
        assert_eq!(a, "eni-b");
        assert_eq!(a, "eni-b".to_string());
        let set: std::collections::HashSet<Id> = [a.clone()].into();
        assert!(set.contains("eni-b"));
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"eni-b\"");
        assert_eq!(serde_json::from_str::<Id>("\"eni-b\"").unwrap(), a);
        assert_eq!(format!("{a} {a:?}"), "eni-b \"eni-b\"");
    }

    #[test]
    fn a_clone_shares_the_text() {
        let a = Id::from("vpc-1");
        let b = a.clone();
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        let g = Groups::from(vec!["sg-1".to_string(), "sg-2".to_string()]);
        let h = g.clone();
        assert!(std::ptr::eq(&g[0], &h[0]));
        assert_eq!(g, vec!["sg-1".to_string(), "sg-2".to_string()]);
        assert_eq!(serde_json::to_string(&g).unwrap(), r#"["sg-1","sg-2"]"#);
    }
}
