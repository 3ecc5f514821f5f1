//! Lexer and recursive-descent parser for condition, update, projection and key-condition
//! expressions. Placeholders (`#name`, `:value`) are resolved while parsing, and each grammar's
//! static rules (reserved words, function arity and placement, overlapping paths) are checked here
//! so that a bad expression is rejected before anything is read.
//! Grammar: <https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html>.

use super::ast::{Comparator, Condition, Operand, Path, PathElem, UpdateAction};
use super::reserved::is_reserved;
use super::Placeholders;
use crate::error::{DynamoError, Result};
use crate::value::AttributeValue;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Name(String),  // #name
    Value(String), // :value
    Int(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Cmp(Comparator),
    Plus,
    Minus,
    /// A character no token starts with: a syntax error wherever the parser meets it (the
    /// service reports `Syntax error; token: "-"`, never a lexical error).
    Bad(String),
    Eof,
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Name(s) | Tok::Value(s) | Tok::Int(s) | Tok::Bad(s) => s.clone(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::LBracket => "[".into(),
            Tok::RBracket => "]".into(),
            Tok::Comma => ",".into(),
            Tok::Dot => ".".into(),
            Tok::Plus => "+".into(),
            Tok::Minus => "-".into(),
            Tok::Cmp(c) => match c {
                Comparator::Eq => "=",
                Comparator::Ne => "<>",
                Comparator::Lt => "<",
                Comparator::Le => "<=",
                Comparator::Gt => ">",
                Comparator::Ge => ">=",
            }
            .into(),
            Tok::Eof => "<EOF>".into(),
        }
    }
    fn is_keyword(&self, kw: &str) -> bool {
        matches!(self, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
}

/// Which expression parameter is being parsed, for error prefixes (`Invalid ConditionExpression: `).
#[derive(Clone, Copy)]
pub enum Kind {
    Condition,
    Filter,
    KeyCondition,
    Update,
    Projection,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Condition => "ConditionExpression",
            Kind::Filter => "FilterExpression",
            Kind::KeyCondition => "KeyConditionExpression",
            Kind::Update => "UpdateExpression",
            Kind::Projection => "ProjectionExpression",
        }
    }
}

/// DynamoDB's limit on an expression's length.
const MAX_EXPRESSION_BYTES: usize = 4096;
/// DynamoDB's limit on operands of IN.
const MAX_IN_OPERANDS: usize = 100;
/// Nesting depth the parser accepts (parentheses, NOT).
const MAX_DEPTH: usize = 64;

struct Lexed {
    toks: Vec<(Tok, usize)>,
}

fn lex(text: &str, kind: Kind) -> Result<Lexed> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut toks = Vec::new();
    let err = |tok: &str, at: usize| syntax_error(kind, tok, &near(text, at));
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => toks.push((Tok::LParen, start)),
            b')' => toks.push((Tok::RParen, start)),
            b'[' => toks.push((Tok::LBracket, start)),
            b']' => toks.push((Tok::RBracket, start)),
            b',' => toks.push((Tok::Comma, start)),
            b'.' => toks.push((Tok::Dot, start)),
            b'+' => toks.push((Tok::Plus, start)),
            b'-' => toks.push((Tok::Minus, start)),
            b'=' => toks.push((Tok::Cmp(Comparator::Eq), start)),
            b'<' => {
                if b.get(i + 1) == Some(&b'>') {
                    i += 1;
                    toks.push((Tok::Cmp(Comparator::Ne), start));
                } else if b.get(i + 1) == Some(&b'=') {
                    i += 1;
                    toks.push((Tok::Cmp(Comparator::Le), start));
                } else {
                    toks.push((Tok::Cmp(Comparator::Lt), start));
                }
            }
            b'>' => {
                if b.get(i + 1) == Some(&b'=') {
                    i += 1;
                    toks.push((Tok::Cmp(Comparator::Ge), start));
                } else {
                    toks.push((Tok::Cmp(Comparator::Gt), start));
                }
            }
            b'#' | b':' => {
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                if i == start + 1 {
                    return Err(err(&text[start..start + 1], start));
                }
                let s = text[start..i].to_string();
                toks.push((
                    if c == b'#' {
                        Tok::Name(s)
                    } else {
                        Tok::Value(s)
                    },
                    start,
                ));
                continue;
            }
            c if c.is_ascii_digit() => {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
                    // An attribute name may not start with a digit.
                    return Err(err(&text[start..i], start));
                }
                toks.push((Tok::Int(text[start..i].to_string()), start));
                continue;
            }
            c if c.is_ascii_alphabetic() => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                toks.push((Tok::Ident(text[start..i].to_string()), start));
                continue;
            }
            _ => {
                // An attribute name starts with a letter: `_a` is a syntax error at `_`, as
                // is any other character outside the grammar (`-`, `"`, `ü`).
                let ch = text[start..].chars().next().unwrap_or('?');
                toks.push((Tok::Bad(ch.to_string()), start));
                i += ch.len_utf8();
                continue;
            }
        }
        i += 1;
    }
    toks.push((Tok::Eof, b.len()));
    Ok(Lexed { toks })
}

