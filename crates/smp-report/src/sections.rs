//! The report's sections in words, from the design, its plan, the price,
//! the forecast and the protocol: the same for the command line and the
//! app.

use smp_clinic::pricing::{Figures, money};

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
                "Each impression about {:.2} mm across, in a shade matched to your hair colour ({}) at a dilution of {:.2}, placed {:.2} mm deep in the upper skin.",
                design.impressions.diameter_mm,
                design.client.hair_color.to_hex(),
                design.pigment.dilution,
                design.pigment.depth_mm
            ),
        ],
        table: None,
    }
}

/// The plan's sessions.
pub fn plan(plan: &smp_clinic::Plan) -> Section {
    let rows = plan
        .sessions
        .iter()
        .map(|s| {
            vec![
                format!("Session {}", s.number),
                s.date.format("%-d %B %Y").to_string(),
                format!("about {:.1} h", s.hours),
                s.focus.clone(),
            ]
        })
        .collect();
    Section {
        title: "The plan".into(),
        paragraphs: vec![
            "The dates are the earliest the healing between sessions allows; we agree them with you.".into(),
        ],
        table: Some(Table {
            head: vec!["".into(), "From".into(), "Time".into(), "What it does".into()],
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

/// When a touch-up will be due, by the fading forecast.
pub fn forecast(touch_up_due_years: Option<f64>) -> Section {
    let when = match touch_up_due_years {
        Some(y) => format!(
            "By our forecast for your skin and the pigment, a touch-up will be due about {y:.1} years after healing."
        ),
        None => "By our forecast, no touch-up will be due within ten years of healing.".into(),
    };
    Section {
        title: "Over the years".into(),
        paragraphs: vec![
            when,
            "Sun, sweat and how the skin heals change this; a short touch-up session brings back the depth and colour."
                .into(),
        ],
        table: None,
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

/// The sections after the pictures, in the report's order: the plan, the
/// price (when there is one), the forecast, the aftercare, what to do
/// before a session and the consents (when known).
pub fn after_pictures(
    plan_of_sessions: &smp_clinic::Plan,
    price: Option<Section>,
    touch_up_due_years: Option<f64>,
    protocol: &smp_clinic::Protocol,
    before_sessions: Option<Section>,
    consents: Option<Section>,
) -> Vec<Section> {
    [
        Some(plan(plan_of_sessions)),
        price,
        Some(forecast(touch_up_due_years)),
        Some(aftercare(protocol)),
        before_sessions,
        consents,
    ]
    .into_iter()
    .flatten()
    .collect()
}
