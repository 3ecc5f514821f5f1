//! Table administration through a real SDK client: CreateTable, DescribeTable, ListTables,
//! UpdateTable, DeleteTable, TTL, tags, limits, and their errors.

use aws_sdk_dynamodb::types::{
    BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ProvisionedThroughput, ScalarAttributeType,
    TableStatus, Tag, TimeToLiveSpecification,
};
use dynamodb_test_support::*;
use std::time::Duration;

fn throughput(r: i64, w: i64) -> ProvisionedThroughput {
    ProvisionedThroughput::builder()
        .read_capacity_units(r)
        .write_capacity_units(w)
        .build()
        .unwrap()
}

#[tokio::test]
async fn create_describe_list_delete() {
    let env = start().await;
    let c = &env.client;
    let out = c
        .create_table()
        .table_name("Orders")
        .key_schema(ks("customer", KeyType::Hash))
        .key_schema(ks("orderedAt", KeyType::Range))
        .attribute_definitions(ad("customer", ScalarAttributeType::S))
        .attribute_definitions(ad("orderedAt", ScalarAttributeType::N))
        .provisioned_throughput(throughput(5, 7))
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(d.table_name(), Some("Orders"));
    // CreateTable answers CREATING, as the service does; with no transient delay the table is
    // ACTIVE as soon as it is described.
    assert_eq!(d.table_status(), Some(&TableStatus::Creating));
    assert_eq!(
        d.table_arn(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/Orders")
    );
    assert_eq!(
        d.provisioned_throughput().unwrap().read_capacity_units(),
        Some(5)
    );
    assert_eq!(
        d.provisioned_throughput().unwrap().write_capacity_units(),
        Some(7)
    );

    let desc = c
        .describe_table()
        .table_name("Orders")
        .send()
        .await
        .unwrap();
    let t = desc.table().unwrap();
    assert_eq!(t.table_status(), Some(&TableStatus::Active));
    assert_eq!(t.key_schema().len(), 2);
    assert_eq!(t.item_count(), Some(0));
    assert_eq!(t.table_size_bytes(), Some(0));
    assert!(t.creation_date_time().is_some());
    assert!(t.table_id().is_some());

    for name in ["a-table", "b.table", "c_table"] {
        create_table(c, name, "id", None).await;
    }
    let all = c.list_tables().send().await.unwrap();
    assert_eq!(
        all.table_names(),
        ["Orders", "a-table", "b.table", "c_table"]
    );
    assert!(all.last_evaluated_table_name().is_none());
    let page = c.list_tables().limit(2).send().await.unwrap();
    assert_eq!(page.table_names(), ["Orders", "a-table"]);
    assert_eq!(page.last_evaluated_table_name(), Some("a-table"));
    let rest = c
        .list_tables()
        .exclusive_start_table_name("a-table")
        .send()
        .await
        .unwrap();
    assert_eq!(rest.table_names(), ["b.table", "c_table"]);
    // The SDK's paginator walks every page.
    let names: Vec<String> = c
        .list_tables()
        .limit(1)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(names.len(), 4);

    let del = c.delete_table().table_name("Orders").send().await.unwrap();
    assert_eq!(
        del.table_description().unwrap().table_status(),
        Some(&TableStatus::Deleting)
    );
    let err = c
        .describe_table()
        .table_name("Orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err),
        (
            "ResourceNotFoundException".into(),
            "Requested resource not found: Table: Orders not found".into()
        )
    );
    let err = c
        .delete_table()
        .table_name("Orders")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ResourceNotFoundException");
}

#[tokio::test]
async fn create_table_errors() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "Existing", "id", None).await;
    // A valid on-demand request for table `name`; each case breaks one thing.
    let valid = |name: &str| {
        c.create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(ks("id", KeyType::Hash))
            .attribute_definitions(ad("id", ScalarAttributeType::S))
    };
    let lsi = LocalSecondaryIndex::builder()
        .index_name("lsi")
        .key_schema(ks("id", KeyType::Hash))
        .key_schema(ks("x", KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .unwrap();
    let cases = [
        (
            "a table of that name exists",
            valid("Existing"),
            Expected::error("ResourceInUseException", "Table already exists: Existing"),
        ),
        // Name constraints: the control plane's own text for the length (dynalite's suite,
        // recorded against the service), the member constraint for the characters.
        (
            "name too short",
            valid("ab"),
            Expected::validation(
                "TableName must be at least 3 characters long and at most 255 characters long",
            ),
        ),
        (
            "name with a character outside the pattern",
            valid("abc;"),
            Expected::validation(
                "1 validation error detected: Value 'abc;' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            ),
        ),
        (
            "a key attribute without a definition",
            c.create_table()
                .table_name("Bad")
                .billing_mode(BillingMode::PayPerRequest)
                .key_schema(ks("id", KeyType::Hash))
                .attribute_definitions(ad("other", ScalarAttributeType::S)),
            Expected::validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [other]"),
        ),
        (
            "more key attributes than definitions",
            c.create_table()
                .table_name("Bad")
                .billing_mode(BillingMode::PayPerRequest)
                .key_schema(ks("id", KeyType::Hash))
                .key_schema(ks("sk", KeyType::Range))
                .attribute_definitions(ad("sk", ScalarAttributeType::S)),
            Expected::validation("Invalid KeySchema: Some index key attribute have no definition"),
        ),
        (
            "a definition no key uses",
            valid("Bad").attribute_definitions(ad("extra", ScalarAttributeType::S)),
            Expected::containing(
                "ValidationException",
                "Number of attributes in KeySchema does not exactly match",
            ),
        ),
        (
            "provisioned without throughput",
            c.create_table()
                .table_name("Bad")
                .key_schema(ks("id", KeyType::Hash))
                .attribute_definitions(ad("id", ScalarAttributeType::S)),
            Expected::containing(
                "ValidationException",
                "ReadCapacityUnits and WriteCapacityUnits must both be specified",
            ),
        ),
        (
            "on-demand with throughput",
            valid("Bad").provisioned_throughput(throughput(1, 1)),
            Expected::containing(
                "ValidationException",
                "Neither ReadCapacityUnits nor WriteCapacityUnits",
            ),
        ),
        (
            "the range key first",
            c.create_table()
                .table_name("Bad")
                .billing_mode(BillingMode::PayPerRequest)
                .key_schema(ks("id", KeyType::Range))
                .attribute_definitions(ad("id", ScalarAttributeType::S)),
            Expected::validation(
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            ),
        ),
        (
            "an LSI on a table without a range key",
            valid("Bad")
                .attribute_definitions(ad("x", ScalarAttributeType::S))
                .local_secondary_indexes(lsi),
            Expected::containing(
                "ValidationException",
                "Table KeySchema does not have a range key",
            ),
        ),
    ];
    for (case, request, expected) in cases {
        expected.check(case, request.send().await);
    }
    // None of the failed creates left a table behind.
    assert_eq!(
        c.list_tables().send().await.unwrap().table_names(),
        ["Existing"]
    );
}

#[tokio::test]
async fn indexes_are_described_and_backfilled() {
    let env = start().await;
    let c = &env.client;
    c.create_table()
        .table_name("Music")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("artist", KeyType::Hash))
        .key_schema(ks("song", KeyType::Range))
        .attribute_definitions(ad("artist", ScalarAttributeType::S))
        .attribute_definitions(ad("song", ScalarAttributeType::S))
        .attribute_definitions(ad("year", ScalarAttributeType::N))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("byYear")
                .key_schema(ks("artist", KeyType::Hash))
                .key_schema(ks("year", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for (i, year) in ["1970", "1971", ""].iter().enumerate() {
        let mut put = c
            .put_item()
            .table_name("Music")
            .item("artist", s("a"))
            .item("song", s(&format!("s{i}")));
        if !year.is_empty() {
            put = put.item("year", n(year)).item("genre", s("rock"));
        }
        put.send().await.unwrap();
    }
    // Adding a GSI backfills it from the items already there (sparse: only items with "genre").
    c.update_table()
        .table_name("Music")
        .attribute_definitions(ad("genre", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("byGenre")
                        .key_schema(ks("genre", KeyType::Hash))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let t = c.describe_table().table_name("Music").send().await.unwrap();
    let t = t.table().unwrap();
    assert_eq!(t.item_count(), Some(3));
    let lsi = &t.local_secondary_indexes()[0];
    assert_eq!(lsi.index_name(), Some("byYear"));
    assert_eq!(lsi.item_count(), Some(2));
    let gsi = &t.global_secondary_indexes()[0];
    assert_eq!(gsi.index_name(), Some("byGenre"));
    assert_eq!(gsi.item_count(), Some(2));
    assert!(gsi.index_size_bytes().unwrap() > 0);
    assert_eq!(
        gsi.index_arn(),
        Some("arn:aws:dynamodb:us-east-1:000000000000:table/Music/index/byGenre")
    );

    // A put whose GSI key has the wrong type is rejected and changes nothing.
    let err = c
        .put_item()
        .table_name("Music")
        .item("artist", s("b"))
        .item("song", s("x"))
        .item("genre", n("1"))
        .send()
        .await
        .unwrap_err();
    let (code, msg) = error_of(&err);
    assert_eq!(code, "ValidationException");
    assert!(msg.contains("Type mismatch for Index Key genre"), "{msg}");
    let t = c.describe_table().table_name("Music").send().await.unwrap();
    assert_eq!(t.table().unwrap().item_count(), Some(3));
}

#[tokio::test]
async fn update_table_throughput_and_billing() {
    let env = start().await;
    let c = &env.client;
    c.create_table()
        .table_name("Prov")
        .key_schema(ks("id", KeyType::Hash))
        .attribute_definitions(ad("id", ScalarAttributeType::S))
        .provisioned_throughput(throughput(1, 1))
        .send()
        .await
        .unwrap();
    let err = c
        .update_table()
        .table_name("Prov")
        .provisioned_throughput(throughput(1, 1))
        .send()
        .await
        .unwrap_err();
    assert!(error_of(&err)
        .1
        .starts_with("The provisioned throughput for the table will not change"));
    let out = c
        .update_table()
        .table_name("Prov")
        .provisioned_throughput(throughput(10, 20))
        .send()
        .await
        .unwrap();
    let pt = out
        .table_description()
        .unwrap()
        .provisioned_throughput()
        .unwrap();
    assert_eq!(
        (pt.read_capacity_units(), pt.write_capacity_units()),
        (Some(10), Some(20))
    );
    assert!(pt.last_increase_date_time().is_some());
    let out = c
        .update_table()
        .table_name("Prov")
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let d = out.table_description().unwrap();
    assert_eq!(
        d.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::PayPerRequest)
    );
    let err = c
        .update_table()
        .table_name("Prov")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ValidationException");
    let err = c
        .update_table()
        .table_name("Missing")
        .provisioned_throughput(throughput(2, 2))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ResourceNotFoundException");
}

#[tokio::test]
async fn time_to_live_expires_items_on_the_emulator_clock() {
    let env = start_with(
        dynamodb_emulator::Emulator::builder()
            .virtual_clock()
            .consistency(dynamodb_emulator::Consistency::Strong),
    )
    .await;
    let c = &env.client;
    create_table(c, "Sessions", "id", None).await;
    let before = c
        .describe_time_to_live()
        .table_name("Sessions")
        .send()
        .await
        .unwrap();
    assert_eq!(
        before
            .time_to_live_description()
            .unwrap()
            .time_to_live_status()
            .unwrap()
            .as_str(),
        "DISABLED"
    );
    c.update_time_to_live()
        .table_name("Sessions")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let err = c
        .update_time_to_live()
        .table_name("Sessions")
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err),
        (
            "ValidationException".into(),
            "TimeToLive is already enabled".into()
        )
    );
    let d = c
        .describe_time_to_live()
        .table_name("Sessions")
        .send()
        .await
        .unwrap();
    let d = d.time_to_live_description().unwrap();
    assert_eq!(d.time_to_live_status().unwrap().as_str(), "ENABLED");
    assert_eq!(d.attribute_name(), Some("expires"));

    let now = env.emulator.clock().now().as_secs();
    c.put_item()
        .table_name("Sessions")
        .item("id", s("short"))
        .item("expires", n(&(now + 10).to_string()))
        .send()
        .await
        .unwrap();
    c.put_item()
        .table_name("Sessions")
        .item("id", s("long"))
        .item("expires", n(&(now + 1000).to_string()))
        .send()
        .await
        .unwrap();
    c.put_item()
        .table_name("Sessions")
        .item("id", s("never"))
        .item("expires", s("not a number"))
        .send()
        .await
        .unwrap();
    let get = |id: &'static str| c.get_item().table_name("Sessions").key("id", s(id)).send();
    assert!(get("short").await.unwrap().item().is_some());
    env.emulator.clock().advance(Duration::from_secs(11));
    assert!(get("short").await.unwrap().item().is_none());
    assert!(get("long").await.unwrap().item().is_some());
    env.emulator.clock().advance(Duration::from_secs(1000));
    assert!(get("long").await.unwrap().item().is_none());
    assert!(get("never").await.unwrap().item().is_some());
}

#[tokio::test]
async fn tags_limits_and_endpoints() {
    let env = start().await;
    let c = &env.client;
    create_table(c, "Tagged", "id", None).await;
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/Tagged";
    c.tag_resource()
        .resource_arn(arn)
        .tags(Tag::builder().key("team").value("storage").build().unwrap())
        .tags(Tag::builder().key("env").value("test").build().unwrap())
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let pairs: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, [("env", "test"), ("team", "storage")]);
    c.untag_resource()
        .resource_arn(arn)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    let err = c
        .list_tags_of_resource()
        .resource_arn("arn:aws:dynamodb:us-east-1:000000000000:table/Nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ResourceNotFoundException");
    // The service's order (dynalite's suite, recorded against it): an ARN of the wrong shape is
    // refused by IAM before anything else, then member constraints, then the ARN's table name,
    // then empty lists.
    let err = c
        .list_tags_of_resource()
        .resource_arn("abcd")
        .send()
        .await
        .unwrap_err();
    let (code, msg) = error_of(&err);
    assert_eq!(code, "AccessDeniedException");
    assert!(
        msg.ends_with(
            "is not authorized to perform: dynamodb:ListTagsOfResource on resource: abcd"
        ),
        "{msg}"
    );
    let err = c
        .untag_resource()
        .resource_arn("a:b:c:d:e:f/g")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"
    );
    let err = c
        .tag_resource()
        .resource_arn("arn:aws:dynamodb:us-east-1:000000000000:table/ab")
        .set_tags(Some(vec![]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "Invalid TableArn: Invalid ResourceArn provided as input arn:aws:dynamodb:us-east-1:000000000000:table/ab"
    );
    let err = c
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(vec![]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_of(&err).1,
        "Atleast one Tag needs to be provided as Input."
    );

    let limits = c.describe_limits().send().await.unwrap();
    assert_eq!(limits.table_max_read_capacity_units(), Some(40000));
    let endpoints = c.describe_endpoints().send().await.unwrap();
    assert_eq!(
        endpoints.endpoints()[0].address(),
        "dynamodb.us-east-1.amazonaws.com"
    );
}

#[tokio::test]
async fn delayed_status_transitions_are_waited_for() {
    let env = start_with(
        dynamodb_emulator::Emulator::builder()
            .consistency(dynamodb_emulator::Consistency::Strong)
            .transient_status_delay(Duration::from_millis(300)),
    )
    .await;
    let c = &env.client;
    create_table(c, "Slow", "id", None).await;
    let d = c.describe_table().table_name("Slow").send().await.unwrap();
    assert_eq!(
        d.table().unwrap().table_status(),
        Some(&TableStatus::Creating)
    );
    // Item operations on a CREATING table fail as on DynamoDB.
    let err = c
        .get_item()
        .table_name("Slow")
        .key("id", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, "ResourceNotFoundException");
    // Poll as clients that wait for ACTIVE do (the SDK's waiter would too, but its 20 s minimum
    // delay is too slow for a unit test).
    let mut polls = 0;
    loop {
        let d = c.describe_table().table_name("Slow").send().await.unwrap();
        if d.table().unwrap().table_status() == Some(&TableStatus::Active) {
            break;
        }
        polls += 1;
        assert!(polls < 100, "table never became ACTIVE");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(polls > 0);
    let d = c.describe_table().table_name("Slow").send().await.unwrap();
    assert_eq!(
        d.table().unwrap().table_status(),
        Some(&TableStatus::Active)
    );
}

#[tokio::test]
async fn resource_policies_are_versioned_per_table_and_stream() {
    let env = start_with(
        dynamodb_emulator::Emulator::builder()
            .consistency(dynamodb_emulator::Consistency::Strong)
            .virtual_clock(),
    )
    .await;
    let c = &env.client;
    let doc = |action: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"123456789012"}},"Action":["{action}"],"Resource":"*"}}]}}"#
        )
    };
    let created = c
        .create_table()
        .table_name("policed")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("pk", KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .resource_policy(doc("dynamodb:GetItem"))
        .stream_specification(
            aws_sdk_dynamodb::types::StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::KeysOnly)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let table = created.table_description().unwrap();
    let arn = table.table_arn().unwrap().to_string();
    let stream_arn = table.latest_stream_arn().unwrap().to_string();
    // The policy given at creation.
    let first = c
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(first.policy(), Some(doc("dynamodb:GetItem").as_str()));
    let r1 = first.revision_id().unwrap().to_string();
    // The same document again: the same revision; another: a later one.
    let again = c
        .put_resource_policy()
        .resource_arn(&arn)
        .policy(doc("dynamodb:GetItem"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.revision_id(), Some(r1.as_str()));
    let r2 = c
        .put_resource_policy()
        .resource_arn(&arn)
        .policy(doc("dynamodb:*"))
        .expected_revision_id(&r1)
        .send()
        .await
        .unwrap()
        .revision_id
        .unwrap();
    assert!(r2 > r1, "{r2} after {r1}, on a frozen clock");
    // A stale revision, NO_POLICY while one exists: PolicyNotFoundException naming both.
    let stale = c
        .put_resource_policy()
        .resource_arn(&arn)
        .policy(doc("dynamodb:PutItem"))
        .expected_revision_id(&r1)
        .send()
        .await;
    Expected::error(
        "PolicyNotFoundException",
        &format!("Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id {r1}, but the policy associated to target table policed has revision id {r2}."),
    )
    .check("stale revision", stale);
    let none = c
        .put_resource_policy()
        .resource_arn(&arn)
        .policy(doc("dynamodb:PutItem"))
        .expected_revision_id("NO_POLICY")
        .send()
        .await;
    Expected::error(
        "PolicyNotFoundException",
        &format!("Resource-based policy not found for the provided ResourceArn: Requested policy update expecting none to be present for table policed, but a policy exists with revision id {r2}."),
    )
    .check("NO_POLICY", none);
    // The stream has its own policy; NO_POLICY attaches the first.
    let s1 = c
        .put_resource_policy()
        .resource_arn(&stream_arn)
        .policy(doc("dynamodb:GetRecords"))
        .expected_revision_id("NO_POLICY")
        .send()
        .await
        .unwrap()
        .revision_id
        .unwrap();
    let stream_policy = c
        .get_resource_policy()
        .resource_arn(&stream_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(stream_policy.revision_id(), Some(s1.as_str()));
    // Delete, then nothing is attached.
    let deleted = c
        .delete_resource_policy()
        .resource_arn(&arn)
        .expected_revision_id(&r2)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.revision_id(), Some(r2.as_str()));
    Expected::error(
        "PolicyNotFoundException",
        &format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
    )
    .check(
        "after delete",
        c.get_resource_policy().resource_arn(&arn).send().await,
    );
    Expected::error(
        "PolicyNotFoundException",
        &format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
    )
    .check(
        "delete again",
        c.delete_resource_policy().resource_arn(&arn).send().await,
    );
    // Unknown resources and bad documents.
    Expected::error(
        "ResourceNotFoundException",
        "Requested resource not found: Table: policed_ not found",
    )
    .check(
        "unknown table",
        c.get_resource_policy()
            .resource_arn(format!("{arn}_"))
            .send()
            .await,
    );
    Expected::containing("ValidationException", "Invalid policy document").check(
        "not JSON",
        c.put_resource_policy()
            .resource_arn(&arn)
            .policy("allow everything")
            .send()
            .await,
    );
    Expected::containing("ValidationException", "Invalid policy document").check(
        "over 20 KB",
        c.put_resource_policy()
            .resource_arn(&arn)
            .policy(format!(r#"{{"Statement":"{}"}}"#, "x".repeat(20 * 1024)))
            .send()
            .await,
    );
}

/// Every item of `table` by a strongly consistent scan, as sorted `pk=v` strings.
async fn table_state(c: &aws_sdk_dynamodb::Client, table: &str) -> Vec<String> {
    let items = c
        .scan()
        .table_name(table)
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let mut out: Vec<String> = items
        .iter()
        .map(|i| format!("{}={}", i["pk"].as_s().unwrap(), i["v"].as_n().unwrap()))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn on_demand_backups_round_trip_with_overrides_and_errors() {
    let env = start_with(
        dynamodb_emulator::Emulator::builder()
            .consistency(dynamodb_emulator::Consistency::Strong)
            .virtual_clock(),
    )
    .await;
    let c = &env.client;
    c.create_table()
        .table_name("source")
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(5, 5))
        .key_schema(ks("pk", KeyType::Hash))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .global_secondary_indexes(
            gsi("by_g", "g", ProjectionType::All)
                .provisioned_throughput(throughput(1, 1))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..10 {
        c.put_item()
            .table_name("source")
            .item("pk", s(&format!("k{i}")))
            .item("v", n(&i.to_string()))
            .item("g", s(if i % 2 == 0 { "even" } else { "odd" }))
            .send()
            .await
            .unwrap();
    }
    let before = table_state(c, "source").await;
    let backup = c
        .create_backup()
        .table_name("source")
        .backup_name("nightly")
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap();
    assert_eq!(backup.backup_status().as_str(), "AVAILABLE");
    let arn = backup.backup_arn().to_string();
    assert!(arn.contains(":table/source/backup/"), "{arn}");
    // The table moves on; the backup does not.
    c.delete_item()
        .table_name("source")
        .key("pk", s("k0"))
        .send()
        .await
        .unwrap();
    env.emulator.advance(Duration::from_secs(60));
    c.create_backup()
        .table_name("source")
        .backup_name("later")
        .send()
        .await
        .unwrap();
    let described = c.describe_backup().backup_arn(&arn).send().await.unwrap();
    let source = described
        .backup_description()
        .unwrap()
        .source_table_details()
        .unwrap();
    assert_eq!(source.item_count(), Some(10));
    let listed = c
        .list_backups()
        .table_name("source")
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.backup_summaries().len(), 1);
    assert_eq!(listed.backup_summaries()[0].backup_name(), Some("nightly"));
    let rest = c
        .list_backups()
        .table_name("source")
        .exclusive_start_backup_arn(listed.last_evaluated_backup_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.backup_summaries()[0].backup_name(), Some("later"));
    assert!(rest.last_evaluated_backup_arn().is_none());
    // Restored on demand, with its GSI, as it was.
    let restored = c
        .restore_table_from_backup()
        .target_table_name("restored")
        .backup_arn(&arn)
        .billing_mode_override(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(
        restored.restore_summary().unwrap().source_backup_arn(),
        Some(arn.as_str())
    );
    assert_eq!(
        restored.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::PayPerRequest)
    );
    assert_eq!(table_state(c, "restored").await, before);
    let odd = c
        .query()
        .table_name("restored")
        .index_name("by_g")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s("odd"))
        .send()
        .await
        .unwrap();
    assert_eq!(odd.count, 5);
    // Errors.
    Expected::error(
        "TableAlreadyExistsException",
        "Table already exists: restored",
    )
    .check(
        "existing target",
        c.restore_table_from_backup()
            .target_table_name("restored")
            .backup_arn(&arn)
            .send()
            .await,
    );
    Expected::error("TableNotFoundException", "Table not found: missing").check(
        "backup of a missing table",
        c.create_backup()
            .table_name("missing")
            .backup_name("bak")
            .send()
            .await,
    );
    let deleted = c.delete_backup().backup_arn(&arn).send().await.unwrap();
    assert_eq!(
        deleted
            .backup_description()
            .unwrap()
            .backup_details()
            .unwrap()
            .backup_status()
            .as_str(),
        "DELETED"
    );
    Expected::error(
        "BackupNotFoundException",
        &format!("Backup not found: {arn}"),
    )
    .check("deleted", c.describe_backup().backup_arn(&arn).send().await);
}

#[tokio::test]
async fn point_in_time_restores_reproduce_the_table_as_it_was() {
    use aws_sdk_dynamodb::primitives::DateTime;
    use aws_sdk_dynamodb::types::PointInTimeRecoverySpecification;
    let env = start_with(
        dynamodb_emulator::Emulator::builder()
            .consistency(dynamodb_emulator::Consistency::Strong)
            .virtual_clock(),
    )
    .await;
    let c = &env.client;
    create_table(c, "ledger", "pk", None).await;
    Expected::error(
        "PointInTimeRecoveryUnavailableException",
        "Point in time recovery is not enabled for table 'ledger'",
    )
    .check(
        "PITR off",
        c.restore_table_to_point_in_time()
            .source_table_name("ledger")
            .target_table_name("nope")
            .use_latest_restorable_time(true)
            .send()
            .await,
    );
    let off = c
        .describe_continuous_backups()
        .table_name("ledger")
        .send()
        .await
        .unwrap();
    let d = off.continuous_backups_description().unwrap();
    assert_eq!(d.continuous_backups_status().as_str(), "ENABLED");
    assert_eq!(
        d.point_in_time_recovery_description()
            .unwrap()
            .point_in_time_recovery_status()
            .unwrap()
            .as_str(),
        "DISABLED"
    );
    let spec = |on: bool, days: Option<i32>| {
        PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(on)
            .set_recovery_period_in_days(days)
            .build()
            .unwrap()
    };
    Expected::containing("ValidationException", "recoveryPeriodInDays").check(
        "36 days",
        c.update_continuous_backups()
            .table_name("ledger")
            .point_in_time_recovery_specification(spec(true, Some(36)))
            .send()
            .await,
    );
    // Some items before PITR starts.
    let put = |k: String, v: u64| {
        c.put_item()
            .table_name("ledger")
            .item("pk", s(&k))
            .item("v", n(&v.to_string()))
            .send()
    };
    put("k0".into(), 0).await.unwrap();
    let on = c
        .update_continuous_backups()
        .table_name("ledger")
        .point_in_time_recovery_specification(spec(true, None))
        .send()
        .await
        .unwrap();
    let pitr = on
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap()
        .clone();
    assert_eq!(pitr.recovery_period_in_days(), Some(35));
    let earliest = pitr.earliest_restorable_date_time().unwrap().as_secs_f64();
    // Random writes on the clock; the model keeps the state after each.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    let mut model = std::collections::BTreeMap::from([("k0".to_string(), 0u64)]);
    let state = |m: &std::collections::BTreeMap<String, u64>| -> Vec<String> {
        m.iter().map(|(k, v)| format!("{k}={v}")).collect()
    };
    let mut history = vec![(earliest, state(&model))];
    for step in 1..80 {
        env.emulator
            .advance(Duration::from_millis(1 + next(90_000)));
        let k = format!("k{}", next(12));
        if next(4) == 0 {
            c.delete_item()
                .table_name("ledger")
                .key("pk", s(&k))
                .send()
                .await
                .unwrap();
            model.remove(&k);
        } else {
            put(k.clone(), step).await.unwrap();
            model.insert(k, step);
        }
        history.push((env.emulator.clock().now().as_secs_f64(), state(&model)));
    }
    // Ten minutes on, every recorded moment is restorable.
    env.emulator.advance(Duration::from_secs(600));
    for n_restore in 0..8 {
        let (at, expected) = &history[next(history.len() as u64) as usize];
        // A moment between this change and the next restores the same state.
        let at = at + 0.0005;
        let target = format!("restored-{n_restore}");
        let out = c
            .restore_table_to_point_in_time()
            .source_table_name("ledger")
            .target_table_name(&target)
            .restore_date_time(DateTime::from_secs_f64(at))
            .send()
            .await
            .unwrap();
        assert!(out.table_description().unwrap().restore_summary().is_some());
        let mut want = expected.clone();
        want.sort();
        assert_eq!(table_state(c, &target).await, want, "restored to {at}");
    }
    Expected::containing(
        "InvalidRestoreTimeException",
        "RestoreDateTime must be between",
    )
    .check(
        "before the window",
        c.restore_table_to_point_in_time()
            .source_table_name("ledger")
            .target_table_name("too-early")
            .restore_date_time(DateTime::from_secs_f64(earliest - 1.0))
            .send()
            .await,
    );
    // A one-day window: older changes fold into the base, the latest state stays exact.
    c.update_continuous_backups()
        .table_name("ledger")
        .point_in_time_recovery_specification(spec(true, Some(1)))
        .send()
        .await
        .unwrap();
    env.emulator.advance(Duration::from_secs(2 * 86_400));
    put("late".into(), 1).await.unwrap();
    env.emulator.advance(Duration::from_secs(600));
    let now = env.emulator.clock().now().as_secs_f64();
    let d = c
        .describe_continuous_backups()
        .table_name("ledger")
        .send()
        .await
        .unwrap();
    let p = d
        .continuous_backups_description()
        .unwrap()
        .point_in_time_recovery_description()
        .unwrap();
    let earliest = p.earliest_restorable_date_time().unwrap().as_secs_f64();
    assert!(
        (now - 86_400.0 - earliest).abs() < 1.0,
        "{earliest} vs {now}"
    );
    assert_eq!(
        p.latest_restorable_date_time().unwrap().as_secs_f64(),
        now - 300.0
    );
    c.restore_table_to_point_in_time()
        .source_table_name("ledger")
        .target_table_name("latest")
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        table_state(c, "latest").await,
        table_state(c, "ledger").await
    );
}

#[tokio::test]
async fn restore_overrides_replace_indexes_and_billing_as_dynamodb_rules_them() {
    use aws_sdk_dynamodb::types::GlobalSecondaryIndex;
    let env = start_with(
        dynamodb_emulator::Emulator::builder()
            .consistency(dynamodb_emulator::Consistency::Strong)
            .virtual_clock(),
    )
    .await;
    let c = &env.client;
    c.create_table()
        .table_name("source")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("pk", KeyType::Hash))
        .key_schema(ks("sk", KeyType::Range))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .attribute_definitions(ad("sk", ScalarAttributeType::S))
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .attribute_definitions(ad("h", ScalarAttributeType::S))
        .attribute_definitions(ad("l", ScalarAttributeType::S))
        .global_secondary_indexes(gsi("by_g", "g", ProjectionType::All).build().unwrap())
        .global_secondary_indexes(gsi("by_h", "h", ProjectionType::KeysOnly).build().unwrap())
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by_l")
                .key_schema(ks("pk", KeyType::Hash))
                .key_schema(ks("l", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.put_item()
        .table_name("source")
        .item("pk", s("a"))
        .item("sk", s("1"))
        .item("g", s("x"))
        .item("h", s("y"))
        .item("l", s("z"))
        .send()
        .await
        .unwrap();
    let arn = c
        .create_backup()
        .table_name("source")
        .backup_name("nightly")
        .send()
        .await
        .unwrap()
        .backup_details()
        .unwrap()
        .backup_arn()
        .to_string();
    let renamed = |name: &str, attr: &str, p: ProjectionType| -> GlobalSecondaryIndex {
        gsi(name, attr, p)
            .provisioned_throughput(throughput(2, 3))
            .build()
            .unwrap()
    };
    // Provisioned now, keeping by_g under a new name and dropping by_h and the LSI.
    let restored = c
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("restored")
        .billing_mode_override(BillingMode::Provisioned)
        .provisioned_throughput_override(throughput(7, 8))
        .global_secondary_index_override(renamed("by_g_renamed", "g", ProjectionType::All))
        .set_local_secondary_index_override(Some(vec![]))
        .send()
        .await
        .unwrap();
    let d = restored.table_description().unwrap();
    assert_eq!(
        d.provisioned_throughput().unwrap().read_capacity_units(),
        Some(7)
    );
    let gsis = d.global_secondary_indexes();
    assert_eq!(gsis.len(), 1);
    assert_eq!(gsis[0].index_name(), Some("by_g_renamed"));
    assert_eq!(
        gsis[0]
            .provisioned_throughput()
            .unwrap()
            .write_capacity_units(),
        Some(3)
    );
    assert!(d.local_secondary_indexes().is_empty());
    let names: Vec<&str> = d
        .attribute_definitions()
        .iter()
        .map(|a| a.attribute_name())
        .collect();
    assert!(!names.contains(&"h") && !names.contains(&"l"), "{names:?}");
    let found = c
        .query()
        .table_name("restored")
        .index_name("by_g_renamed")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(found.count(), 1);
    assert!(c
        .query()
        .table_name("restored")
        .index_name("by_h")
        .key_condition_expression("h = :h")
        .expression_attribute_values(":h", s("y"))
        .send()
        .await
        .is_err());
    // Without overrides every index comes back.
    let all = c
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name("all")
        .send()
        .await
        .unwrap();
    let d = all.table_description().unwrap();
    assert_eq!(
        (
            d.global_secondary_indexes().len(),
            d.local_secondary_indexes().len()
        ),
        (2, 1)
    );
    let restore = |target: &str| {
        c.restore_table_from_backup()
            .backup_arn(&arn)
            .target_table_name(target)
    };
    Expected::validation(
        "Invalid Request: Index by_new does not match a secondary index that existed in the source table and cannot be created during the restore operation",
    )
    .check(
        "a new index",
        restore("tt1")
            .global_secondary_index_override(gsi("by_new", "h", ProjectionType::All).build().unwrap())
            .send()
            .await,
    );
    Expected::validation(
        "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED",
    )
    .check(
        "provisioned without throughput",
        restore("tt2")
            .billing_mode_override(BillingMode::Provisioned)
            .send()
            .await,
    );
    Expected::validation("Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED")
        .check(
            "throughput on demand",
            restore("tt3")
                .provisioned_throughput_override(throughput(1, 1))
                .send()
                .await,
        );
    Expected::validation(
        "Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST",
    )
    .check(
        "both",
        restore("tt4")
            .billing_mode_override(BillingMode::PayPerRequest)
            .provisioned_throughput_override(throughput(1, 1))
            .send()
            .await,
    );
    let tables = c.list_tables().send().await.unwrap();
    assert!(!tables.table_names().iter().any(|t| t.starts_with("tt")));
}

#[tokio::test(flavor = "multi_thread")]
async fn contributor_insights_name_their_rules_and_count_the_hottest_keys() {
    use aws_sdk_dynamodb::types::{
        ContributorInsightsAction, ContributorInsightsMode, ContributorInsightsStatus,
    };
    let env = start_with(
        dynamodb_emulator::Emulator::builder()
            .consistency(dynamodb_emulator::Consistency::Strong)
            .virtual_clock()
            .transient_status_delay(Duration::from_secs(5)),
    )
    .await;
    let c = &env.client;
    env.emulator.advance(Duration::from_secs(10));
    c.create_table()
        .table_name("hot")
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(1, 1))
        .key_schema(ks("pk", KeyType::Hash))
        .key_schema(ks("sk", KeyType::Range))
        .attribute_definitions(ad("pk", ScalarAttributeType::S))
        .attribute_definitions(ad("sk", ScalarAttributeType::S))
        .attribute_definitions(ad("g", ScalarAttributeType::S))
        .global_secondary_indexes(
            gsi("by_g", "g", ProjectionType::KeysOnly)
                .provisioned_throughput(throughput(1, 1))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // A table still CREATING is not there yet for insights (the live service's answer).
    Expected::error(
        "ResourceNotFoundException",
        "Requested resource not found: Table: hot not found",
    )
    .check(
        "while CREATING",
        c.update_contributor_insights()
            .table_name("hot")
            .contributor_insights_action(ContributorInsightsAction::Enable)
            .send()
            .await,
    );
    env.emulator.advance(Duration::from_secs(10));
    let never = c
        .describe_contributor_insights()
        .table_name("hot")
        .send()
        .await
        .unwrap();
    assert_eq!(
        never.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Disabled)
    );
    assert!(never.contributor_insights_rule_list().is_empty());
    let on = c
        .update_contributor_insights()
        .table_name("hot")
        .contributor_insights_action(ContributorInsightsAction::Enable)
        .send()
        .await
        .unwrap();
    assert_eq!(
        on.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Enabling)
    );
    assert_eq!(
        on.contributor_insights_mode(),
        Some(&ContributorInsightsMode::AccessedAndThrottledKeys)
    );
    env.emulator.advance(Duration::from_secs(5));
    let d = c
        .describe_contributor_insights()
        .table_name("hot")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Enabled)
    );
    let ms = (d.last_update_date_time().unwrap().as_secs_f64() * 1000.0).round() as u64;
    let kinds: Vec<String> = d.contributor_insights_rule_list().to_vec();
    assert_eq!(
        kinds,
        ["PKC", "PKT", "SKC", "SKT"]
            .iter()
            .map(|k| format!("DynamoDBContributorInsights-{k}-hot-{ms}"))
            .collect::<Vec<_>>()
    );
    // An index of its own, throttled keys only: the GSI has no sort key.
    c.update_contributor_insights()
        .table_name("hot")
        .index_name("by_g")
        .contributor_insights_action(ContributorInsightsAction::Enable)
        .contributor_insights_mode(ContributorInsightsMode::ThrottledKeys)
        .send()
        .await
        .unwrap();
    env.emulator.advance(Duration::from_secs(5));
    let g = c
        .describe_contributor_insights()
        .table_name("hot")
        .index_name("by_g")
        .send()
        .await
        .unwrap();
    assert_eq!(g.contributor_insights_rule_list().len(), 1);
    assert!(g.contributor_insights_rule_list()[0]
        .starts_with("DynamoDBContributorInsights-PKT-hot-by_g-"));
    Expected::error(
        "ResourceNotFoundException",
        "Requested resource not found: Index: nope not found for table: hot",
    )
    .check(
        "an unknown index",
        c.describe_contributor_insights()
            .table_name("hot")
            .index_name("nope")
            .send()
            .await,
    );
    Expected::error(
        "ResourceNotFoundException",
        "Requested resource not found: Table: missing not found",
    )
    .check(
        "a missing table",
        c.describe_contributor_insights()
            .table_name("missing")
            .send()
            .await,
    );
    let listed = c.list_contributor_insights().send().await.unwrap();
    assert_eq!(listed.contributor_insights_summaries().len(), 2);
    // Traffic: one hot key, throttled at 1 WCU once its burst (300 s of it) is spent by 10 KB
    // writes, and a few cold ones.
    let big = "x".repeat(10_000);
    // Without the SDK's retries (and their back-off) a throttled write fails at once.
    let once = aws_sdk_dynamodb::Client::from_conf(
        c.config()
            .to_builder()
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .build(),
    );
    for i in 0..40 {
        let _ = once
            .put_item()
            .table_name("hot")
            .item("pk", s("celebrity"))
            .item("sk", s(&format!("{}", i % 2)))
            .item("blob", s(&big))
            .send()
            .await;
    }
    for k in 0..3 {
        let _ = c
            .get_item()
            .table_name("hot")
            .key("pk", s(&format!("cold{k}")))
            .key("sk", s("0"))
            .send()
            .await;
    }
    let url = env.emulator.endpoint_url();
    let (status, _, body) = tokio::task::spawn_blocking(move || {
        raw_post(
            &url,
            Some("Emulator.ContributorInsights"),
            br#"{"TableName": "hot", "Limit": 2}"#,
        )
    })
    .await
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let top = &report["MostAccessedPartitionKeys"]["Top"];
    assert_eq!(top[0]["Key"], "celebrity");
    assert_eq!(top[0]["Count"], 40, "{report}");
    assert_eq!(report["MostAccessedPartitionKeys"]["DistinctKeys"], 4);
    let throttled = &report["MostThrottledPartitionKeys"]["Top"][0];
    assert_eq!(throttled["Key"], "celebrity");
    assert!(throttled["Count"].as_u64().unwrap() > 0, "{report}");
    assert!(report["MostAccessedKeys"]["Top"][0]["Key"]
        .as_str()
        .unwrap()
        .starts_with("celebrity | "));
    // Disabled: the mode and date stay, the rules go.
    c.update_contributor_insights()
        .table_name("hot")
        .contributor_insights_action(ContributorInsightsAction::Disable)
        .send()
        .await
        .unwrap();
    env.emulator.advance(Duration::from_secs(5));
    let off = c
        .describe_contributor_insights()
        .table_name("hot")
        .send()
        .await
        .unwrap();
    assert_eq!(
        off.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Disabled)
    );
    assert!(off.contributor_insights_rule_list().is_empty());
    assert!(off.last_update_date_time().is_some());
    // Replica auto scaling is a global table's.
    Expected::error(
        "ResourceNotFoundException",
        "Global table with name: 'hot' does not exist.",
    )
    .check(
        "replica auto scaling",
        c.describe_table_replica_auto_scaling()
            .table_name("hot")
            .send()
            .await,
    );
}
