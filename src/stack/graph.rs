//! Reference cycles: resources that would each need the other to exist first.

use std::collections::BTreeMap;

use super::address::Address;
use super::diagnostic::Problem;
use super::reader::RefSite;

/// One problem per cycle, naming every resource in the loop and pointing at each reference.
pub fn check_cycles(references: &[RefSite]) -> Vec<Problem> {
    let mut edges: BTreeMap<&Address, Vec<&RefSite>> = BTreeMap::new();
    for site in references {
        edges.entry(&site.from).or_default().push(site);
    }
    let mut problems = Vec::new();
    let mut reported: Vec<Vec<&Address>> = Vec::new();
    for start in edges.keys() {
        let mut path: Vec<&RefSite> = Vec::new();
        if let Some(cycle) = find_cycle(start, start, &edges, &mut path) {
            let mut members: Vec<&Address> = cycle.iter().map(|s| &s.from).collect();
            members.sort();
            if reported.contains(&members) {
                continue;
            }
            reported.push(members);
            let names: Vec<String> = cycle
                .iter()
                .map(|s| s.from.to_string())
                .chain(std::iter::once(start.to_string()))
                .collect();
            let mut problem = Problem::new(
                format!("reference cycle: {}", names.join(" -> ")),
                cycle[0].span.clone(),
                format!("{} refers to {}", cycle[0].from, cycle[0].to),
            )
            .help("a resource cannot depend on itself, directly or through others; remove one of these references");
            for site in &cycle[1..] {
                problem = problem.also(
                    site.span.clone(),
                    format!("{} refers to {}", site.from, site.to),
                );
            }
            problems.push(problem);
        }
    }
    problems
}

fn find_cycle<'a>(
    start: &Address,
    at: &Address,
    edges: &BTreeMap<&Address, Vec<&'a RefSite>>,
    path: &mut Vec<&'a RefSite>,
) -> Option<Vec<&'a RefSite>> {
    for site in edges.get(at).into_iter().flatten() {
        if site.to == *start {
            let mut cycle = path.clone();
            cycle.push(site);
            return Some(cycle);
        }
        if path.iter().any(|s| s.from == site.to) || site.from == site.to {
            continue;
        }
        path.push(site);
        if let Some(cycle) = find_cycle(start, &site.to, edges, path) {
            return Some(cycle);
        }
        path.pop();
    }
    None
}
