//! Reading log events from files: JSON lines, CloudTrail log files (`{"Records":[...]}`),
//! plain text lines, optionally gzip-compressed.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use serde_json::Value;

/// One event read from input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InputEvent {
    /// A JSON object; `raw` is its text (for a CloudTrail record, the record re-serialized
    /// compactly, as CloudTrail delivers it to CloudWatch Logs).
    Json { raw: String, value: Value },
    /// Any other non-empty line.
    Text(String),
}

impl InputEvent {
    /// The event text.
    pub(crate) fn raw(&self) -> &str {
        match self {
            InputEvent::Json { raw, .. } => raw,
            InputEvent::Text(t) => t,
        }
    }

    /// A view for matching with [`crate::pattern::Pattern::matches`].
    pub(crate) fn as_event(&self) -> crate::pattern::Event<'_> {
        match self {
            InputEvent::Json { raw, value } => crate::pattern::Event::from_json(raw, value),
            InputEvent::Text(t) => crate::pattern::Event::from_text(t),
        }
    }

    /// Classifies one line: a JSON object, or text.
    pub(crate) fn from_line(line: &str) -> InputEvent {
        let t = line.trim();
        if t.starts_with('{') {
            if let Ok(value @ Value::Object(_)) = serde_json::from_str::<Value>(t) {
                return InputEvent::Json {
                    raw: t.to_string(),
                    value,
                };
            }
        }
        InputEvent::Text(line.to_string())
    }
}

/// A failure reading events; `source_name` names the input (a path, or `-` for stdin).
#[derive(Debug)]
pub(crate) struct EventsError {
    pub source_name: String,
    pub message: String,
}

impl fmt::Display for EventsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source_name, self.message)
    }
}

impl std::error::Error for EventsError {}

fn error(name: &str, message: impl Into<String>) -> EventsError {
    EventsError {
        source_name: name.to_string(),
        message: message.into(),
    }
}

/// Reads all events. Gzip input is detected by its magic bytes (`1f 8b`). A document that is a
/// whole JSON value is taken as: a CloudTrail log file `{"Records":[...]}` (one event per
/// record), a JSON array of objects (one event per element) or a single JSON object (one
/// event). Anything else is read line by line: each non-empty line is a JSON object event when
/// it parses as one, otherwise a text event.
pub(crate) fn read_events(reader: impl Read, name: &str) -> Result<Vec<InputEvent>, EventsError> {
    let bytes = read_all(reader, name)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        error(
            name,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let trimmed = text.trim();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(doc) = serde_json::from_str::<Value>(trimmed) {
            if let Some(events) = whole_document(doc, name)? {
                return Ok(events);
            }
        }
    }
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(InputEvent::from_line)
        .collect())
}

/// Reads a file (gzip or not) with [`read_events`]; `-` reads standard input.
pub(crate) fn read_path(path: &Path) -> Result<Vec<InputEvent>, EventsError> {
    open_path(path)?.read()
}

/// An input opened but not read yet: a file, or standard input for `-`.
pub(crate) struct Opened {
    name: String,
    file: Option<std::fs::File>,
}

/// Opens `path` for [`Opened::read`] (`-`: standard input), so that several inputs can all be
/// opened before any is read.
pub(crate) fn open_path(path: &Path) -> Result<Opened, EventsError> {
    let name = path.display().to_string();
    let file = if name == "-" {
        None
    } else {
        Some(std::fs::File::open(path).map_err(|e| error(&name, e.to_string()))?)
    };
    Ok(Opened { name, file })
}

impl Opened {
    /// Reads the events with [`read_events`].
    pub(crate) fn read(self) -> Result<Vec<InputEvent>, EventsError> {
        match self.file {
            Some(file) => read_events(file, &self.name),
            None => read_events(std::io::stdin().lock(), &self.name),
        }
    }
}

fn read_all(reader: impl Read, name: &str) -> Result<Vec<u8>, EventsError> {
    let mut buffered = BufReader::new(reader);
    let is_gzip = buffered
        .fill_buf()
        .map_err(|e| error(name, e.to_string()))?
        .starts_with(&[0x1f, 0x8b]);
    let mut bytes = Vec::new();
    if is_gzip {
        MultiGzDecoder::new(buffered)
            .read_to_end(&mut bytes)
            .map_err(|e| error(name, format!("cannot decompress gzip input: {e}")))?;
    } else {
        buffered
            .read_to_end(&mut bytes)
            .map_err(|e| error(name, e.to_string()))?;
    }
    Ok(bytes)
}

fn json_event(value: Value, name: &str) -> Result<InputEvent, EventsError> {
    let raw = serde_json::to_string(&value).map_err(|e| error(name, e.to_string()))?;
    Ok(InputEvent::Json { raw, value })
}

