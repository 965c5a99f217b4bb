//! The engine's one error type: a document it was given (the embedded history, a history
//! file) that it cannot use. The tool wraps it in its own error unchanged.

/// Result alias used across the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A document the engine cannot use, naming the input and the fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The document is not valid JSON.
    #[error("{input} is not valid json: {source}")]
    Json {
        /// Where the document came from.
        input: String,
        /// The parser error, with line and column.
        #[source]
        source: serde_json::Error,
    },

    /// The document parsed but has the wrong shape.
    #[error("{input}: {message}")]
    Shape {
        /// Where the document came from.
        input: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}
