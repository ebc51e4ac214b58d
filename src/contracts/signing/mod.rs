//! Commit signatures, verified in process the way `git verify-commit` verifies them.
//!
//! The signed payload is the commit object without its signature headers; the signature is the
//! `gpgsig` header in SHA-1 repositories and `gpgsig-sha256` in SHA-256 ones (git's
//! `parse_buffer_signed_by_header`). SSH signatures (`-----BEGIN SSH SIGNATURE-----`) are
//! checked against a git `allowed_signers` file in namespace `git`, with validity windows
//! evaluated at the committer time; OpenPGP signatures against armored public keys. Key files
//! are read once, when the policy is loaded, from the policy's own trusted source.

pub mod cfg;

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

/// One line of an `allowed_signers` file.
#[derive(Debug, Clone)]
pub struct AllowedSigner {
    pub principals: String,
    namespaces: Option<String>,
    valid_after: Option<i64>,
    valid_before: Option<i64>,
    key: ssh_key::public::KeyData,
    /// `file:line`, for messages.
    origin: String,
}

/// An OpenPGP public key and where it was read from.
#[derive(Debug, Clone)]
pub struct PgpKey {
    key: SignedPublicKey,
    origin: String,
}

/// The pinned keys of one class.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    pub ssh: Vec<AllowedSigner>,
    pub pgp: Vec<PgpKey>,
    /// The files (or inline keys) they came from, for messages and comparison.
    pub sources: Vec<String>,
}

/// What one class of commits must satisfy.
#[derive(Debug, Clone, Default)]
pub struct ClassTrust {
    pub require: bool,
    pub keys: Arc<Keys>,
    /// The policy keys that pin this class's keys, for messages.
    pub settings: String,
}

/// Loaded signing settings for every class.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    classes: BTreeMap<SigningClass, ClassTrust>,
}

impl PartialEq for Trust {
    fn eq(&self, other: &Self) -> bool {
        let summary = |t: &Trust| -> Vec<(SigningClass, bool, Vec<String>)> {
            t.classes
                .iter()
                .map(|(c, t)| (*c, t.require, t.keys.sources.clone()))
                .collect()
        };
        summary(self) == summary(other)
    }
}

/// Where key files are read from: the trusted source of the policy that names them.
pub trait KeySource {
    /// The bytes of `path`, or why they cannot be read.
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
    /// Where a path lives, for messages (`main:keys/kargo.asc`, `/etc/freight-guard/kargo.asc`).
    fn describe(&self, path: &str) -> String;
}

/// Key files next to a policy file on disk (`--config`).
pub struct DirSource(pub std::path::PathBuf);

impl KeySource for DirSource {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let full = self.0.join(path);
        let meta = std::fs::metadata(&full).map_err(|e| format!("cannot read it: {e}"))?;
        if !meta.is_file() {
            return Err("it is not a regular file".into());
        }
        if meta.len() > MAX_KEY_FILE_BYTES as u64 {
            return Err(format!(
                "it is {} bytes; at most {MAX_KEY_FILE_BYTES} are read",
                meta.len()
            ));
        }
        std::fs::read(&full).map_err(|e| format!("cannot read it: {e}"))
    }

    fn describe(&self, path: &str) -> String {
        self.0.join(path).display().to_string()
    }
}

/// Key files in a commit's tree: the commit the policy file itself was read from.
pub struct TreeSource<'a> {
    pub repo: &'a crate::git::repo::Repo,
    pub tree: gix::ObjectId,
    /// How the commit is named in messages (`main`, `HEAD`).
    pub label: String,
}

impl KeySource for TreeSource<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        if path.is_empty()
            || path.starts_with('/')
            || path
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(
                "a key file named by the repository's policy must be a relative path inside the repository (no `..`)"
                    .into(),
            );
        }
        let max = MAX_KEY_FILE_BYTES as u64;
        match self.repo.file_at(&self.tree, path.as_bytes(), max) {
            Err(e) => Err(e.to_string()),
            Ok(FileAt::Missing) => Err("no such file".into()),
            Ok(FileAt::NotRegular) => Err("it is not a regular file".into()),
            Ok(FileAt::TooLarge(size)) => Err(format!(
                "it is {size} bytes; at most {MAX_KEY_FILE_BYTES} are read"
            )),
            Ok(FileAt::Bytes(bytes)) => Ok(bytes),
        }
    }

    fn describe(&self, path: &str) -> String {
        format!("{}:{path}", self.label)
    }
}

