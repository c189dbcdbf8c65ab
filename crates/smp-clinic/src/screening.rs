//! Health screening: a rule set (data, versioned) applied to an intake.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use smp_core::{Locator, SourceError, Step};

use crate::dates;
use crate::intake::{self, ALLERGIES, CONDITIONS, DATE_FIELDS, FLAGS, Intake, MEDICATIONS};

/// The rule set used when a clinic names none.
pub const DEFAULT_RULES: &str = include_str!("../data/screening-rules.toml");

/// What a finding, or a whole screening, says to do. Ordered from least to
/// most severe, so the overall outcome is the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Treat.
    Proceed,
    /// Treat, with adjustments.
    Caution,
    /// Not before a date.
    Postpone,
    /// Physician clearance needed first.
    Clearance,
    /// Do not treat now.
    Decline,
}

impl Outcome {
    /// The outcome's name as written in rule files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Proceed => "proceed",
            Outcome::Caution => "caution",
            Outcome::Postpone => "postpone",
            Outcome::Clearance => "clearance",
            Outcome::Decline => "decline",
        }
    }
}

/// What makes a rule fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A yes/no answer that is yes.
    Flag(String),
    /// An age below this, in whole years.
    AgeUnder(u32),
    /// A condition answered.
    Condition(String),
    /// A medication answered.
    Medication(String),
    /// An allergy answered.
    Allergy(String),
}

/// How long a `postpone` rule waits, and after which of the answer's dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    /// Whole calendar months (a wait from 31 January of one month ends on
    /// the last day of February).
    pub months: u32,
    /// Days (after the months).
    pub days: u32,
    /// The answer's date the wait counts from (`ended`, `date`, `last_dose`).
    pub after: &'static str,
}

impl Wait {
    fn end(&self, from: NaiveDate) -> NaiveDate {
        dates::add_days(dates::add_months(from, self.months), self.days)
    }

    fn describe(&self) -> String {
        match (self.months, self.days) {
            (0, d) => format!("{d} days"),
            (m, 0) => format!("{m} months"),
            (m, d) => format!("{m} months and {d} days"),
        }
    }
}

/// One screening rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, quoted in findings.
    pub id: String,
    /// What makes it fire.
    pub trigger: Trigger,
    /// What it says to do.
    pub outcome: Outcome,
    /// For `postpone`: how long to wait.
    pub wait: Option<Wait>,
    /// For the practitioner.
    pub message: String,
    /// Where the rule comes from.
    pub source: String,
    /// An instruction for the client before a session, when it fires.
    pub pre_session: Option<String>,
}

