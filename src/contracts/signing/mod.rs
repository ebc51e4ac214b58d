//! Commit signatures, verified in process the way `git verify-commit` verifies them.
//!
//! The signed payload is the commit object without its signature headers; the signature is the
//! `gpgsig` header in SHA-1 repositories and `gpgsig-sha256` in SHA-256 ones (git's
//! `parse_buffer_signed_by_header`). SSH signatures (`-----BEGIN SSH SIGNATURE-----`) are
//! checked against a git `allowed_signers` file in namespace `git`, with validity windows
//! evaluated at the committer time; OpenPGP signatures against armored public keys. Key files
//! are read once, when the policy is loaded, from the policy's own trusted source.

pub mod cfg;
mod openpgp;
mod ssh;
mod trust;

use openpgp::*;
use ssh::*;
pub use trust::*;

pub use openpgp::parse_pgp_keys;
pub use ssh::parse_allowed_signers;

use std::collections::BTreeMap;
use std::sync::Arc;

use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::SignatureType;
use pgp::types::KeyDetails;
use ssh_key::{HashAlg, PublicKey, SshSig};

use crate::contracts::signing::cfg::{SigningClass, SigningPolicy};
use crate::git::repo::FileAt;

/// The most bytes of a key file that are read.
pub const MAX_KEY_FILE_BYTES: usize = 1 << 20;

/// The largest RSA modulus the SSH verifier accepts (`rsa` caps keys at 4096 bits).
const MAX_RSA_BYTES: usize = 512;

const CONTENT_MISMATCH: &str = "it does not match the commit's content";

/// A commit split into what was signed and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCommit {
    pub payload: Vec<u8>,
    pub signature: Option<Vec<u8>>,
}

/// The signature header of a repository's hash: `gpgsig` (SHA-1) or `gpgsig-sha256`.
fn signature_header(hash: gix::hash::Kind) -> &'static [u8] {
    match hash {
        gix::hash::Kind::Sha1 => b"gpgsig",
        _ => b"gpgsig-sha256",
    }
}

/// Split a raw commit object as git does: the header of the repository's hash (and its
/// continuation lines) is the signature; every `gpgsig*` header is left out of the payload.
pub fn split(raw: &[u8], hash: gix::hash::Kind) -> SignedCommit {
    let header = signature_header(hash);
    let mut payload = Vec::with_capacity(raw.len());
    let mut signature = Vec::new();
    let (mut saw, mut in_signature, mut other) = (false, false, false);
    let mut rest = raw;
    while !rest.is_empty() {
        let len = rest
            .iter()
            .position(|b| *b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let mut line = &rest[..len];
        let mut sig: Option<&[u8]> = None;
        if in_signature && line.first() == Some(&b' ') {
            sig = Some(&line[1..]);
        } else if line.starts_with(header) && line.get(header.len()) == Some(&b' ') {
            sig = Some(&line[header.len() + 1..]);
            other = false;
        } else if line.starts_with(b"gpgsig") {
            other = true;
        } else if other && line.first() != Some(&b' ') {
            other = false;
        }
        let mut consumed = len;
        if let Some(sig) = sig {
            signature.extend_from_slice(sig);
            saw = true;
            in_signature = true;
        } else {
            if line.first() == Some(&b'\n') {
                // The message: everything after the header, as is.
                line = rest;
                consumed = rest.len();
            }
            if !other {
                payload.extend_from_slice(line);
            }
            in_signature = false;
        }
        rest = &rest[consumed..];
    }
    SignedCommit {
        payload,
        signature: saw.then_some(signature),
    }
}

/// The committer time of a commit payload, in seconds since the epoch.
fn committer_time(payload: &[u8]) -> Option<i64> {
    for line in payload.split(|b| *b == b'\n') {
        if line.is_empty() {
            break;
        }
        if let Some(ident) = line.strip_prefix(b"committer ") {
            return crate::git::parse::identity_seconds(ident);
        }
    }
    None
}

/// Who signed, for messages: the key and the principal (or user id) it is pinned for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub key: String,
    pub principal: Option<String>,
}

impl std::fmt::Display for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.principal {
            Some(p) => write!(f, "{} (principal `{p}`)", self.key),
            None => write!(f, "{} (no pinned principal)", self.key),
        }
    }
}

/// The verdict on one commit's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Unsigned,
    Good(Signer),
    /// A valid signature whose key is not pinned, or is used outside its validity.
    Untrusted(Signer, String),
    /// The signature does not verify, or cannot be read.
    Bad(Option<Signer>, String),
}

