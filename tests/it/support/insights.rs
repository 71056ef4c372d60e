//! A Logs Insights that runs the one shape of query sgpair sends, over flow
//! records held in the test: `parse @message "* * ..." as a, b, ...`, then
//! `filter x >= A and x < B [and y - x <= C]`, then `stats fn(field) as name, ... by f, g`
//! (count, sum, min, max). moto's Insights does not evaluate `stats`; this
//! reads the query's text (the names it parses, the bounds it filters on,
//! the aggregates and groups it asks for) and computes the rows from the
//! records, as Insights would: a field is the text `parse` captured; sums,
//! minimums and maximums skip values that are not numbers.
//!
//! `answer` gives what GetQueryResults would for one query; the fault proxy
//! serves it, so the run's real SDK client parses it.

use std::collections::BTreeMap;

/// One query's result: rows of (field, value), the records it matched, and
/// the bytes of the events in its time range (what Insights bills).
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub struct Answer {
    pub rows: Vec<Vec<(String, String)>>,
    pub matched: u64,
    pub bytes_scanned: u64,
}

/// Runs `query` over the events (each record's start is its timestamp, in
/// seconds) whose timestamp is in `[from, to_inclusive]`, at most `limit`
/// rows.
pub fn answer(query: &str, from: i64, to_inclusive: i64, lines: &[String], limit: usize) -> Answer {
    let parts: Vec<&str> = query.split("\n| ").collect();
    assert_eq!(parts.len(), 3, "parse, filter, stats: {query}");
    let (glob, names) = parts[0]
        .strip_prefix("parse @message \"")
        .and_then(|r| r.split_once("\" as "))
        .unwrap_or_else(|| panic!("a parse command: {}", parts[0]));
    let names: Vec<&str> = names.split(", ").collect();
    assert_eq!(glob.split(' ').count(), names.len(), "one name per glob");
    let filter: Vec<&str> = parts[1]
        .strip_prefix("filter ")
        .expect("a filter command")
        .split(' ')
        .collect();
    // x >= A and x < B, then optionally `and y - x <= C` (the longest
    // capture interval: a record whose y or x is not a number fails it).
    assert!(
        filter.len() == 7 || filter.len() == 13,
        "x >= A and x < B [and y - x <= C]: {}",
        parts[1]
    );
    assert_eq!(
        (filter[1], filter[3], filter[5]),
        (">=", "and", "<"),
        "{}",
        parts[1]
    );
    let longest: Option<(&str, &str, f64)> = (filter.len() == 13).then(|| {
        assert_eq!(
            (filter[7], filter[9], filter[11]),
            ("and", "-", "<="),
            "{}",
            parts[1]
        );
        (filter[8], filter[10], filter[12].parse().unwrap())
    });
    assert_eq!(filter[0], filter[4]);
    let (field, lo, hi): (&str, f64, f64) = (
        filter[0],
        filter[2].parse().unwrap(),
        filter[6].parse().unwrap(),
    );
    let (aggs, by) = parts[2]
        .strip_prefix("stats ")
        .and_then(|r| r.split_once(" by "))
        .expect("stats ... by");
    let aggs: Vec<(&str, &str, &str)> = aggs
        .split(", ")
        .map(|a| {
            let (call, name) = a.split_once(" as ").expect("fn(x) as name");
            let (f, arg) = call.trim_end_matches(')').split_once('(').unwrap();
            (f, arg, name)
        })
        .collect();
    let by: Vec<&str> = by.split(", ").collect();
    let col = |n: &str| {
        names
            .iter()
            .position(|x| *x == n)
            .unwrap_or_else(|| panic!("{n} is not parsed"))
    };
    let filter_col = col(field);
    let by_cols: Vec<usize> = by.iter().map(|b| col(b)).collect();

    type Acc = (u64, BTreeMap<usize, f64>);
    let mut groups: BTreeMap<Vec<String>, Acc> = BTreeMap::new();
    let (mut matched, mut bytes_scanned) = (0, 0);
    for line in lines {
        let ts: i64 = match line.split(' ').nth(filter_col).and_then(|v| v.parse().ok()) {
            Some(t) => t,
            None => continue,
        };
        if ts < from || ts > to_inclusive {
            continue;
        }
        bytes_scanned += line.len() as u64 + 1;
        // The last glob takes the rest of the line; too few fields: no match.
        let mut fields: Vec<&str> = line.splitn(names.len(), ' ').collect();
        if fields.len() < names.len() {
            continue;
        }
        fields.truncate(names.len());
        let num = |i: usize| fields[i].parse::<f64>().ok();
        let Some(x) = num(filter_col) else { continue };
        if !(x >= lo && x < hi) {
            continue;
        }
        if let Some((y, x, most)) = longest {
            match (num(col(y)), num(col(x))) {
                (Some(y), Some(x)) if y - x <= most => {}
                _ => continue,
            }
        }
        matched += 1;
        let key: Vec<String> = by_cols.iter().map(|&i| fields[i].to_string()).collect();
        let acc = groups.entry(key).or_default();
        acc.0 += 1;
        for (i, (f, arg, _)) in aggs.iter().enumerate() {
            if *f == "count" {
                continue;
            }
            let Some(v) = num(col(arg)) else { continue };
            let slot = acc.1.entry(i);
            match *f {
                "sum" => *slot.or_insert(0.0) += v,
                "min" => {
                    let s = slot.or_insert(v);
                    *s = s.min(v);
                }
                "max" => {
                    let s = slot.or_insert(v);
                    *s = s.max(v);
                }
                other => panic!("an aggregate sgpair does not send: {other}"),
            }
        }
    }
    let mut rows: Vec<Vec<(String, String)>> = groups
        .into_iter()
        .map(|(key, (n, vals))| {
            let mut row: Vec<(String, String)> = by
                .iter()
                .zip(key)
                .map(|(b, v)| (b.to_string(), v))
                .collect();
            for (i, (f, _, name)) in aggs.iter().enumerate() {
                let v = if *f == "count" {
                    Some(n.to_string())
                } else {
                    // Insights prints numbers as decimals.
                    vals.get(&i).map(|v| format!("{v:.1}"))
                };
                if let Some(v) = v {
                    row.push((name.to_string(), v));
                }
            }
            row
        })
        .collect();
    // Not in key order, as Insights' rows are not.
    rows.reverse();
    rows.truncate(limit);
    Answer {
        rows,
        matched,
        bytes_scanned,
    }
}

/// GetQueryResults' JSON for a complete result.
#[cfg(feature = "aws")]
pub fn complete_json(r: &Answer) -> String {
    let results: Vec<serde_json::Value> = r
        .rows
        .iter()
        .map(|row| {
            let mut fields: Vec<serde_json::Value> = row
                .iter()
                .map(|(f, v)| serde_json::json!({ "field": f, "value": v }))
                .collect();
            fields.push(serde_json::json!({ "field": "@ptr", "value": "CmAKJw" }));
            serde_json::Value::Array(fields)
        })
        .collect();
    serde_json::json!({
        "status": "Complete",
        "results": results,
        "statistics": {
            "recordsMatched": r.matched as f64,
            "recordsScanned": r.matched as f64,
            "bytesScanned": r.bytes_scanned as f64,
        }
    })
    .to_string()
}
