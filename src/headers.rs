//! How a SIP stack hands its headers to the library without copying them.
//!
//! The library asks for a header by [`HeaderName`] (full and compact form, RFC 3261 §7.3.3) and
//! is shown every value of that header, in message order, across repeated header fields. A
//! value is one header *field* value as it appeared on the wire, not split at commas: the
//! grammars in [`crate::grammar`] split comma lists themselves, because commas may sit inside
//! quoted strings.
//!
//! Any stack implements [`SipHeaders`] for its own message type; `[(&str, &str)]` slices and
//! arrays of name/value pairs implement it out of the box:
//!
//! ```
//! use cpm_pf::headers::{names, SipHeaders};
//!
//! let headers = [
//!     ("Reason", "SIP;cause=503"),
//!     ("Via", "SIP/2.0/TCP 192.0.2.10"),
//!     ("reason", "Q.850;cause=38"),
//! ];
//! let mut seen = Vec::new();
//! headers.for_each(&names::REASON, &mut |v| {
//!     seen.push(v);
//!     core::ops::ControlFlow::Continue(())
//! });
//! assert_eq!(seen, ["SIP;cause=503", "Q.850;cause=38"]);
//! ```

use core::ops::ControlFlow;

/// A SIP header name: its full form and, where RFC 3261 or an extension defines one, its
/// compact form. Both are matched without regard to case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderName {
    /// The full name, e.g. `Accept-Contact`.
    pub full: &'static str,
    /// The compact name, e.g. `a`, if there is one.
    pub compact: Option<&'static str>,
}

impl HeaderName {
    /// `true` when `name` is this header's full or compact name (case-insensitive).
    ///
    /// This runs for every header field of a message on every look-up, so it first compares
    /// lengths: most names are rejected without reading a byte, and `trim` only runs for a name
    /// with whitespace at either end.
    #[inline]
    pub fn matches(&self, name: &str) -> bool {
        let name = if has_space_at_an_end(name.as_bytes()) { name.trim() } else { name };
        self.matches_trimmed(name)
    }

    /// [`HeaderName::matches`] for a name already trimmed.
    #[inline]
    fn matches_trimmed(&self, name: &str) -> bool {
        let is = |candidate: &str| {
            name.len() == candidate.len()
                && crate::grammar::eq_ignore_case(name.as_bytes(), candidate.as_bytes())
        };
        is(self.full) || self.compact.is_some_and(is)
    }
}

/// `true` when `name` may begin or end with whitespace `str::trim` removes: an ASCII space or
/// control at an end, or any non-ASCII byte there (Unicode whitespace is multi-byte).
#[inline]
fn has_space_at_an_end(name: &[u8]) -> bool {
    name.first().is_some_and(|&b| is_suspect(b)) || name.last().is_some_and(|&b| is_suspect(b))
}

/// An ASCII space or control, or a non-ASCII byte: everything outside `!` ..= `~`.
#[inline]
fn is_suspect(b: u8) -> bool {
    b.wrapping_sub(b'!') > b'~' - b'!'
}

/// A one-word filter of header names by length and first letter, for [`SipHeaders::for_each_of`]
/// on slices: a name whose bit is clear equals none of the names the filter was built from, so
/// most fields of a message are passed over without comparing a byte. Names equal without regard
/// to ASCII case always share a bit (the key folds case); different names may share one too.
#[derive(Clone, Copy)]
struct NameFilter(u64);

impl NameFilter {
    fn new(names: &[HeaderName]) -> NameFilter {
        let mut bits = 0u64;
        for name in names {
            bits |= NameFilter::bit(name.full.as_bytes());
            if let Some(compact) = name.compact {
                bits |= NameFilter::bit(compact.as_bytes());
            }
        }
        NameFilter(bits)
    }

    /// The name's bit: the low three bits of its length and of its first byte. `| 0x20` folds
    /// ASCII case and leaves `& 7` of any byte unchanged, so it is not needed here.
    #[inline]
    fn bit(name: &[u8]) -> u64 {
        let first = name.first().copied().unwrap_or(0);
        1u64 << (((name.len() & 7) << 3) | usize::from(first & 7))
    }

    #[inline]
    fn may_hold(self, name: &[u8]) -> bool {
        self.0 & NameFilter::bit(name) != 0
    }
}

/// The header names the library looks up.
pub mod names {
    use super::HeaderName;

