//! Paid unlocks: a viewer buys one region (organ) with a payment receipt. The receipt's
//! authenticity is checked by a [`PaymentVerifier`] (one real implementation:
//! [`HmacReceipts`], receipts signed with HMAC-SHA256 by the payment provider's webhook
//! secret); the [`Shop`] then checks what the receipt says against the request and the
//! price list, refuses a receipt id used before, and counts every outcome.
//!
//! A receipt is a JSON object, signed byte for byte as the provider sent it:
//!
//! ```json
//! {"id": "rcpt_1001", "viewer": "alice", "region": "mouth", "amount": 299, "currency": "EUR"}
//! ```
//!
//! `amount` is in minor units (cents), as payment providers send it. The signature is
//! `sha256=` followed by the hex HMAC-SHA256 of those bytes under the webhook secret.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

use gstfacekit::Region;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// What a verified receipt says was paid.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub id: String,
    pub viewer: String,
    pub region: String,
    /// Minor units (cents).
    pub amount: u64,
    pub currency: String,
}

/// Why a payment was not accepted. Nothing changes for the viewer on any of these.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    NotConfigured,
    BadSignature,
    Malformed(String),
    UnknownRegion(String),
    NotForSale(String),
    WrongViewer {
        receipt: String,
        request: String,
    },
    WrongRegion {
        receipt: String,
        request: String,
    },
    WrongCurrency {
        paid: String,
        expected: String,
    },
    WrongAmount {
        paid: u64,
        price: u64,
        currency: String,
    },
    Replayed(String),
    /// The receipt could not be recorded as used (so it is not accepted either).
    NotRecorded(String),
}

/// Minor units as a decimal amount: 299 -> "2.99".
pub fn format_amount(minor: u64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

impl Refusal {
    /// A stable name for counting and for clients.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotConfigured => "not-configured",
            Refusal::BadSignature => "bad-signature",
            Refusal::Malformed(_) => "malformed-receipt",
            Refusal::UnknownRegion(_) => "unknown-region",
            Refusal::NotForSale(_) => "not-for-sale",
            Refusal::WrongViewer { .. } => "wrong-viewer",
            Refusal::WrongRegion { .. } => "wrong-region",
            Refusal::WrongCurrency { .. } => "wrong-currency",
            Refusal::WrongAmount { .. } => "wrong-amount",
            Refusal::Replayed(_) => "replayed",
            Refusal::NotRecorded(_) => "not-recorded",
        }
    }

    /// What the viewer is told.
    pub fn reason(&self) -> String {
        match self {
            Refusal::NotConfigured => "payments are not configured on this server \
                (set FACEKIT_PAYMENT_SECRET or --payment-secret-file, and --prices)"
                .into(),
            Refusal::BadSignature => {
                "the receipt's signature does not match (not signed by the payment provider, or altered)".into()
            }
            Refusal::Malformed(why) => format!("the receipt is malformed: {why}"),
            Refusal::UnknownRegion(r) => format!("unknown region '{r}'"),
            Refusal::NotForSale(r) => format!("'{r}' is not for sale"),
            Refusal::WrongViewer { receipt, request } => {
                format!("the receipt was issued to viewer '{receipt}', not '{request}'")
            }
            Refusal::WrongRegion { receipt, request } => {
                format!("the receipt pays for '{receipt}', not '{request}'")
            }
            Refusal::WrongCurrency { paid, expected } => {
                format!("the receipt is in {paid}, prices are in {expected}")
            }
            Refusal::WrongAmount {
                paid,
                price,
                currency,
            } => format!(
                "paid {} {currency}, the price is {} {currency}",
                format_amount(*paid),
                format_amount(*price)
            ),
            Refusal::Replayed(id) => format!("receipt '{id}' was already used"),
            Refusal::NotRecorded(why) => format!("the receipt could not be recorded: {why}"),
        }
    }
}

/// Checks that a receipt comes from the payment provider and answers what it says.
/// Implementations: [`HmacReceipts`]; a shop could add one that asks the provider's API.
pub trait PaymentVerifier: Send {
    fn verify(&self, receipt: &[u8], signature: &str) -> Result<Receipt, Refusal>;
}

/// Receipts signed with HMAC-SHA256 by the provider's webhook secret.
pub struct HmacReceipts {
    secret: Vec<u8>,
}

impl HmacReceipts {
    pub fn new(secret: &[u8]) -> Result<HmacReceipts, String> {
        if secret.len() < 16 {
            return Err("the payment secret must be at least 16 bytes".into());
        }
        Ok(HmacReceipts {
            secret: secret.to_vec(),
        })
    }

    /// `sha256=<hex>` of `receipt`: what the provider sends (the tests sign with it).
    #[allow(dead_code)]
    pub fn sign(&self, receipt: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("any key length");
        mac.update(receipt);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256={hex}")
    }
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl PaymentVerifier for HmacReceipts {
    fn verify(&self, receipt: &[u8], signature: &str) -> Result<Receipt, Refusal> {
        let tag = signature
            .trim()
            .strip_prefix("sha256=")
            .and_then(from_hex)
            .ok_or(Refusal::BadSignature)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.secret).expect("any key length");
        mac.update(receipt);
        // Constant-time comparison.
        mac.verify_slice(&tag).map_err(|_| Refusal::BadSignature)?;
        parse_receipt(receipt)
    }
}

