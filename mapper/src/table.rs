//! Tables from models: create (keys typed from the key fields, indexes declared on the model,
//! on-demand or provisioned), wait until active, delete.

use crate::error::{service, Error, Result};
use crate::model::{Model, Projection as Proj, ScalarType};
use crate::Mapper;
use aws_sdk_dynamodb::config::AsyncSleep;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ProvisionedThroughput, TableStatus,
};
use std::marker::PhantomData;
use std::time::Duration;

/// How a table is paid for.
///
/// On demand (the default) needs no plan: it is paid per request. Provisioned capacity is paid
/// by the hour whether used or not; requests beyond it are throttled (and retried by the SDK).
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// use dynamodb_mapper::Billing;
/// // 5 RCU and 5 WCU for the table, and as much again for each of its global indexes.
/// let billing = Billing::Provisioned { read: 5, write: 5 };
/// mapper.create_table::<User>().billing(billing).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billing {
    /// PAY_PER_REQUEST: no capacity to plan, throttled only by DynamoDB's on-demand limits.
    OnDemand,
    /// PROVISIONED with read and write capacity units (also given to each global index).
    Provisioned {
        /// Read capacity units.
        read: i64,
        /// Write capacity units.
        write: i64,
    },
}

fn bad(e: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::Expression(e.to_string())
}

fn key(name: &str, t: KeyType) -> Result<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(t)
        .build()
        .map_err(bad)
}

fn projection(p: Proj) -> Projection {
    match p {
        Proj::All => Projection::builder()
            .projection_type(ProjectionType::All)
            .build(),
        Proj::KeysOnly => Projection::builder()
            .projection_type(ProjectionType::KeysOnly)
            .build(),
        Proj::Include(attrs) => Projection::builder()
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(attrs.iter().map(|s| s.to_string()).collect()))
            .build(),
    }
}

/// A CreateTable for model `M`; `.send()` creates it and waits until it is ACTIVE.
///
/// CreateTable alone returns while the table is still CREATING, and requests to it fail until
/// it is ACTIVE; the builder waits, then turns time to live on for the model's `ttl` attribute.
///
/// ```no_run
/// # use dynamodb_mapper::{Mapper, Model};
/// # #[derive(serde::Serialize, serde::Deserialize, Model)]
/// # #[dynamodb(table = "users", hash_key = "name")]
/// # struct User { name: String, age: u32 }
/// # async fn f(mapper: Mapper) -> dynamodb_mapper::Result<()> {
/// use aws_sdk_dynamodb::types::StreamViewType;
/// // Keys typed from the key fields, indexes from the model's declarations, on demand.
/// mapper.create_table::<User>().stream(StreamViewType::NewAndOldImages).await?;
/// mapper.save(&mut User { name: "ann".into(), age: 41 }).await?;
/// # Ok(()) }
/// ```
pub struct CreateTable<'a, M> {
    mapper: &'a Mapper,
    billing: Billing,
    stream: Option<aws_sdk_dynamodb::types::StreamViewType>,
    _m: PhantomData<fn() -> M>,
}

impl<'a, M: Model> CreateTable<'a, M> {
    pub(crate) fn new(mapper: &'a Mapper) -> Self {
        CreateTable {
            mapper,
            billing: Billing::OnDemand,
            stream: None,
            _m: PhantomData,
        }
    }

    /// The billing mode (on-demand by default).
    pub fn billing(mut self, billing: Billing) -> Self {
        self.billing = billing;
        self
    }

    /// Enables a stream of the table's changes, carrying `view` (decode its records with
    /// [`crate::Change::from_record`]).
    pub fn stream(mut self, view: aws_sdk_dynamodb::types::StreamViewType) -> Self {
        self.stream = Some(view);
        self
    }