/// No place to read key files from: the built-in defaults name none.
pub struct NoSource;

impl KeySource for NoSource {
    fn read(&self, _path: &str) -> Result<Vec<u8>, String> {
        Err("the built-in policy names no key files".into())
    }

    fn describe(&self, path: &str) -> String {
        path.to_string()
    }
}

impl Trust {
    pub fn class(&self, class: SigningClass) -> Option<&ClassTrust> {
        self.classes.get(&class)
    }

    /// Read and parse every key file the policy names; every problem is reported, none is
    /// skipped: a key that cannot be read must never turn into a silent pass.
    pub fn load(policy: &SigningPolicy, source: &dyn KeySource) -> Result<Trust, Vec<String>> {
        let mut problems = Vec::new();
        let mut ssh_files: BTreeMap<String, Vec<AllowedSigner>> = BTreeMap::new();
        let mut pgp_files: BTreeMap<String, Vec<PgpKey>> = BTreeMap::new();
        let mut classes = BTreeMap::new();
        for class in SigningClass::ALL {
            let settings = policy.class(class);
            let mut keys = Keys::default();
            if let Some(path) = &settings.ssh_allowed_signers {
                let lines = load_once(&mut ssh_files, path, &mut problems, || {
                    let text = read_text(source, path).map_err(|e| vec![e])?;
                    parse_allowed_signers(&text, &source.describe(path))
                });
                keys.ssh.extend(lines.iter().cloned());
                keys.sources.push(format!("ssh:{path}"));
            }
            for entry in &settings.gpg_keys {
                let certs = load_once(&mut pgp_files, entry, &mut problems, || {
                    let parsed = if entry.trim_start().starts_with("-----BEGIN") {
                        parse_pgp_keys(entry, "an inline key of signing.gpg_keys")
                    } else {
                        read_text(source, entry)
                            .and_then(|text| parse_pgp_keys(&text, &source.describe(entry)))
                    };
                    parsed.map_err(|e| vec![e])
                });
                keys.pgp.extend(certs.iter().cloned());
                keys.sources.push(format!("pgp:{entry}"));
            }
            let name = class.key();
            if settings.require
                && settings.ssh_allowed_signers.is_none()
                && settings.gpg_keys.is_empty()
            {
                problems.push(format!(
                    "signing is required for {name} commits, but no key is pinned for them (set `signing.ssh_allowed_signers` or `signing.gpg_keys`, or `signing.{name}.ssh_allowed_signers` or `signing.{name}.gpg_keys` for these commits alone)"
                ));
            }
            let section = if policy.overrides_keys(class) {
                format!("signing.{name}")
            } else {
                "signing".to_string()
            };
            classes.insert(
                class,
                ClassTrust {
                    require: settings.require,
                    keys: Arc::new(keys),
                    settings: format!("`{section}.ssh_allowed_signers`, `{section}.gpg_keys`"),
                },
            );
        }
        if problems.is_empty() {
            Ok(Trust { classes })
        } else {
            Err(problems)
        }
    }
}

/// Load the key file `name` once per run: later classes naming it share the result, and its
/// problems are reported once.
fn load_once<'c, T>(
    cache: &'c mut BTreeMap<String, Vec<T>>,
    name: &str,
    problems: &mut Vec<String>,
    load: impl FnOnce() -> Result<Vec<T>, Vec<String>>,
) -> &'c [T] {
    cache.entry(name.to_string()).or_insert_with(|| {
        load().unwrap_or_else(|p| {
            problems.extend(p);
            Vec::new()
        })
    })
}

fn read_text(source: &dyn KeySource, path: &str) -> Result<String, String> {
    let shown = source.describe(path);
    let bytes = source.read(path).map_err(|e| format!("{shown}: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("{shown}: it is not UTF-8 text"))
}

/// Parse git's `allowed_signers` format (ssh-keygen(1), ALLOWED SIGNERS): `principals
/// [options] keytype base64 [comment]` per line; `#` comments and blank lines are skipped.
pub fn parse_allowed_signers(text: &str, file: &str) -> Result<Vec<AllowedSigner>, Vec<String>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let origin = format!("{file}:{}", i + 1);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_signer_line(line, &origin) {
            Ok(s) => out.push(s),
            Err(e) => problems.push(format!("{origin}: {e}")),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if out.is_empty() {
        return Err(vec![format!("{file}: it pins no key")]);
    }
    Ok(out)
}

/// Split off the first field of `s`: up to unquoted whitespace (quotes may hold spaces).
fn field(s: &str) -> Result<(&str, &str), String> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return Ok((&s[..i], s[i..].trim_start())),
            _ => {}
        }
    }
    if quoted {
        return Err("a quote is not closed".into());
    }
    Ok((s, ""))
}