    macro_rules! header {
        ($(#[$doc:meta])* $id:ident, $full:literal) => {
            $(#[$doc])* pub const $id: HeaderName = HeaderName { full: $full, compact: None };
        };
        ($(#[$doc:meta])* $id:ident, $full:literal, $compact:literal) => {
            $(#[$doc])* pub const $id: HeaderName = HeaderName { full: $full, compact: Some($compact) };
        };
    }

    header!(/// `Reason` (RFC 3326); no compact form.
        REASON, "Reason");
    header!(/// `Accept-Contact` (RFC 3841), compact `a`.
        ACCEPT_CONTACT, "Accept-Contact", "a");
    header!(/// `P-Asserted-Service` (RFC 6050).
        P_ASSERTED_SERVICE, "P-Asserted-Service");
    header!(/// `P-Preferred-Service` (RFC 6050).
        P_PREFERRED_SERVICE, "P-Preferred-Service");
    header!(/// `Event` (RFC 6665), compact `o`.
        EVENT, "Event", "o");
    header!(/// `Session-Expires` (RFC 4028), compact `x`.
        SESSION_EXPIRES, "Session-Expires", "x");
    header!(/// `Min-SE` (RFC 4028).
        MIN_SE, "Min-SE");
    header!(/// `From` (RFC 3261), compact `f`.
        FROM, "From", "f");
    header!(/// `To` (RFC 3261), compact `t`.
        TO, "To", "t");
    header!(/// `Subject` (RFC 3261), compact `s`.
        SUBJECT, "Subject", "s");
    header!(/// `Date` (RFC 3261).
        DATE, "Date");
    header!(/// `Content-Type` (RFC 3261), compact `c`.
        CONTENT_TYPE, "Content-Type", "c");
    header!(/// `Refer-To` (RFC 3515), compact `r`.
        REFER_TO, "Refer-To", "r");
    header!(/// `Referred-By` (RFC 3892), compact `b`.
        REFERRED_BY, "Referred-By", "b");
    header!(/// `P-Asserted-Identity` (RFC 3325).
        P_ASSERTED_IDENTITY, "P-Asserted-Identity");
    header!(/// `Conversation-ID` (OMA CPM Appendix C).
        CONVERSATION_ID, "Conversation-ID");
    header!(/// `Contribution-ID` (OMA CPM Appendix C).
        CONTRIBUTION_ID, "Contribution-ID");
    header!(/// `InReplyTo-Contribution-ID` (OMA CPM Appendix C).
        IN_REPLY_TO_CONTRIBUTION_ID, "InReplyTo-Contribution-ID");
    header!(/// `Message-UID` (OMA CPM): the Message Store UID in a 200 OK to a file-transfer BYE.
        MESSAGE_UID, "Message-UID");
}

/// Read access to a SIP message's headers.
///
/// `for_each` calls `f` with every value of the header `name` (full or compact form, any case),
/// in the order the header fields appear in the message, and stops early when `f` returns
/// [`ControlFlow::Break`]. The values borrow from the message, so nothing is copied.
pub trait SipHeaders {
    /// Visits every value of header `name` in message order.
    fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>);

    /// The first value of header `name`, if any.
    fn first<'s>(&'s self, name: &HeaderName) -> Option<&'s str> {
        let mut found = None;
        self.for_each(name, &mut |v| {
            found = Some(v);
            ControlFlow::Break(())
        });
        found
    }

    /// `true` when the message has at least one `name` header.
    fn contains(&self, name: &HeaderName) -> bool {
        self.first(name).is_some()
    }

    /// Visits every value of every header in `names`, with the position in `names` of the name
    /// it matched, and stops when `f` returns [`ControlFlow::Break`]. Values of one name come in
    /// message order; how values of different names interleave is up to the implementation.
    ///
    /// The default calls [`SipHeaders::for_each`] once per name. An implementation that can walk
    /// its fields once should do so: the terminating dispatch asks for four headers at a time.
    fn for_each_of<'s>(&'s self, names: &[HeaderName], f: &mut dyn FnMut(usize, &'s str) -> ControlFlow<()>) {
        for (i, name) in names.iter().enumerate() {
            let mut stopped = false;
            self.for_each(name, &mut |v| {
                let flow = f(i, v);
                stopped = flow.is_break();
                flow
            });
            if stopped {
                return;
            }
        }
    }
}

/// Name/value pairs, borrowed or owned: one walk for both.
///
/// Trimming only shortens a name, so a field name shorter than both forms of `name` is passed
/// over on its length alone (`Via`, `To`, `From`, `CSeq` when looking for `Reason`).
fn pairs_for_each<'s, N: AsRef<str>, V: AsRef<str>>(
    pairs: &'s [(N, V)],
    name: &HeaderName,
    f: &mut dyn FnMut(&'s str) -> ControlFlow<()>,
) {
    let shortest = name.compact.map_or(name.full.len(), |c| c.len().min(name.full.len()));
    for (n, v) in pairs {
        let n = n.as_ref();
        if n.len() >= shortest && name.matches(n) && f(v.as_ref()).is_break() {
            return;
        }
    }
}

impl<'v> SipHeaders for [(&'v str, &'v str)] {
    fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>) {
        pairs_for_each(self, name, f)
    }

    /// One walk over the fields. A name with whitespace (or anything but a visible ASCII byte)
    /// at an end is compared as it is, then trimmed if it matched nothing; any other name is
    /// compared only when `NameFilter` lets it through (its length and first byte are those
    /// of a wanted name), so most fields are passed over after reading two bytes of their name.
    fn for_each_of<'s>(&'s self, names: &[HeaderName], f: &mut dyn FnMut(usize, &'s str) -> ControlFlow<()>) {
        pairs_for_each_of(self, names, f)
    }
}

