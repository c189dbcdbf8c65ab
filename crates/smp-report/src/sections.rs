//! The report's sections in words, from the design, its plan, the price,
//! the forecast and the protocol: the same for the command line and the
//! app.

use smp_clinic::pricing::{Figures, money};
use smp_optics::forecast::{FactorEffect, Forecast};

use crate::{Section, Table};

/// What is proposed, in plain words.
pub fn proposal(design: &smp_core::Design, plan: &smp_clinic::Plan) -> Section {
    let style =
        design.hairline.as_ref().map(|h| h.style.as_str()).unwrap_or("no hairline (crown or density only)");
    let densities = design.zones.iter().map(|z| z.density_per_cm2);
    let (low, high) = densities.fold((f64::MAX, 0.0f64), |(lo, hi), d| (lo.min(d), hi.max(d)));
    let density = if high - low < 0.5 { format!("{high:.0}") } else { format!("{low:.0} to {high:.0}") };
    Section {
        title: "What we propose".into(),
        paragraphs: vec![
            format!(
                "A {style} hairline over {:.0} cm² of scalp, at {density} impressions per cm², in {} sessions of about {:.1} hours in all.",
                plan.total_area_cm2,
                plan.sessions.len(),
                plan.total_hours
            ),
            format!(
                "Each impression about {:.2} mm across, in a shade matched to your hair colour ({}, {}) at a dilution of {:.2}, placed {:.2} mm deep in the upper skin.",
                design.impressions.diameter_mm,
                shade_name(design.client.hair_color.0),
                design.client.hair_color.to_hex(),
                design.pigment.dilution,
                design.pigment.depth_mm
            ),
        ],
        table: None,
    }
}

/// A hair colour in words a client uses, from its CIELAB lightness and
/// chroma (the hex code beside it stays exact).
pub fn shade_name(rgb: [u8; 3]) -> &'static str {
    let lab = smp_optics::colour::srgb8_to_lab(rgb);
    let chroma = lab.a.hypot(lab.b);
    match lab.l {
        l if l < 12.0 => "black",
        l if l < 22.0 && chroma < 5.0 => "soft black",
        l if l < 22.0 => "darkest brown",
        l if l < 32.0 => "dark brown",
        l if l < 45.0 => "medium brown",
        l if l < 60.0 && chroma < 8.0 => "grey",
        l if l < 60.0 => "light brown",
        _ if chroma < 8.0 => "light grey",
        _ => "blonde",
    }
}

/// The plan's sessions: on the days booked for them (`booked`: a session's
/// number and its day and time in words), else from the earliest days the
/// healing between them allows.
pub fn plan(plan: &smp_clinic::Plan, booked: &[(usize, String)]) -> Section {
    let rows = plan
        .sessions
        .iter()
        .map(|s| {
            let when = booked
                .iter()
                .find(|(number, _)| *number == s.number)
                .map(|(_, when)| when.clone())
                .unwrap_or_else(|| format!("from {}", s.date.format("%-d %B %Y")));
            vec![format!("Session {}", s.number), when, format!("about {:.1} h", s.hours), s.focus.clone()]
        })
        .collect();
    let dates = if booked.is_empty() {
        "The dates are the earliest the healing between sessions allows; we agree them with you."
    } else {
        "Your sessions are booked on these days; if one no longer suits you, tell us and we find another."
    };
    Section {
        title: "The plan".into(),
        paragraphs: vec![dates.into()],
        table: Some(Table {
            head: vec!["".into(), "When".into(), "Time".into(), "What it does".into()],
            rows,
            amounts: false,
        }),
    }
}

