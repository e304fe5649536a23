//! The MSRP `Byte-Range` header (RFC 4975 §9): `range-start "-" range-end "/" total`.
//! (in progress)

/// A parsed `Byte-Range` value. Positions are 1-based and inclusive, as in RFC 4975.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// Position of the chunk's first byte in the whole message (1-based).
    pub start: u64,
    /// Position of the chunk's last byte, or `None` for `*` (unknown / interruptible).
    pub end: Option<u64>,
    /// Size of the whole message, or `None` for `*`.
    pub total: Option<u64>,
}

impl ByteRange {
    /// Parses a `Byte-Range` value such as `1-25/25`, `1-*/8` or `5-*/*`.
    pub fn parse(_s: &str) -> Result<ByteRange, super::GrammarError> {
        todo!("byte-range grammar")
    }
}
