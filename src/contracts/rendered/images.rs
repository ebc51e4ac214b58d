//! Container images in rendered manifests: every string value of a mapping key `image`, in
//! every document of a multi-document YAML file (as `helm template` and `kustomize build`
//! write them), wherever it is nested (`containers`, `initContainers`, CRDs, lists).
//!
//! The scan deserializes straight into the list of images instead of building a node tree, so
//! it accepts any YAML value elsewhere (huge integers, binary, tags) and only fails on YAML that
//! is not well formed or exceeds the parser's budget.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::cfg::yaml::{self, Limits, YamlError};

/// One `image:` value and the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub reference: String,
    pub line: u64,
}

/// Every `image:` string in `text`, in document order.
pub fn scan(text: &str) -> Result<Vec<ImageRef>, YamlError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let docs: Vec<Scan> =
        serde_saphyr::from_multiple_with_options(text, yaml::options(Limits::LARGE))
            .map_err(|e| yaml::error(&e))?;
    Ok(docs.into_iter().flat_map(|d| d.images).collect())
}

pub use crate::image_ref::{canonical_repository, image_tag, repository, split_reference};

/// What one YAML value holds: images found inside it, and its text if it is a string.
#[derive(Default)]
struct Scan {
    images: Vec<ImageRef>,
    text: Option<String>,
}

impl<'de> Deserialize<'de> for Scan {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScanVisitor)
    }
}

/// A mapping key: only whether it is the string `image` matters.
struct Key(bool);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let scan = Scan::deserialize(d)?;
        Ok(Key(scan.text.as_deref() == Some("image")))
    }
}

struct ScanVisitor;

impl ScanVisitor {
    fn nothing<E>() -> Result<Scan, E> {
        Ok(Scan::default())
    }
}

impl<'de> Visitor<'de> for ScanVisitor {
    type Value = Scan;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scan, E> {
        Self::nothing()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scan, E> {
        Self::nothing()
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Scan, E> {
        Self::nothing()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Scan, E> {
        Self::nothing()
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Scan, E> {
        Self::nothing()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scan, E> {
        Self::nothing()
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scan, E> {
        Ok(Scan {
            images: Vec::new(),
            text: Some(v.to_owned()),
        })
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scan, E> {
        Ok(Scan {
            images: Vec::new(),
            text: Some(v),
        })
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Scan, E> {
        Self::nothing()
    }
    fn visit_none<E: de::Error>(self) -> Result<Scan, E> {
        Self::nothing()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scan, E> {
        Self::nothing()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Scan, D::Error> {
        Scan::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scan, A::Error> {
        let mut out = Scan::default();
        while let Some(item) = seq.next_element::<Scan>()? {
            out.images.extend(item.images);
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scan, A::Error> {
        let mut out = Scan::default();
        while let Some(Key(is_image)) = map.next_key::<Key>()? {
            if is_image {
                let value = map.next_value::<serde_saphyr::Spanned<Scan>>()?;
                let line = value.referenced.line();
                let mut value = value.value;
                out.images.append(&mut value.images);
                if let Some(reference) = value.text {
                    out.images.push(ImageRef { reference, line });
                }
            } else {
                let value = map.next_value::<Scan>()?;
                out.images.extend(value.images);
            }
        }
        Ok(out)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Scan, A::Error> {
        let (IgnoredAny, variant) = data.variant::<IgnoredAny>()?;
        de::VariantAccess::newtype_variant::<Scan>(variant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_images_in_every_document_and_depth() {
        let text = "---\n# Source: app/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: init\n          image: busybox:1.36\n      containers:\n        - name: app\n          image: \"ghcr.io/org/app:git-abc\"\n---\n---\nkind: CronJob\nspec: {jobTemplate: {spec: {template: {spec: {containers: [{image: ghcr.io/org/app:git-def}]}}}}}\nreplicas: 123456789012345678901234567890123456789012345\n";
        let images = scan(text).expect("valid");
        let refs: Vec<(&str, u64)> = images
            .iter()
            .map(|i| (i.reference.as_str(), i.line))
            .collect();
        assert_eq!(
            refs,
            vec![
                ("busybox:1.36", 10),
                ("ghcr.io/org/app:git-abc", 13),
                ("ghcr.io/org/app:git-def", 17)
            ]
        );
    }

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("ghcr.io/a/b:git-1"), Some("git-1"));
        assert_eq!(image_tag("ghcr.io/a/b:git-1@sha256:00"), Some("git-1"));
        assert_eq!(image_tag("localhost:5000/a/b"), None);
        assert_eq!(image_tag("b"), None);
    }

    #[test]
    fn repositories() {
        assert_eq!(
            repository("ghcr.io/org/app:git-1@sha256:00"),
            "ghcr.io/org/app"
        );
        assert_eq!(repository("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(repository("localhost:5000/app:v1"), "localhost:5000/app");
        assert_eq!(repository("app@sha256:00"), "app");
        for (a, b) in [
            ("GHCR.IO/org/app", "ghcr.io/org/app"),
            ("ghcr.io:443/org/app", "ghcr.io/org/app"),
            ("nginx", "docker.io/library/nginx"),
            ("index.docker.io/library/nginx", "docker.io/library/nginx"),
            ("org/app", "docker.io/org/app"),
        ] {
            assert_eq!(canonical_repository(a), canonical_repository(b), "{a}");
        }
        assert_ne!(
            canonical_repository("ghcr.io/org/app"),
            canonical_repository("ghcr.io/org/app2")
        );
    }

    #[test]
    fn malformed_yaml_is_an_error() {
        assert!(scan("a: [1, 2\n").is_err());
        assert!(scan("image: a\nimage: b\n").is_err());
    }
}