fn parse_signer_line(line: &str, origin: &str) -> Result<AllowedSigner, String> {
    let (principals, rest) = field(line)?;
    let principals = principals.trim_matches('"').to_string();
    if principals.is_empty() || rest.is_empty() {
        return Err("expected `principals [options] keytype base64-key`".into());
    }
    // Options come before the key when the next field is not a key type.
    let (options, key_text) = match PublicKey::from_openssh(rest) {
        Ok(_) => ("", rest),
        Err(_) => {
            let (opts, key) = field(rest)?;
            (opts, key)
        }
    };
    let key = PublicKey::from_openssh(key_text)
        .map_err(|e| format!("not an OpenSSH public key (`keytype base64`): {e}"))?;
    if let ssh_key::public::KeyData::Rsa(rsa) = key.key_data() {
        let bytes = rsa.n.as_positive_bytes().map_or(0, <[u8]>::len);
        if bytes > MAX_RSA_BYTES {
            return Err(format!(
                "an RSA key of {} bits: signatures by RSA keys over {} bits cannot be verified; use an ed25519 key",
                bytes * 8,
                MAX_RSA_BYTES * 8
            ));
        }
    }
    let mut signer = AllowedSigner {
        principals,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        key: key.key_data().clone(),
        origin: origin.to_string(),
    };
    for option in split_options(options)? {
        let (name, value) = match option.split_once('=') {
            Some((n, v)) => (n.to_ascii_lowercase(), Some(unquote(v)?)),
            None => (option.to_ascii_lowercase(), None),
        };
        match (name.as_str(), value) {
            ("cert-authority", _) => {
                return Err(
                    "`cert-authority` lines (SSH certificates) are not supported: pin the signing keys themselves"
                        .into(),
                );
            }
            ("namespaces", Some(v)) => signer.namespaces = Some(v),
            ("valid-after", Some(v)) => signer.valid_after = Some(parse_time(&v)?),
            ("valid-before", Some(v)) => signer.valid_before = Some(parse_time(&v)?),
            (other, _) => {
                return Err(format!(
                    "unknown or malformed option `{other}` (known: namespaces=, valid-after=, valid-before=)"
                ));
            }
        }
    }
    Ok(signer)
}

/// Split `a,b="x,y",c` at commas outside quotes.
fn split_options(options: &str) -> Result<Vec<String>, String> {
    if options.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in options.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if quoted {
        return Err("a quote is not closed in the options".into());
    }
    out.push(current);
    if out.iter().any(String::is_empty) {
        return Err(format!("empty option in `{options}`"));
    }
    Ok(out)
}

fn unquote(v: &str) -> Result<String, String> {
    match v.strip_prefix('"') {
        Some(inner) => inner
            .strip_suffix('"')
            .map(str::to_string)
            .ok_or_else(|| format!("option value {v} is not quoted properly")),
        None => Ok(v.to_string()),
    }
}

/// `YYYYMMDD[Z]` or `YYYYMMDDHHMM[SS][Z]`. ssh-keygen reads times without `Z` in the machine's
/// time zone; a server hook cannot know which zone was meant, so only UTC (`Z`) is accepted.
fn parse_time(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "time `{text}` is not YYYYMMDD[HHMM[SS]]Z (the `Z` is required: times are read as UTC)"
        )
    };
    let digits = text.strip_suffix(['Z', 'z']).ok_or_else(bad)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<i64>().ok());
    let (y, m, d) = (num(0..4), num(4..6), num(6..8));
    let (hh, mm, ss) = (
        num(8..10).unwrap_or(0),
        num(10..12).unwrap_or(0),
        num(12..14).unwrap_or(0),
    );
    let (Some(y), Some(m), Some(d)) = (y, m, d) else {
        return Err(bad());
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return Err(bad());
    }
    Ok(days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// OpenSSH's pattern lists: comma-separated `*`/`?` globs, `!` negates and wins.
fn match_pattern_list(candidate: &str, list: &str) -> bool {
    let mut matched = false;
    for pattern in list.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        if wildcard(pattern.as_bytes(), candidate.as_bytes()) {
            if negated {
                return false;
            }
            matched = true;
        }
    }
    matched
}