/// Owned name/value pairs, as a stack that copies its headers hands them over.
impl SipHeaders for [(String, String)] {
    fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>) {
        pairs_for_each(self, name, f)
    }

    fn for_each_of<'s>(&'s self, names: &[HeaderName], f: &mut dyn FnMut(usize, &'s str) -> ControlFlow<()>) {
        pairs_for_each_of(self, names, f)
    }
}

impl SipHeaders for Vec<(String, String)> {
    fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>) {
        self.as_slice().for_each(name, f)
    }

    fn for_each_of<'s>(&'s self, names: &[HeaderName], f: &mut dyn FnMut(usize, &'s str) -> ControlFlow<()>) {
        self.as_slice().for_each_of(names, f)
    }
}

fn pairs_for_each_of<'s, N: AsRef<str>, V: AsRef<str>>(
    pairs: &'s [(N, V)],
    names: &[HeaderName],
    f: &mut dyn FnMut(usize, &'s str) -> ControlFlow<()>,
) {
    {
        let filter = NameFilter::new(names);
        for (n, v) in pairs {
            let (n, v) = (n.as_ref(), v.as_ref());
            let bytes = n.as_bytes();
            let found = if has_space_at_an_end(bytes) {
                names.iter().position(|name| name.matches_trimmed(n)).or_else(|| {
                    let n = n.trim();
                    names.iter().position(|name| name.matches_trimmed(n))
                })
            } else if filter.may_hold(bytes) {
                names.iter().position(|name| name.matches_trimmed(n))
            } else {
                None
            };
            if let Some(i) = found {
                if f(i, v).is_break() {
                    return;
                }
            }
        }
    }
}

impl<'v, const N: usize> SipHeaders for [(&'v str, &'v str); N] {
    fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>) {
        self.as_slice().for_each(name, f)
    }

    fn for_each_of<'s>(&'s self, names: &[HeaderName], f: &mut dyn FnMut(usize, &'s str) -> ControlFlow<()>) {
        self.as_slice().for_each_of(names, f)
    }
}

impl<'v> SipHeaders for Vec<(&'v str, &'v str)> {
    fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>) {
        self.as_slice().for_each(name, f)
    }

    fn for_each_of<'s>(&'s self, names: &[HeaderName], f: &mut dyn FnMut(usize, &'s str) -> ControlFlow<()>) {
        self.as_slice().for_each_of(names, f)
    }
}