/// Verify one commit's signature against `keys`. A verifier that fails on hostile bytes is a
/// bad signature, never an accepted one.
pub fn verify(commit: &SignedCommit, keys: &Keys) -> Verdict {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        verify_signature(commit, keys)
    }))
    .unwrap_or_else(|_| {
        Verdict::Bad(
            None,
            "the signature could not be verified: the verifier failed on its bytes".into(),
        )
    })
}

fn verify_signature(commit: &SignedCommit, keys: &Keys) -> Verdict {
    let Some(signature) = &commit.signature else {
        return Verdict::Unsigned;
    };
    let time = committer_time(&commit.payload);
    // Like git's get_format_by_sig: the signature must start with the armor line itself.
    let text = String::from_utf8_lossy(signature);
    let start: &str = &text;
    if start.starts_with("-----BEGIN SSH SIGNATURE-----") {
        verify_ssh(&commit.payload, start, time, keys)
    } else if start.starts_with("-----BEGIN PGP SIGNATURE-----")
        || start.starts_with("-----BEGIN PGP MESSAGE-----")
    {
        verify_pgp(&commit.payload, start, time, keys)
    } else if start.starts_with("-----BEGIN SIGNED MESSAGE-----") {
        Verdict::Untrusted(
            Signer {
                key: "an X.509 certificate".into(),
                principal: None,
            },
            "X.509 (gpgsm) signatures cannot be pinned; sign with an SSH or OpenPGP key".into(),
        )
    } else {
        Verdict::Bad(
            None,
            "the signature header holds no SSH, OpenPGP or X.509 signature".into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_leaves_out_every_signature_header() {
        let raw = b"tree t\nparent p\nauthor A <a> 1 +0000\ncommitter C <c> 2 +0000\ngpgsig -----BEGIN SSH SIGNATURE-----\n abc\n -----END SSH SIGNATURE-----\ngpgsig-sha256 -----BEGIN X-----\n def\n -----END X-----\nmergetag object x\n more\n\nmessage\n gpgsig in body\n";
        let s = split(raw, gix::hash::Kind::Sha1);
        assert_eq!(
            s.payload,
            b"tree t\nparent p\nauthor A <a> 1 +0000\ncommitter C <c> 2 +0000\nmergetag object x\n more\n\nmessage\n gpgsig in body\n"
        );
        assert_eq!(
            s.signature.as_deref(),
            Some(&b"-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----\n"[..])
        );
        let s = split(raw, gix::hash::Kind::Sha256);
        assert_eq!(
            s.signature.as_deref(),
            Some(&b"-----BEGIN X-----\ndef\n-----END X-----\n"[..])
        );
        assert_eq!(committer_time(&s.payload), Some(2));
        assert_eq!(
            split(b"tree t\n\nmsg\n", gix::hash::Kind::Sha1).signature,
            None
        );
    }

    #[test]
    fn times_and_patterns() {
        assert_eq!(parse_time("19700101Z"), Ok(0));
        assert_eq!(parse_time("20260401120000Z"), Ok(1_775_044_800));
        assert_eq!(show_time(1_775_044_800), "2026-04-01T12:00:00Z");
        assert!(parse_time("20260401").is_err());
        assert!(parse_time("2026040112Z").is_err());
        assert!(match_pattern_list("git", "file,g*"));
        assert!(!match_pattern_list("git", "file,!git,*"));
        assert!(!match_pattern_list("git", "file"));
        assert!(wildcard(b"*a*b?", b"xxaYYbZ"));
    }

    #[test]
    fn allowed_signers_lines() {
        let key =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICdewW20Yg8fM2VULa9/xjz5HyLYWg2peqYMZcSTg89x";
        let text = format!(
            "# comment\n\nk@x {key} kargo\n\"a@x,b@x\" namespaces=\"git,file\",valid-after=20260101Z {key}\n"
        );
        let lines = parse_allowed_signers(&text, "f").expect("parses");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].principals, "a@x,b@x");
        // As ssh-keygen reads them: the quoted part ends the field, both quotes dropped.
        let mixed = format!("no-reply@kargo.io,\"Kargo Bot\" {key}\n");
        let quoted = parse_allowed_signers(&mixed, "f").expect("parses");
        assert_eq!(quoted[0].principals, "no-reply@kargo.io,Kargo Bot");
        assert_eq!(lines[1].namespaces.as_deref(), Some("git,file"));
        let err = parse_allowed_signers(&format!("k@x cert-authority {key}\n"), "f")
            .expect_err("refused");
        assert!(
            err[0].contains("f:1:") && err[0].contains("cert-authority"),
            "{err:?}"
        );
        let err = parse_allowed_signers("k@x ssh-ed25519 AAAA\n", "f").expect_err("bad key");
        assert!(err[0].starts_with("f:1: "), "{err:?}");
        assert!(parse_allowed_signers("# nothing\n", "f").is_err());
    }
}
