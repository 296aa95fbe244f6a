//! The few API calls the load generator makes, and the crew it makes before the timed
//! part: users signed up and grouped into rooms.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use futures::{StreamExt, stream};
use serde_json::{Value, json};

/// A chat server and an HTTP client for it.
#[derive(Clone)]
pub struct Api {
    /// Base URL, no trailing slash.
    pub base: String,
    /// Pooled connections for requests; each stream holds one of its own.
    pub client: reqwest::Client,
}

/// One signed-up user.
#[derive(Debug, Clone)]
pub struct Member {
    /// Bearer token.
    pub token: String,
    /// The room's conversation id.
    pub conversation: String,
}

impl Api {
    /// A client for `base`.
    pub fn new(base: &str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        Ok(Api {
            base: base.trim_end_matches('/').to_owned(),
            client,
        })
    }

    /// `POST path` with a JSON body, as `token`; the JSON answer of a 2xx, else an error
    /// naming the status and body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Result<Value> {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("POST {path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The request that sends `body` as `member` into their room, with `client_id`: what
    /// the timed scenarios and the cost mode both send.
    pub fn send_message(
        &self,
        member: &Member,
        body: &str,
        client_id: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .post(format!(
                "{}/api/conversations/{}/messages",
                self.base, member.conversation
            ))
            .bearer_auth(&member.token)
            .header("origin", &self.base)
            .json(&json!({"body": body, "client_id": client_id}))
    }

    /// `rooms` rooms of `per_room` fresh users each (names carry `tag`, so runs against
    /// the same database never collide). Signups hash passwords, so they run `parallel`
    /// at a time.
    pub async fn crew(
        &self,
        tag: &str,
        rooms: usize,
        per_room: usize,
        parallel: usize,
    ) -> Result<Vec<Vec<Member>>> {
        let api = Arc::new(self.clone());
        let signups = stream::iter(0..rooms * per_room)
            .map(|i| {
                let api = api.clone();
                let username = format!("{tag}u{i}");
                async move {
                    let signed = api
                        .post(
                            "/api/auth/signup",
                            None,
                            json!({"username": username, "password": "load test password"}),
                        )
                        .await?;
                    signed["token"]
                        .as_str()
                        .map(str::to_owned)
                        .context("signup answered without a token")
                }
            })
            .buffered(parallel.max(1))
            .collect::<Vec<_>>()
            .await;
        let tokens = signups.into_iter().collect::<Result<Vec<_>>>()?;

        let made = stream::iter(tokens.chunks(per_room.max(1)).enumerate())
            .map(|(r, members)| {
                let api = api.clone();
                let name = format!("{tag}r{r}");
                async move {
                    let (first, rest) = members.split_first().context("an empty room")?;
                    let room = api
                        .post("/api/rooms", Some(first), json!({"name": name}))
                        .await?;
                    let conversation = room["id"]
                        .as_str()
                        .context("room answered without an id")?
                        .to_owned();
                    for token in rest {
                        api.post(&format!("/api/rooms/{name}/join"), Some(token), json!({}))
                            .await?;
                    }
                    Ok(members
                        .iter()
                        .map(|token| Member {
                            token: token.clone(),
                            conversation: conversation.clone(),
                        })
                        .collect())
                }
            })
            .buffered(parallel.max(1))
            .collect::<Vec<Result<Vec<Member>>>>()
            .await;
        made.into_iter().collect()
    }
}
