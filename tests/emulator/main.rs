//! The real binary against a real AWS emulator (moto server), one emulator per test.

#[path = "../support/mod.rs"]
mod support;

mod account;
mod adopt;
mod apis;
mod builds;
mod daily;
mod defaults;
mod developer_docs;
mod events;
mod foundation;
mod function_vpc;
mod functions;
mod generated;
mod items;
mod queues;
mod reliability;
mod robust_io;
mod scaling;
mod secrets;
mod ssm_values;
mod tables;
mod topics;
mod transfer;
mod usage_plans;
mod user_pools;
mod versions;
mod websockets;
mod whole_api;
mod workflow;
