//! Bot API request parameters, whatever the transport.
//!
//! Telegram accepts parameters in the query string, as JSON, as
//! `application/x-www-form-urlencoded` and as `multipart/form-data`; teloxide-core
//! uses JSON for most methods but multipart for `setWebhook` (because of its
//! optional certificate). Everything is folded into one JSON object, and the typed
//! getters accept both JSON values and their string forms (`"42"`, `"true"`, a
//! JSON-encoded `reply_markup`), exactly as Telegram does.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// The parameters of one Bot API call: the fields, and the files uploaded
/// as multipart parts (a document sent).
#[derive(Debug, Clone, Default)]
pub struct Params(pub Map<String, Value>, pub Vec<FilePart>);

/// A file uploaded in a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The form field it came in (`document`, …).
    pub field: String,
    pub file_name: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

impl Params {
    /// Builds the parameter map from the query string and the body.
    pub fn parse(query: &str, content_type: &str, body: &[u8]) -> Result<Params, ApiError> {
        let mut map = Map::new();
        let mut files = Vec::new();
        if !query.is_empty() {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(query).map_err(|_| ApiError::bad("can't parse query string"))?;
            for (k, v) in pairs {
                map.insert(k, Value::String(v));
            }
        }
        let original_content_type = content_type;
        let content_type = content_type.to_ascii_lowercase();
        if body.iter().all(u8::is_ascii_whitespace) {
            // No body: query parameters only.
        } else if content_type.starts_with("application/json") || content_type.is_empty() {
            let value: Value =
                serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("can't parse JSON body: {e}")))?;
            match value {
                Value::Object(obj) => map.extend(obj),
                _ => return Err(ApiError::bad("JSON body must be an object")),
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(body).map_err(|_| ApiError::bad("can't parse form body"))?;
            for (k, v) in pairs {
                map.insert(k, Value::String(v));
            }
        } else if content_type.starts_with("multipart/form-data") {
            let boundary = content_type_boundary(original_content_type)
                .ok_or_else(|| ApiError::bad("multipart body without boundary"))?;
            for part in parse_multipart(body, &boundary)? {
                match part {
                    Part::Field(k, v) => {
                        map.insert(k, Value::String(v));
                    }
                    Part::File(file) => files.push(file),
                }
            }
        } else {
            return Err(ApiError::bad(format!("unsupported content type {content_type}")));
        }
        Ok(Params(map, files))
    }

    /// The file uploaded in form field `key`, if one was.
    pub fn file(&self, key: &str) -> Option<&FilePart> {
        self.1.iter().find(|file| file.field == key)
    }

    /// The raw value, treating JSON `null` as absent.
    pub fn raw(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// An optional string (numbers are accepted and printed).
    pub fn opt_str(&self, key: &str) -> Option<String> {
        match self.raw(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A required, non-empty string; missing answers `{key} is empty` like Telegram.
    pub fn str(&self, key: &str) -> Result<String, ApiError> {
        self.opt_str(key).filter(|s| !s.is_empty()).ok_or_else(|| ApiError::bad(format!("{key} is empty")))
    }

    /// An optional integer (JSON number or decimal string).
    pub fn opt_i64(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| ApiError::bad(format!("invalid {key}"))),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| ApiError::bad(format!("invalid {key}"))),
            Some(_) => Err(ApiError::bad(format!("invalid {key}"))),
        }
    }

    /// A required integer.
    pub fn i64(&self, key: &str) -> Result<i64, ApiError> {
        self.opt_i64(key)?.ok_or_else(|| ApiError::bad(format!("{key} is empty")))
    }

    /// An optional boolean (`true`/`false`, `1`/`0`, as JSON or string).
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) => Ok(Some(n.as_i64() != Some(0))),
            Some(Value::String(s)) => match s.trim() {
                "true" | "True" | "1" => Ok(Some(true)),
                "false" | "False" | "0" | "" => Ok(Some(false)),
                _ => Err(ApiError::bad(format!("invalid {key}"))),
            },
            Some(_) => Err(ApiError::bad(format!("invalid {key}"))),
        }
    }

    /// A boolean defaulting to `false`.
    pub fn flag(&self, key: &str) -> Result<bool, ApiError> {
        Ok(self.opt_bool(key)?.unwrap_or(false))
    }

    /// An optional structured value: JSON, or a string holding JSON (the form
    /// and multipart encodings send `reply_markup` that way).
    pub fn opt_json(&self, key: &str) -> Result<Option<Value>, ApiError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => {
                serde_json::from_str(s).map(Some).map_err(|_| ApiError::bad(format!("can't parse {key} JSON object")))
            }
            Some(v) => Ok(Some(v.clone())),
        }
    }
}

