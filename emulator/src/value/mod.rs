//! DynamoDB's data model: attribute values, numbers, items and their sizes.

pub mod attribute;
mod item;
mod number;
pub mod packed;
mod size;

pub use attribute::{AttributeValue, ScalarType, Text};
pub use item::{check_item_shape, Item, Name};
pub use number::Number;
pub use size::{attribute_size, item_size, page_size, MAX_ITEM_SIZE};
