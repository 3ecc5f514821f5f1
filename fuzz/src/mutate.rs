//! Breaking a valid request: structural mutations of its JSON (drop, replace or retype a
//! member, deepen a value) and, more rarely, mutations of its bytes.

use crate::gen::Gen;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};

/// A JSON value of any shape, for replacing a member with.
fn junk(g: &mut Gen) -> Value {
    match g.rng.gen_range(0..12) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(i64::MAX),
        3 => json!(-1),
        4 => json!(1e300),
        5 => json!(""),
        6 => json!("x".repeat(g.rng.gen_range(0..5000))),
        7 => json!([]),
        8 => json!({}),
        9 => g.value(3),
        10 => {
            let levels = g.rng.gen_range(30..60);
            g.deep(levels)
        }
        _ => json!([g.value(1), g.value(1)]),
    }
}

/// Applies one structural mutation somewhere in `v`.
fn mutate_value(g: &mut Gen, v: &mut Value, depth: u32) {
    let descend = depth < 6 && g.chance(0.6);
    match v {
        Value::Object(m) if !m.is_empty() => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let key = keys.choose(&mut g.rng).unwrap().clone();
            if descend {
                if let Some(child) = m.get_mut(&key) {
                    mutate_value(g, child, depth + 1);
                    return;
                }
            }
            match g.rng.gen_range(0..4) {
                0 => {
                    m.remove(&key);
                }
                1 => {
                    let j = junk(g);
                    m.insert(key, j);
                }
                2 => {
                    let name = ["", "Bogus", "TableName", "Key", "Limit", "#n", ":v"]
                        .choose(&mut g.rng)
                        .unwrap()
                        .to_string();
                    let j = junk(g);
                    m.insert(name, j);
                }
                _ => {
                    let child = m.remove(&key).unwrap_or(Value::Null);
                    m.insert(key, json!([child]));
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let i = g.rng.gen_range(0..a.len());
            if descend {
                mutate_value(g, &mut a[i], depth + 1);
            } else if g.chance(0.5) {
                a.remove(i);
            } else {
                let copy = a[i].clone();
                let n = g.rng.gen_range(1..30);
                a.extend(std::iter::repeat_n(copy, n));
            }
        }
        _ => *v = junk(g),
    }
}

/// A request body from `v`: usually `v` itself, often structurally mutated, sometimes with
/// its bytes mutated.
pub fn body(g: &mut Gen, mut v: Value) -> Vec<u8> {
    if g.chance(0.25) {
        for _ in 0..g.rng.gen_range(1..4) {
            mutate_value(g, &mut v, 0);
        }
    }
    let mut bytes = serde_json::to_vec(&v).unwrap_or_default();
    if g.chance(0.05) && !bytes.is_empty() {
        for _ in 0..g.rng.gen_range(1..4) {
            let i = g.rng.gen_range(0..bytes.len());
            match g.rng.gen_range(0..4) {
                0 => bytes[i] = g.rng.gen(),
                1 => bytes.truncate(i),
                2 => bytes.insert(i, *b"{}[]\",:\\0".choose(&mut g.rng).unwrap()),
                _ => {
                    bytes.remove(i);
                }
            }
            if bytes.is_empty() {
                break;
            }
        }
    }
    bytes
}
