//! Lexer and recursive-descent parser for DynamoDB's PartiQL subset.
//!
//! Grammar (keywords case-insensitive, identifiers bare or double-quoted, strings
//! single-quoted, `''` and `""` escaping a quote):
//!
//! ```text
//! statement := select | insert | update | delete | EXISTS '(' select ')'
//! select    := SELECT ('*' | path (',' path)*) FROM name ['.' name] [WHERE cond] [ORDER BY path [ASC|DESC]]
//! insert    := INSERT INTO name VALUE value
//! update    := UPDATE name (SET path '=' expr (',' path '=' expr)* | REMOVE path (',' path)*)+
//!              WHERE cond [RETURNING (ALL|MODIFIED) (OLD|NEW) '*']
//! delete    := DELETE FROM name WHERE cond [RETURNING ALL OLD '*']
//! cond      := and (OR and)*          and := not (AND not)*        not := NOT not | predicate
//! predicate := '(' cond ')' | operand [cmp operand | BETWEEN operand AND operand
//!              | IN ('[' | '(') operand, ... (']' | ')') | IS [NOT] (MISSING | NULL)]
//! operand   := term [('+' | '-') term]
//! term      := path | literal | '?' | function '(' args ')' | '[' ... ']' | '{' 'k': v, ... '}' | '<<' ... '>>'
//! path      := name ('.' name | '[' integer ']' | '[' 'string' ']')*
//! ```
//!
//! A malformed statement is a ValidationException whose message starts as DynamoDB's does
//! (`Statement wasn't well formed, can't be processed: `); the parser never panics and bounds
//! the trees it builds (100 levels of nesting, 300 AND/OR operators, one `+`/`-` per operand),
//! so no statement (they are at most 8,192 characters) can exhaust the stack of the code that
//! walks them.

use super::ast::{
    Assignment, Delete, Expr, Function, Insert, IsWhat, Returning, Select, Statement, Target,
    Update,
};
use crate::error::{DynamoError, Result};
use crate::expression::{Comparator, Path, PathElem};
use crate::value::{AttributeValue, Number};

/// How deeply conditions and values may nest (parentheses, lists, maps): far more than any
/// real statement, and far less than the stack allows.
const MAX_DEPTH: usize = 100;
/// How many AND/OR operators one statement may chain (each makes the tree one level deeper).
const MAX_OPERATORS: usize = 300;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A bare identifier or keyword.
    Word(String),
    /// A double-quoted identifier.
    Quoted(String),
    /// A single-quoted string.
    Str(String),
    /// A number literal's text.
    Num(String),
    Param,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    LBag,
    RBag,
    Comma,
    Dot,
    Colon,
    Semicolon,
    Star,
    Plus,
    Minus,
    Cmp(Comparator),
    /// A character no token starts with.
    Bad(char),
    Eof,
}

/// The error every malformed statement gets: DynamoDB's prefix, then what the parser met.
pub(super) fn malformed(detail: impl std::fmt::Display) -> DynamoError {
    DynamoError::validation(format!(
        "Statement wasn't well formed, can't be processed: {detail}"
    ))
}

