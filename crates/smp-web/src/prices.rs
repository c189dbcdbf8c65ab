//! Prices and quotes: the studio's price list (admins), a quote from a
//! design version (its area on the scalp and its sessions from the plan
//! the design makes, priced by `smp_clinic::pricing`, stored as given) and
//! the deposit taken against it.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use smp_clinic::pricing::{Basis, Price, PriceList, Treatment, money, parse_money};
use smp_store::{NewQuote, Session, StoredPrice, StoredPriceList};

use crate::{AppState, Error, Result, Staff};

/// How long a quote is valid by default, days.
const QUOTE_DAYS: u64 = 30;

/// One treatment's row of the price list form, as typed.
struct PriceRow {
    key: &'static str,
    label: &'static str,
    offered: bool,
    per_session: bool,
    amount: String,
    per_cm2: String,
    base_cm2: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_prices.html")]
struct PricesPage<'a> {
    who: &'a Session,
    currency: String,
    tax_percent: String,
    rows: Vec<PriceRow>,
    errors: HashMap<&'static str, String>,
    saved: bool,
}

impl PricesPage<'_> {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

/// The studio's price list for `smp_clinic::pricing`.
pub(crate) fn price_list(stored: &StoredPriceList) -> PriceList {
    let prices = stored
        .prices
        .iter()
        .filter_map(|p| {
            let treatment = Treatment::parse(&p.treatment)?;
            let basis = Basis::parse(&p.basis)?;
            Some((treatment, Price { basis, amount: p.amount, per_cm2: p.per_cm2 }))
        })
        .collect();
    PriceList { currency: stored.currency.clone(), tax_basis_points: stored.tax_basis_points, prices }
}

