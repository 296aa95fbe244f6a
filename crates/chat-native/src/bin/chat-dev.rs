//! `chat-dev`: the whole chat service on one native port, for development without Spin,
//! the tests and the benchmark. Same routers and SQL as the Spin components.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use anyhow::Context;
use chat_native::{config::EnvConfig, host};

const USAGE: &str = "\
chat-dev: the chat service on one port, without Spin

USAGE: chat-dev [--listen ADDR] [--db PATH] [--redis URL]

  --listen ADDR   address to serve on            (default 127.0.0.1:3000)
  --db PATH       SQLite database file            (default .data/chat.db)
  --redis URL     Redis for events and limits     (default: none, embedded mode)

Every setting of docs/api.md is also read from the environment as CHAT_<NAME>,
for example CHAT_REDIS_URL, CHAT_PUBLISH_KEY, CHAT_STREAM_SECONDS.";

struct Options {
    listen: SocketAddr,
    db: PathBuf,
    redis: Option<String>,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
        db: PathBuf::from(".data/chat.db"),
        redis: None,
    };
    let mut args = args;
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--listen" => {
                let raw = value("--listen")?;
                options.listen = raw.parse().map_err(|_| {
                    format!("--listen: {raw:?} is not an address like 127.0.0.1:3000")
                })?;
            }
            "--db" => options.db = PathBuf::from(value("--db")?),
            "--redis" => options.redis = Some(value("--redis")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("chat-dev: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-dev: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the database and bus, listens, and serves until Ctrl-C.
async fn serve(options: Options) -> anyhow::Result<()> {
    let mut config = EnvConfig::new();
    if let Some(url) = &options.redis {
        config = config.with("redis_url", url.clone());
    }
    let ports = host::build_ports(&options.db, &config)
        .await
        .context("cannot start")?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let address = listener.local_addr().unwrap_or(options.listen);
    let bus = ports.inbox.backend().as_str();
    // Tests read this line to find the port when started with --listen 127.0.0.1:0.
    println!(
        "chat-dev listening on http://{address} (bus: {bus}, database: {})",
        options.db.display()
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    host::serve(listener, ports, shutdown)
        .await
        .context("server failed")
}
