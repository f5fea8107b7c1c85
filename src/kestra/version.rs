//! The Kestra version a flow must run on (`--target-version X.Y`).

use std::fmt;
use std::str::FromStr;

/// A Kestra `major.minor` version; patch releases never change flow syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KestraVersion {
    pub major: u16,
    pub minor: u16,
}

impl KestraVersion {
    pub const fn new(major: u16, minor: u16) -> Self {
        KestraVersion { major, minor }
    }

    /// The version flows target when nothing says otherwise.
    pub const DEFAULT: KestraVersion = KestraVersion::new(1, 3);
}

impl Default for KestraVersion {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for KestraVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Kestra version `{0}`: expected MAJOR.MINOR, e.g. 1.3")]
pub struct ParseVersionError(String);

impl FromStr for KestraVersion {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseVersionError(s.to_string());
        let (major, minor) = s.trim().split_once('.').ok_or_else(err)?;
        Ok(KestraVersion {
            major: major.parse().map_err(|_| err())?,
            minor: minor.parse().map_err(|_| err())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        let v: KestraVersion = "0.19".parse().unwrap();
        assert_eq!(v, KestraVersion::new(0, 19));
        assert!(v < KestraVersion::DEFAULT);
        assert_eq!(v.to_string(), "0.19");
        assert!("1".parse::<KestraVersion>().is_err());
        assert!("1.x".parse::<KestraVersion>().is_err());
    }
}
