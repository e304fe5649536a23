//! Identities as RFC 5322 parsers read them (MS-7), phone-number URIs as `tel:+E164` (MS-8).
//!
//! - An identity is written as an RFC 5322 `name-addr` whose `addr-spec` is the URI with its
//!   scheme and user part as a quoted local part: `<"sip:+33612345678"@ims.example.com>`,
//!   `"Bob" <"sip:bob"@example.com>`. A SIP URI is not an `addr-spec` (`sip:` reads as a group
//!   name: Dovecot's ENVELOPE gave `sip@SYNTAX_ERROR`, Python's `email` the address `sip`, in
//!   `tests/imap/run.sh`), and `<tel:+33…>` has no `@`, so IMAP ENVELOPE lost the number. URI
//!   parameters (`;user=phone`) are left out of the address; a URI without a host (`tel:`) gets
//!   its `phone-context` as the domain, else the reserved `tel.invalid` (RFC 2606).
//! - A display name of printable ASCII is a quoted string (`"` and `\` escaped); one with other
//!   characters is a run of RFC 2047 encoded-words `=?UTF-8?B?…?=`, each at most 75 characters
//!   (§2) and cut at character boundaries (§5 rule 3), never inside quotes (§5 rule 3).
//! - An empty identity is the withheld one: `anonymous` in `oma` (OMA CPM MS), and in `rcs` the
//!   anonymous URI `<sip:anonymous@anonymous.invalid>` (RFC 3323 §4.1.1.3; rcsjta's `ANONYMOUS`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::fold::sanitize_value;
use super::profile::Profile;

/// The anonymous URI (RFC 3323 §4.1.1.3).
pub const ANONYMOUS_URI: &str = "sip:anonymous@anonymous.invalid";

/// Longest UTF-8 run per encoded-word: 45 octets give 60 base64 characters, 72 in all.
const WORD_OCTETS: usize = 45;

/// `value` (`uri`, `<uri>`, `Name <uri>` or `"Name" <uri>`, as taken from SIP or CPIM) as an
/// RFC 5322 `name-addr` for `From`/`To`.
///
/// ```
/// use cpm_pf::objects::{identity, Profile};
/// assert_eq!(identity("tel:+33643209850", Profile::Rcs), "<\"tel:+33643209850\"@tel.invalid>");
/// assert_eq!(identity("Bob <sip:bob@x>", Profile::Oma), "\"Bob\" <\"sip:bob\"@x>");
/// assert_eq!(
///     identity("<sip:+33612345678@ims.example.com;user=phone>", Profile::Rcs),
///     "<\"sip:+33612345678\"@ims.example.com>"
/// );
/// assert_eq!(identity("\"Zoé\" <tel:+1>", Profile::Rcs), "=?UTF-8?B?Wm/DqQ==?= <\"tel:+1\"@tel.invalid>");
/// ```
pub fn identity(value: &str, profile: Profile) -> String {
    let value = sanitize_value(value);
    let (name, uri) = split_name_addr(value.trim());
    if uri.is_empty() {
        return match profile {
            Profile::Oma => "anonymous".to_owned(),
            _ => {
                let mut out = String::from("<");
                addr_spec(&mut out, ANONYMOUS_URI);
                out.push('>');
                out
            }
        };
    }
    let mut out = String::with_capacity(value.len() + 16);
    if !name.is_empty() {
        display_name(&mut out, &name);
        out.push(' ');
    }
    out.push('<');
    addr_spec(&mut out, uri);
    out.push('>');
    out
}

/// The domain of a URI without a host (RFC 2606's reserved `.invalid`).
const NO_HOST: &str = "tel.invalid";

/// `uri` as an RFC 5322 `addr-spec`: `"scheme:user"@host` (a quoted local part, `"` and `\`
/// escaped), the URI's parameters and headers left out.
fn addr_spec(out: &mut String, uri: &str) {
    // `<`, `>` and white space cannot be part of the URI inside the brackets.
    let uri: String = uri.chars().filter(|c| !matches!(c, '<' | '>') && !c.is_whitespace()).collect();
    let (user_part, host) = match uri.rfind('@') {
        Some(at) => {
            let host = &uri[at + 1..];
            (&uri[..at], host.split([';', '?']).next().unwrap_or(host))
        }
        None => {
            let (number, params) = uri.split_once(';').unwrap_or((&uri, ""));
            let context = params.split(';').find_map(|p| p.strip_prefix("phone-context="));
            // RFC 3966: a phone-context is a domain name, or global digits (`+1`), not a domain.
            (number, context.filter(|c| !c.starts_with('+') && is_domain(c)).unwrap_or(NO_HOST))
        }
    };
    let host = if is_domain(host) { host } else { NO_HOST };
    out.push('"');
    for c in user_part.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push_str("\"@");
    out.push_str(host);
}

/// `true` for a host an RFC 5322 `dot-atom` domain (or a domain literal) can carry.
fn is_domain(host: &str) -> bool {
    !host.is_empty()
        && (host.starts_with('[')
            && host.ends_with(']')
            && !host[1..host.len() - 1].contains(['[', ']', '\\'])
            || host.split('.').all(|label| {
                !label.is_empty()
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || "-_!#$%&'*+/=?^`{|}~".contains(c))
            }))
}

/// The display name (unquoted, unescaped) and URI of a `name-addr` or bare URI.
pub(crate) fn split_name_addr(v: &str) -> (String, &str) {
    match angle_addr(v) {
        Some((at, uri)) => (unquote(v[..at].trim()), uri),
        None => (String::new(), v),
    }
}

