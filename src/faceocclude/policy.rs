//! The behaviour policy: a small rule language mapping behaviour counters to a level or to
//! unlocked regions.
//!
//! ```text
//! policy    := rule { (';' | newline) rule }      blank rules and '#' comments ignored
//! rule      := condition { 'and' condition } '->' action
//! condition := counter op number
//! counter   := interactions | likes | comments | shares | tips | reading | payment
//!            | watch-seconds
//! op        := '>=' | '>' | '<=' | '<' | '=='
//! number    := decimal, e.g. 3, 0.5, 12.50
//! action    := 'level' (integer | 'max') | 'unlock' region { ',' region }
//! ```
//!
//! Every rule whose conditions all hold applies: the level is the highest of the matching
//! `level` actions (and never below the element's `level` property), unlocked regions add
//! up. Example: `likes >= 1 -> level 1; comments >= 3 and likes >= 5 -> level 2;
//! payment >= 5 -> unlock eyes; payment >= 20 -> level max`.

use super::regions::{Region, region_names};

/// A behaviour counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Interactions,
    Likes,
    Comments,
    Shares,
    Tips,
    /// Reading progress in percent; the highest reported value counts.
    Reading,
    Payment,
    /// Watching time in seconds, a total fed by the application from the viewer's
    /// connection time; like `reading`, the highest reported value counts.
    WatchSeconds,
}

impl Counter {
    pub const ALL: [Counter; 8] = [
        Counter::Interactions,
        Counter::Likes,
        Counter::Comments,
        Counter::Shares,
        Counter::Tips,
        Counter::Reading,
        Counter::Payment,
        Counter::WatchSeconds,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Counter::Interactions => "interactions",
            Counter::Likes => "likes",
            Counter::Comments => "comments",
            Counter::Shares => "shares",
            Counter::Tips => "tips",
            Counter::Reading => "reading",
            Counter::Payment => "payment",
            Counter::WatchSeconds => "watch-seconds",
        }
    }

    pub fn parse(s: &str) -> Option<Counter> {
        Counter::ALL.into_iter().find(|c| c.name() == s)
    }

    fn names() -> String {
        Counter::ALL.map(Counter::name).join(", ")
    }
}

/// The counters of one viewer (or of the one audience a rendition serves).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Behaviour {
    values: [f64; Counter::ALL.len()],
}

impl Behaviour {
    /// Records an event: `amount` is added to the counter, except `reading` and
    /// `watch-seconds` (totals) which keep the highest value reported. Unknown kinds and
    /// negative or non-finite amounts are refused.
    pub fn record(&mut self, kind: &str, amount: f64) -> Result<(), String> {
        let counter = Counter::parse(kind.trim())
            .ok_or_else(|| format!("unknown behaviour '{kind}' (one of: {})", Counter::names()))?;
        if !amount.is_finite() || amount < 0.0 {
            return Err(format!(
                "behaviour '{kind}' amount {amount} must be a finite number >= 0"
            ));
        }
        let v = &mut self.values[counter as usize];
        if matches!(counter, Counter::Reading | Counter::WatchSeconds) {
            *v = v.max(amount);
        } else {
            *v += amount;
        }
        Ok(())
    }

    pub fn get(&self, counter: Counter) -> f64 {
        self.values[counter as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
}

#[derive(Debug, Clone, PartialEq)]
struct Condition {
    counter: Counter,
    op: Op,
    value: f64,
}

/// What a matching rule does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `None` = `level max`.
    Level(Option<u32>),
    Unlock(Vec<Region>),
}

#[derive(Debug, Clone, PartialEq)]
struct Rule {
    conditions: Vec<Condition>,
    action: Action,
}

/// A parsed policy.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    rules: Vec<Rule>,
}

/// A syntax error with the place it was found (1-based line and column).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The offending line, for display.
    pub text: String,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "policy error at line {}, column {}: {}\n  {}\n  {}^",
            self.line,
            self.column,
            self.message,
            self.text,
            " ".repeat(self.column.saturating_sub(1))
        )
    }
}

impl std::error::Error for PolicyError {}

/// What a policy decides for some counters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision {
    /// Highest matching level (`None`: no level rule matched); `u32::MAX` stands for `max`.
    pub level: Option<u32>,
    pub unlock: Vec<Region>,
}

#[derive(Debug, Clone, PartialEq)]
struct Token<'a> {
    text: &'a str,
    /// Byte offset in the line.
    at: usize,
}