    /// Creates the table and waits until it (and its indexes) are ACTIVE (the same as
    /// `.await` on the builder).
    pub async fn send(self) -> Result<()> {
        let mut definitions: Vec<(&str, ScalarType)> = vec![(M::HASH_KEY, M::HASH_KEY_TYPE)];
        let mut schema = vec![key(M::HASH_KEY, KeyType::Hash)?];
        if let (Some(r), Some(t)) = (M::RANGE_KEY, M::RANGE_KEY_TYPE) {
            definitions.push((r, t));
            schema.push(key(r, KeyType::Range)?);
        }
        let throughput = |b: Billing| match b {
            Billing::OnDemand => Ok(None),
            Billing::Provisioned { read, write } => ProvisionedThroughput::builder()
                .read_capacity_units(read)
                .write_capacity_units(write)
                .build()
                .map(Some)
                .map_err(bad),
        };
        let (mut globals, mut locals) = (Vec::new(), Vec::new());
        for index in M::indexes() {
            let hash = if index.local {
                M::HASH_KEY
            } else {
                let (h, t) = index.hash_key.expect("the derive requires a GSI hash key");
                definitions.push((h, t));
                h
            };
            let mut keys = vec![key(hash, KeyType::Hash)?];
            if let Some((r, t)) = index.range_key {
                definitions.push((r, t));
                keys.push(key(r, KeyType::Range)?);
            }
            if index.local {
                locals.push(
                    LocalSecondaryIndex::builder()
                        .index_name(index.name)
                        .set_key_schema(Some(keys))
                        .projection(projection(index.projection))
                        .build()
                        .map_err(bad)?,
                );
            } else {
                globals.push(
                    GlobalSecondaryIndex::builder()
                        .index_name(index.name)
                        .set_key_schema(Some(keys))
                        .projection(projection(index.projection))
                        .set_provisioned_throughput(throughput(self.billing)?)
                        .build()
                        .map_err(bad)?,
                );
            }
        }
        let mut seen = Vec::new();
        definitions.retain(|(n, _)| {
            let fresh = !seen.contains(n);
            seen.push(*n);
            fresh
        });
        let definitions = definitions
            .into_iter()
            .map(|(n, t)| {
                AttributeDefinition::builder()
                    .attribute_name(n)
                    .attribute_type(t.sdk())
                    .build()
                    .map_err(bad)
            })
            .collect::<Result<Vec<_>>>()?;
        self.mapper
            .client
            .create_table()
            .table_name(self.mapper.resolve(M::TABLE))
            .set_key_schema(Some(schema))
            .set_attribute_definitions(Some(definitions))
            .billing_mode(match self.billing {
                Billing::OnDemand => BillingMode::PayPerRequest,
                Billing::Provisioned { .. } => BillingMode::Provisioned,
            })
            .set_provisioned_throughput(throughput(self.billing)?)
            .set_global_secondary_indexes((!globals.is_empty()).then_some(globals))
            .set_local_secondary_indexes((!locals.is_empty()).then_some(locals))
            .set_stream_specification(match self.stream {
                Some(view) => Some(
                    aws_sdk_dynamodb::types::StreamSpecification::builder()
                        .stream_enabled(true)
                        .stream_view_type(view)
                        .build()
                        .map_err(bad)?,
                ),
                None => None,
            })
            .send()
            .await
            .map_err(service)?;
        self.mapper.wait_until_active::<M>().await?;
        if let Some(attribute) = M::TTL_ATTRIBUTE {
            self.mapper
                .client
                .update_time_to_live()
                .table_name(self.mapper.resolve(M::TABLE))
                .time_to_live_specification(
                    aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
                        .enabled(true)
                        .attribute_name(attribute)
                        .build()
                        .map_err(bad)?,
                )
                .send()
                .await
                .map_err(service)?;
        }
        Ok(())
    }
}

impl Mapper {
    /// Polls DescribeTable until the model's table is ACTIVE (at most about a minute).
    pub async fn wait_until_active<M: Model>(&self) -> Result<()> {
        let sleep = self.client.config().sleep_impl();
        for attempt in 0..120 {
            let out = self
                .client
                .describe_table()
                .table_name(self.resolve(M::TABLE))
                .send()
                .await
                .map_err(service)?;
            let status = out.table().and_then(|t| t.table_status());
            if status == Some(&TableStatus::Active) {
                return Ok(());
            }
            match &sleep {
                Some(s) => {
                    s.sleep(Duration::from_millis(if attempt < 10 { 50 } else { 500 }))
                        .await
                }
                None => std::thread::yield_now(),
            }
        }
        Err(Error::Service {
            code: "Timeout".into(),
            message: format!("{} did not become ACTIVE", M::TABLE),
            source: None,
        })
    }

    /// Deletes the model's table (ResourceNotFoundException if there is none).
    pub async fn delete_table<M: Model>(&self) -> Result<()> {
        self.client
            .delete_table()
            .table_name(self.resolve(M::TABLE))
            .send()
            .await
            .map_err(service)?;
        Ok(())
    }
}

/// `.await` on a table creation is `.send().await`.
impl<'a, M: Model + 'a> std::future::IntoFuture for CreateTable<'a, M> {
    type Output = Result<()>;
    type IntoFuture = crate::write::Boxed<'a, ()>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