fn rows_of(stored: Option<&StoredPriceList>) -> Vec<PriceRow> {
    let currency = stored.map(|s| s.currency.as_str()).unwrap_or("EUR");
    let amount = |minor: i64| money(minor, currency).trim_end_matches(currency).trim().replace(',', "");
    Treatment::ALL
        .into_iter()
        .map(|t| {
            let price = stored.and_then(|s| s.prices.iter().find(|p| p.treatment == t.as_str()));
            PriceRow {
                key: t.as_str(),
                label: t.label(),
                offered: price.is_some(),
                per_session: price.is_none_or(|p| p.basis == Basis::PerSession.as_str()),
                amount: price.map(|p| amount(p.amount)).unwrap_or_default(),
                per_cm2: price.and_then(|p| p.per_cm2).map(|(a, _)| amount(a)).unwrap_or_default(),
                base_cm2: price.and_then(|p| p.per_cm2).map(|(_, b)| b.to_string()).unwrap_or_default(),
                error: None,
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /admin/prices`.
pub(crate) async fn page(
    State(state): State<AppState>,
    who: Staff,
    Query(q): Query<SavedQuery>,
) -> Result<Response> {
    who.require_admin("The price list")?;
    let stored = who.studio(&state).price_list().await?;
    let page = PricesPage {
        who: &who.session,
        currency: stored.as_ref().map(|s| s.currency.clone()).unwrap_or_else(|| "EUR".into()),
        tax_percent: stored
            .as_ref()
            .map(|s| (s.tax_basis_points as f64 / 100.0).to_string())
            .unwrap_or_else(|| "0".into()),
        rows: rows_of(stored.as_ref()),
        errors: HashMap::new(),
        saved: q.saved.is_some(),
    };
    Ok(Html(page.render()?).into_response())
}

/// `POST /admin/prices`: every field checked before anything is saved;
/// what is wrong said beside it, everything typed kept.
pub(crate) async fn save(
    State(state): State<AppState>,
    who: Staff,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let value = |key: &str| {
        form.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string()).unwrap_or_default()
    };
    who.check_csrf(&value("csrf"))?;
    who.require_admin("The price list")?;
    let mut errors = HashMap::new();
    let currency = value("currency").to_uppercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        errors.insert("currency", "Three letters, such as EUR, GBP or USD.".to_string());
    }
    let tax = value("tax_percent")
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|t| (0.0..=100.0).contains(t))
        .map(|t| (t * 100.0).round() as i64);
    if tax.is_none() {
        errors.insert("tax_percent", "A percentage from 0 to 100, such as 21 or 7.5.".to_string());
    }
    let mut rows = Vec::new();
    let mut prices = Vec::new();
    for t in Treatment::ALL {
        let field = |name: &str| value(&format!("{name}_{}", t.as_str()));
        let mut row = PriceRow {
            key: t.as_str(),
            label: t.label(),
            offered: !field("offer").is_empty(),
            per_session: field("basis") != Basis::PerTreatment.as_str(),
            amount: field("amount"),
            per_cm2: field("per_cm2"),
            base_cm2: field("base_cm2"),
            error: None,
        };
        if row.offered {
            let amount = parse_money(&row.amount, &currency);
            let per_cm2 = match (row.per_cm2.as_str(), row.base_cm2.as_str()) {
                ("", "") => Ok(None),
                (per, base) => parse_money(per, &currency).and_then(|per| {
                    base.replace(',', ".")
                        .parse::<f64>()
                        .ok()
                        .filter(|b| b.is_finite() && (0.0..=2000.0).contains(b))
                        .map(|b| Some((per, b)))
                        .ok_or_else(|| "the base area: cm2 from 0 to 2000".to_string())
                }),
            };
            match (amount, per_cm2) {
                (Ok(amount), Ok(per_cm2)) => prices.push(StoredPrice {
                    treatment: t.as_str().into(),
                    basis: if row.per_session { Basis::PerSession } else { Basis::PerTreatment }
                        .as_str()
                        .into(),
                    amount,
                    per_cm2,
                }),
                (Err(why), _) | (_, Err(why)) => row.error = Some(format!("{}: {why}.", t.label())),
            }
        }
        rows.push(row);
    }
    let row_errors = rows.iter().any(|r| r.error.is_some());
    match tax {
        Some(tax_basis_points) if errors.is_empty() && !row_errors => {
            who.studio(&state)
                .save_price_list(&StoredPriceList { currency, tax_basis_points, prices })
                .await?;
            Ok(Redirect::to("/admin/prices?saved=1").into_response())
        }
        _ => {
            let page = PricesPage {
                who: &who.session,
                currency,
                tax_percent: value("tax_percent"),
                rows,
                errors,
                saved: false,
            };
            Ok((StatusCode::BAD_REQUEST, Html(page.render()?)).into_response())
        }
    }
}

/// A quote as the editor shows it.
pub(crate) struct QuoteView {
    pub id: String,
    pub treatment: &'static str,
    pub made: String,
    pub area: String,
    pub sessions: i64,
    pub net: String,
    pub tax: String,
    pub total: String,
    pub valid_until: String,
    pub deposit: Option<String>,
}

/// The quotes of a design version, for its editor.
pub(crate) async fn quotes_of(
    studio: &smp_store::StudioStore<'_>,
    design_id: &str,
) -> Result<Vec<QuoteView>> {
    Ok(studio
        .quotes(design_id)
        .await?
        .into_iter()
        .map(|q| {
            let (given, currency) = (&q.quoted, q.quoted.currency.as_str());
            QuoteView {
                treatment: Treatment::parse(&given.treatment).map(Treatment::label).unwrap_or("Treatment"),
                made: format!("{}, by {}", crate::day_of(q.created_at), q.staff_name),
                area: format!("{:.0} cm²", given.area_cm2),
                sessions: given.sessions,
                net: money(given.net, currency),
                tax: money(given.tax, currency),
                total: money(given.total, currency),
                valid_until: smp_clinic::gate::long_date(given.valid_until.parse().unwrap_or_default()),
                deposit: q
                    .deposit
                    .map(|(amount, at)| format!("{} on {}", money(amount, currency), crate::day_of(at))),
                id: q.id.clone(),
            }
        })
        .collect())
}

/// The treatments a quote may be for, with their words.
pub(crate) fn treatments() -> Vec<(&'static str, &'static str)> {
    Treatment::ALL.into_iter().map(|t| (t.as_str(), t.label())).collect()
}

#[derive(Deserialize)]
pub(crate) struct QuoteForm {
    csrf: String,
    #[serde(default)]
    treatment: String,
    #[serde(default)]
    valid_until: String,
}

/// `POST /clients/{id}/designs/{design}/quote`: a quote of the version,
/// its area and sessions from the plan it makes; back to its editor.
pub(crate) async fn make_quote(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, design_id)): Path<(String, String)>,
    Form(form): Form<QuoteForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.require_clinical("Quotes")?;
    who.client(&state, &client_id).await?;
    let studio = who.studio(&state);
    let saved = studio
        .client_design(&client_id, &design_id)
        .await?
        .ok_or_else(|| Error::NotFound("This client has no such design.".into()))?;
    let back = crate::head_editor::version_href(&client_id, &saved);
    let refuse = |why: String| Err(Error::BadRequest(format!("The quote: {why}")));
    let Some(treatment) = Treatment::parse(&form.treatment) else {
        return refuse("choose the treatment.".into());
    };
    let today = crate::clock::today();
    let valid_until = match form.valid_until.trim() {
        "" => today + chrono::Days::new(QUOTE_DAYS),
        typed => match typed.parse::<chrono::NaiveDate>() {
            Ok(d) if d >= today => d,
            _ => return refuse(format!("{typed:?} is not a date from today on.")),
        },
    };
    let Some(stored) = studio.price_list().await? else {
        return refuse("the studio has no price list yet (admins set it under Studio).".into());
    };
    let list = price_list(&stored);
    let (protocol, _) = crate::plans::protocol_at_pace(&studio).await?;
    let plan = match crate::plans::plan_of(&saved, today, &protocol, &|_| true)? {
        Ok(plan) => plan,
        Err(e) => return refuse(format!("{e}.")),
    };
    let sessions = u32::try_from(plan.sessions.len()).unwrap_or(u32::MAX);
    let figures = match list.quote(treatment, plan.total_area_cm2, sessions) {
        Ok(f) => f,
        Err(e) => return refuse(format!("{e}.")),
    };
    let quote = NewQuote {
        treatment: treatment.as_str().into(),
        area_cm2: plan.total_area_cm2,
        sessions: i64::from(sessions),
        currency: list.currency.clone(),
        net: figures.net,
        tax: figures.tax,
        total: figures.total,
        valid_until: valid_until.to_string(),
    };
    studio
        .save_quote(&client_id, &design_id, who.user(), &quote)
        .await?
        .ok_or_else(|| Error::NotFound("This client has no such design.".into()))?;
    Ok(Redirect::to(&format!("{back}#quotes")).into_response())
}

#[derive(Deserialize)]
pub(crate) struct DepositForm {
    csrf: String,
    #[serde(default)]
    amount: String,
}

/// `POST /clients/{id}/quotes/{quote}/deposit`: the deposit taken, once.
pub(crate) async fn record_deposit(
    State(state): State<AppState>,
    who: Staff,
    Path((client_id, quote_id)): Path<(String, String)>,
    Form(form): Form<DepositForm>,
) -> Result<Response> {
    who.check_csrf(&form.csrf)?;
    who.client(&state, &client_id).await?;
    let studio = who.studio(&state);
    let currency = studio.price_list().await?.map(|l| l.currency).unwrap_or_else(|| "EUR".into());
    let amount = parse_money(&form.amount, &currency)
        .map_err(|why| Error::BadRequest(format!("The deposit: {why}.")))?;
    let design_id = studio
        .record_deposit(&client_id, &quote_id, amount)
        .await?
        .ok_or_else(|| Error::NotFound("There is no such quote without a deposit.".into()))?;
    let back = match studio.design(&design_id).await? {
        Some(saved) => crate::head_editor::version_href(&client_id, &saved),
        None => format!("/clients/{client_id}"),
    };
    Ok(Redirect::to(&format!("{back}#quotes")).into_response())
}
