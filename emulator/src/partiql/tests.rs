use super::*;
use crate::expression::{Condition, PathElem};
use proptest::prelude::*;

fn ok(text: &str) -> (Statement, usize) {
    parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.message))
}

fn err(text: &str) -> String {
    match parse(text) {
        Ok(s) => panic!("{text} parsed: {s:?}"),
        Err(e) => e.message,
    }
}

#[test]
fn select_with_projection_index_where_and_order() {
    let (s, n) = ok(
        r#"SELECT a, "b".c[2], d['e'] FROM "T-1"."gsi" WHERE pk = ? AND sk >= 3 ORDER BY sk DESC"#,
    );
    assert_eq!(n, 1);
    let Statement::Select(s) = s else { panic!() };
    assert_eq!(s.from.table, "T-1");
    assert_eq!(s.from.index.as_deref(), Some("gsi"));
    let p = s.projection.unwrap();
    assert_eq!(
        p[1].0,
        vec![
            PathElem::Name("b".into()),
            PathElem::Name("c".into()),
            PathElem::Index(2)
        ]
    );
    assert_eq!(p[2].0[1], PathElem::Name("e".into()));
    assert!(matches!(s.filter, Some(Expr::And(..))));
    assert!(s.order_by.unwrap().1);
}

#[test]
fn keywords_are_case_insensitive_and_comments_and_semicolon_allowed() {
    ok("select * from t where a = 'x' -- trailing comment");
    ok("SeLeCt * /* inline */ FrOm t;");
    ok("select * from t where a in ['x', 'y'] or not b is missing and c is not null");
}

#[test]
fn literals_become_attribute_values() {
    let (s, n) = ok(
        "INSERT INTO t VALUE {'pk': 'k', 'n': -1.5e2, 'b': true, 'z': null, 'l': [1, 'a'], 'ss': <<'a', 'b'>>, 'ns': <<1, 2>>, 'm': {'x': ?}}",
    );
    assert_eq!(n, 1);
    let Statement::Insert(i) = s else { panic!() };
    let params = [AttributeValue::S("p".into())];
    let b = Binder::new(&params, 1).unwrap();
    let item = b.item(&i.value).unwrap();
    assert_eq!(item.get("n").unwrap().as_n().unwrap().to_string(), "-150");
    assert!(matches!(item.get("ss"), Some(AttributeValue::Ss(v)) if v.len() == 2));
    assert!(matches!(item.get("ns"), Some(AttributeValue::Ns(v)) if v.len() == 2));
    assert!(matches!(item.get("z"), Some(AttributeValue::Null)));
    assert!(
        matches!(item.get("m"), Some(AttributeValue::M(m)) if m.get("x") == Some(&AttributeValue::S("p".into())))
    );
}

