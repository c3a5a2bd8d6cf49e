//! The service's connection loop: HTTP/1.1 connections with a header read
//! timeout (a client that trickles its headers, slow-loris, is cut off, as
//! is a keep-alive connection idle that long) and a header size limit; a
//! write timeout (a client that stops reading its answers is cut off); a cap
//! on open connections (past it the connection that made progress longest
//! ago is shed to make room); and a bounded graceful stop: on the shutdown
//! signal no new connection is taken, the requests in flight are answered
//! for at most [`STOP_GRACE`], then the connections left are dropped.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::task::AbortHandle;
use tokio::time::Sleep;

use super::log::log;
use super::log::warn;

/// Longest time a client may take to send a request's headers (and the
/// longest a keep-alive connection waits for the next request).
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest time an answer may wait for the client to read it.
pub(crate) const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest time a stop waits for the requests in flight before it drops
/// the connections left.
pub(crate) const STOP_GRACE: Duration = Duration::from_secs(10);

/// Largest request head (request line and headers) read, in bytes;
/// a larger one is answered `431`.
pub(crate) const MAX_HEAD_LEN: usize = 16 * 1024;

/// Open connections by default; keep the descriptor limit (`ulimit -n`,
/// systemd's `LimitNOFILE=`) above it with room for the stores and logs.
pub(crate) const DEFAULT_MAX_CONNECTIONS: usize = 768;

/// The open connections: for each, when it last made progress and how to
/// drop it.
#[derive(Default)]
struct Open {
    next: u64,
    conns: HashMap<u64, (Arc<AtomicU64>, AbortHandle)>,
}

/// Milliseconds since `epoch`, the connections' clock of progress.
fn millis(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// What the connection loop tells of a request the HTTP layer answered
/// itself, before any route ran: its status (`400` for a request that is
/// not HTTP, `431` for a head larger than [`MAX_HEAD_LEN`]).
pub(crate) type Unrouted = Arc<dyn Fn(u16) + Send + Sync>;

/// Serves `router` on `listener` until `shutdown` completes, with at most
/// `max_connections` open; then waits at most [`STOP_GRACE`] for the
/// connections' requests in flight. `unrouted` hears the requests the HTTP
/// layer refused itself.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    max_connections: usize,
    unrouted: Unrouted,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let epoch = Instant::now();
    let open = Arc::new(Mutex::new(Open::default()));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors, a connection reset before accept:
                    // the listener itself stays good.
                    warn(&format!("accepting a connection failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        shed_if_full(&open, max_connections);
        let _ = stream.set_nodelay(true);
        let progress = Arc::new(AtomicU64::new(millis(epoch)));
        let io = TimedIo {
            inner: stream,
            write_deadline: None,
            progress: Arc::clone(&progress),
            epoch,
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .max_buf_size(MAX_HEAD_LEN);
        let connection =
            builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(router.clone()));
        let connection = graceful.watch(connection);
        let mut guard = open.lock().unwrap_or_else(PoisonError::into_inner);
        guard.next += 1;
        let id = guard.next;
        let closed = Closed {
            open: Arc::clone(&open),
            id,
        };
        let unrouted = Arc::clone(&unrouted);
        let task = tokio::spawn(async move {
            let _closed = closed;
            // A client going away mid-request is its own business; a
            // request the HTTP layer answered itself is told.
            if let Err(e) = connection.await
                && let Some(status) = refused_by_http(&e)
            {
                unrouted(status);
            }
        });
        guard.conns.insert(id, (progress, task.abort_handle()));
    }
    drop(listener);
    log("stopping: finishing the requests in flight");
    if tokio::time::timeout(STOP_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        let left = {
            let guard = open.lock().unwrap_or_else(PoisonError::into_inner);
            for (_, abort) in guard.conns.values() {
                abort.abort();
            }
            guard.conns.len()
        };
        log(&format!(
            "stopping: {left} connections still open after {} s dropped",
            STOP_GRACE.as_secs()
        ));
    }
}

/// The status the HTTP layer answered with when `e` ended a connection on
/// a request it could not parse, if it did.
fn refused_by_http(e: &hyper::Error) -> Option<u16> {
    if e.is_parse_too_large() {
        Some(431)
    } else if e.is_parse() {
        Some(400)
    } else {
        None
    }
}

/// At the cap, drops the open connection that made progress longest ago
/// (a client that stopped reading, an idle keep-alive) to make room.
fn shed_if_full(open: &Mutex<Open>, max_connections: usize) {
    let guard = open.lock().unwrap_or_else(PoisonError::into_inner);
    if guard.conns.len() < max_connections {
        return;
    }
    let oldest = guard
        .conns
        .values()
        .min_by_key(|(progress, _)| progress.load(Ordering::Relaxed));
    if let Some((_, abort)) = oldest {
        abort.abort();
    }
}

/// Takes a connection off the open set when its task ends, however it
/// ends (answered, cut off, shed).
struct Closed {
    open: Arc<Mutex<Open>>,
    id: u64,
}

impl Drop for Closed {
    fn drop(&mut self) {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .conns
            .remove(&self.id);
    }
}

/// A connection's stream that notes its progress and fails a write that
/// the client leaves waiting longer than [`WRITE_TIMEOUT`].
struct TimedIo<S> {
    inner: S,
    write_deadline: Option<Pin<Box<Sleep>>>,
    progress: Arc<AtomicU64>,
    epoch: Instant,
}

impl<S> TimedIo<S> {
    fn moved(&self) {
        self.progress.store(millis(self.epoch), Ordering::Relaxed);
    }

    /// The outcome of a write: progress noted and the deadline cleared when
    /// it went on, else [`TimedIo::stalled`].
    fn written(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match poll {
            Poll::Pending => self.stalled(cx),
            done => {
                self.write_deadline = None;
                self.moved();
                done
            }
        }
    }

    /// After a write that could not go on: pending until the deadline,
    /// then an error that ends the connection.
    fn stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let deadline = self
            .write_deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(WRITE_TIMEOUT)));
        ready!(deadline.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client did not read its answer",
        )))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TimedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.moved();
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, data);
        self.written(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.written(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => self.stalled(cx),
            done => {
                self.write_deadline = None;
                done
            }
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
