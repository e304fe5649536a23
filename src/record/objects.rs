//! Message Store objects rendered as RFC 5322 messages (REC-1). (in progress)