fn near(text: &str, at: usize) -> String {
    // DynamoDB shows the offending token with a little context around it.
    let start = text[..at]
        .rfind(' ')
        .map(|p| text[..p].rfind(' ').map(|q| q + 1).unwrap_or(0))
        .unwrap_or(0);
    let end = text[at..].find(' ').map(|p| at + p).unwrap_or(text.len());
    let end = text[end..]
        .trim_start()
        .find(' ')
        .map(|p| end + 1 + p)
        .unwrap_or(text.len())
        .min(text.len());
    // The offset assumes one byte of space was skipped; after multi-byte white space (U+3000)
    // it may fall inside a character: move it to the next boundary.
    let end = (end..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..end].trim().to_string()
}

fn syntax_error(kind: Kind, token: &str, near: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Invalid {}: Syntax error; token: \"{token}\", near: \"{near}\"",
        kind.name()
    ))
}

pub(super) fn invalid(kind: Kind, detail: impl std::fmt::Display) -> DynamoError {
    DynamoError::validation(format!("Invalid {}: {detail}", kind.name()))
}

/// The kinds of semantic error an expression can have, each kept until the whole expression
/// has parsed: the service reports a syntax error anywhere before any of them, then redundant
/// parentheses, an unknown function, a misused function, a reserved word, and only then the
/// first condition's own error (an undefined placeholder, a wrong operand count, operands that
/// are not distinct, a wrong operand type, in that order). dynalite's suite records this order
/// from the service, case by case.
#[derive(Clone, Copy)]
enum Finding {
    UnknownFunction,
    MisusedFunction,
    Reserved,
    /// An update clause used twice (update expressions only).
    Section,
    Placeholder,
    OperandCount,
    Distinct,
    OperandType,
}

/// The first error of each kind found so far, and the error of the first condition that had
/// one.
#[derive(Default, Clone)]
struct Findings {
    /// Unknown function, misused function, reserved word, repeated update section.
    global: [Option<String>; 4],
    current: [Option<String>; 4],
    condition: Option<String>,
}

impl Findings {
    fn note(&mut self, f: Finding, detail: String) {
        let slot = match f {
            Finding::UnknownFunction => &mut self.global[0],
            Finding::MisusedFunction => &mut self.global[1],
            Finding::Reserved => &mut self.global[2],
            Finding::Section => &mut self.global[3],
            Finding::Placeholder => &mut self.current[0],
            Finding::OperandCount => &mut self.current[1],
            Finding::Distinct => &mut self.current[2],
            Finding::OperandType => &mut self.current[3],
        };
        slot.get_or_insert(detail);
    }

    /// A condition ends: if it (or one before it) had an error, the first by precedence is the
    /// conditions' error.
    fn end_condition(&mut self) {
        if self.condition.is_none() {
            self.condition = self.current.iter().flatten().next().cloned();
        }
    }

    /// The error to report, by precedence (None: the expression is valid).
    fn first(&self) -> Option<&String> {
        self.global
            .iter()
            .flatten()
            .chain(self.condition.iter())
            .chain(self.current.iter().flatten())
            .next()
    }

    /// An update expression's first error before its paths are compared: the update grammar
    /// has its own order in the service (dynalite's recorded suite): a reserved word, an
    /// unknown function, a repeated section, an undefined placeholder; then overlapping or
    /// conflicting paths; then ([`Findings::first`]) operand counts and types.
    fn first_in_update(&self) -> Option<&String> {
        [2, 0, 3, 1]
            .iter()
            .filter_map(|&i| self.global[i].as_ref())
            .chain(self.current[0].iter())
            .next()
    }
}

pub(super) struct Parser<'p, 'a> {
    text: String,
    toks: Vec<(Tok, usize)>,
    pos: usize,
    kind: Kind,
    p: &'p mut Placeholders<'a>,
    depth: usize,
    found: Findings,
}

