//! The built-in detectors over generated values of every entity in
//! surrounding text (phone numbers in the national and international
//! formats of several countries): each value is found as exactly one span, the whole
//! value and nothing but it, so redaction leaves no part of it behind.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use guardctl::engine::detect::{Detectors, Finding};
use guardctl::ir::enums::Entity;
use proptest::prelude::*;

fn luhn_complete(mut digits: Vec<u32>) -> String {
    // The check digit that makes the Luhn sum a multiple of ten.
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    digits.push((10 - sum % 10) % 10);
    digits
        .iter()
        .map(|d| char::from_digit(*d, 10).unwrap())
        .collect()
}

fn iban(country: &str, bban: &str) -> String {
    // ISO 13616: move the country and "00" to the end, letters as numbers,
    // mod 97; the check digits are 98 minus the remainder.
    let rearranged = format!("{bban}{country}00");
    let mut rem: u64 = 0;
    for c in rearranged.chars() {
        let v = c.to_digit(36).unwrap() as u64;
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    format!("{country}{:02}{bban}", 98 - rem)
}

/// A valid value of an entity, as people write it.
fn value() -> impl Strategy<Value = (Entity, String)> {
    let email = (
        "[a-z]{1,8}",
        prop::option::of("[a-z]{1,5}"),
        "[a-z]{2,8}",
        prop::sample::select(vec!["com", "org", "co.uk", "io"]),
    )
        .prop_map(|(a, b, d, t)| {
            let local = b.map_or(a.clone(), |b| format!("{a}.{b}"));
            (Entity::EmailAddress, format!("{local}@{d}.{t}"))
        });
    let card = (
        prop::sample::select(vec![4u32, 5]),
        prop::collection::vec(0u32..10, 14),
        any::<bool>(),
    )
        .prop_map(|(first, rest, spaced)| {
            let mut d = vec![first];
            d.extend(rest);
            let n = luhn_complete(d);
            let n = if spaced {
                n.as_bytes()
                    .chunks(4)
                    .map(|c| std::str::from_utf8(c).unwrap())
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                n
            };
            (Entity::CreditCard, n)
        });
    let ssn = (1u32..666, 1u32..100, 1u32..10000)
        .prop_map(|(a, g, s)| (Entity::UsSsn, format!("{a:03}-{g:02}-{s:04}")));
    let iban = prop::collection::vec(0u32..10, 18).prop_map(|d| {
        let bban: String = d
            .iter()
            .map(|x| char::from_digit(*x, 10).unwrap())
            .collect();
        (Entity::IbanCode, iban("DE", &bban))
    });
    let ipv4 = (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255)
        .prop_map(|(a, b, c, d)| (Entity::IpAddress, format!("{a}.{b}.{c}.{d}")));
    // Every written form: std writes the compressed one, with runs of
    // zero groups to compress.
    let ipv6 = (
        prop::collection::vec(
            prop::sample::select(vec![0u16, 0, 0, 1, 0xdb8, 0x2001, 0xffff, 0xfe80, 0x42]),
            8,
        ),
        any::<bool>(),
    )
        .prop_map(|(g, full)| {
            let addr = std::net::Ipv6Addr::new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]);
            let text = if full {
                g.iter()
                    .map(|x| format!("{x:x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            } else {
                addr.to_string()
            };
            (Entity::IpAddress, text)
        });
    let url = (
        "[a-z]{3,8}",
        prop::sample::select(vec!["com", "org"]),
        prop::collection::vec("[a-z]{1,5}", 0..3),
    )
        .prop_map(|(h, t, path)| {
            let p: String = path.iter().map(|s| format!("/{s}")).collect();
            (Entity::Url, format!("https://{h}.{t}{p}"))
        });
    let key = prop_oneof![
        "[A-Za-z0-9]{24,40}".prop_map(|s| format!("sk-{s}")),
        "[0-9A-Z]{16}".prop_map(|s| format!("AKIA{s}")),
        "[A-Za-z0-9]{36}".prop_map(|s| format!("ghp_{s}")),
    ]
    .prop_map(|k| (Entity::ApiKey, k));
    // A real header (`{"alg":"HS256","typ":"JWT"}`): the validator reads it.
    let jwt = ("[A-Za-z0-9_-]{10,40}", "[A-Za-z0-9_-]{10,43}").prop_map(|(b, c)| {
        (
            Entity::Jwt,
            format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ{b}.{c}"),
        )
    });
    // Numbers as people write them in several countries, nationally and
    // internationally, with an extension; the last digits vary.
    let phone = (
        prop::sample::select(vec![
            "+44 20 7946 {4}",
            "020 7946 {4}",
            "+33 1 42 68 {2} {2}",
            "01 42 68 {2} {2}",
            "0490 75 {2} {2}",
            "+61 490 75 {2} {2}",
            "+1 (415) 555-{4}",
            "(212) 736-{4}",
            "415.736.{4}",
            "+49 30 1234{4}",
            "0033 1 42 68 {2} {2}",
            "+1 415 736 {4} ext. 42",
        ]),
        prop::collection::vec(0u32..10, 4),
    )
        .prop_map(|(shape, d)| {
            let digits: String = d
                .iter()
                .map(|x| char::from_digit(*x, 10).unwrap())
                .collect();
            let v = shape
                .replace("{4}", &digits)
                .replace("{2} {2}", &format!("{} {}", &digits[..2], &digits[2..]));
            (Entity::PhoneNumber, v)
        });
    prop_oneof![email, card, ssn, iban, ipv4, ipv6, url, key, jwt, phone]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn every_value_is_one_whole_span(
        (entity, v) in value(),
        before in prop::sample::select(vec!["", "x ", "see: ", "(", "\"", "value=", "über "]),
        after in prop::sample::select(vec!["", " ok", ", then", ")", "\"", "\n", "; done"]),
    ) {
        let text = format!("{before}{v}{after}");
        let d = Detectors::get().unwrap();
        let found = d.entities(&text, None);
        let start = before.chars().count();
        let end = start + v.chars().count();
        let hit = found.iter().find(|m| m.finding == Finding::Entity(entity));
        prop_assert!(
            hit.is_some_and(|m| m.start == start && m.end == end),
            "{entity:?} `{v}` in `{text}`: found {found:?}"
        );
    }
}