/// A reference to headers is headers: `&[(..)]` slices can be handed over as `&dyn SipHeaders`.
impl<T: SipHeaders + ?Sized> SipHeaders for &T {
    fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>) {
        (**self).for_each(name, f)
    }

    fn for_each_of<'s>(&'s self, names: &[HeaderName], f: &mut dyn FnMut(usize, &'s str) -> ControlFlow<()>) {
        (**self).for_each_of(names, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn owned_pairs_and_references_are_headers() {
        let owned: Vec<(String, String)> =
            vec![("Reason".into(), "SIP;cause=200".into()), ("x".into(), "90".into())];
        assert_eq!(owned.first(&names::REASON), Some("SIP;cause=200"));
        assert_eq!(owned.first(&names::SESSION_EXPIRES), Some("90"));
        let slice: &[(&str, &str)] = &[("Event", "conference")];
        let dynamic: &dyn SipHeaders = &slice;
        assert_eq!(dynamic.first(&names::EVENT), Some("conference"));
    }

    #[test]
    fn compact_and_full_forms_match_in_any_case() {
        let h = [("a", "*;audio"), ("ACCEPT-CONTACT", "*;video"), ("Accept-Contacts", "no")];
        let mut seen = Vec::new();
        h.for_each(&names::ACCEPT_CONTACT, &mut |v| {
            seen.push(v);
            ControlFlow::Continue(())
        });
        assert_eq!(seen, ["*;audio", "*;video"]);
        assert_eq!(h.first(&names::ACCEPT_CONTACT), Some("*;audio"));
        assert!(!h.contains(&names::REASON));
    }

    /// Only `for_each`: uses the trait's default `for_each_of`.
    struct PerName<'a>(&'a [(&'a str, &'a str)]);

    impl SipHeaders for PerName<'_> {
        fn for_each<'s>(&'s self, name: &HeaderName, f: &mut dyn FnMut(&'s str) -> ControlFlow<()>) {
            self.0.for_each(name, f)
        }
    }

    #[test]
    fn for_each_of_is_for_each_per_name() {
        let h = [("a", "1"), (" Event ", "2"), ("x", "3"), ("Accept-Contact", "4"), ("o", "5"), ("t", "6")];
        let names = [names::ACCEPT_CONTACT, names::EVENT, names::SESSION_EXPIRES, names::REASON];
        let mut one_pass = Vec::new();
        h.for_each_of(&names, &mut |i, v| {
            one_pass.push((i, v));
            ControlFlow::Continue(())
        });
        let per = PerName(&h);
        let mut per_name = Vec::new();
        per.for_each_of(&names, &mut |i, v| {
            per_name.push((i, v));
            ControlFlow::Continue(())
        });
        assert_eq!(one_pass, [(0, "1"), (1, "2"), (2, "3"), (0, "4"), (1, "5")]);
        per_name.sort();
        one_pass.sort();
        assert_eq!(one_pass, per_name);
        // Break stops both.
        let mut n = 0;
        h.for_each_of(&names, &mut |_, _| {
            n += 1;
            ControlFlow::Break(())
        });
        per.for_each_of(&names, &mut |_, _| {
            n += 1;
            ControlFlow::Break(())
        });
        assert_eq!(n, 2);
    }

    proptest! {
        /// The filtered walk of slices finds what one `for_each` per name finds.
        #[test]
        fn for_each_of_filters_nothing_wanted(
            fields in proptest::collection::vec(
                prop_oneof![
                    proptest::sample::select(vec![
                        "Accept-Contact", "accept-CONTACT", "a", "A", " a", "Event", "EVENT\t", "o", "O",
                        " o ", "P-Asserted-Service", "p-preferred-service", "P-Preferred-Service\r\n",
                        "\u{a0}Event", "Event\u{2003}", "Reason", "Contact", "Allow", "Content-Length",
                        "", " ", "e", "x", "Accept-Contacts", "\u{e9}vent",
                    ]).prop_map(String::from),
                    "[ -~]{0,20}",
                    "[aAeEoOpP\\- \t]{0,4}",
                ],
                0..12,
            ),
            with_empty in proptest::bool::ANY,
        ) {
            let indexed: Vec<(String, String)> =
                fields.into_iter().enumerate().map(|(i, n)| (n, i.to_string())).collect();
            let h: Vec<(&str, &str)> = indexed.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let mut names = vec![
                names::ACCEPT_CONTACT, names::P_ASSERTED_SERVICE, names::P_PREFERRED_SERVICE, names::EVENT,
            ];
            if with_empty {
                names.push(HeaderName { full: "", compact: Some("e") });
            }
            let mut one_pass = Vec::new();
            h.for_each_of(&names, &mut |i, v| {
                one_pass.push((i, v));
                ControlFlow::Continue(())
            });
            let mut per_name = Vec::new();
            let per = PerName(&h);
            per.for_each_of(&names, &mut |i, v| {
                per_name.push((i, v));
                ControlFlow::Continue(())
            });
            per_name.sort_by_key(|&(i, v)| (i, v.parse::<usize>().unwrap_or(0)));
            one_pass.sort_by_key(|&(i, v)| (i, v.parse::<usize>().unwrap_or(0)));
            prop_assert_eq!(one_pass, per_name);
        }
    }

    #[test]
    fn break_stops_the_visit() {
        let h = [("x", "90"), ("Session-Expires", "120")];
        let mut n = 0;
        h.for_each(&names::SESSION_EXPIRES, &mut |_| {
            n += 1;
            ControlFlow::Break(())
        });
        assert_eq!(n, 1);
    }
}