impl<'p, 'a> Parser<'p, 'a> {
    pub(super) fn new(text: &str, kind: Kind, p: &'p mut Placeholders<'a>) -> Result<Self> {
        if text.trim().is_empty() {
            return Err(invalid(kind, "The expression can not be empty;"));
        }
        if text.len() > MAX_EXPRESSION_BYTES {
            return Err(invalid(
                kind,
                format!(
                    "Expression size has exceeded the maximum allowed size; expression size: {}",
                    text.len()
                ),
            ));
        }
        let lexed = lex(text, kind)?;
        Ok(Parser {
            text: text.to_string(),
            toks: lexed.toks,
            pos: 0,
            kind,
            p,
            depth: 0,
            found: Findings::default(),
        })
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn peek2(&self) -> &Tok {
        &self.toks[(self.pos + 1).min(self.toks.len() - 1)].0
    }

    fn next(&mut self) -> Tok {
        let t = self.toks[self.pos].0.clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn unexpected(&self) -> DynamoError {
        let (tok, at) = &self.toks[self.pos];
        if *tok == Tok::Eof && self.pos > 0 {
            // At the end of the input DynamoDB shows the last token as the context.
            let (last, _) = &self.toks[self.pos - 1];
            return syntax_error(self.kind, "<EOF>", &last.text());
        }
        syntax_error(
            self.kind,
            &tok.text(),
            &near(&self.text, (*at).min(self.text.len())),
        )
    }

    fn expect(&mut self, t: Tok) -> Result<()> {
        if *self.peek() == t {
            self.next();
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    pub(super) fn expect_end(&mut self) -> Result<()> {
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn err(&self, detail: impl std::fmt::Display) -> DynamoError {
        invalid(self.kind, detail)
    }

    fn note(&mut self, f: Finding, detail: impl std::fmt::Display) {
        self.found.note(f, detail.to_string());
    }

    /// After the whole expression parsed: its first semantic error, by the service's
    /// precedence (redundant parentheses first).
    pub(super) fn finish(&self) -> Result<()> {
        if redundant_parens(&self.toks) {
            return Err(self.err("The expression has redundant parentheses;"));
        }
        match self.found.first() {
            Some(detail) => Err(self.err(detail)),
            None => Ok(()),
        }
    }

    /// The index of the token after the parenthesis that closes the one at `open`.
    fn after_group(&self, open: usize) -> usize {
        let mut depth = 0usize;
        for (i, (t, _)) in self.toks.iter().enumerate().skip(open) {
            match t {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                Tok::Eof => return i,
                _ => {}
            }
        }
        self.toks.len() - 1
    }

    /// Whether the token at `at` continues an operand into a comparison (so what precedes it
    /// is an operand, not a condition).
    fn continues_operand(&self, at: usize) -> bool {
        let t = &self.toks[at.min(self.toks.len() - 1)].0;
        matches!(t, Tok::Cmp(_) | Tok::Dot | Tok::LBracket)
            || t.is_keyword("BETWEEN")
            || t.is_keyword("IN")
    }

    // ----- paths and operands -----

    fn name_elem(&mut self) -> Result<String> {
        match self.next() {
            Tok::Ident(s) if is_keyword_token(&s) => {
                self.pos -= 1;
                Err(self.unexpected())
            }
            Tok::Ident(s) => {
                if is_reserved(&s) {
                    self.note(
                        Finding::Reserved,
                        format!("Attribute name is a reserved keyword; reserved keyword: {s}"),
                    );
                }
                Ok(s)
            }
            Tok::Name(n) => match self.p.name(&n) {
                Ok(v) => Ok(v),
                Err(e) => {
                    self.note(Finding::Placeholder, e);
                    Ok(n)
                }
            },
            _ => {
                self.pos -= 1;
                Err(self.unexpected())
            }
        }
    }

    pub(super) fn path(&mut self) -> Result<Path> {
        let first = PathElem::Name(self.name_elem()?);
        self.path_tail(vec![first])
    }

    /// The rest of a document path: `.name` and `[index]` steps.
    fn path_tail(&mut self, mut elems: Vec<PathElem>) -> Result<Path> {
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.next();
                    elems.push(PathElem::Name(self.name_elem()?));
                }
                Tok::LBracket => {
                    self.next();
                    let idx = match self.next() {
                        Tok::Int(s) => s.parse::<usize>().map_err(|_| self.unexpected())?,
                        _ => {
                            self.pos -= 1;
                            return Err(self.unexpected());
                        }
                    };
                    self.expect(Tok::RBracket)?;
                    elems.push(PathElem::Index(idx));
                }
                _ => break,
            }
        }
        if elems.len() > 32 {
            return Err(self.err(format!(
                "The document path has too many nesting levels; nesting levels: {}",
                elems.len()
            )));
        }
        Ok(Path(elems))
    }

    fn value(&mut self, name: &str) -> Result<Arc<AttributeValue>> {
        match self.p.value(name) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.note(Finding::Placeholder, e);
                Ok(Arc::new(AttributeValue::Null))
            }
        }
    }

