//! Unit tests of `passkeys`.

use super::*;

#[test]
fn passkeys_need_a_domain_name() {
    let local = RelyingParty::for_host("localhost:3000", false).unwrap();
    assert_eq!(local.origin, "http://localhost:3000");
    let public = RelyingParty::for_host("Chat.Example.com", true).unwrap();
    assert_eq!(public.origin, "https://chat.example.com");
    for host in ["127.0.0.1:3000", "[::1]:3000", "10.0.0.1", ""] {
        assert!(RelyingParty::for_host(host, false).is_err(), "{host:?}");
    }
}
