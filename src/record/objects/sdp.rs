//! The file description of a file transfer's SDP (RFC 5547) for the File Transfer History object
//! (MS-6): the `a=file-selector` attribute parsed, and the lines that describe the file.

/// The `a=file-selector` attribute of RFC 5547 §6:
/// `file-selector [":" selector *(SP selector)]`, each selector one of `name:"…"`, `type:…`,
/// `size:…` and `hash:…`. Unknown selectors are skipped; values are kept as written (the name's
/// percent-encoding included).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FileSelector {
    /// `name:"…"`: the file name, without the quotes.
    pub name: Option<String>,
    /// `type:…`: the MIME type, with its `;` parameters.
    pub media_type: Option<String>,
    /// `size:…`: the size in octets.
    pub size: Option<u64>,
    /// `hash:…`: `algorithm:value`.
    pub hash: Option<String>,
}

impl FileSelector {
    /// The `a=file-selector` of the first media section of `sdp` that has one; `None` when
    /// there is none. Line ends may be CRLF or LF.
    ///
    /// ```
    /// use cpm_pf::objects::FileSelector;
    /// let sdp = "m=message 7654 TCP/MSRP *\r\na=file-selector:name:\"My picture.jpg\" type:image/jpeg size:4092\r\n";
    /// let fs = FileSelector::from_sdp(sdp).unwrap();
    /// assert_eq!(fs.name.as_deref(), Some("My picture.jpg"));
    /// assert_eq!(fs.media_type.as_deref(), Some("image/jpeg"));
    /// assert_eq!(fs.size, Some(4092));
    /// ```
    pub fn from_sdp(sdp: &str) -> Option<FileSelector> {
        sdp.lines()
            .find_map(|l| l.trim_end_matches('\r').strip_prefix("a=file-selector"))
            .map(|v| FileSelector::parse(v.strip_prefix(':').unwrap_or("")))
    }

    /// Parses the attribute value (after `a=file-selector:`).
    pub fn parse(value: &str) -> FileSelector {
        let mut fs = FileSelector::default();
        let mut rest = value.trim();
        while !rest.is_empty() {
            let (selector, after) = next_selector(rest);
            rest = after.trim_start();
            let Some((key, v)) = selector.split_once(':') else { continue };
            match key {
                "name" => fs.name = Some(v.trim_matches('"').to_owned()),
                "type" => fs.media_type = Some(v.to_owned()),
                "size" => fs.size = v.parse().ok(),
                "hash" => fs.hash = Some(v.to_owned()),
                _ => {}
            }
        }
        fs
    }
}

/// The first selector of `s` and the rest: a selector ends at a space outside double quotes
/// (a `name` and a `type` parameter may hold spaces inside quotes).
fn next_selector(s: &str) -> (&str, &str) {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => return (&s[..i], &s[i..]),
            _ => {}
        }
    }
    (s, "")
}

/// The lines of `sdp` that describe the transferred file, in order, CRLF-terminated, as the OMA
/// example's `<sdp>` shows them: `i=`, the direction (`a=sendonly`, `a=recvonly`), and the
/// RFC 5547 attributes `a=file-selector`, `a=file-disposition`, `a=file-date`,
/// `a=file-transfer-id`, `a=file-icon` and `a=file-range`. Empty when none is there.
pub fn file_description(sdp: &str) -> String {
    const KEPT: [&str; 9] = [
        "i=",
        "a=sendonly",
        "a=recvonly",
        "a=file-selector",
        "a=file-disposition",
        "a=file-date",
        "a=file-transfer-id",
        "a=file-icon",
        "a=file-range",
    ];
    let mut out = String::new();
    for line in sdp.lines().map(|l| l.trim_end_matches('\r')) {
        if KEPT.iter().any(|k| line.starts_with(k)) {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5547 §9.1 / the OMA CPM MS 5.2.3 example's SDP.
    const SDP: &str = "v=0\r\no=alice 2890844526 2890844526 IN IP4 host.example.com\r\ns= \r\n\
        c=IN IP4 host.example.com\r\nt=0 0\r\nm=message 7654 TCP/MSRP *\r\ni=This is my latest picture\r\n\
        a=sendonly\r\na=accept-types:message/cpim\r\n\
        a=file-selector:name:\"My picture.jpg\" type:image/jpeg size:4092 hash:sha-1:72:24:5F\r\n\
        a=file-disposition:render\r\na=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"\r\n";

    #[test]
    fn selector() {
        let fs = FileSelector::from_sdp(SDP).unwrap();
        assert_eq!(fs.name.as_deref(), Some("My picture.jpg"));
        assert_eq!(fs.media_type.as_deref(), Some("image/jpeg"));
        assert_eq!(fs.size, Some(4092));
        assert_eq!(fs.hash.as_deref(), Some("sha-1:72:24:5F"));
        let fs = FileSelector::parse("type:text/plain;charset=\"a b\" size:x");
        assert_eq!(fs.media_type.as_deref(), Some("text/plain;charset=\"a b\""));
        assert_eq!(fs.size, None);
        assert_eq!(FileSelector::from_sdp("v=0\r\n"), None);
        assert_eq!(FileSelector::parse(""), FileSelector::default());
    }

    #[test]
    fn description_keeps_the_file_lines() {
        assert_eq!(
            file_description(SDP),
            "i=This is my latest picture\r\na=sendonly\r\n\
             a=file-selector:name:\"My picture.jpg\" type:image/jpeg size:4092 hash:sha-1:72:24:5F\r\n\
             a=file-disposition:render\r\na=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"\r\n"
        );
        assert_eq!(file_description("v=0\nm=message 1 TCP/MSRP *\n"), "");
    }
}
