//! `stackctl exports`: a table's past and running exports.

use miette::Result;

use super::transfer_view::ExportList;
use super::{ExitStatus, print_result, table_target};
use crate::cli::{AwsArgs, ExportsArgs};
use crate::output::Printer;
use crate::transfer::export;

pub async fn run(args: &ExportsArgs, aws: &AwsArgs, printer: Printer) -> Result<ExitStatus> {
    let target = table_target(&args.table, aws).await?;
    let clients = &target.clients;
    let arn = export::table_arn(clients, &target.physical).await?;
    let exports = export::list(clients, &arn).await?;
    let result = ExportList {
        exports: &exports,
        table: &target.physical,
    };
    print_result(printer, &result);
    Ok(ExitStatus::Success)
}