fn content_type_boundary(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|part| {
        let part = part.trim();
        let (key, value) = part.split_once('=')?;
        key.eq_ignore_ascii_case("boundary").then(|| value.trim_matches('"').to_owned())
    })
}

enum Part {
    Field(String, String),
    File(FilePart),
}

/// A small multipart/form-data reader: text fields, and file parts (a
/// document, a webhook certificate) kept as bytes.
fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, ApiError> {
    let delimiter = format!("--{boundary}");
    let malformed = || ApiError::bad("malformed multipart body");
    let mut parts = Vec::new();
    let mut rest = body;
    // Whatever precedes the first delimiter is preamble.
    let Some(start) = find(rest, delimiter.as_bytes()) else { return Err(malformed()) };
    rest = &rest[start + delimiter.len()..];
    while !rest.starts_with(b"--") {
        let part = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let end = find(part, format!("\r\n{delimiter}").as_bytes()).ok_or_else(malformed)?;
        let (part, next) = (&part[..end], &part[end + 2 + delimiter.len()..]);
        rest = next;
        let split = find(part, b"\r\n\r\n").ok_or_else(malformed)?;
        let headers = String::from_utf8_lossy(&part[..split]);
        let value = &part[split + 4..];
        let header =
            |name: &str| headers.lines().find(|l| l.to_ascii_lowercase().starts_with(name)).map(|l| l.to_owned());
        let disposition = header("content-disposition").unwrap_or_default();
        let param = |key: &str| {
            disposition.split(';').find_map(|p| p.trim().strip_prefix(key).map(|n| n.trim_matches('"').to_owned()))
        };
        let Some(name) = param("name=") else { continue };
        match param("filename=") {
            Some(file_name) => parts.push(Part::File(FilePart {
                field: name,
                file_name,
                content_type: header("content-type").and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_owned())),
                bytes: value.to_vec(),
            })),
            None => parts.push(Part::Field(name, String::from_utf8_lossy(value).into_owned())),
        }
    }
    Ok(parts)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_and_query_parameters_read_the_same() {
        let json = Params::parse("", "application/json", br#"{"chat_id":5,"flag":true}"#).unwrap_or_default();
        let form = Params::parse("", "application/x-www-form-urlencoded", b"chat_id=5&flag=true").unwrap_or_default();
        let query = Params::parse("chat_id=5&flag=1", "", b"").unwrap_or_default();
        for p in [json, form, query] {
            assert_eq!(p.i64("chat_id"), Ok(5));
            assert_eq!(p.flag("flag"), Ok(true));
        }
    }

    #[test]
    fn multipart_text_fields_and_files_are_read() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"url\"\r\n\r\nhttp://a/b\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"certificate\"; filename=\"c\"\r\n\r\nBIN\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"allowed_updates\"\r\n\r\n[\"message\"]\r\n--XyZ--\r\n";
        let p = Params::parse("", "multipart/form-data; boundary=XyZ", body.as_bytes()).unwrap_or_default();
        assert_eq!(p.opt_str("url").as_deref(), Some("http://a/b"));
        assert!(p.raw("certificate").is_none());
        let certificate = p.file("certificate").map(|file| (file.file_name.as_str(), file.bytes.as_slice()));
        assert_eq!(certificate, Some(("c", b"BIN".as_slice())));
        assert_eq!(p.opt_json("allowed_updates"), Ok(Some(serde_json::json!(["message"]))));
    }

    #[test]
    fn a_missing_required_parameter_is_reported_as_empty() {
        let p = Params::default();
        assert_eq!(p.i64("chat_id"), Err(ApiError::bad("chat_id is empty")));
    }
}
