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
    Eof,
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Name(s) | Tok::Value(s) | Tok::Int(s) => s.clone(),
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
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                toks.push((Tok::Ident(text[start..i].to_string()), start));
                continue;
            }
            _ => {
                let ch = text[start..].chars().next().unwrap_or('?');
                return Err(DynamoError::validation(format!(
                    "Invalid {}: Invalid character encountered; character: \"{ch}\", position: {}",
                    kind.name(),
                    start + 1
                )));
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

pub(super) struct Parser<'p, 'a> {
    text: String,
    toks: Vec<(Tok, usize)>,
    pos: usize,
    kind: Kind,
    p: &'p mut Placeholders<'a>,
    depth: usize,
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

    // ----- paths and operands -----

    fn name_elem(&mut self) -> Result<String> {
        match self.next() {
            Tok::Ident(s) => {
                if is_reserved(&s) {
                    return Err(self.err(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {s}"
                    )));
                }
                Ok(s)
            }
            Tok::Name(n) => self.p.name(&n).map_err(|e| self.err(e)),
            _ => {
                self.pos -= 1;
                Err(self.unexpected())
            }
        }
    }

    pub(super) fn path(&mut self) -> Result<Path> {
        let mut elems = vec![PathElem::Name(self.name_elem()?)];
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
        self.p.value(name).map_err(|e| self.err(e))
    }

    /// An operand of a condition: a path, a value, or `size(path)`.
    fn cond_operand(&mut self) -> Result<Operand> {
        match self.peek().clone() {
            Tok::Value(v) => {
                self.next();
                Ok(Operand::Value(self.value(&v)?))
            }
            Tok::Ident(f) if *self.peek2() == Tok::LParen => {
                self.next();
                self.next();
                if f == "size" {
                    let args = self.args()?;
                    if args.len() != 1 {
                        return Err(self.err(format!(
                            "Incorrect number of operands for operator or function; operator or function: size, number of operands: {}",
                            args.len()
                        )));
                    }
                    match args.into_iter().next() {
                        Some(Operand::Path(p)) => Ok(Operand::Size(p)),
                        Some(other) => Err(self.err(format!(
                            "Incorrect operand type for operator or function; operator or function: size, operand type: {}",
                            operand_type(&other)
                        ))),
                        None => unreachable!(),
                    }
                } else if is_condition_function(&f) || f == "if_not_exists" || f == "list_append" {
                    Err(self.err(format!(
                        "The function is not allowed to be used this way in an expression; function: {f}"
                    )))
                } else {
                    Err(self.err(format!("Invalid function name; function: {f}")))
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
        if *self.peek() == Tok::LParen {
            self.next();
            let c = self.condition()?;
            self.expect(Tok::RParen)?;
            return Ok(c);
        }
        if let Tok::Ident(f) = self.peek().clone() {
            if *self.peek2() == Tok::LParen && is_condition_function(&f) {
                self.next();
                self.next();
                let args = self.args()?;
                return self.function_condition(&f, args);
            }
        }
        let left = self.cond_operand()?;
        match self.peek().clone() {
            Tok::Cmp(c) => {
                self.next();
                let right = self.cond_operand()?;
                self.distinct(&Tok::Cmp(c).text(), &left, std::slice::from_ref(&right))?;
                Ok(Condition::Compare(left, c, right))
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
                    if super::condition::compare(a, b) == Some(std::cmp::Ordering::Greater) {
                        return Err(self.err(format!(
                            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                            brief(a),
                            brief(b)
                        )));
                    }
                }
                Ok(Condition::Between(left, low, high))
            }
            t if t.is_keyword("IN") => {
                self.next();
                self.expect(Tok::LParen)?;
                let list = self.args()?;
                if list.is_empty() {
                    return Err(self.unexpected());
                }
                if list.len() > MAX_IN_OPERANDS {
                    return Err(self.err(format!(
                        "The IN operator is provided with too many operands; number of operands: {}",
                        list.len()
                    )));
                }
                Ok(Condition::In(left, list))
            }
            _ => {
                if let Operand::Size(_) = left {
                    return Err(self.err(
                        "The function is not allowed to be used this way in an expression; function: size",
                    ));
                }
                Err(self.unexpected())
            }
        }
    }

    /// DynamoDB refuses `a = a` and `a BETWEEN a AND :x`; DynamoDB Local (Amazon's code)
    /// accepts `size(a) < size(a)`, so only a plain path must be distinct.
    fn distinct(&self, op: &str, first: &Operand, rest: &[Operand]) -> Result<()> {
        if let Operand::Path(_) = first {
            if rest.iter().any(|r| r == first) {
                return Err(self.err(format!(
                    "The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {}",
                    describe_operand(first)
                )));
            }
        }
        Ok(())
    }

    fn function_condition(&mut self, f: &str, args: Vec<Operand>) -> Result<Condition> {
        let arity = match f {
            "attribute_exists" | "attribute_not_exists" => 1,
            _ => 2,
        };
        if args.len() != arity {
            return Err(self.err(format!(
                "Incorrect number of operands for operator or function; operator or function: {f}, number of operands: {}",
                args.len()
            )));
        }
        let mut it = args.into_iter();
        let first = it.next().expect("arity");
        let path = |o: &Operand| -> Result<Path> {
            match o {
                Operand::Path(p) => Ok(p.clone()),
                _ => Err(invalid(
                    self.kind,
                    format!(
                        "Operator or function requires a document path; operator or function: {f}"
                    ),
                )),
            }
        };
        match f {
            "attribute_exists" => Ok(Condition::AttributeExists(path(&first)?)),
            "attribute_not_exists" => Ok(Condition::AttributeNotExists(path(&first)?)),
            "attribute_type" => {
                let p = path(&first)?;
                let t = it.next().expect("arity");
                if let Operand::Value(v) = &t {
                    match v.as_ref() {
                        AttributeValue::S(s) if !VALID_TYPES.contains(&s.as_str()) => {
                            return Err(self.err(format!(
                                "Invalid attribute type name found; type: {s}, valid types: {{N,BS,L,B,NULL,M,S,SS,NS,BOOL}}"
                            )));
                        }
                        AttributeValue::S(_) => {}
                        other => {
                            return Err(self.err(format!(
                                "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {}",
                                other.type_name()
                            )))
                        }
                    }
                }
                Ok(Condition::AttributeType(p, t))
            }
            "begins_with" => {
                let second = it.next().expect("arity");
                for o in [&first, &second] {
                    if let Operand::Value(v) = o {
                        if !matches!(v.as_ref(), AttributeValue::S(_) | AttributeValue::B(_)) {
                            return Err(self.err(format!(
                                "Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                                v.type_name()
                            )));
                        }
                    }
                }
                self.distinct("begins_with", &first, std::slice::from_ref(&second))?;
                Ok(Condition::BeginsWith(first, second))
            }
            _ => {
                let second = it.next().expect("arity");
                self.distinct("contains", &first, std::slice::from_ref(&second))?;
                Ok(Condition::Contains(first, second))
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
                return Err(self.err(format!(
                    "The \"{clause}\" section can only be used once in an update expression;"
                )));
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
        check_paths(self.kind, actions.iter().map(UpdateAction::path))?;
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
                            return Err(self.err(format!(
                                "Incorrect operand type for operator or function; operator or function: {}, operand type: {}",
                                if plus { "+" } else { "-" },
                                v.type_name()
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
                    "if_not_exists" => {
                        let p = self.path()?;
                        self.expect(Tok::Comma)?;
                        let v = self.set_operand()?;
                        self.expect(Tok::RParen)?;
                        Ok(Operand::IfNotExists(p, Box::new(v)))
                    }
                    "list_append" => {
                        let a = self.set_operand()?;
                        self.expect(Tok::Comma)?;
                        let b = self.set_operand()?;
                        self.expect(Tok::RParen)?;
                        for o in [&a, &b] {
                            if let Operand::Value(v) = o {
                                if !matches!(v.as_ref(), AttributeValue::L(_)) {
                                    return Err(self.err(format!(
                                        "Incorrect operand type for operator or function; operator or function: list_append, operand type: {}",
                                        v.type_name()
                                    )));
                                }
                            }
                        }
                        Ok(Operand::ListAppend(Box::new(a), Box::new(b)))
                    }
                    f if is_condition_function(f) || f == "size" => Err(self.err(format!(
                        "The function is not allowed in an update expression; function: {f}"
                    ))),
                    f => Err(self.err(format!("Invalid function name; function: {f}"))),
                }
            }
            Tok::Ident(_) | Tok::Name(_) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.unexpected()),
        }
    }

    // ----- projections -----

    pub(super) fn projection(&mut self) -> Result<Vec<Path>> {
        let mut paths = vec![self.path()?];
        while *self.peek() == Tok::Comma {
            self.next();
            paths.push(self.path()?);
        }
        self.expect_end()?;
        check_paths(self.kind, paths.iter())?;
        Ok(paths)
    }
}

const VALID_TYPES: &[&str] = &["B", "BOOL", "BS", "L", "M", "N", "NS", "NULL", "S", "SS"];

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

fn operand_type(o: &Operand) -> &'static str {
    match o {
        Operand::Value(v) => v.type_name(),
        _ => "PATH",
    }
}

fn describe_operand(o: &Operand) -> String {
    match o {
        Operand::Path(p) => format!("{{path operand: {}}}", p),
        Operand::Size(p) => format!("{{size({})}}", p),
        other => format!("{other:?}"),
    }
}

/// Rejects two paths where one contains the other (overlap) or where one indexes a list and the
/// other a map at the same place (conflict), as DynamoDB does for updates and projections.
pub(super) fn check_paths<'x>(kind: Kind, paths: impl Iterator<Item = &'x Path>) -> Result<()> {
    let paths: Vec<&Path> = paths.collect();
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[..i] {
            let common =
                a.0.iter()
                    .zip(b.0.iter())
                    .take_while(|(x, y)| x == y)
                    .count();
            if common == a.0.len().min(b.0.len()) {
                return Err(invalid(
                    kind,
                    format!(
                        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {b}, path two: {a}"
                    ),
                ));
            }
            let (x, y) = (&a.0[common], &b.0[common]);
            if matches!(
                (x, y),
                (PathElem::Name(_), PathElem::Index(_)) | (PathElem::Index(_), PathElem::Name(_))
            ) {
                return Err(invalid(
                    kind,
                    format!(
                        "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {b}, path two: {a}"
                    ),
                ));
            }
        }
    }
    Ok(())
}
