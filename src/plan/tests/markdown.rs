//! `plan --output markdown` and `show`'s text: a plan with every action, data loss and notes.

use super::{file_change, stack};
use crate::plan::markdown::{PlanDoc, markdown, text};

const BEFORE: &str = r#"
[tables.orders]
partition_key = { name = "pk", type = "string" }

[tables.old]
partition_key = { name = "id", type = "string" }
deletion_protection = false

[functions.worker]
runtime = "nodejs20.x"
handler = "index.handler"
code = "examples/functions/get-order"
memory = 128
"#;

const AFTER: &str = r#"
[tables.orders]
partition_key = { name = "order_id", type = "string" }

[tables.new]
partition_key = { name = "id", type = "string" }

[functions.worker]
runtime = "nodejs20.x"
handler = "index.handler"
code = "examples/functions/get-order"
memory = 256
"#;

#[test]
fn markdown_puts_data_loss_on_top_a_summary_table_and_a_collapsed_diff_per_change() {
    let plan = file_change(BEFORE, AFTER);
    let doc = PlanDoc::of(&plan);
    insta::assert_snapshot!(markdown(&doc));
}

#[test]
fn a_saved_plan_reads_back_and_renders_as_text_and_markdown_alike() {
    let plan = file_change(BEFORE, AFTER);
    let saved = crate::plan::json::render(&plan);
    let doc = PlanDoc::parse(&saved).expect("a saved plan parses");
    assert_eq!(markdown(&doc), markdown(&PlanDoc::of(&plan)));
    insta::assert_snapshot!(text(&doc));
}

#[test]
fn no_changes_say_so() {
    let plan = file_change(AFTER, AFTER);
    let doc = PlanDoc::of(&plan);
    let _ = stack(AFTER);
    insta::assert_snapshot!(markdown(&doc), @r"
    ### stackctl plan: stack `shop` in us-east-1

    No changes: the stack matches the stack file.
    ");
}
