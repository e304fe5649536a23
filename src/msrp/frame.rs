//! MSRP frame parser (RFC 4975 §9). (in progress)
