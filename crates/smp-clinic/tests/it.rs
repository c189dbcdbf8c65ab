//! Integration tests of the clinical core: screening (table-driven), plans,
//! aftercare and its calendar read back by an independent parser.

use chrono::NaiveDate;
use smp_clinic::aftercare::FollowUp;
use smp_clinic::{Outcome, Protocol, RuleSet, intake, screen};

const BASE: &str =
    "consultation_date = 2026-12-01\nbirth_date = 1985-04-02\npregnant = false\nbreastfeeding = false\n";

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// One screening case: extra intake lines, the rule expected to fire with
/// its finding's outcome, the overall outcome and earliest date.
struct Case {
    name: &'static str,
    intake: &'static str,
    rule: Option<(&'static str, Outcome)>,
    overall: Outcome,
    earliest: Option<&'static str>,
}

const fn case(
    name: &'static str,
    intake: &'static str,
    rule: Option<(&'static str, Outcome)>,
    overall: Outcome,
    earliest: Option<&'static str>,
) -> Case {
    Case { name, intake, rule, overall, earliest }
}

use Outcome::{Caution as C, Clearance as L, Decline as D, Postpone as P, Proceed as G};

const CASES: &[Case] = &[
    case("nothing declared", "", None, G, None),
    case("pregnant", "pregnant = true", Some(("pregnancy", D)), D, None),
    case("breastfeeding", "breastfeeding = true", Some(("breastfeeding", D)), D, None),
    case("aged 16", "birth_date = 2010-01-01", Some(("under-18", D)), D, None),
    case("18 tomorrow", "birth_date = 2008-12-02", Some(("under-18", D)), D, None),
    case("18 today", "birth_date = 2008-12-01", None, G, None),
    case(
        "psoriasis",
        "[[conditions]]\ncode = \"psoriasis_scalp_active\"",
        Some(("scalp-psoriasis", D)),
        D,
        None,
    ),
    case("eczema", "[[conditions]]\ncode = \"eczema_scalp_active\"", Some(("scalp-eczema", D)), D, None),
    case(
        "dermatitis",
        "[[conditions]]\ncode = \"dermatitis_scalp_active\"",
        Some(("scalp-dermatitis", D)),
        D,
        None,
    ),
    case(
        "folliculitis",
        "[[conditions]]\ncode = \"folliculitis_active\"",
        Some(("folliculitis", D)),
        D,
        None,
    ),
    case("sunburn", "[[conditions]]\ncode = \"sunburn_scalp\"", Some(("sunburn", D)), D, None),
    case("open wound", "[[conditions]]\ncode = \"open_wound_scalp\"", Some(("open-wound", D)), D, None),
    case("infection", "[[conditions]]\ncode = \"scalp_infection\"", Some(("scalp-infection", D)), D, None),
    case("skin cancer", "[[conditions]]\ncode = \"skin_cancer_scalp\"", Some(("skin-cancer", D)), D, None),
    case("hemophilia", "[[conditions]]\ncode = \"hemophilia\"", Some(("hemophilia", D)), D, None),
    case(
        "platelets",
        "[[conditions]]\ncode = \"platelet_disorder\"",
        Some(("platelet-disorder", D)),
        D,
        None,
    ),
    case("keloids", "[[conditions]]\ncode = \"keloid_tendency\"", Some(("keloid", D)), D, None),
    case("diabetes", "[[conditions]]\ncode = \"diabetes\"", Some(("diabetes", L)), L, None),
    case("heart disease", "[[conditions]]\ncode = \"heart_disease\"", Some(("heart-disease", L)), L, None),
    case("hypertension", "[[conditions]]\ncode = \"hypertension\"", Some(("hypertension", L)), L, None),
    case("valve", "[[conditions]]\ncode = \"heart_valve_disease\"", Some(("heart-valve", L)), L, None),
    case("epilepsy", "[[conditions]]\ncode = \"epilepsy\"", Some(("epilepsy", L)), L, None),
    case("autoimmune", "[[conditions]]\ncode = \"autoimmune_disease\"", Some(("autoimmune", L)), L, None),
    case("hiv", "[[conditions]]\ncode = \"hiv\"", Some(("hiv", L)), L, None),
    case("hepatitis", "[[conditions]]\ncode = \"hepatitis\"", Some(("hepatitis", L)), L, None),
    case(
        "alopecia areata",
        "[[conditions]]\ncode = \"alopecia_areata_active\"",
        Some(("alopecia-areata", L)),
        L,
        None,
    ),
    case("anticoagulant", "[[medications]]\ncode = \"anticoagulant\"", Some(("anticoagulant", L)), L, None),
    case("steroids", "[[medications]]\ncode = \"systemic_steroid\"", Some(("systemic-steroid", L)), L, None),
    case("antibiotic", "[[medications]]\ncode = \"antibiotic\"", Some(("antibiotic", L)), L, None),
    case(
        "isotretinoin 3 months ago",
        "[[medications]]\ncode = \"isotretinoin\"\nlast_dose = 2026-09-01",
        Some(("isotretinoin", P)),
        P,
        Some("2027-03-01"),
    ),
    case(
        "isotretinoin 6 months ago to the day",
        "[[medications]]\ncode = \"isotretinoin\"\nlast_dose = 2026-06-01",
        Some(("isotretinoin", G)),
        G,
        None,
    ),
    case(
        "isotretinoin stopped at a month end",
        "[[medications]]\ncode = \"isotretinoin\"\nlast_dose = 2026-08-31",
        Some(("isotretinoin", P)),
        P,
        Some("2027-02-28"),
    ),
    case(
        "isotretinoin long ago",
        "[[medications]]\ncode = \"isotretinoin\"\nlast_dose = 2025-01-15",
        Some(("isotretinoin", G)),
        G,
        None,
    ),
    case(
        "isotretinoin without a date",
        "[[medications]]\ncode = \"isotretinoin\"",
        Some(("isotretinoin", L)),
        L,
        None,
    ),
    case(
        "chemotherapy ended in August",
        "[[conditions]]\ncode = \"chemotherapy\"\nended = 2026-08-01",
        Some(("chemotherapy", P)),
        P,
        Some("2027-02-01"),
    ),
    case(
        "chemotherapy without an end date",
        "[[conditions]]\ncode = \"chemotherapy\"",
        Some(("chemotherapy", L)),
        L,
        None,
    ),
    case(
        "laser a month ago",
        "[[conditions]]\ncode = \"laser_treatment_scalp\"\ndate = 2026-11-01",
        Some(("laser-scalp", P)),
        P,
        Some("2027-01-30"),
    ),
    case(
        "laser without a date",
        "[[conditions]]\ncode = \"laser_treatment_scalp\"",
        Some(("laser-scalp", L)),
        L,
        None,
    ),
    case(
        "peel 11 days ago",
        "[[conditions]]\ncode = \"scalp_peel\"\ndate = 2026-11-20",
        Some(("scalp-peel", P)),
        P,
        Some("2026-12-04"),
    ),
    case(
        "peel 3 weeks ago",
        "[[conditions]]\ncode = \"scalp_peel\"\ndate = 2026-11-10",
        Some(("scalp-peel", G)),
        G,
        None,
    ),
    case("antiplatelet", "[[medications]]\ncode = \"antiplatelet\"", Some(("antiplatelet", C)), C, None),
    case("aspirin", "[[medications]]\ncode = \"aspirin\"", Some(("aspirin", C)), C, None),
    case("nsaid", "[[medications]]\ncode = \"nsaid\"", Some(("nsaid", C)), C, None),
    case("minoxidil", "[[medications]]\ncode = \"minoxidil\"", Some(("minoxidil", C)), C, None),
    case("finasteride", "[[medications]]\ncode = \"finasteride\"", Some(("finasteride", G)), G, None),
    case("lidocaine allergy", "allergies = [\"lidocaine\"]", Some(("allergy-lidocaine", C)), C, None),
    case("epinephrine allergy", "allergies = [\"epinephrine\"]", Some(("allergy-epinephrine", C)), C, None),
    case("latex allergy", "allergies = [\"latex\"]", Some(("allergy-latex", C)), C, None),
    case("nickel allergy", "allergies = [\"nickel\"]", Some(("allergy-nickel", C)), C, None),
    case("pigment allergy", "allergies = [\"pigment\"]", Some(("allergy-pigment", C)), C, None),
    case("bacitracin allergy", "allergies = [\"bacitracin\"]", Some(("allergy-bacitracin", C)), C, None),
    case(
        "a wait and a clearance: clearance rules, the wait still dates",
        "[[conditions]]\ncode = \"chemotherapy\"\nended = 2026-08-01\n[[conditions]]\ncode = \"diabetes\"",
        Some(("chemotherapy", P)),
        L,
        Some("2027-02-01"),
    ),
    case(
        "two waits: the later one counts",
        "[[conditions]]\ncode = \"scalp_peel\"\ndate = 2026-11-20\n[[medications]]\ncode = \"isotretinoin\"\nlast_dose = 2026-09-01",
        Some(("scalp-peel", P)),
        P,
        Some("2027-03-01"),
    ),
    case(
        "decline outranks a wait, and leaves no date",
        "pregnant = true\n[[medications]]\ncode = \"isotretinoin\"\nlast_dose = 2026-09-01",
        Some(("isotretinoin", P)),
        D,
        None,
    ),
    case(
        "caution with an allergy and a wait",
        "allergies = [\"latex\"]\n[[conditions]]\ncode = \"scalp_peel\"\ndate = 2026-11-25",
        Some(("allergy-latex", C)),
        P,
        Some("2026-12-09"),
    ),
];

/// The intake text of a case: its lines replace the base's same keys.
fn intake_text(extra: &str) -> String {
    let mut base: Vec<String> = BASE.lines().map(String::from).collect();
    let mut tail = Vec::new();
    for line in extra.lines() {
        let key = line.split('=').next().unwrap().trim();
        if let Some(slot) = base.iter_mut().find(|l| l.split('=').next().unwrap().trim() == key) {
            *slot = line.to_string();
        } else if line.starts_with("allergies") {
            base.push(line.to_string());
        } else {
            tail.push(line.to_string());
        }
    }
    base.extend(tail);
    base.join("\n") + "\n"
}

#[test]
fn screening_cases() {
    let rules = RuleSet::default_rules();
    assert!(CASES.len() >= 40);
    for c in CASES {
        let intake = intake::parse(&intake_text(c.intake)).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let result = screen(&intake, &rules);
        assert_eq!(result.outcome, c.overall, "{}: overall", c.name);
        assert_eq!(result.earliest_date, c.earliest.map(date), "{}: earliest date", c.name);
        match c.rule {
            None => assert!(result.findings.is_empty(), "{}: {:?}", c.name, result.findings),
            Some((rule, outcome)) => {
                let f = result
                    .findings
                    .iter()
                    .find(|f| f.rule == rule)
                    .unwrap_or_else(|| panic!("{}: {rule} did not fire", c.name));
                assert_eq!(f.outcome, outcome, "{}: finding", c.name);
                assert!(!f.because.is_empty() && !f.source.is_empty(), "{}: explained", c.name);
            }
        }
        // Most severe first.
        assert!(result.findings.windows(2).all(|w| w[0].outcome >= w[1].outcome), "{}", c.name);
        assert_eq!(result.rules_version, rules.version);
    }
}

#[test]
fn a_missing_date_asks_for_it() {
    let intake = intake::parse(&intake_text("[[conditions]]\ncode = \"chemotherapy\"")).unwrap();
    let result = screen(&intake, &RuleSet::default_rules());
    assert!(
        result.findings[0].because.contains("ask the client for the date"),
        "{}",
        result.findings[0].because
    );
}

#[test]
fn blood_thinners_are_never_stopped() {
    for code in ["anticoagulant", "antiplatelet", "aspirin", "nsaid"] {
        let intake = intake::parse(&intake_text(&format!("[[medications]]\ncode = \"{code}\""))).unwrap();
        let result = screen(&intake, &RuleSet::default_rules());
        let advice = result.pre_session.join(" ").to_lowercase();
        assert!(advice.contains("doctor") || advice.contains("prescriber"), "{code}: {advice}");
        assert!(!advice.contains("stop taking"), "{code}: {advice}");
    }
    let intake = intake::parse(&intake_text("[[medications]]\ncode = \"minoxidil\"")).unwrap();
    let advice = screen(&intake, &RuleSet::default_rules()).pre_session.join(" ");
    assert!(advice.contains("minoxidil 7 days before"), "{advice}");
    assert!(advice.contains("alcohol") && advice.contains("tanning"), "{advice}");
}

#[test]
fn unknown_codes_are_refused_with_the_valid_ones() {
    let err = intake::parse(&intake_text("[[medications]]\ncode = \"warfarin\"")).unwrap_err();
    assert_eq!(err.key, "medications[0].code");
    assert_eq!(err.line, Some(6));
    assert!(err.message.contains("\"warfarin\"") && err.message.contains("anticoagulant"), "{err}");
    let err = intake::parse(&intake_text("allergies = [\"peanut\"]")).unwrap_err();
    assert!(err.message.contains("lidocaine, epinephrine"), "{err}");
    let err = intake::parse(&intake_text("smoker = true")).unwrap_err();
    assert!(err.message.contains("unknown field `smoker`"), "{err}");
    let err = intake::parse(&intake_text("[[medications]]\ncode = \"isotretinoin\"\nlast_dose = 2027-01-01"))
        .unwrap_err();
    assert!(err.message.contains("after the consultation date"), "{err}");
}

#[test]
fn malformed_rule_sets_are_refused() {
    let rules = smp_clinic::screening::DEFAULT_RULES;
    let cases = [
        (
            rules.replace(
                "trigger = { flag = \"pregnant\" }",
                "trigger = { flag = \"pregnant\", age_under = 3 }",
            ),
            "exactly one",
        ),
        (rules.replace("outcome = \"decline\"", "outcome = \"maybe\""), "unknown variant `maybe`"),
        (
            rules.replace("condition = \"diabetes\"", "condition = \"diabetis\""),
            "unknown condition \"diabetis\"",
        ),
        (rules.replace("wait = { months = 6, after = \"last_dose\" }", ""), "a postpone rule needs a wait"),
        (rules.replace("id = \"hiv\"", "id = \"hepatitis\""), "unique"),
        (
            rules.replace(
                "trigger = { medication = \"finasteride\" }",
                "trigger = { medication = \"minoxidil\" }",
            ),
            "medication finasteride",
        ),
        (rules.replace("version = \"smp-default-2026.12.2\"", "version = 3"), "invalid type"),
    ];
    for (text, expect) in cases {
        let err = RuleSet::parse(&text).unwrap_err();
        assert!(err.to_string().contains(expect), "expected {expect:?} in {err}");
        assert!(err.line.is_some(), "{err}");
    }
}

fn design() -> smp_core::Design {
    smp_core::parse(smp_core::EXAMPLE_DESIGN).unwrap()
}

#[test]
fn the_plan_agrees_with_the_pattern_and_respects_healing() {
    let design = design();
    let protocol = Protocol::default_protocol();
    let plan = smp_clinic::plan(&design, date("2027-01-10"), None, &protocol).unwrap();
    let counts = smp_pattern::Pattern::generate(&design).session_counts();
    assert_eq!(plan.sessions.iter().map(|s| s.impressions).collect::<Vec<_>>(), counts);
    let dates: Vec<String> = plan.sessions.iter().map(|s| s.date.to_string()).collect();
    assert_eq!(dates, ["2027-01-10", "2027-01-22", "2027-02-12"]);
    assert!(plan.sessions[0].dilution < plan.sessions[1].dilution, "a lighter first session");
    let hours = protocol.plan.setup_minutes as f64 / 60.0
        + plan.sessions[0].impressions as f64 / protocol.plan.impressions_per_hour;
    assert!((plan.sessions[0].hours - hours).abs() <= 0.05);
    // 10 px per ... the example's scale is 16 px/mm: the hairline zone's polygon area.
    let hairline = design.zones.iter().find(|z| z.name == "hairline").unwrap();
    let expected = hairline.polygon.area() * design.photo.mm_per_px.powi(2) / 100.0;
    assert!((plan.area_cm2["hairline"] - expected).abs() < 0.06);
    let four = smp_clinic::plan(&design, date("2027-01-10"), Some(4), &protocol).unwrap();
    assert_eq!(four.sessions.len(), 4);
    assert!(smp_clinic::plan(&design, date("2027-01-10"), Some(7), &protocol).is_err());
}

#[test]
fn a_session_inside_the_healing_window_is_refused() {
    let protocol = Protocol::default_protocol();
    let ok = [date("2027-01-10"), date("2027-01-17"), date("2027-01-31")];
    assert!(smp_clinic::plan::check_spacing(&ok, &protocol).is_ok());
    let err =
        smp_clinic::plan::check_spacing(&[date("2027-01-10"), date("2027-01-16")], &protocol).unwrap_err();
    assert!(err.to_string().contains("not before 2027-01-17"), "{err}");
    let err = smp_clinic::plan::check_spacing(
        &ok[..2].iter().copied().chain([date("2027-01-30")]).collect::<Vec<_>>(),
        &protocol,
    )
    .unwrap_err();
    assert!(err.to_string().contains("session 3"), "{err}");
}

#[test]
fn malformed_protocols_are_refused() {
    let text = smp_clinic::protocol::DEFAULT_PROTOCOL;
    let cases = [
        (
            text.replace(
                "first_gap = { min_days = 7, default_days = 12 }",
                "first_gap = { min_days = 14, default_days = 12 }",
            ),
            "min_days <= default_days",
        ),
        (text.replace("id = \"swim\"", "id = \"pool\""), "\"swim\" is required"),
        (text.replace("impressions_per_hour = 5000", "impressions_per_hour = -1"), "positive"),
    ];
    for (t, expect) in cases {
        let err = Protocol::parse(&t).unwrap_err();
        assert!(err.to_string().contains(expect), "expected {expect:?} in {err}");
    }
}

#[test]
fn the_calendar_reads_back_in_an_independent_parser() {
    let care = smp_clinic::aftercare(
        date("2026-12-01"),
        &Protocol::default_protocol(),
        FollowUp { next_session: Some(date("2026-12-13")), touch_up: Some(date("2030-06-01")) },
    );
    let stamp = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let ics = care.to_ics(stamp);
    let mut parser = ical::IcalParser::new(ics.as_bytes());
    let calendar = parser.next().expect("one calendar").expect("it parses");
    assert!(parser.next().is_none());
    let prop = |e: &ical::parser::ical::component::IcalEvent, name: &str| {
        e.properties.iter().find(|p| p.name == name).and_then(|p| p.value.clone()).unwrap_or_default()
    };
    assert_eq!(calendar.events.len(), care.restrictions.len() + care.reminders.len());
    let water = calendar.events.iter().find(|e| prop(e, "UID").contains("-water@")).expect("water event");
    assert_eq!(prop(water, "DTSTART"), "20261201");
    assert_eq!(prop(water, "DTEND"), "20261205", "DTEND is exclusive: the day after the 4th");
    assert!(prop(water, "SUMMARY").contains("Keep the scalp dry"));
    let sun = calendar.events.iter().find(|e| prop(e, "UID").contains("-sun@")).unwrap();
    assert_eq!(prop(sun, "DTEND"), "20261230");
    let next = calendar.events.iter().find(|e| prop(e, "UID").contains("-next-session@")).unwrap();
    assert_eq!(prop(next, "DTSTART"), "20261213");
    // UIDs are unique and stable across exports.
    let uids: Vec<String> = calendar.events.iter().map(|e| prop(e, "UID")).collect();
    let mut unique = uids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), uids.len());
    let again = care.to_ics(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    let uid_lines =
        |s: &str| s.lines().filter(|l| l.starts_with("UID:")).map(String::from).collect::<Vec<_>>();
    assert_eq!(uid_lines(&ics), uid_lines(&again));
}

#[test]
fn the_printable_page_holds_every_restriction_in_plain_words() {
    let care = smp_clinic::aftercare(date("2026-12-01"), &Protocol::default_protocol(), FollowUp::default());
    let html = care.to_html();
    assert!(html.starts_with("<!doctype html>"));
    for r in &care.restrictions {
        let escaped = r.avoid.replace('\'', "&#x27;").replace('"', "&quot;");
        assert!(html.contains(&escaped) || html.contains(&r.avoid), "{}", r.avoid);
    }
    assert!(html.contains("Tue 29 Dec 2026"), "the sun restriction's end date");
    assert!(html.contains("@page"), "print styles");
}

/// The planner puts no session on a day the studio is closed: each goes to
/// the next open day, and the gaps count from the day chosen.
#[test]
fn plans_fall_on_open_days_only() {
    use chrono::Datelike;
    let protocol = Protocol::default_protocol();
    let closed_weekends = |d: chrono::NaiveDate| d.weekday().number_from_monday() <= 5;
    // A Saturday start.
    let start = date("2027-01-09");
    let every_day = smp_clinic::plan(&design(), start, None, &protocol).unwrap();
    let weekdays =
        smp_clinic::plan_on_open_days(&design(), start, None, &protocol, &closed_weekends).unwrap();
    assert!(weekdays.sessions.iter().all(|s| closed_weekends(s.date)), "{:?}", weekdays.sessions);
    // Every session's time includes the protocol's set-up (45 minutes).
    assert!(weekdays.sessions.iter().all(|s| s.hours >= 0.75), "{:?}", weekdays.sessions);
    assert_eq!(weekdays.sessions[0].date, date("2027-01-11"), "the Monday after");
    let dates: Vec<_> = weekdays.sessions.iter().map(|s| s.date).collect();
    assert!(smp_clinic::plan::check_spacing(&dates, &protocol).is_ok(), "healing windows kept");
    assert!(every_day.sessions.iter().any(|s| !closed_weekends(s.date)), "the default plan uses every day");
}
