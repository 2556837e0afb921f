//! AWS region codes: which are well formed, and which AWS has opened.

/// Every region AWS lists, all partitions (commercial, China, GovCloud, European Sovereign
/// Cloud, ISO). Source: <https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html>
/// and the partitions data the AWS SDK for Rust resolves endpoints with (`partitions.json`,
/// aws-sdk-dynamodb 1.136 `endpoint_lib.rs`), as of 2026-11. Add a region here when AWS opens one.
pub const KNOWN: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "eusc-de-east-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "eu-isoe-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
];

/// What is wrong with a region code: a one-line problem and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionProblem {
    pub message: String,
    pub help: String,
}

/// Checks that `region` is a well-formed region code that AWS has opened.
pub fn check(region: &str) -> Result<(), RegionProblem> {
    if !well_formed(region) {
        return Err(RegionProblem {
            message: format!("{region:?} is not an AWS region code"),
            help:
                "a region code is lowercase letters, digits and dashes, like us-east-1 or eu-west-2"
                    .to_string(),
        });
    }
    if KNOWN.contains(&region) {
        return Ok(());
    }
    let help = match crate::suggest::closest(region, KNOWN.iter().copied()) {
        Some(near) => format!("did you mean {near}?"),
        None => {
            "see https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html"
                .to_string()
        }
    };
    Err(RegionProblem {
        message: format!("{region} is not an AWS region"),
        help,
    })
}

/// `us-east-1`, `us-gov-west-1`, `eusc-de-east-1`: letters, then dash-separated words, then a
/// number.
fn well_formed(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let Some((number, words)) = parts.split_last() else {
        return false;
    };
    let word = |w: &&str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase());
    words.len() >= 2
        && words.iter().all(word)
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_region_is_well_formed() {
        for region in KNOWN {
            assert!(well_formed(region), "{region}");
        }
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "us east 1",
            "US-EAST-1",
            "us-east",
            "useast1",
            "",
            "us--1",
            "us-east-1a",
        ] {
            assert!(
                check(bad)
                    .unwrap_err()
                    .message
                    .contains("not an AWS region code"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_typo_is_unknown_with_a_suggestion() {
        let problem = check("us-esat-1").unwrap_err();
        assert_eq!(problem.message, "us-esat-1 is not an AWS region");
        assert_eq!(problem.help, "did you mean us-east-1?");
        assert_eq!(check("us-gov-west-1"), Ok(()));
    }
}