fn tokens(line: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b',' {
            out.push(Token {
                text: &line[i..i + 1],
                at: i,
            });
            i += 1;
        } else if b"<>=-!".contains(&c) {
            let start = i;
            while i < bytes.len() && b"<>=-!".contains(&bytes[i]) {
                i += 1;
            }
            out.push(Token {
                text: &line[start..i],
                at: start,
            });
        } else {
            let start = i;
            // A '-' between letters belongs to the word (`watch-seconds`); elsewhere it
            // starts an operator (`->`).
            let in_word = |i: usize| {
                bytes[i] == b'-'
                    && bytes[i - 1].is_ascii_alphabetic()
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic)
            };
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && (!b"<>=-!,".contains(&bytes[i]) || in_word(i))
            {
                i += 1;
            }
            // Let a '-' followed by a digit belong to nothing: amounts are never negative.
            out.push(Token {
                text: &line[start..i],
                at: start,
            });
        }
    }
    out
}

impl Policy {
    /// Parses a policy; the error says where and what was expected.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let mut rules = Vec::new();
        for (line_no, raw_line) in text.lines().enumerate() {
            let line = raw_line.split('#').next().unwrap_or("");
            let mut offset = 0;
            for part in line.split(';') {
                let rule_start = offset;
                offset += part.len() + 1;
                if part.trim().is_empty() {
                    continue;
                }
                let err = |at: usize, message: String| PolicyError {
                    line: line_no + 1,
                    column: raw_line[..(rule_start + at).min(raw_line.len())]
                        .chars()
                        .count()
                        + 1,
                    message,
                    text: raw_line.to_string(),
                };
                rules.push(Self::parse_rule(part, &err)?);
            }
        }
        Ok(Policy { rules })
    }

    fn parse_rule(
        part: &str,
        err: &dyn Fn(usize, String) -> PolicyError,
    ) -> Result<Rule, PolicyError> {
        let toks = tokens(part);
        let end = part.trim_end().len();
        let mut i = 0;
        let next = |i: usize, what: &str| -> Result<&Token, PolicyError> {
            toks.get(i)
                .ok_or_else(|| err(end, format!("expected {what}, found the end of the rule")))
        };
        let mut conditions = Vec::new();
        loop {
            let t = next(i, &format!("a counter ({})", Counter::names()))?;
            let counter = Counter::parse(t.text).ok_or_else(|| {
                err(
                    t.at,
                    format!(
                        "expected a counter ({}), found '{}'",
                        Counter::names(),
                        t.text
                    ),
                )
            })?;
            let t = next(i + 1, "a comparison (>=, >, <=, <, ==)")?;
            let op = match t.text {
                ">=" => Op::Ge,
                ">" => Op::Gt,
                "<=" => Op::Le,
                "<" => Op::Lt,
                "==" => Op::Eq,
                other => {
                    return Err(err(
                        t.at,
                        format!("expected a comparison (>=, >, <=, <, ==), found '{other}'"),
                    ));
                }
            };
            let t = next(i + 2, "a number")?;
            let value: f64 = t
                .text
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| err(t.at, format!("expected a number, found '{}'", t.text)))?;
            conditions.push(Condition { counter, op, value });
            i += 3;
            let t = next(i, "'and' or '->'")?;
            match t.text {
                "and" => i += 1,
                "->" => {
                    i += 1;
                    break;
                }
                other => {
                    return Err(err(
                        t.at,
                        format!("expected 'and' or '->', found '{other}'"),
                    ));
                }
            }
        }
        let t = next(
            i,
            "an action ('level N', 'level max' or 'unlock REGION,...')",
        )?;
        let action = match t.text {
            "level" => {
                let v = next(i + 1, "a level number or 'max'")?;
                i += 2;
                if v.text == "max" {
                    Action::Level(None)
                } else {
                    Action::Level(Some(v.text.parse().map_err(|_| {
                        err(
                            v.at,
                            format!("expected a level number or 'max', found '{}'", v.text),
                        )
                    })?))
                }
            }
            "unlock" => {
                i += 1;
                let mut regions = Vec::new();
                loop {
                    let r = next(i, &format!("a region ({})", region_names()))?;
                    let region = Region::parse(r.text).ok_or_else(|| {
                        err(
                            r.at,
                            format!("expected a region ({}), found '{}'", region_names(), r.text),
                        )
                    })?;
                    regions.push(region);
                    i += 1;
                    if toks.get(i).is_some_and(|t| t.text == ",") {
                        i += 1;
                    } else {
                        break;
                    }
                }
                Action::Unlock(regions)
            }
            other => {
                return Err(err(
                    t.at,
                    format!("expected an action ('level' or 'unlock'), found '{other}'"),
                ));
            }
        };
        if let Some(t) = toks.get(i) {
            return Err(err(
                t.at,
                format!(
                    "unexpected '{}' after the action (rules are separated by ';')",
                    t.text
                ),
            ));
        }
        Ok(Rule { conditions, action })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The decision for `behaviour`.
    pub fn evaluate(&self, behaviour: &Behaviour) -> Decision {
        let mut decision = Decision::default();
        for rule in &self.rules {
            let holds = rule.conditions.iter().all(|c| {
                let v = behaviour.get(c.counter);
                match c.op {
                    Op::Ge => v >= c.value,
                    Op::Gt => v > c.value,
                    Op::Le => v <= c.value,
                    Op::Lt => v < c.value,
                    Op::Eq => (v - c.value).abs() < 1e-9,
                }
            });
            if !holds {
                continue;
            }
            match &rule.action {
                Action::Level(l) => {
                    let l = l.unwrap_or(u32::MAX);
                    decision.level = Some(decision.level.map_or(l, |d| d.max(l)));
                }
                Action::Unlock(regions) => {
                    for r in regions {
                        if !decision.unlock.contains(r) {
                            decision.unlock.push(*r);
                        }
                    }
                }
            }
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "likes >= 1 -> level 1; comments >= 3 and likes >= 5 -> level 2\n\
        # payers\n\
        payment >= 5 -> unlock eyes, mouth\n\
        payment >= 20 -> level max; reading >= 80 -> level 3";

    #[test]
    fn example_policy_maps_behaviour_to_levels_and_unlocks() {
        let p = Policy::parse(EXAMPLE).unwrap();
        let mut b = Behaviour::default();
        assert_eq!(p.evaluate(&b), Decision::default());
        b.record("likes", 1.0).unwrap();
        assert_eq!(p.evaluate(&b).level, Some(1));
        b.record("likes", 4.0).unwrap();
        b.record("comments", 3.0).unwrap();
        assert_eq!(p.evaluate(&b).level, Some(2));
        b.record("payment", 5.0).unwrap();
        assert_eq!(p.evaluate(&b).unlock, vec![Region::Eyes, Region::Mouth]);
        b.record("reading", 90.0).unwrap();
        b.record("reading", 10.0).unwrap();
        assert_eq!(b.get(Counter::Reading), 90.0);
        assert_eq!(p.evaluate(&b).level, Some(3));
        b.record("payment", 15.0).unwrap();
        assert_eq!(p.evaluate(&b).level, Some(u32::MAX));
    }

    #[test]
    fn watch_seconds_is_a_total_usable_in_rules() {
        let p = Policy::parse(
            "watch-seconds >= 600 -> level 2;watch-seconds>=60->unlock mouth; likes >= 1 -> level 1",
        )
        .unwrap();
        let mut b = Behaviour::default();
        b.record("watch-seconds", 59.0).unwrap();
        assert_eq!(p.evaluate(&b), Decision::default());
        b.record("watch-seconds", 61.0).unwrap();
        // A late report of an older total does not lower it.
        b.record("watch-seconds", 30.0).unwrap();
        assert_eq!(b.get(Counter::WatchSeconds), 61.0);
        assert_eq!(p.evaluate(&b).unlock, vec![Region::Mouth]);
        assert_eq!(p.evaluate(&b).level, None);
        b.record("watch-seconds", 600.0).unwrap();
        assert_eq!(p.evaluate(&b).level, Some(2));
        let e = Policy::parse("watch-minutes >= 1 -> level 1").unwrap_err();
        assert!(e.message.contains("found 'watch-minutes'"), "{e}");
        assert!(e.message.contains("watch-seconds"), "{e}");
    }

    #[test]
    fn behaviour_refuses_unknown_kinds_and_bad_amounts() {
        let mut b = Behaviour::default();
        assert!(
            b.record("hugs", 1.0)
                .unwrap_err()
                .contains("unknown behaviour 'hugs'")
        );
        assert!(b.record("likes", -1.0).is_err());
        assert!(b.record("likes", f64::NAN).is_err());
        assert_eq!(b, Behaviour::default());
    }

    #[test]
    fn malformed_policies_point_at_the_error() {
        let cases = [
            ("lieks >= 1 -> level 1", 1, 1, "expected a counter"),
            ("likes => 1 -> level 1", 1, 7, "expected a comparison"),
            ("likes >= many -> level 1", 1, 10, "expected a number"),
            ("likes >= 1 level 1", 1, 12, "expected 'and' or '->'"),
            ("likes >= 1 -> promote 1", 1, 15, "expected an action"),
            ("likes >= 1 -> level high", 1, 21, "expected a level number"),
            (
                "likes >= 1 -> level 1; tips > 2 -> unlock tail",
                1,
                43,
                "expected a region",
            ),
            (
                "likes >= 1 -> level 1\ntips > 2 ->",
                2,
                12,
                "found the end of the rule",
            ),
            ("likes >= 1 -> level 1 2", 1, 23, "unexpected '2'"),
        ];
        for (text, line, column, what) in cases {
            let e = Policy::parse(text).unwrap_err();
            assert_eq!((e.line, e.column), (line, column), "{text}: {e}");
            assert!(e.message.contains(what), "{text}: {e}");
            let shown = e.to_string();
            assert!(shown.contains('^') && shown.contains(&format!("column {column}")));
        }
        assert!(Policy::parse("  ; # nothing\n").unwrap().is_empty());
    }
}
