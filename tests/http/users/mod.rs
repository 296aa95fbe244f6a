//! The users component over HTTP: profile, presence, search, friend requests, friends and
//! blocks, with the events each action appends (read back through the Inbox port), on both
//! bus backends.

mod account;
mod friends;
mod profile;
mod search_and_blocks;

use chat_core::settings::Settings;
use chat_tests::{
    PASSWORD, Person, TestServer, assert_error, befriend, both_backends, data, json, kinds, person,
    room,
};
use reqwest::{Method, StatusCode};
use serde_json::json;
