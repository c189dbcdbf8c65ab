//! Errors that point into a TOML source: the key and the line, so a person
//! can find the mistake in a text editor. Shared by every file format of the
//! project (designs, intakes, rule sets, protocols).

use serde::de::DeserializeOwned;
use toml::de::DeValue;

/// What is wrong with a TOML document, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{}: {message}", line.map(|l| format!("line {l}: ")).unwrap_or_default(), if key.is_empty() { "document" } else { key })]
pub struct SourceError {
    /// The dotted key path of the offending value (`zones[1].density`), or
    /// empty when the document itself is malformed.
    pub key: String,
    /// 1-based line number, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// One step of a key path.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// A table key.
    Key(&'static str),
    /// An array index.
    Index(usize),
}

/// Finds the line of a key path in a parsed document.
pub struct Locator<'a> {
    text: &'a str,
    root: Option<toml::Spanned<DeValue<'a>>>,
}

impl<'a> Locator<'a> {
    /// Indexes `text` (a malformed document locates nothing).
    pub fn new(text: &'a str) -> Self {
        let root = toml::de::DeTable::parse(text).ok().map(|table| {
            let span = table.span();
            toml::Spanned::new(span, DeValue::Table(table.into_inner()))
        });
        Self { text, root }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of_offset(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].matches('\n').count() + 1
    }

    /// An error about the value at `path`.
    pub fn error(&self, path: &[Step], message: impl Into<String>) -> SourceError {
        let mut key = String::new();
        for step in path {
            match step {
                Step::Key(k) if key.is_empty() => key.push_str(k),
                Step::Key(k) => {
                    key.push('.');
                    key.push_str(k);
                }
                Step::Index(i) => key.push_str(&format!("[{i}]")),
            }
        }
        let line = self.root.as_ref().and_then(|root| {
            let mut node = root;
            for step in path {
                node = match step {
                    Step::Key(k) => node.get_ref().get(*k)?,
                    Step::Index(i) => node.get_ref().get(*i)?,
                };
            }
            Some(self.line_of_offset(node.span().start))
        });
        SourceError { key, line, message: message.into() }
    }

    /// Deserialises the whole document, turning serde's error into one with
    /// a line and, for a value of the wrong kind or a key missing or
    /// unknown, the path of its table or value (`serde_path_to_error`
    /// tracks it through the derived deserialisers; toml's error alone has
    /// the span only).
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, SourceError> {
        let error = |e: toml::de::Error, key: String| SourceError {
            key,
            line: e.span().map(|s| self.line_of_offset(s.start)),
            message: e.message().trim().to_string(),
        };
        let document = toml::Deserializer::parse(self.text).map_err(|e| error(e, String::new()))?;
        serde_path_to_error::deserialize(document).map_err(|e| {
            // Segments serde could not name show as `?`: keep the known part.
            let path = e.path().to_string();
            let known = path.split(".?").next().unwrap_or_default();
            let key = if known == "." || known == "?" { String::new() } else { known.to_string() };
            error(e.into_inner(), key)
        })
    }
}