    /// An operand of a condition: a path, a value, `size(path)`, or one of them in parentheses.
    fn cond_operand(&mut self) -> Result<Operand> {
        match self.peek().clone() {
            Tok::LParen => {
                self.next();
                let inner = self.cond_operand()?;
                self.expect(Tok::RParen)?;
                // `(a.b).c` continues the path.
                match inner {
                    Operand::Path(p) if matches!(self.peek(), Tok::Dot | Tok::LBracket) => {
                        Ok(Operand::Path(self.path_tail(p.0)?))
                    }
                    other => Ok(other),
                }
            }
            Tok::Value(v) => {
                self.next();
                Ok(Operand::Value(self.value(&v)?))
            }
            Tok::Ident(f) if *self.peek2() == Tok::LParen => {
                self.next();
                self.next();
                let args = self.args()?;
                if f == "size" {
                    if args.len() != 1 {
                        self.note(
                            Finding::OperandCount,
                            wrong_operand_count("size", args.len()),
                        );
                        return Ok(stand_in());
                    }
                    let wrong = |t: &str| wrong_operand_type("size", t);
                    match args.into_iter().next() {
                        Some(Operand::Path(p)) => Ok(Operand::Size(p)),
                        Some(Operand::Size(_)) => {
                            self.note(Finding::OperandType, wrong("N"));
                            Ok(stand_in())
                        }
                        Some(Operand::Value(v)) => match super::condition::size_of(&v) {
                            Some(n) => Ok(Operand::Value(Arc::new(AttributeValue::N(
                                crate::value::Number::from_i64(n as i64),
                            )))),
                            None => {
                                self.note(Finding::OperandType, wrong(v.type_name()));
                                Ok(stand_in())
                            }
                        },
                        _ => Ok(stand_in()),
                    }
                } else if is_condition_function(&f) || f == "if_not_exists" || f == "list_append" {
                    self.note(Finding::MisusedFunction, format!(
                        "The function is not allowed to be used this way in an expression; function: {f}"
                    ));
                    Ok(stand_in())
                } else {
                    self.note(
                        Finding::UnknownFunction,
                        format!("Invalid function name; function: {f}"),
                    );
                    Ok(stand_in())
                }
            }
            Tok::Ident(_) | Tok::Name(_) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.unexpected()),
        }
    }

    /// Function arguments after `(`, through `)`.
    fn args(&mut self) -> Result<Vec<Operand>> {
        let mut args = Vec::new();
        if *self.peek() == Tok::RParen {
            self.next();
            return Ok(args);
        }
        loop {
            args.push(self.cond_operand()?);
            match self.next() {
                Tok::Comma => continue,
                Tok::RParen => break,
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected());
                }
            }
        }
        Ok(args)
    }

    // ----- conditions -----

    pub(super) fn condition(&mut self) -> Result<Condition> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("The expression has too many nested levels"));
        }
        let mut left = self.and()?;
        while self.peek().is_keyword("OR") {
            self.next();
            let right = self.and()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition> {
        let mut left = self.not()?;
        while self.peek().is_keyword("AND") {
            self.next();
            let right = self.not()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Condition> {
        if self.peek().is_keyword("NOT") {
            self.next();
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.err("The expression has too many nested levels"));
            }
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition> {
        // A parenthesis (or a function call) opens a condition unless what follows its group
        // continues an operand: `(a) = :b`, `(size(a)) < :n`, `attribute_exists(a) > b`.
        let operand_first = match (self.peek(), self.peek2()) {
            (Tok::LParen, _) => self.continues_operand(self.after_group(self.pos)),
            (Tok::Ident(f), Tok::LParen) if is_condition_function(f) => {
                self.continues_operand(self.after_group(self.pos + 1))
            }
            _ => true,
        };
        if !operand_first {
            if *self.peek() == Tok::LParen {
                self.next();
                let c = self.condition()?;
                self.expect(Tok::RParen)?;
                return Ok(c);
            }
            let f = match self.next() {
                Tok::Ident(f) => f,
                _ => unreachable!("checked above"),
            };
            self.next();
            let args = self.args()?;
            let c = self.function_condition(&f, args);
            self.found.end_condition();
            return Ok(c);
        }
        let start = self.pos;
        let left = self.cond_operand()?;
        let c = match self.peek().clone() {
            Tok::Cmp(c) => {
                self.next();
                let right = self.cond_operand()?;
                self.distinct(&Tok::Cmp(c).text(), &left, std::slice::from_ref(&right));
                Condition::Compare(left, c, right)
            }
            t if t.is_keyword("BETWEEN") => {
                self.next();
                let low = self.cond_operand()?;
                if !self.peek().is_keyword("AND") {
                    return Err(self.unexpected());
                }
                self.next();
                let high = self.cond_operand()?;
                if let (Operand::Value(a), Operand::Value(b)) = (&low, &high) {
                    if std::mem::discriminant(a.as_ref()) != std::mem::discriminant(b.as_ref()) {
                        self.note(Finding::OperandType, format!(
                            "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                            brief(a),
                            brief(b)
                        ));
                    } else if super::condition::compare(a, b) == Some(std::cmp::Ordering::Greater) {
                        self.note(Finding::OperandType, format!(
                            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                            brief(a),
                            brief(b)
                        ));
                    }
                }
                Condition::Between(left, low, high)
            }
            t if t.is_keyword("IN") => {
                self.next();
                self.expect(Tok::LParen)?;
                let list = self.args()?;
                if list.is_empty() {
                    return Err(self.unexpected());
                }
                if list.len() > MAX_IN_OPERANDS {
                    self.note(Finding::OperandType, format!(
                        "The IN operator is provided with too many operands; number of operands: {}",
                        list.len()
                    ));
                }
                Condition::In(left, list)
            }
            _ => {
                // A function call standing as a condition: `size(a)` is misused there, an
                // unknown function was noted as such.
                let call = matches!(
                    (&self.toks[start].0, &self.toks[start + 1].0),
                    (Tok::Ident(_), Tok::LParen)
                );
                if !call {
                    return Err(self.unexpected());
                }
                if matches!(&self.toks[start].0, Tok::Ident(f) if f == "size") {
                    self.note(
                        Finding::MisusedFunction,
                        "The function is not allowed to be used this way in an expression; function: size",
                    );
                }
                Condition::True
            }
        };
        self.found.end_condition();
        Ok(c)
    }

    /// DynamoDB refuses `a = a` and `a BETWEEN a AND :x`; DynamoDB Local (Amazon's code)
    /// accepts `size(a) < size(a)`, so only a plain path must be distinct.
    fn distinct(&mut self, op: &str, first: &Operand, rest: &[Operand]) {
        if let Operand::Path(p) = first {
            if rest.iter().any(|r| r == first) {
                self.note(Finding::Distinct, format!(
                    "The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {p}"
                ));
            }
        }
    }

    fn function_condition(&mut self, f: &str, args: Vec<Operand>) -> Condition {
        let arity = match f {
            "attribute_exists" | "attribute_not_exists" => 1,
            _ => 2,
        };
        if args.len() != arity {
            self.note(Finding::OperandCount, wrong_operand_count(f, args.len()));
            return Condition::True;
        }
        let mut it = args.into_iter();
        let first = it.next().expect("arity");
        let second = it.next();
        let wrong_type = |t: &str| wrong_operand_type(f, t);
        let first_path = match &first {
            Operand::Path(p) => Some(p.clone()),
            _ => None,
        };
        if first_path.is_none()
            && matches!(
                f,
                "attribute_exists" | "attribute_not_exists" | "attribute_type"
            )
        {
            self.note(
                Finding::OperandType,
                format!("Operator or function requires a document path; operator or function: {f}"),
            );
        }
        let path = first_path.unwrap_or_else(|| Path::attribute(""));
        match f {
            "attribute_exists" => Condition::AttributeExists(path),
            "attribute_not_exists" => Condition::AttributeNotExists(path),
            "attribute_type" => {
                let t = second.expect("arity");
                self.distinct("attribute_type", &first, std::slice::from_ref(&t));
                match &t {
                    Operand::Value(v) => match v.as_ref() {
                        AttributeValue::S(s) if !VALID_TYPES.contains(&s.as_str()) => {
                            self.note(Finding::OperandType, format!(
                                "Invalid attribute type name found; type: {s}, valid types: {{N,BS,L,B,NULL,M,S,SS,NS,BOOL}}"
                            ));
                        }
                        AttributeValue::S(_) => {}
                        other => self.note(Finding::OperandType, wrong_type(other.type_name())),
                    },
                    Operand::Size(_) => self.note(Finding::OperandType, wrong_type("N")),
                    _ => self.note(
                        Finding::OperandType,
                        wrong_type("{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"),
                    ),
                }
                Condition::AttributeType(path, t)
            }
            "begins_with" => {
                let second = second.expect("arity");
                self.distinct("begins_with", &first, std::slice::from_ref(&second));
                for o in [&first, &second] {
                    match o {
                        Operand::Value(v)
                            if !matches!(
                                v.as_ref(),
                                AttributeValue::S(_) | AttributeValue::B(_)
                            ) =>
                        {
                            self.note(Finding::OperandType, wrong_type(v.type_name()));
                        }
                        Operand::Size(_) => self.note(Finding::OperandType, wrong_type("N")),
                        _ => {}
                    }
                }
                Condition::BeginsWith(first, second)
            }
            _ => {
                let second = second.expect("arity");
                self.distinct("contains", &first, std::slice::from_ref(&second));
                Condition::Contains(first, second)
            }
        }
    }

    // ----- updates -----

    pub(super) fn update(&mut self) -> Result<Vec<UpdateAction>> {
        let mut actions = Vec::new();
        let mut seen: Vec<&'static str> = Vec::new();
        while *self.peek() != Tok::Eof {
            let clause = match self.peek() {
                t if t.is_keyword("SET") => "SET",
                t if t.is_keyword("REMOVE") => "REMOVE",
                t if t.is_keyword("ADD") => "ADD",
                t if t.is_keyword("DELETE") => "DELETE",
                _ => return Err(self.unexpected()),
            };
            if seen.contains(&clause) {
                self.note(
                    Finding::Section,
                    format!(
                        "The \"{clause}\" section can only be used once in an update expression;"
                    ),
                );
            }
            seen.push(clause);
            self.next();
            loop {
                match clause {
                    "SET" => {
                        let p = self.path()?;
                        self.expect(Tok::Cmp(Comparator::Eq))?;
                        let v = self.set_value()?;
                        actions.push(UpdateAction::Set(p, v));
                    }
                    "REMOVE" => actions.push(UpdateAction::Remove(self.path()?)),
                    _ => {
                        let p = self.path()?;
                        let v = match self.next() {
                            Tok::Value(v) => self.value(&v)?,
                            _ => {
                                self.pos -= 1;
                                return Err(self.unexpected());
                            }
                        };
                        let ok = match clause {
                            "ADD" => matches!(
                                v.as_ref(),
                                AttributeValue::N(_)
                                    | AttributeValue::Ss(_)
                                    | AttributeValue::Ns(_)
                                    | AttributeValue::Bs(_)
                            ),
                            _ => matches!(
                                v.as_ref(),
                                AttributeValue::Ss(_)
                                    | AttributeValue::Ns(_)
                                    | AttributeValue::Bs(_)
                            ),
                        };
                        if !ok {
                            return Err(self.err(format!(
                                "Incorrect operand type for operator or function; operator: {clause}, operand type: {}, typeSet: ALLOWED_FOR_{clause}_OPERAND",
                                long_type_name(&v)
                            )));
                        }
                        actions.push(if clause == "ADD" {
                            UpdateAction::Add(p, Operand::Value(v), false)
                        } else {
                            UpdateAction::Delete(p, Operand::Value(v))
                        });
                    }
                }
                if *self.peek() == Tok::Comma {
                    self.next();
                } else {
                    break;
                }
            }
        }
        if actions.is_empty() {
            return Err(self.unexpected());
        }
        if let Some(detail) = self.found.first_in_update() {
            return Err(self.err(detail));
        }
        check_paths(self.kind, actions.iter().map(UpdateAction::path))?;
        if let Some(detail) = self.found.first() {
            return Err(self.err(detail));
        }
        Ok(actions)
    }

    fn set_value(&mut self) -> Result<Operand> {
        let left = self.set_operand()?;
        match self.peek() {
            Tok::Plus | Tok::Minus => {
                let plus = *self.peek() == Tok::Plus;
                self.next();
                let right = self.set_operand()?;
                // A literal that is not a number is rejected before anything is read.
                for o in [&left, &right] {
                    if let Operand::Value(v) = o {
                        if !matches!(v.as_ref(), AttributeValue::N(_)) {
                            return Err(self.err(wrong_operand_type(
                                if plus { "+" } else { "-" },
                                v.type_name(),
                            )));
                        }
                    }
                }
                Ok(if plus {
                    Operand::Plus(Box::new(left), Box::new(right))
                } else {
                    Operand::Minus(Box::new(left), Box::new(right))
                })
            }
            _ => Ok(left),
        }
    }

    /// An operand of SET, nested functions bounded like parentheses (a 4 KB expression could
    /// otherwise nest `list_append(` some 300 deep, and evaluation recurses as deep).
    fn set_operand(&mut self) -> Result<Operand> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("The expression has too many nested levels"));
        }
        let operand = self.set_operand_inner();
        self.depth -= 1;
        operand
    }

    fn set_operand_inner(&mut self) -> Result<Operand> {
        match self.peek().clone() {
            Tok::Value(v) => {
                self.next();
                Ok(Operand::Value(self.value(&v)?))
            }
            Tok::Ident(f) if *self.peek2() == Tok::LParen => {
                self.next();
                self.next();
                match f.as_str() {
                    "if_not_exists" | "list_append" => {
                        let args = self.update_args()?;
                        if args.len() != 2 {
                            self.note(Finding::OperandCount, wrong_operand_count(&f, args.len()));
                            return Ok(stand_in());
                        }
                        let mut it = args.into_iter();
                        let (a, b) = (it.next().expect("two"), it.next().expect("two"));
                        if f == "if_not_exists" {
                            return match a {
                                Operand::Path(p) => Ok(Operand::IfNotExists(p, Box::new(b))),
                                _ => {
                                    self.note(
                                        Finding::OperandType,
                                        "Operator or function requires a document path; operator or function: if_not_exists",
                                    );
                                    Ok(stand_in())
                                }
                            };
                        }
                        for o in [&a, &b] {
                            if let Operand::Value(v) = o {
                                if !matches!(v.as_ref(), AttributeValue::L(_)) {
                                    self.note(
                                        Finding::OperandType,
                                        wrong_operand_type("list_append", v.type_name()),
                                    );
                                }
                            }
                        }
                        Ok(Operand::ListAppend(Box::new(a), Box::new(b)))
                    }
                    f => {
                        if is_condition_function(f) || f == "size" {
                            self.note(
                                Finding::MisusedFunction,
                                format!("The function is not allowed in an update expression; function: {f}"),
                            );
                        } else {
                            self.note(
                                Finding::UnknownFunction,
                                format!("Invalid function name; function: {f}"),
                            );
                        }
                        // Read its arguments, for the errors after this one.
                        self.update_args()?;
                        Ok(stand_in())
                    }
                }
            }
            Tok::Ident(_) | Tok::Name(_) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.unexpected()),
        }
    }

    /// An update function's arguments after `(`, through `)`.
    fn update_args(&mut self) -> Result<Vec<Operand>> {
        let mut args = Vec::new();
        if *self.peek() != Tok::RParen {
            loop {
                args.push(self.set_operand()?);
                if *self.peek() != Tok::Comma {
                    break;
                }
                self.next();
            }
        }
        self.expect(Tok::RParen)?;
        Ok(args)
    }

    // ----- projections -----

    pub(super) fn projection(&mut self) -> Result<Vec<Path>> {
        let mut paths = vec![self.path()?];
        while *self.peek() == Tok::Comma {
            self.next();
            paths.push(self.path()?);
        }
        self.expect_end()?;
        self.finish()?;
        check_paths(self.kind, paths.iter())?;
        Ok(paths)
    }
}