fn parse_receipt(receipt: &[u8]) -> Result<Receipt, Refusal> {
    let v: Value = serde_json::from_slice(receipt)
        .map_err(|e| Refusal::Malformed(format!("not JSON ({e})")))?;
    let text = |k: &str| {
        v[k].as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| Refusal::Malformed(format!("no '{k}' string")))
    };
    Ok(Receipt {
        id: text("id")?,
        viewer: text("viewer")?,
        region: text("region")?,
        amount: v["amount"].as_u64().ok_or_else(|| {
            Refusal::Malformed("no 'amount' in minor units (a whole number of cents)".into())
        })?,
        currency: text("currency")?,
    })
}

/// Prices per region in minor units, from `eyes=4.99,mouth=2.99`.
pub fn parse_prices(s: &str) -> Result<BTreeMap<Region, u64>, String> {
    let mut prices = BTreeMap::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (name, price) = item
            .split_once('=')
            .ok_or_else(|| format!("price '{item}' is not REGION=AMOUNT (e.g. mouth=2.99)"))?;
        let region = Region::parse(name.trim())
            .ok_or_else(|| format!("price '{item}': unknown region '{}'", name.trim()))?;
        let amount: f64 = price
            .trim()
            .parse()
            .ok()
            .filter(|a: &f64| a.is_finite() && *a > 0.0)
            .ok_or_else(|| format!("price '{item}': '{price}' is not an amount above 0"))?;
        prices.insert(region, (amount * 100.0).round() as u64);
    }
    Ok(prices)
}

/// Receipt ids used before (kept in memory, and appended to a file when one is given so a
/// restart does not accept them again).
struct UsedReceipts {
    ids: BTreeSet<String>,
    file: Option<PathBuf>,
}

impl UsedReceipts {
    fn open(file: Option<PathBuf>) -> Result<UsedReceipts, String> {
        let mut ids = BTreeSet::new();
        if let Some(path) = &file {
            match std::fs::read_to_string(path) {
                Ok(text) => ids.extend(text.lines().map(str::to_string)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
        }
        Ok(UsedReceipts { ids, file })
    }

    fn insert(&mut self, id: &str) -> Result<(), String> {
        if let Some(path) = &self.file {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| writeln!(f, "{id}"))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        self.ids.insert(id.to_string());
        Ok(())
    }
}

/// The shop: verifier, prices, used receipts, counts.
pub struct Shop {
    verifier: Option<Box<dyn PaymentVerifier>>,
    pub prices: BTreeMap<Region, u64>,
    pub currency: String,
    used: UsedReceipts,
    counts: BTreeMap<&'static str, u64>,
}

impl Shop {
    /// `verifier` None: every request is answered "not configured" (and counted).
    pub fn new(
        verifier: Option<Box<dyn PaymentVerifier>>,
        prices: BTreeMap<Region, u64>,
        currency: &str,
        used_file: Option<PathBuf>,
    ) -> Result<Shop, String> {
        Ok(Shop {
            verifier,
            prices,
            currency: currency.to_string(),
            used: UsedReceipts::open(used_file)?,
            counts: BTreeMap::new(),
        })
    }

    /// Checks a request of `viewer` to buy `region` with `receipt` / `signature`. On
    /// success the receipt id is used up and the region answered; every outcome is counted.
    pub fn check(
        &mut self,
        viewer: &str,
        region: &str,
        receipt: &[u8],
        signature: &str,
    ) -> Result<(Region, Receipt), Refusal> {
        let result = self.check_uncounted(viewer, region, receipt, signature);
        let outcome = match &result {
            Ok(_) => "unlocked",
            Err(refusal) => refusal.code(),
        };
        *self.counts.entry(outcome).or_default() += 1;
        result
    }

    fn check_uncounted(
        &mut self,
        viewer: &str,
        region: &str,
        receipt: &[u8],
        signature: &str,
    ) -> Result<(Region, Receipt), Refusal> {
        let verifier = self.verifier.as_ref().ok_or(Refusal::NotConfigured)?;
        let wanted =
            Region::parse(region).ok_or_else(|| Refusal::UnknownRegion(region.to_string()))?;
        let price = *self
            .prices
            .get(&wanted)
            .ok_or_else(|| Refusal::NotForSale(region.to_string()))?;
        let r = verifier.verify(receipt, signature)?;
        if r.viewer != viewer {
            return Err(Refusal::WrongViewer {
                receipt: r.viewer,
                request: viewer.into(),
            });
        }
        if r.region != region {
            return Err(Refusal::WrongRegion {
                receipt: r.region,
                request: region.into(),
            });
        }
        if r.currency != self.currency {
            return Err(Refusal::WrongCurrency {
                paid: r.currency,
                expected: self.currency.clone(),
            });
        }
        if r.amount < price {
            return Err(Refusal::WrongAmount {
                paid: r.amount,
                price,
                currency: self.currency.clone(),
            });
        }
        if self.used.ids.contains(&r.id) {
            return Err(Refusal::Replayed(r.id));
        }
        // Not recorded as used: refuse rather than accept a receipt that could be replayed.
        self.used.insert(&r.id).map_err(Refusal::NotRecorded)?;
        Ok((wanted, r))
    }

    /// Outcomes so far, the price list and the currency.
    pub fn stats(&self) -> Value {
        let refused: u64 = self
            .counts
            .iter()
            .filter(|(k, _)| **k != "unlocked")
            .map(|(_, n)| n)
            .sum();
        json!({
            "configured": self.verifier.is_some(),
            "unlocked": self.counts.get("unlocked").copied().unwrap_or(0),
            "refused": refused,
            "outcomes": self.counts,
            "currency": self.currency,
            "prices": self.prices.iter()
                .map(|(r, p)| (r.name().to_string(), Value::from(format_amount(*p))))
                .collect::<serde_json::Map<_, _>>(),
        })
    }
}
