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
