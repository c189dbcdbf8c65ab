//! The listening loop: HTTP/1.1 connections with the timeouts a server
//! facing tablets over Wi-Fi (and anyone else on the network) needs. A
//! client that sends its headers slowly, or holds an idle connection, or
//! stalls in the middle of a body, is cut off, so a handful of half-sent
//! requests cannot hold every file descriptor; connections past a cap are
//! closed at once rather than queued.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// How long a client may take to send a request's headers, and how long an
/// idle kept-alive connection waits for the next request.
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request body may pause between two pieces (a photo over slow
/// Wi-Fi keeps arriving; a stalled one does not).
pub(crate) const BODY_PAUSE_TIMEOUT: Duration = Duration::from_secs(20);
/// Connections served at once; more are closed on arrival.
const MAX_CONNECTIONS: usize = 512;
/// How long requests in flight get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish (up to [`SHUTDOWN_GRACE`]). Headers (and the
/// next request on an idle connection) must come within `header_timeout`.
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
    header_timeout: Duration,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "too many connections: closed on arrival");
            continue;
        };
        let service = app
            .clone()
            .layer(axum::Extension(ConnectInfo(peer)))
            .map_request(|request: axum::http::Request<Incoming>| request.map(axum::body::Body::new));
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still running after {SHUTDOWN_GRACE:?} were cut off at shutdown");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A client that sends half its headers and stops is cut off, and the
    /// server goes on answering others.
    #[tokio::test]
    async fn half_sent_requests_are_cut_off() {
        let timeout = Duration::from_millis(300);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let app = Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(run(
            listener,
            app,
            async {
                let _ = stopped.await;
            },
            timeout,
        ));
        let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        let mut quick = tokio::net::TcpStream::connect(addr).await.unwrap();
        quick.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        quick.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"), "{answer}");
        // The slow one is closed once its time is up (408, or just closed).
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(timeout * 10, slow.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "a half-sent request still open after ten times the timeout");
        // So is a kept-alive connection left idle after its answer.
        let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
        idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(timeout * 10, idle.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "an idle connection still open after ten times the timeout");
        assert!(String::from_utf8_lossy(&rest).starts_with("HTTP/1.1 200"));
        let _ = stop.send(());
        server.await.unwrap().unwrap();
    }
}
