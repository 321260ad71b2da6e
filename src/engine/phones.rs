//! libphonenumber's numbering plans, one country calling code at a time.
//! The `phonenumber` crate's own database checks the syntax of every
//! pattern of every region when it is first used (about 520 million
//! instructions, a tenth of a second, before the first number is
//! validated); a trace's numbers come from a handful of codes. So the
//! plans are read from the crate's metadata file (the same release, in
//! `assets/libphonenumber/`) into one database per country code, each
//! built the first time a number of that code is asked about (on each
//! thread: see [`BUILT`]).
//!
//! Answers are the crate's own: a number is parsed and validated with the
//! crate's functions against the database of its code, which holds every
//! region of that code. Where the code is not known beforehand (a national
//! number that dials out through its region's international prefix), the
//! crate's full database answers.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::LazyLock;

use phonenumber::ParseError;
use phonenumber::country::Id;
use phonenumber::metadata::Database;
use phonenumber::metadata::loader::Metadata;

const XML: &str = include_str!("../../assets/libphonenumber/PhoneNumberMetadata.xml");

struct Plans {
    /// Per country calling code, its regions' metadata.
    codes: BTreeMap<u16, Vec<Metadata>>,
    /// Each region's country code (`GB` → 44).
    regions: BTreeMap<String, u16>,
}

static PLANS: LazyLock<Plans> = LazyLock::new(|| {
    // The file is compiled in and read by the crate's own loader; should
    // it ever fail, every number goes to the full database.
    let metas = phonenumber::metadata::loader::load(std::io::Cursor::new(XML.as_bytes()))
        .unwrap_or_default();
    let mut codes: BTreeMap<u16, Vec<Metadata>> = BTreeMap::new();
    let mut regions = BTreeMap::new();
    for m in metas {
        let Some(code) = m.country_code else {
            continue;
        };
        if let Some(id) = &m.id {
            regions.insert(id.clone(), code);
        }
        codes.entry(code).or_default().push(m);
    }
    Plans { codes, regions }
});

thread_local! {
    /// This thread's databases, per country code (`None`: it would not
    /// build; the full database answers instead). Each thread builds its
    /// own: a database's compiled patterns sit behind one lock, which two
    /// threads validating numbers at once would contend for.
    static BUILT: RefCell<BTreeMap<u16, Option<Rc<Database>>>> = const { RefCell::new(BTreeMap::new()) };
}

/// This thread's database of one country code's regions.
fn database(code: u16) -> Option<Rc<Database>> {
    BUILT.with(|built| {
        if let Some(db) = built.borrow().get(&code) {
            return db.clone();
        }
        let db = PLANS
            .codes
            .get(&code)
            .and_then(|metas| Database::from(metas.clone()).ok())
            .map(Rc::new);
        built.borrow_mut().insert(code, db.clone());
        db
    })
}

/// The country code a `+` number starts with: calling codes are a prefix
/// code, so at most one of its first one to three digits is one.
fn code_of(number: &str) -> Option<u16> {
    let after = number.split_once('+')?.1;
    let digits: String = after.chars().filter(char::is_ascii_digit).take(3).collect();
    (1..=digits.len()).find_map(|n| {
        digits
            .get(..n)?
            .parse::<u16>()
            .ok()
            .filter(|c| PLANS.codes.contains_key(c))
    })
}

/// Whether the crate's full database finds `number` valid.
fn full(region: Option<Id>, number: &str) -> bool {
    phonenumber::parse(region, number).is_ok_and(|n| phonenumber::is_valid(&n))
}

/// Parses and validates against `db`, or the full database when `db`
/// lacks the code the number turns out to dial.
fn with(db: Option<Rc<Database>>, region: Option<Id>, number: &str) -> bool {
    let Some(db) = db else {
        return full(region, number);
    };
    match phonenumber::parse_with(&db, region, number) {
        Err(ParseError::InvalidCountryCode) => full(region, number),
        parsed => parsed.is_ok_and(|n| phonenumber::is_valid_with(&db, &n)),
    }
}

/// Whether `number`, written with `+` and its country code, is a valid
/// number of that country's plan.
pub fn valid_international(number: &str) -> bool {
    with(code_of(number).and_then(database), None, number)
}

/// Whether `number`, written as `region` writes its numbers, is valid there.
pub fn valid_in(region: Id, number: &str) -> bool {
    let code = PLANS.regions.get(region.as_ref()).copied();
    with(code.and_then(database), Some(region), number)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every region's example numbers, in its national form and with its
    /// code, and the same numbers one digit short and one digit long:
    /// valid or not, the per-code plans answer as the crate's full
    /// database does. (It also holds the shipped file to the crate's
    /// release: another release's examples would disagree.)
    #[test]
    fn the_shipped_plans_answer_as_the_crate_does() {
        let metas: Vec<&Metadata> = PLANS.codes.values().flatten().collect();
        assert!(metas.len() > 200, "{} regions", metas.len());
        let (mut asked, mut valid) = (0, 0);
        for m in metas {
            let (Some(id), Some(code)) = (&m.id, m.country_code) else {
                continue;
            };
            let region: Option<Id> = id.parse().ok();
            let descriptors = [
                &m.general,
                &m.fixed_line,
                &m.mobile,
                &m.toll_free,
                &m.premium_rate,
                &m.voip,
                &m.uan,
            ];
            for d in descriptors.into_iter().flatten() {
                let Some(example) = &d.example else { continue };
                let prefix = m.national_prefix.clone().unwrap_or_default();
                for national in [
                    example.clone(),
                    format!("{prefix}{example}"),
                    example
                        .get(..example.len().saturating_sub(1))
                        .unwrap_or_default()
                        .to_string(),
                    format!("{example}7"),
                ] {
                    let intl = format!("+{code} {national}");
                    let answer = valid_international(&intl);
                    assert_eq!(answer, full(None, &intl), "{intl}");
                    valid += usize::from(answer);
                    if let Some(r) = region {
                        assert_eq!(
                            valid_in(r, &national),
                            full(Some(r), &national),
                            "{id} {national}"
                        );
                    }
                    asked += 1;
                }
            }
        }
        // Both answers are exercised: the examples are valid, most of the
        // shortened and lengthened ones are not.
        assert!(
            asked > 2000 && valid > 1000 && asked - valid > 500,
            "{valid} of {asked} valid"
        );
    }

    #[test]
    fn codes_are_read_from_the_number() {
        assert_eq!(code_of("+1 415 555 0132"), Some(1));
        assert_eq!(code_of("+44 20 7946 0958"), Some(44));
        assert_eq!(code_of("+972-3-123-4567"), Some(972));
        assert_eq!(code_of("415 555 0132"), None);
        assert!(valid_international("+44 20 7946 0958"));
        assert!(valid_in(Id::GB, "020 7946 0958"));
        assert!(!valid_in(Id::GB, "020 7946"));
    }
}