#[test]
fn quotes_escape_by_doubling() {
    let (s, _) = ok(r#"SELECT "a""b" FROM t WHERE x = 'it''s'"#);
    let Statement::Select(s) = s else { panic!() };
    assert_eq!(s.projection.unwrap()[0].top(), "a\"b");
    let Some(Expr::Compare(_, _, v)) = s.filter else {
        panic!()
    };
    assert_eq!(*v, Expr::Literal(AttributeValue::S("it's".into())));
}

#[test]
fn update_and_delete_clauses() {
    let (s, _) = ok("UPDATE t SET a = a + 1, b = list_append(b, [1]) REMOVE c SET d = set_add(d, <<'x'>>) WHERE pk = 'k' RETURNING ALL NEW *");
    let Statement::Update(u) = s else { panic!() };
    assert_eq!(u.assignments.len(), 4);
    assert_eq!(u.returning, Some(Returning::AllNew));
    let b = Binder::new(&[], 0).unwrap();
    let actions = b.actions(&u.assignments).unwrap();
    assert!(matches!(actions[3], UpdateAction::Add(..)));
    let (s, _) = ok("DELETE FROM t WHERE pk = 'k' AND v > 2 RETURNING ALL OLD *");
    assert!(matches!(s, Statement::Delete(d) if d.returning == Some(Returning::AllOld)));
}

#[test]
fn malformed_statements_get_dynamodbs_messages() {
    let wf = "Statement wasn't well formed, can't be processed: ";
    assert_eq!(
        err("FETCH * FROM t"),
        format!("{wf}Expected data manipulation")
    );
    assert_eq!(
        err("UPDATE t SET a = 1 WHERE pk = 'a' garbage"),
        format!("{wf}Unexpected token after expression")
    );
    assert!(err("SELECT * FROM").starts_with(wf));
    assert!(err("SELECT * FROM t WHERE a = 'open").starts_with(wf));
    assert_eq!(
        err("SELECT * FROM t WHERE nope(a)"),
        "Unrecognized function: nope"
    );
    assert_eq!(
        err("SELECT *, a FROM t"),
        "Other attributes should not be present in the projection when '*' is used."
    );
    assert_eq!(err("SELECT a AS b FROM t"), "Aliasing is not supported");
    assert_eq!(
        err("DELETE FROM t WHERE pk = 'a' RETURNING ALL NEW *"),
        "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements."
    );
    assert_eq!(
        err("INSERT INTO t VALUE {'a': 1} RETURNING ALL OLD *"),
        "RETURNING is not supported in INSERT"
    );
    assert_eq!(
        err("SELECT * FROM a.b.c"),
        "A path may contain at most 2 components in the FROM clause"
    );
    assert_eq!(
        err("SELECT * FROM t WHERE a = MISSING"),
        "MISSING must be compared using IS operator"
    );
    assert_eq!(err("SELECT * FROM t LIMIT 1"), "Unsupported clause: LIMIT");
}

#[test]
fn signs_fold_and_list_indexes_are_32_bit() {
    let (s, _) = ok("SELECT l[-0] FROM t WHERE n = - - 1 AND m > -5");
    let Statement::Select(s) = s else { panic!() };
    assert_eq!(s.projection.unwrap()[0].0[1], PathElem::Index(0));
    ok("SELECT l[2147483647] FROM t");
    assert_eq!(
        err("SELECT l[-1] FROM t"),
        "List index is not within the allowable range; index: [-1]"
    );
    assert_eq!(
        err("SELECT l[2147483648] FROM t"),
        "List index is not within the allowable range; index: [2147483648]"
    );
    assert!(err("SELECT * FROM t WHERE n > -?").starts_with("Statement wasn't well formed"));
}

#[test]
fn operator_chains_are_bounded() {
    let chain = format!(
        "UPDATE t SET n = {} WHERE pk = 'a'",
        vec!["1"; 3000].join(" + ")
    );
    assert!(err(&chain).starts_with("Statement wasn't well formed"));
    let ands = format!(
        "SELECT * FROM t WHERE {}",
        vec!["a = 1"; 1200].join(" AND ")
    );
    assert!(err(&ands).contains("too many operators"));
    ok(&format!(
        "SELECT * FROM t WHERE {}",
        vec!["a = 1"; 200].join(" AND ")
    ));
}

#[test]
fn updates_are_checked_before_anything_is_read() {
    let actions = |text: &str| {
        let (s, _) = ok(text);
        let Statement::Update(u) = s else { panic!() };
        Binder::new(&[], 0)
            .unwrap()
            .actions(&u.assignments)
            .map(|_| ())
    };
    assert_eq!(
        actions("UPDATE t SET n = 'x' + 1 WHERE pk = 'a'")
            .unwrap_err()
            .message,
        "Incorrect operand type for operator or function; operator or function: +, operand type: S"
    );
    assert!(actions("UPDATE t SET a = 1, a.b = 2 WHERE pk = 'a'")
        .unwrap_err()
        .message
        .contains("Two document paths overlap"));
    assert!(actions("UPDATE t SET a = 1 REMOVE a WHERE pk = 'a'").is_err());
    assert!(actions("UPDATE t SET a = a - 1, b = list_append(b, [1]) WHERE pk = 'a'").is_ok());
}

#[test]
fn attribute_exists_and_not_exists_are_functions() {
    let (s, _) = ok("SELECT * FROM t WHERE attribute_exists(a.b) AND ATTRIBUTE_NOT_EXISTS(c)");
    let Statement::Select(s) = s else { panic!() };
    let c = Binder::new(&[], 0)
        .unwrap()
        .condition(s.filter.as_ref().unwrap())
        .unwrap();
    assert!(matches!(c, Condition::And(a, b)
        if matches!(*a, Condition::AttributeExists(_)) && matches!(*b, Condition::AttributeNotExists(_))));
}

#[test]
fn parameters_are_counted_and_checked() {
    let (_, n) = ok("UPDATE t SET a = ?, b = ? WHERE pk = ?");
    assert_eq!(n, 3);
    let e = Binder::new(&[AttributeValue::Null], 3).err().unwrap();
    assert_eq!(
        e.message,
        "Number of parameters in request and statement don't match."
    );
    let (s, _) = ok("UPDATE t SET x = [?] WHERE pk = 'a'");
    let Statement::Update(u) = s else { panic!() };
    let params = [AttributeValue::Null];
    let b = Binder::new(&params, 1).unwrap();
    assert_eq!(
        b.actions(&u.assignments).unwrap_err().message,
        "Unsupported data type: Parameter under key root[0]"
    );
}

#[test]
fn bags_must_be_one_type_and_not_empty() {
    let bind = |text: &str| {
        let (s, _) = ok(text);
        let Statement::Insert(i) = s else { panic!() };
        Binder::new(&[], 0).unwrap().item(&i.value).map(|_| ())
    };
    assert_eq!(
        bind("INSERT INTO t VALUE {'a': <<>>}").unwrap_err().message,
        "Empty bags are not supported"
    );
    assert!(bind("INSERT INTO t VALUE {'a': <<1, 'x'>>}")
        .unwrap_err()
        .message
        .starts_with("Unsupported data type in Bag"));
    assert!(bind("INSERT INTO t VALUE {'a': 1, 'a': 2}")
        .unwrap_err()
        .message
        .starts_with("Duplicate keys in tuple"));
}

#[test]
fn nesting_is_bounded() {
    let deep = format!(
        "SELECT * FROM t WHERE {}a = 1{}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert!(err(&deep).contains("nested too deeply"));
    let deep = format!(
        "INSERT INTO t VALUE {}1{}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(err(&deep).starts_with("Statement wasn't well formed"));
    let nots = format!("SELECT * FROM t WHERE {} a = 1", "NOT ".repeat(5000));
    assert!(err(&nots).contains("nested too deeply"));
}

proptest! {
    /// No text makes the parser panic, and every failure is a ValidationException.
    #[test]
    fn any_text_parses_or_fails_cleanly(text in "[ -~]{0,120}") {
        if let Err(e) = parse(&text) {
            prop_assert_eq!(e.kind, crate::error::ErrorKind::Validation);
        }
    }

    /// Token soups of the language's own words and symbols neither.
    #[test]
    fn token_soups_fail_cleanly(words in proptest::collection::vec(prop::sample::select(vec![
        "SELECT", "*", "FROM", "t", ".", "i", "WHERE", "a", "=", "?", "'s'", "1", "AND", "OR",
        "NOT", "(", ")", "[", "]", "{", "}", "<<", ">>", ",", ":", "IN", "BETWEEN", "IS",
        "MISSING", "NULL", "UPDATE", "SET", "REMOVE", "DELETE", "INSERT", "INTO", "VALUE",
        "RETURNING", "ALL", "OLD", "*", "size(", "begins_with(", "EXISTS", "ORDER", "BY", "-",
        "+", "\"q\"", ";", "/*", "*/", "--",
    ]), 0..40)) {
        let text = words.join(" ");
        if let Ok((s, n)) = parse(&text) {
            // Whatever parses binds with as many parameters as it counted.
            let params = vec![AttributeValue::S("p".into()); n];
            let b = Binder::new(&params, n).unwrap();
            if let Statement::Select(sel) = &s {
                if let Some(f) = &sel.filter { let _ = b.condition(f); }
            }
        }
    }
}
