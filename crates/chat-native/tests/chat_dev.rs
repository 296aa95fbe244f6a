//! The `chat-dev` binary as a user runs it: flags, `CHAT_*` environment, the line that says
//! where it listens, and health on both bus backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use chat_native::testing::RedisServer;

struct Running {
    child: Child,
    base: String,
    banner: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chat-dev"));
    // Only what the test sets: the developer's own CHAT_REDIS_URL must not leak in.
    command
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("CHAT_REDIS_URL");
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("chat-dev starts");
    let mut banner = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut banner)
        .expect("banner line");
    let base = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {banner:?}"))
        .to_owned();
    Running {
        child,
        base,
        banner,
    }
}

async fn health(base: &str) -> serde_json::Value {
    reqwest::get(format!("{base}/api/health"))
        .await
        .expect("health answers")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn without_redis_it_runs_in_embedded_mode() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/dir/chat.db");
    let running = start(&["--db", db.to_str().unwrap()], &[]);
    assert!(running.banner.contains("bus: sqlite"), "{}", running.banner);
    let body = health(&running.base).await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["bus"], "sqlite");
    assert!(db.exists(), "the database file is created, parents too");
}

#[tokio::test]
async fn with_redis_given_by_flag_or_environment_it_uses_redis() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let by_flag = start(
        &["--db", db.to_str().unwrap(), "--redis", &redis.url()],
        &[],
    );
    assert_eq!(health(&by_flag.base).await["bus"], "redis");

    let db = dir.path().join("b.db");
    let by_env = start(
        &["--db", db.to_str().unwrap()],
        &[("CHAT_REDIS_URL", &redis.url())],
    );
    assert!(by_env.banner.contains("bus: redis"), "{}", by_env.banner);
    assert_eq!(health(&by_env.base).await["bus"], "redis");
}

#[test]
fn bad_arguments_and_settings_exit_with_a_message() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chat-dev"));
        command.args(args);
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().expect("runs")
    };
    let out = run(&["--bogus"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument"));

    let out = run(&["--listen", "not-an-address"], &[]);
    assert_eq!(out.status.code(), Some(2));

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let out = run(
        &["--listen", "127.0.0.1:0", "--db", db.to_str().unwrap()],
        &[("CHAT_STREAM_SECONDS", "zero")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stream_seconds"));

    let out = run(&["--help"], &[]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--redis URL"));
}
