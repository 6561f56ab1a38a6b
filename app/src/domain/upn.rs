//! The unique pupil number (UPN): 13 characters, a check letter then 12 digits (the last may be a
//! letter in a temporary UPN). The check letter follows the DfE's algorithm: weight characters 2
//! to 13 by their position, sum, take the remainder by 23, and look it up in the letter table.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The DfE's letter table: I, O and S are left out, so 23 letters stand for 0 to 22.
const LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";

/// A UPN whose check letter is right.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Upn(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpnError {
    #[error("a UPN has 13 characters; {0:?} has {1}")]
    Length(String, usize),
    #[error("{0:?} is not a UPN: characters 2 to 12 must be digits")]
    NotDigits(String),
    #[error(
        "{0:?} is not a UPN: the last character must be a digit or a letter other than I, O or S"
    )]
    LastCharacter(String),
    #[error(
        "{upn:?} fails its check letter: it should start with {expected}, so a character was probably mistyped"
    )]
    CheckLetter { upn: String, expected: char },
}

/// The check letter for the 12 characters after it.
pub fn check_letter(rest: &[u8; 12]) -> Option<char> {
    let mut sum = 0u32;
    for (i, &c) in rest.iter().enumerate() {
        let value = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else if i == 11 {
            LETTERS.iter().position(|&l| l == c)? as u32
        } else {
            return None;
        };
        sum += value * (i as u32 + 2);
    }
    Some(LETTERS[(sum % 23) as usize] as char)
}

impl Upn {
    pub fn parse(input: &str) -> Result<Self, UpnError> {
        let upn = input.trim().to_ascii_uppercase();
        let bytes = upn.as_bytes();
        if bytes.len() != 13 {
            return Err(UpnError::Length(input.to_string(), upn.chars().count()));
        }
        if !bytes[1..12].iter().all(u8::is_ascii_digit) {
            return Err(UpnError::NotDigits(upn));
        }
        let last = bytes[12];
        if !(last.is_ascii_digit() || LETTERS.contains(&last)) {
            return Err(UpnError::LastCharacter(upn));
        }
        let rest: [u8; 12] = bytes[1..].try_into().expect("length checked above");
        let expected = check_letter(&rest).ok_or_else(|| UpnError::LastCharacter(upn.clone()))?;
        if bytes[0] as char != expected {
            return Err(UpnError::CheckLetter { upn, expected });
        }
        Ok(Self(upn))
    }

    /// Makes the UPN of a pupil from its parts: local authority, establishment, year of
    /// allocation and a serial number.
    pub fn from_parts(la: u16, establishment: u16, year: u16, serial: u16) -> Self {
        let digits = format!(
            "{:03}{:04}{:02}{:03}",
            la % 1000,
            establishment % 10000,
            year % 100,
            serial % 1000
        );
        let rest: [u8; 12] = digits.as_bytes().try_into().expect("twelve digits");
        let letter = check_letter(&rest).expect("digits always have a check letter");
        Self(format!("{letter}{digits}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Upn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Upn {
    type Error = UpnError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Upn> for String {
    fn from(upn: Upn) -> Self {
        upn.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_upn_made_from_parts_passes_its_own_check() {
        for serial in 0..500 {
            let upn = Upn::from_parts(821, 4321, 19, serial);
            assert_eq!(Upn::parse(upn.as_str()), Ok(upn));
        }
    }

    #[test]
    fn the_check_letter_is_the_weighted_sum_modulo_23() {
        // 0..9 then 1,2 weighted 2..13: 0*2+1*3+2*4+3*5+4*6+5*7+6*8+7*9+8*10+9*11+1*12+2*13 = 413;
        // 413 mod 23 = 22, the last letter, Z.
        assert_eq!(check_letter(b"012345678912"), Some('Z'));
        assert!(Upn::parse("Z012345678912").is_ok());
    }

    #[test]
    fn a_mistyped_digit_fails_the_check_letter_and_says_which_letter_was_expected() {
        let good = Upn::from_parts(821, 4321, 19, 42).to_string();
        let mut bad = good.clone().into_bytes();
        bad[5] = if bad[5] == b'9' { b'1' } else { bad[5] + 1 };
        let bad = String::from_utf8(bad).unwrap();
        let error = Upn::parse(&bad).unwrap_err();
        assert!(matches!(error, UpnError::CheckLetter { .. }), "{error}");
        assert!(error.to_string().contains("should start with"));
    }

    #[test]
    fn wrong_shapes_are_refused_with_what_is_wrong() {
        assert!(matches!(Upn::parse("A1234"), Err(UpnError::Length(_, 5))));
        assert!(matches!(
            Upn::parse("A12345X789012"),
            Err(UpnError::NotDigits(_))
        ));
        assert!(matches!(
            Upn::parse("A12345678901I"),
            Err(UpnError::LastCharacter(_))
        ));
    }

    #[test]
    fn lower_case_and_spaces_are_forgiven() {
        let upn = Upn::from_parts(821, 4321, 19, 7);
        let typed = format!("  {}  ", upn.as_str().to_lowercase());
        assert_eq!(Upn::parse(&typed), Ok(upn));
    }
}