/// `*` and `?` glob matching, iterative (no backtracking blow-up).
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

/// Parse every armored OpenPGP public key in `text`; each must carry valid self-signatures.
pub fn parse_pgp_keys(text: &str, origin: &str) -> Result<Vec<PgpKey>, String> {
    // A file may hold several armored blocks one after the other (`cat a.asc b.asc`); the
    // armor reader stops after the first, so each block is read on its own.
    const END: &str = "-----END PGP PUBLIC KEY BLOCK-----";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
        let Some(end) = rest[start..].find(END) else {
            return Err(format!(
                "{origin}: an armored OpenPGP public key block is not closed"
            ));
        };
        blocks.push(&rest[start..start + end + END.len()]);
        rest = &rest[start + end + END.len()..];
    }
    if blocks.is_empty() {
        return Err(format!(
            "{origin}: not an armored OpenPGP public key (no `-----BEGIN PGP PUBLIC KEY BLOCK-----`)"
        ));
    }
    let mut out = Vec::new();
    for block in blocks {
        out.extend(parse_pgp_block(block, origin)?);
    }
    Ok(out)
}

fn parse_pgp_block(text: &str, origin: &str) -> Result<Vec<PgpKey>, String> {
    let parsed = SignedPublicKey::from_armor_many(std::io::Cursor::new(text.as_bytes()))
        .map_err(|e| format!("{origin}: not an armored OpenPGP public key: {e}"))?;
    let mut out = Vec::new();
    for key in parsed.0 {
        let mut key = key.map_err(|e| format!("{origin}: an OpenPGP key cannot be read: {e}"))?;
        // Certifications by other keys (web-of-trust signatures) say nothing about this key's
        // own settings and cannot be checked without their issuers' keys: keep self-signatures.
        let primary = (
            key.primary_key.fingerprint(),
            key.primary_key.legacy_key_id(),
        );
        let by_self = |sig: &pgp::packet::Signature| issued_by(sig, &primary.0, &primary.1);
        key.details.direct_signatures.retain(by_self);
        key.details.revocation_signatures.retain(by_self);
        for user in &mut key.details.users {
            user.signatures.retain(by_self);
        }
        key.details.users.retain(|u| !u.signatures.is_empty());
        for attr in &mut key.details.user_attributes {
            attr.signatures.retain(by_self);
        }
        key.details
            .user_attributes
            .retain(|a| !a.signatures.is_empty());
        key.verify_bindings().map_err(|e| {
            format!(
                "{origin}: the self-signatures of key {:X} do not verify: {e}",
                key.primary_key.fingerprint()
            )
        })?;
        out.push(PgpKey {
            key,
            origin: origin.to_string(),
        });
    }
    if out.is_empty() {
        return Err(format!("{origin}: it holds no OpenPGP public key"));
    }
    Ok(out)
}

/// Does `sig` name this key as its issuer (or name no issuer at all)?
fn issued_by(
    sig: &pgp::packet::Signature,
    fingerprint: &pgp::types::Fingerprint,
    key_id: &pgp::types::KeyId,
) -> bool {
    let fingerprints = sig.issuer_fingerprint();
    let ids = sig.issuer_key_id();
    (fingerprints.is_empty() && ids.is_empty())
        || fingerprints.contains(&fingerprint)
        || ids.contains(&key_id)
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

fn verify_ssh(payload: &[u8], armored: &str, time: Option<i64>, keys: &Keys) -> Verdict {
    let sig = match SshSig::from_pem(armored.as_bytes()) {
        Ok(sig) => sig,
        Err(e) => return Verdict::Bad(None, format!("the SSH signature cannot be read: {e}")),
    };
    let key = PublicKey::from(sig.public_key().clone());
    let pinned: Vec<&AllowedSigner> = keys
        .ssh
        .iter()
        .filter(|s| s.key == *sig.public_key())
        .collect();
    let mut signer = Signer {
        key: format!(
            "SSH key {} ({})",
            key.fingerprint(HashAlg::Sha256),
            key.algorithm()
        ),
        principal: None,
    };
    if pinned.is_empty() {
        return Verdict::Untrusted(
            signer,
            "no pinned allowed-signers line names this key".into(),
        );
    }
    signer.principal = Some(pinned[0].principals.clone());
    if key.verify(sig.namespace(), payload, &sig).is_err() {
        return Verdict::Bad(Some(signer), CONTENT_MISMATCH.into());
    }
    if sig.namespace() != "git" {
        return Verdict::Untrusted(
            signer,
            format!("it was made for namespace `{}`, not `git`", sig.namespace()),
        );
    }
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    };
    let at = time.unwrap_or_else(now);
    // As git does: `ssh-keygen -Y find-principals` picks the first line that pins the key and
    // whose validity window holds at the committer time; that line must then allow `git`.
    let mut reasons = Vec::new();
    for s in &pinned {
        if let Some(after) = s.valid_after
            && at < after
        {
            reasons.push(format!(
                "{}: the key is valid only after {}, and the committer time is {}",
                s.origin,
                show_time(after),
                show_time(at)
            ));
            continue;
        }
        if let Some(before) = s.valid_before
            && at > before
        {
            reasons.push(format!(
                "{}: the key was valid only until {}, and the committer time is {}",
                s.origin,
                show_time(before),
                show_time(at)
            ));
            continue;
        }
        signer.principal = Some(s.principals.clone());
        if let Some(ns) = &s.namespaces
            && !match_pattern_list("git", ns)
        {
            return Verdict::Untrusted(
                signer,
                format!("{} allows namespaces `{ns}`, not `git`", s.origin),
            );
        }
        return Verdict::Good(signer);
    }
    Verdict::Untrusted(signer, reasons.join("; "))
}

