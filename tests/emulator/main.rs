//! The real binary against a real AWS emulator (moto server), one emulator per test.

#[path = "../support/mod.rs"]
mod support;

mod account;
mod apis;
mod builds;
mod developer_docs;
mod foundation;
mod function_vpc;
mod functions;
mod generated;
mod items;
mod reliability;
mod robust_io;
mod scaling;
mod secrets;
mod tables;
mod topics;
mod transfer;
mod usage_plans;
mod user_pools;
mod versions;
mod websockets;
mod whole_api;
mod workflow;
