//! Reading the small XML documents the PF meets (resource lists, conference-info) with
//! `quick-xml`: elements matched by local name, so any namespace prefix (`rl:entry`,
//! `ci:user`) or a default namespace is accepted; text and attribute values have their entity and
//! numeric character references (`&amp;`, `&#64;`, `&#x40;`) resolved.

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

/// An XML document that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed XML at byte {position}: {message}")]
pub struct XmlError {
    /// Offset in the document where reading stopped.
    pub position: u64,
    /// What was wrong, as the XML reader says it.
    pub message: String,
}

/// A reader over `xml` that checks end tags against start tags.
pub(crate) fn reader(xml: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_reader(xml.as_bytes());
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = true;
    reader
}

pub(crate) fn error(reader: &Reader<&[u8]>, message: impl ToString) -> XmlError {
    XmlError { position: reader.buffer_position(), message: message.to_string() }
}

/// The local name of an element (its name without the namespace prefix).
pub(crate) fn local_name(start: &BytesStart<'_>) -> Vec<u8> {
    start.local_name().as_ref().to_vec()
}

/// The value of the attribute whose local name is `name`, references resolved.
pub(crate) fn attribute(
    reader: &Reader<&[u8]>,
    start: &BytesStart<'_>,
    name: &str,
) -> Result<Option<String>, XmlError> {
    for attr in start.attributes() {
        let attr = attr.map_err(|e| error(reader, e))?;
        if attr.key.local_name().as_ref() == name.as_bytes() {
            return attr.unescape_value().map(|v| Some(v.into_owned())).map_err(|e| error(reader, e));
        }
    }
    Ok(None)
}

/// Appends the text of a text, CDATA or reference event to `out`; other events are ignored.
pub(crate) fn push_text(reader: &Reader<&[u8]>, event: &Event<'_>, out: &mut String) -> Result<(), XmlError> {
    match event {
        Event::Text(t) => out.push_str(&t.decode().map_err(|e| error(reader, e))?),
        Event::CData(t) => out.push_str(&t.decode().map_err(|e| error(reader, e))?),
        Event::GeneralRef(r) => out.push(resolve(reader, r)?),
        _ => {}
    }
    Ok(())
}

/// A character reference or one of XML's five predefined entities.
fn resolve(reader: &Reader<&[u8]>, r: &BytesRef<'_>) -> Result<char, XmlError> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| error(reader, e))? {
        return Ok(c);
    }
    let name = r.decode().map_err(|e| error(reader, e))?;
    quick_xml::escape::resolve_predefined_entity(&name)
        .and_then(|s| s.chars().next())
        .ok_or_else(|| error(reader, format!("unknown entity &{name};")))
}

/// The `uri` of every `entry` element of an RFC 4826 resource list, in order, at most `max`
/// of them (the first ones), trimmed, empty ones skipped.
pub(crate) fn resource_list_entries(xml: &str, max: usize) -> Result<Vec<String>, XmlError> {
    let mut reader = reader(xml);
    let mut uris = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| error(&reader, e))?;
        match event {
            Event::Start(ref start) if local_name(start) == b"entry" => {
                if uris.len() == max {
                    break;
                }
                if let Some(uri) = attribute(&reader, start, "uri")? {
                    let uri = uri.trim();
                    if !uri.is_empty() {
                        uris.push(uri.to_owned());
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(uris)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_with_any_prefix_and_references() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<rl:resource-lists xmlns:rl="urn:ietf:params:xml:ns:resource-lists" xmlns:cp="urn:ietf:params:xml:ns:copycontrol">
 <rl:list><rl:entry uri="sip:bob&#64;example.com" cp:copyControl="to"/>
 <rl:entry uri="tel:+33643209850"><rl:display-name>A &amp; B</rl:display-name></rl:entry>
 <entry uri='sip:c&#x40;x?a=1&amp;b=2'/><other uri="sip:no@x"/></rl:list></rl:resource-lists>"#;
        assert_eq!(
            resource_list_entries(xml, 10).unwrap(),
            ["sip:bob@example.com", "tel:+33643209850", "sip:c@x?a=1&b=2"]
        );
        assert_eq!(resource_list_entries(xml, 1).unwrap(), ["sip:bob@example.com"]);
    }

    #[test]
    fn malformed_lists_are_errors() {
        assert!(resource_list_entries("<list><entry uri=\"a\"></list>", 10).is_err());
        assert!(resource_list_entries("<list><entry uri=\"&bogus;\"/></list>", 10).is_err());
    }
}
