//! E-mail addresses as the server accepts them: exactly one bare mailbox (`user@domain`),
//! parsed with lettre's RFC 5322 address parser, lower-cased, within the RFC 5321 length
//! limits. No display names, no lists (commas), no angle brackets or quotes, no
//! whitespace or control characters: an address is written into mail headers and logs.

use entrepot_protocol::{ApiError, ErrorCode};

/// The longest address (RFC 5321: a path is 256 octets, 254 without the brackets).
const MAX_LEN: usize = 254;
/// The longest local part (RFC 5321 §4.5.3.1.1).
const MAX_LOCAL: usize = 64;

fn refused() -> ApiError {
    ApiError::new(ErrorCode::InvalidArgument, "not a valid e-mail address (one bare address: name@example.com)")
}

/// The normalized (lower-case) form of a client's e-mail address, or `InvalidArgument`.
pub fn parse(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_ascii_lowercase();
    if email.is_empty() || email.len() > MAX_LEN {
        return Err(refused());
    }
    if email.chars().any(|c| c.is_control() || c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '"' | '(' | ')' | '[' | ']' | '\\')) {
        return Err(refused());
    }
    let address: lettre::Address = email.parse().map_err(|_| refused())?;
    let (user, domain) = (address.user(), address.domain());
    if user.len() > MAX_LOCAL || !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err(refused());
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn one_bare_mailbox_only() {
        assert_eq!(parse(" Zoe@Example.com ").unwrap(), "zoe@example.com");
        assert_eq!(parse("admin@entrepot.local").unwrap(), "admin@entrepot.local");
        for bad in [
            "zoe@example.com\r\nBcc: eve@evil.example",
            "zoe@example.com\nSubject: hi",
            "zoe@example.com,eve@evil.example",
            "Zoe <zoe@example.com>",
            "\"zoe\"@example.com",
            "zoe@localhost",
            "zoe",
            "@example.com",
            "zoe@example.com;eve@evil.example",
            "zo e@example.com",
            "zoe@exa\u{0}mple.com",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse(&format!("{}@example.com", "a".repeat(65))).is_err());
        assert!(parse(&format!("a@{}.com", "b".repeat(260))).is_err());
    }
}
