//! The native host: builds the ports over a database file and an optional Redis, and serves
//! every area's router on one listener. `chat-dev` and the integration tests use it.

use std::{net::SocketAddr, path::Path, sync::Arc};

use axum::extract::{ConnectInfo, Request};
use chat_core::{
    Ports, Result,
    ports::{Config, OsRandom, RedisCommands},
    settings::Settings,
};
use chat_http::{AppState, ClientIp};
use tokio::net::TcpListener;

use crate::{redis::NativeRedis, sqlite::NativeSql, tokio_clock};

/// Builds the ports from `config`, with the database at `db_path`.
pub async fn build_ports(db_path: &Path, config: &dyn Config) -> Result<Ports> {
    let settings = Settings::load(config).await?;
    build_ports_with(db_path, settings).await
}

/// Builds the ports from already-parsed settings (tests shorten the timings this way).
pub async fn build_ports_with(db_path: &Path, settings: Settings) -> Result<Ports> {
    chat_http::logging::init(settings.log_format);
    let sql = Arc::new(NativeSql::open(db_path)?);
    let redis: Option<Arc<dyn RedisCommands>> = match &settings.redis_url {
        Some(url) => Some(Arc::new(NativeRedis::new(url)?)),
        None => None,
    };
    let ports = Ports::assemble(
        sql,
        redis,
        Arc::new(tokio_clock()),
        Arc::new(OsRandom),
        Arc::new(settings),
    );
    chat_core::migrations::migrate(ports.sql.as_ref()).await?;
    Ok(ports)
}

/// Serves every area on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    ports: Ports,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The socket's peer address is the client address; clients cannot forge it.
    let app = chat_http::app(AppState::new(ports)).layer(axum::middleware::map_request(
        |ConnectInfo(peer): ConnectInfo<SocketAddr>, mut request: Request| async move {
            request.extensions_mut().insert(ClientIp(peer.ip()));
            request
        },
    ));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