/// Interprets a document that parsed as one JSON value; `None` means "read it as lines".
fn whole_document(doc: Value, name: &str) -> Result<Option<Vec<InputEvent>>, EventsError> {
    match doc {
        Value::Object(mut map)
            if map.len() == 1 && map.get("Records").is_some_and(Value::is_array) =>
        {
            let Some(Value::Array(records)) = map.remove("Records") else {
                return Ok(None);
            };
            let mut out = Vec::with_capacity(records.len());
            for (i, r) in records.into_iter().enumerate() {
                if !r.is_object() {
                    return Err(error(name, format!("Records[{i}] is not a JSON object")));
                }
                out.push(json_event(r, name)?);
            }
            Ok(Some(out))
        }
        v @ Value::Object(_) => Ok(Some(vec![json_event(v, name)?])),
        Value::Array(items) if items.iter().all(Value::is_object) => {
            let mut out = Vec::with_capacity(items.len());
            for v in items {
                out.push(json_event(v, name)?);
            }
            Ok(Some(out))
        }
        _ => Ok(None),
    }
}

/// Read all of stdin (for `pattern test` without files).
pub(crate) fn read_stdin() -> Result<Vec<u8>, crate::error::Error> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| crate::error::Error::Input(format!("cannot read stdin: {e}")))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Pattern;
    use std::io::Write;

    const RECORDS: &str = r#"{ "Records":[ { "eventVersion":"1.05", "userIdentity":{ "type":"IAMUser", "userName":"anaya" }, "eventName":"ConsoleLogin", "additionalEventData":{ "MFAUsed":"No" } }, { "eventName":"CheckMfa", "additionalEventData": { "MfaType": "U2F MFA" } } ] }"#;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn cloudtrail_log_file_gives_one_event_per_record() {
        let events = read_events(RECORDS.as_bytes(), "log.json").unwrap();
        assert_eq!(events.len(), 2);
        match &events[0] {
            InputEvent::Json { raw, value } => {
                assert!(
                    raw.starts_with(r#"{"eventVersion":"1.05","userIdentity":{"type":"IAMUser""#)
                );
                assert!(!raw.contains(": "));
                assert_eq!(value["eventName"], "ConsoleLogin");
            }
            other => panic!("{other:?}"),
        }
        let p = Pattern::parse(
            r#"{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }"#,
        )
        .unwrap();
        let hits: Vec<bool> = events.iter().map(|e| p.matches(&e.as_event())).collect();
        assert_eq!(hits, vec![true, false]);
    }

    #[test]
    fn documented_log_file() {
        let events = read_events(crate::pattern::fixtures::LOG_FILE.as_bytes(), "doc").unwrap();
        assert_eq!(events.len(), 1);
        let p =
            Pattern::parse(r#"{ $.userIdentity.userName = "anaya" && $.awsRegion = "us-east-2" }"#)
                .unwrap();
        assert!(p.matches(&events[0].as_event()));
        assert!(p.prefilter().may_match(events[0].raw().as_bytes()));
    }

    #[test]
    fn gzip_is_detected_by_magic_bytes() {
        let plain = read_events(RECORDS.as_bytes(), "a").unwrap();
        let zipped = read_events(&gzip(RECORDS.as_bytes())[..], "a.gz").unwrap();
        assert_eq!(plain, zipped);
        let text = "line one\n{\"a\":1}\n";
        let mut two = gzip(b"line one\n");
        two.extend(gzip(b"{\"a\":1}\n"));
        assert_eq!(
            read_events(&two[..], "multi.gz").unwrap(),
            read_events(text.as_bytes(), "multi").unwrap()
        );
    }

    #[test]
    fn lines_are_json_or_text() {
        let input = "{\"a\":1}\r\n\n  \nplain text line\n{broken json\n[1,2]\n{\"b\":\"x\"}\n";
        let events = read_events(input.as_bytes(), "lines").unwrap();
        assert_eq!(events.len(), 5);
        assert!(matches!(&events[0], InputEvent::Json { raw, .. } if raw == "{\"a\":1}"));
        assert_eq!(events[1], InputEvent::Text("plain text line".into()));
        assert_eq!(events[2], InputEvent::Text("{broken json".into()));
        assert_eq!(events[3], InputEvent::Text("[1,2]".into()));
        assert!(matches!(&events[4], InputEvent::Json { .. }));
    }

    #[test]
    fn whole_documents() {
        let pretty = "{\n  \"eventName\": \"ConsoleLogin\",\n  \"n\": 1\n}\n";
        let events = read_events(pretty.as_bytes(), "one.json").unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].raw(), r#"{"eventName":"ConsoleLogin","n":1}"#);
        let array = r#"[{"a":1},{"a":2}]"#;
        assert_eq!(read_events(array.as_bytes(), "arr").unwrap().len(), 2);
        let bad = r#"{"Records":[1]}"#;
        let e = read_events(bad.as_bytes(), "bad.json").unwrap_err();
        assert_eq!(e.to_string(), "bad.json: Records[0] is not a JSON object");
        assert!(read_events(&[0xff, 0xfe, 0x00][..], "bin").is_err());
        assert!(read_events(&[0x1f, 0x8b, 0x00][..], "trunc.gz").is_err());
        assert!(read_events(&b""[..], "empty").unwrap().is_empty());
    }

    #[test]
    fn read_path_errors_name_the_file() {
        let e = read_path(Path::new("/nonexistent/trailwarden/x.json")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/trailwarden/x.json: "),
            "{e}"
        );
        let dir = std::env::temp_dir().join(format!("tw-events-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("log.json.gz");
        std::fs::write(&file, gzip(RECORDS.as_bytes())).unwrap();
        assert_eq!(read_path(&file).unwrap().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