const VALID_TYPES: &[&str] = &["B", "BOOL", "BS", "L", "M", "N", "NS", "NULL", "S", "SS"];

/// `Incorrect operand type ...` for operator or function `f` given an operand of type `t`.
fn wrong_operand_type(f: &str, t: &str) -> String {
    format!("Incorrect operand type for operator or function; operator or function: {f}, operand type: {t}")
}

/// `Incorrect number of operands ...` for operator or function `f` given `n` operands.
fn wrong_operand_count(f: &str, n: usize) -> String {
    format!("Incorrect number of operands for operator or function; operator or function: {f}, number of operands: {n}")
}

/// What stands in for an operand whose error was noted, so that parsing goes on to find the
/// errors the service would report first.
fn stand_in() -> Operand {
    Operand::Value(Arc::new(AttributeValue::Null))
}

/// The condition grammar's keywords, which are never attribute names (`a > between` is a
/// syntax error).
fn is_keyword_token(s: &str) -> bool {
    ["AND", "OR", "NOT", "BETWEEN", "IN"]
        .iter()
        .any(|k| s.eq_ignore_ascii_case(k))
}

/// Whether a group in parentheses holds nothing but another group in parentheses: `((a))`,
/// `a AND ((b OR c))`. A function's or IN's own parentheses are not a group: in
/// `f((:v))` nothing is redundant.
fn redundant_parens(toks: &[(Tok, usize)]) -> bool {
    // The index of each parenthesis's partner.
    let mut partner = vec![usize::MAX; toks.len()];
    let mut open = Vec::new();
    for (i, (t, _)) in toks.iter().enumerate() {
        match t {
            Tok::LParen => open.push(i),
            Tok::RParen => {
                if let Some(o) = open.pop() {
                    partner[o] = i;
                }
            }
            _ => {}
        }
    }
    (0..toks.len()).any(|i| {
        let is_call = i > 0
            && matches!(&toks[i - 1].0, Tok::Ident(f) if !is_keyword_token(f) || f.eq_ignore_ascii_case("IN"));
        toks[i].0 == Tok::LParen
            && !is_call
            && toks.get(i + 1).is_some_and(|t| t.0 == Tok::LParen)
            && partner[i] != usize::MAX
            && partner[i + 1] != usize::MAX
            && partner[i + 1] + 1 == partner[i]
    })
}

