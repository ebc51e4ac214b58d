//! OpenPGP signatures: armored public keys, issuer lookup, verification, and the key's
//! validity (revocation, expiry, usage flags) at the committer time.

use super::*;

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

pub(super) fn parse_pgp_block(text: &str, origin: &str) -> Result<Vec<PgpKey>, String> {
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
pub(super) fn issued_by(
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

pub(super) fn verify_pgp(payload: &[u8], armored: &str, time: Option<i64>, keys: &Keys) -> Verdict {
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
pub(super) fn pgp_validity(
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
pub(super) fn has_key_flags(sig: &pgp::packet::Signature) -> bool {
    sig.config().is_some_and(|c| {
        c.hashed_subpackets()
            .any(|p| matches!(p.data, pgp::packet::SubpacketData::KeyFlags(_)))
    })
}