/// A validated rule set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    /// Its version, stored with every screening result.
    pub version: String,
    /// Instructions for every client before a session.
    pub pre_session: Vec<String>,
    /// In the file's order; every intake code is covered by at least one.
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuleSet {
    version: String,
    #[serde(default)]
    pre_session: Vec<RawText>,
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    trigger: RawTrigger,
    outcome: Outcome,
    wait: Option<RawWait>,
    message: String,
    source: String,
    pre_session: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    flag: Option<String>,
    age_under: Option<u32>,
    condition: Option<String>,
    medication: Option<String>,
    allergy: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWait {
    #[serde(default)]
    months: u32,
    #[serde(default)]
    days: u32,
    after: String,
}

fn known(
    loc: &Locator<'_>,
    path: &[Step],
    code: String,
    valid: &[&str],
    what: &str,
) -> Result<String, SourceError> {
    if valid.contains(&code.as_str()) {
        Ok(code)
    } else {
        Err(loc.error(path, format!("unknown {what} {code:?}; the valid codes are: {}", valid.join(", "))))
    }
}

impl RuleSet {
    /// The embedded default rule set.
    pub fn default_rules() -> Self {
        Self::parse(DEFAULT_RULES).expect("the embedded rule set is valid")
    }

    /// Parses and validates a rule file. Refused when a rule is malformed,
    /// when ids repeat, or when an intake answer would match no rule.
    pub fn parse(text: &str) -> Result<Self, SourceError> {
        let loc = Locator::new(text);
        let raw: RawRuleSet = loc.deserialize()?;
        if raw.version.trim().is_empty() {
            return Err(loc.error(&[Step::Key("version")], "the rule set needs a version"));
        }
        let mut rules: Vec<Rule> = Vec::with_capacity(raw.rules.len());
        for (i, r) in raw.rules.into_iter().enumerate() {
            let at = |key| [Step::Key("rules"), Step::Index(i), Step::Key(key)];
            if r.id.trim().is_empty() || rules.iter().any(|other| other.id == r.id) {
                return Err(
                    loc.error(&at("id"), format!("rule ids must be unique and not empty: {:?}", r.id))
                );
            }
            let t = r.trigger;
            let set = [
                t.flag.is_some(),
                t.age_under.is_some(),
                t.condition.is_some(),
                t.medication.is_some(),
                t.allergy.is_some(),
            ];
            if set.iter().filter(|s| **s).count() != 1 {
                return Err(loc.error(
                    &at("trigger"),
                    "a trigger names exactly one of flag, age_under, condition, medication or allergy",
                ));
            }
            let tp = at("trigger");
            let trigger = if let Some(f) = t.flag {
                Trigger::Flag(known(&loc, &tp, f, FLAGS, "flag")?)
            } else if let Some(age) = t.age_under {
                Trigger::AgeUnder(age)
            } else if let Some(c) = t.condition {
                Trigger::Condition(known(&loc, &tp, c, CONDITIONS, "condition")?)
            } else if let Some(m) = t.medication {
                Trigger::Medication(known(&loc, &tp, m, MEDICATIONS, "medication")?)
            } else {
                Trigger::Allergy(known(
                    &loc,
                    &tp,
                    t.allergy.expect("one trigger is set"),
                    ALLERGIES,
                    "allergy",
                )?)
            };
            let wait = match (r.outcome, r.wait) {
                (Outcome::Postpone, Some(w)) => {
                    let after = DATE_FIELDS.iter().copied().find(|f| *f == w.after).ok_or_else(|| {
                        loc.error(
                            &at("wait"),
                            format!("wait.after must be one of {}", DATE_FIELDS.join(", ")),
                        )
                    })?;
                    if w.months == 0 && w.days == 0 {
                        return Err(loc.error(&at("wait"), "a wait needs months or days"));
                    }
                    if !matches!(trigger, Trigger::Condition(_) | Trigger::Medication(_)) {
                        return Err(
                            loc.error(&at("wait"), "only condition and medication rules can wait for a date")
                        );
                    }
                    Some(Wait { months: w.months, days: w.days, after })
                }
                (Outcome::Postpone, None) => {
                    return Err(
                        loc.error(&at("outcome"), "a postpone rule needs a wait = { months|days, after }")
                    );
                }
                (_, Some(_)) => return Err(loc.error(&at("wait"), "only postpone rules have a wait")),
                (_, None) => None,
            };
            rules.push(Rule {
                id: r.id,
                trigger,
                outcome: r.outcome,
                wait,
                message: r.message,
                source: r.source,
                pre_session: r.pre_session,
            });
        }
        let set = RuleSet {
            version: raw.version,
            pre_session: raw.pre_session.into_iter().map(|t| t.text).collect(),
            rules,
        };
        let uncovered = set.uncovered_codes();
        if !uncovered.is_empty() {
            return Err(loc.error(
                &[Step::Key("rules")],
                format!(
                    "no rule covers these intake answers, which would then be ignored: {}",
                    uncovered.join(", ")
                ),
            ));
        }
        Ok(set)
    }

    /// Intake codes and flags no rule fires on.
    fn uncovered_codes(&self) -> Vec<String> {
        let covered = |f: &dyn Fn(&Trigger) -> bool| self.rules.iter().any(|r| f(&r.trigger));
        let mut out = Vec::new();
        for flag in FLAGS {
            if !covered(&|t| matches!(t, Trigger::Flag(x) if x == flag)) {
                out.push(format!("flag {flag}"));
            }
        }
        for c in CONDITIONS {
            if !covered(&|t| matches!(t, Trigger::Condition(x) if x == c)) {
                out.push(format!("condition {c}"));
            }
        }
        for m in MEDICATIONS {
            if !covered(&|t| matches!(t, Trigger::Medication(x) if x == m)) {
                out.push(format!("medication {m}"));
            }
        }
        for a in ALLERGIES {
            if !covered(&|t| matches!(t, Trigger::Allergy(x) if x == a)) {
                out.push(format!("allergy {a}"));
            }
        }
        out
    }
}

/// One rule that fired, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: String,
    /// What it says to do for this client.
    pub outcome: Outcome,
    /// Which answer triggered it, and the rule's reasoning.
    pub because: String,
    /// The rule's source (absent from screenings stored before rules
    /// cited theirs).
    #[serde(default)]
    pub source: String,
    /// For `postpone`: the first date the client may be treated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

/// The result of screening an intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screening {
    /// The most severe finding's outcome (`proceed` with no findings).
    pub outcome: Outcome,
    /// The first date the client may be treated, when a wait applies.
    pub earliest_date: Option<NaiveDate>,
    /// Every rule that fired, most severe first.
    pub findings: Vec<Finding>,
    /// Instructions for the days before a session.
    #[serde(default)]
    pub pre_session: Vec<String>,
    /// The rule set's version.
    pub rules_version: String,
}

