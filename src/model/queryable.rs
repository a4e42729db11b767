//! Queryables: the properties of a collection that requests may filter on.

use super::PlaceFeature;
use serde_json::Value;
use std::collections::HashSet;

/// The JSON Schema type of a queryable property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryableType {
    /// Text.
    String,
    /// Any number.
    Number,
    /// `true`/`false`.
    Boolean,
}

impl QueryableType {
    /// The JSON Schema `type` keyword value.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            QueryableType::String => "string",
            QueryableType::Number => "number",
            QueryableType::Boolean => "boolean",
        }
    }
}

/// A property a request may filter on with `?name=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queryable {
    /// Property name.
    pub name: String,
    /// Its value type.
    pub kind: QueryableType,
}

/// Scalar properties of a point layer, typed by their first non-null value, in first-seen
/// order (a set beside the list keeps this linear in the properties read).
#[must_use]
pub fn point_queryables(features: &[PlaceFeature]) -> Vec<Queryable> {
    let mut c = QueryableCollector::default();
    features.iter().for_each(|f| c.add(f));
    c.finish()
}

/// [`point_queryables`] one feature at a time, for layers that are streamed rather than held.
#[derive(Debug, Default)]
pub struct QueryableCollector {
    out: Vec<Queryable>,
    seen: HashSet<String>,
}

impl QueryableCollector {
    /// Takes note of the scalar properties of `f`.
    pub fn add(&mut self, f: &PlaceFeature) {
        for (name, v) in &f.properties {
            let kind = match v {
                Value::String(_) => QueryableType::String,
                Value::Number(_) => QueryableType::Number,
                Value::Bool(_) => QueryableType::Boolean,
                _ => continue,
            };
            if !self.seen.contains(name) {
                self.seen.insert(name.clone());
                self.out.push(Queryable { name: name.clone(), kind });
            }
        }
    }

    /// The queryables seen, in first-seen order.
    #[must_use]
    pub fn finish(self) -> Vec<Queryable> {
        self.out
    }
}
