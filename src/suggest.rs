//! "Did you mean ...?": the one place that picks a suggestion for a name that is not known
//! (a stack-file key, a region, a profile, an environment).

/// The candidate most like `name`, when one is close enough to be a typo of it (Jaro-Winkler
/// similarity above 0.8).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(c, name), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