/// The price: what it is for, then before tax, tax and total.
pub fn price(
    what: &str,
    figures: &Figures,
    tax_basis_points: i64,
    currency: &str,
    valid_until: Option<&str>,
) -> Section {
    let mut paragraphs = vec![what.to_string()];
    if let Some(date) = valid_until {
        paragraphs.push(format!("This price holds until {date}."));
    }
    Section {
        title: "The price".into(),
        paragraphs,
        table: Some(Table {
            head: vec!["".into(), "".into()],
            rows: vec![
                vec!["Before tax".into(), money(figures.net, currency)],
                vec![format!("Tax ({:.1} %)", tax_basis_points as f64 / 100.0), money(figures.tax, currency)],
                vec!["Total".into(), money(figures.total, currency)],
            ],
            amounts: true,
        }),
    }
}

/// A forecast factor's value in words.
fn factor_words(effect: &FactorEffect) -> String {
    match (effect.factor.as_str(), effect.value.as_str()) {
        ("uv_exposure", level) => format!("Sun on the scalp: {level}"),
        ("scalp", condition) => format!("Your scalp: {condition}"),
        (_, "outdoor_work") => "Working outdoors".into(),
        (_, habit) => {
            let mut chars = habit.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
    }
}

/// When a touch-up will be due, by the fading forecast, and what moves it
/// for this client (each factor against its neutral value).
pub fn forecast(forecast: &Forecast) -> Section {
    let when = match forecast.touch_up_due_years {
        Some(y) => format!(
            "By our forecast for your skin and the pigment, a touch-up will be due about {y:.1} years after healing."
        ),
        None => "By our forecast, no touch-up will be due within ten years of healing.".into(),
    };
    let rows: Vec<Vec<String>> = forecast
        .factors
        .iter()
        .filter(|f| (f.rate - 1.0).abs() > 1e-9)
        .map(|f| {
            let moves = match f.moves_years {
                Some(y) if y < 0.0 => format!("about {:.1} years sooner", -y),
                Some(y) if y > 0.0 => format!("about {y:.1} years later"),
                _ => "little".into(),
            };
            let pace = (f.rate - 1.0) * 100.0;
            let pace =
                if pace > 0.0 { format!("{pace:.0} % faster") } else { format!("{:.0} % slower", -pace) };
            vec![factor_words(f), pace, moves]
        })
        .collect();
    Section {
        title: "Over the years".into(),
        paragraphs: vec![
            when,
            "Sun, sweat and how the skin heals change this; a short touch-up session brings back the depth and colour."
                .into(),
        ],
        table: (!rows.is_empty()).then(|| Table {
            head: vec!["What counts for you".into(), "Fades".into(), "Moves the touch-up".into()],
            rows,
            amounts: false,
        }),
    }
}

/// The aftercare the protocol asks for.
pub fn aftercare(protocol: &smp_clinic::Protocol) -> Section {
    let rows = protocol
        .aftercare
        .care
        .iter()
        .map(|c| {
            let days = match c.to_day {
                Some(to) if to == c.from_day => format!("day {to}"),
                Some(to) => format!("days {}-{to}", c.from_day),
                None => format!("from day {}", c.from_day),
            };
            vec![days, c.text.clone()]
        })
        .collect();
    Section {
        title: "Aftercare".into(),
        paragraphs: vec![
            "Healing and how long the result lasts depend on the care in the first weeks. Your practitioner gives you a link to your day-by-day aftercare after each session.".into(),
        ],
        table: Some(Table { head: vec!["When".into(), "What to do".into()], rows, amounts: false }),
    }
}

/// What to do in the days before a session: the screening's instructions
/// (the studio's general ones and those its rules add for this client),
/// never the answers or findings behind them. `None` when there are none.
pub fn before_session(pre_session: &[String]) -> Option<Section> {
    (!pre_session.is_empty()).then(|| Section {
        title: "Before each session".into(),
        paragraphs: pre_session.iter().map(|p| format!("•  {p}")).collect(),
        table: None,
    })
}

/// Where the client's consents stand: the treatment's, signed when (in
/// words, with its version), and the portfolio's (`Some(faces)` when in
/// force).
pub fn consent(treatment_signed: Option<&str>, portfolio: Option<bool>) -> Section {
    let treatment = match treatment_signed {
        Some(when) => format!("You signed our consent to treatment on {when}."),
        None => "Before the first session we ask you to read and sign our consent to treatment; your \
                 practitioner goes through it with you."
            .into(),
    };
    let portfolio = match portfolio {
        Some(true) => {
            "You agreed to the studio showing your before and healed photos in its gallery, \
                       your face included, never with your name. You can withdraw this at any time."
        }
        Some(false) => {
            "You agreed to the studio showing your before and healed photos in its gallery, \
                        cropped to the scalp with your face blurred, never with your name. You can withdraw \
                        this at any time."
        }
        None => {
            "Your photos are not shown in the studio's gallery: that takes a separate consent, which \
                 is entirely up to you."
        }
    };
    Section { title: "Your consent".into(), paragraphs: vec![treatment, portfolio.into()], table: None }
}

/// What the sections after the pictures are made from.
pub struct AfterPictures<'a> {
    /// The plan the design makes.
    pub plan: &'a smp_clinic::Plan,
    /// The days booked for its sessions: (number, day and time in words).
    pub booked: &'a [(usize, String)],
    /// The price, when there is one.
    pub price: Option<Section>,
    /// The fading forecast.
    pub fading: &'a Forecast,
    /// The aftercare protocol.
    pub protocol: &'a smp_clinic::Protocol,
    /// What to do before a session, when known.
    pub before_sessions: Option<Section>,
    /// The consents, when known.
    pub consents: Option<Section>,
}

