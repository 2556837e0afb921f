//! What `adopt` reads: one table, function or topic by its AWS name whoever owns it, the
//! account's resources of a prefix that no stack owns, and the live state of a plan that
//! treats the resource being adopted as the stack's.

use futures::future::try_join_all;

use super::{Conflict, LiveFunction, LiveState, LiveTable, LiveTopic, dynamodb, lambda, sns};
use crate::aws::{AwsError, CallResult, Clients};
use crate::marks::{LOCK_TABLE, STACK_TAG};

/// What can be adopted; the section of the stack file each goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AdoptKind {
    Table,
    Function,
    Topic,
}

/// A resource read for adoption.
#[derive(Debug, Clone)]
pub enum Adoptable {
    Table(LiveTable),
    Function(LiveFunction),
    Topic(LiveTopic),
}

impl Adoptable {
    pub fn name(&self) -> &str {
        match self {
            Adoptable::Table(t) => &t.name,
            Adoptable::Function(f) => &f.name,
            Adoptable::Topic(t) => &t.name,
        }
    }

    pub fn arn(&self) -> &str {
        match self {
            Adoptable::Table(t) => &t.arn,
            Adoptable::Function(f) => &f.arn,
            Adoptable::Topic(t) => &t.arn,
        }
    }

    pub fn kind(&self) -> AdoptKind {
        match self {
            Adoptable::Table(_) => AdoptKind::Table,
            Adoptable::Function(_) => AdoptKind::Function,
            Adoptable::Topic(_) => AdoptKind::Topic,
        }
    }

    /// The kind as a conflict of the live read names it.
    fn conflict_kind(&self) -> &'static str {
        match self {
            Adoptable::Table(_) => "table",
            Adoptable::Function(_) => "function",
            Adoptable::Topic(_) => "topic",
        }
    }
}

/// The resource of `kind` named `name` on AWS, with the stack its `stackctl:stack` tag names
/// (if any); `None` when there is none. A topic's subscribed functions' permissions are read
/// for the statement of the topic declared as `logical`.
///
/// # Errors
/// The first read that fails (DescribeTable, DescribeTimeToLive, DescribeContinuousBackups,
/// ListTagsOfResource; GetFunction; ListTopics, ListTagsForResource, GetTopicAttributes, ...).
pub async fn read_adoptable(
    clients: &Clients,
    kind: AdoptKind,
    name: &str,
    logical: &str,
) -> Result<Option<(Adoptable, Option<String>)>, AwsError> {
    Ok(match kind {
        AdoptKind::Table => dynamodb::read_named(clients, name)
            .await?
            .map(|(t, owner)| (Adoptable::Table(t), owner)),
        AdoptKind::Function => {
            let name = name.to_string();
            let found = lambda::get_functions(clients, [&name]).await?;
            found.into_iter().next().map(|f| {
                let owner = f.tags.get(STACK_TAG).cloned();
                let live = lambda::live_function(&f.name, &f.config, &f.tags, f.reserved, None);
                (Adoptable::Function(live), owner)
            })
        }
        AdoptKind::Topic => sns::read_named(clients, name, logical)
            .await?
            .map(|(t, owner)| (Adoptable::Topic(t), owner)),
    })
}

/// `live`, read for the stack, with `adopted` as one of the stack's own resources instead of
/// a name the stack may not take: the plan then says what adopting it would change.
pub fn with_adopted(mut live: LiveState, adopted: &Adoptable) -> LiveState {
    let kind = adopted.conflict_kind();
    let name = adopted.name();
    live.conflicts
        .retain(|c: &Conflict| !(c.kind == kind && c.name == name));
    match adopted {
        Adoptable::Table(t) => {
            live.tables.insert(t.name.clone(), t.clone());
        }
        Adoptable::Function(f) => {
            live.functions.insert(f.name.clone(), f.clone());
        }
        Adoptable::Topic(t) => {
            live.topics.insert(t.name.clone(), t.clone());
        }
    }
    live
}

/// The tables, functions and topics whose names start with `prefix` and that carry no
/// `stackctl:stack` tag, by kind and name (the lock table left out).
///
/// # Errors
/// The first read that fails (ListTables, DescribeTable, ListTagsOfResource, ListFunctions,
/// GetFunction, ListTopics, ListTagsForResource).
pub async fn untagged(
    clients: &Clients,
    prefix: &str,
) -> Result<Vec<(AdoptKind, String)>, AwsError> {
    let (tables, functions, topics) = tokio::try_join!(
        untagged_tables(clients, prefix),
        untagged_functions(clients, prefix),
        untagged_topics(clients, prefix),
    )?;
    let tables = tables.into_iter().map(|n| (AdoptKind::Table, n));
    let functions = functions.into_iter().map(|n| (AdoptKind::Function, n));
    let topics = topics.into_iter().map(|n| (AdoptKind::Topic, n));
    Ok(tables.chain(functions).chain(topics).collect())
}

async fn untagged_tables(clients: &Clients, prefix: &str) -> Result<Vec<String>, AwsError> {
    let mut names = Vec::new();
    let mut pages = clients.dynamodb.list_tables().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.op("dynamodb:ListTables")?;
        let named = page.table_names().iter();
        names.extend(
            named
                .filter(|n| n.starts_with(prefix) && *n != LOCK_TABLE)
                .cloned(),
        );
    }
    let owners = try_join_all(names.iter().map(|name| async move {
        let table = dynamodb::read_named(clients, name).await?;
        Ok::<_, AwsError>(
            table
                .filter(|(_, owner)| owner.is_none())
                .map(|(t, _)| t.name),
        )
    }));
    Ok(owners.await?.into_iter().flatten().collect())
}

async fn untagged_functions(clients: &Clients, prefix: &str) -> Result<Vec<String>, AwsError> {
    let listed = lambda::list_all(clients).await?;
    let names = listed.keys().filter(|n| n.starts_with(prefix));
    let found = lambda::get_functions(clients, names).await?;
    let untagged = found
        .into_iter()
        .filter(|f| !f.tags.contains_key(STACK_TAG));
    Ok(untagged.map(|f| f.name).collect())
}

async fn untagged_topics(clients: &Clients, prefix: &str) -> Result<Vec<String>, AwsError> {
    let arns = sns::list_named(clients, prefix).await?;
    let tagged = try_join_all(arns.iter().map(|arn| async move {
        let tags = sns::tags_of(clients, arn).await?;
        Ok::<_, AwsError>((!tags.contains_key(STACK_TAG)).then(|| sns::name_of(arn).to_string()))
    }));
    Ok(tagged.await?.into_iter().flatten().collect())
}
