//! DynamoDB's data model: attribute values, numbers, items and their sizes.

pub mod attribute;
mod number;
mod size;

pub use attribute::{AttributeValue, Item, ScalarType};
pub use number::Number;
pub use size::{attribute_size, item_size, MAX_ITEM_SIZE};
