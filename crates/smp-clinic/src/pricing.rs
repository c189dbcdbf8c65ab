//! Prices and quotes. Money is integer minor units (cents), never floats:
//! a quote's net, tax and total add up to the unit, and the tax is rounded
//! once, half away from zero, on the net.

use std::collections::BTreeMap;

/// What is treated, as the price list names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Treatment {
    /// The whole scalp.
    FullHead,
    /// The hairline and the front.
    Hairline,
    /// The crown.
    Crown,
    /// Camouflaging a scar (FUT strip, FUE, injury, burn).
    ScarCamouflage,
    /// Density under longer hair.
    Density,
    /// A touch-up of earlier work.
    TouchUp,
}

impl Treatment {
    /// Every treatment, in the order the price list shows them.
    pub const ALL: [Treatment; 6] =
        [Self::FullHead, Self::Hairline, Self::Crown, Self::ScarCamouflage, Self::Density, Self::TouchUp];

    /// The word stored and used in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FullHead => "full-head",
            Self::Hairline => "hairline",
            Self::Crown => "crown",
            Self::ScarCamouflage => "scar-camouflage",
            Self::Density => "density",
            Self::TouchUp => "touch-up",
        }
    }

    /// The treatment a word names.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == word)
    }

    /// Its name, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::FullHead => "Full head",
            Self::Hairline => "Hairline",
            Self::Crown => "Crown",
            Self::ScarCamouflage => "Scar camouflage",
            Self::Density => "Density under longer hair",
            Self::TouchUp => "Touch-up",
        }
    }
}

/// Whether a price is for each session or for the whole treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Each session.
    PerSession,
    /// The whole treatment, however many sessions.
    PerTreatment,
}

impl Basis {
    /// The word stored and used in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerSession => "session",
            Self::PerTreatment => "treatment",
        }
    }

    /// The basis a word names.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "session" => Some(Self::PerSession),
            "treatment" => Some(Self::PerTreatment),
            _ => None,
        }
    }
}

/// One treatment's price.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// For each session or the whole treatment.
    pub basis: Basis,
    /// The amount, minor units, before tax.
    pub amount: i64,
    /// Added per cm2 of scalp above `base_cm2`, minor units (per session on
    /// a per-session price).
    pub per_cm2: Option<(i64, f64)>,
}

/// A studio's price list.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceList {
    /// ISO 4217 code ("EUR").
    pub currency: String,
    /// Tax in basis points (2100 is 21 %).
    pub tax_basis_points: i64,
    /// The treatments it prices.
    pub prices: BTreeMap<Treatment, Price>,
}

/// A quote's figures, minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    /// Before tax.
    pub net: i64,
    /// The tax.
    pub tax: i64,
    /// What the client pays.
    pub total: i64,
}

/// Why a quote cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// The list has no price for it.
    #[error("the price list has no price for {0}")]
    NotPriced(&'static str),
    /// Too large a sum to be a price (a typo).
    #[error("the sum is too large")]
    TooLarge,
}

/// `value * basis_points / 10_000`, rounded half away from zero.
fn share(value: i64, basis_points: i64) -> Option<i64> {
    let product = i128::from(value) * i128::from(basis_points);
    let rounded = (product + product.signum() * 5_000) / 10_000;
    i64::try_from(rounded).ok()
}

impl PriceList {
    /// The price of `treatment` over `area_cm2` of scalp in `sessions`.
    pub fn quote(&self, treatment: Treatment, area_cm2: f64, sessions: u32) -> Result<Figures, QuoteError> {
        let price = self.prices.get(&treatment).ok_or(QuoteError::NotPriced(treatment.label()))?;
        let extra = match price.per_cm2 {
            Some((per_cm2, base)) if area_cm2 > base => {
                // Whole cm2 above the base, each started one counted.
                let over = (area_cm2 - base).ceil();
                if over > 1e9 {
                    return Err(QuoteError::TooLarge);
                }
                per_cm2.checked_mul(over as i64).ok_or(QuoteError::TooLarge)?
            }
            _ => 0,
        };
        let once = price.amount.checked_add(extra).ok_or(QuoteError::TooLarge)?;
        let net = match price.basis {
            Basis::PerSession => once.checked_mul(i64::from(sessions.max(1))).ok_or(QuoteError::TooLarge)?,
            Basis::PerTreatment => once,
        };
        let tax = share(net, self.tax_basis_points).ok_or(QuoteError::TooLarge)?;
        Ok(Figures { net, tax, total: net.checked_add(tax).ok_or(QuoteError::TooLarge)? })
    }
}

