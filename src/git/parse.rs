//! Small parsers of git's text formats, written once.

/// Is every byte a lowercase hex digit (git's spelling of object ids)?
pub fn is_lower_hex(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// A full object id in lowercase hex: 40 (SHA-1) or 64 (SHA-256) digits.
pub fn is_full_hex(text: &str) -> bool {
    (text.len() == 40 || text.len() == 64) && is_lower_hex(text.as_bytes())
}

/// The seconds of an identity as a commit header holds it, `Name <email> 1700000000 +0000`:
/// the first word after the email's closing `>`.
pub fn identity_seconds(ident: &[u8]) -> Option<i64> {
    let close = ident.iter().rposition(|b| *b == b'>')?;
    let text = std::str::from_utf8(&ident[close + 1..]).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_times() {
        assert!(is_full_hex(&"a".repeat(40)));
        assert!(is_full_hex(&"0".repeat(64)));
        assert!(!is_full_hex(&"A".repeat(40)));
        assert!(!is_full_hex(&"a".repeat(41)));
        assert_eq!(
            identity_seconds(b"Kargo <no-reply@kargo.io> 1700000000 +0000"),
            Some(1_700_000_000)
        );
        assert_eq!(identity_seconds(b"A <b> -5 +0100"), Some(-5));
        assert_eq!(identity_seconds(b"A <b>"), None);
        assert_eq!(identity_seconds(b"no email 12 +0000"), None);
    }
}