fn is_condition_function(f: &str) -> bool {
    matches!(
        f,
        "attribute_exists" | "attribute_not_exists" | "attribute_type" | "begins_with" | "contains"
    )
}

/// DynamoDB's long type names (its Java enum), used in some operand-type messages.
fn long_type_name(v: &AttributeValue) -> &'static str {
    match v {
        AttributeValue::S(_) => "STRING",
        AttributeValue::N(_) => "NUMBER",
        AttributeValue::B(_) => "BINARY",
        AttributeValue::Bool(_) => "BOOLEAN",
        AttributeValue::Null => "NULL",
        AttributeValue::Ss(_) => "STRING_SET",
        AttributeValue::Ns(_) => "NUMBER_SET",
        AttributeValue::Bs(_) => "BINARY_SET",
        AttributeValue::L(_) => "LIST",
        AttributeValue::M(_) => "MAP",
    }
}

/// A scalar value as DynamoDB prints it in messages: `{N:2}`, `{S:abc}`.
fn brief(v: &AttributeValue) -> String {
    match v {
        AttributeValue::S(s) => format!("{{S:{s}}}"),
        AttributeValue::N(n) => format!("{{N:{n}}}"),
        other => format!("{other:?}"),
    }
}

/// Rejects two paths where one contains the other (overlap) or where one indexes a list and the
/// other a map at the same place (conflict), as DynamoDB does for updates and projections. Every
/// pair is checked for an overlap before any for a conflict: in `b[1], b.a, #a.b, a` the service
/// reports `[a, b]` overlapping `[a]`, not the earlier conflict of `b[1]` and `b.a` (dynalite's
/// recorded suite).
pub(super) fn check_paths<'x>(kind: Kind, paths: impl Iterator<Item = &'x Path>) -> Result<()> {
    let paths: Vec<&Path> = paths.collect();
    let pairs = || {
        paths
            .iter()
            .enumerate()
            .flat_map(|(i, a)| paths[..i].iter().map(move |b| (*b, *a)))
    };
    let common = |a: &Path, b: &Path| {
        a.0.iter()
            .zip(b.0.iter())
            .take_while(|(x, y)| x == y)
            .count()
    };
    for (one, two) in pairs() {
        if common(one, two) == one.0.len().min(two.0.len()) {
            return Err(invalid(
                kind,
                format!(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
                ),
            ));
        }
    }
    for (one, two) in pairs() {
        let at = common(one, two);
        if matches!(
            (&one.0[at], &two.0[at]),
            (PathElem::Name(_), PathElem::Index(_)) | (PathElem::Index(_), PathElem::Name(_))
        ) {
            return Err(invalid(
                kind,
                format!(
                    "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
                ),
            ));
        }
    }
    Ok(())
}