/// How many decimals a currency's minor unit has (ISO 4217; two unless
/// listed).
pub fn decimals(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" | "HUF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    }
}

/// An amount in words for people: "1,234.50 EUR".
pub fn money(minor: i64, currency: &str) -> String {
    let places = decimals(currency);
    let unit = 10i64.pow(places);
    let (sign, minor) = if minor < 0 { ("-", minor.unsigned_abs()) } else { ("", minor as u64) };
    let (whole, part) = (minor / unit as u64, minor % unit as u64);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match places {
        0 => format!("{sign}{grouped} {currency}"),
        p => format!("{sign}{grouped}.{part:0width$} {currency}", width = p as usize),
    }
}

/// A typed amount ("1,234.5", "1234.50") in minor units of `currency`, or
/// what is wrong with it.
pub fn parse_money(text: &str, currency: &str) -> Result<i64, String> {
    let clean: String = text.trim().chars().filter(|c| *c != ',' && *c != ' ').collect();
    let places = decimals(currency) as usize;
    let (whole, part) = clean.split_once('.').unwrap_or((&clean, ""));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || (!part.is_empty() && !digits(part)) || part.len() > places || whole.len() > 12 {
        return Err(format!(
            "{:?} is not an amount like {}",
            text.trim(),
            money(123_450 * 10i64.pow(places as u32) / 100, currency).trim_end_matches(currency).trim()
        ));
    }
    let whole: i64 = whole.parse().map_err(|_| "too large".to_string())?;
    let part: i64 = if part.is_empty() { 0 } else { format!("{part:0<places$}").parse().unwrap_or(0) };
    Ok(whole * 10i64.pow(places as u32) + part)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> PriceList {
        let mut prices = BTreeMap::new();
        prices.insert(
            Treatment::FullHead,
            Price { basis: Basis::PerSession, amount: 45_000, per_cm2: Some((150, 300.0)) },
        );
        prices
            .insert(Treatment::Hairline, Price { basis: Basis::PerTreatment, amount: 99_999, per_cm2: None });
        PriceList { currency: "EUR".into(), tax_basis_points: 2100, prices }
    }

    #[test]
    fn a_quote_adds_up_to_the_cent() {
        // 3 sessions of 450.00 plus 20.5 cm2 over 300 (21 started cm2 at 1.50).
        let f = list().quote(Treatment::FullHead, 320.5, 3).unwrap();
        assert_eq!(f.net, 3 * (45_000 + 21 * 150));
        assert_eq!(f.tax, (f.net * 21 + 50) / 100);
        assert_eq!(f.total, f.net + f.tax);
        // Half a cent rounds away from zero: 999.99 at 21 % is 209.9979.
        let h = list().quote(Treatment::Hairline, 80.0, 2).unwrap();
        assert_eq!((h.net, h.tax, h.total), (99_999, 21_000, 120_999));
        assert_eq!(list().quote(Treatment::Crown, 50.0, 2), Err(QuoteError::NotPriced("Crown")));
    }

    #[test]
    fn money_reads_and_writes_in_minor_units() {
        assert_eq!(money(123_450, "EUR"), "1,234.50 EUR");
        assert_eq!(money(5, "EUR"), "0.05 EUR");
        assert_eq!(money(120_000, "JPY"), "120,000 JPY");
        assert_eq!(parse_money("1,234.5", "EUR"), Ok(123_450));
        assert_eq!(parse_money("450", "EUR"), Ok(45_000));
        assert_eq!(parse_money("12000", "JPY"), Ok(12_000));
        assert!(parse_money("12.345", "EUR").is_err());
        assert!(parse_money("12.5", "JPY").is_err());
        assert!(parse_money("-3", "EUR").is_err());
        assert!(parse_money("1e9", "EUR").is_err());
    }
}
