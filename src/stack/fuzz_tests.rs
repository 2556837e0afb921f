//! No input makes the stack file reader panic: valid files, cut, spliced and sprinkled with
//! TOML punctuation, always end in a stack or in located problems that render.

use std::path::Path;

use fastrand::Rng;

use super::parse;

const SEEDS: &[&str] = &[
    include_str!("../../stack.toml"),
    include_str!("../../examples/rest-api.toml"),
    include_str!("../../examples/analytics-tables.toml"),
];

const PIECES: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "=",
    "\"",
    "'",
    ",",
    ".",
    "\n",
    "#",
    " ",
    "[[",
    "]]",
    "${",
    "tables.",
    "functions.",
    "[env.x]",
    "\"GET /x\"",
    "1e999",
    "99999999999999999999999",
    "-99999999999999999999999",
    "0x7fffffffffffffffffff",
    "memory = 18446744073709551616\n",
    "a.b.c.d.e.f.g.h.i.j.k = 1\n",
    "-",
    "_",
    "é",
    "\u{0}",
    "true",
    "[]",
    "{}",
];

/// A number below `n` (0 when `n` is 0).
fn below(rng: &mut Rng, n: usize) -> usize {
    rng.usize(..n.max(1))
}

fn mutate(source: &str, rng: &mut Rng) -> String {
    let mut text: Vec<char> = source.chars().collect();
    for _ in 0..1 + below(rng, 4) {
        let at = below(rng, text.len() + 1);
        match below(rng, 4) {
            0 => {
                let end = (at + below(rng, 40)).min(text.len());
                text.drain(at..end);
            }
            1 => {
                let piece = PIECES[below(rng, PIECES.len())];
                text.splice(at..at, piece.chars());
            }
            2 => text.truncate(at),
            _ => {
                // Copy a stretch elsewhere (duplicate keys and tables).
                let end = (at + below(rng, 120)).min(text.len());
                let stretch: Vec<char> = text[at..end].to_vec();
                let to = below(rng, text.len() + 1);
                text.splice(to..to, stretch);
            }
        }
    }
    text.into_iter().collect()
}

#[test]
fn the_reader_never_panics_and_every_problem_renders() {
    let mut rng = Rng::with_seed(0x5eed);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // STACKCTL_FUZZ_CASES=100000 for a longer run by hand.
    let cases = std::env::var("STACKCTL_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000);
    for i in 0..cases {
        let seed = SEEDS[i % SEEDS.len()];
        let input = mutate(seed, &mut rng);
        let env = (i % 7 == 0).then_some("staging");
        match parse("fuzz.toml", &input, dir, env) {
            Ok(stack) => assert!(!stack.name.is_empty()),
            Err(err) => {
                assert!(
                    !err.problems.is_empty(),
                    "an error without problems: {input}"
                );
                for problem in err.problems {
                    let shown = format!("{:?}", miette::Report::new(problem));
                    assert!(!shown.is_empty());
                }
            }
        }
    }
}

/// Huge integers in every integer field: a located problem saying the number is out of range
/// (not "found integer"), never a panic.
#[test]
fn huge_integers_are_out_of_range_not_a_type_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fields = [
        ("functions.get-order", "memory"),
        ("functions.get-order", "timeout"),
        ("functions.get-order", "reserved_concurrency"),
        ("functions.get-order", "log_retention_days"),
        ("tables.orders", "read_capacity"),
    ];
    for (section, field) in fields {
        for number in [
            "99999999999999999999999",
            "-99999999999999999999999",
            "0x7fffffffffffffffffff",
        ] {
            let seed: String = SEEDS[0]
                .lines()
                .filter(|l| !l.starts_with(&format!("{field} =")))
                .map(|l| format!("{l}\n"))
                .collect();
            let input = seed.replace(
                &format!("[{section}]\n"),
                &format!("[{section}]\n{field} = {number}\n"),
            );
            let err = parse("fuzz.toml", &input, dir, None).expect_err(&input);
            let messages: Vec<&str> = err
                .problems
                .iter()
                .map(|p| p.problem.message.as_str())
                .collect();
            assert!(
                messages.iter().any(|m| m.starts_with(field)
                    && (m.ends_with("too large") || m.ends_with("too small"))),
                "{field} = {number}: {messages:?}"
            );
            assert!(
                !messages.iter().any(|m| m.contains("found integer")),
                "{messages:?}"
            );
        }
    }
}

/// Deeply nested dotted keys and tables, in the base and in an environment overlay, end in
/// located problems: no stack overflow in the parser or in the overlay merge.
#[test]
fn deep_dotted_keys_never_overflow_the_stack() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Below and past the TOML parser's recursion limit, so that the reader's own recursion
    // (overlay merge, leaf spans) meets the deepest tree the parser lets through.
    for depth in [20, 60, 200, 5000] {
        deep_dotted_key(dir, &vec!["k"; depth].join("."));
    }
}

fn deep_dotted_key(dir: &Path, deep: &str) {
    for input in [
        format!("{}\n{deep} = 1\n", SEEDS[0]),
        format!(
            "{}\n[env.deep.functions.get-order.{deep}]\nx = 1\n",
            SEEDS[0]
        ),
        format!("{}\n[env.deep.api]\n{deep} = 1\n", SEEDS[0]),
        format!("{}\n[tables.orders.{deep}]\n", SEEDS[0]),
    ] {
        for env in [None, Some("deep")] {
            let err = parse("fuzz.toml", &input, dir, env).expect_err("a deep key is a problem");
            assert!(!err.problems.is_empty());
            for problem in err.problems {
                assert!(!format!("{:?}", miette::Report::new(problem)).is_empty());
            }
        }
    }
}