fn lex(text: &str) -> Result<Vec<Tok>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        // `--` comments to the end of the line, as PartiQL allows.
        if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        // `/* ... */` comments anywhere.
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let mut j = i + 2;
            loop {
                match chars.get(j) {
                    None => return Err(malformed("Unterminated comment")),
                    Some('*') if chars.get(j + 1) == Some(&'/') => break,
                    _ => j += 1,
                }
            }
            i = j + 2;
            continue;
        }
        let two = |d: char| chars.get(i + 1) == Some(&d);
        let (tok, len) = match c {
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            '{' => (Tok::LBrace, 1),
            '}' => (Tok::RBrace, 1),
            ',' => (Tok::Comma, 1),
            ':' => (Tok::Colon, 1),
            ';' => (Tok::Semicolon, 1),
            '*' => (Tok::Star, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '?' => (Tok::Param, 1),
            '=' => (Tok::Cmp(Comparator::Eq), 1),
            '!' if two('=') => (Tok::Cmp(Comparator::Ne), 2),
            '<' if two('<') => (Tok::LBag, 2),
            '<' if two('>') => (Tok::Cmp(Comparator::Ne), 2),
            '<' if two('=') => (Tok::Cmp(Comparator::Le), 2),
            '<' => (Tok::Cmp(Comparator::Lt), 1),
            '>' if two('>') => (Tok::RBag, 2),
            '>' if two('=') => (Tok::Cmp(Comparator::Ge), 2),
            '>' => (Tok::Cmp(Comparator::Gt), 1),
            '.' if !chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) => (Tok::Dot, 1),
            '\'' | '"' => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => return Err(malformed("Unterminated quoted text")),
                        Some(&q) if q == c => {
                            if chars.get(j + 1) == Some(&c) {
                                s.push(c);
                                j += 2;
                            } else {
                                j += 1;
                                break;
                            }
                        }
                        Some(&d) => {
                            s.push(d);
                            j += 1;
                        }
                    }
                }
                let tok = if c == '\'' {
                    Tok::Str(s)
                } else {
                    Tok::Quoted(s)
                };
                out.push(tok);
                i = j;
                continue;
            }
            d if d.is_ascii_digit() || d == '.' => {
                let mut j = i;
                while j < chars.len() && (chars[j].is_ascii_digit() || chars[j] == '.') {
                    j += 1;
                }
                if j < chars.len() && (chars[j] == 'e' || chars[j] == 'E') {
                    let mut k = j + 1;
                    if k < chars.len() && (chars[k] == '+' || chars[k] == '-') {
                        k += 1;
                    }
                    if k < chars.len() && chars[k].is_ascii_digit() {
                        while k < chars.len() && chars[k].is_ascii_digit() {
                            k += 1;
                        }
                        j = k;
                    }
                }
                out.push(Tok::Num(chars[i..j].iter().collect()));
                i = j;
                continue;
            }
            w if w.is_alphabetic() || w == '_' || w == '$' => {
                let mut j = i;
                while j < chars.len()
                    && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '$')
                {
                    j += 1;
                }
                out.push(Tok::Word(chars[i..j].iter().collect()));
                i = j;
                continue;
            }
            other => (Tok::Bad(other), 1),
        };
        out.push(tok);
        i += len;
    }
    out.push(Tok::Eof);
    Ok(out)
}

/// Words that cannot be bare identifiers (PartiQL's reserved words that matter here);
/// double-quote them to use them as names.
const KEYWORDS: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "ASC",
    "AT",
    "BETWEEN",
    "BY",
    "DELETE",
    "DESC",
    "DISTINCT",
    "EXISTS",
    "FALSE",
    "FROM",
    "GROUP",
    "HAVING",
    "IN",
    "INSERT",
    "INTO",
    "IS",
    "LIMIT",
    "MISSING",
    "NOT",
    "NULL",
    "OR",
    "ORDER",
    "REMOVE",
    "RETURNING",
    "SELECT",
    "SET",
    "TRUE",
    "UPDATE",
    "VALUE",
    "VALUES",
    "WHERE",
];

fn is_keyword(w: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(w))
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    params: usize,
    depth: usize,
    operators: usize,
}