/// `2026-04-01T12:00:00Z`.
fn show_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Inverse of days_from_civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn verify_pgp(payload: &[u8], armored: &str, time: Option<i64>, keys: &Keys) -> Verdict {
    let sig = match DetachedSignature::from_armor_single(std::io::Cursor::new(armored.as_bytes())) {
        Ok((sig, _)) => sig.signature,
        Err(e) => {
            return Verdict::Bad(None, format!("the OpenPGP signature cannot be read: {e}"));
        }
    };
    if !matches!(
        sig.typ(),
        Some(SignatureType::Binary) | Some(SignatureType::Text)
    ) {
        return Verdict::Bad(
            None,
            "the OpenPGP signature is not a signature over data".into(),
        );
    }
    let weak = matches!(
        sig.hash_alg(),
        Some(HashAlgorithm::Md5 | HashAlgorithm::Sha1 | HashAlgorithm::Ripemd160)
    );
    let fingerprints = sig.issuer_fingerprint();
    let key_ids = sig.issuer_key_id();
    let issuer = fingerprints
        .first()
        .map(|f| format!("{f:X}"))
        .or_else(|| {
            key_ids.first().map(|k| {
                let id: &[u8] = k.as_ref();
                id.iter().map(|b| format!("{b:02X}")).collect::<String>()
            })
        })
        .unwrap_or_else(|| "of unknown id".into());
    // The pinned component (primary key or subkey) that made the signature.
    for pinned in &keys.pgp {
        let cert = &pinned.key;
        let principal = cert
            .details
            .users
            .first()
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned());
        let is_issuer = |fp: pgp::types::Fingerprint, id: pgp::types::KeyId| {
            fingerprints.iter().any(|f| **f == fp) || key_ids.iter().any(|k| **k == id)
        };
        let primary = &cert.primary_key;
        let signer = |fp: &pgp::types::Fingerprint| Signer {
            key: format!("OpenPGP key {fp:X}"),
            principal: principal.clone(),
        };
        let found = is_issuer(primary.fingerprint(), primary.legacy_key_id())
            || cert
                .public_subkeys
                .iter()
                .any(|sub| is_issuer(sub.key.fingerprint(), sub.key.legacy_key_id()));
        if found && weak {
            return Verdict::Untrusted(
                signer(&primary.fingerprint()),
                format!(
                    "the signature hashes with {:?}, which is too weak to trust (MD5, SHA-1 and RIPEMD-160 are refused)",
                    sig.hash_alg().unwrap_or(HashAlgorithm::None)
                ),
            );
        }
        if is_issuer(primary.fingerprint(), primary.legacy_key_id()) {
            let who = signer(&primary.fingerprint());
            if sig.verify(primary, payload).is_err() {
                return Verdict::Bad(Some(who), CONTENT_MISMATCH.into());
            }
            return pgp_validity(cert, None, &sig, time, who, &pinned.origin);
        }
        for sub in &cert.public_subkeys {
            if is_issuer(sub.key.fingerprint(), sub.key.legacy_key_id()) {
                let who = signer(&sub.key.fingerprint());
                if sig.verify(&sub.key, payload).is_err() {
                    return Verdict::Bad(Some(who), CONTENT_MISMATCH.into());
                }
                return pgp_validity(cert, Some(sub), &sig, time, who, &pinned.origin);
            }
        }
    }
    Verdict::Untrusted(
        Signer {
            key: format!("OpenPGP key {issuer}"),
            principal: None,
        },
        "no pinned OpenPGP key made it".into(),
    )
}

