//! What a request names, as far as fault rules look: its tables, and the items it reads or
//! writes with their partition key's text. Read from the request's JSON before the command
//! runs (only when some rule is configured), so rules see requests the command would refuse
//! too, as a failing front end would.

use crate::engine::Engine;
use serde_json::Value;

/// One item a request names.
#[derive(Debug)]
pub(super) struct ItemTarget {
    pub table: String,
    /// The partition key's S or N text, or the base64 of a B; None if the request does not
    /// carry it or the table does not exist.
    pub key: Option<String>,
}

/// The tables and items of one request.
#[derive(Debug, Default)]
pub(super) struct Targets {
    pub tables: Vec<String>,
    pub items: Vec<ItemTarget>,
}

impl Targets {
    fn table(&mut self, name: &str) {
        let name = crate::table::catalog::table_name_of(name);
        if !self.tables.iter().any(|t| t == name) {
            self.tables.push(name.to_string());
        }
    }

    fn item(&mut self, engine: &Engine, table: &str, item: Option<&Value>) {
        self.table(table);
        let table = crate::table::catalog::table_name_of(table).to_string();
        let key = item.and_then(|item| partition_key_text(engine, &table, item));
        self.items.push(ItemTarget { table, key });
    }
}

/// The targets of a request's `body`; a body that is not JSON names nothing.
pub(super) fn of(engine: &Engine, body: &[u8]) -> Targets {
    let mut out = Targets::default();
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return out;
    };
    let item_of = |a: &Value| a.get("Key").or_else(|| a.get("Item")).cloned();
    if let Some(table) = v.get("TableName").and_then(Value::as_str) {
        match item_of(&v) {
            Some(item) => out.item(engine, table, Some(&item)),
            None => out.table(table),
        }
    }
    if let Some(tables) = v.get("RequestItems").and_then(Value::as_object) {
        for (table, requests) in tables {
            // BatchWriteItem: [{PutRequest: {Item}} | {DeleteRequest: {Key}}]; BatchGetItem:
            // {Keys: [...]}.
            let writes = requests.as_array().into_iter().flatten().filter_map(|r| {
                r.get("PutRequest")
                    .or_else(|| r.get("DeleteRequest"))
                    .and_then(item_of)
            });
            let keys = requests
                .get("Keys")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .cloned();
            let items: Vec<Value> = writes.chain(keys).collect();
            if items.is_empty() {
                out.table(table);
            }
            for item in &items {
                out.item(engine, table, Some(item));
            }
        }
    }
    for action in v
        .get("TransactItems")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let inner = ["Put", "Update", "Delete", "ConditionCheck", "Get"]
            .iter()
            .find_map(|k| action.get(*k));
        if let Some(a) = inner {
            if let Some(table) = a.get("TableName").and_then(Value::as_str) {
                out.item(engine, table, item_of(a).as_ref());
            }
        }
    }
    // PartiQL transactions: one item per statement, its table unread.
    for _ in v
        .get("TransactStatements")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.items.push(ItemTarget {
            table: String::new(),
            key: None,
        });
    }
    out
}

/// The text of the item's partition key attribute, by the table's schema.
fn partition_key_text(engine: &Engine, table: &str, item: &Value) -> Option<String> {
    let t = engine.catalog.get(table)?;
    let name = t.read().def.schema.hash.name.clone();
    let value = item.get(&name)?.as_object()?;
    let (_, text) = value.iter().next()?;
    text.as_str().map(str::to_string)
}
