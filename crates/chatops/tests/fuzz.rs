//! Fuzzing the command parser and the outbound masking step with generated inputs: no panic,
//! and masked text holds no run of 7 or more digits (but the caller's own id) and no mobile
//! number, whatever separators the input put in it.
//!
//! The default test run tries 20,000 inputs; the documented fuzz command tries a million or
//! more (see the README):
//!
//! ```sh
//! FUZZ_INPUTS=1000000 cargo test --release -p agent-chatops --test fuzz -- --nocapture
//! ```
#![allow(clippy::unwrap_used)] // tests may panic

use std::time::Instant;

use agent_chatops::{Caller, Outbound, Transport, parse};

/// Pieces inputs are built from: command words, option keys, separators, quotes, digits in
/// phone shapes, CJK, full-width digits, markdown and control characters.
const PIECES: &[&str] = &[
    "/numbers",
    "/reset",
    "/help",
    "/frob",
    "task:",
    "status:",
    "phones:",
    "keyword:",
    "from:",
    "to:",
    "page:",
    "sub:",
    "all",
    "all:no",
    "demo",
    " ",
    "  ",
    ",",
    "，",
    "、",
    ";",
    "\"",
    "'",
    "`",
    "```",
    "[x](https://e.example)",
    "+86",
    "0086",
    "86",
    "-",
    ".",
    "139",
    "3437",
    "3090",
    "13934373090",
    "0319-1234567",
    "010 12345678",
    "１３９３４３７３０９０",
    "占线",
    "无应答",
    "busy",
    "retryable",
    "all",
    "2020-07-28",
    "10:00",
    "7d",
    "today",
    "\u{0}",
    "\u{202e}",
    "\n",
    "\t",
    "😀",
    "号码",
    "_",
    "%",
    "\\",
    "@everyone",
    "<@1>",
    "99999999999999999999",
];

fn input(rng: &mut fastrand::Rng) -> String {
    if rng.bool() {
        return command(rng);
    }
    let mut text = String::new();
    for _ in 0..rng.usize(0..12) {
        match rng.u8(0..10) {
            0 => text.push(rng.char(..)),
            1 => {
                for _ in 0..rng.usize(1..16) {
                    text.push(char::from(b'0' + rng.u8(0..10)));
                }
            }
            _ => text.push_str(PIECES[rng.usize(0..PIECES.len())]),
        }
    }
    text
}

/// A command-shaped input: a command word and options with generated values.
fn command(rng: &mut fastrand::Rng) -> String {
    const COMMANDS: &[&str] = &["/numbers", "/reset", "/help", "/numbers@bot"];
    const KEYS: &[&str] = &[
        "task", "status", "phones", "keyword", "from", "to", "page", "sub", "all",
    ];
    let mut text = COMMANDS[rng.usize(0..COMMANDS.len())].to_string();
    for _ in 0..rng.usize(0..6) {
        text.push(' ');
        text.push_str(KEYS[rng.usize(0..KEYS.len())]);
        text.push(':');
        let quoted = rng.u8(0..4) == 0;
        if quoted {
            text.push('"');
        }
        for _ in 0..rng.usize(0..3) {
            match rng.u8(0..3) {
                0 => {
                    for _ in 0..rng.usize(1..13) {
                        text.push(char::from(b'0' + rng.u8(0..10)));
                    }
                }
                _ => text.push_str(PIECES[rng.usize(0..PIECES.len())]),
            }
        }
        if quoted {
            text.push('"');
        }
    }
    text
}

#[test]
fn the_parser_and_the_masking_step_never_panic_and_leave_no_phone() {
    let inputs: u64 = std::env::var("FUZZ_INPUTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_261_202);
    let mut rng = fastrand::Rng::with_seed(seed);
    let caller = Caller::new(Transport::Discord, "284719204817391616");
    let started = Instant::now();
    let mut parsed = 0u64;
    for n in 0..inputs {
        let text = input(&mut rng);
        if parse(&text).is_ok() {
            parsed += 1;
        }
        let rule = Outbound::new(true, Some(&caller)).typed(&text);
        for masked in [rule.text(&text), agent_core::mask_phones_in(&text, &[])] {
            let kept = masked.replace(&caller.user_id, "");
            assert!(
                longest_digit_run(&kept) < 7,
                "input {n} (seed {seed}): {text:?} masked as {masked:?}"
            );
            let left = mobiles(&kept);
            for mobile in mobiles(&text) {
                assert!(
                    !left.contains(&mobile),
                    "input {n} (seed {seed}): {mobile} of {text:?} shows in {masked:?}"
                );
            }
        }
    }
    println!(
        "fuzz: {inputs} inputs (seed {seed}) in {:.1} s, {parsed} parsed as commands; no panic",
        started.elapsed().as_secs_f64()
    );
}

fn longest_digit_run(text: &str) -> usize {
    text.split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// The mobiles written in `text` as 11 digits with at most single spaces or dashes between
/// them (ASCII or full-width digits).
fn mobiles(text: &str) -> Vec<String> {
    let normal: String = text
        .chars()
        .map(|c| match c {
            '０'..='９' => {
                char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap()
            }
            other => other,
        })
        .collect();
    let chars: Vec<char> = normal.chars().collect();
    let mut found = Vec::new();
    for start in 0..chars.len() {
        if chars[start] != '1' || (start > 0 && chars[start - 1].is_ascii_digit()) {
            continue;
        }
        let mut digits = String::new();
        let mut i = start;
        while i < chars.len() && digits.len() < 11 {
            if chars[i].is_ascii_digit() {
                digits.push(chars[i]);
                i += 1;
            } else if matches!(chars[i], ' ' | '-')
                && i + 1 < chars.len()
                && chars[i + 1].is_ascii_digit()
            {
                i += 1;
            } else {
                break;
            }
        }
        let ends = i >= chars.len() || !chars[i].is_ascii_digit();
        if digits.len() == 11 && ends && matches!(digits.as_bytes()[1], b'3'..=b'9') {
            found.push(digits);
        }
    }
    found
}