/// Revocation, expiry (at the committer time), usage flags and creation times of the key that
/// made a valid signature, and the signature's own expiry.
fn pgp_validity(
    cert: &SignedPublicKey,
    sub: Option<&pgp::composed::SignedPublicSubKey>,
    sig: &pgp::packet::Signature,
    time: Option<i64>,
    who: Signer,
    origin: &str,
) -> Verdict {
    let untrusted = |why: String| Verdict::Untrusted(who.clone(), format!("{origin}: {why}"));
    if !cert.details.revocation_signatures.is_empty() {
        return untrusted("the key is revoked".into());
    }
    let at = time.unwrap_or(i64::MAX);
    let secs = |t: pgp::types::Timestamp| i64::from(t.as_secs());
    // `what` expired before the committer time, given its start and lifetime (0: forever).
    let expired = |what: &str, start: i64, lifetime: Option<pgp::types::Duration>| {
        let end = start + i64::from(lifetime?.as_secs());
        (end > start && at > end).then(|| {
            untrusted(format!(
                "{what} expired at {}, before the committer time {}",
                show_time(end),
                show_time(at)
            ))
        })
    };
    let made = sig.created().map(secs);
    if let Some(made) = made
        && let Some(v) = expired("the signature", made, sig.signature_expiration_time())
    {
        return v;
    }
    // The primary key's settings: its newest self-certification of a user id that is not
    // revoked, or its newest direct-key signature.
    let is_cert = |s: &&pgp::packet::Signature| {
        matches!(
            s.typ(),
            Some(
                SignatureType::CertGeneric
                    | SignatureType::CertPersona
                    | SignatureType::CertCasual
                    | SignatureType::CertPositive
                    | SignatureType::Key
            )
        )
    };
    let live_users = cert.details.users.iter().filter(|u| {
        !u.signatures
            .iter()
            .any(|s| s.typ() == Some(SignatureType::CertRevocation))
    });
    let settings = cert
        .details
        .direct_signatures
        .iter()
        .chain(live_users.flat_map(|u| u.signatures.iter()))
        .filter(is_cert)
        .max_by_key(|s| s.created().map(secs));
    let primary_created = secs(cert.primary_key.created_at());
    if let Some(v) = expired(
        "the key",
        primary_created,
        settings.and_then(|s| s.key_expiration_time()),
    ) {
        return v;
    }
    let signing_created = match sub {
        None => {
            if let Some(s) = settings
                && has_key_flags(s)
                && !s.key_flags().sign()
            {
                return untrusted("the primary key is not allowed to sign data".into());
            }
            primary_created
        }
        Some(sub) => {
            if sub
                .signatures
                .iter()
                .any(|s| s.typ() == Some(SignatureType::SubkeyRevocation))
            {
                return untrusted("the signing subkey is revoked".into());
            }
            let binding = sub
                .signatures
                .iter()
                .filter(|s| s.typ() == Some(SignatureType::SubkeyBinding))
                .max_by_key(|s| s.created().map(secs));
            let Some(binding) = binding else {
                return untrusted("the signing subkey has no binding signature".into());
            };
            if !binding.key_flags().sign() {
                return untrusted("the subkey that signed is not a signing subkey".into());
            }
            let sub_created = secs(sub.key.created_at());
            if let Some(v) = expired(
                "the signing subkey",
                sub_created,
                binding.key_expiration_time(),
            ) {
                return v;
            }
            sub_created
        }
    };
    if made.is_some_and(|m| m < signing_created) {
        return untrusted("the signature is older than the key that made it".into());
    }
    Verdict::Good(who)
}

/// Does a self-signature state key flags at all? (Keys from before key flags existed may sign.)
fn has_key_flags(sig: &pgp::packet::Signature) -> bool {
    sig.config().is_some_and(|c| {
        c.hashed_subpackets()
            .any(|p| matches!(p.data, pgp::packet::SubpacketData::KeyFlags(_)))
    })
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
