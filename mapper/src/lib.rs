//! Typed models over `aws-sdk-dynamodb`. Not built yet: this crate is filled by the mapper issue.
