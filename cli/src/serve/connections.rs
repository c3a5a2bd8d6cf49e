//! The service's connection loop: HTTP/1.1 connections with a header read
//! timeout (a client that trickles its headers, slow-loris, is cut off) and
//! a header size limit, and a graceful stop: on the shutdown signal no new
//! connection is taken, the requests in flight are answered, then it returns.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use super::log::log;
use crate::output::warn;

/// Longest time a client may take to send a request's headers.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest request head (request line and headers) read, in bytes;
/// a larger one is answered `431`.
pub(crate) const MAX_HEAD_LEN: usize = 16 * 1024;

/// Serves `router` on `listener` until `shutdown` completes, then waits for
/// the connections' requests in flight.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
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
        let _ = stream.set_nodelay(true);
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .max_buf_size(MAX_HEAD_LEN);
        let connection = builder.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(router.clone()),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client going away mid-request is its own business.
            let _ = connection.await;
        });
    }
    drop(listener);
    log("stopping: finishing the requests in flight");
    graceful.shutdown().await;
}