/// Parses one statement; returns it and how many `?` parameters it has.
pub fn parse(text: &str) -> Result<(Statement, usize)> {
    let mut p = Parser {
        toks: lex(text)?,
        pos: 0,
        params: 0,
        depth: 0,
        operators: 0,
    };
    let stmt = p.statement()?;
    // One statement, optionally ended by a semicolon.
    p.eat(&Tok::Semicolon);
    if p.peek() != &Tok::Eof {
        return Err(malformed("Unexpected token after expression"));
    }
    Ok((stmt, p.params))
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos]
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.toks.get(self.pos + n).unwrap_or(&Tok::Eof)
    }

    fn next(&mut self) -> Tok {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn at_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.at_kw(kw) {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> Result<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == t {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &Tok) -> Result<()> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// What the parser met where it expected something else.
    fn unexpected(&self) -> DynamoError {
        match self.peek() {
            Tok::Eof => malformed("Unexpected end of statement"),
            Tok::Word(w) if is_keyword(w) => {
                malformed(format!("Unexpected keyword: {}", w.to_ascii_uppercase()))
            }
            Tok::Bad(c) => malformed(format!("Unexpected character: {c}")),
            t => malformed(format!("Unexpected token: {}", describe(t))),
        }
    }

    fn nest(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(malformed("Statement is nested too deeply"));
        }
        Ok(())
    }

    fn operator(&mut self) -> Result<()> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(malformed("Statement has too many operators"));
        }
        Ok(())
    }

    fn statement(&mut self) -> Result<Statement> {
        match self.peek() {
            Tok::Word(w) => match w.to_ascii_uppercase().as_str() {
                "SELECT" => Ok(Statement::Select(self.select()?)),
                "INSERT" => self.insert(),
                "UPDATE" => self.update(),
                "DELETE" => self.delete(),
                "EXISTS" => {
                    self.next();
                    self.expect(&Tok::LParen)?;
                    let s = self.select()?;
                    self.expect(&Tok::RParen)?;
                    Ok(Statement::Exists(s))
                }
                "VALUES" | "CREATE" | "DROP" | "REPLACE" | "UPSERT" | "WITH" => Err(malformed(
                    format!("Unsupported operation: {}", w.to_ascii_uppercase()),
                )),
                _ => Err(malformed("Expected data manipulation")),
            },
            Tok::Eof => Err(malformed("Expected data manipulation")),
            _ => Err(self.unexpected()),
        }
    }

    /// A table or attribute name: bare (not a keyword) or double-quoted.
    fn name(&mut self) -> Result<String> {
        match self.peek().clone() {
            Tok::Word(w) if !is_keyword(&w) => {
                self.next();
                Ok(w)
            }
            Tok::Quoted(q) => {
                self.next();
                if q.is_empty() {
                    return Err(DynamoError::validation(
                        "Path component cannot be an empty string",
                    ));
                }
                Ok(q)
            }
            _ => Err(self.unexpected()),
        }
    }

    fn path(&mut self) -> Result<Path> {
        let mut elems = vec![PathElem::Name(self.name()?)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.next();
                    if self.peek() == &Tok::Star {
                        return Err(DynamoError::validation(
                            "Unpivot path component like a.*.b are not supported",
                        ));
                    }
                    // After a dot any word names a map key, keywords included.
                    match self.peek().clone() {
                        Tok::Word(w) => {
                            self.next();
                            elems.push(PathElem::Name(w));
                        }
                        _ => elems.push(PathElem::Name(self.name()?)),
                    }
                }
                Tok::LBracket => {
                    self.next();
                    // A sign before the index: `[-0]` is index 0, any other negative index
                    // is out of range.
                    let negative =
                        matches!(self.peek(), Tok::Minus) && matches!(self.peek_at(1), Tok::Num(_));
                    if negative {
                        self.next();
                    }
                    let inner = self.peek().clone();
                    if matches!(inner, Tok::Num(_) | Tok::Str(_) | Tok::Star) {
                        self.next();
                    }
                    match inner {
                        Tok::Num(n) => {
                            // Indexes are 32-bit in the service: at most 2,147,483,647.
                            let i = n
                                .parse::<u32>()
                                .ok()
                                .filter(|i| *i <= i32::MAX as u32 && (!negative || *i == 0))
                                .ok_or_else(|| {
                                    DynamoError::validation(format!(
                                        "List index is not within the allowable range; index: [{}{n}]",
                                        if negative { "-" } else { "" }
                                    ))
                                })?;
                            elems.push(PathElem::Index(i as usize));
                        }
                        Tok::Str(s) => elems.push(PathElem::Name(s)),
                        Tok::Star => {
                            return Err(DynamoError::validation(
                                "Wildcard path component like a[*].b are not supported",
                            ))
                        }
                        _ => return Err(self.unexpected()),
                    }
                    self.expect(&Tok::RBracket)?;
                }
                _ => return Ok(Path(elems)),
            }
        }
    }

    fn target(&mut self) -> Result<Target> {
        let table = self.name()?;
        let index = if self.eat(&Tok::Dot) {
            Some(self.name()?)
        } else {
            None
        };
        if self.peek() == &Tok::Dot {
            return Err(DynamoError::validation(
                "A path may contain at most 2 components in the FROM clause",
            ));
        }
        Ok(Target { table, index })
    }

    fn table(&mut self) -> Result<String> {
        let t = self.target()?;
        if t.index.is_some() {
            return Err(DynamoError::validation(
                "This operation is not supported on an index",
            ));
        }
        Ok(t.table)
    }

    fn select(&mut self) -> Result<Select> {
        self.expect_kw("SELECT")?;
        if self.at_kw("DISTINCT") {
            return Err(DynamoError::validation(
                "Unsupported token in expression: DISTINCT",
            ));
        }
        let projection = if self.eat(&Tok::Star) {
            if self.peek() == &Tok::Comma {
                return Err(DynamoError::validation(
                    "Other attributes should not be present in the projection when '*' is used.",
                ));
            }
            None
        } else {
            let mut paths = vec![self.projected()?];
            while self.eat(&Tok::Comma) {
                if self.peek() == &Tok::Star {
                    return Err(DynamoError::validation(
                        "Other attributes should not be present in the projection when '*' is used.",
                    ));
                }
                paths.push(self.projected()?);
            }
            Some(paths)
        };
        self.expect_kw("FROM")?;
        let from = self.target()?;
        let filter = if self.eat_kw("WHERE") {
            Some(self.condition()?)
        } else {
            None
        };
        for clause in ["GROUP", "HAVING", "LIMIT"] {
            if self.at_kw(clause) {
                return Err(DynamoError::validation(format!(
                    "Unsupported clause: {}",
                    if clause == "GROUP" {
                        "GROUP BY"
                    } else {
                        clause
                    }
                )));
            }
        }
        let order_by = if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            let path = self.path()?;
            let desc = if self.eat_kw("DESC") {
                true
            } else {
                self.eat_kw("ASC");
                false
            };
            Some((path, desc))
        } else {
            None
        };
        Ok(Select {
            projection,
            from,
            filter,
            order_by,
        })
    }

    /// A projected path: no aliases, functions or values.
    fn projected(&mut self) -> Result<Path> {
        let path = self.path()?;
        if self.at_kw("AS") {
            return Err(DynamoError::validation("Aliasing is not supported"));
        }
        Ok(path)
    }

    fn insert(&mut self) -> Result<Statement> {
        self.expect_kw("INSERT")?;
        self.expect_kw("INTO")?;
        let table = self.table()?;
        if self.at_kw("VALUES") {
            return Err(DynamoError::validation(
                "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead",
            ));
        }
        self.expect_kw("VALUE")?;
        let value = self.operand()?;
        if !matches!(value, Expr::Map(_) | Expr::Param(_)) {
            return Err(DynamoError::validation(
                "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.",
            ));
        }
        if self.at_kw("RETURNING") {
            return Err(DynamoError::validation(
                "RETURNING is not supported in INSERT",
            ));
        }
        if self.at_kw("WHERE") || self.at_kw("FROM") {
            return Err(DynamoError::validation(
                "Unsupported FROM ... WHERE ... clause in INSERT statement.",
            ));
        }
        Ok(Statement::Insert(Insert { table, value }))
    }

    fn update(&mut self) -> Result<Statement> {
        self.expect_kw("UPDATE")?;
        let table = self.table()?;
        let mut assignments = Vec::new();
        loop {
            if self.eat_kw("SET") {
                loop {
                    let path = self.path()?;
                    self.expect(&Tok::Cmp(Comparator::Eq))?;
                    assignments.push(Assignment::Set(path, self.operand()?));
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
            } else if self.eat_kw("REMOVE") {
                loop {
                    assignments.push(Assignment::Remove(self.path()?));
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
            } else {
                break;
            }
        }
        if assignments.is_empty() {
            return Err(self.unexpected());
        }
        self.expect_kw("WHERE")?;
        let filter = self.condition()?;
        let returning = self.returning()?;
        Ok(Statement::Update(Update {
            table,
            assignments,
            filter,
            returning,
        }))
    }

    fn delete(&mut self) -> Result<Statement> {
        self.expect_kw("DELETE")?;
        self.expect_kw("FROM")?;
        let table = self.table()?;
        self.expect_kw("WHERE")?;
        let filter = self.condition()?;
        let returning = self.returning()?;
        if let Some(r) = returning.filter(|r| *r != Returning::AllOld) {
            return Err(DynamoError::validation(format!(
                "Invalid returning clause: RETURNING {}. Only RETURNING ALL OLD * is allowed in DELETE statements.",
                match r {
                    Returning::AllNew => "ALL NEW *",
                    Returning::ModifiedOld => "MODIFIED OLD *",
                    _ => "MODIFIED NEW *",
                }
            )));
        }
        Ok(Statement::Delete(Delete {
            table,
            filter,
            returning,
        }))
    }

    fn returning(&mut self) -> Result<Option<Returning>> {
        if !self.eat_kw("RETURNING") {
            return Ok(None);
        }
        let all = if self.eat_kw("ALL") {
            true
        } else if self.eat_kw("MODIFIED") {
            false
        } else {
            return Err(self.unexpected());
        };
        let new = if self.eat_kw("NEW") {
            true
        } else if self.eat_kw("OLD") {
            false
        } else {
            return Err(self.unexpected());
        };
        if !self.eat(&Tok::Star) {
            return Err(DynamoError::validation(
                "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause",
            ));
        }
        if self.peek() == &Tok::Comma {
            return Err(DynamoError::validation(
                "Invalid syntax with multiple returning elements in RETURNING clause",
            ));
        }
        Ok(Some(match (all, new) {
            (true, false) => Returning::AllOld,
            (false, false) => Returning::ModifiedOld,
            (true, true) => Returning::AllNew,
            (false, true) => Returning::ModifiedNew,
        }))
    }

    fn condition(&mut self) -> Result<Expr> {
        self.nest()?;
        let mut left = self.and()?;
        while self.eat_kw("OR") {
            self.operator()?;
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr> {
        let mut left = self.not()?;
        while self.eat_kw("AND") {
            self.operator()?;
            let right = self.not()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr> {
        if self.eat_kw("NOT") {
            self.nest()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr> {
        if self.peek() == &Tok::LParen {
            self.next();
            let c = self.condition()?;
            self.expect(&Tok::RParen)?;
            return Ok(c);
        }
        let left = self.operand()?;
        match self.peek().clone() {
            Tok::Cmp(c) => {
                self.next();
                let right = self.operand()?;
                Ok(Expr::Compare(Box::new(left), c, Box::new(right)))
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("BETWEEN") => {
                self.next();
                let low = self.operand()?;
                self.expect_kw("AND")?;
                let high = self.operand()?;
                Ok(Expr::Between(Box::new(left), Box::new(low), Box::new(high)))
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("IN") => {
                self.next();
                let close = match self.next() {
                    Tok::LBracket => Tok::RBracket,
                    Tok::LParen => Tok::RParen,
                    _ => {
                        return Err(DynamoError::validation(
                            "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member",
                        ))
                    }
                };
                let mut list = Vec::new();
                if self.peek() != &close {
                    loop {
                        list.push(self.operand()?);
                        if !self.eat(&Tok::Comma) {
                            break;
                        }
                    }
                }
                self.expect(&close)?;
                if list.is_empty() {
                    return Err(DynamoError::validation(
                        "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member",
                    ));
                }
                Ok(Expr::In(Box::new(left), list))
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("IS") => {
                self.next();
                let negated = self.eat_kw("NOT");
                let what = if self.eat_kw("MISSING") {
                    IsWhat::Missing
                } else if self.eat_kw("NULL") {
                    IsWhat::Null
                } else {
                    return Err(match self.peek() {
                        Tok::Word(w) => DynamoError::validation(format!(
                            "Unsupported data type for IS operator: {}. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]",
                            w.to_ascii_uppercase()
                        )),
                        _ => self.unexpected(),
                    });
                };
                Ok(Expr::Is(Box::new(left), what, negated))
            }
            _ => Ok(left),
        }
    }

    /// A value-producing expression: a term, or two joined by `+` or `-` (one operator, as in
    /// UpdateExpression).
    fn operand(&mut self) -> Result<Expr> {
        let left = self.term()?;
        let plus = match self.peek() {
            Tok::Plus => true,
            Tok::Minus => false,
            _ => return Ok(left),
        };
        self.next();
        let right = self.term()?;
        if matches!(self.peek(), Tok::Plus | Tok::Minus) {
            return Err(malformed(
                "Only one arithmetic operator is allowed in an operand",
            ));
        }
        Ok(Expr::Arith(Box::new(left), plus, Box::new(right)))
    }

    fn term(&mut self) -> Result<Expr> {
        match self.peek().clone() {
            Tok::Param => {
                self.next();
                self.params += 1;
                Ok(Expr::Param(self.params - 1))
            }
            Tok::Str(s) => {
                self.next();
                Ok(Expr::Literal(AttributeValue::S(s.into())))
            }
            Tok::Num(n) => {
                self.next();
                Ok(Expr::Literal(AttributeValue::N(number(&n)?)))
            }
            Tok::Minus => {
                // Signs fold into a number literal (`- - 1` is 1); before anything else a
                // minus is an error, as it is on the service (`n > -?`).
                let mut negative = false;
                let mut ahead = 0;
                while matches!(self.peek_at(ahead), Tok::Minus) {
                    negative = !negative;
                    ahead += 1;
                }
                let Tok::Num(n) = self.peek_at(ahead).clone() else {
                    return Err(self.unexpected());
                };
                for _ in 0..=ahead {
                    self.next();
                }
                let text = if negative { format!("-{n}") } else { n };
                Ok(Expr::Literal(AttributeValue::N(number(&text)?)))
            }
            Tok::LBracket => {
                self.next();
                self.nest()?;
                let items = self.items(&Tok::RBracket)?;
                self.depth -= 1;
                Ok(Expr::List(items))
            }
            Tok::LBag => {
                self.next();
                self.nest()?;
                let items = self.items(&Tok::RBag)?;
                self.depth -= 1;
                Ok(Expr::Set(items))
            }
            Tok::LBrace => {
                self.next();
                self.nest()?;
                let mut entries = Vec::new();
                if self.peek() != &Tok::RBrace {
                    loop {
                        let key = match self.peek().clone() {
                            Tok::Str(s) | Tok::Quoted(s) => s,
                            _ => return Err(self.unexpected()),
                        };
                        self.next();
                        self.expect(&Tok::Colon)?;
                        entries.push((key, self.operand()?));
                        if !self.eat(&Tok::Comma) {
                            break;
                        }
                    }
                }
                self.expect(&Tok::RBrace)?;
                self.depth -= 1;
                Ok(Expr::Map(entries))
            }
            Tok::Word(w) => {
                let upper = w.to_ascii_uppercase();
                match upper.as_str() {
                    "TRUE" | "FALSE" => {
                        self.next();
                        return Ok(Expr::Literal(AttributeValue::Bool(upper == "TRUE")));
                    }
                    "NULL" => {
                        self.next();
                        return Ok(Expr::Literal(AttributeValue::Null));
                    }
                    "MISSING" => {
                        return Err(DynamoError::validation(
                            "MISSING must be compared using IS operator",
                        ))
                    }
                    _ => {}
                }
                if self.peek_at(1) == &Tok::LParen && !is_keyword(&w) {
                    let f = Function::from_name(&w).ok_or_else(|| {
                        DynamoError::validation(format!("Unrecognized function: {w}"))
                    })?;
                    self.next();
                    self.next();
                    self.nest()?;
                    let args = self.items(&Tok::RParen)?;
                    self.depth -= 1;
                    return Ok(Expr::Call(f, args));
                }
                Ok(Expr::Path(self.path()?))
            }
            Tok::Quoted(_) => Ok(Expr::Path(self.path()?)),
            _ => Err(self.unexpected()),
        }
    }

    /// Comma-separated operands up to `close` (consumed).
    fn items(&mut self, close: &Tok) -> Result<Vec<Expr>> {
        let mut items = Vec::new();
        if !self.eat(close) {
            loop {
                items.push(self.operand()?);
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
            self.expect(close)?;
        }
        Ok(items)
    }
}

fn number(text: &str) -> Result<Number> {
    Number::parse(text).map_err(|e| malformed(e.message))
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) | Tok::Quoted(w) => w.clone(),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Num(n) => n.clone(),
        Tok::Param => "?".into(),
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::LBracket => "[".into(),
        Tok::RBracket => "]".into(),
        Tok::LBrace => "{".into(),
        Tok::RBrace => "}".into(),
        Tok::LBag => "<<".into(),
        Tok::RBag => ">>".into(),
        Tok::Comma => ",".into(),
        Tok::Dot => ".".into(),
        Tok::Colon => ":".into(),
        Tok::Semicolon => ";".into(),
        Tok::Star => "*".into(),
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
        Tok::Bad(c) => c.to_string(),
        Tok::Eof => "end of statement".into(),
    }
}
