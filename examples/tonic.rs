//! Cookie consent enforced in a tonic 0.14 gRPC server, for gRPC methods whose response
//! metadata carry `set-cookie` (as happens behind a gRPC-Web gateway serving browsers).
//!
//! ```text
//! cargo run --example tonic            # listens on 127.0.0.1:50051
//! ADDR=127.0.0.1:8080 cargo run --example tonic
//! ```
//!
//! At start-up the example calls itself twice with a tonic client (without and with consent)
//! and prints the `set-cookie` metadata that came back, then keeps serving and prints a curl
//! command to try.
//!
//! No `.proto` file or protoc: the messages derive `prost::Message` by hand and the service
//! routes by path with `tonic::server::Grpc`, as generated code does. The service is:
//!
//! ```protobuf
//! package consent.example;
//! service Visits { rpc Visit(VisitRequest) returns (VisitReply); }
//! message VisitRequest { string page = 1; }
//! message VisitReply { string greeting = 1; }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::uri::PathAndQuery;
use tonic::body::Body;
use tonic::metadata::MetadataValue;
use tonic::server::NamedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::Status;
use tonic_prost::ProstCodec;
use tower_cookie_consent::{ConsentDecision, CookieConsentLayer, Declaration, Registry};
use tower_service::Service;

const VISIT: &str = "/consent.example.Visits/Visit";

#[derive(Clone, PartialEq, prost::Message)]
struct VisitRequest {
    #[prost(string, tag = "1")]
    page: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct VisitReply {
    #[prost(string, tag = "1")]
    greeting: String,
}

/// The method: always tries to set a session cookie and an analytics cookie.
async fn visit(
    request: tonic::Request<VisitRequest>,
) -> Result<tonic::Response<VisitReply>, Status> {
    // The layer's decision is in the request extensions.
    let decided = request
        .extensions()
        .get::<ConsentDecision>()
        .is_some_and(ConsentDecision::is_decided);
    let page = request.into_inner().page;
    let mut response = tonic::Response::new(VisitReply {
        greeting: format!("visited {page:?}; consent decided: {decided}"),
    });
    let metadata = response.metadata_mut();
    metadata.append(
        "set-cookie",
        MetadataValue::from_static("sessionid=s3cr3t; HttpOnly; Path=/"),
    );
    metadata.append(
        "set-cookie",
        MetadataValue::from_static("_ga=GA1.1.123.456; Path=/; Max-Age=63072000"),
    );
    Ok(response)
}

/// The `consent.example.Visits` service, routed by path.
#[derive(Debug, Clone)]
struct VisitsServer;

impl NamedService for VisitsServer {
    const NAME: &'static str = "consent.example.Visits";
}

impl Service<http::Request<Body>> for VisitsServer {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() == VISIT {
            Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(ProstCodec::default());
                Ok(grpc.unary(tower::service_fn(visit), request).await)
            })
        } else {
            Box::pin(async { Ok(Status::unimplemented("unknown method").into_http()) })
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .build()?;

    let addr: SocketAddr = std::env::var("ADDR")
        .unwrap_or_else(|_| "127.0.0.1:50051".to_owned())
        .parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;

    // `Server::builder().layer` wraps every service added to the server.
    let server = Server::builder()
        .layer(CookieConsentLayer::new(registry)?)
        .add_service(VisitsServer)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), async {
            let _ = tokio::signal::ctrl_c().await;
        });
    let server = tokio::spawn(server);
    println!("gRPC server listening on http://{addr}");

    // Call it with a tonic client: no consent, then statistics granted.
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    for cookie in [
        None,
        Some("cookies_preferences=%7B%22statistics%22%3Atrue%7D"),
    ] {
        let mut request = tonic::Request::new(VisitRequest {
            page: "/datasets".to_owned(),
        });
        if let Some(cookie) = cookie {
            request
                .metadata_mut()
                .insert("cookie", MetadataValue::from_static(cookie));
        }
        let mut client = tonic::client::Grpc::new(channel.clone());
        client.ready().await?;
        let response = client
            .unary::<_, VisitReply, _>(
                request,
                PathAndQuery::from_static(VISIT),
                ProstCodec::default(),
            )
            .await?;
        println!();
        println!("cookie: {}", cookie.unwrap_or("(none)"));
        for set_cookie in response.metadata().get_all("set-cookie") {
            println!("  set-cookie: {}", set_cookie.to_str()?);
        }
        println!("  reply: {}", response.into_inner().greeting);
    }
    drop(channel);

    // An empty VisitRequest is the 5-byte gRPC frame header alone (not compressed, length 0).
    println!();
    println!("try it with curl (headers only):");
    println!(
        "  printf '\\0\\0\\0\\0\\0' | curl -s -D - -o /dev/null --http2-prior-knowledge \
         -H 'content-type: application/grpc' -H 'te: trailers' \
         -H 'cookie: cookies_preferences=%7B%22statistics%22%3Afalse%7D' \
         --data-binary @- http://{addr}{VISIT}"
    );

    server.await??;
    Ok(())
}
