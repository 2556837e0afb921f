//! `stackctl manpage [-o DIR]`: man pages (roff) made by clap_mangen from the command-line
//! types: `stackctl.1` to standard output, or it and one page per command into a folder.

use clap::CommandFactory;
use miette::{IntoDiagnostic, Result};

use super::ExitStatus;
use crate::cli::{Cli, ManpageArgs};
use crate::output::{noteln, out};

pub fn run(args: &ManpageArgs) -> Result<ExitStatus> {
    let command = Cli::command();
    let Some(dir) = &args.out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command)
            .render(&mut page)
            .into_diagnostic()?;
        out!("{}", String::from_utf8_lossy(&page));
        return Ok(ExitStatus::Success);
    };
    std::fs::create_dir_all(dir)
        .and_then(|()| clap_mangen::generate_to(command, dir))
        .into_diagnostic()
        .map_err(|e| e.wrap_err(format!("cannot write the man pages into {}", dir.display())))?;
    noteln!(
        "Wrote the man pages into {}; try: man {}/stackctl.1",
        dir.display(),
        dir.display()
    );
    Ok(ExitStatus::Success)
}
