//! The layer in a tonic 0.14 gRPC server (`Server::builder().layer(..)`), over real TCP on
//! `127.0.0.1:0`, called by a tonic client. The unary method puts `set-cookie` values in its
//! response metadata (gRPC metadata travels as HTTP/2 headers, so a gRPC-Web or
//! browser-facing gateway would hand them to a browser); the layer strips those the visitor
//! has not allowed, from successful responses and from error statuses alike.
//!
//! No protoc: the messages derive `prost::Message` by hand and the service routes by path
//! with `tonic::server::Grpc` and `tonic_prost::ProstCodec`, as generated code does.

mod http_common;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::uri::PathAndQuery;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::body::Body;
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::server::NamedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Code, Status};
use tonic_prost::ProstCodec;
use tower_cookie_consent::ConsentDecision;
use tower_service::Service;

use http_common::{bounded, consent_layer, CONSENT};

const SERVICE: &str = "consent.test.Visits";
const METHOD_PATH: &str = "/consent.test.Visits/Visit";

/// What the method tries to set, in this order.
const SET_COOKIES: [&str; 5] = [
    "sessionid=s3cr3t; HttpOnly; Path=/",          // necessary
    "lang=fr; Path=/",                             // functional (granted by CONSENT)
    "_ga=GA1.1.123.456; Path=/; Max-Age=63072000", // statistics (refused by CONSENT)
    "_fbp=fb.1.1.1; Path=/",                       // marketing (no decision)
    "promo_seen=1",                                // declared nowhere
];

#[derive(Clone, PartialEq, prost::Message)]
struct VisitRequest {
    #[prost(string, tag = "1")]
    page: String,
    /// Answer with this gRPC status code (0 = OK).
    #[prost(int32, tag = "2")]
    fail_with: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct VisitReply {
    #[prost(string, tag = "1")]
    page: String,
    /// What the handler read from the `ConsentDecision` in the request extensions.
    #[prost(string, tag = "2")]
    decision: String,
}

fn cookie_metadata() -> MetadataMap {
    let mut metadata = MetadataMap::new();
    for set_cookie in SET_COOKIES {
        metadata.append("set-cookie", MetadataValue::from_static(set_cookie));
    }
    metadata.insert("x-visit", MetadataValue::from_static("recorded"));
    metadata
}

/// The unary method.
async fn visit(
    request: tonic::Request<VisitRequest>,
) -> Result<tonic::Response<VisitReply>, Status> {
    let decision = match request.extensions().get::<ConsentDecision>() {
        None => "missing",
        Some(d) if !d.is_decided() => "undecided",
        Some(d) if d.allows_cookie("lang") => "lang allowed",
        Some(_) => "lang refused",
    };
    let VisitRequest { page, fail_with } = request.into_inner();
    if fail_with != 0 {
        return Err(Status::with_metadata(
            Code::from_i32(fail_with),
            "refused on purpose",
            cookie_metadata(),
        ));
    }
    let mut response = tonic::Response::new(VisitReply {
        page,
        decision: decision.to_owned(),
    });
    *response.metadata_mut() = cookie_metadata();
    Ok(response)
}

/// The gRPC service, routed by path as tonic's generated servers do.
#[derive(Debug, Clone)]
struct VisitsServer;

impl NamedService for VisitsServer {
    const NAME: &'static str = SERVICE;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, Infallible>> + Send>>;

impl Service<http::Request<Body>> for VisitsServer {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        match request.uri().path() {
            METHOD_PATH => Box::pin(async move {
                let codec = ProstCodec::<VisitReply, VisitRequest>::default();
                let mut grpc = tonic::server::Grpc::new(codec);
                Ok(grpc.unary(tower::service_fn(visit), request).await)
            }),
            _ => Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) }),
        }
    }
}

/// A tonic server task on `127.0.0.1:<ephemeral>`, shut down when the test ends.
struct TestServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl TestServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(
            Server::builder()
                .layer(consent_layer())
                .add_service(VisitsServer)
                .serve_with_incoming_shutdown(TcpIncoming::from(listener), async {
                    let _ = rx.await;
                }),
        );
        Self {
            addr,
            shutdown: Some(tx),
            task,
        }
    }

    async fn stop(mut self, channel: Channel) {
        drop(channel);
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        bounded(&mut self.task)
            .await
            .expect("server task")
            .expect("server error");
    }

    async fn channel(&self) -> Channel {
        bounded(
            Channel::from_shared(format!("http://{}", self.addr))
                .expect("valid uri")
                .connect(),
        )
        .await
        .expect("connect")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Calls the method with `cookie` metadata fields (each one a separate HTTP/2 field).
async fn call(
    channel: Channel,
    cookies: &[&'static str],
    fail_with: Code,
) -> Result<tonic::Response<VisitReply>, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    bounded(grpc.ready()).await.expect("channel ready");
    let mut request = tonic::Request::new(VisitRequest {
        page: "/datasets".to_owned(),
        fail_with: fail_with as i32,
    });
    for cookie in cookies {
        request
            .metadata_mut()
            .append("cookie", MetadataValue::from_static(cookie));
    }
    let codec = ProstCodec::<VisitRequest, VisitReply>::default();
    bounded(grpc.unary(request, PathAndQuery::from_static(METHOD_PATH), codec)).await
}

fn set_cookies(metadata: &MetadataMap) -> Vec<&str> {
    metadata
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii set-cookie"))
        .collect()
}

#[tokio::test]
async fn unary_response_metadata_is_filtered() {
    let server = TestServer::start().await;
    let channel = server.channel().await;

    // The consent in a `cookie` field of its own, after another one (RFC 9113 §8.2.3).
    let response = call(channel.clone(), &["theme=dark", CONSENT], Code::Ok)
        .await
        .expect("OK status");
    assert_eq!(
        set_cookies(response.metadata()),
        [SET_COOKIES[0], SET_COOKIES[1]],
        "necessary and granted functional kept; refused, undecided, unknown stripped"
    );
    assert_eq!(response.metadata().get("x-visit").unwrap(), "recorded");
    let reply = response.into_inner();
    assert_eq!(reply.page, "/datasets");
    assert_eq!(reply.decision, "lang allowed");

    // An undecided visitor: strictly necessary only.
    let response = call(channel.clone(), &[], Code::Ok)
        .await
        .expect("OK status");
    assert_eq!(set_cookies(response.metadata()), [SET_COOKIES[0]]);
    assert_eq!(response.into_inner().decision, "undecided");

    server.stop(channel).await;
}

/// An error status is a trailers-only response: its metadata are the response headers, and
/// they are filtered too; the status itself passes unchanged.
#[tokio::test]
async fn error_status_metadata_is_filtered() {
    let server = TestServer::start().await;
    let channel = server.channel().await;

    let status = call(channel.clone(), &[CONSENT], Code::PermissionDenied)
        .await
        .expect_err("error status");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(status.message(), "refused on purpose");
    assert_eq!(
        set_cookies(status.metadata()),
        [SET_COOKIES[0], SET_COOKIES[1]]
    );
    assert_eq!(status.metadata().get("x-visit").unwrap(), "recorded");

    let status = call(channel.clone(), &[], Code::Internal)
        .await
        .expect_err("error status");
    assert_eq!(status.code(), Code::Internal);
    assert_eq!(set_cookies(status.metadata()), [SET_COOKIES[0]]);

    server.stop(channel).await;
}
