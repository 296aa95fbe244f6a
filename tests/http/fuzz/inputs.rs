//! The inputs: a seedable die, and random strings, values, bodies, headers, queries and
//! paths, plausible or hostile.

use super::*;

/// SplitMix64: small, seedable, good enough to pick test inputs.
pub(super) struct Dice(pub(super) u64);

impl Dice {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub(super) fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The field names the routes read, so random objects often reach the validation.
pub(super) const FIELDS: &[&str] = &[
    "username",
    "password",
    "display_name",
    "status_message",
    "presence",
    "current_password",
    "new_password",
    "body",
    "client_id",
    "typing",
    "seq",
    "name",
    "message",
];

/// Strings that have broken parsers before.
pub(super) const NASTY: &[&str] = &[
    "",
    " ",
    "a",
    "online",
    "invisible",
    "🙂",
    "\u{0}",
    "\u{202e}evil",
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "%zz",
    "-1",
    "0",
    "9223372036854775808",
    "1e400",
    "NaN",
    "null",
    "true",
    "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];

pub(super) fn random_string(dice: &mut Dice) -> String {
    match dice.below(4) {
        0 => (*dice.pick(NASTY)).to_owned(),
        1 => "x".repeat(dice.pick(&[63, 64, 65, 200, 4001, 70_000]).to_owned()),
        2 => (0..dice.below(40))
            .map(|_| char::from_u32(dice.below(0x3000) as u32).unwrap_or('?'))
            .collect(),
        _ => format!("user{}", dice.below(1000)),
    }
}

pub(super) fn random_value(dice: &mut Dice, depth: usize) -> Value {
    let kinds = if depth >= 3 { 6 } else { 8 };
    match dice.below(kinds) {
        0 => Value::Null,
        1 => Value::Bool(dice.chance(2)),
        2 => json!(
            dice.pick(&[0i64, 1, -1, 7, i64::MAX, i64::MIN, 1_000_000_007])
                .to_owned()
        ),
        3 => json!(dice.pick(&[0.5f64, -0.0, 1e308, -1e308, 3.25]).to_owned()),
        4 | 5 => Value::String(random_string(dice)),
        6 => Value::Array(
            (0..dice.below(4))
                .map(|_| random_value(dice, depth + 1))
                .collect(),
        ),
        _ => random_object(dice, depth + 1),
    }
}

pub(super) fn random_object(dice: &mut Dice, depth: usize) -> Value {
    let mut object = serde_json::Map::new();
    for _ in 0..dice.below(5) {
        let key = if dice.chance(5) {
            random_string(dice)
        } else {
            (*dice.pick(FIELDS)).to_owned()
        };
        object.insert(key, random_value(dice, depth));
    }
    Value::Object(object)
}

/// A value the route would accept for `field`, to get past validation into the service.
pub(super) fn plausible(dice: &mut Dice, field: &str) -> Value {
    match field {
        "username" => json!(dice.pick(&["ann", "bob", "nobody"]).to_owned()),
        "password" | "current_password" => json!(chat_tests::PASSWORD),
        "new_password" => json!("a brand new long password"),
        "presence" => json!(
            dice.pick(&["online", "away", "busy", "invisible"])
                .to_owned()
        ),
        "typing" => json!(dice.chance(2)),
        "seq" => json!(dice.below(4)),
        "client_id" => json!(format!("fuzz-{}", dice.below(50))),
        "name" => json!(format!("room{}", dice.below(50))),
        _ => json!("hello there"),
    }
}

/// A body: often what the route expects (whole, or with one field broken, missing or
/// extra), else random JSON objects, JSON that is not an object, or bytes that are not
/// JSON at all.
pub(super) fn random_body(dice: &mut Dice, fields: &[String]) -> Vec<u8> {
    if !fields.is_empty() && dice.below(10) < 5 {
        let mut body = serde_json::Map::new();
        for field in fields {
            body.insert(field.clone(), plausible(dice, field));
        }
        match dice.below(4) {
            0 => {}
            1 => {
                let field = dice.pick(fields).clone();
                body.insert(field, random_value(dice, 1));
            }
            2 => {
                body.remove(dice.pick(fields));
            }
            _ => {
                body.insert(random_string(dice), random_value(dice, 1));
            }
        }
        return serde_json::to_vec(&Value::Object(body)).unwrap();
    }
    match dice.below(10) {
        0 => Vec::new(),
        1 => dice
            .pick(&[
                &b"{"[..],
                b"[1, 2",
                b"\xff\xfe\x00{}",
                b"{\"username\": \"a\",}",
                b"{\"a\":1}{\"b\":2}",
                b"nul",
            ])
            .to_vec(),
        2 => {
            let depth = dice.pick(&[200usize, 5_000]).to_owned();
            let mut deep = "[".repeat(depth);
            deep.push_str(&"]".repeat(depth));
            deep.into_bytes()
        }
        3 => serde_json::to_vec(&random_value(dice, 0)).unwrap(),
        4 => vec![b' '; 70_000],
        _ => serde_json::to_vec(&random_object(dice, 0)).unwrap(),
    }
}

/// A random string a header can carry (visible ASCII and spaces, at most 200).
pub(super) fn random_header_value(dice: &mut Dice) -> String {
    random_string(dice)
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .take(200)
        .collect()
}

pub(super) fn random_query(dice: &mut Dice) -> String {
    if dice.chance(3) {
        return String::new();
    }
    let keys = ["limit", "before_seq", "q", "last_event_id", "x"];
    let pairs: Vec<String> = (0..1 + dice.below(3))
        .map(|_| {
            let value: String = random_string(dice)
                .chars()
                .take(300)
                .map(|c| if c == '&' || c == '#' { '_' } else { c })
                .collect();
            format!("{}={}", dice.pick(&keys), value)
        })
        .collect();
    format!("?{}", pairs.join("&"))
}

/// Fills `{...}` parameters: mostly a real value of that name from the scene, else
/// something random.
pub(super) fn fill_path(dice: &mut Dice, template: &str, real: &[(&str, String)]) -> String {
    let mut path = String::new();
    for segment in template.split('/').skip(1) {
        path.push('/');
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let known: Vec<&String> = real
                .iter()
                .filter(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .collect();
            let value = if !known.is_empty() && dice.below(10) < 7 {
                (*dice.pick(&known)).clone()
            } else {
                random_string(dice)
            };
            // Percent-encode what a URL path cannot carry, so the request reaches us.
            for byte in value.bytes().take(3000) {
                if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                    path.push(char::from(byte));
                } else {
                    path.push_str(&format!("%{byte:02X}"));
                }
            }
        } else {
            path.push_str(segment);
        }
    }
    path
}

/// One route: method, path template, and the body fields the contract names.
pub(super) type Route = (Method, String, Vec<String>);