/// Where the `<` of a `name-addr` stands (a `<` inside a quoted display name is not it) and
/// the URI between it and the `>` (or the end), trimmed; `None` for a bare URI.
pub(crate) fn angle_addr(v: &str) -> Option<(usize, &str)> {
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in v.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => {
                let inner = &v[i + 1..];
                return Some((i, inner.split('>').next().unwrap_or(inner).trim()));
            }
            _ => {}
        }
    }
    None
}

/// A display name with its quotes and quoted-pair escapes removed.
fn unquote(name: &str) -> String {
    let Some(inner) = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) else {
        return name.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next().unwrap_or('\\') } else { c });
    }
    out
}

/// Appends `name` as a quoted string, or as encoded-words when it is not printable ASCII.
fn display_name(out: &mut String, name: &str) {
    if name.bytes().all(|b| (0x20..0x7F).contains(&b)) {
        out.push('"');
        for c in name.chars() {
            if matches!(c, '"' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        return;
    }
    let mut rest = name;
    let mut first = true;
    while !rest.is_empty() {
        let mut cut = rest.len().min(WORD_OCTETS);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if !first {
            out.push(' ');
        }
        first = false;
        out.push_str("=?UTF-8?B?");
        out.push_str(&STANDARD.encode(&rest.as_bytes()[..cut]));
        out.push_str("?=");
        rest = &rest[cut..];
    }
}

/// The `tel:+E164` form of a phone-number URI: `tel:+E164` (parameters such as
/// `;phone-context` dropped) or `sip:`/`sips:` `+E164@host` with `user=phone` (RFC 3261
/// §19.1.1); RFC 3966 visual separators (`-`, `.`, `(`, `)`) are removed. `None` for any other
/// URI. The URI may be given in `<…>`, with a display name.
///
/// ```
/// use cpm_pf::objects::phone_number;
/// assert_eq!(phone_number("sip:+33612345678@ims.example;user=phone").as_deref(), Some("tel:+33612345678"));
/// assert_eq!(phone_number("<tel:+1-613-555-1210>").as_deref(), Some("tel:+16135551210"));
/// assert_eq!(phone_number("sip:alice@example.com"), None);
/// ```
pub fn phone_number(uri: &str) -> Option<String> {
    let (_, uri) = split_name_addr(uri.trim());
    let scheme_end = uri.find(':')?;
    let (scheme, rest) = (&uri[..scheme_end], &uri[scheme_end + 1..]);
    let number = if scheme.eq_ignore_ascii_case("tel") {
        rest.split(';').next().unwrap_or("")
    } else if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
        let (user, host) = rest.split_once('@')?;
        let user_phone = host.split(';').skip(1).any(|p| {
            p.split_once('=')
                .is_some_and(|(n, v)| n.trim().eq_ignore_ascii_case("user") && v.trim() == "phone")
        });
        if !user_phone {
            return None;
        }
        user.split(';').next().unwrap_or("")
    } else {
        return None;
    };
    let digits = number.strip_prefix('+')?;
    let digits: String = digits.chars().filter(|c| !matches!(c, '-' | '.' | '(' | ')')).collect();
    let ok = (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| format!("tel:+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities() {
        // RFC 5322 §3.4.1: the scheme and user part as a quoted local part, the parameters out.
        assert_eq!(
            identity("sip:+33643209850@ims.mnc001.mcc208.3gppnetwork.org;user=phone", Profile::Rcs),
            "<\"sip:+33643209850\"@ims.mnc001.mcc208.3gppnetwork.org>"
        );
        assert_eq!(identity("<tel:+1>", Profile::Oma), "<\"tel:+1\"@tel.invalid>");
        assert_eq!(identity("<tel:+1;phone-context=example.com>", Profile::Oma), "<\"tel:+1\"@example.com>");
        assert_eq!(identity("<tel:5551234;phone-context=+1>", Profile::Oma), "<\"tel:5551234\"@tel.invalid>");
        assert_eq!(identity("\"A \\\"B\\\" C\" <sip:a@x>", Profile::Rcs), "\"A \\\"B\\\" C\" <\"sip:a\"@x>");
        assert_eq!(identity("<sip:a\"b@x>", Profile::Rcs), "<\"sip:a\\\"b\"@x>");
        assert_eq!(identity("<sip:a@bad host!>", Profile::Rcs), "<\"sip:a\"@badhost!>");
        assert_eq!(identity("<sip:a@[2001:db8::1]>", Profile::Rcs), "<\"sip:a\"@[2001:db8::1]>");
        assert_eq!(identity("", Profile::Rcs), "<\"sip:anonymous\"@anonymous.invalid>");
        assert_eq!(identity("  ", Profile::Oma), "anonymous");
        // RFC 2047 §8 style: one encoded-word per at most 45 octets, each ≤ 75 characters.
        let long = identity(&format!("\"{}\" <tel:+1>", "é".repeat(40)), Profile::Rcs);
        let words: Vec<&str> = long.split(' ').collect();
        assert_eq!(words.len(), 3, "{long}");
        assert!(words[..2].iter().all(|w| w.len() <= 75 && w.starts_with("=?UTF-8?B?") && w.ends_with("?=")));
    }

    #[test]
    fn phone_numbers() {
        assert_eq!(phone_number("tel:+33643209850;phone-context=x").as_deref(), Some("tel:+33643209850"));
        assert_eq!(phone_number("sip:+33643209850@ims;user=phone").as_deref(), Some("tel:+33643209850"));
        assert_eq!(phone_number("\"Bob\" <sip:+1613@x;user=phone>").as_deref(), Some("tel:+1613"));
        assert_eq!(phone_number("sip:+33643209850@ims"), None);
        assert_eq!(phone_number("tel:0643209850"), None);
        assert_eq!(phone_number("tel:+1234567890123456"), None);
        assert_eq!(phone_number("tel:+"), None);
        assert_eq!(phone_number(""), None);
    }
}
