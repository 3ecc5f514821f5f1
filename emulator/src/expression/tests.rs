//! Unit tests of the expression language: precedence, functions, updates, projections, errors.

use super::*;
use crate::value::{Item, Number};

fn vals(pairs: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn s(x: &str) -> AttributeValue {
    AttributeValue::S(x.into())
}

fn n(x: &str) -> AttributeValue {
    AttributeValue::N(Number::parse(x).unwrap())
}

fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn cond(text: &str, values: &[(&str, AttributeValue)]) -> Result<Condition> {
    let v = vals(values);
    let mut p = Placeholders::new(None, Some(&v));
    let c = parse_condition(text, &mut p, "ConditionExpression")?;
    p.finish()?;
    Ok(c)
}

/// Evaluates without the unused-placeholder check, so one value list serves several expressions.
fn check(text: &str, values: &[(&str, AttributeValue)], it: &Item) -> bool {
    let v = vals(values);
    let mut p = Placeholders::new(None, Some(&v));
    parse_condition(text, &mut p, "ConditionExpression")
        .unwrap()
        .evaluate(it)
}

fn err(r: Result<impl std::fmt::Debug>) -> String {
    r.unwrap_err().message
}

#[test]
fn precedence_not_and_or() {
    let it = item(&[("a", n("1")), ("b", n("2"))]);
    let v = [(":one", n("1")), (":two", n("2")), (":three", n("3"))];
    // OR binds loosest: true OR (false AND false)
    assert!(check("a = :one OR b = :three AND a = :two", &v, &it));
    // Parentheses change it: (true OR false) AND false
    assert!(!check("(a = :one OR b = :three) AND a = :two", &v, &it));
    // NOT binds tighter than AND.
    assert!(check("NOT a = :two AND b = :two", &v, &it));
    assert!(!check("NOT (a = :one AND b = :two)", &v, &it));
    assert!(check("a between :one and :two", &v, &it));
    assert!(check("b IN (:three, :two)", &v, &it));
}

#[test]
fn comparisons_follow_types() {
    let it = item(&[
        ("n", n("10")),
        ("s", s("abc")),
        ("b", AttributeValue::B(vec![1, 2])),
    ]);
    assert!(check("n > :v", &[(":v", n("9.5"))], &it));
    assert!(
        !check("n > :v", &[(":v", s("9"))], &it),
        "different types never compare"
    );
    assert!(check("n <> :v", &[(":v", s("10"))], &it));
    assert!(check("nope <> :v", &[(":v", s("x"))], &it));
    assert!(!check("nope = :v", &[(":v", s("x"))], &it));
    assert!(check("s < :v", &[(":v", s("abd"))], &it));
    assert!(check(
        "b < :v",
        &[(":v", AttributeValue::B(vec![1, 3]))],
        &it
    ));
}

#[test]
fn functions() {
    let it = item(&[
        ("s", s("hello")),
        (
            "ss",
            AttributeValue::string_set(vec!["x".into(), "y".into()]).unwrap(),
        ),
        ("l", AttributeValue::L(vec![n("1"), s("two")])),
        ("m", AttributeValue::M(item(&[("k", s("v"))]))),
    ]);
    assert!(check("attribute_exists(m.k)", &[], &it));
    assert!(check("attribute_not_exists(m.nope)", &[], &it));
    assert!(check("attribute_type(l, :t)", &[(":t", s("L"))], &it));
    assert!(check("begins_with(s, :p)", &[(":p", s("he"))], &it));
    assert!(check("contains(s, :p)", &[(":p", s("ll"))], &it));
    assert!(check("contains(ss, :p)", &[(":p", s("y"))], &it));
    assert!(check("contains(l, :p)", &[(":p", s("two"))], &it));
    assert!(check("size(s) = :five", &[(":five", n("5"))], &it));
    assert!(check("size(l[1]) = :three", &[(":three", n("3"))], &it));
    assert!(check("size(m) = :one", &[(":one", n("1"))], &it));
}

#[test]
fn condition_errors() {
    assert_eq!(
        err(cond("", &[])),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
    assert_eq!(
        err(cond("status = :v", &[(":v", s("x"))])),
        "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
    );
    assert_eq!(
        err(cond("a = :v", &[])),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v"
    );
    assert_eq!(
        err(cond("foo(a)", &[])),
        "Invalid ConditionExpression: Invalid function name; function: foo"
    );
    assert_eq!(
        err(cond("size(a)", &[])),
        "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"
    );
    assert_eq!(
        err(cond("begins_with(a)", &[])),
        "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"
    );
    assert!(err(cond("attribute_type(a, :t)", &[(":t", s("X"))]))
        .contains("Invalid attribute type name found; type: X"));
    assert!(err(cond("a = = :v", &[(":v", s("x"))]))
        .starts_with("Invalid ConditionExpression: Syntax error; token: \"=\""));
    assert!(err(cond("a = :v", &[(":v", s("x")), (":w", s("y"))]))
        .contains("unused in expressions: keys: {:w}"));
    assert!(err(cond("a = a", &[])).contains("The first operand must be distinct"));
    // Only plain paths: DynamoDB Local accepts a function of the same path on both sides.
    assert!(cond("size(a) < size(a)", &[]).is_ok());
    assert!(err(cond(
        "a BETWEEN :hi AND :lo",
        &[(":hi", n("5")), (":lo", n("1"))]
    ))
    .contains("BETWEEN operator requires upper bound"));
    let long = format!("a = :v{}", " ".repeat(5000));
    assert!(err(cond(&long, &[(":v", s("x"))]))
        .contains("Expression size has exceeded the maximum allowed size"));
}

fn update(text: &str, values: &[(&str, AttributeValue)], it: &mut Item) -> Result<()> {
    let v = vals(values);
    let names: HashMap<String, String> = HashMap::from([("#c".to_string(), "count".to_string())]);
    let uses_names = text.contains("#c");
    let mut p = Placeholders::new(
        if uses_names { Some(&names) } else { None },
        if v.is_empty() { None } else { Some(&v) },
    );
    let u = parse_update(text, &mut p)?;
    p.finish()?;
    u.apply(it)
}

#[test]
fn updates_evaluate_against_the_original_item() {
    let mut it = item(&[("a", n("1")), ("b", n("2"))]);
    update("SET a = b, b = a", &[], &mut it).unwrap();
    assert_eq!(it["a"], n("2"));
    assert_eq!(it["b"], n("1"));
    update(
        "SET #c = if_not_exists(#c, :z) + :one",
        &[(":z", n("0")), (":one", n("1"))],
        &mut it,
    )
    .unwrap();
    assert_eq!(it["count"], n("1"));
    update(
        "SET l = :l",
        &[(
            ":l",
            AttributeValue::L(vec![n("0"), n("1"), n("2"), n("3")]),
        )],
        &mut it,
    )
    .unwrap();
    update("REMOVE l[0], l[2]", &[], &mut it).unwrap();
    assert_eq!(it["l"], AttributeValue::L(vec![n("1"), n("3")]));
    update("SET l[9] = :x", &[(":x", s("end"))], &mut it).unwrap();
    assert_eq!(it["l"], AttributeValue::L(vec![n("1"), n("3"), s("end")]));
    update(
        "SET l = list_append(:h, l)",
        &[(":h", AttributeValue::L(vec![s("head")]))],
        &mut it,
    )
    .unwrap();
    assert_eq!(
        it["l"],
        AttributeValue::L(vec![s("head"), n("1"), n("3"), s("end")])
    );
    update(
        "ADD ns :s",
        &[(
            ":s",
            AttributeValue::number_set(vec![Number::from_i64(1)]).unwrap(),
        )],
        &mut it,
    )
    .unwrap();
    update(
        "ADD ns :s",
        &[(
            ":s",
            AttributeValue::number_set(vec![Number::from_i64(2)]).unwrap(),
        )],
        &mut it,
    )
    .unwrap();
    assert_eq!(
        it["ns"],
        AttributeValue::number_set(vec![Number::from_i64(1), Number::from_i64(2)]).unwrap()
    );
    update(
        "DELETE ns :s",
        &[(
            ":s",
            AttributeValue::number_set(vec![Number::from_i64(1), Number::from_i64(2)]).unwrap(),
        )],
        &mut it,
    )
    .unwrap();
    assert!(!it.contains_key("ns"), "a set emptied by DELETE is removed");
}

#[test]
fn update_errors() {
    let mut it = item(&[("s", s("x")), ("l", AttributeValue::L(vec![]))]);
    assert_eq!(
        err(update("SET a = s + :one", &[(":one", n("1"))], &mut it)),
        "An operand in the update expression has an incorrect data type"
    );
    assert_eq!(
        err(update("SET a = nope + :one", &[(":one", n("1"))], &mut it)),
        "The provided expression refers to an attribute that does not exist in the item"
    );
    assert_eq!(
        err(update("SET nope.x = :one", &[(":one", n("1"))], &mut it)),
        "The document path provided in the update expression is invalid for update"
    );
    assert!(err(update("ADD l :one", &[(":one", n("1"))], &mut it)).contains("incorrect data type"));
    assert!(err(update("ADD a :s", &[(":s", s("x"))], &mut it))
        .contains("Incorrect operand type for operator or function; operator: ADD, operand type: STRING, typeSet: ALLOWED_FOR_ADD_OPERAND"));
    assert_eq!(
        err(update("SET a = :one SET b = :one", &[(":one", n("1"))], &mut it)),
        "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"
    );
    assert_eq!(
        err(update("SET a = :one REMOVE a.b", &[(":one", n("1"))], &mut it)),
        "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
    );
    assert_eq!(
        err(update("SET a[0] = :one REMOVE a.b", &[(":one", n("1"))], &mut it)),
        "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]"
    );
    assert_eq!(err(update("SET a = size(s)", &[], &mut it)), "Invalid UpdateExpression: The function is not allowed in an update expression; function: size");
}

#[test]
fn projections_keep_structure() {
    let it = item(&[
        ("a", s("x")),
        (
            "m",
            AttributeValue::M(item(&[
                ("x", n("1")),
                ("y", AttributeValue::L(vec![s("p"), s("q"), s("r")])),
            ])),
        ),
    ]);
    let mut p = Placeholders::new(None, None);
    let proj = parse_projection("m.y[2], m.y[0], a, nope", &mut p).unwrap();
    let out = proj.apply(&it);
    assert_eq!(out["a"], s("x"));
    assert_eq!(
        out["m"],
        AttributeValue::M(item(&[("y", AttributeValue::L(vec![s("p"), s("r")]))]))
    );
    assert!(!out.contains_key("nope"));
    let mut p = Placeholders::new(None, None);
    assert!(err(parse_projection("a, a.b", &mut p))
        .starts_with("Invalid ProjectionExpression: Two document paths overlap"));
}

#[test]
fn legacy_parameters() {
    let it = item(&[("a", n("5")), ("s", s("hello"))]);
    let exp: HashMap<String, ExpectedAttributeValue> = serde_json::from_str(
        r#"{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"1"},{"N":"9"}]},
            "s":{"Value":{"S":"hello"}},
            "z":{"Exists":false}}"#,
    )
    .unwrap();
    assert!(expected_to_condition(&exp, None).unwrap().evaluate(&it));
    let bad: HashMap<String, ExpectedAttributeValue> =
        serde_json::from_str(r#"{"a":{"ComparisonOperator":"EQ","AttributeValueList":[]}}"#)
            .unwrap();
    assert_eq!(
        err(expected_to_condition(&bad, None)),
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"
    );
    let or: HashMap<String, ExpectedAttributeValue> =
        serde_json::from_str(r#"{"a":{"Value":{"N":"4"}},"s":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"S":"he"}]}}"#).unwrap();
    assert!(!expected_to_condition(&or, Some("AND"))
        .unwrap()
        .evaluate(&it));
    assert!(expected_to_condition(&or, Some("OR"))
        .unwrap()
        .evaluate(&it));
    let upd: HashMap<String, AttributeValueUpdate> =
        serde_json::from_str(r#"{"a":{"Action":"ADD","Value":{"N":"2"}},"s":{"Action":"DELETE"}}"#)
            .unwrap();
    let mut it2 = it.clone();
    attribute_updates_to_update(&upd)
        .unwrap()
        .apply(&mut it2)
        .unwrap();
    assert_eq!(it2["a"], n("7"));
    assert!(!it2.contains_key("s"));
    assert!(err(attributes_to_get_projection(&["a".into(), "a".into()]))
        .contains("Duplicate value in attribute name: a"));
}