impl AfterPictures<'_> {
    /// The sections, in the report's order: the plan, the price, the
    /// forecast, the aftercare, what to do before a session, the consents.
    pub fn sections(self) -> Vec<Section> {
        [
            Some(plan(self.plan, self.booked)),
            self.price,
            Some(forecast(self.fading)),
            Some(aftercare(self.protocol)),
            self.before_sessions,
            self.consents,
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hair_colours_have_names_a_client_uses() {
        assert_eq!(shade_name([0x0a, 0x0a, 0x0a]), "black");
        assert_eq!(shade_name([0x2a, 0x22, 0x1d]), "darkest brown");
        assert_eq!(shade_name([0x2b, 0x2a, 0x2a]), "soft black");
        assert_eq!(shade_name([0x4a, 0x32, 0x22]), "dark brown");
        assert_eq!(shade_name([0x7a, 0x5a, 0x3c]), "medium brown");
        assert_eq!(shade_name([0x80, 0x80, 0x80]), "grey");
        assert_eq!(shade_name([0xd8, 0xc0, 0x78]), "blonde");
    }

    #[test]
    fn the_forecast_lists_what_moves_the_touch_up_for_this_client() {
        let effect = |factor: &str, value: &str, rate: f64, moves: Option<f64>| FactorEffect {
            factor: factor.into(),
            value: value.into(),
            rate,
            moves_years: moves,
        };
        let fading = Forecast {
            touch_up_due_years: Some(3.5),
            curve: Vec::new(),
            factors: vec![
                effect("uv_exposure", "high", 1.5, Some(-1.2)),
                effect("scalp", "normal", 1.0, Some(0.0)),
                effect("lifestyle", "outdoor_work", 1.2, Some(-0.5)),
            ],
            threshold_share: 0.5,
        };
        let section = forecast(&fading);
        assert!(section.paragraphs[0].contains("about 3.5 years"));
        let rows = section.table.unwrap().rows;
        assert_eq!(
            rows,
            vec![
                vec![
                    "Sun on the scalp: high".to_string(),
                    "50 % faster".into(),
                    "about 1.2 years sooner".into()
                ],
                vec!["Working outdoors".to_string(), "20 % faster".into(), "about 0.5 years sooner".into()],
            ]
        );
    }
}
