//! Streamed JSON bodies: large answers (a page of 10,000 county polygons is ~100 MB of
//! JSON) are serialised feature by feature on the blocking pool into a bounded channel of
//! chunks, so a response holds a few chunks in memory whatever its size, and encoding
//! stops as soon as the client goes away.

use super::error::ApiError;
use axum::body::{Body, Bytes};
use axum::http::HeaderValue;
use axum::response::Response;
use std::io;
use tokio::sync::mpsc;

/// Bytes buffered before a chunk is sent.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// Chunks in flight between the encoder and the socket.
pub const CHANNEL_CHUNKS: usize = 4;

/// An [`io::Write`] that sends what is written as body chunks; a write fails once the
/// response is dropped (client gone), which ends the encoder's work.
pub struct ChunkWriter {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
    /// Bytes handed to the body so far.
    sent: u64,
    /// Most bytes the body may carry (`serve --max-result-mb`).
    max_bytes: u64,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.sent += self.buf.len() as u64;
        if self.sent > self.max_bytes {
            self.buf.clear();
            let message = format!("the answer exceeds the limit of {} bytes (serve --max-result-mb)", self.max_bytes);
            tracing::warn!("{message}: transfer aborted");
            let _ = self.tx.blocking_send(Err(io::Error::other(message.clone())));
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, message));
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES));
        self.tx
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }

    /// Ends the body with an error (the client sees a truncated response, never a
    /// complete-looking wrong one).
    pub fn fail(mut self, message: String) {
        self.buf.clear();
        let _ = self.tx.blocking_send(Err(io::Error::other(message)));
    }
}

impl io::Write for ChunkWriter {
    /// Cuts what is written into chunks of [`CHUNK_BYTES`], however large one write is (a
    /// county's polygon can be megabytes): the channel then holds at most
    /// [`CHANNEL_CHUNKS`] × 64 KiB per response.
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        while !rest.is_empty() {
            let take = (CHUNK_BYTES - self.buf.len().min(CHUNK_BYTES)).min(rest.len());
            self.buf.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.buf.len() >= CHUNK_BYTES {
                self.send()?;
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ChunkWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

/// A writer for the blocking encoder and the body that streams what it writes, at most
/// `max_bytes` (then the body ends with an error). Only call the writer from a blocking
/// thread (`spawn_blocking`): it blocks while the client reads.
pub fn channel(max_bytes: u64) -> (ChunkWriter, Body) {
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    (
        ChunkWriter {
            tx,
            buf: Vec::with_capacity(CHUNK_BYTES),
            sent: 0,
            max_bytes,
        },
        Body::from_stream(Chunks(rx)),
    )
}

/// The receiving end as a `Stream` (a two-line adapter: `tokio-stream` is not otherwise
/// needed, and `futures_util::stream::unfold` panics when polled again after its end,
/// which the compression layer does).
struct Chunks(mpsc::Receiver<Result<Bytes, io::Error>>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// The start of a streamed answer, handed to the blocking job: reject the request (an
/// error answered as usual, before any byte of the body) or begin the body.
pub struct Start {
    started: tokio::sync::oneshot::Sender<Result<(), ApiError>>,
    writer: ChunkWriter,
}

impl Start {
    /// Answers the request with `e` instead of a body.
    pub fn reject(self, e: ApiError) {
        let _ = self.started.send(Err(e));
    }

    /// Starts the 200 response; `None` when the request is gone.
    #[must_use]
    pub fn begin(self) -> Option<ChunkWriter> {
        self.started.send(Ok(())).ok().map(|()| self.writer)
    }
}

/// Runs `job` on the blocking pool and answers with what it streams as `media_type` (at
/// most `max_bytes`, see [`channel`]), or with the error it rejects the request with.
///
/// # Errors
/// The job's rejection, or an internal error if it ended without starting.
pub async fn respond(media_type: &'static str, max_bytes: u64, job: impl FnOnce(Start) + Send + 'static) -> Result<Response, ApiError> {
    let (started, ready) = tokio::sync::oneshot::channel();
    let (writer, body) = channel(max_bytes);
    tokio::task::spawn_blocking(move || job(Start { started, writer }));
    ready
        .await
        .map_err(|_| ApiError::Internal("the encoder ended before answering".into()))??;
    let mut resp = Response::new(body);
    resp.headers_mut()
        .insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    Ok(resp)
}

/// Streams a FeatureCollection through `writer` (see [`write_feature_collection`]),
/// ending the body with an error if encoding fails half-way.
pub fn finish_feature_collection<E: std::fmt::Display>(
    mut writer: ChunkWriter,
    head: &serde_json::Map<String, serde_json::Value>,
    features: impl Iterator<Item = Result<Vec<u8>, E>>,
) {
    if let Err(message) = write_feature_collection(&mut writer, head, features) {
        tracing::warn!("streamed answer ended early: {message}");
        writer.fail(message);
    }
}

/// Writes `{…head…, "features": [f1, f2, …]}`: `head` is an object without `features`,
/// serialised first; each feature, already encoded as JSON bytes, is written one at a time.
///
/// # Errors
/// The first encoding error (as a message) or a write error (client gone).
pub fn write_feature_collection<W: io::Write, E: std::fmt::Display>(
    w: &mut W,
    head: &serde_json::Map<String, serde_json::Value>,
    features: impl Iterator<Item = Result<Vec<u8>, E>>,
) -> Result<(), String> {
    let io_err = |e: io::Error| e.to_string();
    let head = serde_json::to_vec(head).map_err(|e| e.to_string())?;
    // `{"a":1}` → `{"a":1,"features":[` (`{}` → `{"features":[`).
    w.write_all(&head[..head.len() - 1]).map_err(io_err)?;
    w.write_all(if head.len() > 2 { b",\"features\":[" } else { b"\"features\":[" })
        .map_err(io_err)?;
    for (i, f) in features.enumerate() {
        let f = f.map_err(|e| e.to_string())?;
        if i > 0 {
            w.write_all(b",").map_err(io_err)?;
        }
        w.write_all(&f).map_err(io_err)?;
    }
    w.write_all(b"]}").map_err(io_err)?;
    w.flush().map_err(io_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_collection_is_valid_json_with_the_head_first() {
        let mut out = Vec::new();
        let head = json!({"type": "FeatureCollection", "numberReturned": 2});
        let features = [Ok::<_, String>(br#"{"id":1}"#.to_vec()), Ok(br#"{"id":2}"#.to_vec())];
        write_feature_collection(&mut out, head.as_object().unwrap(), features.into_iter()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["features"][1]["id"], 2);
        assert_eq!(v["numberReturned"], 2);
        let mut out = Vec::new();
        write_feature_collection(&mut out, &serde_json::Map::new(), std::iter::empty::<Result<_, String>>()).unwrap();
        assert_eq!(out, br#"{"features":[]}"#);
        let bad = [Ok(b"1".to_vec()), Err("no projection".to_owned())];
        assert_eq!(
            write_feature_collection(&mut Vec::new(), &serde_json::Map::new(), bad.into_iter()).unwrap_err(),
            "no projection"
        );
    }
}