/// A date as a person reads it: "1 March 2027".
fn long(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// A yes/no answer as the finding says it.
fn flag_words(flag: &str) -> &'static str {
    match flag {
        "pregnant" => "Pregnant",
        "breastfeeding" => "Breastfeeding",
        _ => "Answered yes",
    }
}

/// How an answer's date reads: ("last dose on", "the date of the last dose").
fn date_words(key: &str) -> (&'static str, &'static str) {
    match key {
        "ended" => ("ended on", "the date it ended"),
        "last_dose" => ("last dose on", "the date of the last dose"),
        _ => ("on", "its date"),
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// The finding as one plain passage: what the answer was, then the rule's
/// advice, without saying the answer's name twice ("Minoxidil. Minoxidil:
/// pause..." becomes "Minoxidil. Pause...").
fn sentence(because: &str, message: &str) -> String {
    let name = because.split([',', ':']).next().unwrap_or(because).trim();
    let advice = message
        .split_once(':')
        .filter(|(head, _)| !head.trim().is_empty() && name.starts_with(head.trim()))
        .map(|(_, rest)| {
            let rest = rest.trim_start();
            let mut chars = rest.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        })
        .unwrap_or_else(|| message.to_string());
    format!("{because}. {advice}")
}

/// Applies `rules` to `intake`.
pub fn screen(intake: &Intake, rules: &RuleSet) -> Screening {
    let mut findings = Vec::new();
    let mut pre_session: Vec<String> = rules.pre_session.clone();
    let today = intake.consultation_date;
    for rule in &rules.rules {
        let mut fire = |outcome: Outcome, because: String, until: Option<NaiveDate>| {
            findings.push(Finding {
                rule: rule.id.clone(),
                outcome,
                because: sentence(&because, &rule.message),
                source: rule.source.clone(),
                until,
            });
            if let Some(p) = &rule.pre_session
                && !pre_session.contains(p)
            {
                pre_session.push(p.clone());
            }
        };
        match &rule.trigger {
            Trigger::Flag(flag) if intake.flag(flag) => {
                fire(rule.outcome, flag_words(flag).to_string(), None)
            }
            Trigger::AgeUnder(limit) if intake.age() < *limit as i32 => {
                fire(rule.outcome, format!("{} years old on {}", intake.age(), long(today)), None)
            }
            Trigger::Allergy(code) if intake.allergies.contains(code) => {
                fire(rule.outcome, format!("Allergic to {}", lower_first(intake::label(code))), None)
            }
            Trigger::Condition(code) | Trigger::Medication(code) => {
                let list = match &rule.trigger {
                    Trigger::Condition(_) => &intake.conditions,
                    _ => &intake.medications,
                };
                let what = intake::label(code);
                for answer in list.iter().filter(|a| &a.code == code) {
                    let Some(wait) = &rule.wait else {
                        fire(rule.outcome, what.to_string(), None);
                        continue;
                    };
                    match answer.dates.get(wait.after) {
                        None => fire(
                            Outcome::Clearance,
                            format!(
                                "{what}, without {}: the wait of {} cannot be worked out, so ask the client for the date",
                                date_words(wait.after).1,
                                wait.describe()
                            ),
                            None,
                        ),
                        Some(&from) => {
                            let until = wait.end(from);
                            let (on, _) = date_words(wait.after);
                            if until <= today {
                                fire(
                                    Outcome::Proceed,
                                    format!(
                                        "{what}, {on} {}; the wait of {} ended on {}",
                                        long(from),
                                        wait.describe(),
                                        long(until)
                                    ),
                                    None,
                                );
                            } else {
                                fire(
                                    rule.outcome,
                                    format!(
                                        "{what}, {on} {}: wait {}, until {}",
                                        long(from),
                                        wait.describe(),
                                        long(until)
                                    ),
                                    Some(until),
                                );
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.outcome));
    let outcome = findings.iter().map(|f| f.outcome).max().unwrap_or(Outcome::Proceed);
    let earliest_date =
        if outcome == Outcome::Decline { None } else { findings.iter().filter_map(|f| f.until).max() };
    Screening { outcome, earliest_date, findings, pre_session, rules_version: rules.version.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_names_the_answer_once_in_plain_words() {
        assert_eq!(
            sentence("Minoxidil", "Minoxidil: pause 7 days before and after each session."),
            "Minoxidil. Pause 7 days before and after each session."
        );
        assert_eq!(
            sentence(
                "Isotretinoin (Roaccutane), last dose on 1 September 2026: wait 6 months, until 1 March 2027",
                "Isotretinoin: wait 6 months after the last dose."
            ),
            "Isotretinoin (Roaccutane), last dose on 1 September 2026: wait 6 months, until 1 March 2027. \
             Wait 6 months after the last dose."
        );
        assert_eq!(sentence("Pregnant", "Not during pregnancy."), "Pregnant. Not during pregnancy.");
    }

    /// No finding shows an intake code or a date key, and none cites an
    /// internal document.
    #[test]
    fn findings_read_as_sentences_without_codes() {
        let text = "consultation_date = 2026-12-01\nbirth_date = 1985-04-02\npregnant = false\nbreastfeeding = false\n\
                    allergies = [\"latex\"]\n[[conditions]]\ncode = \"psoriasis_scalp_active\"\n\
                    [[medications]]\ncode = \"isotretinoin\"\nlast_dose = 2026-09-01\n[[medications]]\ncode = \"minoxidil\"\n";
        let intake = crate::intake::parse(text).unwrap();
        let result = screen(&intake, &RuleSet::default_rules());
        for f in &result.findings {
            for code in ["psoriasis_scalp_active", "last_dose", "_", "`"] {
                assert!(!f.because.contains(code), "{code} in {}", f.because);
            }
            assert!(!f.because.contains("Minoxidil. Minoxidil"), "{}", f.because);
            assert!(!f.source.contains("brief"), "{}", f.source);
        }
    }

    /// Every default rule names a public source a practitioner can look up
    /// (a paper, a guideline or a law with its year, or a manufacturer's
    /// label), never an in-house convention or an internal document.
    #[test]
    fn every_default_rule_cites_a_public_source() {
        let rules = RuleSet::default_rules();
        for rule in &rules.rules {
            let source = rule.source.to_lowercase();
            for internal in ["convention", "brief", "smp studio"] {
                assert!(!source.contains(internal), "{}: {}", rule.id, rule.source);
            }
            let has_year =
                rule.source.as_bytes().windows(4).any(|w| {
                    w.iter().all(u8::is_ascii_digit) && (b"19"[..] == w[..2] || b"20"[..] == w[..2])
                });
            let is_label = source.contains("label") || source.contains("prescribing information");
            assert!(has_year || is_label, "{} cites no dated source or label: {}", rule.id, rule.source);
        }
    }
}
