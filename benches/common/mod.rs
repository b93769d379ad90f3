//! Shared by the benchmarks: the deterministic lead file, the `csv` floor, timing helpers and
//! the result rows that `scripts/bench.sh` prints as a table.

#![allow(dead_code)]

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use marketo_bulk_mock::clock::Timestamp;
use marketo_bulk_mock::faults::Faults;
use marketo_bulk_mock::import::{ImportContext, ImportRequest, LeadParams, prepare};
use marketo_bulk_mock::jobs::engine::UNPACED_STEP_ROWS;
use marketo_bulk_mock::store::Db;

/// The columns of the generated file; every one is a lead field in `fixtures/lead_fields.json`.
pub const HEADER: &str = "email,firstName,lastName,company,title,phone,leadScore,city,country";

const FIRST: &[&str] = &[
    "Ana", "Ben", "Chloe", "Dev", "Erin", "Felix", "Gita", "Hugo", "Ines", "Jon", "Kai", "Lena",
    "Milo", "Nora", "Omar", "Pia", "Quin", "Rosa", "Sam", "Tara",
];
const LAST: &[&str] = &[
    "Lima", "Okafor", "Martin", "Patel", "Walsh", "Braun", "Rao", "Dubois", "Costa", "Berg",
    "Sato", "Nowak", "Reyes", "Olsen", "Haddad", "Moreau",
];
const COMPANY: &[&str] = &[
    "Evergreen",
    "Foxglove Media",
    "Ironwood",
    "Northwind",
    "Acme",
    "Bluebird Labs",
    "Cobalt",
    "Driftwood",
];
const TITLE: &[&str] = &[
    "CTO", "Buyer", "Engineer", "VP Sales", "Analyst", "Director",
];
const PLACE: &[(&str, &str)] = &[
    ("Lisbon", "PT"),
    ("Lagos", "NG"),
    ("Paris", "FR"),
    ("Pune", "IN"),
    ("Dublin", "IE"),
    ("Berlin", "DE"),
    ("Austin", "US"),
    ("Osaka", "JP"),
];

/// A small deterministic generator, so every run reads the same bytes.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// The columns and values of a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// [`HEADER`]: nine text and number columns of everyday length, some quoted.
    Standard,
    /// Four columns (`email`, `firstName`, `lastName`, `company`) with long text values.
    LongText,
    /// Sixteen short typed columns: integers, scores, booleans, dates, money, phones.
    Typed,
}

impl Shape {
    pub fn header(self) -> &'static str {
        match self {
            Shape::Standard => HEADER,
            Shape::LongText => "email,firstName,lastName,company",
            Shape::Typed => {
                "email,leadScore,numberOfEmployees,annualRevenue,doNotCall,unsubscribed,\
                 dateOfBirth,lastPurchaseDate,accountBalance,loyaltyNumber,lastLoginAt,\
                 behaviorScore,demographicScore,mobilePhone,postalCode,state"
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shape::Standard => "9 columns",
            Shape::LongText => "4 long text columns",
            Shape::Typed => "16 short typed columns",
        }
    }
}

/// A lead CSV of [`Shape::Standard`]: see [`lead_file`].
pub fn lead_csv(first: u64, max_bytes: usize, max_rows: u64) -> (Vec<u8>, u64) {
    lead_file(Shape::Standard, 0, first, max_bytes, max_rows)
}

