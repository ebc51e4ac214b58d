//! A YAML node tree that keeps the line of every key and value.
//!
//! The policy file and `freight.yaml` records are both read into this tree first and validated
//! second, so every problem can be reported at once, each with its line. Parsing runs under a
//! resource budget: an alias bomb or a document nested thousands deep is an error, not a hang.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

/// A parsed YAML value with the position it came from (1-based; 0 when unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub line: u64,
    pub column: u64,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys keep their own positions; order is the document's.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// A short name of the value's type for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Look up `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Look up a dotted path such as `image.ref`.
    pub fn get_path(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self, |node, key| node.get(key))
    }

    /// The scalar as text, as a YAML reader would print it (strings, numbers, booleans).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// Why a YAML document could not be read.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    /// 1-based line, 0 when the parser could not tell.
    pub line: u64,
}

/// Resource limits for one document.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_events: usize,
    pub max_aliases: usize,
    pub max_depth: usize,
    pub max_nodes: usize,
    pub max_documents: usize,
}

impl Limits {
    /// Limits for small configuration documents (policy files, freight records).
    pub const SMALL: Limits = Limits {
        max_events: 100_000,
        max_aliases: 1_000,
        max_depth: 32,
        max_nodes: 50_000,
        max_documents: 1,
    };

    /// Limits for rendered manifests (`helm template` output: many documents, megabytes).
    pub const LARGE: Limits = Limits {
        max_events: 50_000_000,
        max_aliases: 10_000,
        max_depth: 128,
        max_nodes: 20_000_000,
        max_documents: 1_000_000,
    };
}

/// Parser options with a resource budget; duplicate keys are an error.
pub fn options(limits: Limits) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = limits.max_events;
    budget.max_aliases = limits.max_aliases;
    budget.max_anchors = limits.max_aliases;
    budget.max_depth = limits.max_depth;
    budget.max_nodes = limits.max_nodes;
    budget.max_documents = limits.max_documents;
    budget.max_recorded_anchor_events = limits.max_events;
    budget.max_recorded_anchor_bytes = 4 * 1024 * 1024;
    budget.max_merge_keys = limits.max_aliases;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    options
}

/// Turn a parser error into a [`YamlError`] with its line, in words for the person who wrote
/// the document: no library advice, no debug formatting.
pub fn error(e: &serde_saphyr::Error) -> YamlError {
    YamlError {
        line: e.location().map_or(0, |l| l.line()),
        message: plain_message(&first_line(&e.to_string())),
    }
}

/// The parser's message without its `error: line L column C:` lead (the line is reported on
/// its own), library hints, or the debug text of a budget breach.
fn plain_message(text: &str) -> String {
    let mut text = text.trim().trim_start_matches("error: ").to_string();
    if let Some(rest) = text.strip_prefix("line ")
        && let Some((position, message)) = rest.split_once(": ")
        && position.split(" column ").all(|n| n.parse::<u64>().is_ok())
    {
        text = format!(
            "{message} (column {})",
            position.split(" column ").nth(1).unwrap_or("?")
        );
    }
    if let Some(cut) = text.find(", set DuplicateKeyPolicy") {
        let tail = text[cut..]
            .find(" (column ")
            .map(|c| text[cut + c..].to_string());
        text = format!("{}{}", &text[..cut], tail.unwrap_or_default());
    }
    if let Some(at) = text.find("budget breached: ") {
        let what = text[at + "budget breached: ".len()..]
            .split(|c: char| !c.is_ascii_alphanumeric())
            .next()
            .unwrap_or("");
        let limit = match what {
            "Events" => "parser events",
            "Aliases" => "aliases (`*name`)",
            "Anchors" => "anchors (`&name`)",
            "Depth" | "InclusionDepth" => "nesting depth",
            "Documents" => "documents",
            "Nodes" => "nodes (aliases are counted each time they are used)",
            "ScalarBytes" => "bytes of scalar text",
            "CommentBytes" => "bytes of comments",
            "MergeKeys" => "merge keys (`<<`)",
            _ => "size",
        };
        text = format!(
            "the document goes over the parser's limit on {limit}; it is refused as an alias bomb or an oversized document"
        );
    }
    text
}

/// Parse one YAML document into a [`Node`] tree.
pub fn parse(text: &str, limits: Limits) -> Result<Node, YamlError> {
    let options = options(limits);
    if text.trim().is_empty() {
        return Ok(Node {
            value: Value::Null,
            line: 1,
            column: 1,
        });
    }
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|e| error(&e))
}

fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or(text);
    let mut line = line.trim().to_string();
    if line.len() > 300 {
        let mut cut = 300;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line.push('…');
    }
    line
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        i128::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom("integer too large"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_messages_are_plain() {
        assert_eq!(
            plain_message(
                "error: line 2 column 1: duplicate mapping key: version, set DuplicateKeyPolicy in Options if acceptable"
            ),
            "duplicate mapping key: version (column 1)"
        );
        let bomb =
            plain_message("error: line 5 column 30: budget breached: Nodes { nodes: 50001 }");
        assert!(
            bomb.starts_with("the document goes over the parser's limit on nodes"),
            "{bomb}"
        );
        assert!(!bomb.contains('{'), "{bomb}");
        assert_eq!(plain_message("unclosed bracket"), "unclosed bracket");
    }

    #[test]
    fn keeps_lines_of_keys_and_values() {
        let node = parse("a: 1\nb:\n  c: [x, y]\n", Limits::SMALL).expect("valid yaml");
        let b = node.get("b").expect("b");
        assert_eq!(b.get("c").map(|c| c.line), Some(3));
        let Value::Map(entries) = &node.value else {
            panic!("not a map")
        };
        assert_eq!(entries[1].0.line, 2);
    }

    #[test]
    fn alias_bomb_is_an_error() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = (b'a' + i - 1) as char;
            let cur = (b'a' + i) as char;
            text.push_str(&format!(
                "{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        assert!(parse(&text, Limits::SMALL).is_err());
    }
}
