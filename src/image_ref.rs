//! Container image references (`registry/org/app:tag@sha256:...`): their repository and tag,
//! as a registry resolves them. Used by the snapshot record (`image.ref`) and by the rendered
//! manifests' image pairing.

/// An image reference split into repository and tag:
/// `ghcr.io/org/app:tag@sha256:...` -> (`ghcr.io/org/app`, `Some("tag")`). A `:` before the last
/// `/` is a registry port, not a tag.
pub fn split_reference(reference: &str) -> (&str, Option<&str>) {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    match without_digest[last_slash..].rfind(':') {
        Some(colon) => (
            &without_digest[..last_slash + colon],
            Some(&without_digest[last_slash + colon + 1..]),
        ),
        None => (without_digest, None),
    }
}

/// The repository of an image reference: `ghcr.io/org/app:tag@sha256:...` -> `ghcr.io/org/app`.
pub fn repository(reference: &str) -> &str {
    split_reference(reference).0
}

/// The tag of an image reference: `repo:tag`, `repo:tag@sha256:...`; `None` without a tag.
pub fn image_tag(reference: &str) -> Option<&str> {
    split_reference(reference).1
}

/// A repository in the form a registry resolves it: the registry host lower-cased, its
/// default port `:443` dropped, Docker Hub's names (`nginx`, `index.docker.io/x`) spelled
/// `docker.io/library/nginx`, `docker.io/x`. Two spellings of one repository compare equal.
pub fn canonical_repository(repository: &str) -> String {
    let (first, rest) = match repository.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_ascii_lowercase(), rest)
        }
        _ => ("docker.io".to_string(), repository),
    };
    let mut host = first.strip_suffix(":443").unwrap_or(&first).to_string();
    if host == "index.docker.io" || host == "registry-1.docker.io" {
        host = "docker.io".to_string();
    }
    if host == "docker.io" && !rest.contains('/') {
        return format!("docker.io/library/{rest}");
    }
    format!("{host}/{rest}")
}