/// A lead CSV of `shape`: the header, then rows numbered from `first` whose emails are all
/// distinct, until the next row would pass `max_bytes` or `max_rows` rows are written. A row's
/// email depends on its number only; its other values also on `variant`, so two variants of a
/// file name the same leads with other values. In the standard shape about one row in seven
/// has a quoted company with a comma, one in eleven a quoted title with quotes in it.
pub fn lead_file(
    shape: Shape,
    variant: u64,
    first: u64,
    max_bytes: usize,
    max_rows: u64,
) -> (Vec<u8>, u64) {
    let mut values = SplitMix64(0x5EED ^ first ^ variant.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut out = String::with_capacity(max_bytes.min(16 << 20));
    out.push_str(shape.header());
    out.push_str("\r\n");
    let mut row = String::with_capacity(512);
    let mut rows = 0;
    while rows < max_rows {
        let n = first + rows;
        row.clear();
        let mut names = SplitMix64(0xE3A1 ^ n);
        let (given, family) = (names.pick(FIRST), names.pick(LAST));
        let email = format!(
            "{}.{}{n}@example.com",
            given.to_ascii_lowercase(),
            family.to_ascii_lowercase()
        );
        match shape {
            Shape::Standard => standard_row(&mut row, &mut values, n, &email, given, family),
            Shape::LongText => long_text_row(&mut row, &mut values, &email, given, family),
            Shape::Typed => typed_row(&mut row, &mut values, &email),
        }
        if out.len() + row.len() > max_bytes {
            break;
        }
        out.push_str(&row);
        rows += 1;
    }
    (out.into_bytes(), rows)
}

fn standard_row(
    row: &mut String,
    rng: &mut SplitMix64,
    n: u64,
    email: &str,
    given: &str,
    family: &str,
) {
    use std::fmt::Write;
    let company = rng.pick(COMPANY);
    let title = rng.pick(TITLE);
    let (city, country) = PLACE[(rng.next() % PLACE.len() as u64) as usize];
    let _ = write!(row, "{email},{given},{family},");
    if n % 7 == 3 {
        let _ = write!(row, "\"{company}, Inc.\",");
    } else {
        let _ = write!(row, "{company},");
    }
    if n % 11 == 5 {
        let _ = write!(row, "\"Senior \"\"{title}\"\"\",");
    } else {
        let _ = write!(row, "{title},");
    }
    let _ = write!(
        row,
        "+1 555 {:04},{},{city},{country}\r\n",
        rng.next() % 10_000,
        rng.next() % 100
    );
}

fn long_text_row(row: &mut String, rng: &mut SplitMix64, email: &str, given: &str, family: &str) {
    use std::fmt::Write;
    let _ = write!(
        row,
        "{email},{given} {} {} {},{family} {} {} {},",
        rng.pick(FIRST),
        rng.pick(LAST),
        rng.pick(FIRST),
        rng.pick(LAST),
        rng.pick(LAST),
        rng.pick(FIRST)
    );
    let _ = write!(
        row,
        "{} {} {} Holdings International Group {}\r\n",
        rng.pick(COMPANY),
        rng.pick(COMPANY),
        rng.pick(COMPANY),
        rng.next() % 1_000_000
    );
}

fn typed_row(row: &mut String, rng: &mut SplitMix64, email: &str) {
    use std::fmt::Write;
    let flag = |rng: &mut SplitMix64| {
        if rng.next().is_multiple_of(2) {
            "true"
        } else {
            "false"
        }
    };
    let _ = write!(
        row,
        "{email},{},{},{}.{:02},{},{},",
        rng.next() % 100,
        rng.next() % 50_000,
        rng.next() % 10_000_000,
        rng.next() % 100,
        flag(rng),
        flag(rng)
    );
    let _ = write!(
        row,
        "19{:02}-{:02}-{:02},2024-{:02}-{:02},{}.{:02},{},",
        50 + rng.next() % 50,
        1 + rng.next() % 12,
        1 + rng.next() % 28,
        1 + rng.next() % 12,
        1 + rng.next() % 28,
        rng.next() % 100_000,
        rng.next() % 100,
        rng.next() % 1_000_000
    );
    let _ = write!(
        row,
        "2024-{:02}-{:02}T{:02}:{:02}:00Z,{},{},+1 555 {:04},{:05},CA\r\n",
        1 + rng.next() % 12,
        1 + rng.next() % 28,
        rng.next() % 24,
        rng.next() % 60,
        rng.next() % 100,
        rng.next() % 100,
        rng.next() % 10_000,
        rng.next() % 100_000
    );
}

/// Imports `data` into `db` as a job of `POST /bulk/v1/leads.json?format=csv&lookupField=email`
/// does, counters and result files included; the number of rows imported.
pub fn import(data: Bytes, db: &Arc<RwLock<Db>>) -> usize {
    let request = ImportRequest::Leads(LeadParams {
        format: Some("csv".to_owned()),
        lookup_field: Some("email".to_owned()),
        ..LeadParams::default()
    });
    let context = ImportContext {
        db: Arc::clone(db),
        faults: Arc::new(Faults::default()),
    };
    let mut job = prepare(request, Some(data), context)
        .expect("a valid header")
        .work;
    let mut imported = 0;
    loop {
        // The engine's unpaced steps, as a job with no rate limit takes them.
        let step = job.step(UNPACED_STEP_ROWS, Timestamp(1_700_000_000_000));
        imported += step.counters.processed as usize;
        if step.done {
            return imported;
        }
    }
}

/// The floor: the bare `csv` crate reading every record of the file, counting them.
pub fn csv_count(data: &[u8]) -> u64 {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(data);
    let mut record = csv::ByteRecord::new();
    let mut count = 0;
    while reader.read_byte_record(&mut record).unwrap_or(false) {
        count += 1;
    }
    count
}

/// Times `run` once.
pub fn timed<T>(run: impl FnOnce() -> T) -> (Duration, T) {
    let started = Instant::now();
    let value = run();
    (started.elapsed(), value)
}

/// Of runs that each timed the work and its floor back to back, the pair with the median
/// ratio (the lower middle one for an even count). A burst of load from elsewhere on a
/// shared machine slows both halves of a pair, so the ratio of a pair holds better than the
/// ratio of two medians taken apart.
pub fn median_pair(ours: &[Duration], floor: &[Duration]) -> (Duration, Duration) {
    let mut pairs: Vec<(Duration, Duration)> =
        ours.iter().copied().zip(floor.iter().copied()).collect();
    pairs.sort_by(|a, b| {
        let ratio = |(ours, floor): &(Duration, Duration)| ours.as_secs_f64() / floor.as_secs_f64();
        ratio(a).total_cmp(&ratio(b))
    });
    pairs[(pairs.len() - 1) / 2]
}

/// The median of some durations (the lower middle one for an even count).
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() - 1) / 2]
}

pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// Whether the run is the quick one CI uses: `--smoke` or `BENCH_SMOKE=1`.
pub fn smoke() -> bool {
    std::env::args().any(|arg| arg == "--smoke")
        || std::env::var("BENCH_SMOKE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The value of `--name VALUE` among the arguments, or of the environment variable `env`.
pub fn arg(name: &str, env: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|at| args.get(at + 1).cloned())
        .or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty()))
}

/// How a figure is judged against its target.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// The ratio to the floor must be at most this.
    RatioAtMost(f64),
    /// The ratio to the floor must be at least this.
    RatioAtLeast(f64),
    /// The value itself must be below this.
    ValueBelow(f64, &'static str),
    /// Reported only.
    None,
}

/// One line of the table, printed as `ROW|measure|value|floor|ratio|target|ok` for the script
/// and as plain text for a person.
pub fn row(measure: &str, value: f64, floor: f64, unit: &str, target: Target) {
    let ratio = if floor > 0.0 { value / floor } else { f64::NAN };
    let (target_text, ok) = match target {
        Target::RatioAtMost(limit) => (format!("<= {limit}x floor"), ratio <= limit),
        Target::RatioAtLeast(limit) => (format!(">= {limit}x floor"), ratio >= limit),
        Target::ValueBelow(limit, unit) => (format!("< {limit} {unit}"), value < limit),
        Target::None => ("-".to_owned(), true),
    };
    let ok_text = match target {
        Target::None => "-",
        _ if ok => "yes",
        _ => "NO",
    };
    println!(
        "ROW|{measure}|{} {unit}|{} {unit}|{ratio:.2}x|{target_text}|{ok_text}",
        figure(value),
        figure(floor)
    );
}

fn figure(value: f64) -> String {
    if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}
