//! SSH signatures (SSHSIG): git's `allowed_signers` format (principals, options, validity
//! windows) and verification in namespace `git`.

use super::*;

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
pub(super) fn field(s: &str) -> Result<(&str, &str), String> {
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

/// Split off the principals field as ssh-keygen does (`strdelimw`): up to the first
/// whitespace or quote; a quote opens a quoted part that runs to the next quote and ends the
/// field, both quotes dropped (`a,"B c" key` gives `a,B c`).
pub(super) fn principals_field(s: &str) -> Result<(String, &str), String> {
    const WHITESPACE: [char; 4] = [' ', '\t', '\r', '\n'];
    match s.find(|c: char| WHITESPACE.contains(&c) || c == '"') {
        None => Ok((s.to_string(), "")),
        Some(i) if s[i..].starts_with('"') => {
            let inside = &s[i + 1..];
            let j = inside
                .find('"')
                .ok_or_else(|| "a quote is not closed".to_string())?;
            Ok((
                format!("{}{}", &s[..i], &inside[..j]),
                inside[j + 1..].trim_start_matches(WHITESPACE),
            ))
        }
        Some(i) => Ok((s[..i].to_string(), s[i..].trim_start_matches(WHITESPACE))),
    }
}

pub(super) fn parse_signer_line(line: &str, origin: &str) -> Result<AllowedSigner, String> {
    let (principals, rest) = principals_field(line)?;
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
pub(super) fn split_options(options: &str) -> Result<Vec<String>, String> {
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

pub(super) fn unquote(v: &str) -> Result<String, String> {
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
pub(super) fn parse_time(text: &str) -> Result<i64, String> {
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
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// OpenSSH's pattern lists: comma-separated `*`/`?` globs, `!` negates and wins.
pub(super) fn match_pattern_list(candidate: &str, list: &str) -> bool {
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
pub(super) fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
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

pub(super) fn verify_ssh(payload: &[u8], armored: &str, time: Option<i64>, keys: &Keys) -> Verdict {
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
pub(super) fn show_time(secs: i64) -> String {
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
